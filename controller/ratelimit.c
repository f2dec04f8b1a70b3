// SPDX-License-Identifier: Apache-2.0
/* A small table of keys, each with the times of its last failures. */
#include "ratelimit.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define RL_KEY 128
#define RL_MAX 32 /* most failures a key remembers */

struct rl_entry {
	char key[RL_KEY];
	int64_t t[RL_MAX]; /* ring of failure times */
	int n, head;
	int64_t last;
};

struct ratelimit {
	pthread_mutex_t mu;
	int max, window, cap;
	struct rl_entry *e;
};

int ratelimit_new(int max, int window_s, int cap, struct ratelimit **out)
{
	if (max < 1 || max > RL_MAX || window_s < 1 || cap < 1)
		return -EINVAL;
	struct ratelimit *rl = calloc(1, sizeof(*rl));
	if (!rl)
		return -ENOMEM;
	rl->e = calloc((size_t)cap, sizeof(*rl->e));
	if (!rl->e) {
		free(rl);
		return -ENOMEM;
	}
	pthread_mutex_init(&rl->mu, NULL);
	rl->max = max;
	rl->window = window_s;
	rl->cap = cap;
	*out = rl;
	return 0;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->mu);
	free(rl->e);
	free(rl);
}

static struct rl_entry *find(struct ratelimit *rl, const char *key, bool make)
{
	struct rl_entry *free_e = NULL, *oldest = NULL;
	for (int i = 0; i < rl->cap; i++) {
		struct rl_entry *e = &rl->e[i];
		if (e->key[0] && !strncmp(e->key, key, RL_KEY - 1))
			return e;
		if (!e->key[0] && !free_e)
			free_e = e;
		if (e->key[0] && (!oldest || e->last < oldest->last))
			oldest = e;
	}
	if (!make)
		return NULL;
	struct rl_entry *e = free_e ? free_e : oldest;
	memset(e, 0, sizeof(*e));
	strncpy(e->key, key, RL_KEY - 1);
	return e;
}

/* Failures of e within the window ending at now; the oldest of them. */
static int recent(const struct ratelimit *rl, const struct rl_entry *e, int64_t now, int64_t *oldest)
{
	int c = 0;
	*oldest = now;
	for (int i = 0; i < e->n; i++) {
		int64_t t = e->t[i];
		if (t > now - rl->window) {
			c++;
			if (t < *oldest)
				*oldest = t;
		}
	}
	return c;
}

bool ratelimit_blocked(struct ratelimit *rl, const char *key, int64_t now, int64_t *retry_s)
{
	pthread_mutex_lock(&rl->mu);
	struct rl_entry *e = find(rl, key, false);
	int64_t oldest = now;
	bool b = e && recent(rl, e, now, &oldest) >= rl->max;
	pthread_mutex_unlock(&rl->mu);
	if (retry_s)
		*retry_s = b ? oldest + rl->window - now : 0;
	return b;
}

void ratelimit_fail(struct ratelimit *rl, const char *key, int64_t now)
{
	pthread_mutex_lock(&rl->mu);
	struct rl_entry *e = find(rl, key, true);
	e->t[e->head] = now;
	e->head = (e->head + 1) % RL_MAX;
	if (e->n < RL_MAX)
		e->n++;
	e->last = now;
	pthread_mutex_unlock(&rl->mu);
}

void ratelimit_reset(struct ratelimit *rl, const char *key)
{
	pthread_mutex_lock(&rl->mu);
	struct rl_entry *e = find(rl, key, false);
	if (e)
		memset(e, 0, sizeof(*e));
	pthread_mutex_unlock(&rl->mu);
}
