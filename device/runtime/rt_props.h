// SPDX-License-Identifier: Apache-2.0
/* The runtime configuration properties the app runtime applies (names,
 * types, ranges and defaults from common/configprops.c), read from each
 * config the runtime is given. Worker thread only. */
#ifndef EVE_RT_PROPS_H
#define EVE_RT_PROPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/devconfig.pb-c.h"

struct rt_props {
	uint64_t
	    download_retry_ms;  /* timer.download.retry: longest wait before a failed download is retried */
	uint64_t boot_retry_ms; /* timer.boot.retry: longest wait before a failed/crashed app is restarted */
	uint64_t app_rollback_ms; /* timer.app.update.rollback: trial of an app update, 0 = off */
	bool allow_vnc;           /* app.allow.vnc: VNC listens on all addresses (else 127.0.0.1) */
	bool ignore_mem_check;    /* memory.apps.ignore.check */
	bool ignore_disk_check;   /* storage.apps.ignore.disk.check */
	uint32_t dom0_min_pct;    /* storage.dom0.disk.minusage.percent: share of the disk apps may not use */
	int sig_policy;           /* images.signatures (enum cosign_policy), before the local floor */
	uint64_t unpack_max;      /* runtime.oci.unpack.max.bytes: unpack cap of a volume without a size */
	uint32_t stalled_s;       /* timer.download.stalled: cancel a download without a byte for this long */
};

/* The defaults, then every valid item of cfg (invalid ones keep the
 * default: the agent reports them). cfg may be NULL. */
void rt_props_load(struct rt_props *p, const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg);

/* 0 when an app of need_kib fits in the memory available now (or the check
 * is off); -ENOMEM with the reason in err. meminfo: path of a
 * /proc/meminfo-format file (NULL: /proc/meminfo). */
int rt_props_mem_check(const struct rt_props *p, uint64_t need_kib, const char *meminfo, char *err,
		       size_t err_len);

/* 0 when a volume of need bytes fits on the filesystem of dir: in its free
 * space, and within the apps' share of it (100 - dom0_min_pct percent of
 * its size) after the used bytes the runtime's volumes already declare;
 * -ENOSPC with the reason in err. Off with ignore_disk_check. */
int rt_props_disk_check(const struct rt_props *p, const char *dir, uint64_t need, uint64_t used, char *err,
			size_t err_len);

#endif
