// SPDX-License-Identifier: Apache-2.0
/* The store's cost per statement on each engine (issue #22): prints
 * figures, asserts nothing.
 *
 *   eve-storebench URL [N]
 *
 * URL: sqlite:PATH or postgresql://... (bench/store/run.sh starts a
 * throw-away PostgreSQL 15 and runs both). Creates table bench_kv (dropped
 * first), then times N autocommit inserts, N inserts in transactions of
 * 100, N point reads by key on one connection, and N point reads from each
 * of 2 threads sharing a pool of 2. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void report(const char *what, long n, double t0, double c0)
{
	double wall = now_s() - t0, cpu = cpu_s() - c0;
	printf("%-28s %8ld ops  %9.0f ops/s  %8.1f us/op  client CPU %6.1f us/op\n", what, n, n / wall,
	       wall * 1e6 / n, cpu * 1e6 / n);
}

static int insert(struct store *c, long k)
{
	char key[32], val[64];
	snprintf(key, sizeof(key), "key-%ld", k);
	snprintf(val, sizeof(val), "value of %ld with some text", k);
	struct store_stmt *st = store_stmt(c, "INSERT INTO bench_kv(k, v, n) VALUES(?, ?, ?)");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, key);
	store_bind_text(st, 2, val);
	store_bind_int64(st, 3, k);
	return store_step_done(st);
}

static int point_read(struct store *c, long k)
{
	char key[32];
	snprintf(key, sizeof(key), "key-%ld", k);
	struct store_stmt *st = store_stmt(c, "SELECT v, n FROM bench_kv WHERE k = ?");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, key);
	int r = store_step(st);
	if (r == STORE_ROW && store_col_int64(st, 1) != k)
		r = -EIO;
	store_reset(st);
	return r == STORE_ROW ? 0 : r < 0 ? r : -ENOENT;
}

struct reader {
	struct store_pool *p;
	long n, seed;
	int err;
};

static void *read_loop(void *arg)
{
	struct reader *rd = arg;
	struct store *c = store_get(rd->p);
	for (long i = 0; c && i < rd->n && !rd->err; i++)
		rd->err = point_read(c, (i * 7919 + rd->seed) % rd->n);
	store_put(rd->p, c);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s URL [N]\n", argv[0]);
		return 2;
	}
	long n = argc > 2 ? atol(argv[2]) : 2000;
	char err[256];
	struct store_pool *p = NULL;
	int r = store_pool_open(argv[1], 2, &p, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "open: %s\n", err);
		return 1;
	}
	const char *ddl =
	    !strcmp(store_dialect(p), "postgresql")
		? "DROP TABLE IF EXISTS bench_kv; CREATE TABLE bench_kv(k TEXT PRIMARY KEY, v TEXT NOT NULL,"
		  " n BIGINT NOT NULL)"
		: "DROP TABLE IF EXISTS bench_kv; CREATE TABLE bench_kv(k TEXT PRIMARY KEY, v TEXT NOT NULL,"
		  " n INTEGER NOT NULL)";
	struct store *c = store_get(p);
	r = c ? store_exec(c, ddl) : -ECONNRESET;
	printf("engine %s, N=%ld\n", store_dialect(p), n);
	double t0 = now_s(), c0 = cpu_s();
	for (long i = 0; i < n && r == 0; i++)
		r = insert(c, i);
	if (r == 0)
		report("insert, autocommit", n, t0, c0);
	t0 = now_s(), c0 = cpu_s();
	for (long i = n; i < 2 * n && r == 0; i += 100) {
		r = store_begin(c);
		for (long k = i; k < i + 100 && k < 2 * n && r == 0; k++)
			r = insert(c, k);
		if (r == 0)
			r = store_commit(c);
	}
	if (r == 0)
		report("insert, 100 per transaction", n, t0, c0);
	t0 = now_s(), c0 = cpu_s();
	for (long i = 0; i < n && r == 0; i++)
		r = point_read(c, (i * 7919) % n);
	if (r == 0)
		report("point read, 1 thread", n, t0, c0);
	if (r < 0)
		fprintf(stderr, "failed: %s (%s)\n", strerror(-r), c ? store_last_error(c) : "");
	store_put(p, c);
	if (r == 0) {
		struct reader rd[2] = {{p, n, 1, 0}, {p, n, 2, 0}};
		pthread_t t[2];
		t0 = now_s(), c0 = cpu_s();
		for (int i = 0; i < 2; i++)
			pthread_create(&t[i], NULL, read_loop, &rd[i]);
		for (int i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		r = rd[0].err ? rd[0].err : rd[1].err;
		if (r == 0)
			report("point read, 2 threads", 2 * n, t0, c0);
	}
	store_pool_close(p);
	return r == 0 ? 0 : 1;
}
