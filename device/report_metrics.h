// SPDX-License-Identifier: Apache-2.0
/* Device metrics (ZMetricMsg) from /proc and /sys: memory, CPU time,
 * network counters per interface, disk space of the state directory. App
 * metrics come from the runtime through a callback. Best effort. */
#ifndef EVE_REPORT_METRICS_H
#define EVE_REPORT_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "metrics/metrics.pb-c.h"

/* Called with the message before packing to add app metrics; release is
 * called after packing (both may be NULL). */
struct report_metrics_hooks {
	int (*fill)(void *ctx, Org__Lfedge__Eve__Metrics__ZMetricMsg *m);
	void (*release)(void *ctx, Org__Lfedge__Eve__Metrics__ZMetricMsg *m);
	void *ctx;
};

/* Packed ZMetricMsg; *out caller-freed. */
int report_metrics_device(const char *dev_uuid, const char *state_dir, const struct report_metrics_hooks *h,
			  uint8_t **out, size_t *len);

#endif
