// SPDX-License-Identifier: Apache-2.0
/* Remote consoles: sessions, device grants and the dispatcher that bridges
 * upgraded connections (console.h, docs/console.md). */
#include "console.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>

#include "access.h"
#include "admin.h"
#include "apps_store.h"
#include "authz.h"
#include "configprops.h"
#include "console_store.h"
#include "crypto.h"
#include "ctl.h"
#include "devcache.h"
#include "devices_store.h"
#include "evjwt.h"
#include "evproof.h"
#include "hexstr.h"
#include "store.h"
#include "uuidlist.h"
#include "evtunnel.h"
#include "tlsfwd.h"
#include "uuidgen.h"
#include "wsframe.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#define CS_MAX_SESSIONS 256 /* live + recently ended, kept for GET */
#define CS_MAX_CHANNELS 256 /* operator connections at once */
#define CS_TTL_DEFAULT 600  /* seconds */
#define CS_TTL_MAX 3600
#define CS_WAIT_DEVICE_S 120 /* operator waits this long for the device's tunnel */
#define CS_WAIT_CHAN_S 30    /* and this long for the device's channel */
#define CS_BUF 16384
#define CS_PROOF_SKEW 300 /* seconds a device proof's clock may differ from ours */
#define CS_PROOF_SEEN 64  /* proof nonces remembered per grant (replays refused) */
#define CS_TICKETS 64     /* browser (WebSocket) tickets outstanding */
#define CS_TICKET_TTL 30  /* seconds a ticket may wait for its WebSocket */
#define CS_TICKET_HEX 64
#define CS_RELAY_TTL 60       /* seconds a relay token is valid */
#define CS_RELAY_KEY "relay-" /* its key claim starts so (a device's is a UUID) */

enum cs_kind { CS_CONSOLE, CS_VNC, CS_PORT };
static const char *const kind_names[] = {"console", "vnc", "port"};

struct cs_session {
	bool used;
	char id[UUID_STR_LEN];
	char app[128];
	char instance[UUID_STR_LEN];
	char device[UUID_STR_LEN];
	char project[64]; /* the app's (and its device's): who may see the session */
	char who[128];
	long long token_id;
	enum cs_kind kind;
	int port;
	int64_t created, expires, ended;
	char reason[48];
	unsigned channels, open;
	uint64_t bytes_in, bytes_out;
	bool recorded;
	char dispatcher[CONSOLE_STORE_ADDR_MAX]; /* the replica that holds it */
	int64_t rev, flushed;                    /* changes made, and written to the store */
	bool relay; /* a copy of another replica's session: channels are relayed there */
};

/* One upgraded connection: its socket and libmicrohttpd's handle. */
struct cs_end {
	int fd;                                /* our end of libmicrohttpd's socketpair */
	int raw;                               /* the client's TCP socket (libmicrohttpd's; only looked at) */
	struct MHD_UpgradeResponseHandle *urh; /* libmicrohttpd's upgrade, or */
	struct tlsfwd *fw;                     /* our forwarder (tlsfwd.h) */
};

struct cs_chan {
	bool used;
	uint32_t id;
	int sess; /* index into sessions */
	char device[UUID_STR_LEN];
	struct cs_end op, dev;
	bool dev_ready;
	bool finished;
	bool ws;                  /* the operator is a browser: WebSocket frames */
	struct wsframe_parser wp; /* its frames (bridge thread only) */
	bool ws_closed;           /* our close frame was sent */
};

/* A one-time ticket for a browser's WebSocket: browsers cannot send an
 * Authorization header on a WebSocket, so an authorized POST issues one. */
struct cs_ticket {
	char t[CS_TICKET_HEX + 1]; /* "" when free */
	char sess[UUID_STR_LEN];
	int64_t exp;
};

/* A device's edge-view grant and its control tunnel. */
struct cs_grant {
	bool used;
	char device[UUID_STR_LEN];
	char *token; /* the latest (what configs carry) */
	int64_t exp;
	int64_t since; /* when granted: tokens issued before are not this grant's */
	uint32_t generation;
	struct cs_end ctl;                               /* fd -1 while the device is not connected */
	unsigned ctl_gen;                                /* id of the current control tunnel (0: none) */
	char seen[CS_PROOF_SEEN][EVPROOF_NONCE_HEX + 1]; /* proof nonces used */
	unsigned n_seen;
};

struct console_hub {
	struct ctl *ctl;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	EVP_PKEY *pub; /* the signing certificate's key (token checks) */
	struct cs_session s[CS_MAX_SESSIONS];
	struct cs_chan ch[CS_MAX_CHANNELS];
	struct cs_grant g[CS_MAX_SESSIONS];
	struct cs_ticket tk[CS_TICKETS];
	uint32_t next_chan;
	unsigned next_ctl; /* control tunnel ids */
	unsigned threads;  /* bridge and control threads still running */
	bool stopping;
	/* On a clustered store (console_store.h): */
	char me[CONSOLE_STORE_ADDR_MAX]; /* this replica's dispatcher: the tokens' "dep" */
	bool clustered;
	bool released;           /* what a previous run left in the store is ended */
	pthread_mutex_t sync_mu; /* grants are written to the store in the order they changed */
};

/* ---- helpers ---------------------------------------------------------- */

/* libmicrohttpd does not tell an upgraded TLS connection's application
 * that the client went away (it only stops reading): ask the kernel. */
static bool peer_gone(const struct cs_end *e)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	if (e->raw < 0)
		return false;
	if (getsockopt(e->raw, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return true;
	return ti.tcpi_state != TCP_ESTABLISHED;
}

/* Close an upgraded connection. libmicrohttpd may not close the client's
 * connection when told to (it waits for traffic that never comes), so
 * once what we wrote has left (bounded wait) the TCP connection is shut
 * down first; then libmicrohttpd is told to close and clean up. */
static void end_close(struct cs_end *e)
{
	if ((e->urh || e->fw) && e->raw >= 0) {
		for (int i = 0; i < 30; i++) {
			int q1 = 0, q2 = 0;
			if ((ioctl(e->fd, SIOCOUTQ, &q1) < 0 || q1 == 0) &&
			    (ioctl(e->raw, SIOCOUTQ, &q2) < 0 || q2 == 0))
				break;
			usleep(10 * 1000);
		}
		usleep(20 * 1000); /* libmicrohttpd's own buffer */
		if (e->urh)
			shutdown(e->raw, SHUT_RDWR);
	}
	if (e->urh)
		MHD_upgrade_action(e->urh, MHD_UPGRADE_ACTION_CLOSE);
	else if (!e->fw && e->fd >= 0)
		close(e->fd); /* a relay's socketpair (relay_connect) */
	tlsfwd_close(e->fw);  /* sends what is left, closes, hands it back */
	e->urh = NULL;
	e->fw = NULL;
	e->fd = -1;
	e->raw = -1;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EAGAIN) {
			struct pollfd pf = {.fd = fd, .events = POLLOUT};
			if (poll(&pf, 1, 5000) <= 0)
				return -EPIPE;
			continue;
		}
		if (k <= 0)
			return -EPIPE;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static void say(int fd, const char *fmt, const char *arg)
{
	char line[EVTUNNEL_LINE_MAX];
	int n = snprintf(line, sizeof(line), fmt, arg);
	if (n > 0)
		(void)write_all(fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/* A frame to a browser (header and payload in one write). */
static int ws_send(int fd, enum wsframe_op op, const void *p, size_t n)
{
	uint8_t buf[10 + CS_BUF];
	if (n > CS_BUF)
		return -E2BIG;
	size_t h = wsframe_header(op, n, buf);
	memcpy(buf + h, p, n);
	return write_all(fd, (const char *)buf, h + n);
}

/* Our close frame to a browser, once (payload: a 2-byte code, or none). */
static void ws_close(struct cs_chan *c, const void *code, size_t n)
{
	if (c->ws_closed)
		return;
	c->ws_closed = true;
	(void)ws_send(c->op.fd, WSFRAME_CLOSE, code, n);
}

/* A status line to the operator ("OK", "ERR why"): a line on a raw
 * channel, a text frame to a browser. */
static void op_status(struct cs_chan *c, const char *fmt, const char *arg)
{
	char line[EVTUNNEL_LINE_MAX];
	int n = snprintf(line, sizeof(line), fmt, arg);
	if (n <= 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	if (!c->ws) {
		say(c->op.fd, "%s\n", line);
		return;
	}
	(void)ws_send(c->op.fd, WSFRAME_TEXT, line, (size_t)n);
}

static struct cs_grant *grant_find(struct console_hub *h, const char *dev)
{
	for (size_t i = 0; i < CS_MAX_SESSIONS; i++)
		if (h->g[i].used && !strcmp(h->g[i].device, dev))
			return &h->g[i];
	return NULL;
}

static struct cs_session *session_find(struct console_hub *h, const char *id)
{
	for (size_t i = 0; i < CS_MAX_SESSIONS; i++)
		if (h->s[i].used && !strcmp(h->s[i].id, id))
			return &h->s[i];
	return NULL;
}

static bool session_live(const struct cs_session *s)
{
	return s->used && !s->ended;
}

/* The one place a session is recorded (the program logs it; the audit log
 * takes it from there). Called with h->mu held. */
static void session_record(struct console_hub *h, const struct cs_session *s)
{
	struct console_record rec = {
	    .id = s->id,
	    .who = s->who,
	    .token_id = s->token_id,
	    .app = s->app,
	    .instance = s->instance,
	    .device = s->device,
	    .kind = kind_names[s->kind],
	    .port = s->port,
	    .start = s->created,
	    .end = s->ended,
	    .reason = s->reason,
	    .channels = s->channels,
	    .bytes_in = s->bytes_in,
	    .bytes_out = s->bytes_out,
	};
	if (h->ctl->log_console)
		h->ctl->log_console(h->ctl, &rec);
}

/* Drop the device's grant when it has no live session left; true when the
 * device's config changed. h->mu held. */
static bool grant_gc(struct console_hub *h, const char *dev, int64_t now)
{
	struct cs_grant *g = grant_find(h, dev);
	if (!g)
		return false;
	for (size_t i = 0; i < CS_MAX_SESSIONS; i++)
		if (session_live(&h->s[i]) && !strcmp(h->s[i].device, dev) && g->exp > now)
			return false;
	free(g->token);
	g->token = NULL;
	g->used = false;
	g->ctl_gen = 0; /* its control thread closes the tunnel */
	pthread_cond_broadcast(&h->cv);
	return true;
}

/* End s (h->mu held); the caller then calls ctl_device_changed for
 * *changed_dev when it is set. */
/* Record an ended session once its last channel closed (with its byte
 * counts). h->mu held. */
static void session_maybe_record(struct console_hub *h, struct cs_session *s)
{
	if (s->ended && !s->open && !s->recorded) {
		s->recorded = true;
		session_record(h, s);
	}
}

static void session_end(struct console_hub *h, struct cs_session *s, const char *reason, char *changed_dev)
{
	if (!session_live(s))
		return;
	s->ended = time(NULL);
	s->rev++;
	snprintf(s->reason, sizeof(s->reason), "%s", reason);
	session_maybe_record(h, s);
	pthread_cond_broadcast(&h->cv);
	if (grant_gc(h, s->device, s->ended) && changed_dev)
		snprintf(changed_dev, UUID_STR_LEN, "%s", s->device);
}

/* ---- the store, on a clustered one (console_store.h) ------------------- */

/* The kind named name; CS_CONSOLE for an unknown name (callers that
 * must refuse one compare the name back). */
static int kind_of(const char *name)
{
	for (int k = 0; k < 3; k++)
		if (!strcmp(name, kind_names[k]))
			return k;
	return CS_CONSOLE;
}

static void row_of(const struct cs_session *s, struct console_store_session *w)
{
	memset(w, 0, sizeof(*w));
	snprintf(w->id, sizeof(w->id), "%s", s->id);
	snprintf(w->dispatcher, sizeof(w->dispatcher), "%s", s->dispatcher);
	snprintf(w->app, sizeof(w->app), "%s", s->app);
	snprintf(w->instance, sizeof(w->instance), "%s", s->instance);
	snprintf(w->device, sizeof(w->device), "%s", s->device);
	snprintf(w->project, sizeof(w->project), "%s", s->project);
	snprintf(w->who, sizeof(w->who), "%s", s->who);
	snprintf(w->kind, sizeof(w->kind), "%s", kind_names[s->kind]);
	snprintf(w->reason, sizeof(w->reason), "%s", s->reason);
	w->token_id = s->token_id;
	w->port = s->port;
	w->created = s->created;
	w->expires = s->expires;
	w->ended = s->ended;
	w->channels = s->channels;
	w->open = s->open;
	w->bytes_in = s->bytes_in;
	w->bytes_out = s->bytes_out;
	w->rev = s->rev;
}

/* A session as the store has it (not one of this replica's: no channel). */
static void session_of_row(const struct console_store_session *w, struct cs_session *s)
{
	memset(s, 0, sizeof(*s));
	s->used = true;
	snprintf(s->id, sizeof(s->id), "%s", w->id);
	snprintf(s->dispatcher, sizeof(s->dispatcher), "%s", w->dispatcher);
	snprintf(s->app, sizeof(s->app), "%s", w->app);
	snprintf(s->instance, sizeof(s->instance), "%s", w->instance);
	snprintf(s->device, sizeof(s->device), "%s", w->device);
	snprintf(s->project, sizeof(s->project), "%s", w->project);
	snprintf(s->who, sizeof(s->who), "%s", w->who);
	snprintf(s->reason, sizeof(s->reason), "%s", w->reason);
	s->kind = (enum cs_kind)kind_of(w->kind);
	s->token_id = w->token_id;
	s->port = w->port;
	s->created = w->created;
	s->expires = w->expires;
	s->ended = w->ended;
	s->channels = w->channels;
	s->open = w->open;
	s->bytes_in = w->bytes_in;
	s->bytes_out = w->bytes_out;
	s->rev = s->flushed = w->rev;
	if (!s->ended && s->expires <= time(NULL)) { /* its holder died before */
		s->ended = s->expires;
		snprintf(s->reason, sizeof(s->reason), "expired");
	}
}

/* Write the sessions changed since their last write. */
static void sessions_flush(struct console_hub *h)
{
	struct console_store_session *w = malloc(CS_MAX_SESSIONS * sizeof(*w));
	bool *ok = calloc(CS_MAX_SESSIONS, sizeof(*ok));
	size_t n = 0;
	if (!w || !ok)
		goto out;
	pthread_mutex_lock(&h->mu);
	for (size_t i = 0; i < CS_MAX_SESSIONS; i++)
		if (h->s[i].used && !h->s[i].relay && h->s[i].rev != h->s[i].flushed)
			row_of(&h->s[i], &w[n++]);
	pthread_mutex_unlock(&h->mu);
	struct store *d = n ? store_get(h->ctl->db) : NULL;
	for (size_t i = 0; d && i < n; i++)
		ok[i] = console_store_session_put(d, &w[i]) == 0;
	if (d)
		store_put(h->ctl->db, d);
	pthread_mutex_lock(&h->mu);
	for (size_t i = 0; i < n; i++) {
		struct cs_session *s = session_find(h, w[i].id);
		if (s && ok[i] && s->flushed < w[i].rev)
			s->flushed = w[i].rev;
	}
	pthread_mutex_unlock(&h->mu);
out:
	free(w);
	free(ok);
}

/* Write dev's grant (or its end) as it is now: before its config changes,
 * so that another replica that builds it finds the new token. */
static void grant_sync(struct console_hub *h, const char *dev)
{
	char *tok = NULL;
	int64_t exp = 0;
	uint32_t gen = 0;
	pthread_mutex_lock(&h->sync_mu);
	pthread_mutex_lock(&h->mu);
	struct cs_grant *g = grant_find(h, dev);
	bool held = g != NULL;
	if (g) {
		tok = strdup(g->token);
		exp = g->exp;
		gen = g->generation;
	}
	pthread_mutex_unlock(&h->mu);
	struct store *d = !held || tok ? store_get(h->ctl->db) : NULL;
	if (d) {
		/* (void): the other replicas then give the device the token they
		 * have, or none; the device's next config poll sets it right */
		(void)(held ? console_store_grant_set(d, dev, h->me, tok, exp, gen)
			    : console_store_grant_drop(d, dev, h->me));
		store_put(h->ctl->db, d);
	}
	pthread_mutex_unlock(&h->sync_mu);
	free(tok);
}

static void device_changed(struct console_hub *h, const char *dev)
{
	if (!dev[0])
		return;
	if (h->clustered)
		grant_sync(h, dev);
	ctl_device_changed(h->ctl, NULL, dev);
}

static void release_device(void *ctx, const char *dev)
{
	(void)uuidlist_add(ctx, dev); /* (void): the device's config changes at its next change */
}

/* What a previous run of this replica left: its sessions end, its grants
 * go (the devices' configs change). */
static void release(struct console_hub *h, const char *reason)
{
	struct uuidlist devs = {0};
	struct store *d = store_get(h->ctl->db);
	if (!d)
		return;
	bool ok = console_store_release(d, h->me, time(NULL), reason, release_device, &devs) == 0;
	store_put(h->ctl->db, d);
	for (size_t i = 0; i < devs.n; i++)
		ctl_device_changed(h->ctl, NULL, devs.ids[i]);
	uuidlist_free(&devs);
	h->released = ok;
}

/* ---- hub -------------------------------------------------------------- */

int console_hub_new(struct ctl *c, struct console_hub **out)
{
	struct console_hub *h = calloc(1, sizeof(*h));
	X509 *cert = NULL;
	if (!h)
		return -ENOMEM;
	h->ctl = c;
	h->next_chan = 1;
	pthread_mutex_init(&h->mu, NULL);
	pthread_mutex_init(&h->sync_mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	snprintf(h->me, sizeof(h->me), "%s",
		 c->conf.console_dispatcher[0] ? c->conf.console_dispatcher : c->fqdn);
	h->clustered = store_clustered(c->db);
	if (c->signer.cert_pem &&
	    crypto_cert_from_pem(c->signer.cert_pem, strlen(c->signer.cert_pem), &cert) == 0)
		h->pub = X509_get_pubkey(cert);
	X509_free(cert);
	if (!h->pub) {
		console_hub_free(h);
		return -EINVAL;
	}
	/* before any request: a session created here must not be ended as
	 * a previous run's (if the store is down now, the first tick does it) */
	if (h->clustered)
		release(h, "controller restarted");
	*out = h;
	return 0;
}

void console_hub_stop(struct console_hub *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->mu);
	h->stopping = true;
	for (size_t i = 0; i < CS_MAX_SESSIONS; i++)
		session_end(h, &h->s[i], "controller stopped", NULL);
	pthread_cond_broadcast(&h->cv);
	/* Threads notice within their poll interval and close their ends. */
	for (int i = 0; i < 100 && h->threads; i++) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&h->cv, &h->mu, &ts);
	}
	/* Channels whose device side never came: close what is left. */
	for (size_t i = 0; i < CS_MAX_CHANNELS; i++) {
		if (h->ch[i].used && (h->ch[i].dev.urh || h->ch[i].dev.fw) && !h->ch[i].dev_ready)
			end_close(&h->ch[i].dev);
	}
	pthread_mutex_unlock(&h->mu);
	if (h->clustered) { /* the others see them end, and the devices' tokens go */
		sessions_flush(h);
		release(h, "controller stopped");
	}
}

void console_hub_free(struct console_hub *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < CS_MAX_SESSIONS; i++) {
		free(h->g[i].token);
	}
	EVP_PKEY_free(h->pub);
	pthread_mutex_destroy(&h->mu);
	pthread_mutex_destroy(&h->sync_mu);
	pthread_cond_destroy(&h->cv);
	free(h);
}

int console_device_token(struct ctl *c, struct store *d, const char *uuid, char **token, uint32_t *generation)
{
	struct console_hub *h = c->console;
	int r = -ENOENT;
	if (!h)
		return r;
	pthread_mutex_lock(&h->mu);
	struct cs_grant *g = grant_find(h, uuid);
	if (g && g->exp > time(NULL)) {
		*token = strdup(g->token);
		*generation = g->generation;
		r = *token ? 0 : -ENOMEM;
	}
	pthread_mutex_unlock(&h->mu);
	/* another replica's device: the token its holder wrote */
	if (r == -ENOENT && h->clustered)
		r = console_store_grant_token(d, uuid, time(NULL), token, generation);
	return r;
}

/* ---- grants ----------------------------------------------------------- */

static int sign_cb(void *ctx, const uint8_t digest[32], uint8_t sig[64])
{
	const struct eve_signer *s = ctx;
	return s->sign(s->ctx, digest, sig);
}

/* Make sure dev's grant lasts until exp (a new token when it must grow).
 * h->mu held. True when the config changed. */
static int grant_ensure(struct console_hub *h, const char *dev, int64_t exp, bool *changed)
{
	struct cs_grant *g = grant_find(h, dev);
	*changed = false;
	if (g && g->exp >= exp)
		return 0;
	if (!g) {
		for (size_t i = 0; i < CS_MAX_SESSIONS && !g; i++)
			if (!h->g[i].used)
				g = &h->g[i];
		if (!g)
			return -ENOSPC;
		memset(g, 0, sizeof(*g));
		g->ctl.fd = g->ctl.raw = -1;
		g->since = time(NULL);
		snprintf(g->device, sizeof(g->device), "%s", dev);
	}
	struct evjwt_claims cl = {.exp = exp, .iat = time(NULL)};
	snprintf(cl.dep, sizeof(cl.dep), "%s", h->me);
	snprintf(cl.sub, sizeof(cl.sub), "%s", dev);
	uuidgen_v4(cl.key);
	char *tok = NULL;
	int r = evjwt_sign(&cl, sign_cb, &h->ctl->signer, &tok);
	if (r < 0) {
		if (!g->token)
			g->used = false;
		return r;
	}
	free(g->token);
	g->token = tok;
	g->exp = exp;
	g->generation++;
	g->used = true;
	*changed = true;
	return 0;
}

/* The request carries a fresh proof (evproof.h) signed by the key of the
 * certificate registered for the token's device: a token copied to
 * another device, or replayed without that key, is refused. h->mu held. */
static bool device_proven(struct console_hub *h, struct http_req *r, struct cs_grant *g,
			  const struct evjwt_claims *cl, const char **why)
{
	struct evproof p;
	struct devcache_view v = {0};
	bool ok = false;
	*why = "missing device proof (" EVPROOF_HEADER ")";
	const char *hv = http_header(r, EVPROOF_HEADER);
	if (!hv)
		return false;
	*why = "malformed device proof";
	if (evproof_parse(hv, &p) < 0)
		return false;
	*why = "device proof: unknown device certificate";
	if (devcache_lookup(h->ctl->cache, p.cert_hash, sizeof(p.cert_hash), &v) < 0)
		return false;
	*why = "edge-view token was issued to another device";
	if (strcmp(v.uuid, cl->sub))
		goto out;
	*why = "device proof: clock too far from the controller's";
	int64_t now = time(NULL);
	if (p.ts < now - CS_PROOF_SKEW || p.ts > now + CS_PROOF_SKEW)
		goto out;
	*why = "device proof: signature does not verify";
	if (evproof_verify(&p, v.pub, r->url, cl->key) < 0)
		goto out;
	*why = "device proof replayed";
	for (size_t i = 0; i < CS_PROOF_SEEN; i++)
		if (!strcmp(g->seen[i], p.nonce))
			goto out;
	snprintf(g->seen[g->n_seen++ % CS_PROOF_SEEN], sizeof(g->seen[0]), "%s", p.nonce);
	ok = true;
out:
	return ok;
}

/* The device named by a bearer token on a device request; its grant
 * must be live and hold exactly this token. h->mu held. */
static struct cs_grant *grant_by_token(struct console_hub *h, struct http_req *r, const char **why)
{
	const char *a = http_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
	struct evjwt_claims cl;
	*why = "missing edge-view token";
	if (!a || strncasecmp(a, "Bearer ", 7))
		return NULL;
	*why = "bad edge-view token";
	if (evjwt_verify(a + 7, h->pub, &cl) < 0)
		return NULL;
	*why = "edge-view token expired";
	if (cl.exp <= time(NULL))
		return NULL;
	struct cs_grant *g = grant_find(h, cl.sub);
	*why = "edge-view token no longer granted";
	/* Any unexpired token of this grant, not only the latest: a device
	 * uses the one it has until its next config poll, and sessions that
	 * come fast can renew the grant more than once before that. Each is
	 * bound to the device by the proof below. */
	if (!g || !g->token || strcmp(cl.dep, h->me) || cl.iat < g->since)
		return NULL;
	return device_proven(h, r, g, &cl, why) ? g : NULL;
}

/* ---- bridging ---------------------------------------------------------- */

struct thread_arg {
	struct console_hub *h;
	size_t idx;   /* channel index, or grant index */
	unsigned cid; /* control connection id */
	struct cs_end end;
};

static bool chan_should_stop(struct console_hub *h, struct cs_chan *c)
{
	struct cs_session *s = &h->s[c->sess];
	return h->stopping || !session_live(s) || s->expires <= time(NULL);
}

/* Wait (h->mu held) until pred or the deadline; false on timeout/stop. */
static bool wait_until(struct console_hub *h, struct cs_chan *c,
		       bool (*pred)(struct console_hub *, struct cs_chan *), int64_t deadline)
{
	while (!pred(h, c)) {
		if (chan_should_stop(h, c) || peer_gone(&c->op) || time(NULL) >= deadline)
			return false;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&h->cv, &h->mu, &ts);
	}
	return true;
}

static bool device_connected(struct console_hub *h, struct cs_chan *c)
{
	struct cs_grant *g = grant_find(h, c->device);
	return g && g->ctl.fd >= 0;
}

static bool device_chan_ready(struct console_hub *h, struct cs_chan *c)
{
	(void)h;
	return c->dev_ready;
}

/* Ask the device for channel c on its control tunnel. h->mu held. */
static int request_channel(struct console_hub *h, struct cs_chan *c)
{
	struct cs_grant *g = grant_find(h, c->device);
	struct cs_session *s = &h->s[c->sess];
	char line[EVTUNNEL_LINE_MAX];
	int n = snprintf(line, sizeof(line), "OPEN %u %s %s %d\n", c->id, kind_names[s->kind], s->instance,
			 s->port);
	if (!g || g->ctl.fd < 0 || n <= 0 || (size_t)n >= sizeof(line))
		return -ENOTCONN;
	return write_all(g->ctl.fd, line, (size_t)n);
}

/* The device's first line on its channel ("OK" or "ERR why"). */
static int read_line(int fd, char *line, size_t cap, int timeout_ms)
{
	size_t n = 0;
	while (n + 1 < cap) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		if (poll(&pf, 1, timeout_ms) <= 0)
			return -ETIMEDOUT;
		ssize_t k = read(fd, line + n, 1);
		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (k <= 0)
			return -EPIPE;
		if (line[n] == '\n') {
			line[n] = 0;
			return 0;
		}
		n++;
	}
	return -E2BIG;
}

/* Copy a -> b once: bytes moved, 0 at end, -1 on error. */
static ssize_t copy_once(int a, int b)
{
	char buf[CS_BUF];
	ssize_t k = read(a, buf, sizeof(buf));
	if (k < 0)
		return errno == EAGAIN || errno == EINTR ? -2 : -1;
	if (k == 0)
		return 0;
	return write_all(b, buf, (size_t)k) < 0 ? -1 : k;
}

/* Browser -> device: unframe; answer pings and the close. Bytes moved,
 * 0 when the browser closed, -1 on error, -2 nothing yet. */
static ssize_t ws_from_op(struct cs_chan *c)
{
	uint8_t in[CS_BUF], out[CS_BUF];
	ssize_t k = read(c->op.fd, in, sizeof(in));
	size_t off = 0, moved = 0;
	if (k < 0)
		return errno == EAGAIN || errno == EINTR ? -2 : -1;
	if (k == 0)
		return 0;
	while (off < (size_t)k) {
		struct wsframe_event ev;
		size_t used = 0, olen = 0;
		int r = wsframe_feed(&c->wp, in + off, (size_t)k - off, &used, out, &olen, &ev);
		off += used;
		if (olen && write_all(c->dev.fd, (const char *)out, olen) < 0)
			return -1;
		moved += olen;
		if (r < 0) {
			ws_close(c, "\x03\xea", 2); /* 1002 protocol error */
			return -1;
		}
		if (r == 1 && ev.op == WSFRAME_PING &&
		    ws_send(c->op.fd, WSFRAME_PONG, ev.payload, ev.len) < 0)
			return -1;
		if (r == 1 && ev.op == WSFRAME_CLOSE) {
			ws_close(c, ev.payload, ev.len >= 2 ? 2 : 0);
			return 0;
		}
	}
	return moved ? (ssize_t)moved : -2;
}

/* Device -> browser: one binary frame per read. */
static ssize_t ws_to_op(struct cs_chan *c)
{
	char buf[CS_BUF];
	ssize_t k = read(c->dev.fd, buf, sizeof(buf));
	if (k < 0)
		return errno == EAGAIN || errno == EINTR ? -2 : -1;
	if (k == 0)
		return 0;
	return ws_send(c->op.fd, WSFRAME_BINARY, buf, (size_t)k) < 0 ? -1 : k;
}

/* Copy both ways until one side leaves or the session ends; returns the
 * reason. */
static const char *bridge(struct console_hub *h, struct cs_chan *c, uint64_t *in, uint64_t *out)
{
	for (;;) {
		pthread_mutex_lock(&h->mu);
		bool stop = chan_should_stop(h, c);
		pthread_mutex_unlock(&h->mu);
		if (stop)
			return "session ended";
		struct pollfd p[2] = {{.fd = c->op.fd, .events = POLLIN},
				      {.fd = c->dev.fd, .events = POLLIN}};
		int n = poll(p, 2, 500);
		if (n < 0 && errno != EINTR)
			return "poll failed";
		/* Only when idle: what a side sent before leaving is copied first. */
		if (n == 0 && peer_gone(&c->op))
			return "operator left";
		if (n == 0 && peer_gone(&c->dev))
			return "device left";
		if (p[0].revents) {
			ssize_t k = c->ws ? ws_from_op(c) : copy_once(c->op.fd, c->dev.fd);
			if (k == 0 || k == -1)
				return "operator left";
			if (k > 0)
				*in += (uint64_t)k;
		}
		if (p[1].revents) {
			ssize_t k = c->ws ? ws_to_op(c) : copy_once(c->dev.fd, c->op.fd);
			if (k == 0 || k == -1)
				return "device left";
			if (k > 0)
				*out += (uint64_t)k;
		}
	}
}

/* Set up the channel with the device; NULL when bridged, else why not.
 * Writes the device's answer line to the operator. */
static const char *chan_connect(struct console_hub *h, struct cs_chan *c)
{
	char line[EVTUNNEL_LINE_MAX];
	pthread_mutex_lock(&h->mu);
	bool ok = wait_until(h, c, device_connected, time(NULL) + CS_WAIT_DEVICE_S);
	const char *why = ok ? NULL : "the device did not connect its edge-view tunnel";
	if (ok && request_channel(h, c) < 0)
		why = "the device's tunnel is gone";
	if (!why && !wait_until(h, c, device_chan_ready, time(NULL) + CS_WAIT_CHAN_S))
		why = "the device did not open the channel";
	pthread_mutex_unlock(&h->mu);
	if (why)
		return why;
	if (read_line(c->dev.fd, line, sizeof(line), CS_WAIT_CHAN_S * 1000) < 0)
		return "the device did not answer on the channel";
	if (strncmp(line, "OK", 2)) {
		op_status(c, "%s", line[0] ? line : "ERR device refused");
		return "device refused";
	}
	op_status(c, "OK", NULL);
	return NULL;
}

static int spawn(struct console_hub *h, void *(*fn)(void *), void *ta)
{
	pthread_t t;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	h->threads++;
	int r = pthread_create(&t, &at, fn, ta);
	pthread_attr_destroy(&at);
	if (r) {
		h->threads--;
		return -r;
	}
	return 0;
}

struct relay_pump {
	struct console_hub *h;
	struct evtunnel *t;
	int fd;
};

/* Copy between the tunnel to the holder and our end of the socketpair
 * until either ends (the channel's thread closes the other end). */
static void *relay_pump(void *arg)
{
	struct relay_pump *p = arg;
	struct console_hub *h = p->h;
	bool stop = false;
	(void)evtunnel_bridge(p->t, p->fd, p->fd, 0, NULL, NULL, &stop, NULL,
			      NULL); /* (void): either way it ends */
	evtunnel_close(p->t);
	close(p->fd);
	free(p);
	pthread_mutex_lock(&h->mu);
	h->threads--;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

/* The tunnel of channel c to the replica that holds its session, as an
 * operator of its relay route (h_relay) with a token signed by the key
 * the replicas share. NULL or -errno, with why in err. */
static struct evtunnel *relay_open(struct console_hub *h, const struct cs_session *s, char *err,
				   size_t errlen)
{
	char url[CONSOLE_STORE_ADDR_MAX + 96], ca[PATH_MAX + 32], auth[1024], *tok = NULL;
	uint8_t rnd[12];
	struct evtunnel *t = NULL;
	struct evjwt_claims cl = {.iat = time(NULL), .exp = time(NULL) + CS_RELAY_TTL};
	snprintf(cl.dep, sizeof(cl.dep), "%s", s->dispatcher);
	snprintf(cl.sub, sizeof(cl.sub), "%s", s->id);
	memcpy(cl.key, CS_RELAY_KEY, strlen(CS_RELAY_KEY));
	snprintf(url, sizeof(url), "https://%s/edgeview/v1/relay/%s", s->dispatcher, s->id);
	snprintf(ca, sizeof(ca), "%s/certs/root-certificate.pem", h->ctl->dir);
	snprintf(err, errlen, "cannot sign a relay token");
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return NULL;
	hexstr_encode(rnd, sizeof(rnd), cl.key + strlen(CS_RELAY_KEY));
	if (evjwt_sign(&cl, sign_cb, &h->ctl->signer, &tok) < 0)
		return NULL;
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
	const char *hdrs[] = {auth, "User-Agent: eve-controller (console relay)", NULL};
	if (evtunnel_open(url, ca, hdrs, &t, err, errlen) < 0)
		t = NULL;
	OPENSSL_cleanse(auth, sizeof(auth));
	free(tok);
	return t;
}

/* The holder's answer line on t, waited for while channel c is wanted
 * (the holder waits for its device as chan_connect does). */
static int relay_answer(struct console_hub *h, struct cs_chan *c, struct evtunnel *t, char *line, size_t cap)
{
	int64_t end = time(NULL) + CS_WAIT_DEVICE_S + CS_WAIT_CHAN_S + 5;
	for (;;) {
		int r = evtunnel_readline(t, line, cap, 1000);
		if (r != -ETIMEDOUT || time(NULL) >= end)
			return r;
		pthread_mutex_lock(&h->mu);
		bool stop = chan_should_stop(h, c) || peer_gone(&c->op);
		pthread_mutex_unlock(&h->mu);
		if (stop)
			return -ECANCELED;
	}
}

/* Set up channel c of a relay copy through the replica that holds the
 * session; its bytes come through a socketpair (c->dev) that a pump
 * thread copies to and from the tunnel. NULL when bridged, else why not;
 * writes the holder's answer line to the operator. */
static const char *relay_connect(struct console_hub *h, struct cs_chan *c)
{
	char err[256], line[EVTUNNEL_LINE_MAX];
	int sp[2] = {-1, -1}, e = -ENOMEM;
	struct relay_pump *p = calloc(1, sizeof(*p));
	const char *why = "the replica that holds the session cannot be reached";
	struct evtunnel *t = p ? relay_open(h, &h->s[c->sess], err, sizeof(err)) : NULL;
	if (!t)
		goto out;
	why = "the replica that holds the session did not answer";
	if (relay_answer(h, c, t, line, sizeof(line)) < 0)
		goto out;
	if (strncmp(line, "OK", 2)) {
		op_status(c, "%s", line[0] ? line : "ERR device refused");
		why = "device refused";
		goto out;
	}
	why = "cannot relay the channel";
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		goto out;
	*p = (struct relay_pump){.h = h, .t = t, .fd = sp[1]};
	pthread_mutex_lock(&h->mu);
	e = spawn(h, relay_pump, p);
	pthread_mutex_unlock(&h->mu);
	if (e < 0)
		goto out;
	p = NULL; /* the pump's now, with t and sp[1] */
	t = NULL;
	sp[1] = -1;
	c->dev.fd = sp[0];
	op_status(c, "OK", NULL);
	why = NULL;
out:
	evtunnel_close(t);
	free(p);
	if (sp[1] >= 0)
		close(sp[1]);
	if (why && sp[0] >= 0)
		close(sp[0]);
	return why;
}

static void *chan_run(void *arg)
{
	struct thread_arg *ta = arg;
	struct console_hub *h = ta->h;
	struct cs_chan *c = &h->ch[ta->idx];
	uint64_t in = 0, out = 0;
	char changed[UUID_STR_LEN] = "";
	free(ta);
	const char *why = h->s[c->sess].relay ? relay_connect(h, c) : chan_connect(h, c);
	if (why && strcmp(why, "device refused"))
		op_status(c, "ERR %s", why);
	if (!why)
		why = bridge(h, c, &in, &out);
	if (c->ws) /* 1000: normal closure, whoever left */
		ws_close(c, "\x03\xe8", 2);
	pthread_mutex_lock(&h->mu);
	struct cs_session *s = &h->s[c->sess];
	s->bytes_in += in;
	s->bytes_out += out;
	s->open--;
	s->rev++;
	struct cs_grant *g = grant_find(h, c->device);
	if (g && g->ctl.fd >= 0) { /* the device closes its side too */
		char line[32];
		int n = snprintf(line, sizeof(line), "CLOSE %u\n", c->id);
		(void)write_all(g->ctl.fd, line, (size_t)n);
	}
	if (s->kind == CS_CONSOLE)
		session_end(h, s, why, changed);
	session_maybe_record(h, s);
	struct cs_end op = c->op, dev = c->dev;
	c->op.urh = c->dev.urh = NULL;
	c->op.fw = c->dev.fw = NULL;
	c->used = false;
	pthread_mutex_unlock(&h->mu);
	end_close(&op);
	end_close(&dev);
	device_changed(h, changed); /* before the count: the hub outlives it */
	pthread_mutex_lock(&h->mu);
	h->threads--;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

/* The device's control tunnel: read (and ignore) what it sends, and close
 * it when it ends or when its grant goes away or is replaced. */
static void *ctl_run(void *arg)
{
	struct thread_arg *ta = arg;
	struct console_hub *h = ta->h;
	struct cs_grant *g = &h->g[ta->idx];
	unsigned cid = ta->cid;
	struct cs_end mine = ta->end;
	int fd = mine.fd;
	free(ta);
	for (;;) {
		pthread_mutex_lock(&h->mu);
		bool current = !h->stopping && g->used && g->ctl_gen == cid;
		pthread_mutex_unlock(&h->mu);
		if (!current || peer_gone(&mine))
			break;
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		if (poll(&pf, 1, 500) > 0) {
			char buf[512];
			ssize_t k = read(fd, buf, sizeof(buf));
			if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR))
				break;
		}
	}
	pthread_mutex_lock(&h->mu);
	if (g->ctl.fd == mine.fd) {
		g->ctl.fd = g->ctl.raw = -1;
		g->ctl.urh = NULL;
		g->ctl.fw = NULL;
	}
	pthread_mutex_unlock(&h->mu);
	end_close(&mine);
	pthread_mutex_lock(&h->mu);
	h->threads--;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

/* ---- upgrades ----------------------------------------------------------- */

enum up_kind { UP_OPERATOR, UP_DEVICE_CTL, UP_DEVICE_CHAN };

struct up_ctx {
	struct console_hub *h;
	enum up_kind kind;
	size_t idx;  /* channel (operator, device chan) or grant (ctl) */
	uint32_t id; /* channel id, or control tunnel id */
};

/* An upgraded connection e for u: give it to its channel or grant and
 * start its thread, or close it. h->mu held; frees u. */
static void attach_end(struct console_hub *h, struct up_ctx *u, struct cs_end e)
{
	int one = 1;
	if (e.raw >= 0) /* interactive bytes: no Nagle delay */
		setsockopt(e.raw, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	struct thread_arg *ta = calloc(1, sizeof(*ta));
	bool keep = false;
	if (ta && !h->stopping) {
		ta->h = h;
		ta->idx = u->idx;
		ta->cid = u->id;
		ta->end = e;
		if (u->kind == UP_OPERATOR) {
			struct cs_chan *c = &h->ch[u->idx];
			c->op = e;
			keep = c->used && c->id == u->id && spawn(h, chan_run, ta) == 0;
		} else if (u->kind == UP_DEVICE_CTL) {
			struct cs_grant *g = &h->g[u->idx];
			if (g->used && g->ctl_gen == u->id) {
				g->ctl = e;
				keep = spawn(h, ctl_run, ta) == 0;
				if (!keep) {
					g->ctl.fd = g->ctl.raw = -1;
					g->ctl.urh = NULL;
					g->ctl.fw = NULL;
				}
			}
		} else {
			struct cs_chan *c = &h->ch[u->idx];
			if (c->used && c->id == u->id && !c->dev_ready) {
				c->dev = e;
				c->dev_ready = true;
				pthread_cond_broadcast(&h->cv);
				free(ta);
				ta = NULL;
				keep = true;
			}
		}
	}
	if (!keep) {
		free(ta);
		if (u->kind == UP_OPERATOR && h->ch[u->idx].id == u->id) {
			h->ch[u->idx].used = false;
			h->s[h->ch[u->idx].sess].open--;
			h->s[h->ch[u->idx].sess].rev++;
		}
		end_close(&e);
	}
	free(u);
}

static void on_upgrade(void *cls, struct MHD_Connection *conn, void *req_cls, const char *extra_in,
		       size_t extra_in_size, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
	struct up_ctx *u = cls;
	struct console_hub *h = u->h;
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct cs_end e = {.fd = sock, .raw = ci ? (int)ci->connect_fd : -1, .urh = urh};
	MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CORK_OFF); /* libmicrohttpd corks by default */
	(void)req_cls;
	(void)extra_in;
	(void)extra_in_size; /* clients wait for the 101 before sending */
	pthread_mutex_lock(&h->mu);
	attach_end(h, u, e);
	pthread_mutex_unlock(&h->mu);
}

/* Take the connection over (tlsfwd.h): suspend it, answer the 101 on its
 * TLS session ourselves and attach our forwarder's socket. h->mu held.
 * Returns false (nothing done) when the connection is not TLS. */
static bool reply_direct(struct http_req *r, struct console_hub *h, struct up_ctx *u, const char *ws_accept,
			 const char *ws_proto)
{
	char head[512];
	int n = snprintf(
	    head, sizeof(head),
	    "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: %s\r\n%s%s%s%s%s\r\n",
	    ws_accept ? "websocket" : EVTUNNEL_PROTO, ws_accept ? "Sec-WebSocket-Accept: " : "",
	    ws_accept ? ws_accept : "", ws_accept ? "\r\n" : "",
	    ws_proto ? "Sec-WebSocket-Protocol: binary\r\n" : "", "");
	struct cs_end e = {.fd = -1, .raw = -1};
	if (n <= 0 || (size_t)n >= sizeof(head) ||
	    !MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_GNUTLS_SESSION))
		return false;
	MHD_suspend_connection(r->conn);
	r->detached = true;
	r->status = 101;
	if (tlsfwd_start(r->conn, head, (size_t)n, &e.fd, &e.raw, &e.fw) < 0) {
		MHD_resume_connection(r->conn); /* closed by http.c */
		r->status = 500;                /* the caller releases the channel */
		free(u);
		return true;
	}
	attach_end(h, u, e);
	return true;
}

static bool wants_upgrade(struct http_req *r)
{
	const char *up = http_header(r, MHD_HTTP_HEADER_UPGRADE);
	if (up && strcasestr(up, EVTUNNEL_PROTO))
		return true;
	http_reply_error(r, 426, "this endpoint needs \"Upgrade: " EVTUNNEL_PROTO "\" (docs/console.md)");
	return false;
}

/* 101 for an edge-view tunnel, or for a browser's WebSocket when
 * ws_accept is set (ws_proto: the subprotocol to confirm, may be NULL). */
static void reply_upgrade_ws(struct http_req *r, struct console_hub *h, enum up_kind kind, size_t idx,
			     uint32_t id, const char *ws_accept, const char *ws_proto)
{
	struct up_ctx *u = calloc(1, sizeof(*u));
	struct MHD_Response *resp = u ? MHD_create_response_for_upgrade(on_upgrade, u) : NULL;
	if (!resp) {
		free(u);
		http_reply_error(r, 500, "cannot upgrade");
		return;
	}
	*u = (struct up_ctx){.h = h, .kind = kind, .idx = idx, .id = id};
	if (!getenv("EVE_CONSOLE_MHD_UPGRADE") && reply_direct(r, h, u, ws_accept, ws_proto)) {
		MHD_destroy_response(resp); /* not used: u belongs to the channel now */
		return;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_UPGRADE, ws_accept ? "websocket" : EVTUNNEL_PROTO);
	if (ws_accept)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SEC_WEBSOCKET_ACCEPT, ws_accept);
	if (ws_proto)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SEC_WEBSOCKET_PROTOCOL, ws_proto);
	http_reply_resp(r, 101, resp);
}

static void reply_upgrade(struct http_req *r, struct console_hub *h, enum up_kind kind, size_t idx,
			  uint32_t id)
{
	reply_upgrade_ws(r, h, kind, idx, id, NULL, NULL);
}

static struct cs_session *session_slot(struct console_hub *h)
{
	struct cs_session *old = NULL;
	for (size_t i = 0; i < CS_MAX_SESSIONS; i++) {
		if (!h->s[i].used)
			return &h->s[i];
		/* reuse the session that ended first, if no channel holds it */
		if (h->s[i].ended && !h->s[i].open && (!old || h->s[i].ended < old->ended))
			old = &h->s[i];
	}
	return old;
}

/* ---- sessions across replicas ------------------------------------------- */

struct rows {
	struct console_store_session *w;
	size_t n;
};

static int row_collect(void *ctx, const struct console_store_session *w)
{
	struct rows *rs = ctx;
	if (rs->n < CS_MAX_SESSIONS)
		rs->w[rs->n++] = *w;
	return 0;
}

/* Take up session w, which another replica created for a device this one
 * holds; the devices whose grant changed go to changed. */
static void adopt(struct console_hub *h, const struct console_store_session *w, struct uuidlist *changed)
{
	char holder[CONSOLE_STORE_ADDR_MAX];
	int64_t now = time(NULL);
	const char *why = NULL;
	bool grown = false;
	struct store *d = store_get(h->ctl->db);
	if (!d)
		return;
	int r = console_store_claim(d, w->device, h->me, now, holder);
	if (r == 1)
		why = "the device's consoles moved to another replica; create the session again";
	if (r == 0) {
		pthread_mutex_lock(&h->mu);
		bool known = session_find(h, w->id) != NULL;
		struct cs_session *s = known ? NULL : session_slot(h);
		if (!known && !s)
			r = -ENOSPC;
		else if (s && (r = grant_ensure(h, w->device, w->expires, &grown)) == 0) {
			session_of_row(w, s);
			s->rev = w->rev + 1;
		}
		pthread_mutex_unlock(&h->mu);
		if (r < 0)
			why = "too many console sessions on its replica";
	}
	if (why)
		(void)console_store_session_end(d, w->id, now, why); /* (void): its expiry ends it too */
	store_put(h->ctl->db, d);
	if (grown)
		(void)uuidlist_add(changed, w->device); /* (void): as in release_device */
}

/* This replica's sessions as the store has them: those another replica
 * created here are taken up, those another one ended end. */
static void cluster_sync(struct console_hub *h, int64_t now)
{
	struct rows rs = {.w = malloc(CS_MAX_SESSIONS * sizeof(*rs.w))};
	struct uuidlist changed = {0};
	struct store *d = rs.w ? store_get(h->ctl->db) : NULL;
	if (!d)
		goto out;
	int r = console_store_sessions(d, h->me, now - 60, CS_MAX_SESSIONS, row_collect, &rs);
	store_put(h->ctl->db, d);
	for (size_t i = 0; r == 0 && i < rs.n; i++) {
		const struct console_store_session *w = &rs.w[i];
		char dev[UUID_STR_LEN] = "";
		pthread_mutex_lock(&h->mu);
		struct cs_session *s = session_find(h, w->id);
		bool take = !s && !w->ended && w->expires > now;
		if (s && w->ended)
			session_end(h, s, w->reason, dev);
		pthread_mutex_unlock(&h->mu);
		if (dev[0])
			(void)uuidlist_add(&changed, dev); /* (void): as in release_device */
		if (take)
			adopt(h, w, &changed);
	}
	for (size_t i = 0; i < changed.n; i++)
		device_changed(h, changed.ids[i]);
out:
	uuidlist_free(&changed);
	free(rs.w);
}

static void cluster_tick(struct console_hub *h, int64_t now)
{
	bool holds = false;
	if (!h->released)
		release(h, "controller restarted");
	sessions_flush(h);
	pthread_mutex_lock(&h->mu);
	for (size_t i = 0; i < CS_MAX_SESSIONS && !holds; i++)
		holds = h->g[i].used;
	pthread_mutex_unlock(&h->mu);
	struct store *d = holds ? store_get(h->ctl->db) : NULL;
	if (d) {
		(void)console_store_alive(d, h->me, now); /* (void): retried in a second */
		store_put(h->ctl->db, d);
	}
	cluster_sync(h, now);
}

void console_tick(struct ctl *c)
{
	struct console_hub *h = c->console;
	char changed[CS_MAX_SESSIONS][UUID_STR_LEN];
	size_t n = 0;
	if (!h)
		return;
	int64_t now = time(NULL);
	pthread_mutex_lock(&h->mu);
	for (size_t i = 0; i < CS_MAX_SESSIONS; i++) {
		changed[n][0] = 0;
		if (session_live(&h->s[i]) && h->s[i].expires <= now) {
			session_end(h, &h->s[i], "expired", changed[n]);
			if (changed[n][0])
				n++;
		}
	}
	for (size_t i = 0; i < CS_MAX_SESSIONS && n < CS_MAX_SESSIONS; i++) {
		if (h->g[i].used && h->g[i].exp <= now) {
			snprintf(changed[n], UUID_STR_LEN, "%s", h->g[i].device);
			if (grant_gc(h, changed[n], now))
				n++;
		}
	}
	pthread_mutex_unlock(&h->mu);
	for (size_t i = 0; i < n; i++)
		device_changed(h, changed[i]);
	if (h->clustered)
		cluster_tick(h, now);
}

/* ---- admin API ----------------------------------------------------------- */

static json_t *session_json(const struct console_hub *h, const struct cs_session *s)
{
	char url[160];
	snprintf(url, sizeof(url), ADMIN_PREFIX "/console-sessions/%s/connect", s->id);
	json_t *j =
	    json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:s}", "id", s->id, "app", s->app, "instance",
		      s->instance, "device", s->device, "kind", kind_names[s->kind], "who", s->who, "created",
		      admin_time_json(s->created), "expires", admin_time_json(s->expires), "connect", url);
	if (!j)
		return NULL;
	if (s->kind == CS_PORT)
		json_object_set_new(j, "port", json_integer(s->port));
	json_object_set_new(j, "state", json_string(s->ended ? "ended" : s->open ? "connected" : "waiting"));
	json_object_set_new(j, "ended", admin_time_json(s->ended));
	if (s->ended)
		json_object_set_new(j, "end_reason", json_string(s->reason));
	json_object_set_new(j, "channels", json_integer(s->channels));
	json_object_set_new(j, "bytes_in", json_integer((json_int_t)s->bytes_in));
	json_object_set_new(j, "bytes_out", json_integer((json_int_t)s->bytes_out));
	if (h->clustered) { /* its channels meet at the replica that holds it */
		char abs[sizeof("https://") + CONSOLE_STORE_ADDR_MAX + sizeof(url)];
		snprintf(abs, sizeof(abs), "https://%s%s", s->dispatcher, url);
		json_object_set_new(j, "dispatcher", json_string(s->dispatcher));
		json_object_set_new(j, "connect_url", json_string(abs));
	}
	return j;
}

struct target {
	char app_id[UUID_STR_LEN], app[128], instance[UUID_STR_LEN], device[UUID_STR_LEN];
	bool opted_out;
};

/* An instance of the app being searched, with its device's row. */
struct cand {
	char id[UUID_STR_LEN], device[UUID_STR_LEN], device_name[129]; /* devices.c: names of 1..128 bytes */
	bool opted_out;
};

struct cands {
	struct cand *v;
	size_t n;
	json_t *devices; /* their ids, for one read of the device rows */
};

static int cand_add(void *ctx, const char *iid, const char *dev)
{
	struct cands *c = ctx;
	void *p = realloc(c->v, (c->n + 1) * sizeof(*c->v));
	if (!p)
		return -ENOMEM;
	c->v = p;
	struct cand *x = &c->v[c->n++];
	memset(x, 0, sizeof(*x));
	snprintf(x->id, sizeof(x->id), "%s", iid);
	snprintf(x->device, sizeof(x->device), "%s", dev);
	return json_array_append_new(c->devices, json_string(dev)) == 0 ? 0 : -ENOMEM;
}

static int cand_device(void *ctx, const struct devices_store_row *row)
{
	struct cands *c = ctx;
	json_t *items = json_loads(row->config_items, 0, NULL);
	const char *allow = json_string_value(json_object_get(items, "edgeview.allow"));
	bool on = true, off = allow && configprop_parse_bool(allow, &on) == 0 && !on;
	json_decref(items);
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].device, row->id)) {
			snprintf(c->v[i].device_name, sizeof(c->v[i].device_name), "%s", row->name);
			c->v[i].opted_out = off;
		}
	return 0;
}

/* The instances of app app_id (by id) with their devices' names and
 * opt-outs: two reads, whatever the number of instances. */
static int cands_read(struct store *d, const char *app_id, struct cands *c)
{
	char *ids = NULL;
	int r = apps_store_each_instance(d, app_id, cand_add, c);
	if (r == 0 && c->n) {
		ids = json_dumps(c->devices, JSON_COMPACT);
		r = ids ? devices_store_each_of(d, ids, cand_device, c) : -ENOMEM;
	}
	free(ids);
	return r;
}

/* The app's instance named by ref (instance id, device name or id), or
 * its only one. -ENOENT (no app), -ENXIO (no instance), -EMLINK (several:
 * the caller must choose). */
static int find_target(struct store *d, const char *app, const char *ref, struct target *t)
{
	struct apps_store_app a;
	struct cands c = {.devices = json_array()};
	int r = apps_store_find(d, app, &a), n = 0;
	if (r == 0)
		r = c.devices ? cands_read(d, a.id, &c) : -ENOMEM;
	for (size_t i = 0; r == 0 && i < c.n; i++) {
		const struct cand *x = &c.v[i];
		if (ref && strcmp(ref, x->id) && strcmp(ref, x->device) && strcmp(ref, x->device_name))
			continue;
		if (n++)
			continue;
		snprintf(t->app_id, sizeof(t->app_id), "%s", a.id);
		snprintf(t->app, sizeof(t->app), "%.*s", (int)sizeof(t->app) - 1, a.name);
		snprintf(t->instance, sizeof(t->instance), "%s", x->id);
		snprintf(t->device, sizeof(t->device), "%s", x->device);
		t->opted_out = x->opted_out;
	}
	free(c.v);
	json_decref(c.devices);
	if (r < 0)
		return r;
	return n == 1 ? 0 : n > 1 ? -EMLINK : -ENXIO;
}

/* This replica's session id (authz: of a project the caller is granted;
 * others are not there); relay copies are not this replica's. */
static struct cs_session *own_session(struct console_hub *h, struct http_req *r, const char *id, bool authz)
{
	struct cs_session *s = session_find(h, id);
	return s && !s->relay && (!authz || authz_project_granted(&r->who, s->project)) ? s : NULL;
}

static struct cs_session *session_visible(struct console_hub *h, struct http_req *r, const char *id)
{
	return own_session(h, r, id, true);
}

struct create_req {
	enum cs_kind kind;
	int port;
	int64_t ttl;
	const char *instance;
};

static int parse_create(struct http_req *r, json_t *b, struct create_req *q)
{
	bool bad = false;
	const char *kind = admin_str(b, "kind", &bad);
	q->instance = admin_str(b, "instance", &bad);
	json_t *port = json_object_get(b, "port"), *ttl = json_object_get(b, "ttl");
	q->kind = kind ? (enum cs_kind)kind_of(kind) : CS_CONSOLE;
	if (bad || (kind && strcmp(kind, kind_names[q->kind]))) {
		http_reply_error(r, 400, "kind: one of console, vnc, port");
		return -EINVAL;
	}
	q->port = port ? (int)json_integer_value(port) : 0;
	if (q->kind == CS_PORT && (!json_is_integer(port) || q->port < 1 || q->port > 65535)) {
		http_reply_error(r, 400, "port: the app's TCP port (1..65535) is required for kind port");
		return -EINVAL;
	}
	if (q->kind != CS_PORT && port) {
		http_reply_error(r, 400, "port: only for kind port");
		return -EINVAL;
	}
	q->ttl = ttl ? json_integer_value(ttl) : CS_TTL_DEFAULT;
	if (ttl && (!json_is_integer(ttl) || q->ttl < 1 || q->ttl > CS_TTL_MAX)) {
		http_reply_error(r, 400, "ttl: seconds, 1..%d", CS_TTL_MAX);
		return -EINVAL;
	}
	return 0;
}

static void target_error(struct http_req *r, int e, const char *app, const char *inst)
{
	if (e == -ENOENT)
		http_reply_error(r, 404, "no app %s", app);
	else if (e == -ENXIO)
		http_reply_error(r, 404, inst ? "app %s has no instance %s" : "app %s runs on no device", app,
				 inst ? inst : "");
	else if (e == -EMLINK)
		http_reply_error(r, 409,
				 "app %s runs on several devices: name one with \"instance\" (an "
				 "instance id or a device)",
				 app);
	else
		admin_reply_err(r, e, "app");
}

/* Claim dev's sessions for this replica (clustered store): 0 when it
 * holds them, 1 when the replica at holder does, or -errno (replied). */
static int claim(struct http_req *r, struct console_hub *h, const char *dev, int64_t now,
		 char holder[CONSOLE_STORE_ADDR_MAX])
{
	struct store *d = store_get(r->ctl->db);
	int e = d ? console_store_claim(d, dev, h->me, now, holder) : -EIO;
	if (d)
		store_put(r->ctl->db, d);
	if (e < 0)
		admin_reply_err(r, e, "console session");
	return e;
}

/* The session for the replica that holds the device's sessions: written
 * to the store, where that replica takes it up within a second. */
static void create_for(struct http_req *r, struct console_hub *h, const struct target *t,
		       const struct create_req *q, const char *holder, const char *project, const char *who)
{
	struct console_store_session w = {.token_id = (long long)r->token_id, .port = q->port, .rev = 1};
	struct cs_session s;
	uuidgen_v4(w.id);
	snprintf(w.dispatcher, sizeof(w.dispatcher), "%s", holder);
	snprintf(w.app, sizeof(w.app), "%s", t->app);
	snprintf(w.instance, sizeof(w.instance), "%s", t->instance);
	snprintf(w.device, sizeof(w.device), "%s", t->device);
	snprintf(w.project, sizeof(w.project), "%s", project);
	snprintf(w.who, sizeof(w.who), "%s", who);
	snprintf(w.kind, sizeof(w.kind), "%s", kind_names[q->kind]);
	w.created = time(NULL);
	w.expires = w.created + q->ttl;
	struct store *d = store_get(r->ctl->db);
	int e = d ? console_store_session_put(d, &w) : -EIO;
	if (d)
		store_put(r->ctl->db, d);
	if (e < 0) {
		admin_reply_err(r, e, "console session");
		return;
	}
	session_of_row(&w, &s);
	http_reply_json(r, 201, session_json(h, &s));
}

static void h_create(struct http_req *r)
{
	struct console_hub *h = r->ctl->console;
	struct create_req q;
	struct target t;
	char who[128];
	json_t *b = admin_body(r);
	if (!b)
		return;
	if (parse_create(r, b, &q) < 0)
		goto out;
	struct store *d = store_get(r->ctl->db);
	char project[DEVICES_PROJECT_LEN] = "";
	int e = find_target(d, r->params[0], q.instance, &t);
	if (e == 0)
		(void)devices_store_project(d, t.device, project); /* else "": admins only */
	store_put(r->ctl->db, d);
	access_who(r, who, sizeof(who));
	if (e < 0) {
		target_error(r, e, r->params[0], q.instance);
		goto out;
	}
	if (t.opted_out) {
		http_reply_error(r, 403,
				 "device %s opted out of remote consoles (config item edgeview.allow=false)",
				 t.device);
		goto out;
	}
	bool changed = false;
	int64_t now = time(NULL);
	char holder[CONSOLE_STORE_ADDR_MAX];
	if (h->clustered && (e = claim(r, h, t.device, now, holder)) != 0) {
		if (e == 1)
			create_for(r, h, &t, &q, holder, project, who);
		goto out;
	}
	pthread_mutex_lock(&h->mu);
	struct cs_session *s = session_slot(h);
	e = s ? grant_ensure(h, t.device, now + q.ttl, &changed) : -ENOSPC;
	if (e == 0) {
		memset(s, 0, sizeof(*s));
		s->used = true;
		s->rev = 1;
		uuidgen_v4(s->id);
		snprintf(s->dispatcher, sizeof(s->dispatcher), "%s", h->me);
		snprintf(s->app, sizeof(s->app), "%s", t.app);
		snprintf(s->instance, sizeof(s->instance), "%s", t.instance);
		snprintf(s->device, sizeof(s->device), "%s", t.device);
		snprintf(s->who, sizeof(s->who), "%s", who);
		snprintf(s->project, sizeof(s->project), "%s", project);
		s->token_id = (long long)r->token_id;
		s->kind = q.kind;
		s->port = q.port;
		s->created = now;
		s->expires = now + q.ttl;
		http_reply_json(r, 201, session_json(h, s));
	}
	pthread_mutex_unlock(&h->mu);
	if (e == -ENOSPC)
		http_reply_error(r, 503, "too many console sessions; try again later");
	else if (e < 0)
		admin_reply_err(r, e, "console session");
	if (e == 0 && h->clustered)
		sessions_flush(h); /* before the 201 leaves: every replica knows it */
	if (changed)
		device_changed(h, t.device);
out:
	json_decref(b);
}

/* A session as this replica knows it (its own: live counts), else as the
 * store has it (clustered), as JSON; NULL when the caller may not see it. */
static json_t *session_json_of(struct http_req *r, struct console_hub *h,
			       const struct console_store_session *w)
{
	struct cs_session tmp;
	json_t *j = NULL;
	if (w && !authz_project_granted(&r->who, w->project))
		return NULL;
	pthread_mutex_lock(&h->mu);
	const struct cs_session *s = w ? session_find(h, w->id) : session_visible(h, r, r->params[0]);
	if (s && s->relay)
		s = NULL;
	if (!s && w) {
		session_of_row(w, &tmp);
		s = &tmp;
	}
	if (s)
		j = session_json(h, s);
	pthread_mutex_unlock(&h->mu);
	return j;
}

/* The store's row of session id, if the caller may see it (authz) or
 * holds a ticket for it: 0 or -ENOENT. */
static int stored_session(struct http_req *r, struct console_hub *h, const char *id, bool authz,
			  struct console_store_session *w)
{
	struct store *d = h->clustered ? store_get(r->ctl->db) : NULL;
	int e = d ? console_store_session_get(d, id, w) : -ENOENT;
	if (d)
		store_put(r->ctl->db, d);
	return e == 0 && (!authz || authz_project_granted(&r->who, w->project)) ? 0 : -ENOENT;
}

struct list_ctx {
	struct http_req *r;
	struct console_hub *h;
	json_t *items;
};

static int list_row(void *ctx, const struct console_store_session *w)
{
	struct list_ctx *l = ctx;
	json_t *j = session_json_of(l->r, l->h, w);
	return j ? json_array_append_new(l->items, j) : 0;
}

static void h_list(struct http_req *r)
{
	struct console_hub *h = r->ctl->console;
	struct list_ctx l = {r, h, json_array()};
	if (h->clustered) { /* every replica's */
		struct store *d = store_get(r->ctl->db);
		int e = d ? console_store_sessions(d, NULL, 0, CS_MAX_SESSIONS, list_row, &l) : -EIO;
		if (d)
			store_put(r->ctl->db, d);
		if (e < 0) {
			json_decref(l.items);
			admin_reply_err(r, e, "console sessions");
			return;
		}
	} else {
		pthread_mutex_lock(&h->mu);
		for (size_t i = 0; i < CS_MAX_SESSIONS; i++)
			if (h->s[i].used && authz_project_granted(&r->who, h->s[i].project))
				json_array_append_new(l.items, session_json(h, &h->s[i]));
		pthread_mutex_unlock(&h->mu);
	}
	http_reply_json(r, 200, json_pack("{s:o}", "items", l.items));
}

static void h_get(struct http_req *r)
{
	struct console_hub *h = r->ctl->console;
	struct console_store_session w;
	json_t *j = session_json_of(r, h, NULL);
	if (!j && stored_session(r, h, r->params[0], true, &w) == 0)
		j = session_json_of(r, h, &w);
	if (j)
		http_reply_json(r, 200, j);
	else
		http_reply_error(r, 404, "no console session %s", r->params[0]);
}

/* DELETE of a session another replica holds: ended in the store, where
 * its replica finds it within a second and closes its channels. */
static void delete_stored(struct http_req *r, struct console_hub *h)
{
	struct console_store_session w;
	int e = stored_session(r, h, r->params[0], true, &w);
	struct store *d = e == 0 ? store_get(r->ctl->db) : NULL;
	if (d) {
		e = console_store_session_end(d, w.id, time(NULL), "closed by the operator");
		if (e >= 0)
			e = console_store_session_get(d, w.id, &w);
		store_put(r->ctl->db, d);
	}
	json_t *j = e == 0 ? session_json_of(r, h, &w) : NULL;
	if (j)
		http_reply_json(r, 200, j);
	else if (e == -ENOENT || e == 0)
		http_reply_error(r, 404, "no console session %s", r->params[0]);
	else
		admin_reply_err(r, e, "console session");
}

static void h_delete(struct http_req *r)
{
	struct console_hub *h = r->ctl->console;
	char changed[UUID_STR_LEN] = "";
	pthread_mutex_lock(&h->mu);
	struct cs_session *s = session_visible(h, r, r->params[0]);
	if (s) {
		session_end(h, s, "closed by the operator", changed);
		http_reply_json(r, 200, session_json(h, s));
	}
	pthread_mutex_unlock(&h->mu);
	if (!s) {
		delete_stored(r, h);
		return;
	}
	if (h->clustered)
		sessions_flush(h);
	device_changed(h, changed);
}

/* The relay copy of w (h->mu held): refreshed from the store while no
 * channel uses it, or in a slot of its own. NULL when none is free. */
static struct cs_session *relay_copy(struct console_hub *h, const struct console_store_session *w)
{
	struct cs_session *s = session_find(h, w->id);
	if (s && s->open) {
		s->expires = w->expires;
		return s;
	}
	if (!s && !(s = session_slot(h)))
		return NULL;
	session_of_row(w, s);
	s->relay = true;
	s->recorded = true; /* its holder records it */
	return s;
}

/* Session id for a channel, with h->mu held: this replica's, or (on a
 * clustered store) one another replica created for it, or a relay copy
 * of one another replica holds. NULL (h->mu not held) after the reply. */
static struct cs_session *session_here(struct http_req *r, struct console_hub *h, const char *id, bool authz)
{
	struct console_store_session w;
	pthread_mutex_lock(&h->mu);
	struct cs_session *s = own_session(h, r, id, authz);
	if (s)
		return s;
	pthread_mutex_unlock(&h->mu);
	if (stored_session(r, h, id, authz, &w) < 0) {
		http_reply_error(r, 404, "no console session %s", id);
		return NULL;
	}
	if (w.ended || w.expires <= time(NULL)) {
		http_reply_error(r, 410, "console session %s has ended (%s)", w.id,
				 w.ended ? w.reason : "expired");
		return NULL;
	}
	bool mine = !strcmp(w.dispatcher, h->me);
	if (mine)
		cluster_sync(h, time(NULL)); /* take it up now */
	pthread_mutex_lock(&h->mu);
	s = mine ? own_session(h, r, id, authz) : relay_copy(h, &w);
	if (s)
		return s;
	pthread_mutex_unlock(&h->mu);
	http_reply_error(r, 503, "console session %s could not be taken up here; try again", id);
	return NULL;
}

/* Attach an operator connection to s (h->mu held): a new channel and the
 * 101, or an error reply. */
static void chan_attach(struct http_req *r, struct console_hub *h, struct cs_session *s,
			const char *ws_accept, const char *ws_proto)
{
	size_t ci = CS_MAX_CHANNELS;
	for (size_t i = 0; i < CS_MAX_CHANNELS && ci == CS_MAX_CHANNELS; i++)
		if (!h->ch[i].used)
			ci = i;
	if (s->ended || s->expires <= time(NULL)) {
		http_reply_error(r, 410, "console session %s has ended (%s)", s->id,
				 s->ended ? s->reason : "expired");
		return;
	}
	if (s->kind == CS_CONSOLE && s->open) {
		http_reply_error(r, 409, "the console of %s is already attached by another session", s->app);
		return;
	}
	if (ci == CS_MAX_CHANNELS) {
		http_reply_error(r, 503, "too many console connections; try again later");
		return;
	}
	struct cs_chan *c = &h->ch[ci];
	memset(c, 0, sizeof(*c));
	c->used = true;
	c->id = h->next_chan++;
	c->sess = (int)(s - h->s);
	c->op.fd = c->dev.fd = c->op.raw = c->dev.raw = -1;
	c->ws = ws_accept != NULL;
	wsframe_parser_init(&c->wp);
	snprintf(c->device, sizeof(c->device), "%s", s->device);
	s->open++;
	s->channels++;
	s->rev++;
	reply_upgrade_ws(r, h, UP_OPERATOR, ci, c->id, ws_accept, ws_proto);
	if (r->status != 101) {
		c->used = false;
		s->open--;
	}
}

static void h_connect(struct http_req *r)
{
	struct console_hub *h = r->ctl->console;
	if (!wants_upgrade(r))
		return;
	struct cs_session *s = session_here(r, h, r->params[0], true);
	if (!s)
		return;
	chan_attach(r, h, s, NULL, NULL);
	pthread_mutex_unlock(&h->mu);
}

/* ---- browsers (WebSocket) ------------------------------------------------ */

/* A ticket for session s (h->mu held) in out: in memory, or on a
 * clustered store in the store (the WebSocket may reach another replica). */
static int ticket_new(struct http_req *r, struct console_hub *h, struct cs_session *s, int64_t exp,
		      char out[CS_TICKET_HEX + 1])
{
	uint8_t rnd[CS_TICKET_HEX / 2], hash[32];
	struct cs_ticket *t = NULL;
	for (size_t i = 0; !h->clustered && i < CS_TICKETS && !t; i++)
		if (!h->tk[i].t[0] || h->tk[i].exp <= time(NULL))
			t = &h->tk[i];
	if ((!t && !h->clustered) || RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -ENOSPC;
	hexstr_encode(rnd, sizeof(rnd), out);
	if (t) {
		snprintf(t->t, sizeof(t->t), "%s", out);
		snprintf(t->sess, sizeof(t->sess), "%s", s->id);
		t->exp = exp;
		return 0;
	}
	struct store *d = store_get(r->ctl->db);
	int e = d ? crypto_sha256(out, CS_TICKET_HEX, hash) : -EIO;
	if (e == 0)
		e = console_store_ticket_put(d, hash, s->id, exp);
	if (d)
		store_put(r->ctl->db, d);
	return e;
}

static void h_ticket(struct http_req *r)
{
	struct console_hub *h = r->ctl->console;
	char tk[CS_TICKET_HEX + 1], url[128];
	int64_t now = time(NULL);
	struct cs_session *s = session_here(r, h, r->params[0], true);
	if (!s)
		return;
	int e = s->ended || s->expires <= now ? -ETIMEDOUT : ticket_new(r, h, s, now + CS_TICKET_TTL, tk);
	if (e == -ETIMEDOUT)
		http_reply_error(r, 410, "console session %s has ended (%s)", s->id,
				 s->ended ? s->reason : "expired");
	else if (e == -ENOSPC)
		http_reply_error(r, 503, "too many console tickets; try again later");
	else if (e < 0)
		admin_reply_err(r, e, "console ticket");
	else {
		snprintf(url, sizeof(url), "/edgeview/v1/ws/%s", tk);
		http_reply_json(r, 201,
				json_pack("{s:s,s:s,s:o}", "ticket", tk, "url", url, "expires",
					  admin_time_json(now + CS_TICKET_TTL)));
	}
	pthread_mutex_unlock(&h->mu);
}

/* The ticket's session id into sess, the ticket used up: 0 or -ENOENT. */
static int ticket_take(struct http_req *r, struct console_hub *h, const char *ticket, char sess[UUID_STR_LEN])
{
	int64_t now = time(NULL);
	uint8_t hash[32];
	int e = -ENOENT;
	if (strlen(ticket) != CS_TICKET_HEX)
		return e;
	if (h->clustered) {
		struct store *d = store_get(r->ctl->db);
		if (d && crypto_sha256(ticket, CS_TICKET_HEX, hash) == 0)
			e = console_store_ticket_take(d, hash, now, sess) == 0 ? 0 : -ENOENT;
		if (d)
			store_put(r->ctl->db, d);
		return e;
	}
	pthread_mutex_lock(&h->mu);
	for (size_t i = 0; i < CS_TICKETS && e; i++) {
		struct cs_ticket *t = &h->tk[i];
		if (!t->t[0] || CRYPTO_memcmp(t->t, ticket, CS_TICKET_HEX))
			continue;
		if (t->exp > now) {
			snprintf(sess, UUID_STR_LEN, "%s", t->sess);
			e = 0;
		}
		memset(t, 0, sizeof(*t));
		break;
	}
	pthread_mutex_unlock(&h->mu);
	return e;
}

static void h_ws(struct http_req *r)
{
	struct console_hub *h = r->ctl->console;
	const char *up = http_header(r, MHD_HTTP_HEADER_UPGRADE);
	const char *ver = http_header(r, MHD_HTTP_HEADER_SEC_WEBSOCKET_VERSION);
	const char *proto = http_header(r, MHD_HTTP_HEADER_SEC_WEBSOCKET_PROTOCOL);
	char accept[WSFRAME_ACCEPT_LEN];
	if (!up || !strcasestr(up, "websocket")) {
		http_reply_error(r, 426, "this endpoint needs a WebSocket (\"Upgrade: websocket\")");
		return;
	}
	if (!ver || strcmp(ver, "13")) {
		http_reply_error(r, 426, "WebSocket version 13 only");
		return;
	}
	if (wsframe_accept(http_header(r, MHD_HTTP_HEADER_SEC_WEBSOCKET_KEY), accept) < 0) {
		http_reply_error(r, 400, "bad Sec-WebSocket-Key");
		return;
	}
	char sess[UUID_STR_LEN];
	if (ticket_take(r, h, r->params[0], sess) < 0) {
		http_reply_error(r, 401, "unknown, used or expired console ticket");
		return;
	}
	struct cs_session *s = session_here(r, h, sess, false); /* the ticket is the caller's grant */
	if (!s)
		return;
	chan_attach(r, h, s, accept, proto && strstr(proto, "binary") ? "binary" : NULL);
	pthread_mutex_unlock(&h->mu);
}

/* A channel another replica relays to this one (relay_connect): its token
 * is signed with the key every replica shares, for this session here. */
static void h_relay(struct http_req *r)
{
	struct console_hub *h = r->ctl->console;
	const char *a = http_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
	struct evjwt_claims cl;
	if (!wants_upgrade(r))
		return;
	if (!a || strncasecmp(a, "Bearer ", 7) || evjwt_verify(a + 7, h->pub, &cl) < 0 ||
	    strncmp(cl.key, CS_RELAY_KEY, strlen(CS_RELAY_KEY)) || strcmp(cl.sub, r->params[0]) ||
	    strcmp(cl.dep, h->me) || cl.exp <= time(NULL)) {
		http_reply_error(r, 401, "bad relay token");
		return;
	}
	struct cs_session *s = session_here(r, h, r->params[0], false);
	if (!s)
		return;
	if (s->relay) /* not held here either: no relay of a relay */
		http_reply_error(r, 421, "console session %s is not held by this replica", s->id);
	else
		chan_attach(r, h, s, NULL, NULL);
	pthread_mutex_unlock(&h->mu);
}

/* ---- device side --------------------------------------------------------- */

static void h_device_ctl(struct http_req *r)
{
	struct console_hub *h = r->ctl->console;
	const char *why;
	if (!wants_upgrade(r))
		return;
	pthread_mutex_lock(&h->mu);
	struct cs_grant *g = grant_by_token(h, r, &why);
	if (!g) {
		http_reply_error(r, 401, "%s", why);
	} else {
		snprintf(r->device, sizeof(r->device), "%s", g->device);
		g->ctl_gen = ++h->next_ctl ? h->next_ctl : ++h->next_ctl; /* never 0 */
		reply_upgrade(r, h, UP_DEVICE_CTL, (size_t)(g - h->g), g->ctl_gen);
	}
	pthread_mutex_unlock(&h->mu);
}

static void h_device_chan(struct http_req *r)
{
	struct console_hub *h = r->ctl->console;
	const char *why;
	char *end;
	unsigned long id = strtoul(r->params[0], &end, 10);
	if (!wants_upgrade(r))
		return;
	pthread_mutex_lock(&h->mu);
	struct cs_grant *g = grant_by_token(h, r, &why);
	size_t ci = CS_MAX_CHANNELS;
	for (size_t i = 0; g && !*end && i < CS_MAX_CHANNELS; i++)
		if (h->ch[i].used && h->ch[i].id == id && !strcmp(h->ch[i].device, g->device) &&
		    !h->ch[i].dev_ready)
			ci = i;
	if (!g)
		http_reply_error(r, 401, "%s", why);
	else if (ci == CS_MAX_CHANNELS)
		http_reply_error(r, 404, "no channel %s waiting for this device", r->params[0]);
	else {
		snprintf(r->device, sizeof(r->device), "%s", g->device);
		reply_upgrade(r, h, UP_DEVICE_CHAN, ci, h->ch[ci].id);
	}
	pthread_mutex_unlock(&h->mu);
}

const struct http_route console_routes[] = {
    {"POST", ADMIN_PREFIX "/apps/*/console-sessions", h_create, ADMIN_JSON_CAP, HTTP_AUTH_ADMIN, NULL},
    {"GET", ADMIN_PREFIX "/console-sessions", h_list, 0, HTTP_AUTH_ADMIN, NULL},
    {"GET", ADMIN_PREFIX "/console-sessions/*", h_get, 0, HTTP_AUTH_ADMIN, NULL},
    {"DELETE", ADMIN_PREFIX "/console-sessions/*", h_delete, 0, HTTP_AUTH_ADMIN, NULL},
    {"GET", ADMIN_PREFIX "/console-sessions/*/connect", h_connect, 0, HTTP_AUTH_ADMIN, NULL},
    {"POST", ADMIN_PREFIX "/console-sessions/*/ticket", h_ticket, 0, HTTP_AUTH_ADMIN, NULL},
    {"GET", "/edgeview/v1/ws/*", h_ws, 0, HTTP_AUTH_NONE, NULL},
    {"GET", "/edgeview/v1/device", h_device_ctl, 0, HTTP_AUTH_NONE, NULL},
    {"GET", "/edgeview/v1/device/chan/*", h_device_chan, 0, HTTP_AUTH_NONE, NULL},
    {"GET", "/edgeview/v1/relay/*", h_relay, 0, HTTP_AUTH_NONE, NULL},
    {NULL, NULL, NULL, 0, HTTP_AUTH_NONE, NULL},
};
