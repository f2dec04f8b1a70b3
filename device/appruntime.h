// SPDX-License-Identifier: Apache-2.0
/* Seam between the control plane and the app runtime (device/runtime,
 * library everuntime): when the tree is built without it, these calls are
 * no-ops that report "no runtime" so the control plane still builds and
 * runs. The shipped agent links the real runtime. */
#ifndef EVE_APPRUNTIME_H
#define EVE_APPRUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/devconfig.pb-c.h"
#include "info/info.pb-c.h"
#include "metrics/metrics.pb-c.h"

struct appruntime;

typedef void (*appruntime_report_fn)(void *ctx, const Org__Lfedge__Eve__Info__ZInfoMsg *msg);
typedef void (*appruntime_log_fn)(void *ctx, const char *app_uuid, const char *line);

/* True when built with the real runtime. */
bool appruntime_available(void);
/* -ENOTSUP without the runtime. */
/* Publisher trust for image signatures: the config dir's image-trust/ and
 * the local floor of images.signatures (enum cosign_policy). */
struct download_router; /* download.h: the routes of downloads (ports, proxies) */
struct appruntime_trust {
	const char *dir;
	int floor;
};
int appruntime_new(const char *state_dir, const char *libvirt_uri, const char *ca_path,
		   const struct appruntime_trust *trust, const struct download_router *router,
		   appruntime_report_fn report, appruntime_log_fn log, void *ctx, struct appruntime **out);
int appruntime_apply(struct appruntime *rt, const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg);
int appruntime_metrics(struct appruntime *rt, Org__Lfedge__Eve__Metrics__ZMetricMsg *m);
void appruntime_metrics_release(struct appruntime *rt, Org__Lfedge__Eve__Metrics__ZMetricMsg *m);
/* Flow logs (packed FlowMessage, devId set) to fn until it fails: the
 * number sent, fn's error, or 0 without the runtime. */
typedef int (*appruntime_flowlog_fn)(void *ctx, const uint8_t *data, size_t len);
int appruntime_flowlog_flush(struct appruntime *rt, const char *dev_uuid, appruntime_flowlog_fn fn,
			     void *ctx);
/* Remote consoles (runtime.h: runtime_console_open, runtime_app_endpoint);
 * -ENOTSUP without the runtime. */
int appruntime_console_open(struct appruntime *rt, const char *uuid, int *fd, char *err, size_t errlen);
void appruntime_console_release(struct appruntime *rt, const char *uuid);
int appruntime_app_endpoint(struct appruntime *rt, const char *uuid, bool vnc, int port, char host[64],
			    int *out_port, char *err, size_t errlen);
/* Apps not to start and why (runtime.h: runtime_refuse); 0 without the
 * runtime. */
int appruntime_refuse(struct appruntime *rt, const char *all, size_t n, const char *const uuids[],
		      const char *const reasons[]);
/* NULL-terminated; an empty list without the runtime. */
const char *const *appruntime_hypervisors(struct appruntime *rt);
void appruntime_free(struct appruntime *rt);

#endif
