// SPDX-License-Identifier: Apache-2.0
/* Edge-view on the device: while the config carries an EdgeViewConfig with
 * a valid token for this device (and edgeview.allow is not false), keep an
 * outbound control tunnel to the dispatcher the token names; for each
 * "OPEN" the dispatcher sends, open a channel tunnel and bridge it to the
 * app's console pty, its VNC display or one of its TCP ports. Nothing
 * listens on the device. Wire protocol: docs/console.md. Threads of its
 * own; every function may be called from the agent's main thread. */
#ifndef EVE_EDGEVIEW_H
#define EVE_EDGEVIEW_H

#include <stdbool.h>

#include "appruntime.h"
#include "envelope.h"
#include "config/edgeview.pb-c.h"

struct edgeview;

/* rt is borrowed (may be NULL: every channel is refused); ca_path is the
 * trust anchor of the dispatcher's TLS (copied); signer (borrowed, must
 * outlive ev) is the device key: every tunnel request carries its proof
 * (evproof.h), which the dispatcher checks against the registered device
 * certificate. */
struct download_router;
/* router (borrowed, may be NULL): how tunnels reach the dispatcher (the
 * management ports and proxies, download.h). */
int edgeview_new(struct appruntime *rt, const char *ca_path, const struct eve_signer *signer,
		 const struct download_router *router, struct edgeview **out);
/* A config was applied: cfg may be NULL (no edge-view); allowed is the
 * device's edgeview.allow. dev_uuid: this device. */
void edgeview_apply(struct edgeview *ev, const Org__Lfedge__Eve__Config__EdgeViewConfig *cfg, bool allowed,
		    const char *dev_uuid);
/* Close every tunnel and wait for the threads. NULL is fine. */
void edgeview_free(struct edgeview *ev);

#endif
