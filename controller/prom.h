// SPDX-License-Identifier: Apache-2.0
/* Prometheus primitives: lock-free counters and fixed-bucket latency
 * histograms (relaxed atomics, no allocation: safe on the hot path), and a
 * writer for the text exposition format (version 0.0.4) into a bounded
 * buffer. */
#ifndef CTL_PROM_H
#define CTL_PROM_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Latency buckets, upper bounds in microseconds (the exposition prints
 * seconds); one more slot counts +Inf. */
#define PROM_HIST_NB 14

struct prom_hist {
	_Atomic uint64_t bucket[PROM_HIST_NB + 1]; /* non-cumulative counts */
	_Atomic uint64_t sum_us;
};

/* Record one observation of us microseconds. */
void prom_hist_observe(struct prom_hist *h, uint64_t us);

static inline void prom_inc(_Atomic uint64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static inline uint64_t prom_get(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

enum prom_type { PROM_COUNTER, PROM_GAUGE, PROM_HISTOGRAM };

/* "# HELP name help" and "# TYPE name type". */
int prom_header(struct buf *b, const char *name, enum prom_type t, const char *help);
/* One sample: name{labels} value. labels is NULL or a NULL-terminated list
 * of key, value pairs; values are escaped here. */
int prom_sample(struct buf *b, const char *name, const char *const *labels, double v);
/* The _bucket/_sum/_count lines of h (header written by the caller). */
int prom_hist_write(struct buf *b, const char *name, const char *const *labels, struct prom_hist *h);

#endif
