// SPDX-License-Identifier: Apache-2.0
/* Fleet telemetry exposition: one family buffer per metric name (the
 * format wants each family contiguous), filled device by device. */
#include "fleetexp.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apps_store.h"
#include "ctl.h"
#include "store.h"
#include "devcache.h"
#include "devices_store.h"
#include "metrics/metrics.pb-c.h"
#include "prom.h"
#include "reports.h"

#define FAMILY_CAP (256u << 20)
#define LABEL_MAX 128
#define MIB 1048576.0

enum fam {
	F_ONLINE,
	F_SEEN,
	F_MTIME,
	F_CPU,
	F_MEM_USED,
	F_MEM_AVAIL,
	F_MEM_RATIO,
	F_DISK_TOTAL,
	F_DISK_USED,
	F_DISK_FREE,
	F_NET_RX,
	F_NET_TX,
	F_NET_RXERR,
	F_NET_TXERR,
	F_NET_RXDROP,
	F_NET_TXDROP,
	F_APP_STATE,
	F_APP_RUNNING,
	F_APP_CPU,
	F_APP_MEM_USED,
	F_APP_MEM_ALLOC,
	F_APP_MEM_RATIO,
	F_N
};

static const struct {
	const char *name;
	enum prom_type type;
	const char *help;
} fams[F_N] = {
    [F_ONLINE] = {"eve_device_online", PROM_GAUGE,
		  "1 when the device was seen within metrics.offline_after."},
    [F_SEEN] = {"eve_device_last_seen_timestamp_seconds", PROM_GAUGE, "Last signed request of the device."},
    [F_MTIME] = {"eve_device_metrics_timestamp_seconds", PROM_GAUGE, "Time of the latest metrics report."},
    [F_CPU] = {"eve_device_cpu_seconds_total", PROM_COUNTER, "CPU time used by the device."},
    [F_MEM_USED] = {"eve_device_memory_used_bytes", PROM_GAUGE, "Memory in use on the device."},
    [F_MEM_AVAIL] = {"eve_device_memory_available_bytes", PROM_GAUGE, "Memory available on the device."},
    [F_MEM_RATIO] = {"eve_device_memory_used_ratio", PROM_GAUGE, "Used memory as a fraction of the total."},
    [F_DISK_TOTAL] = {"eve_device_disk_total_bytes", PROM_GAUGE, "Size of a device file system."},
    [F_DISK_USED] = {"eve_device_disk_used_bytes", PROM_GAUGE, "Used space of a device file system."},
    [F_DISK_FREE] = {"eve_device_disk_free_bytes", PROM_GAUGE, "Free space of a device file system."},
    [F_NET_RX] = {"eve_device_network_receive_bytes_total", PROM_COUNTER, "Bytes received per interface."},
    [F_NET_TX] = {"eve_device_network_transmit_bytes_total", PROM_COUNTER, "Bytes sent per interface."},
    [F_NET_RXERR] = {"eve_device_network_receive_errors_total", PROM_COUNTER,
		     "Receive errors per interface."},
    [F_NET_TXERR] = {"eve_device_network_transmit_errors_total", PROM_COUNTER, "Send errors per interface."},
    [F_NET_RXDROP] = {"eve_device_network_receive_drops_total", PROM_COUNTER, "Receive drops per interface."},
    [F_NET_TXDROP] = {"eve_device_network_transmit_drops_total", PROM_COUNTER, "Send drops per interface."},
    [F_APP_STATE] = {"eve_app_state", PROM_GAUGE, "1 for the state an app instance last reported."},
    [F_APP_RUNNING] = {"eve_app_running", PROM_GAUGE, "1 when the app instance reports RUNNING."},
    [F_APP_CPU] = {"eve_app_cpu_seconds_total", PROM_COUNTER, "CPU time used by the app instance."},
    [F_APP_MEM_USED] = {"eve_app_memory_used_bytes", PROM_GAUGE, "Memory used by the app instance."},
    [F_APP_MEM_ALLOC] = {"eve_app_memory_allocated_bytes", PROM_GAUGE,
			 "Memory allocated to the app instance."},
    [F_APP_MEM_RATIO] = {"eve_app_memory_used_ratio", PROM_GAUGE, "Used memory as a fraction of allocated."},
};

struct fleet {
	struct ctl *c;
	struct store *d;
	struct buf fam[F_N];
	int64_t now;
	int r;
	/* labels of the device being written */
	char device[LABEL_MAX], project[LABEL_MAX];
};

/* Copy at most LABEL_MAX-1 bytes: labels stay bounded whatever was sent. */
static void label_copy(char out[LABEL_MAX], const char *s)
{
	snprintf(out, LABEL_MAX, "%s", s ? s : "");
}

static void put(struct fleet *f, enum fam i, const char *const *labels, double v)
{
	if (f->r == 0)
		f->r = prom_sample(&f->fam[i], fams[i].name, labels, v);
}

static void put_dev(struct fleet *f, enum fam i, double v)
{
	const char *l[] = {"device", f->device, "project", f->project, NULL};
	put(f, i, l, v);
}

static void put_dev1(struct fleet *f, enum fam i, const char *k, const char *val, double v)
{
	char b[LABEL_MAX];
	label_copy(b, val);
	const char *l[] = {"device", f->device, "project", f->project, k, b, NULL};
	put(f, i, l, v);
}

static void put_net(struct fleet *f, const Org__Lfedge__Eve__Metrics__NetworkMetric *n)
{
	const char *ifn = n->iname && *n->iname ? n->iname : n->localname;
	put_dev1(f, F_NET_RX, "interface", ifn, (double)n->rxbytes);
	put_dev1(f, F_NET_TX, "interface", ifn, (double)n->txbytes);
	put_dev1(f, F_NET_RXERR, "interface", ifn, (double)n->rxerrors);
	put_dev1(f, F_NET_TXERR, "interface", ifn, (double)n->txerrors);
	put_dev1(f, F_NET_RXDROP, "interface", ifn, (double)n->rxdrops);
	put_dev1(f, F_NET_TXDROP, "interface", ifn, (double)n->txdrops);
}

static double cpu_seconds(const Org__Lfedge__Eve__Metrics__AppCpuMetric *c)
{
	return c->total_ns ? (double)c->total_ns / 1e9 : (double)c->total;
}

static void put_device_metric(struct fleet *f, const Org__Lfedge__Eve__Metrics__DeviceMetric *dm)
{
	if (dm->cpumetric)
		put_dev(f, F_CPU, cpu_seconds(dm->cpumetric));
	if (dm->memory) {
		const Org__Lfedge__Eve__Metrics__MemoryMetric *m = dm->memory;
		put_dev(f, F_MEM_USED, m->usedmem * MIB);
		put_dev(f, F_MEM_AVAIL, m->availmem * MIB);
		double total = (double)m->usedmem + (double)m->availmem;
		put_dev(f, F_MEM_RATIO,
			m->usedpercentage > 0 ? m->usedpercentage / 100.0
			: total > 0           ? m->usedmem / total
					      : 0);
	}
	for (size_t i = 0; i < dm->n_disk && i < 64; i++) {
		const Org__Lfedge__Eve__Metrics__DiskMetric *d = dm->disk[i];
		const char *mnt = d->mountpath && *d->mountpath ? d->mountpath : d->disk;
		put_dev1(f, F_DISK_TOTAL, "mount", mnt, d->total * MIB);
		put_dev1(f, F_DISK_USED, "mount", mnt, d->used * MIB);
		put_dev1(f, F_DISK_FREE, "mount", mnt, d->free * MIB);
	}
	for (size_t i = 0; i < dm->n_network && i < 64; i++)
		put_net(f, dm->network[i]);
}

/* The controller's name of an app instance (or the reported one). */
static void app_name(struct fleet *f, const char *instance, const char *reported, char out[LABEL_MAX])
{
	label_copy(out, reported);
	if (instance)
		(void)apps_store_instance_app_name(f->d, instance, out, LABEL_MAX); /* else: as reported */
}

static void put_app_metric(struct fleet *f, const Org__Lfedge__Eve__Metrics__AppMetric *am)
{
	char app[LABEL_MAX];
	app_name(f, am->appid, am->appname, app);
	const char *l[] = {"device", f->device, "project", f->project, "app", app, NULL};
	if (am->cpu)
		put(f, F_APP_CPU, l, cpu_seconds(am->cpu));
	double used = -1, alloc = -1;
	if (am->appmemory) {
		used = am->appmemory->usedmb * MIB;
		alloc = am->appmemory->allocatedmb * MIB;
	} else if (am->memory) {
		used = am->memory->usedmem * MIB;
		alloc = (am->memory->usedmem + am->memory->availmem) * MIB;
	}
	if (used >= 0)
		put(f, F_APP_MEM_USED, l, used);
	if (alloc > 0) {
		put(f, F_APP_MEM_ALLOC, l, alloc);
		put(f, F_APP_MEM_RATIO, l, used / alloc);
	}
}

static int put_metrics(void *ctx, const struct reports_row *row)
{
	struct fleet *f = ctx;
	Org__Lfedge__Eve__Metrics__ZMetricMsg *m =
	    org__lfedge__eve__metrics__zmetric_msg__unpack(NULL, row->len, row->data);
	if (!m)
		return 0;
	put_dev(f, F_MTIME, (double)row->time);
	if (m->metric_content_case == ORG__LFEDGE__EVE__METRICS__ZMETRIC_MSG__METRIC_CONTENT_DM && m->dm)
		put_device_metric(f, m->dm);
	for (size_t i = 0; i < m->n_am && i < 256; i++)
		put_app_metric(f, m->am[i]);
	org__lfedge__eve__metrics__zmetric_msg__free_unpacked(m, NULL);
	return 0;
}

static int put_app_state(void *ctx, const char *name, const char *st)
{
	struct fleet *f = ctx;
	char app[LABEL_MAX], state[LABEL_MAX];
	label_copy(app, name);
	label_copy(state, st);
	const char *l[] = {"device", f->device, "project", f->project, "app", app, "state", state, NULL};
	put(f, F_APP_STATE, l, 1);
	const char *l2[] = {"device", f->device, "project", f->project, "app", app, NULL};
	put(f, F_APP_RUNNING, l2, strcmp(state, "RUNNING") == 0);
	return f->r;
}

static void project_of(const char *labels_json, char out[LABEL_MAX])
{
	json_t *o = json_loads(labels_json, 0, NULL);
	label_copy(out, json_string_value(json_object_get(o, "project")));
	json_decref(o);
}

static int put_device(void *ctx, const struct devices_store_row *row)
{
	struct fleet *f = ctx;
	label_copy(f->device, row->name);
	project_of(row->labels, f->project);
	int64_t seen = devcache_last_seen(f->c->cache, row->id);
	if (seen < row->last_seen)
		seen = row->last_seen;
	put_dev(f, F_ONLINE, seen > 0 && f->now - seen <= f->c->conf.offline_after);
	if (seen > 0)
		put_dev(f, F_SEEN, (double)seen);
	/* the latest metrics record; (void): a store error leaves this device's
	 * samples out, as before */
	(void)reports_each_metrics(f->d, row->id, INT64_MAX, 0, 1, put_metrics, f);
	(void)apps_store_each_state_on_device(f->d, row->id, put_app_state, f);
	return f->r;
}

int fleetexp_write(struct ctl *c, struct buf *out)
{
	struct fleet f = {.c = c, .now = (int64_t)time(NULL)};
	for (int i = 0; i < F_N; i++)
		buf_init(&f.fam[i], FAMILY_CAP);
	f.d = store_get(c->db);
	int e = devices_store_each(f.d, c->conf.fleet_max_devices, put_device, &f);
	if (f.r == 0)
		f.r = e;
	store_put(c->db, f.d);
	for (int i = 0; i < F_N && f.r == 0; i++) {
		if (!f.fam[i].len)
			continue;
		f.r = prom_header(out, fams[i].name, fams[i].type, fams[i].help);
		if (f.r == 0)
			f.r = buf_append(out, f.fam[i].data, f.fam[i].len);
	}
	for (int i = 0; i < F_N; i++)
		buf_free(&f.fam[i]);
	return f.r;
}
