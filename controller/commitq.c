// SPDX-License-Identifier: Apache-2.0
/* One committer thread, a FIFO of suspended requests. */
#include "commitq.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "store.h"
#include "http.h"

/* Items per transaction: bounds how long one batch holds the write lock. */
#define BATCH_MAX 512
/* Group commit window: when the last batch shared its fsync (registrations
 * are arriving concurrently), the committer waits up to this long for more
 * to join before it commits. Each commit + fsync costs ~0.2 ms of CPU
 * whatever its size, so at a storm's ~10 per batch this is the largest
 * per-registration cost after the signatures; a lone registration on a
 * quiet controller is never delayed. */
#define GATHER_NS 1000000L

struct commitq {
	struct store_pool *pool;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct commitq_item *head, **tail;
	unsigned queued, last_batch;
	bool gathering; /* in the window: submitters wake it only when full */
	bool stopping, running;
	pthread_t thread;
};

static int apply_one(struct commitq_item *it, struct store *d)
{
	if (store_exec(d, "SAVEPOINT commitq") < 0)
		return -EIO;
	int r = it->apply(it, d);
	if (r < 0) /* (void): RELEASE below ends the savepoint, r has the error */
		(void)store_exec(d, "ROLLBACK TO commitq");
	if (store_exec(d, "RELEASE commitq") < 0 && r == 0)
		r = -EIO;
	return r;
}

static void run_batch(struct commitq *q, struct commitq_item *batch)
{
	struct store *d = store_get_writer(q->pool);
	enum commitq_outcome o = COMMITQ_ROLLED_BACK;
	if (store_begin(d) == 0) {
		bool ok = true;
		for (struct commitq_item *it = batch; it && ok; it = it->next)
			ok = apply_one(it, d) != -EIO;
		if (ok && store_commit(d) == 0)
			o = store_sync(d) == 0 ? COMMITQ_DURABLE : COMMITQ_NOT_DURABLE;
		else
			store_rollback(d);
	}
	store_put(q->pool, d);
	for (struct commitq_item *it = batch, *next; it; it = next) {
		next = it->next;
		struct http_req *r = it->r;
		it->done(it, o);
		http_resume(r);
	}
}

/* Wait (q->mu held) until the window closes, the batch is full or the
 * queue stops. */
static void gather(struct commitq *q)
{
	struct timespec end;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_nsec += GATHER_NS;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	q->gathering = true;
	while (q->queued < BATCH_MAX && !q->stopping)
		if (pthread_cond_timedwait(&q->cv, &q->mu, &end) == ETIMEDOUT)
			break;
	q->gathering = false;
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
		if (q->last_batch > 1)
			gather(q);
		struct commitq_item *batch = q->head, *last = batch;
		unsigned n = 1;
		for (; n < BATCH_MAX && last->next; n++)
			last = last->next;
		q->head = last->next;
		if (!q->head)
			q->tail = &q->head;
		last->next = NULL;
		q->queued -= n;
		q->last_batch = n;
		pthread_mutex_unlock(&q->mu);
		run_batch(q, batch);
		pthread_mutex_lock(&q->mu);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

int commitq_new(struct store_pool *pool, struct commitq **out)
{
	struct commitq *q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->pool = pool;
	q->tail = &q->head;
	pthread_condattr_t ca;
	pthread_mutex_init(&q->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cv, &ca);
	pthread_condattr_destroy(&ca);
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
	q->queued++;
	if (!q->gathering || q->queued >= BATCH_MAX)
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
