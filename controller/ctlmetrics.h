// SPDX-License-Identifier: Apache-2.0
/* The controller's own metrics, recorded on the request path: requests by
 * route and status with latency histograms, TLS connections, config
 * fan-out lag, datastore bytes. Recording is relaxed atomics on arrays
 * sized at start (no lock, no allocation per request). The /metrics
 * handler (ops_api.c) writes them out with ctlmetrics_write. */
#ifndef CTL_CTLMETRICS_H
#define CTL_CTLMETRICS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "prom.h"

struct http_route;
struct ctlmetrics;

/* Counters for every route of tables (NULL-terminated array of
 * NULL-method-terminated tables, as given to http_start). Route i of the
 * concatenated tables has index i; ctlmetrics_routes() is their number and
 * also the index of "no route matched". */
int ctlmetrics_new(const struct http_route *const *tables, struct ctlmetrics **out);
void ctlmetrics_free(struct ctlmetrics *m);
size_t ctlmetrics_routes(const struct ctlmetrics *m);
/* Index of the first route of table t (t < number of tables). */
size_t ctlmetrics_table_base(const struct ctlmetrics *m, size_t t);

/* One finished request: route index, HTTP status, handler time. */
void ctlmetrics_request(struct ctlmetrics *m, size_t route, unsigned status, uint64_t us);
/* TLS: a connection was accepted / completed its handshake (first
 * request arrived) / closed (handshake_done: whether it had). */
void ctlmetrics_conn_open(struct ctlmetrics *m);
void ctlmetrics_conn_handshake(struct ctlmetrics *m);
void ctlmetrics_conn_closed(struct ctlmetrics *m, int handshake_done);
/* A device fetched a config changed lag_ms ago by an admin. */
void ctlmetrics_fanout(struct ctlmetrics *m, uint64_t lag_ms);
void ctlmetrics_datastore_bytes(struct ctlmetrics *m, uint64_t n);
/* A /metrics scrape took us microseconds. */
void ctlmetrics_scrape(struct ctlmetrics *m, uint64_t us);

/* Append every series above in the exposition format. */
int ctlmetrics_write(struct ctlmetrics *m, struct buf *b);

#endif
