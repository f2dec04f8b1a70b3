// SPDX-License-Identifier: Apache-2.0
/* Group commit for requests that must be durable before they are answered
 * (POST /register): the handler suspends its connection and queues an
 * item; one thread applies every queued item in one write transaction
 * (each inside its own SAVEPOINT, so one failure rolls back only its own
 * changes), commits, makes the commit durable (db_sync: one fsync for the
 * whole batch), then hands each item back to be answered and its
 * connection resumed. MHD worker threads never wait on the lock or the
 * fsync, and a thousand registrations share one fsync instead of four. */
#ifndef CTL_COMMITQ_H
#define CTL_COMMITQ_H

#include <stdbool.h>

struct commitq;
struct store;
struct store_pool;
struct http_req;

enum commitq_outcome {
	COMMITQ_DURABLE,     /* committed and synced */
	COMMITQ_NOT_DURABLE, /* committed, the sync failed */
	COMMITQ_ROLLED_BACK, /* the transaction failed: nothing was written */
};

/* Embedded in the caller's own request state. */
struct commitq_item {
	struct commitq_item *next;
	struct http_req *r;
	/* In the open transaction: 0 keeps its changes, < 0 rolls them back. */
	int (*apply)(struct commitq_item *it, struct store *d);
	/* After the batch: set the reply of it->r (commitq resumes it next),
	 * and release what the item owns except it->r. */
	void (*done)(struct commitq_item *it, enum commitq_outcome o);
};

int commitq_new(struct store_pool *pool, struct commitq **out);
/* Queue it and suspend it->r (from its handler): the handler returns and
 * the reply comes from done. -ESHUTDOWN once stopping (nothing queued,
 * nothing suspended: the caller does the work itself). */
int commitq_submit(struct commitq *q, struct commitq_item *it);
/* Finish every queued item, then refuse new ones (before http_stop). */
void commitq_stop(struct commitq *q);
void commitq_free(struct commitq *q);

#endif
