// SPDX-License-Identifier: Apache-2.0
/* top [DEVICE]: CPU %, memory, disk and network of devices and their apps,
 * from the two newest metrics records each device sent (rates are the
 * difference between them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "evectl.h"
#include "units.h"

#define MIB (1024.0 * 1024.0)

/* Two samples of one device: newest (cur) and the one before (prev, may be
 * NULL), with their times in seconds. */
struct samples {
	const json_t *cur, *prev;
	double dt;
};

static double num(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	if (json_is_string(v)) /* 64-bit integers may come as strings */
		return strtod(json_string_value(v), NULL);
	return json_number_value(v);
}

static double cpu_ns(const json_t *cpu)
{
	double ns = num(cpu, "total_ns");

	return ns > 0 ? ns : num(cpu, "total") * 1e9;
}

/* The interface named n in a metrics network list, or NULL. */
static const json_t *net_find(const json_t *nets, const char *n)
{
	const json_t *e;
	size_t i;

	json_array_foreach(nets, i, e)
	{
		const char *en = json_string_value(json_object_get(e, "iName"));

		if (en && strcmp(en, n) == 0)
			return e;
	}
	return NULL;
}

/* Bytes per second of rx or tx (key) between two samples, summed over the
 * interfaces present in both (lo left out). Interfaces come and go (app
 * vifs, other tenants' bridges), so a plain sum can shrink: only each
 * interface's own growth counts, and one whose counter went back (reset)
 * is left out. JSON null when no interface is in both or dt is not > 0. */
static json_t *net_rate(const json_t *nets, const json_t *prev_nets, const char *key, double dt)
{
	const json_t *e;
	double sum = 0;
	int matched = 0;
	size_t i;

	json_array_foreach(nets, i, e)
	{
		const char *n = json_string_value(json_object_get(e, "iName"));
		const json_t *p = n && strcmp(n, "lo") != 0 ? net_find(prev_nets, n) : NULL;

		if (p && num(e, key) >= num(p, key)) {
			sum += num(e, key) - num(p, key);
			matched = 1;
		}
	}
	return matched && dt > 0 ? json_real(sum / dt) : json_null();
}

/* The app's record (by AppID) in a metrics record, or NULL. */
static const json_t *app_in(const json_t *metrics, const char *id)
{
	const json_t *e;
	size_t i;

	json_array_foreach(json_object_get(metrics, "am"), i, e)
	{
		const char *aid = json_string_value(json_object_get(e, "AppID"));

		if (aid && id && strcmp(aid, id) == 0)
			return e;
	}
	return NULL;
}

static json_t *device_row(const char *name, const struct samples *s, double ncpu)
{
	const json_t *dm = json_object_get(json_object_get(s->cur, "metrics"), "dm");
	const json_t *pdm = json_object_get(json_object_get(s->prev, "metrics"), "dm");
	const json_t *mem = json_object_get(dm, "memory"),
		     *disk = json_array_get(json_object_get(dm, "disk"), 0);
	json_t *row =
	    json_pack("{s:s, s:f, s:f, s:f, s:f}", "device", name, "memory_used_mb", num(mem, "usedMem"),
		      "memory_total_mb", num(mem, "usedMem") + num(mem, "availMem"), "disk_used_mb",
		      num(disk, "used"), "disk_total_mb", num(disk, "total"));
	json_t *cpu = json_null();

	if (pdm && s->dt > 0) {
		double d =
		    cpu_ns(json_object_get(dm, "cpuMetric")) - cpu_ns(json_object_get(pdm, "cpuMetric"));

		cpu = d >= 0 ? json_real(100.0 * d / 1e9 / s->dt / (ncpu > 0 ? ncpu : 1)) : json_null();
	}
	json_object_set_new(row, "cpu_percent", cpu);
	json_object_set_new(
	    row, "net_rx_bps",
	    net_rate(json_object_get(dm, "network"), json_object_get(pdm, "network"), "rxBytes", s->dt));
	json_object_set_new(
	    row, "net_tx_bps",
	    net_rate(json_object_get(dm, "network"), json_object_get(pdm, "network"), "txBytes", s->dt));
	return row;
}

static json_t *app_row(const char *dev, const json_t *am, const json_t *pam, double dt)
{
	const json_t *amem = json_object_get(am, "appMemory"), *mem = json_object_get(am, "memory");
	const json_t *disk = json_array_get(json_object_get(am, "disk"), 0);
	double used = json_object_get(amem, "usedMB") ? num(amem, "usedMB") : num(mem, "usedMem");
	json_t *row = json_pack("{s:s, s:s, s:f, s:f, s:f}", "app",
				json_string_value(json_object_get(am, "AppName")) ?: "?", "device", dev,
				"memory_used_mb", used, "memory_limit_mb", num(amem, "allocatedMB"),
				"disk_io_mb", num(disk, "used"));
	json_t *cpu = json_null();

	if (pam && dt > 0) {
		double d = cpu_ns(json_object_get(am, "cpu")) - cpu_ns(json_object_get(pam, "cpu"));

		cpu = d >= 0 ? json_real(100.0 * d / 1e9 / dt) : json_null();
	}
	json_object_set_new(row, "cpu_percent", cpu);
	json_object_set_new(
	    row, "net_rx_bps",
	    net_rate(json_object_get(am, "network"), json_object_get(pam, "network"), "rxBytes", dt));
	json_object_set_new(
	    row, "net_tx_bps",
	    net_rate(json_object_get(am, "network"), json_object_get(pam, "network"), "txBytes", dt));
	return row;
}

static double item_time(const json_t *item)
{
	time_t t = 0;

	if (units_parse_time(json_string_value(json_object_get(item, "time")) ?: "", &t) < 0)
		return 0;
	return (double)t;
}

/* One device: its row and its apps' rows appended to devs / apps. */
static int top_device(struct cmd_args *a, const json_t *dev, json_t *devs, json_t *apps)
{
	const char *id = json_string_value(json_object_get(dev, "id"));
	const char *name = json_string_value(json_object_get(dev, "name")) ?: "?";
	char *path = ev_path("/devices/%s/metrics?limit=2", id ? id : "");
	json_t *resp = NULL, *full = NULL, *am;
	struct samples s = {0};
	size_t i;
	int code = ev_request(a, "GET", path, NULL, &resp);

	free(path);
	if (code)
		return code;
	s.cur = json_array_get(json_object_get(resp, "items"), 0);
	s.prev = json_array_get(json_object_get(resp, "items"), 1);
	if (s.prev)
		s.dt = item_time(s.cur) - item_time(s.prev);
	if (!s.cur) {
		json_array_append_new(devs, json_pack("{s:s, s:n}", "device", name, "cpu_percent"));
		goto out;
	}
	path = ev_path("/devices/%s", id);
	code = ev_request(a, "GET", path, NULL, &full);
	free(path);
	if (code)
		goto out;
	json_array_append_new(devs, device_row(name, &s, num(json_object_get(full, "info"), "ncpu")));
	json_array_foreach(json_object_get(json_object_get(s.cur, "metrics"), "am"), i, am)
	{
		const json_t *pam = app_in(json_object_get(s.prev, "metrics"),
					   json_string_value(json_object_get(am, "AppID")));

		json_array_append_new(apps, app_row(name, am, pam, s.dt));
	}
out:
	json_decref(resp);
	json_decref(full);
	return code;
}

static void fmt_pct(const json_t *o, const char *key, char *buf, size_t n)
{
	const json_t *v = json_object_get(o, key);

	if (json_is_number(v))
		snprintf(buf, n, "%.1f%%", json_number_value(v));
	else
		snprintf(buf, n, "-");
}

static void fmt_mib(const json_t *o, const char *key, char *buf, size_t n)
{
	const json_t *v = json_object_get(o, key);

	if (json_is_number(v))
		units_format_size((uint64_t)(json_number_value(v) * MIB), buf, n);
	else
		snprintf(buf, n, "-");
}

static void fmt_used_of(const json_t *o, const char *used, const char *total, char *buf, size_t n)
{
	char u[16], t[16];

	fmt_mib(o, used, u, sizeof(u));
	fmt_mib(o, total, t, sizeof(t));
	if (json_number_value(json_object_get(o, total)) > 0)
		snprintf(buf, n, "%s/%s", u, t);
	else
		snprintf(buf, n, "%s", u);
}

static void fmt_dev_mem(const json_t *o, const char *key, char *buf, size_t n)
{
	fmt_used_of(o, "memory_used_mb", "memory_total_mb", buf, n);
}

static void fmt_dev_disk(const json_t *o, const char *key, char *buf, size_t n)
{
	fmt_used_of(o, "disk_used_mb", "disk_total_mb", buf, n);
}

static void fmt_app_mem(const json_t *o, const char *key, char *buf, size_t n)
{
	fmt_used_of(o, "memory_used_mb", "memory_limit_mb", buf, n);
}

static void fmt_bps(const json_t *o, const char *key, char *buf, size_t n)
{
	const json_t *v = json_object_get(o, key);
	char sz[16];

	if (!json_is_number(v)) {
		snprintf(buf, n, "-");
		return;
	}
	units_format_size((uint64_t)json_number_value(v), sz, sizeof(sz));
	snprintf(buf, n, "%s/s", sz);
}

static const struct out_col dev_cols[] = {
    {"DEVICE", "device"},
    {"CPU%", "cpu_percent", fmt_pct},
    {"MEMORY", "memory", fmt_dev_mem},
    {"DISK", "disk", fmt_dev_disk},
    {"NET-RX", "net_rx_bps", fmt_bps},
    {"NET-TX", "net_tx_bps", fmt_bps},
    {NULL},
};

static const struct out_col app_cols[] = {
    {"APP", "app"},
    {"DEVICE", "device"},
    {"CPU%", "cpu_percent", fmt_pct},
    {"MEMORY", "memory", fmt_app_mem},
    {"DISK-IO", "disk_io_mb", fmt_mib},
    {"NET-RX", "net_rx_bps", fmt_bps},
    {"NET-TX", "net_tx_bps", fmt_bps},
    {NULL},
};

int cmd_top(struct cmd_args *a)
{
	json_t *list = NULL, *devs = json_array(), *apps = json_array(), *e, *out;
	char *path = NULL;
	size_t i;
	int code;

	if (a->npos) {
		path = ev_path("/devices/%s", a->pos[0]);
		code = ev_request(a, "GET", path, NULL, &e);
		if (code == EXIT_OK)
			list = json_pack("{s:[o]}", "items", e);
	} else {
		code = ev_list(a, "/devices", &list);
	}
	json_array_foreach(json_object_get(list, "items"), i, e)
	{
		if (code == EXIT_OK)
			code = top_device(a, e, devs, apps);
	}
	if (code == EXIT_OK) {
		out = json_pack("{s:O, s:O}", "devices", devs, "apps", apps);
		if (ev_mode(a) == OUT_JSON) {
			out_json(stdout, out);
		} else {
			out_table(stdout, dev_cols, devs, ev_mode(a), "device");
			if (json_array_size(apps) && ev_mode(a) != OUT_QUIET) {
				putchar('\n');
				out_table(stdout, app_cols, apps, ev_mode(a), "app");
			}
		}
		json_decref(out);
	}
	free(path);
	json_decref(list);
	json_decref(devs);
	json_decref(apps);
	return code;
}
