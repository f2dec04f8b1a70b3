// SPDX-License-Identifier: Apache-2.0
/* Edge-view tunnels of the device (edgeview.h). */
#include "edgeview.h"

#include <errno.h>
#include <stdint.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "agentlog.h"
#include "evjwt.h"
#include "evproof.h"
#include "evtunnel.h"

#define EV_RETRY_S 3
#define EV_URL_MAX 400
#define EV_MAX_CHANNELS 64

struct edgeview {
	struct appruntime *rt;
	char *ca_path;
	const struct eve_signer *signer;      /* device key (proofs) */
	const struct download_router *router; /* the tunnels' routes (ports, proxies) */
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	volatile bool stop;
	bool started;
	char *token;                            /* current valid token, or NULL */
	struct evjwt_claims cl;                 /* its claims */
	unsigned gen;                           /* bumped when the token changes */
	unsigned channels;                      /* channel threads running */
	struct chan_job *jobs[EV_MAX_CHANNELS]; /* their jobs (to stop them) */
	char last_err[256];                     /* last control tunnel error (logged once) */
};

struct chan_job {
	struct edgeview *ev;
	char token[EVJWT_MAX + 1];
	struct evjwt_claims cl;
	unsigned id;
	char kind[16];
	char instance[64];
	int port;
	volatile bool stop; /* the dispatcher closed it, or the grant went away */
};

/* Stop channel id (0: every channel). ev->mu held. */
static void stop_channels(struct edgeview *ev, unsigned id)
{
	for (size_t i = 0; i < EV_MAX_CHANNELS; i++)
		if (ev->jobs[i] && (!id || ev->jobs[i]->id == id))
			ev->jobs[i]->stop = true;
}

static void url_of(const struct evjwt_claims *cl, const char *path, char *out, size_t cap)
{
	snprintf(out, cap, "https://%s%s", cl->dep, path);
}

static struct evtunnel *tunnel_open(struct edgeview *ev, const char *token, const struct evjwt_claims *cl,
				    const char *path, char *err, size_t errlen)
{
	char url[EV_URL_MAX], auth[EVJWT_MAX + 32], proof[EVPROOF_MAX + 32], pv[EVPROOF_MAX];
	struct evtunnel *t = NULL;
	url_of(cl, path, url, sizeof(url));
	int r = evproof_make(ev->signer->sign, ev->signer->ctx, ev->signer->cert_hash, path, cl->key,
			     time(NULL), pv, sizeof(pv));
	if (r < 0) {
		snprintf(err, errlen, "cannot sign the device proof: %s", strerror(-r));
		return NULL;
	}
	snprintf(proof, sizeof(proof), EVPROOF_HEADER ": %s", pv);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	const char *hdrs[] = {auth, proof, "User-Agent: eve-agent edgeview", NULL};
	r = evtunnel_open_routed(url, ev->ca_path, hdrs, ev->router, &t, err, errlen);
	OPENSSL_cleanse(auth, sizeof(auth));
	return r < 0 ? NULL : t;
}

/* TCP connection to host:port within a few seconds; -errno. */
static int tcp_connect(const char *host, int port, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
	char ps[16];
	snprintf(ps, sizeof(ps), "%d", port);
	int r = getaddrinfo(host, ps, &hints, &ai);
	if (r) {
		snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(r));
		return -EHOSTUNREACH;
	}
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot connect to %s:%d: %s", host, port, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = r;
	}
	freeaddrinfo(ai);
	return fd;
}

/* The local end of a channel: a console pty or a TCP socket. */
static int chan_target(struct chan_job *j, bool *console, char *err, size_t errlen)
{
	struct appruntime *rt = j->ev->rt;
	char host[64];
	int fd = -1, port = 0, r;
	*console = !strcmp(j->kind, "console");
	if (*console) {
		r = appruntime_console_open(rt, j->instance, &fd, err, errlen);
		return r < 0 ? r : fd;
	}
	bool vnc = !strcmp(j->kind, "vnc");
	if (!vnc && strcmp(j->kind, "port")) {
		snprintf(err, errlen, "unknown channel kind %s", j->kind);
		return -EINVAL;
	}
	r = appruntime_app_endpoint(rt, j->instance, vnc, j->port, host, &port, err, errlen);
	return r < 0 ? r : tcp_connect(host, port, err, errlen);
}

static void *chan_run(void *arg)
{
	struct chan_job *j = arg;
	struct edgeview *ev = j->ev;
	char path[64], err[256] = "", line[EVTUNNEL_LINE_MAX];
	bool console = false;
	uint64_t in = 0, out = 0;
	snprintf(path, sizeof(path), "/edgeview/v1/device/chan/%u", j->id);
	struct evtunnel *t = tunnel_open(ev, j->token, &j->cl, path, err, sizeof(err));
	if (!t) {
		alog(ALOG_WARN, "edgeview: channel %u: %s", j->id, err);
		goto out;
	}
	int fd = chan_target(j, &console, err, sizeof(err));
	if (fd < 0) {
		snprintf(line, sizeof(line), "ERR %.400s\n", err);
		evtunnel_send(t, line, strlen(line));
		alog(ALOG_WARN, "edgeview: channel %u (%s of %s) refused: %s", j->id, j->kind, j->instance,
		     err);
		goto out;
	}
	alog(ALOG_INFO, "edgeview: channel %u open: %s of app %s", j->id, j->kind, j->instance);
	int r = evtunnel_send(t, "OK\n", 3);
	if (r == 0)
		r = evtunnel_bridge(t, fd, fd, j->cl.exp, NULL, NULL, &j->stop, &in, &out);
	alog(ALOG_INFO, "edgeview: channel %u closed (%s; %llu bytes in, %llu out)", j->id,
	     r == 1            ? "dispatcher left"
	     : r == -ETIMEDOUT ? "token expired"
	     : j->stop         ? "closed by the dispatcher"
	     : r == 0          ? "app side closed"
			       : "error",
	     (unsigned long long)in, (unsigned long long)out);
	close(fd);
	if (console)
		appruntime_console_release(ev->rt, j->instance);
out:
	evtunnel_close(t);
	OPENSSL_cleanse(j->token, sizeof(j->token));
	pthread_mutex_lock(&ev->mu);
	for (size_t i = 0; i < EV_MAX_CHANNELS; i++)
		if (ev->jobs[i] == j)
			ev->jobs[i] = NULL;
	ev->channels--;
	pthread_cond_broadcast(&ev->cv);
	pthread_mutex_unlock(&ev->mu);
	free(j);
	return NULL;
}

/* "OPEN <id> <kind> <instance> <port>" from the dispatcher. */
static void on_line(struct edgeview *ev, const char *token, const struct evjwt_claims *cl, const char *line)
{
	unsigned id;
	if (sscanf(line, "CLOSE %u", &id) == 1) {
		pthread_mutex_lock(&ev->mu);
		stop_channels(ev, id ? id : UINT32_MAX);
		pthread_mutex_unlock(&ev->mu);
		return;
	}
	struct chan_job *j = calloc(1, sizeof(*j));
	if (!j)
		return;
	if (sscanf(line, "OPEN %u %15s %63s %d", &j->id, j->kind, j->instance, &j->port) != 4) {
		alog(ALOG_WARN, "edgeview: unknown request from the dispatcher");
		free(j);
		return;
	}
	j->ev = ev;
	j->cl = *cl;
	snprintf(j->token, sizeof(j->token), "%s", token);
	pthread_attr_t at;
	pthread_t t;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_mutex_lock(&ev->mu);
	size_t slot = EV_MAX_CHANNELS;
	for (size_t i = 0; i < EV_MAX_CHANNELS && slot == EV_MAX_CHANNELS; i++)
		if (!ev->jobs[i])
			slot = i;
	if (slot == EV_MAX_CHANNELS) {
		alog(ALOG_WARN, "edgeview: too many channels, refusing channel %u", j->id);
		free(j);
	} else {
		ev->jobs[slot] = j;
		ev->channels++;
		if (pthread_create(&t, &at, chan_run, j)) {
			ev->jobs[slot] = NULL;
			ev->channels--;
			free(j);
		}
	}
	pthread_mutex_unlock(&ev->mu);
	pthread_attr_destroy(&at);
}

/* True while gen is current and the token unexpired. */
static bool still_valid(struct edgeview *ev, unsigned gen)
{
	pthread_mutex_lock(&ev->mu);
	bool ok = !ev->stop && ev->gen == gen && ev->token && ev->cl.exp > time(NULL);
	pthread_mutex_unlock(&ev->mu);
	return ok;
}

/* One control tunnel, until it ends or the token changes. */
static void control(struct edgeview *ev, const char *token, const struct evjwt_claims *cl, unsigned gen)
{
	char err[256], line[EVTUNNEL_LINE_MAX];
	struct evtunnel *t = tunnel_open(ev, token, cl, "/edgeview/v1/device", err, sizeof(err));
	if (!t) {
		if (strcmp(err, ev->last_err))
			alog(ALOG_WARN, "edgeview: cannot reach the dispatcher %s: %s", cl->dep, err);
		snprintf(ev->last_err, sizeof(ev->last_err), "%s", err);
		return;
	}
	ev->last_err[0] = 0;
	alog(ALOG_INFO, "edgeview: connected to the dispatcher %s", cl->dep);
	for (;;) {
		if (!still_valid(ev, gen))
			break;
		int r = evtunnel_readline(t, line, sizeof(line), 500);
		if (r == -ETIMEDOUT)
			continue;
		if (r < 0)
			break;
		on_line(ev, token, cl, line);
	}
	alog(ALOG_INFO, "edgeview: disconnected from the dispatcher");
	evtunnel_close(t);
}

static void *main_run(void *arg)
{
	struct edgeview *ev = arg;
	char token[EVJWT_MAX + 1];
	struct evjwt_claims cl;
	pthread_mutex_lock(&ev->mu);
	while (!ev->stop) {
		if (!ev->token || ev->cl.exp <= time(NULL)) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&ev->cv, &ev->mu, &ts);
			continue;
		}
		unsigned gen = ev->gen;
		snprintf(token, sizeof(token), "%s", ev->token);
		cl = ev->cl;
		pthread_mutex_unlock(&ev->mu);
		control(ev, token, &cl, gen);
		OPENSSL_cleanse(token, sizeof(token));
		pthread_mutex_lock(&ev->mu);
		if (!ev->stop && ev->gen == gen && ev->token) {
			struct timespec ts; /* the tunnel failed: retry later */
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += EV_RETRY_S;
			pthread_cond_timedwait(&ev->cv, &ev->mu, &ts);
		}
	}
	pthread_mutex_unlock(&ev->mu);
	return NULL;
}

int edgeview_new(struct appruntime *rt, const char *ca_path, const struct eve_signer *signer,
		 const struct download_router *router, struct edgeview **out)
{
	struct edgeview *ev = signer && signer->sign ? calloc(1, sizeof(*ev)) : NULL;
	if (!ev)
		return signer && signer->sign ? -ENOMEM : -EINVAL;
	ev->rt = rt;
	ev->signer = signer;
	ev->router = router;
	ev->ca_path = ca_path ? strdup(ca_path) : NULL;
	pthread_mutex_init(&ev->mu, NULL);
	pthread_cond_init(&ev->cv, NULL);
	if (pthread_create(&ev->th, NULL, main_run, ev)) {
		edgeview_free(ev);
		return -EAGAIN;
	}
	ev->started = true;
	*out = ev;
	return 0;
}

static void clear_token(struct edgeview *ev)
{
	if (ev->token) {
		OPENSSL_cleanse(ev->token, strlen(ev->token));
		free(ev->token);
	}
	ev->token = NULL;
}

void edgeview_apply(struct edgeview *ev, const Org__Lfedge__Eve__Config__EdgeViewConfig *cfg, bool allowed,
		    const char *dev_uuid)
{
	const char *tok = cfg && cfg->token && cfg->token[0] ? cfg->token : NULL;
	struct evjwt_claims cl;
	const char *why = NULL;
	if (!ev)
		return;
	if (tok && evjwt_parse(tok, &cl) < 0)
		why = "malformed token";
	else if (tok && strcmp(cl.sub, dev_uuid ? dev_uuid : ""))
		why = "token for another device";
	else if (tok && cl.exp <= time(NULL))
		why = "token expired";
	else if (tok && (!cfg->app_policy || !cfg->app_policy->allow_app))
		why = "app access not allowed by the policy";
	else if (tok && !allowed)
		why = "edgeview.allow is false on this device";
	pthread_mutex_lock(&ev->mu);
	bool same = tok && ev->token && !strcmp(tok, ev->token) && !why;
	if (!same) {
		if (why)
			alog(ALOG_WARN, "edgeview: not connecting: %s", why);
		clear_token(ev);
		if (tok && !why && (ev->token = strdup(tok)) != NULL)
			ev->cl = cl;
		if (!ev->token)
			stop_channels(ev, 0); /* no grant, no tunnel */
		ev->gen++;
		pthread_cond_broadcast(&ev->cv);
	}
	pthread_mutex_unlock(&ev->mu);
}

void edgeview_free(struct edgeview *ev)
{
	if (!ev)
		return;
	pthread_mutex_lock(&ev->mu);
	ev->stop = true;
	stop_channels(ev, 0);
	pthread_cond_broadcast(&ev->cv);
	pthread_mutex_unlock(&ev->mu);
	if (ev->started)
		pthread_join(ev->th, NULL);
	pthread_mutex_lock(&ev->mu);
	while (ev->channels)
		pthread_cond_wait(&ev->cv, &ev->mu);
	clear_token(ev);
	pthread_mutex_unlock(&ev->mu);
	free(ev->ca_path);
	pthread_mutex_destroy(&ev->mu);
	pthread_cond_destroy(&ev->cv);
	free(ev);
}
