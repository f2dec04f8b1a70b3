// SPDX-License-Identifier: Apache-2.0
/* The agent's runtime: makes the apps, content trees, volumes and network
 * instances of an EdgeDevConfig real on libvirt, in its own worker thread,
 * and reports each object's state as it changes.
 *
 * Contract between the agent's control plane (device/agent) and the runtime
 * (device/runtime): the control plane calls runtime_apply with every config
 * it accepts (and the checkpointed one at start); the runtime converges to it
 * in the background and calls the report callback with per-object ZInfoMsg
 * messages (ZInfoApp, ZInfoContentTree, ZInfoVolume, ZInfoNetworkInstance)
 * whenever a state changes. */
#ifndef EVE_RUNTIME_H
#define EVE_RUNTIME_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include "config/devconfig.pb-c.h"
#include "info/info.pb-c.h"
#include "metrics/metrics.pb-c.h"

struct runtime;
struct download_router;

struct runtime_opts {
	const char *state_dir;   /* persist dir: blobs/, volumes/, apps/ live below */
	const char *libvirt_uri; /* NULL: qemu:///system; LXC apps use lxc:///system */
	const char *lxc_uri;     /* NULL: lxc:///system */
	const char *ca_path;     /* extra trusted root for HTTPS datastores (the
				  * controller's root-certificate.pem), may be NULL */
	const char *dns_resolv;  /* resolv.conf naming the upstream servers of the
				  * network instances' DNS; NULL: /etc/resolv.conf */
	const char *trust_dir;   /* publisher keys (*.pem) for image signatures
				  * (config dir image-trust/), may be NULL */
	int sig_floor;           /* local floor of images.signatures (enum cosign_policy) */
	/* how downloads go (ports, proxies; download.h), NULL: the default
	 * route, no proxy. Borrowed: outlives the runtime. */
	const struct download_router *router;
};

/* Called from the runtime's thread; msg is only valid during the call. */
typedef void (*runtime_report_fn)(void *ctx, const Org__Lfedge__Eve__Info__ZInfoMsg *msg);
/* A line of an app's console / log output (no trailing newline). */
typedef void (*runtime_log_fn)(void *ctx, const char *app_uuid, const char *line);

int runtime_new(const struct runtime_opts *o, runtime_report_fn report, runtime_log_fn log, void *ctx,
		struct runtime **out);
/* Hand over the desired state (deep-copied; cfg stays the caller's). Returns
 * at once; convergence happens in the runtime thread. */
int runtime_apply(struct runtime *rt, const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg);
/* Fill m->appmetric / n_appmetric with one AppMetric per running app (memory
 * owned by the runtime until runtime_metrics_release). */
int runtime_metrics(struct runtime *rt, Org__Lfedge__Eve__Metrics__ZMetricMsg *m);
void runtime_metrics_release(struct runtime *rt, Org__Lfedge__Eve__Metrics__ZMetricMsg *m);
/* Flow logs: packed FlowMessage (org.lfedge.eve.flowlog) of the apps'
 * flows and DNS requests, queued by the runtime within a byte budget.
 * Calls fn with each (devId = dev_uuid; data only valid during the call)
 * until fn returns < 0, which keeps that one and the rest queued. Any
 * thread. Returns the number sent, or fn's error. */
typedef int (*runtime_flowlog_fn)(void *ctx, const uint8_t *data, size_t len);
int runtime_flowlog_flush(struct runtime *rt, const char *dev_uuid, runtime_flowlog_fn fn, void *ctx);
/* Hypervisors this node can run ("kvm", "qemu", "lxc", "xen"), for device info. */
const char *const *runtime_hypervisors(struct runtime *rt);
/* Remote consoles (any thread). The interactive console of app uuid: a
 * read/write descriptor on its console pty in *fd (caller closes it, then
 * calls runtime_console_release); the runtime stops copying that console
 * into the app's log meanwhile. -ENOENT when the app does not run here,
 * -ENOTSUP when its console is not interactive (a VM's serial console
 * goes to a log file), -EBUSY when already held; err says why. */
int runtime_console_open(struct runtime *rt, const char *uuid, int *fd, char *err, size_t errlen);
void runtime_console_release(struct runtime *rt, const char *uuid);
/* Where to reach app uuid: its VNC display (vnc) or its TCP port on its
 * first adapter's leased address. host and *out_port on success;
 * -ENOENT (not running), -ENOTSUP (no VNC / no address), err says why. */
int runtime_app_endpoint(struct runtime *rt, const char *uuid, bool vnc, int port, char host[64],
			 int *out_port, char *err, size_t errlen);

/* Apps not to start, and why (each reports ERROR with that text; an app
 * already running is left as it is): with all != NULL every app, and no
 * volume is made or removed (the volume vault is locked); else the n apps
 * uuids[] with reasons[] (e.g. their encrypted user data cannot be
 * opened). Replaces the previous set; all = NULL, n = 0 clears it. Copies
 * its arguments; any thread. */
int runtime_refuse(struct runtime *rt, const char *all, size_t n, const char *const uuids[],
		   const char *const reasons[]);

/* Stop the worker; domains keep running (they are adopted at next start). */
void runtime_free(struct runtime *rt);

#endif
