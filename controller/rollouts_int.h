// SPDX-License-Identifier: Apache-2.0
/* Shared by rollouts.c (the step) and rollouts_admin.c (the API). */
#ifndef CTL_ROLLOUTS_INT_H
#define CTL_ROLLOUTS_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"
#include "uuidgen.h"
#include "uuidlist.h"

struct ctl;

#define RO_MAX_DEVICES 200000
#define RO_NAME_MAX 128

/* A rollout row (progress fields as stored). */
struct ro {
	char id[UUID_STR_LEN];
	char name[RO_NAME_MAX + 1];
	bool os; /* base OS, else app */
	char app_id[UUID_STR_LEN];
	char image_id[UUID_STR_LEN];
	char os_version[129]; /* the base OS image's version */
	int64_t version;      /* the app revision it deploys */
	int64_t nphases, health_s, online_s, timeout_s, pause_s, max_failures;
	bool offline_skips, auto_rollback;
	char state[16]; /* running paused halted aborted done rolled-back */
	int64_t phase;  /* 0-based current phase */
	int64_t phase_started, next_at;
	struct ro_progress { /* the progress fields as read (ro_load) or last written */
		char state[16];
		int64_t phase, phase_started, next_at;
	} seen;
};

/* Load by id or name; -ENOENT. */
int ro_load(struct store *d, const char *ref, struct ro *o);
/* Write o's state and progress, only over what o->seen says is stored:
 * -EAGAIN when another transaction changed them since (on PostgreSQL
 * the engine of any replica and an operator's action may run at once);
 * the caller rolls back and starts again from ro_load. */
int ro_set_state(struct store *d, struct ro *o, const char *state, const char *reason);
/* Right after ro_load in a write transaction: hold the rollout's row until
 * the transaction ends if it is still o->seen (on PostgreSQL another
 * transaction that holds it makes this wait; SQLite's writer holds every
 * row already), so that what is read next (its devices) is what the
 * writes decide on. 0; -EAGAIN as ro_set_state. */
int ro_hold(struct store *d, struct ro *o);
/* Record a decision (dev may be NULL). */
int ro_event(struct store *d, const char *rid, const char *dev, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Revert the changed devices of phase (all phases when < 0); their ids
 * are added to touched (configs to bump after the commit). */
int ro_rollback_devs(struct store *d, struct ro *o, int64_t phase, struct uuidlist *touched);
/* A device's config changed (as ctl_device_changed, in two halves): bump
 * the config versions of l in the caller's transaction; after the commit,
 * drop their cached configs. */
int ro_touch_configs(struct store *d, const struct uuidlist *l);
void ro_drop_configs(struct ctl *c, const struct uuidlist *l);

#endif
