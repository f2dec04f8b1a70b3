// SPDX-License-Identifier: Apache-2.0
/* The per-thread machinery the scenarios share: a slice of the fleet, one
 * driver, the request kinds (what each device API call is and how to build
 * it), a ready queue for state-machine phases, a timer heap for open-loop
 * phases, and per-kind statistics merged when the threads join. */
#ifndef DEVSIM_WORKER_H
#define DEVSIM_WORKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "driver.h"
#include "fleet.h"
#include "stats.h"

enum kind { K_REGISTER, K_UUID, K_CONFIG, K_INFO, K_METRICS, K_LOGS, K_APPINFO, K_DELAY, K_FANOUT, K_COUNT };

/* Name of a kind for reports. */
const char *kind_name(int kind);

struct worker;

/* A phase: how its workers start and feed their driver. */
struct phase {
	const char *name;
	int (*init)(struct worker *w); /* optional: fill queue/heap */
	const struct driver_ops *ops;  /* ctx = struct worker */
};

/* Shared by all workers of one phase run (read-only but for the atomics). */
struct phase_shared {
	struct fleet *fleet;
	const struct driver_opts *dopts;
	unsigned log_entries;
	bool log_eve;    /* newlogs lines as EVE's agents write them */
	double compress; /* fleet/fanout time compression */
	bool fanout_only_config;
	bool report_apps;           /* rollout: report the configured app RUNNING */
	_Atomic uint64_t fanout_t0; /* ns; 0 until the admin change is made */
	_Atomic uint64_t fanout_done;
	_Atomic uint64_t rows;    /* ingest: rows accepted */
	_Atomic uint64_t changed; /* config answers that carried a new hash */
	/* reports: no new report after end_ns (monotime), only those sent
	 * again; unacked counts reports not acknowledged yet, resent the
	 * failed attempts sent again */
	uint64_t end_ns;
	_Atomic uint64_t unacked;
	_Atomic uint64_t resent;
	_Atomic int stop;
	int onboard_last; /* onboard: last step (K_UUID or K_CONFIG) */
	int ingest_mode;  /* 0 mixed, 1 metrics only, 2 logs only */
	/* optional: run on the calling thread while the workers run (the
	 * fan-out's admin change); its return value is the phase's */
	int (*during)(struct phase_shared *sh, void *ctx);
	void *during_ctx;
};

struct timer {
	uint64_t due_ns;
	uint32_t dev; /* index into the worker's slice */
	uint8_t kind;
};

struct worker {
	struct phase_shared *sh;
	const struct phase *ph;
	struct simdev *devs; /* slice of the fleet */
	size_t n;
	struct driver *drv;
	struct stats st[K_COUNT];
	/* ready queue (ring of device indices) */
	uint32_t *q;
	size_t qhead, qlen;
	size_t inflight, cursor;
	/* timer heap */
	struct timer *heap;
	size_t hlen, halloc;
	uint64_t seed;
	int err;
};

/* Build the request body of kind for d into req (path and body). */
int worker_build(struct worker *w, struct simdev *d, int kind, struct drv_req *req);
/* Record a finished request in w's stats; true when status is one the
 * kind expects. */
bool worker_account(struct worker *w, const struct drv_req *req, long status, const struct buf *resp,
		    const char *err);

int worker_queue_push(struct worker *w, uint32_t dev);
bool worker_queue_pop(struct worker *w, uint32_t *dev);
/* The head of the queue without removing it; false when empty. */
bool worker_queue_peek(const struct worker *w, uint32_t *dev);
int worker_timer_push(struct worker *w, uint64_t due_ns, uint32_t dev, uint8_t kind);
/* Top of the heap without removing it; false when empty. */
bool worker_timer_peek(const struct worker *w, struct timer *t);
void worker_timer_pop(struct worker *w);
/* Uniform random double in [0, 1) from the worker's own generator. */
double worker_rand(struct worker *w);

/* Run phase ph on the fleet with `threads` workers for up to seconds (or until
 * every worker's slots retire / sh->stop). Per-kind stats of all workers are
 * merged into out[K_COUNT] (initialised here; caller frees), elapsed time
 * into *elapsed_s. */
int worker_run_phase(const struct phase *ph, struct phase_shared *sh, unsigned threads, double seconds,
		     struct stats out[K_COUNT], double *elapsed_s);

#endif
