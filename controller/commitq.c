// SPDX-License-Identifier: Apache-2.0
/* One committer thread, a FIFO of suspended requests. */
#include "commitq.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "db.h"
#include "http.h"

/* Items per transaction: bounds how long one batch holds the write lock. */
#define BATCH_MAX 512

struct commitq {
	struct db_pool *pool;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct commitq_item *head, **tail;
	bool stopping, running;
	pthread_t thread;
};

static int apply_one(struct commitq_item *it, struct db *d)
{
	if (db_exec(d, "SAVEPOINT commitq") < 0)
		return -EIO;
	int r = it->apply(it, d);
	if (r < 0) /* (void): RELEASE below ends the savepoint, r has the error */
		(void)db_exec(d, "ROLLBACK TO commitq");
	if (db_exec(d, "RELEASE commitq") < 0 && r == 0)
		r = -EIO;
	return r;
}

static void run_batch(struct commitq *q, struct commitq_item *batch)
{
	struct db *d = db_get(q->pool);
	enum commitq_outcome o = COMMITQ_ROLLED_BACK;
	if (db_begin(d) == 0) {
		bool ok = true;
		for (struct commitq_item *it = batch; it && ok; it = it->next)
			ok = apply_one(it, d) != -EIO;
		if (ok && db_commit(d) == 0)
			o = db_sync(d) == 0 ? COMMITQ_DURABLE : COMMITQ_NOT_DURABLE;
		else
			db_rollback(d);
	}
	db_put(q->pool, d);
	for (struct commitq_item *it = batch, *next; it; it = next) {
		next = it->next;
		struct http_req *r = it->r;
		it->done(it, o);
		http_resume(r);
	}
}

static void *committer(void *arg)
{
	struct commitq *q = arg;
	pthread_mutex_lock(&q->mu);
	for (;;) {
		while (!q->head && !q->stopping)
			pthread_cond_wait(&q->cv, &q->mu);
		if (!q->head)
			break; /* stopping, nothing left */
		struct commitq_item *batch = q->head, *last = batch;
		for (int n = 1; n < BATCH_MAX && last->next; n++)
			last = last->next;
		q->head = last->next;
		if (!q->head)
			q->tail = &q->head;
		last->next = NULL;
		pthread_mutex_unlock(&q->mu);
		run_batch(q, batch);
		pthread_mutex_lock(&q->mu);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

int commitq_new(struct db_pool *pool, struct commitq **out)
{
	struct commitq *q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->pool = pool;
	q->tail = &q->head;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	int e = pthread_create(&q->thread, NULL, committer, q);
	if (e) {
		commitq_free(q);
		return -e;
	}
	q->running = true;
	*out = q;
	return 0;
}

int commitq_submit(struct commitq *q, struct commitq_item *it)
{
	pthread_mutex_lock(&q->mu);
	if (q->stopping || !q->running) {
		pthread_mutex_unlock(&q->mu);
		return -ESHUTDOWN;
	}
	/* Suspended before it is queued: the committer may answer at once. */
	http_suspend(it->r);
	it->next = NULL;
	*q->tail = it;
	q->tail = &it->next;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

void commitq_stop(struct commitq *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	bool join = q->running && !q->stopping;
	q->stopping = true;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	if (join)
		pthread_join(q->thread, NULL);
}

void commitq_free(struct commitq *q)
{
	if (!q)
		return;
	commitq_stop(q);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	free(q);
}
