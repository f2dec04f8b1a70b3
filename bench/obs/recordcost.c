// SPDX-License-Identifier: Apache-2.0
/* eve-obsbench: what recording one request's metrics costs on the hot
 * path (two clock reads, one counter and one histogram update, as
 * controller/http.c does per request), on 1 and on N threads hitting the
 * same route and status (the worst case: one cache line shared by all).
 * Prints figures only. usage: eve-obsbench [ITERATIONS] [THREADS] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ctlmetrics.h"
#include "http.h"
#include "monotime.h"

static void h_nop(struct http_req *r)
{
	(void)r;
}

static const struct http_route routes[] = {
    {"POST", "/api/v2/edgedevice/id/*/config", h_nop, 0, HTTP_AUTH_NONE, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};

struct job {
	struct ctlmetrics *m;
	long n;
};

static void *run(void *arg)
{
	struct job *j = arg;
	for (long i = 0; i < j->n; i++) {
		uint64_t t0 = monotime_us();
		ctlmetrics_request(j->m, 0, 304, monotime_us() - t0);
	}
	return NULL;
}

static double measure(struct ctlmetrics *m, long n, int threads)
{
	pthread_t t[64];
	struct job j = {m, n};
	double t0 = monotime_s();
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, run, &j);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	return (monotime_s() - t0) * 1e9 / (double)n; /* wall ns per request per thread */
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10000000;
	int threads = argc > 2 ? atoi(argv[2]) : 2;
	const struct http_route *const tables[] = {routes, NULL};
	struct ctlmetrics *m = NULL;
	if (n <= 0 || threads < 1 || threads > 64 || ctlmetrics_new(tables, &m) < 0) {
		fprintf(stderr, "usage: eve-obsbench [ITERATIONS] [THREADS<=64]\n");
		return 2;
	}
	printf("record one request (2 clock reads + counter + histogram), %ld iterations\n", n);
	printf("  1 thread : %.1f ns/request\n", measure(m, n, 1));
	printf("  %d threads: %.1f ns/request per thread (same counter)\n", threads, measure(m, n, threads));
	ctlmetrics_free(m);
	return 0;
}
