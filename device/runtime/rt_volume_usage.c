// SPDX-License-Identifier: Apache-2.0
/* Volume usage: the bytes each volume takes on the device's disk, measured
 * by the worker (a disk or filesystem image file: its allocated blocks; an
 * unpacked rootfs: the blocks of its tree) and reported in ZInfoVolume
 * (resources.curSizeBytes) and as ZMetricVolume (usedBytes/totalBytes).
 * The metrics side reads a snapshot the worker publishes under rt->mmu. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "err.h"
#include "rt_internal.h"
#include "volume.h"

/* How often a volume is measured: files are cheap (one stat), a rootfs
 * tree walk is not. */
#define USAGE_FILE_MS 10000
#define USAGE_TREE_MS 60000

static uint64_t file_usage(const char *path)
{
	struct stat st;

	return path && stat(path, &st) == 0 ? (uint64_t)st.st_blocks * 512u : 0;
}

static void measure(struct rt_vol *v, uint64_t now)
{
	uint64_t every = v->kind == RT_VOL_ROOTFS ? USAGE_TREE_MS : USAGE_FILE_MS;

	if (!v->ready || (v->used_at && now - v->used_at < every))
		return;
	v->used_at = now;
	switch (v->kind) {
	case RT_VOL_ROOTFS:
		v->used = v->path ? volume_disk_usage(v->path) : 0;
		break;
	case RT_VOL_DISK:
	case RT_VOL_FS:
		v->used = file_usage(v->path);
		break;
	case RT_VOL_CDROM:
		v->used = 0; /* the image blob itself, counted as content */
		break;
	}
}

/* Publish {uuid, name, used, max} of every volume for runtime_metrics. */
static void publish(struct runtime *rt)
{
	struct rt_metric_vol *m = calloc(rt->n_vols ? rt->n_vols : 1, sizeof(*m));
	size_t i;

	if (!m)
		return;
	for (i = 0; i < rt->n_vols; i++) {
		const struct rt_vol *v = rt->vols[i];

		snprintf(m[i].uuid, sizeof(m[i].uuid), "%s", v->uuid);
		snprintf(m[i].name, sizeof(m[i].name), "%s", v->name ? v->name : "");
		m[i].used = v->used;
		m[i].max = v->maxsize;
	}
	pthread_mutex_lock(&rt->mmu);
	free(rt->mvols);
	rt->mvols = m;
	rt->n_mvols = rt->n_vols;
	pthread_mutex_unlock(&rt->mmu);
}

void rt_volume_usage(struct runtime *rt)
{
	uint64_t now = rt_now_ms();

	for (size_t i = 0; i < rt->n_vols; i++)
		measure(rt->vols[i], now);
	publish(rt);
}

struct vm_block {
	Org__Lfedge__Eve__Metrics__ZMetricVolume vm;
	char uuid[RT_ID_MAX];
	char name[128];
};

int rt_volume_metrics(struct runtime *rt, Org__Lfedge__Eve__Metrics__ZMetricMsg *m)
{
	Org__Lfedge__Eve__Metrics__ZMetricVolume **arr;
	size_t i, n = 0;

	m->vm = NULL;
	m->n_vm = 0;
	pthread_mutex_lock(&rt->mmu);
	arr = calloc(rt->n_mvols ? rt->n_mvols : 1, sizeof(*arr));
	for (i = 0; arr && i < rt->n_mvols; i++) {
		struct vm_block *b = calloc(1, sizeof(*b));

		if (!b)
			break;
		org__lfedge__eve__metrics__zmetric_volume__init(&b->vm);
		memcpy(b->uuid, rt->mvols[i].uuid, sizeof(b->uuid));
		memcpy(b->name, rt->mvols[i].name, sizeof(b->name));
		b->vm.uuid = b->uuid;
		b->vm.displayname = b->name;
		b->vm.usedbytes = rt->mvols[i].used;
		b->vm.totalbytes = rt->mvols[i].max;
		b->vm.freebytes = b->vm.totalbytes > b->vm.usedbytes ? b->vm.totalbytes - b->vm.usedbytes : 0;
		arr[n++] = &b->vm;
	}
	pthread_mutex_unlock(&rt->mmu);
	if (!arr)
		return -ENOMEM;
	m->vm = arr;
	m->n_vm = n;
	return 0;
}

void rt_volume_metrics_release(Org__Lfedge__Eve__Metrics__ZMetricMsg *m)
{
	/* vm is the first member of its block: freeing it frees the block. */
	for (size_t i = 0; i < m->n_vm; i++)
		free(m->vm[i]);
	free(m->vm);
	m->vm = NULL;
	m->n_vm = 0;
}

void rt_volume_metrics_free(struct runtime *rt)
{
	free(rt->mvols);
	rt->mvols = NULL;
	rt->n_mvols = 0;
}
