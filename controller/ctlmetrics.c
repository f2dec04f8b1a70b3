// SPDX-License-Identifier: Apache-2.0
/* Request, TLS, fan-out and datastore metrics of the controller. */
#include "ctlmetrics.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

/* Status codes counted by their own series; others by class ("4xx"). */
static const unsigned known_status[] = {200, 201, 204, 206, 304, 400, 401, 403,
					404, 405, 409, 413, 414, 416, 500, 503};
#define NKNOWN (sizeof(known_status) / sizeof(known_status[0]))
#define NSTATUS (NKNOWN + 5)

struct ctlmetrics {
	size_t nroutes;                        /* + 1 slot for "no route" */
	const struct http_route **routes;      /* [nroutes] */
	size_t *bases;                         /* first index of each table */
	_Atomic uint64_t (*requests)[NSTATUS]; /* [nroutes + 1] */
	struct prom_hist *latency;             /* [nroutes + 1] */
	_Atomic uint64_t conns, handshakes, closed_no_request, open;
	struct prom_hist fanout;
	_Atomic uint64_t datastore_bytes;
	struct prom_hist scrape;
};

int ctlmetrics_new(const struct http_route *const *tables, struct ctlmetrics **out)
{
	struct ctlmetrics *m = calloc(1, sizeof(*m));
	size_t n = 0, nt = 0;
	for (const struct http_route *const *t = tables; *t; t++, nt++)
		for (const struct http_route *rt = *t; rt->method; rt++)
			n++;
	if (!m)
		return -ENOMEM;
	m->nroutes = n;
	m->routes = calloc(n + 1, sizeof(*m->routes));
	m->bases = calloc(nt + 1, sizeof(*m->bases));
	m->requests = calloc(n + 1, sizeof(*m->requests));
	m->latency = calloc(n + 1, sizeof(*m->latency));
	if (!m->routes || !m->bases || !m->requests || !m->latency) {
		ctlmetrics_free(m);
		return -ENOMEM;
	}
	n = 0;
	nt = 0;
	for (const struct http_route *const *t = tables; *t; t++) {
		m->bases[nt++] = n;
		for (const struct http_route *rt = *t; rt->method; rt++)
			m->routes[n++] = rt;
	}
	*out = m;
	return 0;
}

void ctlmetrics_free(struct ctlmetrics *m)
{
	if (!m)
		return;
	free(m->routes);
	free(m->bases);
	free(m->requests);
	free(m->latency);
	free(m);
}

size_t ctlmetrics_routes(const struct ctlmetrics *m)
{
	return m->nroutes;
}

size_t ctlmetrics_table_base(const struct ctlmetrics *m, size_t t)
{
	return m->bases[t];
}

static size_t status_index(unsigned status)
{
	for (size_t i = 0; i < NKNOWN; i++)
		if (known_status[i] == status)
			return i;
	unsigned cls = status / 100;
	return NKNOWN + (cls >= 1 && cls <= 5 ? cls - 1 : 4);
}

void ctlmetrics_request(struct ctlmetrics *m, size_t route, unsigned status, uint64_t us)
{
	if (!m)
		return;
	if (route > m->nroutes)
		route = m->nroutes;
	prom_inc(&m->requests[route][status_index(status)], 1);
	prom_hist_observe(&m->latency[route], us);
}

void ctlmetrics_conn_open(struct ctlmetrics *m)
{
	if (m) {
		prom_inc(&m->conns, 1);
		prom_inc(&m->open, 1);
	}
}

void ctlmetrics_conn_handshake(struct ctlmetrics *m)
{
	if (m)
		prom_inc(&m->handshakes, 1);
}

void ctlmetrics_conn_closed(struct ctlmetrics *m, int handshake_done)
{
	if (!m)
		return;
	atomic_fetch_sub_explicit(&m->open, 1, memory_order_relaxed);
	if (!handshake_done)
		prom_inc(&m->closed_no_request, 1);
}

void ctlmetrics_fanout(struct ctlmetrics *m, uint64_t lag_ms)
{
	if (m)
		prom_hist_observe(&m->fanout, lag_ms * 1000u);
}

void ctlmetrics_datastore_bytes(struct ctlmetrics *m, uint64_t n)
{
	if (m)
		prom_inc(&m->datastore_bytes, n);
}

void ctlmetrics_scrape(struct ctlmetrics *m, uint64_t us)
{
	if (m)
		prom_hist_observe(&m->scrape, us);
}

/* Labels of a route: api (device/admin/datastore/ops), route, method. */
static void route_labels(const struct http_route *rt, char *route, size_t rlen, const char **api,
			 const char **method)
{
	size_t o = 0;
	if (!rt) {
		snprintf(route, rlen, "unmatched");
		*api = "none";
		*method = "";
		return;
	}
	for (const char *p = rt->pattern; *p && o + 5 < rlen; p++) {
		if (*p == '*') {
			memcpy(route + o, "{id}", 4);
			o += 4;
		} else {
			route[o++] = *p;
		}
	}
	route[o] = 0;
	*method = rt->method;
	if (!strncmp(rt->pattern, "/api/v2/", 8))
		*api = "device";
	else if (!strncmp(rt->pattern, "/api/v1/", 8))
		*api = "admin";
	else if (!strncmp(rt->pattern, "/datastore/", 11))
		*api = "datastore";
	else
		*api = "ops";
}

static void status_label(size_t i, char out[8])
{
	if (i < NKNOWN)
		snprintf(out, 8, "%u", known_status[i]);
	else
		snprintf(out, 8, "%zuxx", i - NKNOWN + 1);
}

static int write_requests(struct ctlmetrics *m, struct buf *b)
{
	const char *name = "eve_controller_http_requests_total";
	int r = prom_header(b, name, PROM_COUNTER, "HTTP requests by API, route, method and status code.");
	for (size_t i = 0; i <= m->nroutes && r == 0; i++) {
		char route[256], code[8];
		const char *api, *method;
		route_labels(i < m->nroutes ? m->routes[i] : NULL, route, sizeof(route), &api, &method);
		for (size_t s = 0; s < NSTATUS && r == 0; s++) {
			uint64_t v = prom_get(&m->requests[i][s]);
			if (!v)
				continue;
			status_label(s, code);
			const char *l[] = {"api", api, "route", route, "method", method, "code", code, NULL};
			r = prom_sample(b, name, l, (double)v);
		}
	}
	return r;
}

static int write_latency(struct ctlmetrics *m, struct buf *b)
{
	const char *name = "eve_controller_http_request_duration_seconds";
	int r = prom_header(b, name, PROM_HISTOGRAM, "Time from routing a request to queueing its reply.");
	for (size_t i = 0; i <= m->nroutes && r == 0; i++) {
		uint64_t n = 0;
		for (size_t k = 0; k <= PROM_HIST_NB; k++)
			n += prom_get(&m->latency[i].bucket[k]);
		if (!n)
			continue;
		char route[256];
		const char *api, *method;
		route_labels(i < m->nroutes ? m->routes[i] : NULL, route, sizeof(route), &api, &method);
		const char *l[] = {"api", api, "route", route, "method", method, NULL};
		r = prom_hist_write(b, name, l, &m->latency[i]);
	}
	return r;
}

static int write_counter(struct buf *b, const char *name, const char *help, uint64_t v, enum prom_type t)
{
	int r = prom_header(b, name, t, help);
	return r ? r : prom_sample(b, name, NULL, (double)v);
}

static int write_hist(struct buf *b, const char *name, const char *help, struct prom_hist *h)
{
	int r = prom_header(b, name, PROM_HISTOGRAM, help);
	return r ? r : prom_hist_write(b, name, NULL, h);
}

int ctlmetrics_write(struct ctlmetrics *m, struct buf *b)
{
	int r = write_requests(m, b);
	if (r == 0)
		r = write_latency(m, b);
	if (r == 0)
		r = write_counter(b, "eve_controller_tls_connections_total",
				  "TCP connections accepted for TLS.", prom_get(&m->conns), PROM_COUNTER);
	if (r == 0)
		r = write_counter(b, "eve_controller_tls_handshakes_total",
				  "Connections whose TLS handshake completed and carried a request.",
				  prom_get(&m->handshakes), PROM_COUNTER);
	if (r == 0)
		r = write_counter(b, "eve_controller_tls_connections_failed_total",
				  "Connections closed before any request (failed or abandoned handshakes).",
				  prom_get(&m->closed_no_request), PROM_COUNTER);
	if (r == 0)
		r = write_counter(b, "eve_controller_tls_connections_open", "Connections open now.",
				  prom_get(&m->open), PROM_GAUGE);
	if (r == 0)
		r = write_hist(b, "eve_controller_config_fanout_seconds",
			       "Time from an admin change of a device's config to the device fetching it.",
			       &m->fanout);
	if (r == 0)
		r = write_counter(b, "eve_controller_datastore_bytes_served_total",
				  "Bytes of image content queued to devices from /datastore.",
				  prom_get(&m->datastore_bytes), PROM_COUNTER);
	if (r == 0)
		r = write_hist(b, "eve_controller_metrics_scrape_duration_seconds",
			       "Time to build the previous /metrics answers.", &m->scrape);
	return r;
}
