// SPDX-License-Identifier: Apache-2.0
/* eve-devsim scenarios: setup through the admin API, phases, figures. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "dbsize.h"
#include "err.h"
#include "fileio.h"
#include "monotime.h"
#include "msgs.h"
#include "phases.h"
#include "scenario.h"

#define SCEN_PATH 4096

/* Everything a scenario needs, resolved once. */
struct run {
	const struct devsim_opts *o;
	char server[256];
	char ca[SCEN_PATH], onboard_dir[SCEN_PATH], token[SCEN_PATH];
	char dev_url[512], admin_url[512];
	struct driver_opts dopts;
	struct admin *admin;
	struct fleet fleet;
	struct crypto_floor floor;
	pid_t pid;
};

/* Controller and load-generator usage around one measured phase. */
struct meter {
	struct procsnap ctl;
	struct rusage self;
	double main_cpu; /* the controller's main thread, -1 unknown */
};

/* CPU seconds of the controller's main thread (its housekeeping loop, where
 * rollouts_tick and the last_seen flush run); -1 when unknown. */
static double main_thread_cpu_s(pid_t pid)
{
	char path[96], line[1024], *p;
	unsigned long long ut, st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)pid);
	if (!(f = fopen(path, "re")))
		return -1;
	p = fgets(line, sizeof(line), f);
	fclose(f);
	if (!p || !(p = strrchr(line, ')')) ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void meter_start(const struct run *rn, struct meter *m)
{
	procsnap_reset_peak(rn->pid);
	procsnap_read(rn->pid, &m->ctl);
	getrusage(RUSAGE_SELF, &m->self);
	m->main_cpu = main_thread_cpu_s(rn->pid);
}

/* Print the controller's share of a phase that served `requests`. */
static void meter_print(const struct run *rn, const struct meter *m, uint64_t requests, double elapsed)
{
	struct procsnap now;
	struct rusage self;
	double cpu, per_req;
	uint64_t sw0, sw1;

	getrusage(RUSAGE_SELF, &self);
	printf("  devsim itself:  CPU %.2f s (%.0f%% of one core)\n",
	       tv_s(self.ru_utime) + tv_s(self.ru_stime) - tv_s(m->self.ru_utime) - tv_s(m->self.ru_stime),
	       100.0 *
		   (tv_s(self.ru_utime) + tv_s(self.ru_stime) - tv_s(m->self.ru_utime) -
		    tv_s(m->self.ru_stime)) /
		   (elapsed > 0 ? elapsed : 1));
	if (!m->ctl.valid || procsnap_read(rn->pid, &now) < 0) {
		printf("  controller:     no /proc figures (pid %d unknown or gone)\n", (int)rn->pid);
		return;
	}
	cpu = now.cpu_s - m->ctl.cpu_s;
	per_req = requests ? cpu * 1e6 / (double)requests : 0;
	printf("  controller:     CPU %.2f s (%.0f%% of one core), %.1f us/request = %.2f P-256 "
	       "verifies/request\n",
	       cpu, 100.0 * cpu / (elapsed > 0 ? elapsed : 1), per_req,
	       rn->floor.verify_us > 0 ? per_req / rn->floor.verify_us : 0);
	double main_now = m->main_cpu >= 0 ? main_thread_cpu_s(rn->pid) : -1;
	if (main_now >= 0)
		printf(
		    "  controller:     main thread (housekeeping: last_seen flush, retention) CPU %.2f s = "
		    "%.1f us/request\n",
		    main_now - m->main_cpu, requests ? (main_now - m->main_cpu) * 1e6 / (double)requests : 0);
	/* per-thread counters: threads that exited take theirs with them */
	sw0 = m->ctl.vcsw + m->ctl.nvcsw;
	sw1 = now.vcsw + now.nvcsw;
	printf("  controller:     peak RSS (VmHWM) %.1f MB, RSS now %.1f MB, %ld threads, %.0f context "
	       "switches/s\n",
	       now.hwm_kb / 1024.0, now.rss_kb / 1024.0, now.threads,
	       sw1 > sw0 ? (double)(sw1 - sw0) / (elapsed > 0 ? elapsed : 1) : 0.0);
}

/* Print every kind that saw traffic; returns the request total. */
static uint64_t report_kinds(struct stats st[K_COUNT], double elapsed)
{
	uint64_t total = 0;

	for (int k = 0; k < K_COUNT; k++) {
		if (!st[k].ok && !st[k].errors)
			continue;
		if (k == K_DELAY || k == K_FANOUT) {
			stats_sort(&st[k]);
			printf("  %-14s p50 %7.2f ms  p99 %7.2f ms  max %8.2f ms  (%llu samples)\n",
			       kind_name(k), stats_pct(&st[k], 50) / 1000.0, stats_pct(&st[k], 99) / 1000.0,
			       stats_pct(&st[k], 100) / 1000.0, (unsigned long long)st[k].n);
			continue;
		}
		stats_print(&st[k], kind_name(k), elapsed);
		total += st[k].ok + st[k].errors;
	}
	return total;
}

static void free_kinds(struct stats st[K_COUNT])
{
	for (int k = 0; k < K_COUNT; k++)
		stats_free(&st[k]);
}

static void shared_init(struct run *rn, struct phase_shared *sh, struct fleet *f)
{
	memset(sh, 0, sizeof(*sh));
	sh->fleet = f;
	sh->dopts = &rn->dopts;
	sh->log_entries = rn->o->log_entries;
	sh->log_eve = !strcmp(rn->o->log_text, "eve");
	sh->compress = rn->o->compress;
	sh->onboard_last = K_CONFIG;
}

/* Run one phase with metering and the standard report. */
static int run_measured(struct run *rn, const struct phase *ph, struct phase_shared *sh, double seconds,
			struct stats st[K_COUNT], double *elapsed)
{
	struct meter m;
	uint64_t total;
	int r;

	meter_start(rn, &m);
	r = worker_run_phase(ph, sh, rn->o->threads, seconds, st, elapsed);
	if (r < 0) {
		fprintf(stderr, "devsim: phase %s: %s\n", ph->name, eve_strerror(r));
		return r;
	}
	total = report_kinds(st, *elapsed);
	meter_print(rn, &m, total, *elapsed);
	return 0;
}

static size_t count_onboarded(const struct fleet *f)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n; i++)
		n += f->devs[i].uuid[0] != '\0';
	return n;
}

/* ---- onboard (every run) and register storm ---- */

static int scen_onboard(struct run *rn, struct fleet *f, int last, const char *title)
{
	struct stats st[K_COUNT];
	struct phase_shared sh;
	double el = 0;
	int r;

	shared_init(rn, &sh, f);
	sh.onboard_last = last;
	printf("== %s: %zu devices, %u connections, %u threads\n", title, f->n, rn->dopts.nslots,
	       rn->o->threads);
	/* a bound, not a target: 10 ms per device beyond the fixed part lets a
	 * 1,000,000-device fleet onboard at 100/s on a loaded machine */
	r = run_measured(rn, &phase_onboard, &sh, rn->o->timeout_s * 4 + 600 + (double)f->n * 0.01, st, &el);
	if (r == 0 && st[K_REGISTER].ok)
		printf("  => %.1f registrations/s; %zu of %zu devices have a UUID\n",
		       (double)st[K_REGISTER].ok / (el > 0 ? el : 1), count_onboarded(f), f->n);
	free_kinds(st);
	return r;
}

static int scen_storm(struct run *rn)
{
	char prefix[64];
	struct fleet storm;
	uint64_t t0 = monotime_ns();
	int r;

	snprintf(prefix, sizeof(prefix), "storm-%ld-%d", (long)time(NULL), (int)getpid());
	r = fleet_load(&storm, 0, rn->o->devices, prefix, rn->onboard_dir, rn->o->threads);
	if (r < 0) {
		fprintf(stderr, "devsim: storm keys: %s\n", eve_strerror(r));
		return r;
	}
	printf("(storm: %zu fresh keys and certificates made in %.2f s, not counted)\n", storm.n,
	       (double)(monotime_ns() - t0) / 1e9);
	r = scen_onboard(rn, &storm, K_UUID, "storm (register + uuid, new devices at once)");
	fleet_free(&storm);
	return r;
}

/* ---- poll, fleet ---- */

static int scen_poll(struct run *rn)
{
	struct stats st[K_COUNT];
	struct phase_shared sh;
	double el = 0;
	int r;

	shared_init(rn, &sh, &rn->fleet);
	printf("== poll: %zu devices, %u connections, %u threads, %.0f s, signed 304 config polls, closed "
	       "loop\n",
	       count_onboarded(&rn->fleet), rn->dopts.nslots, rn->o->threads, rn->o->duration_s);
	r = run_measured(rn, &phase_poll, &sh, rn->o->duration_s, st, &el);
	if (r == 0 && atomic_load(&sh.changed))
		printf("  (%llu polls got a new config instead of 304)\n",
		       (unsigned long long)atomic_load(&sh.changed));
	free_kinds(st);
	return r;
}

static int scen_fleet(struct run *rn)
{
	struct stats st[K_COUNT];
	struct phase_shared sh;
	double el = 0, n = (double)count_onboarded(&rn->fleet), c = rn->o->compress;
	int r;

	shared_init(rn, &sh, &rn->fleet);
	printf("== fleet: %.0f devices at EVE default intervals (config %.0f s, metrics %.0f s, info %.0f s, "
	       "x U(0.9,1.1)) compressed %gx, %.0f s; offered %.0f req/s, %u connections\n",
	       n, EVE_CONFIG_INTERVAL_S, EVE_METRICS_INTERVAL_S, EVE_INFO_INTERVAL_S, c, rn->o->duration_s,
	       n * c * (1 / EVE_CONFIG_INTERVAL_S + 1 / EVE_METRICS_INTERVAL_S + 1 / EVE_INFO_INTERVAL_S),
	       rn->dopts.nslots);
	r = run_measured(rn, &phase_fleet, &sh, rn->o->duration_s, st, &el);
	free_kinds(st);
	return r;
}

/* ---- fan-out ---- */

static int admin_json(struct run *rn, const char *method, const char *path, json_t *body, long *status)
{
	char *txt = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct buf resp;
	int r;

	buf_init(&resp, 64u << 20); /* app objects list every instance */
	r = admin_call(rn->admin, method, path, txt, status, &resp);
	if (r == 0 && (*status < 200 || *status >= 300) && *status != 409)
		fprintf(stderr, "devsim: %s %s: HTTP %ld %.200s\n", method, path, *status,
			resp.data ? (char *)resp.data : "");
	buf_free(&resp);
	free(txt);
	json_decref(body);
	return r;
}

static int fanout_label_all(struct run *rn)
{
	char path[128];
	long status;
	uint64_t t0 = monotime_ns();
	size_t bad = 0;

	for (size_t i = 0; i < rn->fleet.n; i++) {
		struct simdev *d = &rn->fleet.devs[i];

		if (!d->uuid[0])
			continue;
		snprintf(path, sizeof(path), "/devices/%s", d->uuid);
		if (admin_json(rn, "PATCH", path, json_pack("{s:{s:s}}", "labels", "devsim", "fanout"),
			       &status) < 0 ||
		    status / 100 != 2)
			bad++;
	}
	printf("  setup: labelled %zu devices in %.2f s (%zu failed)\n", rn->fleet.n,
	       (double)(monotime_ns() - t0) / 1e9, bad);
	return bad ? -EVE_EHTTP : 0;
}

struct fanout_ctx {
	struct run *rn;
	char app[64];
	double warmup_s, limit_s, admin_s;
	int err;
};

/* On the main thread while devices poll: wait, deploy, wait for all. */
static int fanout_during(struct phase_shared *sh, void *p)
{
	struct fanout_ctx *fc = p;
	uint64_t t0, until;
	long status = 0;
	int r;

	usleep((useconds_t)(fc->warmup_s * 1e6));
	t0 = monotime_ns();
	atomic_store(&sh->fanout_t0, t0);
	r = admin_json(fc->rn, "POST", "/apps",
		       json_pack("{s:s,s:s,s:{s:s},s:i,s:i,s:b}", "name", fc->app, "image",
				 "devsim-fanout-img", "selector", "devsim", "fanout", "cpus", 1, "memory_mb",
				 64, "activate", 1),
		       &status);
	fc->admin_s = (double)(monotime_ns() - t0) / 1e9;
	if (r < 0 || status / 100 != 2) {
		fprintf(stderr, "devsim: fan-out POST /api/v1/apps failed: %s (HTTP %ld)\n",
			r < 0 ? eve_strerror(r) : "refused", status);
		atomic_store(&sh->stop, 1);
		fc->err = r < 0 ? r : -EVE_EHTTP;
		return 0;
	}
	until = t0 + (uint64_t)(fc->limit_s * 1e9);
	while (!atomic_load(&sh->stop) && monotime_ns() < until)
		usleep(20000);
	atomic_store(&sh->stop, 1);
	return 0;
}

static int scen_fanout(struct run *rn)
{
	struct fanout_ctx fc = {.rn = rn};
	struct stats st[K_COUNT];
	struct phase_shared sh;
	double el = 0, interval = EVE_CONFIG_INTERVAL_S / rn->o->compress;
	char path[128];
	long status;
	size_t n = count_onboarded(&rn->fleet);
	int r;

	printf("== fanout: %zu devices polling config every %.2f s (60 s / %.0f), one app to a label all "
	       "carry\n",
	       n, interval, rn->o->compress);
	if ((r = fanout_label_all(rn)) < 0)
		return r;
	r = admin_json(rn, "POST", "/images",
		       json_pack("{s:s,s:s,s:s,s:s,s:i}", "name", "devsim-fanout-img", "url",
				 "https://127.0.0.1:1/devsim-fanout.img", "sha256",
				 "0000000000000000000000000000000000000000000000000000000000000000", "format",
				 "oci", "size", 1024),
		       &status);
	if (r < 0)
		return r;
	snprintf(fc.app, sizeof(fc.app), "devsim-fanout-%ld", (long)time(NULL));
	fc.warmup_s = interval * 1.2;
	fc.limit_s = interval * 5 + 60;
	shared_init(rn, &sh, &rn->fleet);
	sh.fanout_only_config = true;
	sh.during = fanout_during;
	sh.during_ctx = &fc;
	r = run_measured(rn, &phase_fleet, &sh, fc.warmup_s + fc.limit_s + 5, st, &el);
	if (r == 0 && fc.err == 0) {
		uint64_t done = atomic_load(&sh.fanout_done);

		stats_sort(&st[K_FANOUT]);
		printf("  => admin POST /apps took %.3f s; %llu of %zu devices fetched the new config (poll "
		       "interval "
		       "%.2f s); after the change: 50%% by %.2f s, 99%% by %.2f s, ",
		       fc.admin_s, (unsigned long long)done, n, interval, stats_pct(&st[K_FANOUT], 50) / 1e6,
		       stats_pct(&st[K_FANOUT], 99) / 1e6);
		if (done >= n)
			printf("all by %.2f s (%.2f s after the acknowledgement)\n",
			       stats_pct(&st[K_FANOUT], 100) / 1e6,
			       stats_pct(&st[K_FANOUT], 100) / 1e6 - fc.admin_s);
		else
			printf("NOT ALL within the %.0f s limit\n", fc.limit_s);
	}
	snprintf(path, sizeof(path), "/apps/%s", fc.app);
	admin_json(rn, "DELETE", path, NULL, &status);
	free_kinds(st);
	return r < 0 ? r : fc.err;
}

/* ---- rollout: an app to every device, then a phased rollout of a new
 * image; devices report the configured app RUNNING as soon as they fetch
 * it (an agent that starts containers instantly) ---- */

struct rollout_ctx {
	struct run *rn;
	char app[64], name[64];
	double warmup_s, limit_s;
	int err;
};

/* The rollout object (without devices) from GET /rollouts. */
static json_t *rollout_fetch(struct run *rn, const char *name)
{
	struct buf resp;
	long status = 0;
	json_t *list, *it, *out = NULL;
	size_t i;

	buf_init(&resp, 1u << 20);
	if (admin_call(rn->admin, "GET", "/rollouts", NULL, &status, &resp) == 0 && status == 200 &&
	    (list = json_loadb((const char *)resp.data, resp.len, 0, NULL))) {
		json_array_foreach(json_object_get(list, "items"), i,
				   it) if (!strcmp(json_string_value(json_object_get(it, "name")) ?: "",
						   name)) out = json_incref(it);
		json_decref(list);
	}
	buf_free(&resp);
	return out;
}

struct phase_mark {
	double t, cpu, main_cpu;
	long long healthy;
};

static void rollout_mark(struct run *rn, uint64_t t0, long long healthy, struct phase_mark *m)
{
	struct procsnap p;

	m->t = (double)(monotime_ns() - t0) / 1e9;
	m->cpu = procsnap_read(rn->pid, &p) == 0 ? p.cpu_s : -1;
	m->main_cpu = main_thread_cpu_s(rn->pid);
	m->healthy = healthy;
}

/* Poll the rollout; mark each phase change and the end. */
static int rollout_watch(struct rollout_ctx *rc, uint64_t t0, struct phase_mark *marks, int *nmarks)
{
	uint64_t until = t0 + (uint64_t)(rc->limit_s * 1e9);
	long long phase = 1;

	rollout_mark(rc->rn, t0, 0, &marks[(*nmarks)++]);
	while (monotime_ns() < until) {
		json_t *ro = rollout_fetch(rc->rn, rc->name);
		char st[16];
		long long ph = json_integer_value(json_object_get(ro, "phase"));
		long long healthy =
		    json_integer_value(json_object_get(json_object_get(ro, "devices_count"), "healthy"));
		bool end;

		snprintf(st, sizeof(st), "%s", json_string_value(json_object_get(ro, "state")) ?: "");
		end = !strcmp(st, "done") || !strcmp(st, "halted");

		if (ro && (ph != phase || end) && *nmarks < 16) {
			rollout_mark(rc->rn, t0, healthy, &marks[(*nmarks)++]);
			phase = ph;
		}
		json_decref(ro);
		if (end) {
			printf("  => rollout %s: %s\n", rc->name, st);
			return strcmp(st, "done") ? -EVE_EHTTP : 0;
		}
		usleep(200000);
	}
	printf("  => rollout %s: NOT DONE within %.0f s\n", rc->name, rc->limit_s);
	return -ETIMEDOUT;
}

static int rollout_during(struct phase_shared *sh, void *p)
{
	struct rollout_ctx *rc = p;
	struct phase_mark marks[16];
	int n = 0, r;
	long status = 0;
	uint64_t t0;

	usleep((useconds_t)(rc->warmup_s * 1e6));
	t0 = monotime_ns();
	r = admin_json(rc->rn, "POST", "/rollouts",
		       json_pack("{s:s, s:s, s:{s:s}, s:[s,s,s,s], s:i, s:i, s:i}", "name", rc->name, "app",
				 rc->app, "update", "image", "devsim-rollout-v2", "phases", "1%", "10%",
				 "50%", "100%", "health", 1, "timeout", 600, "online", 600),
		       &status);
	if (r < 0 || status != 201) {
		fprintf(stderr, "devsim: POST /rollouts failed (HTTP %ld)\n", status);
		rc->err = r < 0 ? r : -EVE_EHTTP;
		atomic_store(&sh->stop, 1);
		return 0;
	}
	printf("  admin POST /rollouts took %.3f s\n", (double)(monotime_ns() - t0) / 1e9);
	rc->err = rollout_watch(rc, t0, marks, &n);
	for (int i = 1; i < n; i++)
		printf(
		    "  phase %d: %lld devices healthy by %.1f s after the start, took %.1f s; controller CPU "
		    "%.2f s, of which its housekeeping thread (rollout step, last_seen flush) %.2f s\n",
		    i, marks[i].healthy, marks[i].t, marks[i].t - marks[i - 1].t,
		    marks[i].cpu - marks[i - 1].cpu, marks[i].main_cpu - marks[i - 1].main_cpu);
	atomic_store(&sh->stop, 1);
	return 0;
}

static int scen_rollout(struct run *rn)
{
	struct rollout_ctx rc = {.rn = rn};
	struct stats st[K_COUNT];
	struct phase_shared sh;
	double el = 0, interval = EVE_CONFIG_INTERVAL_S / rn->o->compress;
	char path[128];
	long status;
	size_t n = count_onboarded(&rn->fleet);
	int r;

	printf("== rollout: %zu devices polling config every %.2f s (60 s / %.0f), one app on all, then a "
	       "rollout of a new image in phases 1%%,10%%,50%%,100%% (health gate 1 s)\n",
	       n, interval, rn->o->compress);
	if ((r = fanout_label_all(rn)) < 0)
		return r;
	for (int v = 1; v <= 2; v++) {
		char img[64];
		snprintf(img, sizeof(img), "devsim-rollout-v%d", v);
		r = admin_json(
		    rn, "POST", "/images",
		    json_pack("{s:s,s:s,s:s,s:s,s:i}", "name", img, "url",
			      "https://127.0.0.1:1/devsim-rollout.img", "sha256",
			      v == 1 ? "1111111111111111111111111111111111111111111111111111111111111111"
				     : "2222222222222222222222222222222222222222222222222222222222222222",
			      "format", "oci", "size", 1024),
		    &status);
		if (r < 0)
			return r;
	}
	snprintf(rc.app, sizeof(rc.app), "devsim-rollout-%ld", (long)time(NULL));
	snprintf(rc.name, sizeof(rc.name), "devsim-rollout-%ld", (long)time(NULL));
	r = admin_json(rn, "POST", "/apps",
		       json_pack("{s:s,s:s,s:{s:s},s:i}", "name", rc.app, "image", "devsim-rollout-v1",
				 "selector", "devsim", "fanout", "memory_mb", 64),
		       &status);
	if (r < 0 || status != 201)
		return r < 0 ? r : -EVE_EHTTP;
	rc.warmup_s = interval * 2.5;
	rc.limit_s = interval * 20 + 120;
	shared_init(rn, &sh, &rn->fleet);
	sh.fanout_only_config = true;
	sh.report_apps = true;
	sh.during = rollout_during;
	sh.during_ctx = &rc;
	r = run_measured(rn, &phase_fleet, &sh, rc.warmup_s + rc.limit_s + 5, st, &el);
	snprintf(path, sizeof(path), "/rollouts/%s", rc.name);
	admin_json(rn, "DELETE", path, NULL, &status);
	snprintf(path, sizeof(path), "/apps/%s", rc.app);
	admin_json(rn, "DELETE", path, NULL, &status);
	free_kinds(st);
	return r < 0 ? r : rc.err;
}

/* ---- ingest ---- */

/* Used bytes of the controller's database (0 when unknown). */
static uint64_t db_bytes(const struct run *rn)
{
	char path[SCEN_PATH];
	uint64_t b = 0;

	if (!rn->o->ctl_dir)
		return 0;
	snprintf(path, sizeof(path), "%.4000s/controller.db", rn->o->ctl_dir);
	if (dbsize_used(path, &b) < 0)
		return 0;
	return b;
}

/* Bytes of the database files on disk (main file, WAL, shared memory). */
static void db_files_print(const struct run *rn)
{
	static const char *const wal[] = {"-wal", NULL}, *const all[] = {".db", NULL};
	uint64_t w = 0, a = 0;

	if (!rn->o->ctl_dir)
		return;
	stats_dir_bytes(rn->o->ctl_dir, wal, &w);
	stats_dir_bytes(rn->o->ctl_dir, all, &a);
	printf("  database on disk: %.1f MB in files, of which WAL %.1f MB; %.1f MB in use\n", a / 1e6,
	       w / 1e6, db_bytes(rn) / 1e6);
}

/* One ingest sub-phase; *per_row gets DB bytes grown per stored row. */
static int ingest_part(struct run *rn, int mode, double seconds, double *per_row)
{
	struct stats st[K_COUNT];
	struct phase_shared sh;
	uint64_t before = db_bytes(rn), rows;
	double el = 0;
	int r;

	shared_init(rn, &sh, &rn->fleet);
	sh.ingest_mode = mode;
	printf("-- ingest %s, %.0f s\n", mode == 1 ? "metrics (1 row each)" : "logs", seconds);
	r = run_measured(rn, &phase_ingest, &sh, seconds, st, &el);
	rows = atomic_load(&sh.rows);
	*per_row = rows ? ((double)db_bytes(rn) - (double)before) / (double)rows : 0;
	if (r == 0)
		printf("  => %.0f rows/s accepted; database in use grew %.1f bytes/row\n",
		       (double)rows / (el > 0 ? el : 1), *per_row);
	free_kinds(st);
	return r;
}

static int scen_ingest(struct run *rn)
{
	double m_row = 0, l_row = 0, per_day;
	int r;

	printf("== ingest: %zu devices, %u connections, newlogs uploads of %u lines (%s text)\n",
	       count_onboarded(&rn->fleet), rn->dopts.nslots, rn->o->log_entries, rn->o->log_text);
	if ((r = ingest_part(rn, 1, rn->o->duration_s / 2, &m_row)) < 0)
		return r;
	if ((r = ingest_part(rn, 2, rn->o->duration_s / 2, &l_row)) < 0)
		return r;
	db_files_print(rn);
	per_day = m_row * (86400.0 / EVE_METRICS_INTERVAL_S) + l_row * rn->o->logs_per_day;
	printf("  => DB growth per device-day at default intervals: %.0f metrics x %.0f B + %.0f log rows x "
	       "%.0f B "
	       "= %.2f MB (before retention trims it)\n",
	       86400.0 / EVE_METRICS_INTERVAL_S, m_row, rn->o->logs_per_day, l_row, per_day / 1e6);
	return 0;
}

/* ---- reports: what a fleet sends, each report until acknowledged ---- */

static int scen_reports(struct run *rn)
{
	struct stats st[K_COUNT];
	struct phase_shared sh;
	double el = 0, c = rn->o->compress, drain = rn->o->timeout_s * 2 + 5;
	int r;

	shared_init(rn, &sh, &rn->fleet);
	printf("== reports: %zu devices at EVE default intervals (config %.0f s, metrics and newlogs %.0f s, "
	       "info %.0f s, x U(0.9,1.1)) compressed %gx, %.0f s; a report not acknowledged is sent again "
	       "after %.1f s (up to %.0f s past the end)\n",
	       count_onboarded(&rn->fleet), EVE_CONFIG_INTERVAL_S, EVE_METRICS_INTERVAL_S,
	       EVE_INFO_INTERVAL_S, c, rn->o->duration_s, EVE_RESEND_S, drain);
	sh.end_ns = monotime_ns() + (uint64_t)(rn->o->duration_s * 1e9);
	r = run_measured(rn, &phase_reports, &sh, rn->o->duration_s + drain, st, &el);
	if (r == 0)
		printf("  => acknowledged (2xx): info %llu, metrics %llu, newlogs %llu (%llu lines); failed "
		       "attempts sent again %llu; not acknowledged at the end %llu\n",
		       (unsigned long long)st[K_INFO].ok, (unsigned long long)st[K_METRICS].ok,
		       (unsigned long long)st[K_LOGS].ok,
		       (unsigned long long)st[K_LOGS].ok * rn->o->log_entries,
		       (unsigned long long)atomic_load(&sh.resent),
		       (unsigned long long)atomic_load(&sh.unacked));
	free_kinds(st);
	return r;
}

/* ---- seal: signed requests written out for a test to send itself ---- */

static int seal_one(const char *dir, const struct simdev *d, const char *kind,
		    int (*make)(const struct simdev *, uint8_t **, size_t *))
{
	char path[SCEN_PATH];
	uint8_t *b = NULL;
	size_t n = 0;
	int r = make(d, &b, &n);

	snprintf(path, sizeof(path), "%.3000s/%s.%s", dir, d->serial, kind);
	if (r == 0)
		r = fileio_write_atomic(path, b, n, 0644);
	free(b);
	return r;
}

/* One metrics and one info request per onboarded device, signed as the
 * device signs them, in --out-dir as SERIAL.metrics, SERIAL.info (the
 * UUID in SERIAL.uuid): e.g. to send one to two replicas (a replay). */
static int scen_seal(struct run *rn)
{
	const char *dir = rn->o->out_dir;
	size_t n = 0;
	int r = 0;

	if (!dir) {
		fprintf(stderr, "eve-devsim: seal needs --out-dir\n");
		return -EINVAL;
	}
	if ((r = fileio_mkdirs(dir, 0755)) < 0)
		return r;
	for (size_t i = 0; r == 0 && i < rn->fleet.n; i++) {
		const struct simdev *d = &rn->fleet.devs[i];
		char path[SCEN_PATH];

		if (!d->uuid[0])
			continue;
		snprintf(path, sizeof(path), "%.3000s/%s.uuid", dir, d->serial);
		r = fileio_write_atomic(path, d->uuid, strlen(d->uuid), 0644);
		if (r == 0)
			r = seal_one(dir, d, "metrics", msgs_metrics);
		if (r == 0)
			r = seal_one(dir, d, "info", msgs_info);
		n += r == 0;
	}
	printf("== seal: %zu devices: %s/SERIAL.metrics and SERIAL.info (POST to /id/UUID/metrics and "
	       "/info), SERIAL.uuid\n",
	       n, dir);
	return r;
}

/* ---- setup and dispatch ---- */

static int run_resolve(struct run *rn, const struct devsim_opts *o)
{
	char path[SCEN_PATH];
	uint8_t *txt = NULL;
	size_t len;
	int r;

	rn->o = o;
	snprintf(rn->onboard_dir, sizeof(rn->onboard_dir), "%s", o->onboard_dir ? o->onboard_dir : "");
	if (!o->onboard_dir && o->ctl_dir)
		snprintf(rn->onboard_dir, sizeof(rn->onboard_dir), "%.4000s/device-config", o->ctl_dir);
	snprintf(rn->ca, sizeof(rn->ca), "%s", o->ca_path ? o->ca_path : "");
	if (!o->ca_path)
		snprintf(rn->ca, sizeof(rn->ca), "%.4000s/root-certificate.pem", rn->onboard_dir);
	snprintf(rn->token, sizeof(rn->token), "%s", o->token_path ? o->token_path : "");
	if (!o->token_path && o->ctl_dir)
		snprintf(rn->token, sizeof(rn->token), "%.4000s/admin-token", o->ctl_dir);
	if (o->server) {
		snprintf(rn->server, sizeof(rn->server), "%s", o->server);
	} else {
		snprintf(path, sizeof(path), "%.4000s/server", rn->onboard_dir);
		if ((r = fileio_read(path, 255, &txt, &len)) < 0)
			return r;
		while (len && (txt[len - 1] == '\n' || txt[len - 1] == ' ' || txt[len - 1] == '\r'))
			txt[--len] = '\0';
		snprintf(rn->server, sizeof(rn->server), "%s", (char *)txt);
		free(txt);
	}
	rn->pid = o->pid;
	if (!rn->pid && o->ctl_dir) {
		snprintf(path, sizeof(path), "%.4000s/controller.pid", o->ctl_dir);
		procsnap_pid_from_file(path, &rn->pid);
	}
	snprintf(rn->dev_url, sizeof(rn->dev_url), "https://%s%s", rn->server, o->api_prefix);
	snprintf(rn->admin_url, sizeof(rn->admin_url), "https://%s/api/v1", rn->server);
	rn->dopts = (struct driver_opts){.base_url = rn->dev_url,
					 .ca_path = rn->ca,
					 .connect_to = o->connect_to,
					 .nslots = o->connections,
					 .timeout_s = (long)o->timeout_s};
	return 0;
}

static int run_accept_onboard_cert(struct run *rn)
{
	long status = 0;
	int r = admin_json(rn, "POST", "/onboard",
			   json_pack("{s:s,s:[s]}", "cert", rn->fleet.onboard_pem, "serials", "*"), &status);

	if (r < 0)
		return r;
	return status / 100 == 2 || status == 409 ? 0 : -EVE_EHTTP;
}

static void run_print_header(struct run *rn)
{
	struct procsnap p;

	printf("eve-devsim: controller https://%s (pid %d), %u devices, %u connections, %u threads\n",
	       rn->server, (int)rn->pid, rn->o->devices, rn->o->connections, rn->o->threads);
	printf("crypto floor (OpenSSL, in-process, thread CPU time, median of 64-op rounds): ECDSA P-256 "
	       "sign %.1f us, verify %.1f us (%.0f verify/s per core)\n",
	       rn->floor.sign_us, rn->floor.verify_us,
	       rn->floor.verify_us > 0 ? 1e6 / rn->floor.verify_us : 0);
	printf(
	    "crypto floor spread: verify min %.1f / p90 %.1f / max %.1f us over %u rounds; sign min %.1f / "
	    "p90 %.1f / max %.1f us over %u rounds\n",
	    rn->floor.verify.min, rn->floor.verify.p90, rn->floor.verify.max, rn->floor.verify.rounds,
	    rn->floor.sign.min, rn->floor.sign.p90, rn->floor.sign.max, rn->floor.sign.rounds);
	if (procsnap_read(rn->pid, &p) == 0)
		printf("controller at start: RSS %.1f MB, peak %.1f MB, %ld threads\n", p.rss_kb / 1024.0,
		       p.hwm_kb / 1024.0, p.threads);
}

struct scen_entry {
	const char *name;
	int (*fn)(struct run *rn);
};

static const struct scen_entry scenarios[] = {
    {"poll", scen_poll},     {"fleet", scen_fleet},     {"storm", scen_storm},     {"fanout", scen_fanout},
    {"ingest", scen_ingest}, {"rollout", scen_rollout}, {"reports", scen_reports}, {"seal", scen_seal},
};

static int run_list(struct run *rn, const char *names)
{
	char *copy = strdup(strcmp(names, "all") ? names : "poll,fleet,storm,fanout,ingest"), *save = NULL;
	int r = 0, rr;

	if (!copy)
		return -ENOMEM;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
			if (strcmp(tok, scenarios[i].name) == 0)
				break;
		if (i == sizeof(scenarios) / sizeof(scenarios[0])) {
			fprintf(stderr, "devsim: unknown scenario '%s'\n", tok);
			r = -EINVAL;
			continue;
		}
		fflush(stdout);
		if ((rr = scenarios[i].fn(rn)) < 0 && r == 0)
			r = rr;
		fflush(stdout);
	}
	free(copy);
	return r;
}

/* --state: what an earlier run onboarded; a missing or other fleet's file
 * only means onboarding everything. */
static void run_state_load(struct run *rn, const struct devsim_opts *o)
{
	size_t known = 0;
	int r = fleet_state_load(&rn->fleet, o->state_path, o->serial_prefix, &known);

	if (r == 0)
		printf("(state: %zu of %zu devices onboarded by an earlier run, from %s)\n", known,
		       rn->fleet.n, o->state_path);
	else if (r != -ENOENT)
		printf("(state: %s not used: %s)\n", o->state_path,
		       r == -ESTALE ? "another controller or fleet" : eve_strerror(r));
}

int scenario_run_all(const char *names, const struct devsim_opts *o)
{
	struct run rn;
	uint64_t t0;
	int r;

	memset(&rn, 0, sizeof(rn));
	if ((r = run_resolve(&rn, o)) < 0) {
		fprintf(stderr, "devsim: cannot read the controller's device-config: %s\n", eve_strerror(r));
		return r;
	}
	if ((r = crypto_floor_measure(&rn.floor, o->crypto_s)) < 0)
		return r;
	run_print_header(&rn);
	t0 = monotime_ns();
	r = fleet_load(&rn.fleet, o->first, o->devices, o->serial_prefix, rn.onboard_dir, o->threads);
	if (r < 0) {
		fprintf(stderr, "devsim: device keys: %s\n", eve_strerror(r));
		return r;
	}
	printf("(fleet: %zu device keys derived in %.2f s on %u threads)\n", rn.fleet.n,
	       (double)(monotime_ns() - t0) / 1e9, o->threads);
	if (o->state_path)
		run_state_load(&rn, o);
	r = admin_new(rn.admin_url, rn.ca, o->admin_connect_to ? o->admin_connect_to : o->connect_to,
		      rn.token, &rn.admin);
	if (r == 0 && (r = run_accept_onboard_cert(&rn)) < 0)
		fprintf(stderr, "devsim: POST /api/v1/onboard failed: %s\n", eve_strerror(r));
	if (r == 0 && count_onboarded(&rn.fleet) < rn.fleet.n)
		r = scen_onboard(&rn, &rn.fleet, K_CONFIG, "onboard (register + uuid + first config)");
	if (r == 0 && o->state_path && (r = fleet_state_save(&rn.fleet, o->state_path, o->serial_prefix)) < 0)
		fprintf(stderr, "devsim: cannot write %s: %s\n", o->state_path, eve_strerror(r));
	if (r == 0 && count_onboarded(&rn.fleet) == 0) {
		fprintf(stderr, "devsim: no device onboarded\n");
		r = -EVE_EHTTP;
	}
	if (r == 0)
		r = run_list(&rn, names);
	admin_free(rn.admin);
	fleet_free(&rn.fleet);
	return r;
}
