// SPDX-License-Identifier: Apache-2.0
/* `serve`: load the directory, start HTTPS, run housekeeping until a
 * signal, then stop cleanly (in-flight requests finish, DB closed). */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access.h"
#include "admin.h"
#include "hostport.h"
#include "audit.h"
#include "certs.h"
#include "conf.h"
#include "crypto.h"
#include "ctl.h"
#include "datastore_tmp.h"
#include "ctllog.h"
#include "ctlmetrics.h"
#include "dashboard.h"
#include "dashboard_vendor.h"
#include "device_api.h"
#include "devices.h"
#include "err.h"
#include "fileio.h"
#include "follow.h"
#include "deviceio.h"
#include "http.h"
#include "onboard.h"
#include "replay.h"
#include "console_store.h"
#include "replay_store.h"
#include "attest.h"
#include "secrets.h"
#include <openssl/crypto.h>
#include "ops_api.h"
#include "properties.h"
#include "ratelimit.h"
#include "registry.h"
#include "reports.h"
#include "schema.h"
#include "scrapeauth.h"
#include "tlsearly.h"
#include "tokens.h"
#include "trustkeys.h"
#include "rollouts.h"
#include "volumes.h"
#include "cluster.h"
#include "commitq.h"
#include "console.h"

#define PEM_CAP (64u << 10)
#define LISTEN_FD_ENV "EVE_LISTEN_FD"
#define FLUSH_EVERY_S 5
#define RETENTION_EVERY_S 60
/* An upload no replica wrote to for this long is abandoned. */
#define UPLOAD_STALE_S 600

static const struct http_route *const route_tables[] = {
    device_api_routes,
    admin_onboard_routes,
    admin_report_routes,
    admin_flow_routes,
    admin_device_routes,
    admin_image_routes,
    admin_network_routes,
    admin_app_routes,
    admin_misc_routes,
    admin_deviceio_routes,
    admin_rollout_routes,
    ops_routes,
    admin_access_routes,      /* login, tokens, users, projects, audit (access_api.c) */
    admin_property_routes,    /* project-level properties (properties.c) */
    registry_routes,          /* OCI distribution API /v2/ (registry.c) */
    dashboard_routes,         /* the web dashboard at / and /ui/ (dashboard.c) */
    admin_attest_routes,      /* /api/v1/devices/{d}/attest (attest_admin.c) */
    admin_volume_routes,      /* volumes.c */
    admin_app_history_routes, /* app_history.c */
    console_routes,           /* remote consoles, edge-view dispatcher (console.c) */
    admin_trustkey_routes,    /* publisher keys for every device (trustkeys.c) */
    dashboard_vendor_routes,  /* xterm.js and noVNC from Debian packages (dashboard_vendor.c) */
    NULL,
};

const struct http_route *const *server_route_tables(void)
{
	return route_tables;
}

/* One line per failed request: what, who, from where. No secrets: the
 * token is named by its row id, the device by its UUID. */
static void log_failure(struct http_req *r)
{
	char status[8], client[64], token[24], path[160];
	snprintf(status, sizeof(status), "%u", r->status);
	snprintf(token, sizeof(token), "%lld", (long long)r->token_id);
	snprintf(path, sizeof(path), "%s", r->url);
	http_client_addr(r, client, sizeof(client));
	ctllog(r->status >= 500 ? CTLLOG_ERROR : CTLLOG_WARN, "request failed", "method", r->method, "route",
	       r->route ? r->route->pattern : "", "path", path, "status", status, "client", client, "device",
	       r->device[0] ? r->device : NULL, "token_id", r->token_id ? token : NULL, NULL);
}

/* A statement the store could not prepare (store.h): a bug or a damaged
 * database; the request that needed it fails. */
static void log_db_error(const char *msg, const char *sql)
{
	ctllog(CTLLOG_ERROR, "statement prepare failed", "error", msg, "sql", sql, NULL);
}

/* Database-wide lock keys (store_try_lock) of what one replica of a
 * cluster does at a time. */
#define RETENTION_LOCK 0x72657465
#define TICK_LOCK 0x7469636b

/* Run fn(c, d, now) in one replica at a time: in a transaction on d that
 * holds key; a replica that finds it held skips the round. Alone on its
 * store, just run it (d outside a transaction). */
static void in_turn(struct ctl *c, int64_t key, void (*fn)(struct ctl *c, struct store *d, time_t now),
		    time_t now)
{
	struct store *d = store_get(c->db);
	bool clustered = store_clustered(c->db), held = true;
	if (clustered && (store_begin(d) < 0 || store_try_lock(d, key, &held) < 0))
		held = false;
	if (held)
		fn(c, d, now);
	if (clustered && store_commit(d) < 0)
		store_rollback(d);
	store_put(c->db, d);
}

/* Old reports, audit rows and expired sessions go (by age: the next
 * replica's round finds what a skipped one would have). */
static void retention(struct ctl *c, struct store *d, time_t now)
{
	reports_retention(c, d);
	(void)audit_prune(d, (int64_t)now, AUDIT_RETENTION_DAYS);
	(void)tokens_prune(d, (int64_t)now);
	if (store_clustered(c->db)) {
		(void)replay_store_prune(d, (int64_t)now - REPLAY_STORE_KEEP_S);
		(void)console_store_prune(d, (int64_t)now);
	}
}

/* Rollout steps and automatic app rollbacks: two replicas must not take
 * the same step. They use connections of their own. */
static void ticks(struct ctl *c, struct store *d, time_t now)
{
	(void)d;
	(void)now;
	rollouts_tick(c);
	app_history_tick(c); /* automatic app rollbacks (app_history.c) */
}

static void log_http(const char *msg)
{
	ctllog(CTLLOG_WARN, "http server", "error", msg, NULL);
}

/* The one place a console session is recorded (who, which app, start,
 * end): the controller log; the audit log hooks in here. */
static void log_console(struct ctl *c, const struct console_record *rec)
{
	char start[32], end[32], port[16], tok[24], chans[16], bin[24], bout[24], object[192], summary[512];
	admin_time_str(rec->start, start);
	admin_time_str(rec->end, end);
	snprintf(port, sizeof(port), "%d", rec->port);
	snprintf(tok, sizeof(tok), "%lld", rec->token_id);
	snprintf(chans, sizeof(chans), "%u", rec->channels);
	snprintf(bin, sizeof(bin), "%llu", (unsigned long long)rec->bytes_in);
	snprintf(bout, sizeof(bout), "%llu", (unsigned long long)rec->bytes_out);
	ctllog(CTLLOG_INFO, "console session", "session", rec->id, "who", rec->who, "token_id", tok, "app",
	       rec->app, "instance", rec->instance, "device", rec->device, "kind", rec->kind, "port",
	       rec->port ? port : NULL, "start", start, "end", end, "reason", rec->reason, "channels", chans,
	       "bytes_in", bin, "bytes_out", bout, NULL);
	/* The audit trail holds each session with its start and end (the
	 * POST that created it is audited as any change). */
	snprintf(object, sizeof(object), "app/%s", rec->app);
	snprintf(summary, sizeof(summary), "%s%s%s session %s on device %s instance %s from %s to %s: %s",
		 rec->kind, rec->port ? " port " : "", rec->port ? port : "", rec->id, rec->device,
		 rec->instance, start, end, rec->reason);
	struct store *d = store_get(c->db);
	(void)audit_record(d, rec->who, "console session", object, summary, 200);
	store_put(c->db, d);
}

static void log_device(const char *uuid, const char *msg)
{
	ctllog(CTLLOG_WARN, msg, "device", uuid, NULL);
}

static int dir_file(const struct ctl *c, const char *name, char out[PATH_MAX])
{
	int n = snprintf(out, PATH_MAX, "%s/%s", c->dir, name);
	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

static int load_signer(struct ctl *c)
{
	char kp[PATH_MAX], cp[PATH_MAX], ep[PATH_MAX];
	EVP_PKEY *key = NULL;
	X509 *cert = NULL, *ecdh = NULL;
	size_t len;
	int r = dir_file(c, CTL_CERTS_DIR "/signing.key.pem", kp);
	if (r == 0)
		r = dir_file(c, CTL_CERTS_DIR "/signing.cert.pem", cp);
	if (r == 0)
		r = dir_file(c, CTL_CERTS_DIR "/ecdh.cert.pem", ep);
	if (r == 0)
		r = crypto_key_load_pem(kp, &key);
	if (r == 0)
		r = crypto_cert_load_pem(cp, &cert);
	if (r == 0)
		r = crypto_cert_load_pem(ep, &ecdh);
	if (r == 0)
		r = envelope_signer_from_key(&c->signer, key, cert, true);
	if (r == 0)
		r = crypto_cert_to_pem(ecdh, &c->ecdh_pem, &len);
	/* The ECDH key encrypts config secrets to devices (attest.c). */
	char ekp[PATH_MAX];
	if (r == 0 && !c->ecdh_key && dir_file(c, CTL_CERTS_DIR "/ecdh.key.pem", ekp) == 0)
		r = crypto_key_load_pem(ekp, &c->ecdh_key);
	if (r == 0)
		r = secrets_setup(c);
	/* A rotation under way: /certs serves the next certificate too. */
	X509 *next = NULL;
	char np[PATH_MAX];
	if (r == 0 && dir_file(c, CTL_CERTS_DIR "/signing-next.cert.pem", np) == 0 && access(np, F_OK) == 0) {
		r = crypto_cert_load_pem(np, &next);
		if (r == 0)
			r = crypto_cert_to_pem(next, &c->next_signing_pem, &len);
		X509_free(next);
	}
	EVP_PKEY_free(key);
	X509_free(cert);
	X509_free(ecdh);
	return r;
}

static void set_urls(struct ctl *c)
{
	const char *port = strrchr(c->conf.listen, ':');
	char pub[24];
	/* replicas behind a balancer must give out one URL: a device's config
	 * (and its hash) must not depend on the replica that built it */
	if (c->conf.public_port > 0) {
		snprintf(pub, sizeof(pub), ":%lld", (long long)c->conf.public_port);
		port = pub;
	}
	/* an IPv6 address in brackets: "https://[fd00::2]:8443" */
	if (hostport_join(c->conf.host, strcspn(c->conf.host, ","), port ? port + 1 : "8443", c->fqdn,
			  sizeof(c->fqdn)) < 0)
		snprintf(c->fqdn, sizeof(c->fqdn), "localhost:8443"); /* init refused such a host */
	snprintf(c->base_url, sizeof(c->base_url), "https://%s", c->fqdn);
}

/* Uploads a crash or kill left half-written (datastore/tmp/upload-*): no
 * request can resume them, so each start removes them. */
static void clean_uploads(struct ctl *c)
{
	size_t n = 0;
	uint64_t bytes = 0;
	/* with replicas, one may be uploading into the shared datastore */
	int r = datastore_tmp_clean(c->dir, store_clustered(c->db) ? UPLOAD_STALE_S : 0, &n, &bytes);
	char nb[32], bb[32];
	snprintf(nb, sizeof(nb), "%zu", n);
	snprintf(bb, sizeof(bb), "%llu", (unsigned long long)bytes);
	if (r < 0)
		ctllog(CTLLOG_ERROR, "cleaning unfinished uploads failed", "dir", CTL_DATASTORE_DIR "/tmp",
		       "error", eve_strerror(r), NULL);
	else if (n)
		ctllog(CTLLOG_INFO, "removed unfinished uploads", "dir", CTL_DATASTORE_DIR "/tmp", "files",
		       nb, "bytes", bb, NULL);
}

/* log.*, metrics.*: the logger, the request counters, the scrape access. */
static int observability_setup(struct ctl *c)
{
	char err[256] = "", tok[PATH_MAX];
	int style = logfmt_style_parse(c->conf.log_format), level = ctllog_level_parse(c->conf.log_level);
	if (style < 0 || level < 0) {
		ctllog(CTLLOG_ERROR, "bad controller.conf value", "key",
		       style < 0 ? "log.format" : "log.level", "value",
		       style < 0 ? c->conf.log_format : c->conf.log_level, "expected",
		       style < 0 ? "kv or json" : "error, warning, info or debug", NULL);
		return -EINVAL;
	}
	ctllog_setup((enum logfmt_style)style, (enum ctllog_level)level);
	const char *tf = c->conf.metrics_token_file;
	int r = 0;
	if (*tf && snprintf(tok, sizeof(tok), "%s%s%s", *tf == '/' ? "" : c->dir, *tf == '/' ? "" : "/",
			    tf) >= (int)sizeof(tok))
		r = -ENAMETOOLONG;
	bool has_token = false;
	if (r == 0)
		r = scrapeauth_new(c->conf.metrics_allow, *tf ? tok : NULL, &c->scrape, &has_token, err,
				   sizeof(err));
	if (r == 0)
		r = ctlmetrics_new(route_tables, &c->metrics);
	if (r < 0) {
		ctllog(CTLLOG_ERROR, "metrics set-up failed", "error", *err ? err : eve_strerror(r), NULL);
		return r;
	}
	if (!has_token)
		ctllog(CTLLOG_INFO, "no scrape token: /metrics only for metrics.allow", "allow",
		       c->conf.metrics_allow, NULL);
	return 0;
}

/* The earliest expiry of the certificates the controller presents. */
static int load_validity(struct ctl *c)
{
	static const char *const names[] = {CTL_CERTS_DIR "/server.cert.pem",
					    CTL_CERTS_DIR "/signing.cert.pem"};
	c->cert_not_before = 0;
	c->cert_not_after = INT64_MAX;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char p[PATH_MAX];
		X509 *x = NULL;
		int64_t a, b;
		int r = dir_file(c, names[i], p);
		if (r == 0)
			r = crypto_cert_load_pem(p, &x);
		if (r == 0)
			r = crypto_cert_validity(x, &a, &b);
		X509_free(x);
		if (r < 0)
			return r;
		if (a > c->cert_not_before)
			c->cert_not_before = a;
		if (b < c->cert_not_after)
			c->cert_not_after = b;
	}
	return 0;
}

static int ctl_open(struct ctl *c, const struct serve_opts *o)
{
	char p[PATH_MAX], err[256];
	int r;
	if (snprintf(c->dir, sizeof(c->dir), "%s", o->dir) >= (int)sizeof(c->dir))
		return -ENAMETOOLONG;
	conf_defaults(&c->conf);
	if ((r = dir_file(c, CTL_CONF_FILE, p)) < 0 || (r = conf_load(&c->conf, p, err, sizeof(err))) < 0) {
		ctllog(CTLLOG_ERROR, "cannot read controller.conf", "error", err, "hint",
		       "run `eve-controller init --dir DIR` first", "dir", o->dir, NULL);
		return r;
	}
	if (o->listen) {
		if (strlen(o->listen) >= sizeof(c->conf.listen))
			return -EINVAL;
		strcpy(c->conf.listen, o->listen);
	}
	if ((r = observability_setup(c)) < 0)
		return r;
	/* written into device tokens and URLs as it is */
	if (c->conf.console_dispatcher[0] && hostport_check(c->conf.console_dispatcher) < 0) {
		ctllog(CTLLOG_ERROR, "bad controller.conf value", "key", "console.dispatcher", "value",
		       c->conf.console_dispatcher, "expected", "host:port, an IPv6 address in brackets",
		       NULL);
		return -EINVAL;
	}
	set_urls(c);
	c->log_failure = log_failure;
	c->authorize = access_authorize;
	c->audit = access_audit;
	c->log_device = log_device;
	c->log_http = log_http;
	c->log_console = log_console;
	c->edgeview_token = console_device_token;
	c->started = time(NULL);
	char dberr[256] = "", url[sizeof(p) + 8];
	if (c->conf.store[0]) /* PostgreSQL; its URL may hold a password: never logged */
		snprintf(url, sizeof(url), "%s", c->conf.store);
	else if ((r = dir_file(c, CTL_DB_FILE, p)) == 0) /* the scheme: a ':' in a relative path is no URL */
		snprintf(url, sizeof(url), "sqlite:%s", p);
	if (r < 0 || (r = schema_pool_open(url, (int)c->conf.db_conns, &c->db, dberr, sizeof(dberr))) < 0) {
		ctllog(CTLLOG_ERROR, "cannot open the database", "path", c->conf.store[0] ? "(store)" : p,
		       "error", eve_strerror(r), "detail", dberr[0] ? dberr : NULL, NULL);
		return r;
	}
	store_pool_on_error(c->db, log_db_error);
	if ((r = attest_setup(c)) < 0) {
		ctllog(CTLLOG_ERROR, "bad controller.conf value", "key", "attestation", "value",
		       c->conf.attestation, "expected", "off, report or enforce", NULL);
		return r;
	}
	if ((r = load_signer(c)) < 0 || (r = device_api_build_certs(c)) < 0 || (r = load_validity(c)) < 0) {
		ctllog(CTLLOG_ERROR, "cannot load the certificates", "error", eve_strerror(r), NULL);
		return r;
	}
	if ((r = cluster_open(c, &c->cluster, dberr, sizeof(dberr))) < 0) {
		ctllog(CTLLOG_ERROR, "cannot listen to the other replicas", "error", eve_strerror(r),
		       "detail", dberr, NULL);
		return r;
	}
	if ((r = devcache_new(&c->cache)) < 0 || (r = onboard_cache_new(&c->onboard)) < 0 ||
	    (r = devices_load_cache(c)) < 0 || (r = cluster_start(c->cluster)) < 0 ||
	    (r = follow_hub_new((int)c->conf.max_followers, &c->follow)) < 0 ||
	    (r = console_hub_new(c, &c->console)) < 0 || (c->replay = replay_new()) == NULL ||
	    (r = commitq_new(c->db, &c->commitq)) < 0) {
		ctllog(CTLLOG_ERROR, "start-up failed", "error", eve_strerror(r < 0 ? r : -ENOMEM), NULL);
		return r < 0 ? r : -ENOMEM;
	}
	/* login guessing: 5 failures a minute per user, 20 per client address */
	if ((r = ratelimit_new(5, 60, 4096, &c->login_user)) < 0 ||
	    (r = ratelimit_new(20, 60, 4096, &c->login_addr)) < 0)
		return r;
	clean_uploads(c);
	return 0;
}

static void ctl_close(struct ctl *c)
{
	if (c->cache && c->db)
		devices_flush_seen(c, true);
	commitq_free(c->commitq);
	cluster_free(c->cluster);
	store_pool_close(c->db);
	devcache_free(c->cache);
	follow_hub_free(c->follow);
	console_hub_free(c->console);
	replay_free(c->replay);
	onboard_cache_free(c->onboard);
	ctlmetrics_free(c->metrics);
	scrapeauth_free(c->scrape);
	ratelimit_free(c->login_user);
	ratelimit_free(c->login_addr);
	envelope_signer_clear(&c->signer);
	free(c->ecdh_pem);
	EVP_PKEY_free(c->ecdh_key);
	c->ecdh_key = NULL;
	OPENSSL_cleanse(c->secrets_key, sizeof(c->secrets_key));
	free(c->next_signing_pem);
	free(c->certs_env);
}

static int start_http(struct ctl *c, int listen_fd, struct http_server **srv)
{
	char kp[PATH_MAX], cp[PATH_MAX];
	uint8_t *key = NULL, *cert = NULL;
	size_t kl, cl;
	int r = dir_file(c, CTL_CERTS_DIR "/server.key.pem", kp);
	if (r == 0)
		r = dir_file(c, CTL_CERTS_DIR "/server.cert.pem", cp);
	if (r == 0)
		r = fileio_read(kp, PEM_CAP, &key, &kl);
	if (r == 0)
		r = fileio_read(cp, PEM_CAP, &cert, &cl);
	if (r == 0)
		r = http_start(c, c->conf.listen, listen_fd, (const char *)key, (const char *)cert,
			       (int)c->conf.threads, route_tables, srv);
	if (key)
		OPENSSL_cleanse(key, kl);
	free(key);
	free(cert);
	if (r < 0)
		ctllog(CTLLOG_ERROR, "cannot serve", "listen", c->conf.listen, "error", eve_strerror(r),
		       NULL);
	return r;
}

/* Runs until a signal: SIGTERM/SIGINT (stop) or SIGHUP (reload), also
 * returned when the next signing certificate's time has come. */
static int housekeeping(struct ctl *c, sigset_t *set)
{
	time_t last_flush = time(NULL), last_ret = 0;
	long long next_switch = certs_next_switch(c->dir);
	struct timespec tick = {1, 0};
	for (;;) {
		int sig = sigtimedwait(set, NULL, &tick);
		if (sig == SIGTERM || sig == SIGINT) {
			ctllog(CTLLOG_INFO, "stopping", "signal", sig == SIGTERM ? "TERM" : "INT", NULL);
			return sig;
		}
		if (sig == SIGHUP) {
			ctllog(CTLLOG_INFO, "reloading", "signal", "HUP", NULL);
			return sig;
		}
		time_t now = time(NULL);
		if (next_switch > 0 && now >= next_switch) {
			ctllog(CTLLOG_INFO, "the next signing certificate takes over, reloading", NULL);
			return SIGHUP;
		}
		/* Lines another replica stores wake nobody here: with replicas,
		 * every follower looks in the store each second. */
		if (c->cluster)
			follow_notify(c->follow);
		else
			follow_tick(c->follow);
		in_turn(c, TICK_LOCK, ticks, now);
		console_tick(c);
		if (now - last_flush >= FLUSH_EVERY_S) {
			devices_flush_seen(c, false);
			last_flush = now;
		}
		if (now - last_ret >= RETENTION_EVERY_S) {
			in_turn(c, RETENTION_LOCK, retention, now);
			last_ret = now;
		}
	}
}

/* The listening socket a reload handed over (EVE_LISTEN_FD), or -1. */
static int inherited_listen_fd(void)
{
	const char *v = getenv(LISTEN_FD_ENV);
	struct stat st;
	char *end;
	long fd;

	if (!v)
		return -1;
	fd = strtol(v, &end, 10);
	unsetenv(LISTEN_FD_ENV);
	if (*end || fd < 3 || fd > 65535 || fstat((int)fd, &st) < 0 || !S_ISSOCK(st.st_mode))
		return -1;
	(void)fcntl((int)fd, F_SETFD, FD_CLOEXEC);
	return (int)fd;
}

/* Hand the listening socket to a fresh copy of this program: stop
 * accepting (new connections wait in the backlog), let requests in flight
 * finish (bounded), close everything, exec. Only returns on failure. */
static void reload(struct ctl *c, struct http_server *srv, char *const *argv)
{
	char v[16];
	int fd = http_quiesce(srv);

	follow_hub_stop(c->follow);
	console_hub_stop(c->console);
	for (int i = 0; i < 500 && http_in_flight(srv) > 0; i++)
		usleep(20 * 1000);
	commitq_stop(c->commitq); /* answers what is queued; later ones register inline */
	http_stop(srv);
	ctl_close(c);
	if (fd < 0 || !argv) {
		ctllog(CTLLOG_ERROR, "reload: no listening socket to hand over, stopping", NULL);
		return;
	}
	(void)fcntl(fd, F_SETFD, 0);
	snprintf(v, sizeof(v), "%d", fd);
	setenv(LISTEN_FD_ENV, v, 1);
	execv("/proc/self/exe", argv);
	ctllog(CTLLOG_ERROR, "reload: exec failed", "error", strerror(errno), NULL);
}

int server_run(const struct serve_opts *o)
{
	static struct ctl c; /* large (paths); one per process */
	struct http_server *srv = NULL;
	char pid_path[PATH_MAX] = "";
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* Block before any thread starts so only sigtimedwait sees them. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	memset(&c, 0, sizeof(c));
	int listen_fd = inherited_listen_fd();
	int r = certs_promote_signing(o->dir, time(NULL));
	if (r > 0)
		ctllog(CTLLOG_INFO, "now signing with the next signing certificate", "previous",
		       CTL_CERTS_DIR "/signing-prev.cert.pem", NULL);
	else if (r < 0)
		ctllog(CTLLOG_ERROR, "signing rotation failed", "error", eve_strerror(r), NULL);
	r = ctl_open(&c, o);
	if (r == 0)
		r = start_http(&c, listen_fd, &srv);
	if (r == 0 && dir_file(&c, CTL_PID_FILE, pid_path) == 0) {
		char pid[32];
		snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
		fileio_write_atomic(pid_path, pid, strlen(pid), 0644);
	}
	if (r == 0) {
		char n[24];
		snprintf(n, sizeof(n), "%zu", devcache_count(c.cache));
		ctllog(CTLLOG_INFO, "listening", "listen", c.conf.listen, "devices", n, "version",
		       CTL_VERSION, NULL);
		if (!tlsearly_active())
			ctllog(CTLLOG_WARN, "TLS handshakes busy-wait for slow clients (tlsearly.h)", NULL);
		printf("listening on %s\n", c.conf.listen);
		fflush(stdout);
		if (housekeeping(&c, &set) == SIGHUP) {
			reload(&c, srv, o->argv); /* returns only on failure */
			unlink(pid_path);
			return -EIO;
		}
		follow_hub_stop(c.follow);
		console_hub_stop(c.console);
		commitq_stop(c.commitq);
		http_stop(srv);
		unlink(pid_path);
	}
	ctl_close(&c);
	return r;
}
