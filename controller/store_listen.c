// SPDX-License-Identifier: Apache-2.0
/* One listening connection, reached through its back end's ops table. */
#include "store_listen.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

struct store_listener {
	const struct store_backend_ops *ops;
	void *h;
	char channel[64];
	bool lost; /* the session was lost: reconnect, listen again, RESYNC */
};

int store_listen_open(const char *url, const char *channel, struct store_listener **out, char *err,
		      size_t errlen)
{
	const char *target = NULL;
	const struct store_backend_ops *ops = store_backend_for(url, &target);
	if (!ops) {
		snprintf(err, errlen, "unknown store URL scheme");
		return -EPROTONOSUPPORT;
	}
	if (!ops->listen || !ops->wait_notify) {
		snprintf(err, errlen, "the %s store serves one process: nothing to listen to", ops->dialect);
		return -EOPNOTSUPP;
	}
	if (strlen(channel) >= sizeof((*out)->channel)) {
		snprintf(err, errlen, "channel name too long");
		return -EINVAL;
	}
	struct store_listener *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->ops = ops;
	snprintf(l->channel, sizeof(l->channel), "%s", channel);
	int r = ops->conn_open(target, &l->h, err, errlen);
	if (r == 0 && (r = ops->listen(l->h, channel)) < 0)
		snprintf(err, errlen, "%s", ops->errmsg(l->h));
	if (r < 0) {
		store_listen_close(l);
		return r;
	}
	*out = l;
	return 0;
}

/* Reconnect and listen again: RESYNC, or -ECONNRESET while that fails. */
static int relisten(struct store_listener *l)
{
	int r = l->ops->conn_check ? l->ops->conn_check(l->h) : 0;
	if (r >= 0)
		r = l->ops->listen(l->h, l->channel);
	if (r < 0)
		return -ECONNRESET;
	l->lost = false;
	return STORE_LISTEN_RESYNC;
}

int store_listen_wait(struct store_listener *l, int timeout_ms, char *payload, size_t plen)
{
	char channel[64];
	if (l->lost)
		return relisten(l);
	int r = l->ops->wait_notify(l->h, timeout_ms, channel, sizeof(channel), payload, plen);
	if (r == -ECONNRESET) {
		l->lost = true;
		return relisten(l);
	}
	return r;
}

int store_listen_ping(struct store_listener *l)
{
	if (!l->lost && l->ops->exec(l->h, "SELECT 1") < 0)
		l->lost = true;
	return l->lost ? -ECONNRESET : 0;
}

void store_listen_close(struct store_listener *l)
{
	if (!l)
		return;
	if (l->h)
		l->ops->conn_close(l->h);
	free(l);
}
