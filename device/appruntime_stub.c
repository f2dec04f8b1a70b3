// SPDX-License-Identifier: Apache-2.0
/* The runtime seam without a runtime: device/CMakeLists.txt builds this
 * file instead of appruntime.c when the everuntime target does not exist
 * (-DWITH_AGENT_RUNTIME=OFF). Every call answers "no apps here". */
#include "appruntime.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>

bool appruntime_available(void)
{
	return false;
}

int appruntime_new(const char *state_dir, const char *libvirt_uri, const char *ca_path,
		   const struct appruntime_trust *trust, const struct download_router *router,
		   appruntime_report_fn report, appruntime_log_fn log, void *ctx, struct appruntime **out)
{
	return -ENOTSUP;
}

int appruntime_apply(struct appruntime *rt, const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg)
{
	return -ENOTSUP;
}

int appruntime_refuse(struct appruntime *rt, const char *all, size_t n, const char *const uuids[],
		      const char *const reasons[])
{
	(void)rt;
	(void)all;
	(void)n;
	(void)uuids;
	(void)reasons;
	return 0;
}

int appruntime_metrics(struct appruntime *rt, Org__Lfedge__Eve__Metrics__ZMetricMsg *m)
{
	return -ENOTSUP;
}

void appruntime_metrics_release(struct appruntime *rt, Org__Lfedge__Eve__Metrics__ZMetricMsg *m)
{
}

int appruntime_flowlog_flush(struct appruntime *rt, const char *dev_uuid, appruntime_flowlog_fn fn, void *ctx)
{
	return 0;
}

int appruntime_console_open(struct appruntime *rt, const char *uuid, int *fd, char *err, size_t errlen)
{
	snprintf(err, errlen, "this agent runs no apps");
	return -ENOTSUP;
}

void appruntime_console_release(struct appruntime *rt, const char *uuid)
{
}

int appruntime_app_endpoint(struct appruntime *rt, const char *uuid, bool vnc, int port, char host[64],
			    int *out_port, char *err, size_t errlen)
{
	snprintf(err, errlen, "this agent runs no apps");
	return -ENOTSUP;
}

const char *const *appruntime_hypervisors(struct appruntime *rt)
{
	static const char *const none[] = {NULL};

	return none;
}

void appruntime_free(struct appruntime *rt)
{
}
