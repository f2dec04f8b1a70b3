// SPDX-License-Identifier: Apache-2.0
/* This replica's side of several controller processes on one clustered
 * store (PostgreSQL): a thread hears what the others change
 * (cachebus.h) and applies it to c->cache. When its listening session
 * was lost it drops every cached config and makes the cache's device set
 * the store's; a round trip on that session every CLUSTER_PING_S bounds
 * how long a session that died silently can leave the cache stale. */
#ifndef CTL_CLUSTER_H
#define CTL_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

struct ctl;
struct cluster;

#define CLUSTER_PING_S 2

/* Start listening on the store of c (its URL in c->conf.store), before
 * the cache is loaded, so that no change falls between the load and the
 * listening. *out is NULL when the store serves one process (SQLite).
 * 0 or -errno with the reason in err. */
int cluster_open(struct ctl *c, struct cluster **out, char *err, size_t errlen);
/* Start applying (after the cache is loaded). 0 or -errno. */
int cluster_start(struct cluster *k);
/* Messages applied and resynchronisations since the start. */
void cluster_counts(const struct cluster *k, uint64_t *msgs, uint64_t *resyncs);
/* Stop the thread and close; NULL is a no-op. */
void cluster_free(struct cluster *k);

#endif
