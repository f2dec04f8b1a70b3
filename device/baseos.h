// SPDX-License-Identifier: Apache-2.0
/* Seam between the control plane and the A/B updater (device/update,
 * library eveupdate): hands it the config's baseos, calls its start-of-day
 * and periodic hooks, and exposes its slots for device info. Without the
 * updater (or without --update), every call is a no-op. */
#ifndef EVE_BASEOS_H
#define EVE_BASEOS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "config/devconfig.pb-c.h"
#include "report_info.h"

struct baseos;
struct download_router;

struct baseos_opts {
	const char *backend; /* "dir" / "gpt" */
	const char *target;
	const char *state_dir; /* updater state lives in <state>/update */
	const char *ca_path;
	const char *trust_dir;                /* publisher roots / keys for signed base OS images */
	const struct download_router *router; /* how images are fetched (download.h), may be NULL */
	const char *version;                  /* running agent / image version */
	int (*reboot)(void *ctx);
	void *ctx;
};

/* -ENOTSUP when built without the updater. */
int baseos_open(const struct baseos_opts *o, struct baseos **out);
void baseos_close(struct baseos *b);
int baseos_boot_check(struct baseos *b, time_t now);
/* Offer cfg->baseos (resolved to URL + sha256 via its content tree and
 * datastore). 0 when there is nothing to do. */
int baseos_apply(struct baseos *b, const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg);
/* Length of the test window of a new image (timer.test.baseimage.update). */
void baseos_set_test_window(struct baseos *b, unsigned seconds);
/* images.signatures (enum cosign_policy) for base OS images. */
void baseos_set_sig_policy(struct baseos *b, int policy);
/* The last base OS image's signature verdict ("" when none). */
const char *baseos_sig_note(struct baseos *b);
int baseos_controller_reached(struct baseos *b, time_t now);
int baseos_tick(struct baseos *b, time_t now);
/* Fill d->sw / d->n_sw from the slots (leaves them untouched when b is NULL). */
void baseos_fill_info(struct baseos *b, struct report_device *d);

/* Build the download URL of content tree ct from its datastore in cfg into
 * out. -ENOENT when the tree or datastore is missing. */
int baseos_content_url(const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg, const char *ct_uuid, char *out,
		       size_t outlen, const char **sha256);

#endif
