// SPDX-License-Identifier: Apache-2.0
/* Metrics collection. */
#include "report_metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <sys/statvfs.h>
#include <sys/sysinfo.h>

#include "pbpack.h"

#define MAX_NETS 16

struct netstat {
	Org__Lfedge__Eve__Metrics__NetworkMetric m;
	char name[32];
};

/* /proc/net/dev: "  eth0: rxbytes rxpkts rxerrs rxdrop ... txbytes txpkts txerrs txdrop ..." */
static size_t read_netdev(struct netstat *ns)
{
	char line[512];
	size_t n = 0;
	FILE *f = fopen("/proc/net/dev", "re");

	if (!f)
		return 0;
	while (n < MAX_NETS && fgets(line, sizeof(line), f)) {
		unsigned long long v[16];
		char *colon = strchr(line, ':'), *name = line;

		if (!colon)
			continue;
		*colon = '\0';
		while (*name == ' ')
			name++;
		if (sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
			   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10],
			   &v[11]) != 12 ||
		    !strcmp(name, "lo"))
			continue;
		org__lfedge__eve__metrics__network_metric__init(&ns[n].m);
		snprintf(ns[n].name, sizeof(ns[n].name), "%.31s", name);
		ns[n].m.iname = ns[n].name;
		ns[n].m.localname = ns[n].name;
		ns[n].m.rxbytes = v[0];
		ns[n].m.rxpkts = v[1];
		ns[n].m.rxerrors = v[2];
		ns[n].m.rxdrops = v[3];
		ns[n].m.txbytes = v[8];
		ns[n].m.txpkts = v[9];
		ns[n].m.txerrors = v[10];
		ns[n].m.txdrops = v[11];
		n++;
	}
	fclose(f);
	return n;
}

/* CPU time of the whole system from /proc/stat (user+nice+system), ns. */
static uint64_t read_cpu_total_ns(void)
{
	unsigned long long u = 0, ni = 0, s = 0;
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/stat", "re");

	if (!f)
		return 0;
	if (fscanf(f, "cpu %llu %llu %llu", &u, &ni, &s) != 3)
		u = ni = s = 0;
	fclose(f);
	return (u + ni + s) * (1000000000ull / (uint64_t)(hz > 0 ? hz : 100));
}

static void fill_memory(Org__Lfedge__Eve__Metrics__MemoryMetric *mem,
			Org__Lfedge__Eve__Metrics__DeviceMemoryMetric *dmem)
{
	struct sysinfo si;
	uint64_t total, avail;

	if (sysinfo(&si) < 0)
		return;
	total = (uint64_t)si.totalram * si.mem_unit >> 20;
	avail = (uint64_t)(si.freeram + si.bufferram) * si.mem_unit >> 20;
	mem->usedmem = (uint32_t)(total - avail);
	mem->availmem = (uint32_t)avail;
	if (total) {
		mem->usedpercentage = 100.0 * (double)(total - avail) / (double)total;
		mem->availpercentage = 100.0 - mem->usedpercentage;
	}
	dmem->memorymb = (uint32_t)total;
}

int report_metrics_device(const char *dev_uuid, const char *state_dir, const struct report_metrics_hooks *h,
			  uint8_t **out, size_t *len)
{
	Org__Lfedge__Eve__Metrics__ZMetricMsg m = ORG__LFEDGE__EVE__METRICS__ZMETRIC_MSG__INIT;
	Org__Lfedge__Eve__Metrics__DeviceMetric dm = ORG__LFEDGE__EVE__METRICS__DEVICE_METRIC__INIT;
	Org__Lfedge__Eve__Metrics__MemoryMetric mem = ORG__LFEDGE__EVE__METRICS__MEMORY_METRIC__INIT;
	Org__Lfedge__Eve__Metrics__DeviceMemoryMetric dmem =
	    ORG__LFEDGE__EVE__METRICS__DEVICE_MEMORY_METRIC__INIT;
	Org__Lfedge__Eve__Metrics__AppCpuMetric cpu = ORG__LFEDGE__EVE__METRICS__APP_CPU_METRIC__INIT;
	Org__Lfedge__Eve__Metrics__DiskMetric disk = ORG__LFEDGE__EVE__METRICS__DISK_METRIC__INIT,
					      *diskp = &disk;
	Org__Lfedge__Eve__Metrics__NetworkMetric *netp[MAX_NETS];
	Google__Protobuf__Timestamp now = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	struct netstat ns[MAX_NETS];
	struct statvfs vfs;
	size_t n_net;
	int r = 0;

	fill_memory(&mem, &dmem);
	dm.memory = &mem;
	dm.devicememory = &dmem;
	cpu.total_ns = read_cpu_total_ns();
	cpu.total = cpu.total_ns / 1000000000u;
	dm.cpumetric = &cpu;
	n_net = read_netdev(ns);
	for (size_t i = 0; i < n_net; i++)
		netp[i] = &ns[i].m;
	dm.network = netp;
	dm.n_network = n_net;
	if (statvfs(state_dir, &vfs) == 0) {
		disk.mountpath = (char *)state_dir;
		disk.disk = (char *)"persist";
		disk.total = (uint64_t)vfs.f_blocks * vfs.f_frsize >> 20;
		disk.free = (uint64_t)vfs.f_bavail * vfs.f_frsize >> 20;
		disk.used = disk.total - ((uint64_t)vfs.f_bfree * vfs.f_frsize >> 20);
		dm.disk = &diskp;
		dm.n_disk = 1;
	}
	m.devid = (char *)(dev_uuid ? dev_uuid : "");
	now.seconds = time(NULL);
	m.attimestamp = &now;
	m.metric_content_case = ORG__LFEDGE__EVE__METRICS__ZMETRIC_MSG__METRIC_CONTENT_DM;
	m.dm = &dm;
	if (h && h->fill && h->fill(h->ctx, &m) < 0)
		m.n_am = 0; /* app metrics are best effort */
	r = pbpack(&m.base, 0, out, len);
	if (h && h->release)
		h->release(h->ctx, &m);
	return r;
}
