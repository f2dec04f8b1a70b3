// SPDX-License-Identifier: Apache-2.0
/* Driver callbacks of the scenarios. */
#include <string.h>

#include "err.h"
#include "monotime.h"
#include "msgs.h"
#include "phases.h"

/* Build and hand out a request; on a build error stop the phase. */
static int phase_emit(struct worker *w, struct simdev *d, int kind, struct drv_req *req)
{
	int r = worker_build(w, d, kind, req);

	if (r < 0)
		return r;
	d->busy = true;
	w->inflight++;
	return 1;
}

static void phase_settle(struct worker *w, struct drv_req *req)
{
	req->dev->busy = false;
	w->inflight--;
	if (atomic_load(&w->sh->stop))
		driver_stop(w->drv);
}

/* ---- onboard ---- */

enum { OB_REGISTER, OB_UUID, OB_CONFIG, OB_DONE, OB_FAILED };
#define OB_MAX_RETRIES 3
/* A failed step is tried again after retries x this (an agent backs off
 * too); e.g. another replica that has not heard of the registration yet. */
#define OB_RETRY_NS 200000000ull

static int onboard_init(struct worker *w)
{
	for (size_t i = 0; i < w->n; i++) {
		/* a device with a UUID (--state: onboarded by an earlier run) is done */
		w->devs[i].state = w->devs[i].uuid[0] ? OB_DONE : OB_REGISTER;
		w->devs[i].retries = 0;
		w->devs[i].t_mark_ns = 0;
		if (w->devs[i].state != OB_DONE && worker_queue_push(w, (uint32_t)i) < 0)
			return -ENOSPC;
	}
	return 0;
}

static int onboard_next(void *ctx, struct drv_req *req, uint64_t *wait_ns)
{
	static const int kind_of[] = {[OB_REGISTER] = K_REGISTER, [OB_UUID] = K_UUID, [OB_CONFIG] = K_CONFIG};
	struct worker *w = ctx;
	uint64_t now;
	uint32_t i;

	if (atomic_load(&w->sh->stop))
		return -1;
	if (!worker_queue_peek(w, &i)) {
		*wait_ns = w->inflight ? 1000000u : 0;
		return 0;
	}
	now = monotime_ns();
	if (w->devs[i].t_mark_ns > now) { /* a retry, not due yet */
		*wait_ns = w->devs[i].t_mark_ns - now;
		return 0;
	}
	worker_queue_pop(w, &i);
	return phase_emit(w, &w->devs[i], kind_of[w->devs[i].state], req);
}

static void onboard_done(void *ctx, struct drv_req *req, long status, const struct buf *resp, const char *err)
{
	struct worker *w = ctx;
	struct simdev *d = req->dev;
	bool ok = worker_account(w, req, status, resp, err);

	phase_settle(w, req);
	if (ok && req->kind == K_UUID)
		ok = msgs_parse_uuid(resp->data, resp->len, d->uuid) == 0;
	if (ok && req->kind == K_CONFIG && status == 200)
		ok = msgs_parse_config(resp->data, resp->len, d->config_hash) == 0;
	if (!ok && ++d->retries > OB_MAX_RETRIES) {
		d->state = OB_FAILED;
		return;
	}
	d->t_mark_ns = ok ? 0 : monotime_ns() + d->retries * OB_RETRY_NS;
	if (ok)
		d->state = req->kind == w->sh->onboard_last ? OB_DONE : d->state + 1;
	if (d->state != OB_DONE)
		worker_queue_push(w, (uint32_t)(d - w->devs));
}

static const struct driver_ops onboard_ops = {onboard_next, onboard_done};
const struct phase phase_onboard = {"onboard", onboard_init, &onboard_ops};

/* ---- poll and ingest: closed loops over the onboarded devices ---- */

/* Next idle onboarded device, round-robin; NULL when none. */
static struct simdev *closed_loop_pick(struct worker *w)
{
	for (size_t tries = 0; tries < w->n; tries++) {
		struct simdev *d = &w->devs[w->cursor];

		w->cursor = (w->cursor + 1) % w->n;
		if (d->uuid[0] && !d->busy)
			return d;
	}
	return NULL;
}

static int poll_next(void *ctx, struct drv_req *req, uint64_t *wait_ns)
{
	struct worker *w = ctx;
	struct simdev *d;

	if (atomic_load(&w->sh->stop))
		return -1;
	if (!(d = closed_loop_pick(w))) {
		*wait_ns = w->inflight ? 1000000u : 0;
		return 0;
	}
	return phase_emit(w, d, K_CONFIG, req);
}

static void config_answer(struct worker *w, struct drv_req *req, long status, const struct buf *resp)
{
	char hash[CONFIGHASH_LEN], inst[UUID_STR_LEN], ver[24];
	struct simdev *d = req->dev;
	uint64_t t0;

	if (status != 200)
		return;
	if (w->sh->report_apps) {
		if (msgs_parse_config_app(resp->data, resp->len, hash, inst, ver) < 0)
			return;
		if (inst[0] && (strcmp(inst, d->app_inst) || strcmp(ver, d->app_ver))) {
			/* the "agent" runs it at once: report it RUNNING now */
			strcpy(d->app_inst, inst);
			strcpy(d->app_ver, ver);
			worker_timer_push(w, monotime_ns(), (uint32_t)(d - w->devs), K_APPINFO);
		}
	} else if (msgs_parse_config(resp->data, resp->len, hash) < 0) {
		return;
	}
	if (strcmp(hash, d->config_hash) == 0)
		return;
	strcpy(d->config_hash, hash);
	atomic_fetch_add(&w->sh->changed, 1);
	t0 = atomic_load(&w->sh->fanout_t0);
	if (!w->sh->fanout_only_config || !t0 || d->state == 1)
		return;
	d->state = 1; /* reached by the fan-out */
	stats_add(&w->st[K_FANOUT], (monotime_ns() - t0) / 1000u, true);
	if (atomic_fetch_add(&w->sh->fanout_done, 1) + 1 >= w->sh->fleet->n)
		atomic_store(&w->sh->stop, 1);
}

static void poll_done(void *ctx, struct drv_req *req, long status, const struct buf *resp, const char *err)
{
	struct worker *w = ctx;

	worker_account(w, req, status, resp, err);
	config_answer(w, req, status, resp);
	phase_settle(w, req);
}

static const struct driver_ops poll_ops = {poll_next, poll_done};
const struct phase phase_poll = {"poll", NULL, &poll_ops};

static int ingest_next(void *ctx, struct drv_req *req, uint64_t *wait_ns)
{
	struct worker *w = ctx;
	struct simdev *d;
	int kind;

	if (atomic_load(&w->sh->stop))
		return -1;
	if (!(d = closed_loop_pick(w))) {
		*wait_ns = w->inflight ? 1000000u : 0;
		return 0;
	}
	if (w->sh->ingest_mode == 1)
		kind = K_METRICS;
	else if (w->sh->ingest_mode == 2)
		kind = K_LOGS;
	else
		kind = d->seq % 2 ? K_LOGS : K_METRICS;
	return phase_emit(w, d, kind, req);
}

static void ingest_done(void *ctx, struct drv_req *req, long status, const struct buf *resp, const char *err)
{
	struct worker *w = ctx;

	if (worker_account(w, req, status, resp, err))
		atomic_fetch_add(&w->sh->rows, req->kind == K_LOGS ? w->sh->log_entries : 1u);
	phase_settle(w, req);
}

static const struct driver_ops ingest_ops = {ingest_next, ingest_done};
const struct phase phase_ingest = {"ingest", NULL, &ingest_ops};

/* ---- fleet (and fan-out): open loop on timers ---- */

static double fleet_interval_ns(const struct worker *w, int kind)
{
	double s = kind == K_INFO                        ? EVE_INFO_INTERVAL_S
		   : kind == K_METRICS || kind == K_LOGS ? EVE_METRICS_INTERVAL_S
							 : EVE_CONFIG_INTERVAL_S;

	return s / (w->sh->compress > 0 ? w->sh->compress : 1.0) * 1e9;
}

static int fleet_init(struct worker *w)
{
	static const int fleet_kinds[] = {K_CONFIG, K_METRICS, K_INFO};
	size_t nk = w->sh->fanout_only_config ? 1 : 3;
	uint64_t now = monotime_ns();

	for (size_t i = 0; i < w->n; i++) {
		w->devs[i].state = 0;
		if (!w->devs[i].uuid[0])
			continue;
		for (size_t k = 0; k < nk; k++) {
			double first = worker_rand(w) * fleet_interval_ns(w, fleet_kinds[k]);

			if (worker_timer_push(w, now + (uint64_t)first, (uint32_t)i,
					      (uint8_t)fleet_kinds[k]) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

static int fleet_next(void *ctx, struct drv_req *req, uint64_t *wait_ns)
{
	struct worker *w = ctx;
	uint64_t now = monotime_ns(), next_due;
	struct timer t;
	int r;

	if (atomic_load(&w->sh->stop))
		return -1;
	if (!worker_timer_peek(w, &t)) {
		*wait_ns = 0;
		return 0;
	}
	if (t.due_ns > now) {
		*wait_ns = t.due_ns - now;
		return 0;
	}
	worker_timer_pop(w);
	next_due = t.due_ns + (uint64_t)(fleet_interval_ns(w, t.kind) * (0.9 + 0.2 * worker_rand(w)));
	if (t.kind != K_APPINFO && worker_timer_push(w, next_due, t.dev, t.kind) < 0)
		return -ENOMEM; /* app info: once per change */
	stats_add(&w->st[K_DELAY], (now - t.due_ns) / 1000u, true);
	r = phase_emit(w, &w->devs[t.dev], t.kind, req);
	req->t_due_ns = t.due_ns;
	return r;
}

static void fleet_done(void *ctx, struct drv_req *req, long status, const struct buf *resp, const char *err)
{
	struct worker *w = ctx;

	worker_account(w, req, status, resp, err);
	if (req->kind == K_CONFIG)
		config_answer(w, req, status, resp);
	if (req->kind == K_APPINFO && status / 100 != 2) {
		req->dev->app_ver[0] = 0; /* report again: the next poll gets the config again */
		req->dev->config_hash[0] = 0;
	}
	phase_settle(w, req);
}

static const struct driver_ops fleet_ops = {fleet_next, fleet_done};
const struct phase phase_fleet = {"fleet", fleet_init, &fleet_ops};

/* ---- reports: fleet's open loop with log bundles; failed reports sent
 * again until acknowledged ---- */

#define RP_RESEND 0x80 /* timer kind flag: a report sent again (not periodic) */

static int reports_init(struct worker *w)
{
	static const int report_kinds[] = {K_CONFIG, K_METRICS, K_INFO, K_LOGS};
	uint64_t now = monotime_ns();

	for (size_t i = 0; i < w->n; i++) {
		w->devs[i].state = 0;
		if (!w->devs[i].uuid[0])
			continue;
		for (size_t k = 0; k < sizeof(report_kinds) / sizeof(report_kinds[0]); k++) {
			double first = worker_rand(w) * fleet_interval_ns(w, report_kinds[k]);

			if (worker_timer_push(w, now + (uint64_t)first, (uint32_t)i,
					      (uint8_t)report_kinds[k]) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

static int reports_next(void *ctx, struct drv_req *req, uint64_t *wait_ns)
{
	struct worker *w = ctx;
	uint64_t now = monotime_ns();
	struct timer t;
	int kind, r;

	if (atomic_load(&w->sh->stop))
		return -1;
	for (;;) {
		if (!worker_timer_peek(w, &t)) {
			/* nothing left to send: retire once the answers are in */
			*wait_ns = w->inflight ? 1000000u : 0;
			return 0;
		}
		if (now < w->sh->end_ns || (t.kind & RP_RESEND))
			break;
		worker_timer_pop(w); /* the end: only reports sent again leave */
	}
	if (t.due_ns > now) {
		*wait_ns = t.due_ns - now;
		return 0;
	}
	worker_timer_pop(w);
	kind = t.kind & ~RP_RESEND;
	if (!(t.kind & RP_RESEND)) {
		uint64_t next_due =
		    t.due_ns + (uint64_t)(fleet_interval_ns(w, kind) * (0.9 + 0.2 * worker_rand(w)));

		if (worker_timer_push(w, next_due, t.dev, t.kind) < 0)
			return -ENOMEM;
		if (kind != K_CONFIG)
			atomic_fetch_add(&w->sh->unacked, 1);
	}
	stats_add(&w->st[K_DELAY], (now - t.due_ns) / 1000u, true);
	r = phase_emit(w, &w->devs[t.dev], kind, req);
	req->t_due_ns = t.due_ns;
	return r;
}

static void reports_done(void *ctx, struct drv_req *req, long status, const struct buf *resp, const char *err)
{
	struct worker *w = ctx;
	bool ok = worker_account(w, req, status, resp, err);

	if (req->kind == K_CONFIG)
		config_answer(w, req, status, resp);
	else if (ok)
		atomic_fetch_sub(&w->sh->unacked, 1);
	else if (worker_timer_push(w, monotime_ns() + (uint64_t)(EVE_RESEND_S * 1e9),
				   (uint32_t)(req->dev - w->devs), (uint8_t)(req->kind | RP_RESEND)) == 0)
		atomic_fetch_add(&w->sh->resent, 1);
	phase_settle(w, req);
}

static const struct driver_ops reports_ops = {reports_next, reports_done};
const struct phase phase_reports = {"reports", reports_init, &reports_ops};
