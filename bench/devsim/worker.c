// SPDX-License-Identifier: Apache-2.0
/* Per-thread workers: request kinds, queues, timers, threads. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "monotime.h"
#include "msgs.h"
#include "worker.h"

#define WORKER_MAX_THREADS 64

struct kind_desc {
	const char *name;
	const char *path; /* printf format; %s = device UUID */
	long ok[4];       /* accepted statuses (0-terminated) */
};

static const struct kind_desc kinds[K_COUNT] = {
    [K_REGISTER] = {"register", "/register", {200, 201, 204, 409}},
    [K_UUID] = {"uuid", "/uuid", {200}},
    [K_CONFIG] = {"config", "/id/%s/config", {200, 304}},
    [K_INFO] = {"info", "/id/%s/info", {200, 201, 202, 204}},
    [K_METRICS] = {"metrics", "/id/%s/metrics", {200, 201, 202, 204}},
    [K_LOGS] = {"newlogs", "/id/%s/newlogs", {200, 201, 202, 204}},
    [K_APPINFO] = {"app-info", "/id/%s/info", {200, 201, 202, 204}},
    [K_DELAY] = {"sched-delay", NULL, {0}},
    [K_FANOUT] = {"fanout-lag", NULL, {0}},
};

const char *kind_name(int kind)
{
	return kind >= 0 && kind < K_COUNT ? kinds[kind].name : "?";
}

int worker_build(struct worker *w, struct simdev *d, int kind, struct drv_req *req)
{
	int r;

	req->dev = d;
	req->kind = kind;
	snprintf(req->path, sizeof(req->path), kinds[kind].path, d->uuid);
	switch (kind) {
	case K_REGISTER:
		r = msgs_register(w->sh->fleet, d, &req->body, &req->len);
		break;
	case K_UUID:
		r = msgs_uuid(d, &req->body, &req->len);
		break;
	case K_CONFIG:
		r = msgs_config(d, &req->body, &req->len);
		break;
	case K_INFO:
		r = msgs_info(d, &req->body, &req->len);
		break;
	case K_METRICS:
		r = msgs_metrics(d, &req->body, &req->len);
		break;
	case K_APPINFO:
		r = msgs_app_info(d, &req->body, &req->len);
		break;
	case K_LOGS:
		r = msgs_newlogs(d, w->sh->log_entries, w->sh->log_eve, &req->body, &req->len);
		break;
	default:
		r = -EINVAL;
	}
	d->seq++;
	return r;
}

bool worker_account(struct worker *w, const struct drv_req *req, long status, const struct buf *resp,
		    const char *err)
{
	struct stats *s = &w->st[req->kind];
	uint64_t lat = (monotime_ns() - req->t_start_ns) / 1000u;
	bool ok = false;

	for (size_t i = 0; i < 4 && kinds[req->kind].ok[i]; i++)
		ok = ok || status == kinds[req->kind].ok[i];
	stats_add(s, lat, ok);
	s->bytes_up += req->len;
	s->bytes_down += resp->len;
	if (!ok) {
		if (status == 0)
			s->transport_errors++;
		stats_note_error(s, status, err ? err : (resp->len ? (const char *)resp->data : ""));
	}
	return ok;
}

int worker_queue_push(struct worker *w, uint32_t dev)
{
	if (w->qlen >= w->n)
		return -ENOSPC;
	w->q[(w->qhead + w->qlen) % w->n] = dev;
	w->qlen++;
	return 0;
}

bool worker_queue_pop(struct worker *w, uint32_t *dev)
{
	if (!w->qlen)
		return false;
	*dev = w->q[w->qhead];
	w->qhead = (w->qhead + 1) % w->n;
	w->qlen--;
	return true;
}

bool worker_queue_peek(const struct worker *w, uint32_t *dev)
{
	if (!w->qlen)
		return false;
	*dev = w->q[w->qhead];
	return true;
}

static void heap_swap(struct timer *a, struct timer *b)
{
	struct timer t = *a;

	*a = *b;
	*b = t;
}

int worker_timer_push(struct worker *w, uint64_t due_ns, uint32_t dev, uint8_t kind)
{
	size_t i;

	if (w->hlen == w->halloc) {
		size_t na = w->halloc ? w->halloc * 2 : 1024;
		struct timer *p = realloc(w->heap, na * sizeof(*p));

		if (!p)
			return -ENOMEM;
		w->heap = p;
		w->halloc = na;
	}
	i = w->hlen++;
	w->heap[i] = (struct timer){due_ns, dev, kind};
	while (i && w->heap[(i - 1) / 2].due_ns > w->heap[i].due_ns) {
		heap_swap(&w->heap[(i - 1) / 2], &w->heap[i]);
		i = (i - 1) / 2;
	}
	return 0;
}

bool worker_timer_peek(const struct worker *w, struct timer *t)
{
	if (!w->hlen)
		return false;
	*t = w->heap[0];
	return true;
}

void worker_timer_pop(struct worker *w)
{
	size_t i = 0;

	if (!w->hlen)
		return;
	w->heap[0] = w->heap[--w->hlen];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < w->hlen && w->heap[l].due_ns < w->heap[m].due_ns)
			m = l;
		if (r < w->hlen && w->heap[r].due_ns < w->heap[m].due_ns)
			m = r;
		if (m == i)
			break;
		heap_swap(&w->heap[m], &w->heap[i]);
		i = m;
	}
}

double worker_rand(struct worker *w)
{
	/* xorshift64*: cheap, per thread, good enough for jitter */
	w->seed ^= w->seed >> 12;
	w->seed ^= w->seed << 25;
	w->seed ^= w->seed >> 27;
	return (double)((w->seed * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

struct thread_arg {
	struct worker *w;
	uint64_t deadline;
	pthread_t th;
	bool started;
};

static void *worker_thread(void *p)
{
	struct thread_arg *a = p;

	a->w->err = driver_run(a->w->drv, a->deadline);
	return NULL;
}

static void worker_clear(struct worker *w)
{
	driver_free(w->drv);
	free(w->q);
	free(w->heap);
	for (int k = 0; k < K_COUNT; k++)
		stats_free(&w->st[k]);
}

static int worker_setup(struct worker *w, const struct phase *ph, struct phase_shared *sh, unsigned i,
			unsigned threads)
{
	size_t n = sh->fleet->n, lo = n * i / threads, hi = n * (i + 1) / threads;
	struct driver_opts dopts = *sh->dopts;
	unsigned conns = sh->dopts->nslots;

	memset(w, 0, sizeof(*w));
	w->sh = sh;
	w->ph = ph;
	w->devs = sh->fleet->devs + lo;
	w->n = hi - lo;
	w->seed = 0x9e3779b97f4a7c15ull * (i + 1);
	for (int k = 0; k < K_COUNT; k++)
		stats_init(&w->st[k]);
	w->q = calloc(w->n ? w->n : 1, sizeof(*w->q));
	if (!w->q)
		return -ENOMEM;
	dopts.nslots = conns * (i + 1) / threads - conns * i / threads;
	if (!dopts.nslots)
		dopts.nslots = 1;
	if (w->n && dopts.nslots > w->n)
		dopts.nslots = (unsigned)w->n; /* a device never has two requests in flight */
	if (ph->init) {
		int r = ph->init(w);

		if (r < 0)
			return r;
	}
	return driver_new(&dopts, ph->ops, w, &w->drv);
}

int worker_run_phase(const struct phase *ph, struct phase_shared *sh, unsigned threads, double seconds,
		     struct stats out[K_COUNT], double *elapsed_s)
{
	struct worker *ws;
	struct thread_arg *ta;
	uint64_t t0;
	int r = 0;

	if (threads == 0 || threads > WORKER_MAX_THREADS)
		return -EINVAL;
	ws = calloc(threads, sizeof(*ws));
	ta = calloc(threads, sizeof(*ta));
	if (!ws || !ta) {
		r = -ENOMEM;
		goto out;
	}
	for (int k = 0; k < K_COUNT; k++)
		stats_init(&out[k]);
	for (unsigned i = 0; i < threads && r == 0; i++)
		r = worker_setup(&ws[i], ph, sh, i, threads);
	if (r < 0)
		goto out;
	t0 = monotime_ns();
	for (unsigned i = 0; i < threads; i++) {
		ta[i].w = &ws[i];
		ta[i].deadline = t0 + (uint64_t)(seconds * 1e9);
		if (pthread_create(&ta[i].th, NULL, worker_thread, &ta[i]) != 0) {
			atomic_store(&sh->stop, 1);
			r = -EAGAIN;
			break;
		}
		ta[i].started = true;
	}
	if (r == 0 && sh->during)
		r = sh->during(sh, sh->during_ctx);
	for (unsigned i = 0; i < threads; i++)
		if (ta[i].started)
			pthread_join(ta[i].th, NULL);
	*elapsed_s = (double)(monotime_ns() - t0) / 1e9;
	for (unsigned i = 0; i < threads; i++) {
		if (r == 0 && ws[i].err < 0)
			r = ws[i].err;
		for (int k = 0; k < K_COUNT; k++)
			stats_merge(&out[k], &ws[i].st[k]);
	}
out:
	for (unsigned i = 0; ws && i < threads; i++)
		worker_clear(&ws[i]);
	free(ws);
	free(ta);
	return r;
}
