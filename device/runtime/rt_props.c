// SPDX-License-Identifier: Apache-2.0
/* Runtime configuration properties of the app runtime. */
#include "rt_props.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

#include "configprops.h"
#include "rt_internal.h"

/* The item's value when it is valid for the table, else the default. */
static const char *value_of(const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg, const char *name)
{
	const struct configprop *p = configprop_find(name);
	const char *v = NULL;

	for (size_t i = 0; cfg && i < cfg->n_configitems; i++)
		if (cfg->configitems[i]->key && !strcmp(cfg->configitems[i]->key, name))
			v = cfg->configitems[i]->value;
	if (p && v && configprop_check(p, v, NULL, 0) == 0)
		return v;
	return p ? p->def : "0";
}

static uint32_t int_of(const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg, const char *name)
{
	const struct configprop *p = configprop_find(name);
	uint32_t u = 0;

	if (p)
		configprop_parse_int(p, value_of(cfg, name), &u);
	return u;
}

static bool bool_of(const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg, const char *name)
{
	bool b = false;

	configprop_parse_bool(value_of(cfg, name), &b);
	return b;
}

void rt_props_load(struct rt_props *p, const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg)
{
	p->download_retry_ms = (uint64_t)int_of(cfg, "timer.download.retry") * 1000;
	p->boot_retry_ms = (uint64_t)int_of(cfg, "timer.boot.retry") * 1000;
	p->stalled_s = int_of(cfg, "timer.download.stalled");
	p->app_rollback_ms = (uint64_t)int_of(cfg, "timer.app.update.rollback") * 1000;
	p->allow_vnc = bool_of(cfg, "app.allow.vnc");
	p->ignore_mem_check = bool_of(cfg, "memory.apps.ignore.check");
	p->ignore_disk_check = bool_of(cfg, "storage.apps.ignore.disk.check");
	p->dom0_min_pct = int_of(cfg, "storage.dom0.disk.minusage.percent");
	p->unpack_max = 0;
	configprop_parse_u64(configprop_find("runtime.oci.unpack.max.bytes"),
			     value_of(cfg, "runtime.oci.unpack.max.bytes"), &p->unpack_max);
	p->sig_policy = 0;
	configprop_parse_enum(configprop_find("images.signatures"), value_of(cfg, "images.signatures"),
			      &p->sig_policy);
}

/* MemAvailable of a meminfo file in KiB; -errno. */
static int64_t mem_available_kib(const char *path)
{
	char line[256];
	long long kib = -1;
	FILE *f = fopen(path ? path : "/proc/meminfo", "re");

	if (!f)
		return -errno;
	while (kib < 0 && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %lld kB", &kib) != 1)
			kib = -1;
	fclose(f);
	return kib < 0 ? -EIO : kib;
}

int rt_props_mem_check(const struct rt_props *p, uint64_t need_kib, const char *meminfo, char *err,
		       size_t err_len)
{
	int64_t avail;

	if (p->ignore_mem_check)
		return 0;
	avail = mem_available_kib(meminfo);
	if (avail < 0)
		return 0; /* cannot tell: do not refuse */
	if (need_kib <= (uint64_t)avail)
		return 0;
	snprintf(err, err_len,
		 "not enough memory: the app needs %" PRIu64 " MiB, %" PRId64
		 " MiB are available (memory.apps.ignore.check=true starts it anyway)",
		 need_kib >> 10, avail >> 10);
	return -ENOMEM;
}

int rt_props_disk_check(const struct rt_props *p, const char *dir, uint64_t need, uint64_t used, char *err,
			size_t err_len)
{
	struct statvfs vfs;
	uint64_t total, avail, share;

	if (p->ignore_disk_check || statvfs(dir, &vfs) < 0)
		return 0;
	total = (uint64_t)vfs.f_blocks * vfs.f_frsize;
	avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	share = total / 100 * (100 - (p->dom0_min_pct > 100 ? 100 : p->dom0_min_pct));
	if (need <= avail && used + need <= share)
		return 0;
	snprintf(err, err_len,
		 "not enough disk: the volume needs %" PRIu64 " MiB; %" PRIu64
		 " MiB free, apps may use %" PRIu64
		 " MiB (%u%% kept by storage.dom0.disk.minusage.percent) of which %" PRIu64
		 " MiB are declared (storage.apps.ignore.disk.check=true creates it anyway)",
		 need >> 20, avail >> 20, share >> 20, p->dom0_min_pct, used >> 20);
	return -ENOSPC;
}

/* ---- applying a change ---------------------------------------------- */

void rt_props_update(struct runtime *rt, uint64_t now)
{
	struct rt_props old = rt->props;
	bool relaxed;
	int old_sig = old.sig_policy < rt->sig_floor ? rt->sig_floor : old.sig_policy;

	rt_props_load(&rt->props, rt->cfg);
	if (rt->props.sig_policy < rt->sig_floor) /* a controller cannot relax the device's policy */
		rt->props.sig_policy = rt->sig_floor;
	relaxed = (rt->props.ignore_mem_check && !old.ignore_mem_check) ||
		  (rt->props.ignore_disk_check && !old.ignore_disk_check) ||
		  rt->props.dom0_min_pct < old.dom0_min_pct || rt->props.unpack_max > old.unpack_max;
	for (size_t i = 0; i < rt->n_cts; i++)
		if (rt->cts[i]->next_try > now + rt->props.download_retry_ms)
			rt->cts[i]->next_try = now + rt->props.download_retry_ms;
	for (size_t i = 0; i < rt->n_apps; i++) {
		struct rt_app *a = rt->apps[i];

		if (a->next_start > now + rt->props.boot_retry_ms)
			a->next_start = now + rt->props.boot_retry_ms;
		if (relaxed && a->state == ORG__LFEDGE__EVE__INFO__ZSW_STATE__ERROR)
			a->next_start = now;
	}
	for (size_t i = 0; rt->props.sig_policy != old_sig && i < rt->n_cts; i++)
		rt->cts[i]->next_try = now; /* judged again under the new policy (rt_content.c) */
	for (size_t i = 0; relaxed && i < rt->n_vols; i++)
		if (rt->vols[i]->state == ORG__LFEDGE__EVE__INFO__ZSW_STATE__ERROR)
			rt->vols[i]->next_try = now;
}
