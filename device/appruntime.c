// SPDX-License-Identifier: Apache-2.0
/* The runtime seam: forwards to device/runtime. device/CMakeLists.txt
 * builds it when the everuntime target exists, else appruntime_stub.c. */
#include "appruntime.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>

#include "runtime.h"

bool appruntime_available(void)
{
	return true;
}

int appruntime_new(const char *state_dir, const char *libvirt_uri, const char *ca_path,
		   const struct appruntime_trust *trust, const struct download_router *router,
		   appruntime_report_fn report, appruntime_log_fn log, void *ctx, struct appruntime **out)
{
	struct runtime_opts o = {.state_dir = state_dir,
				 .libvirt_uri = libvirt_uri,
				 .ca_path = ca_path,
				 .trust_dir = trust ? trust->dir : NULL,
				 .sig_floor = trust ? trust->floor : 0,
				 .router = router};

	return runtime_new(&o, report, log, ctx, (struct runtime **)out);
}

int appruntime_apply(struct appruntime *rt, const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg)
{
	return rt ? runtime_apply((struct runtime *)rt, cfg) : -ENOTSUP;
}

int appruntime_metrics(struct appruntime *rt, Org__Lfedge__Eve__Metrics__ZMetricMsg *m)
{
	return rt ? runtime_metrics((struct runtime *)rt, m) : -ENOTSUP;
}

int appruntime_refuse(struct appruntime *rt, const char *all, size_t n, const char *const uuids[],
		      const char *const reasons[])
{
	return rt ? runtime_refuse((struct runtime *)rt, all, n, uuids, reasons) : 0;
}

void appruntime_metrics_release(struct appruntime *rt, Org__Lfedge__Eve__Metrics__ZMetricMsg *m)
{
	if (rt)
		runtime_metrics_release((struct runtime *)rt, m);
}

int appruntime_flowlog_flush(struct appruntime *rt, const char *dev_uuid, appruntime_flowlog_fn fn, void *ctx)
{
	return rt ? runtime_flowlog_flush((struct runtime *)rt, dev_uuid, fn, ctx) : 0;
}

int appruntime_console_open(struct appruntime *rt, const char *uuid, int *fd, char *err, size_t errlen)
{
	return rt ? runtime_console_open((struct runtime *)rt, uuid, fd, err, errlen) : -ENOTSUP;
}

void appruntime_console_release(struct appruntime *rt, const char *uuid)
{
	if (rt)
		runtime_console_release((struct runtime *)rt, uuid);
}

int appruntime_app_endpoint(struct appruntime *rt, const char *uuid, bool vnc, int port, char host[64],
			    int *out_port, char *err, size_t errlen)
{
	return rt ? runtime_app_endpoint((struct runtime *)rt, uuid, vnc, port, host, out_port, err, errlen)
		  : -ENOTSUP;
}

const char *const *appruntime_hypervisors(struct appruntime *rt)
{
	static const char *const none[] = {NULL};

	return rt ? runtime_hypervisors((struct runtime *)rt) : none;
}

void appruntime_free(struct appruntime *rt)
{
	if (rt)
		runtime_free((struct runtime *)rt);
}
