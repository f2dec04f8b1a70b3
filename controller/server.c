/* `serve`: load the directory, start HTTPS, run housekeeping until a
 * signal, then stop cleanly (in-flight requests finish, DB closed). */
#include "server.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "conf.h"
#include "crypto.h"
#include "ctl.h"
#include "datastore_tmp.h"
#include "device_api.h"
#include "devices.h"
#include "err.h"
#include "fileio.h"
#include "follow.h"
#include "http.h"
#include "replay.h"
#include "reports.h"
#include "rollouts.h"

#define PEM_CAP (64u << 10)
#define FLUSH_EVERY_S 5
#define RETENTION_EVERY_S 60

static const struct http_route *const route_tables[] = {
    device_api_routes,   admin_onboard_routes, admin_report_routes,
    admin_device_routes, admin_image_routes,   admin_network_routes,
    admin_app_routes,    admin_misc_routes,    admin_rollout_routes, NULL,
};

static void log_failure(const char *method, const char *url, unsigned status)
{
	fprintf(stderr, "eve-controller: %s %s -> %u\n", method, url, status);
}

static void log_device(const char *uuid, const char *msg)
{
	fprintf(stderr, "eve-controller: device %s: %s\n", uuid, msg);
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
	EVP_PKEY_free(key);
	X509_free(cert);
	X509_free(ecdh);
	return r;
}

static void set_urls(struct ctl *c)
{
	char name[256];
	snprintf(name, sizeof(name), "%s", c->conf.host);
	name[strcspn(name, ",")] = 0;
	const char *port = strrchr(c->conf.listen, ':');
	snprintf(c->fqdn, sizeof(c->fqdn), "%.200s:%.8s", name, port ? port + 1 : "8443");
	snprintf(c->base_url, sizeof(c->base_url), "https://%s", c->fqdn);
}

/* Uploads a crash or kill left half-written (datastore/tmp/upload-*): no
 * request can resume them, so each start removes them. */
static void clean_uploads(struct ctl *c)
{
	size_t n = 0;
	uint64_t bytes = 0;
	int r = datastore_tmp_clean(c->dir, &n, &bytes);
	if (r < 0)
		fprintf(stderr, "eve-controller: cleaning %s/tmp: %s\n", CTL_DATASTORE_DIR, eve_strerror(r));
	else if (n)
		fprintf(stderr, "eve-controller: removed %zu unfinished upload(s), %llu bytes, from %s/tmp\n",
			n, (unsigned long long)bytes, CTL_DATASTORE_DIR);
}

static int ctl_open(struct ctl *c, const struct serve_opts *o)
{
	char p[PATH_MAX], err[256];
	int r;
	if (snprintf(c->dir, sizeof(c->dir), "%s", o->dir) >= (int)sizeof(c->dir))
		return -ENAMETOOLONG;
	conf_defaults(&c->conf);
	if ((r = dir_file(c, CTL_CONF_FILE, p)) < 0 || (r = conf_load(&c->conf, p, err, sizeof(err))) < 0) {
		fprintf(stderr, "eve-controller: %s (run `eve-controller init --dir %s` first)\n", err,
			o->dir);
		return r;
	}
	if (o->listen) {
		if (strlen(o->listen) >= sizeof(c->conf.listen))
			return -EINVAL;
		strcpy(c->conf.listen, o->listen);
	}
	set_urls(c);
	c->log_failure = log_failure;
	c->log_device = log_device;
	c->started = time(NULL);
	if ((r = dir_file(c, CTL_DB_FILE, p)) < 0 ||
	    (r = db_pool_open(p, (int)c->conf.db_conns, &c->db)) < 0) {
		fprintf(stderr, "eve-controller: database %s: %s\n", p, eve_strerror(r));
		return r;
	}
	if ((r = load_signer(c)) < 0 || (r = device_api_build_certs(c)) < 0) {
		fprintf(stderr, "eve-controller: signing certificate: %s\n", eve_strerror(r));
		return r;
	}
	if ((r = devcache_new(&c->cache)) < 0 || (r = devices_load_cache(c)) < 0 ||
	    (r = follow_hub_new((int)c->conf.max_followers, &c->follow)) < 0 ||
	    (c->replay = replay_new()) == NULL) {
		fprintf(stderr, "eve-controller: start-up: %s\n", eve_strerror(r < 0 ? r : -ENOMEM));
		return r < 0 ? r : -ENOMEM;
	}
	clean_uploads(c);
	return 0;
}

static void ctl_close(struct ctl *c)
{
	if (c->cache && c->db)
		devices_flush_seen(c);
	db_pool_close(c->db);
	devcache_free(c->cache);
	follow_hub_free(c->follow);
	replay_free(c->replay);
	envelope_signer_clear(&c->signer);
	free(c->ecdh_pem);
	free(c->certs_env);
}

static int start_http(struct ctl *c, struct http_server **srv)
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
		r = http_start(c, c->conf.listen, (const char *)key, (const char *)cert, (int)c->conf.threads,
			       route_tables, srv);
	if (key)
		OPENSSL_cleanse(key, kl);
	free(key);
	free(cert);
	if (r < 0)
		fprintf(stderr, "eve-controller: cannot serve on %s: %s\n", c->conf.listen, eve_strerror(r));
	return r;
}

static void housekeeping(struct ctl *c, sigset_t *set)
{
	time_t last_flush = time(NULL), last_ret = 0;
	struct timespec tick = {1, 0};
	for (;;) {
		int sig = sigtimedwait(set, NULL, &tick);
		if (sig == SIGTERM || sig == SIGINT) {
			fprintf(stderr, "eve-controller: signal %d, stopping\n", sig);
			return;
		}
		time_t now = time(NULL);
		follow_tick(c->follow);
		rollouts_tick(c);
		if (now - last_flush >= FLUSH_EVERY_S) {
			devices_flush_seen(c);
			last_flush = now;
		}
		if (now - last_ret >= RETENTION_EVERY_S) {
			reports_retention(c);
			last_ret = now;
		}
	}
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
	/* Block before any thread starts so only sigtimedwait sees them. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	memset(&c, 0, sizeof(c));
	int r = ctl_open(&c, o);
	if (r == 0)
		r = start_http(&c, &srv);
	if (r == 0 && dir_file(&c, CTL_PID_FILE, pid_path) == 0) {
		char pid[32];
		snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
		fileio_write_atomic(pid_path, pid, strlen(pid), 0644);
	}
	if (r == 0) {
		fprintf(stderr, "eve-controller: listening on %s (%zu devices)\n", c.conf.listen,
			devcache_count(c.cache));
		printf("listening on %s\n", c.conf.listen);
		fflush(stdout);
		housekeeping(&c, &set);
		follow_hub_stop(c.follow);
		http_stop(srv);
		unlink(pid_path);
	}
	ctl_close(&c);
	return r;
}
