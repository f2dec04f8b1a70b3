// SPDX-License-Identifier: Apache-2.0
/* /healthz, /readyz, /metrics, /metrics/fleet. */
#include "ops_api.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "apps_store.h"
#include "ctl.h"
#include "ctlmetrics.h"
#include "store.h"
#include "devcache.h"
#include "devices_store.h"
#include "fleetexp.h"
#include "monotime.h"
#include "prom.h"

#define EXPO_CAP (512u << 20)
#define EXPO_CT "text/plain; version=0.0.4; charset=utf-8"
#define GROUPS_MAX 200 /* os versions / app states exported */

static void h_healthz(struct http_req *r)
{
	http_reply(r, 200, "ok\n", 3, "text/plain");
}

static const char *check_db(struct ctl *c)
{
	struct store *d = store_get(c->db);
	int e = store_begin(d);
	struct store_stmt *st =
	    e == 0 ? store_stmt(d, "INSERT INTO health(id, checked) VALUES(1, ?1)"
				   " ON CONFLICT(id) DO UPDATE SET checked = excluded.checked")
		   : NULL;
	if (st) {
		store_bind_int64(st, 1, (int64_t)time(NULL));
		e = store_step_done(st);
	} else if (e == 0) {
		e = -EIO;
	}
	if (e == 0)
		e = store_commit(d);
	if (e < 0)
		store_rollback(d);
	store_put(c->db, d);
	return e == 0 ? "ok" : "not writable";
}

static const char *check_certs(struct ctl *c)
{
	int64_t now = (int64_t)time(NULL);
	if (now < c->cert_not_before)
		return "not yet valid";
	return now < c->cert_not_after ? "ok" : "expired";
}

static const char *check_disk(struct ctl *c, int64_t *free_mb)
{
	struct statvfs v;
	if (statvfs(c->dir, &v) < 0)
		return "unknown";
	*free_mb = (int64_t)((uint64_t)v.f_bavail * v.f_frsize >> 20);
	return *free_mb >= c->conf.health_min_free_mb ? "ok" : "low";
}

static void h_readyz(struct http_req *r)
{
	int64_t free_mb = -1;
	const char *db = check_db(r->ctl), *certs = check_certs(r->ctl), *disk = check_disk(r->ctl, &free_mb);
	bool ok = !strcmp(db, "ok") && !strcmp(certs, "ok") && !strcmp(disk, "ok");
	http_reply_json(r, ok ? 200 : 503,
			json_pack("{s:s, s:{s:s, s:s, s:s, s:I}}", "status", ok ? "ready" : "not ready",
				  "checks", "database", db, "certificates", certs, "disk", disk,
				  "disk_free_mb", (json_int_t)free_mb));
}

/* --- /metrics collectors --- */

struct seen_count {
	int64_t now, after;
	int64_t online, offline, never;
};

static void count_seen(void *ctx, const char *uuid, int64_t t)
{
	struct seen_count *s = ctx;
	(void)uuid;
	if (t <= 0)
		s->never++;
	else if (s->now - t <= s->after)
		s->online++;
	else
		s->offline++;
}

static int gauge(struct buf *b, const char *name, const char *help, double v)
{
	int r = prom_header(b, name, PROM_GAUGE, help);
	return r ? r : prom_sample(b, name, NULL, v);
}

struct group {
	struct buf *b;
	const char *name, *label;
	int n;
};

static int group_sample(void *ctx, const char *label, int64_t n)
{
	struct group *g = ctx;
	const char *l[] = {g->label, label, NULL};
	return g->n++ < GROUPS_MAX ? prom_sample(g->b, g->name, l, (double)n) : 1;
}

/* One gauge family from the (label, count) pairs each gives, most first. */
static int grouped(struct buf *b, struct store *d,
		   int (*each)(struct store *d, int (*fn)(void *ctx, const char *label, int64_t n),
			       void *ctx),
		   const char *name, const char *label, const char *help)
{
	struct group g = {.b = b, .name = name, .label = label};
	int r = prom_header(b, name, PROM_GAUGE, help);
	if (r == 0)
		r = each(d, group_sample, &g);
	return r == 1 ? 0 : r;
}

static int write_devices(struct ctl *c, struct store *d, struct buf *b)
{
	struct seen_count s = {.now = (int64_t)time(NULL), .after = c->conf.offline_after};
	devcache_foreach_seen(c->cache, count_seen, &s);
	const char *name = "eve_controller_devices";
	int r = prom_header(b, name, PROM_GAUGE, "Devices by connection state (metrics.offline_after).");
	const char *on[] = {"state", "online", NULL}, *off[] = {"state", "offline", NULL},
		   *nev[] = {"state", "never", NULL};
	if (r == 0)
		r = prom_sample(b, name, on, (double)s.online);
	if (r == 0)
		r = prom_sample(b, name, off, (double)s.offline);
	if (r == 0)
		r = prom_sample(b, name, nev, (double)s.never);
	if (r == 0)
		r = gauge(b, "eve_controller_devices_registered", "Devices registered (or pre-registered).",
			  (double)(s.online + s.offline + s.never));
	if (r == 0)
		r = grouped(b, d, devices_store_count_by_os_version, "eve_controller_devices_by_os_version",
			    "os_version", "Devices by the EVE version they last reported.");
	if (r == 0)
		r = grouped(b, d, apps_store_count_by_state, "eve_controller_app_instances", "state",
			    "App instances by their last reported state.");
	return r;
}

static double file_size(struct ctl *c, const char *name)
{
	char p[PATH_MAX + 64];
	struct stat sb;
	snprintf(p, sizeof(p), "%s/%s", c->dir, name);
	return stat(p, &sb) == 0 ? (double)sb.st_size : 0;
}

static int write_sqlite(struct ctl *c, struct buf *b)
{
	int r =
	    gauge(b, "eve_controller_sqlite_size_bytes", "Size of controller.db.", file_size(c, CTL_DB_FILE));
	if (r == 0)
		r = gauge(b, "eve_controller_sqlite_wal_size_bytes", "Size of controller.db-wal.",
			  file_size(c, CTL_DB_FILE "-wal"));
	if (r == 0)
		r = prom_header(b, "eve_controller_sqlite_write_duration_seconds", PROM_HISTOGRAM,
				"Write statements and transactions, BEGIN to COMMIT.");
	if (r == 0)
		r = prom_hist_write(b, "eve_controller_sqlite_write_duration_seconds", NULL,
				    store_write_latency());
	return r;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n - 3; /* ".", ".." and the directory's own descriptor */
}

static int write_process(struct ctl *c, struct buf *b)
{
	struct rusage ru;
	struct rlimit rl;
	long pages = 0, rss = 0, page = sysconf(_SC_PAGESIZE);
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			pages = rss = 0;
		fclose(f);
	}
	getrusage(RUSAGE_SELF, &ru);
	double cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
		     ru.ru_stime.tv_usec / 1e6;
	int r = prom_header(b, "process_cpu_seconds_total", PROM_COUNTER, "User and system CPU time.");
	if (r == 0)
		r = prom_sample(b, "process_cpu_seconds_total", NULL, cpu);
	if (r == 0)
		r = gauge(b, "process_resident_memory_bytes", "Resident memory.", (double)rss * (double)page);
	if (r == 0)
		r = gauge(b, "process_virtual_memory_bytes", "Virtual memory.", (double)pages * (double)page);
	if (r == 0)
		r = gauge(b, "process_open_fds", "Open file descriptors.", count_fds());
	if (r == 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0)
		r = gauge(b, "process_max_fds", "File descriptor limit.", (double)rl.rlim_cur);
	if (r == 0)
		r = gauge(b, "process_start_time_seconds", "Start time (Unix).", (double)c->started);
	return r;
}

static int write_info(struct ctl *c, struct buf *b)
{
	const char *v[] = {"version", CTL_VERSION, NULL};
	int r = prom_header(b, "eve_controller_build_info", PROM_GAUGE, "Version of this controller.");
	if (r == 0)
		r = prom_sample(b, "eve_controller_build_info", v, 1);
	if (r == 0)
		r = gauge(b, "eve_controller_certificate_expiry_timestamp_seconds",
			  "Earliest expiry of the server and signing certificates.",
			  (double)c->cert_not_after);
	return r;
}

int ops_metrics_write(struct ctl *c, struct buf *out)
{
	uint64_t t0 = monotime_us();
	int r = ctlmetrics_write(c->metrics, out);
	struct store *d = store_get(c->db);
	if (r == 0)
		r = write_devices(c, d, out);
	store_put(c->db, d);
	if (r == 0)
		r = write_sqlite(c, out);
	if (r == 0)
		r = write_process(c, out);
	if (r == 0)
		r = write_info(c, out);
	ctlmetrics_scrape(c->metrics, monotime_us() - t0);
	return r;
}

typedef int (*expo_fn)(struct ctl *c, struct buf *out);

static void reply_expo(struct http_req *r, expo_fn fn)
{
	struct buf b;
	buf_init(&b, EXPO_CAP);
	int e = fn(r->ctl, &b);
	if (e < 0) {
		buf_free(&b);
		http_reply_error(r, 500, "metrics: %s", strerror(-e));
		return;
	}
	size_t len;
	uint8_t *p = buf_steal(&b, &len);
	http_reply_take(r, 200, p, len, EXPO_CT);
}

static void h_metrics(struct http_req *r)
{
	reply_expo(r, ops_metrics_write);
}

static void h_fleet(struct http_req *r)
{
	reply_expo(r, fleetexp_write);
}

const struct http_route ops_routes[] = {
    {"GET", "/healthz", h_healthz, 0, HTTP_AUTH_NONE, NULL},
    {"GET", "/readyz", h_readyz, 0, HTTP_AUTH_NONE, NULL},
    {"GET", "/metrics", h_metrics, 0, HTTP_AUTH_SCRAPE, NULL},
    {"GET", "/metrics/fleet", h_fleet, 0, HTTP_AUTH_SCRAPE, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
