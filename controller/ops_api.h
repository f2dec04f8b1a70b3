// SPDX-License-Identifier: Apache-2.0
/* Operations endpoints: GET /healthz (alive), GET /readyz (database takes
 * writes, certificates in their validity period, free disk space above
 * health.min_free_mb), both unauthenticated; GET /metrics (the
 * controller) and GET /metrics/fleet (device and app telemetry) in the
 * Prometheus text format, for the scrape token or allow-listed clients. */
#ifndef CTL_OPS_API_H
#define CTL_OPS_API_H

#include "buf.h"
#include "http.h"

struct ctl;

extern const struct http_route ops_routes[];

/* The /metrics exposition (for benchmarks and tests). */
int ops_metrics_write(struct ctl *c, struct buf *out);

#endif
