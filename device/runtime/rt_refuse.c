// SPDX-License-Identifier: Apache-2.0
/* Apps the control plane refuses to start (runtime_refuse in runtime.h):
 * the set is handed over under rt->mu and taken by the worker before a
 * pass, like a config. */
#include "rt_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct rt_refusals {
	char all[RT_ERR_MAX]; /* "": per app only */
	size_t n;
	struct {
		char uuid[RT_ID_MAX];
		char why[RT_ERR_MAX];
	} app[];
};

int runtime_refuse(struct runtime *rt, const char *all, size_t n, const char *const uuids[],
		   const char *const reasons[])
{
	struct rt_refusals *s = calloc(1, sizeof(*s) + n * sizeof(s->app[0]));
	size_t i;

	if (!s)
		return -ENOMEM;
	snprintf(s->all, sizeof(s->all), "%s", all ? all : "");
	for (i = 0; i < n; i++) {
		snprintf(s->app[i].uuid, sizeof(s->app[i].uuid), "%s", uuids[i] ? uuids[i] : "");
		snprintf(s->app[i].why, sizeof(s->app[i].why), "%s", reasons[i] ? reasons[i] : "refused");
	}
	s->n = n;
	pthread_mutex_lock(&rt->mu);
	free(rt->ref_pending);
	rt->ref_pending = s;
	rt->ref_changed = true;
	pthread_cond_signal(&rt->cv);
	pthread_mutex_unlock(&rt->mu);
	return 0;
}

bool rt_refuse_take(struct runtime *rt)
{
	if (!rt->ref_changed)
		return false;
	free(rt->ref);
	rt->ref = rt->ref_pending;
	rt->ref_pending = NULL;
	rt->ref_changed = false;
	return true;
}

const char *rt_refuse_all(const struct runtime *rt)
{
	return rt->ref && rt->ref->all[0] ? rt->ref->all : NULL;
}

const char *rt_refuse_why(const struct runtime *rt, const char *uuid)
{
	size_t i;

	if (!rt->ref)
		return NULL;
	if (rt->ref->all[0])
		return rt->ref->all;
	for (i = 0; i < rt->ref->n; i++)
		if (strcmp(rt->ref->app[i].uuid, uuid) == 0)
			return rt->ref->app[i].why;
	return NULL;
}

void rt_refuse_free(struct runtime *rt)
{
	free(rt->ref);
	free(rt->ref_pending);
	rt->ref = rt->ref_pending = NULL;
}
