// SPDX-License-Identifier: Apache-2.0
#include "cluster.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cachebus.h"
#include "ctl.h"
#include "devcache.h"
#include "devices.h"
#include "onboard.h"
#include "store_listen.h"

/* How long one wait lasts: the thread notices a stop within this. */
#define WAIT_MS 500

struct cluster {
	struct ctl *c;
	struct store_listener *l;
	pthread_t thread;
	bool started;
	atomic_bool stop;
	atomic_uint_fast64_t msgs, resyncs;
};

int cluster_open(struct ctl *c, struct cluster **out, char *err, size_t errlen)
{
	*out = NULL;
	if (!c->conf.store[0])
		return 0;
	/* turns (server.c) hold one connection while the work takes another */
	if (c->conf.db_conns < 2) {
		snprintf(err, errlen, "a clustered store needs db_connections = 2 or more");
		return -EINVAL;
	}
	struct cluster *k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->c = c;
	int r = store_listen_open(c->conf.store, CACHEBUS_CHANNEL, &k->l, err, errlen);
	if (r < 0) {
		free(k);
		return r == -EOPNOTSUPP ? 0 : r;
	}
	*out = k;
	return 0;
}

static void apply(struct cluster *k, const char *payload)
{
	struct cachebus_msg m;
	struct devcache *cache = k->c->cache;
	if (cachebus_parse(payload, &m) < 0)
		return; /* not ours: nothing on this channel may crash us */
	atomic_fetch_add(&k->msgs, 1);
	switch (m.kind) {
	case CACHEBUS_CONFIG:
		devcache_invalidate(cache, m.uuid[0] ? m.uuid : NULL);
		break;
	case CACHEBUS_REMOVED:
		devcache_remove(cache, m.uuid);
		break;
	case CACHEBUS_ADDED:
		/* our own registrations come back too: keep their entry */
		if (!devcache_has_uuid(cache, m.uuid))
			/* (void): on ENOMEM, its first request looks it up (devices_cache_fill) */
			(void)devcache_add(cache, m.cert_hash, m.uuid, m.point, 0);
		break;
	case CACHEBUS_ONBOARD:
		onboard_cache_drop(k->c->onboard);
		break;
	}
}

/* What was said while the session was lost is gone: start again from the
 * store. A failed sync is retried at the next round trip. */
static bool resync(struct cluster *k)
{
	atomic_fetch_add(&k->resyncs, 1);
	devcache_invalidate(k->c->cache, NULL);
	onboard_cache_drop(k->c->onboard);
	return devices_sync_cache(k->c) == 0;
}

static void *run(void *arg)
{
	struct cluster *k = arg;
	char payload[CACHEBUS_MSG_MAX + 1];
	time_t last_ping = time(NULL);
	bool pending = false; /* a resync failed: redo it */
	while (!atomic_load(&k->stop)) {
		int r = store_listen_wait(k->l, WAIT_MS, payload, sizeof(payload));
		if (r == STORE_LISTEN_EVENT)
			apply(k, payload);
		else if (r == STORE_LISTEN_RESYNC || (r == STORE_LISTEN_TIMEOUT && pending))
			pending = !resync(k);
		else if (r < 0)
			nanosleep(&(struct timespec){0, WAIT_MS * 1000000L}, NULL); /* store down */
		time_t now = time(NULL);
		if (now - last_ping >= CLUSTER_PING_S) {
			(void)store_listen_ping(k->l); /* a failure shows as RESYNC at the next wait */
			last_ping = now;
		}
	}
	return NULL;
}

int cluster_start(struct cluster *k)
{
	if (!k)
		return 0;
	int r = -pthread_create(&k->thread, NULL, run, k);
	k->started = r == 0;
	return r;
}

void cluster_counts(const struct cluster *k, uint64_t *msgs, uint64_t *resyncs)
{
	*msgs = k ? atomic_load(&k->msgs) : 0;
	*resyncs = k ? atomic_load(&k->resyncs) : 0;
}

void cluster_free(struct cluster *k)
{
	if (!k)
		return;
	atomic_store(&k->stop, true);
	if (k->started)
		pthread_join(k->thread, NULL);
	store_listen_close(k->l);
	free(k);
}
