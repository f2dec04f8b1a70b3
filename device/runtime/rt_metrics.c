// SPDX-License-Identifier: Apache-2.0
/* runtime_metrics: one AppMetric per running app from libvirt counters.
 * Runs on the caller's thread with its own libvirt connections, reading
 * the list of running domains the worker publishes. Each AppMetric and
 * everything it points to is one allocation, freed by
 * runtime_metrics_release. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "rt_internal.h"

struct am_block {
	Org__Lfedge__Eve__Metrics__AppMetric am;
	Org__Lfedge__Eve__Metrics__AppCpuMetric cpu;
	Org__Lfedge__Eve__Metrics__MemoryMetric mem;
	Org__Lfedge__Eve__Metrics__AppMemoryMetric amem;
	Org__Lfedge__Eve__Metrics__NetworkMetric net;
	Org__Lfedge__Eve__Metrics__NetworkMetric *nets[1];
	Org__Lfedge__Eve__Metrics__AppDiskMetric disk;
	Org__Lfedge__Eve__Metrics__AppDiskMetric *disks[1];
	char uuid[RT_ID_MAX];
	char name[256];
};

static void fill(struct am_block *b, const struct rt_metric_dom *m, const struct hv_stats *st)
{
	org__lfedge__eve__metrics__app_metric__init(&b->am);
	org__lfedge__eve__metrics__app_cpu_metric__init(&b->cpu);
	org__lfedge__eve__metrics__memory_metric__init(&b->mem);
	org__lfedge__eve__metrics__app_memory_metric__init(&b->amem);
	org__lfedge__eve__metrics__network_metric__init(&b->net);
	org__lfedge__eve__metrics__app_disk_metric__init(&b->disk);
	snprintf(b->uuid, sizeof(b->uuid), "%s", m->uuid);
	snprintf(b->name, sizeof(b->name), "%s", m->name ? m->name : "");
	b->am.appid = b->uuid;
	b->am.appname = b->name;
	b->am.appversion = "";
	b->cpu.total_ns = st->cpu_ns;
	b->cpu.total = st->cpu_ns / 1000000000u;
	b->am.cpu = &b->cpu;
	b->mem.usedmem = (uint32_t)(st->mem_kib / 1024);
	b->mem.availmem =
	    (uint32_t)(st->maxmem_kib > st->mem_kib ? (st->maxmem_kib - st->mem_kib) / 1024 : 0);
	if (st->maxmem_kib) {
		b->mem.usedpercentage = 100.0 * (double)st->mem_kib / (double)st->maxmem_kib;
		b->mem.availpercentage = 100.0 - b->mem.usedpercentage;
	}
	b->am.memory = &b->mem;
	b->amem.allocatedmb = (uint32_t)(st->maxmem_kib / 1024);
	b->amem.usedmb = (uint32_t)(st->mem_kib / 1024);
	b->am.appmemory = &b->amem;
	b->net.iname = "all";
	b->net.alias = "";
	b->net.localname = "";
	b->net.txbytes = st->tx_bytes;
	b->net.rxbytes = st->rx_bytes;
	b->net.txpkts = st->tx_pkts;
	b->net.rxpkts = st->rx_pkts;
	b->nets[0] = &b->net;
	b->am.network = b->nets;
	b->am.n_network = 1;
	b->disk.disk = "all";
	b->disk.disktype = (char *)m->disk_type; /* static, never freed */
	/* Bytes moved, as MiB (the message has no I/O counters of its own). */
	b->disk.used = (st->rd_bytes + st->wr_bytes) >> 20;
	b->disks[0] = &b->disk;
	b->am.disk = b->disks;
	b->am.n_disk = 1;
}

static int metric_conn(struct runtime *rt, enum rt_hv hv, virConnectPtr *out)
{
	virConnectPtr *slot = &rt->mconns[hv];
	char err[RT_ERR_MAX];

	if (*slot && virConnectIsAlive(*slot) == 1) {
		*out = *slot;
		return 0;
	}
	if (*slot)
		virConnectClose(*slot);
	*slot = NULL;
	if (hv_connect(rt->uris[hv], slot, err, sizeof(err)) < 0)
		return -ECONNREFUSED;
	*out = *slot;
	return 0;
}

int runtime_metrics(struct runtime *rt, Org__Lfedge__Eve__Metrics__ZMetricMsg *m)
{
	Org__Lfedge__Eve__Metrics__AppMetric **arr;
	size_t i, n = 0;

	m->am = NULL;
	m->n_am = 0;
	pthread_mutex_lock(&rt->mmu);
	arr = calloc(rt->n_mdoms ? rt->n_mdoms : 1, sizeof(*arr));
	for (i = 0; arr && i < rt->n_mdoms; i++) {
		const struct rt_metric_dom *md = &rt->mdoms[i];
		struct hv_stats st;
		struct am_block *b;
		virConnectPtr c;
		virDomainPtr d;

		if (metric_conn(rt, md->hv, &c) < 0 || hv_lookup(c, md->dom, &d) < 0)
			continue;
		if (hv_stats(d, &st) == 0 && (b = calloc(1, sizeof(*b)))) {
			fill(b, md, &st);
			arr[n++] = &b->am;
		}
		virDomainFree(d);
	}
	pthread_mutex_unlock(&rt->mmu);
	if (!arr)
		return -ENOMEM;
	m->am = arr;
	m->n_am = n;
	return rt_volume_metrics(rt, m);
}

void runtime_metrics_release(struct runtime *rt, Org__Lfedge__Eve__Metrics__ZMetricMsg *m)
{
	size_t i;

	/* am is the first member of its block: freeing it frees the block. */
	for (i = 0; i < m->n_am; i++)
		free(m->am[i]);
	free(m->am);
	m->am = NULL;
	m->n_am = 0;
	rt_volume_metrics_release(m);
}
