// SPDX-License-Identifier: Apache-2.0
/* Phased rollouts: a new app revision (spec/image) or base OS image
 * deployed to a set of devices phase by phase, each phase gated on the
 * health of its devices, halted (and optionally rolled back) when more
 * devices fail than the failure budget allows. All state is in the store
 * (tables rollouts, rollout_devices, rollout_events): the housekeeping
 * tick resumes a rollout after a restart where it was.
 *
 * An app rollout pins the app instances of the devices of a phase to the
 * new revision (app_instances.pin_*, which config_build.c prefers over the
 * app's spec); when the last phase passes, the new revision becomes the
 * app's and the pins are dropped. Design notes: docs/rollouts.md. */
#ifndef CTL_ROLLOUTS_H
#define CTL_ROLLOUTS_H

#include "http.h"

struct ctl;
struct store;

/* One housekeeping step: advance, gate, halt every running rollout.
 * Errors are recorded in the rollouts (nothing to return). */
void rollouts_tick(struct ctl *c);

/* True (and replies 409 to r) when app_id has a running or paused
 * rollout: its spec is then changed by the rollout only. */
bool apps_rollout_active(struct http_req *r, struct store *d, const char *app_id);

/* /api/v1/rollouts */
extern const struct http_route admin_rollout_routes[];

#endif
