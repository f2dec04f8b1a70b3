// SPDX-License-Identifier: Apache-2.0
/* device add|list|get|delete|rename|label|reboot|config|update-os|info|
 * metrics|logs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "commands.h"
#include "configprops.h"
#include "err.h"
#include "evectl.h"
#include "fileio.h"
#include "manifest.h"
#include "units.h"

#define CERT_MAX_BYTES (64 * 1024)

static void fmt_apps(const json_t *o, const char *key, char *buf, size_t n)
{
	snprintf(buf, n, "%lld/%lld", (long long)json_integer_value(json_object_get(o, "apps_running")),
		 (long long)json_integer_value(json_object_get(o, "apps_total")));
}

static const struct out_col device_cols[] = {
    {"NAME", "name"},
    {"STATE", "state"},
    {"LAST-SEEN", "last_seen", out_fmt_age},
    {"APPS", "apps", fmt_apps},
    {"OS", "os_version"},
    {"ID", "id", NULL, true},
    {"SERIAL", "serial", NULL, true},
    {"LABELS", "labels", NULL, true},
    {"CONFIG", "config_version", NULL, true},
    {"PROJECT", "project", NULL, true},
    {NULL},
};

static const struct out_col device_app_cols[] = {
    /* instances carry "app" (name) in the controller; "name" as a fallback */
    {"APP", "app"},     {"STATE", "state"}, {"IPS", "ips"}, {"SIGNATURE", "download", app_fmt_signature},
    {"ERROR", "error"}, {"INSTANCE", "id"}, {NULL},
};

/* A partition's swErr of severity NOTICE / WARNING is the publisher
 * signature of its image (verified / not), not an error. */
static bool sw_is_signature(const json_t *e)
{
	const char *s = json_string_value(json_object_get(e, "severity"));

	return s && (!strcmp(s, "SEVERITY_NOTICE") || !strcmp(s, "SEVERITY_WARNING"));
}

/* The error of a base OS partition is an ErrorInfo object: show its text. */
static void fmt_sw_error(const json_t *o, const char *key, char *buf, size_t n)
{
	const json_t *e = json_object_get(o, key);
	const char *d = json_string_value(json_object_get(e, "description"));

	snprintf(buf, n, "%s", d && *d && !sw_is_signature(e) ? d : "-");
}

/* ... and its signature: the signer, or UNVERIFIED and why. */
static void fmt_sw_signature(const json_t *o, const char *key, char *buf, size_t n)
{
	const json_t *e = json_object_get(o, key);
	const char *d = json_string_value(json_object_get(e, "description"));
	const char *s = json_string_value(json_object_get(e, "severity"));

	if (!d || !*d || !sw_is_signature(e))
		snprintf(buf, n, "-");
	else
		snprintf(buf, n, "%s%s", strcmp(s, "SEVERITY_NOTICE") ? "UNVERIFIED: " : "", d);
}

/* The A/B partitions from the latest device info (ZInfoDevSW). */
static const struct out_col device_sw_cols[] = {
    {"PARTITION", "partitionLabel"},  {"STATE", "partitionState"},
    {"VERSION", "shortVersion"},      {"ACTIVE", "activated"},
    {"UPDATE", "userStatus"},         {"SIGNATURE", "swErr", fmt_sw_signature},
    {"ERROR", "swErr", fmt_sw_error}, {NULL},
};

/* --label k=v options (repeatable) into a JSON object; NULL if none given. */
static int labels_json(const struct cmd_args *a, json_t **out)
{
	const struct cmd_val *v = cmdtab_val(a, "label");
	json_t *o = json_object();
	size_t i;

	for (i = 0; o && v && i < v->nlist; i++) {
		if (manifest_kv(o, v->list[i]) < 0) {
			json_decref(o);
			return ev_usage("--label: '%s' is not KEY=VALUE", v->list[i]);
		}
	}
	*out = o;
	return o ? EXIT_OK : ev_fail(EXIT_USAGE, "out of memory");
}

int cmd_device_add(struct cmd_args *a)
{
	const char *file = cmdtab_str(a, "cert");
	uint8_t *pem = NULL;
	size_t len = 0;
	json_t *labels = NULL, *body = NULL, *resp = NULL;
	int code, r;

	r = fileio_read(file, CERT_MAX_BYTES, &pem, &len);
	if (r < 0)
		return ev_usage("--cert %s: %s", file, r == -EVE_ETOOBIG ? "file too large" : strerror(-r));
	code = labels_json(a, &labels);
	if (code)
		goto out;
	body = json_pack("{s:s, s:s%, s:s, s:O}", "name", a->pos[0], "cert", (const char *)pem, len, "serial",
			 cmdtab_str(a, "serial"), "labels", labels);
	if (cmdtab_str(a, "project"))
		json_object_set_new(body, "project", json_string(cmdtab_str(a, "project")));
	code = ev_request(a, "POST", "/devices", body, &resp);
	if (code == EXIT_OK)
		ev_print_object(a, device_cols, resp, "id");
out:
	free(pem);
	json_decref(labels);
	json_decref(body);
	json_decref(resp);
	return code;
}

int cmd_device_list(struct cmd_args *a)
{
	const char *label = cmdtab_str(a, "label");
	char *path = label ? ev_path("/devices?label=%s", label) : strdup("/devices");
	json_t *resp = NULL;
	int code;

	if (label && !strchr(label, '='))
		code = ev_usage("--label: '%s' is not KEY=VALUE", label);
	else
		code = ev_list(a, path, &resp);
	if (code == EXIT_OK)
		ev_print_list(a, device_cols, resp, "id");
	free(path);
	json_decref(resp);
	return code;
}

/* Requested vs running base OS and the device's word on the update. */
static void print_os_update(const json_t *u)
{
	const char *req = json_string_value(json_object_get(u, "requested_version"));
	const char *img = json_string_value(json_object_get(u, "requested_image"));
	const char *st = json_string_value(json_object_get(u, "state"));
	const char *err = json_string_value(json_object_get(u, "error"));
	const char *sub = json_string_value(json_object_get(u, "substatus"));
	const json_t *sig;

	if (!u)
		return;
	printf("OS_RUNNING  %s\n", json_string_value(json_object_get(u, "running_version")) ?: "-");
	if (img)
		printf("OS_REQUESTED  %s (image %s)\n", req && *req ? req : "-", img);
	if (img || (st && strcmp(st, "NONE")))
		printf("OS_UPDATE  %s\n", st ? st : "-");
	if (err)
		printf("OS_UPDATE_ERROR  %s\n", err);
	if (sub)
		printf("OS_UPDATE_NOTE  %s\n", sub);
	sig = json_object_get(u, "signature");
	if (json_string_value(json_object_get(sig, "detail")))
		printf("OS_SIGNATURE  %s%s\n",
		       json_is_true(json_object_get(sig, "verified")) ? "" : "UNVERIFIED: ",
		       json_string_value(json_object_get(sig, "detail")));
}

/* --- management ports (ZInfoDevice.systemAdapter) --- */

/* A google.protobuf.Timestamp ({"seconds": N}) as a UTC time. */
static void fmt_port_time(const json_t *o, const char *key, char *buf, size_t n)
{
	const json_t *t = json_object_get(o, key);
	const json_t *sec = json_object_get(t, "seconds");
	time_t v = json_is_integer(sec)  ? (time_t)json_integer_value(sec)
		   : json_is_string(sec) ? (time_t)strtoll(json_string_value(sec), NULL, 10)
					 : 0;
	struct tm tm;

	if (!v || !gmtime_r(&v, &tm))
		snprintf(buf, n, "-");
	else
		strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void fmt_port_mode(const json_t *o, const char *key, char *buf, size_t n)
{
	json_int_t v = json_integer_value(json_object_get(o, key));

	snprintf(buf, n, "%s", v == 1 ? "static" : v == 4 ? "dhcp" : "host");
}

/* proto3 leaves out zero numbers and false: show them. */
static void fmt_port_num(const json_t *o, const char *key, char *buf, size_t n)
{
	snprintf(buf, n, "%lld", (long long)json_integer_value(json_object_get(o, key)));
}

static void fmt_port_bool(const json_t *o, const char *key, char *buf, size_t n)
{
	snprintf(buf, n, "%s", json_is_true(json_object_get(o, key)) ? "yes" : "no");
}

static void fmt_port_failure(const json_t *o, const char *key, char *buf, size_t n)
{
	const json_t *e = json_object_get(o, key);
	const char *d = json_string_value(json_object_get(e, "description"));
	char when[32];

	if (!d || !*d) {
		snprintf(buf, n, "-");
		return;
	}
	fmt_port_time(e, "timestamp", when, sizeof(when));
	snprintf(buf, n, "%s: %s", when, d);
}

static const struct out_col device_port_cols[] = {
    {"PORT", "ifname"},
    {"LABEL", "name"},
    {"COST", "cost", fmt_port_num},
    {"ADDRESSING", "dhcpType", fmt_port_mode},
    {"ADDRESS", "IPAddrs"},
    {"UP", "up", fmt_port_bool},
    {"IN_USE", "inUse", fmt_port_bool},
    {"LAST_FAILURE", "err", fmt_port_failure},
    {NULL},
};

/* A port EVE would send over: up, without a failure. */
static bool port_works(const json_t *p)
{
	const json_t *err = json_object_get(p, "err");
	const char *d = json_string_value(json_object_get(err, "description"));

	return json_is_true(json_object_get(p, "up")) && (!d || !*d);
}

/* The ports with "inUse" added: EVE marks no port as the one in use; its
 * rule is that requests go over the cheapest working ports of the current
 * port config (status[currentIndex]), equal costs sharing the load. The
 * agent reports a failure (err) on every port it left, so the rule shows
 * the port(s) it uses. New reference. */
static json_t *ports_in_use(const json_t *ports)
{
	json_t *out = json_deep_copy(ports), *p;
	json_int_t best = -1;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i < json_array_size(out); i++) {
		json_int_t c = json_integer_value(json_object_get(json_array_get(out, i), "cost"));

		if (port_works(json_array_get(out, i)) && (best < 0 || c < best))
			best = c;
	}
	for (i = 0; i < json_array_size(out); i++) {
		bool in_use;

		p = json_array_get(out, i);
		in_use = port_works(p) && json_integer_value(json_object_get(p, "cost")) == best;
		json_object_set_new(p, "inUse", json_boolean(in_use));
	}
	return out;
}

/* The ports of the current port configuration, and the rolled-back one. */
static void print_ports(const json_t *info)
{
	const json_t *sa = json_object_get(info, "systemAdapter");
	const json_t *st = json_object_get(sa, "status");
	size_t ci = (size_t)json_integer_value(json_object_get(sa, "currentIndex"));
	const json_t *cur = json_array_get(st, ci), *rej = ci == 0 ? json_array_get(st, 1) : NULL;
	json_t *ports;
	const char *err;
	char ok[32];

	if (!json_array_size(json_object_get(cur, "ports")))
		return;
	fmt_port_time(cur, "lastSucceeded", ok, sizeof(ok));
	printf("PORTS_LAST_SUCCESS  %s\n", ok);
	putchar('\n');
	ports = ports_in_use(json_object_get(cur, "ports"));
	out_table(stdout, device_port_cols, ports ? ports : json_object_get(cur, "ports"), OUT_TABLE,
		  "ifname");
	json_decref(ports);
	if (!rej)
		return;
	err = json_string_value(json_object_get(rej, "lastError"));
	printf("PORTS_ROLLED_BACK  %s\n", err ? err : "-");
}

/* misc entry key of a HardwareInventory (a map: {key, value} objects). */
static const char *hw_misc(const json_t *inv, const char *key)
{
	const json_t *m = json_object_get(inv, "misc"), *e;
	size_t i;

	json_array_foreach(m, i, e) if (!strcmp(json_string_value(json_object_get(e, "key")) ?: "",
						key)) return json_string_value(json_object_get(e, "value"));
	return NULL;
}

/* One line from the hardware inventory (ZInfoHardware): CPUs with their
 * topology, memory, and the devices on each bus. */
static void print_hardware(const json_t *hw)
{
	const json_t *inv = json_object_get(hw, "inventory");
	const json_t *cpus = json_object_get(json_object_get(inv, "cpu_info"), "cpus");
	const char *model = json_string_value(json_object_get(json_array_get(cpus, 0), "model"));

	if (!json_array_size(cpus))
		return;
	printf("\nHARDWARE  %zu CPUs: %s sockets, %s cores%s%s; %lld MiB RAM; PCI %zu, USB %zu, serial %zu\n",
	       json_array_size(cpus), hw_misc(inv, "cpu.sockets") ?: "?", hw_misc(inv, "cpu.cores") ?: "?",
	       model && *model ? "; " : "", model && *model ? model : "",
	       (long long)(json_integer_value(json_object_get(inv, "total_memory_bytes")) >> 20),
	       json_array_size(json_object_get(inv, "pci_devices")),
	       json_array_size(json_object_get(inv, "usb_devices")),
	       json_array_size(json_object_get(inv, "serial_devices")));
}

int cmd_device_get(struct cmd_args *a)
{
	char *path = ev_path("/devices/%s", a->pos[0]);
	json_t *dev = NULL, *apps, *sw;
	int code = ev_request(a, "GET", path, NULL, &dev);

	free(path);
	if (code == EXIT_OK) {
		ev_print_object(a, device_cols, dev, "id");
		apps = json_object_get(dev, "apps");
		sw = json_object_get(json_object_get(dev, "info"), "swList");
		if (ev_mode(a) != OUT_JSON && ev_mode(a) != OUT_QUIET)
			print_os_update(json_object_get(dev, "os_update"));
		if (ev_mode(a) != OUT_JSON && ev_mode(a) != OUT_QUIET && json_array_size(sw)) {
			putchar('\n');
			out_table(stdout, device_sw_cols, sw, OUT_TABLE, "partitionLabel");
		}
		if (ev_mode(a) != OUT_JSON && ev_mode(a) != OUT_QUIET) {
			print_ports(json_object_get(dev, "info"));
			print_hardware(json_object_get(dev, "hardware"));
		}
		if (ev_mode(a) != OUT_JSON && ev_mode(a) != OUT_QUIET && json_array_size(apps)) {
			putchar('\n');
			out_table(stdout, device_app_cols, apps, OUT_TABLE, "id");
		}
	}
	json_decref(dev);
	return code;
}

int cmd_device_delete(struct cmd_args *a)
{
	char *path = cmdtab_flag(a, "force") ? ev_path("/devices/%s?force=true", a->pos[0])
					     : ev_path("/devices/%s", a->pos[0]);
	int code = ev_request(a, "DELETE", path, NULL, NULL);

	free(path);
	if (code == EXIT_OK)
		ev_done(a, NULL, "device/%s deleted", a->pos[0]);
	return code;
}

static int device_patch(struct cmd_args *a, json_t *body)
{
	char *path = ev_path("/devices/%s", a->pos[0]);
	json_t *resp = NULL;
	int code = ev_request(a, "PATCH", path, body, &resp);

	free(path);
	if (code == EXIT_OK)
		ev_print_object(a, device_cols, resp, "id");
	json_decref(resp);
	return code;
}

int cmd_device_rename(struct cmd_args *a)
{
	json_t *body = json_pack("{s:s}", "name", a->pos[1]);
	int code = device_patch(a, body);

	json_decref(body);
	return code;
}

/* Apply "k=v" (set) and "k-" (remove) edits to labels. */
static int labels_edit(json_t *labels, const char *const *edits, size_t n)
{
	size_t i, len;

	for (i = 0; i < n; i++) {
		len = strlen(edits[i]);
		if (len > 1 && edits[i][len - 1] == '-' && !strchr(edits[i], '=')) {
			char *k = strndup(edits[i], len - 1);

			json_object_del(labels, k);
			free(k);
		} else if (manifest_kv(labels, edits[i]) < 0) {
			return ev_usage("label: '%s' is neither KEY=VALUE nor KEY-", edits[i]);
		}
	}
	return EXIT_OK;
}

int cmd_device_label(struct cmd_args *a)
{
	char *path = ev_path("/devices/%s", a->pos[0]);
	json_t *dev = NULL, *labels, *body = NULL;
	int code = ev_request(a, "GET", path, NULL, &dev);

	free(path);
	if (code)
		return code;
	labels = json_deep_copy(json_object_get(dev, "labels"));
	if (!json_is_object(labels)) {
		json_decref(labels);
		labels = json_object();
	}
	code = labels_edit(labels, a->pos + 1, a->npos - 1);
	if (code == EXIT_OK) {
		body = json_pack("{s:O}", "labels", labels);
		code = device_patch(a, body);
	}
	json_decref(body);
	json_decref(labels);
	json_decref(dev);
	return code;
}

/* On a terminal, ask before rebooting (louder when the device is this
 * machine); --yes, or a non-terminal stdin, skips the question. */
static int reboot_confirm(struct cmd_args *a)
{
	char *path, host[256] = "", line[32];
	const char *dev_host;
	json_t *dev = NULL;
	int code;

	if (cmdtab_flag(a, "yes") || !isatty(STDIN_FILENO))
		return EXIT_OK;
	path = ev_path("/devices/%s", a->pos[0]);
	code = ev_request(a, "GET", path, NULL, &dev);
	free(path);
	if (code)
		return code;
	dev_host = json_string_value(json_object_get(json_object_get(dev, "info"), "HostName"));
	gethostname(host, sizeof(host) - 1);
	fprintf(stderr, "Reboot device %s (serial %s)%s? Its apps stop until it is back. [y/N] ",
		json_string_value(json_object_get(dev, "name")) ?: a->pos[0],
		json_string_value(json_object_get(dev, "serial")) ?: "?",
		dev_host && *host && strcmp(dev_host, host) == 0 ? " -- THIS IS THE MACHINE YOU ARE ON" : "");
	json_decref(dev);
	if (!fgets(line, sizeof(line), stdin) || (line[0] != 'y' && line[0] != 'Y'))
		return ev_fail(EXIT_USAGE, "device/%s: reboot not confirmed (use --yes in scripts)",
			       a->pos[0]);
	return EXIT_OK;
}

int cmd_device_reboot(struct cmd_args *a)
{
	char *path;
	json_t *resp = NULL;
	int code = reboot_confirm(a);

	if (code)
		return code;
	path = ev_path("/devices/%s/reboot", a->pos[0]);
	code = ev_request(a, "POST", path, NULL, &resp);

	free(path);
	if (code == EXIT_OK)
		ev_done(a, resp, "device/%s reboot requested", a->pos[0]);
	json_decref(resp);
	return code;
}

/* A KEY=VALUE for a property EVE defines must be of its type and range:
 * refused here before anything is sent. A name EVE does not define goes
 * with a warning. */
static int config_item_check(const char *kv)
{
	const char *eq = strchr(kv, '=');
	char name[CONFIGPROP_NAME_MAX + 1], why[256];
	const struct configprop *p;

	if (!eq || (size_t)(eq - kv) > CONFIGPROP_NAME_MAX)
		return EXIT_OK; /* manifest_kv / the server say why */
	snprintf(name, sizeof(name), "%.*s", (int)(eq - kv), kv);
	p = configprop_find(name);
	if (!p)
		return EXIT_OK; /* warned about once the server took it */
	if (configprop_check(p, eq + 1, why, sizeof(why)) < 0)
		return ev_fail(EXIT_REJECTED, "config set: %s: %s", name, why);
	return EXIT_OK;
}

/* "KEY=VALUE (default D, RANGE)" for each item just set. */
static void print_set_items(const json_t *items, const json_t *set)
{
	const char *k;
	json_t *v;
	char dom[64];

	json_object_foreach((json_t *)items, k, v)
	{
		const struct configprop *p = configprop_find(k);

		if (!json_object_get(set, k))
			continue;
		if (p)
			configprop_domain(p, dom, sizeof(dom));
		if (json_is_null(json_object_get(set, k)))
			printf("%s removed (default %s)\n", k, p ? p->def : "-");
		else if (p)
			printf("%s=%s (default %s, %s)\n", k, json_string_value(v), p->def, dom);
		else
			printf("%s=%s (not an EVE property)\n", k, json_string_value(v));
	}
	json_object_foreach((json_t *)set, k, v) if (json_is_null(v) && !json_object_get(items, k))
	{
		const struct configprop *p = configprop_find(k);

		printf("%s removed (default %s)\n", k, p ? p->def : "-");
	}
}

/* PUT fmt (with the device or project name of a->pos[0]) the KEY=VALUE
 * and KEY- arguments from a->pos[1]. */
static int config_items_set(struct cmd_args *a, const char *fmt)
{
	json_t *items = json_object(), *resp = NULL;
	char *path = NULL;
	size_t i;
	int code = EXIT_OK;

	for (i = 1; i < a->npos && code == EXIT_OK; i++) {
		size_t len = strlen(a->pos[i]);

		/* KEY- removes the item (null in the API) */
		if (len > 1 && a->pos[i][len - 1] == '-' && !strchr(a->pos[i], '=')) {
			char *k = strndup(a->pos[i], len - 1);

			json_object_set_new(items, k, json_null());
			free(k);
		} else if ((code = config_item_check(a->pos[i])) != EXIT_OK) {
			break;
		} else if (manifest_kv(items, a->pos[i]) < 0) {
			code = ev_usage("config set: '%s' is neither KEY=VALUE nor KEY-", a->pos[i]);
		}
	}
	if (code == EXIT_OK) {
		path = ev_path(fmt, a->pos[0]);
		code = ev_request(a, "PUT", path, items, &resp);
	}
	if (code == EXIT_OK) {
		const char *k;
		json_t *v;

		json_object_foreach(items, k, v) if (!json_is_null(v) && !configprop_find(k))
		    fprintf(stderr, "evectl: warning: %s is not a property EVE defines (sent anyway)\n", k);
		if (ev_mode(a) == OUT_JSON)
			out_json(stdout, resp);
		else if (ev_mode(a) != OUT_QUIET)
			print_set_items(json_object_get(resp, "items"), items);
	}
	free(path);
	json_decref(items);
	json_decref(resp);
	return code;
}

int cmd_device_config_set(struct cmd_args *a)
{
	return config_items_set(a, "/devices/%s/config-items");
}

int cmd_project_config_set(struct cmd_args *a)
{
	return config_items_set(a, "/projects/%s/config-items");
}

/* A project's properties: "KEY=VALUE (default D, RANGE)" lines. */
int cmd_project_config_get(struct cmd_args *a)
{
	char *path = ev_path("/projects/%s/config-items", a->pos[0]);
	json_t *resp = NULL, *items;
	int code = ev_request(a, "GET", path, NULL, &resp);

	free(path);
	if (code == EXIT_OK) {
		items = json_object_get(resp, "items");
		if (ev_mode(a) == OUT_JSON)
			out_json(stdout, resp);
		else if (ev_mode(a) != OUT_QUIET)
			print_set_items(items, items);
	}
	json_decref(resp);
	return code;
}

/* The properties of a device and their state (GET /devices/X/properties). */
int cmd_device_config_get(struct cmd_args *a)
{
	static const struct out_col cols[] = {
	    {"PROPERTY", "name"},
	    {"STATE", "state"},
	    {"VALUE", "value"},
	    {"DEFAULT", "default"},
	    {"RANGE", "range"},
	    {"ERROR", "error"},
	    {"CONFIGURED", "configured", NULL, true},
	    {"SOURCE", "source", NULL, true},
	    {"EVE-AGENT", "agent", NULL, true},
	    {"HELP", "help", NULL, true},
	    {NULL},
	};
	char *path = ev_path("/devices/%s/properties", a->pos[0]);
	json_t *resp = NULL;
	int code = ev_request(a, "GET", path, NULL, &resp);

	free(path);
	if (code == EXIT_OK) {
		ev_print_list(a, cols, resp, "name");
		if (ev_mode(a) == OUT_TABLE && !json_is_true(json_object_get(resp, "reported")))
			fprintf(stderr, "evectl: the device has not reported its properties yet\n");
	}
	json_decref(resp);
	return code;
}

int cmd_device_config_dump(struct cmd_args *a)
{
	char *path = ev_path("/devices/%s/config", a->pos[0]);
	json_t *resp = NULL;
	int code = ev_request(a, "GET", path, NULL, &resp);

	free(path);
	/* the config is a deep protobuf tree: JSON is its only readable form */
	if (code == EXIT_OK)
		out_json(stdout, resp);
	json_decref(resp);
	return code;
}

/* The id of the one device registered with this serial. */
static int device_by_serial(struct cmd_args *a, const char *serial, char **id)
{
	json_t *all = NULL, *d;
	size_t i, hits = 0;
	int code = ev_list(a, "/devices", &all);

	if (code != EXIT_OK)
		return code;
	json_array_foreach(json_object_get(all, "items"), i, d)
	{
		if (!strcmp(json_string_value(json_object_get(d, "serial")) ?: "", serial)) {
			free(*id);
			*id = strdup(json_string_value(json_object_get(d, "id")) ?: "");
			hits++;
		}
	}
	json_decref(all);
	if (hits != 1)
		return ev_fail(hits ? EXIT_REJECTED : EXIT_NOTFOUND,
			       "%s device has serial %s (evectl device add %s)",
			       hits ? "more than one" : "no", serial, "NAME --cert FILE --serial SERIAL");
	return *id ? EXIT_OK : ev_fail(EXIT_REJECTED, "out of memory");
}

int cmd_device_bootstrap_config(struct cmd_args *a)
{
	const char *serial = cmdtab_str(a, "serial"), *file = cmdtab_str(a, "out");
	char *id = NULL, *path = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	struct api *api;
	int code = EXIT_OK, r;

	if ((a->npos == 1) == (serial != NULL))
		return ev_usage("device bootstrap-config: give DEVICE or --serial SERIAL");
	if (serial)
		code = device_by_serial(a, serial, &id);
	if (code != EXIT_OK)
		goto out;
	path = ev_path("/devices/%s/bootstrap-config", id ? id : a->pos[0]);
	api = path ? ev_api(a, &code) : NULL;
	if (!api) {
		code = path ? code : ev_fail(EXIT_REJECTED, "out of memory");
		goto out;
	}
	r = api_get_bytes(api, path, &data, &len);
	if (r < 0) {
		code = ev_api_error(a, r);
		goto out;
	}
	/* 0644: signed, and meant to be copied onto an installer or a USB stick. */
	r = fileio_write_atomic(file, data, len, 0644);
	if (r < 0) {
		code = ev_fail(EXIT_REJECTED, "%s: %s", file, eve_strerror(r));
		goto out;
	}
	ev_done(a, NULL,
		"%s: bootstrap config for %s (%zu bytes): put it in the device's config directory as "
		"bootstrap-config.pb, or on a filesystem labelled EVE-CONFIG",
		file, serial ? serial : a->pos[0], len);
out:
	free(data);
	free(path);
	free(id);
	return code;
}

static int update_os_one(struct cmd_args *a, const char *device, const json_t *body)
{
	char *path = ev_path("/devices/%s/baseos", device);
	json_t *resp = NULL;
	int code = path ? ev_request(a, "POST", path, body, &resp) : ev_fail(EXIT_REJECTED, "out of memory");

	if (code == EXIT_OK)
		ev_done(a, resp, "device/%s: base OS update to %s requested", device, cmdtab_str(a, "image"));
	free(path);
	json_decref(resp);
	return code;
}

/* Every device of a label: the first failure stops the loop, so a script
 * sees it in the exit code. */
static int update_os_label(struct cmd_args *a, const char *label, const json_t *body)
{
	char *path = ev_path("/devices?label=%s", label);
	json_t *resp = NULL, *dev;
	size_t i;
	int code = path ? ev_list(a, path, &resp) : ev_fail(EXIT_REJECTED, "out of memory");

	json_array_foreach(json_object_get(resp, "items"), i, dev)
	{
		if (code != EXIT_OK)
			break;
		code = update_os_one(a, json_string_value(json_object_get(dev, "id")), body);
	}
	if (code == EXIT_OK && !json_array_size(json_object_get(resp, "items")))
		code = ev_fail(EXIT_NOTFOUND, "no device has label %s", label);
	free(path);
	json_decref(resp);
	return code;
}

int cmd_device_update_os(struct cmd_args *a)
{
	const char *label = cmdtab_str(a, "label");
	json_t *body;
	int code;

	if (!label == !a->npos)
		return ev_usage("device update-os: give DEVICE or --label KEY=VALUE");
	if (label && !strchr(label, '='))
		return ev_usage("--label: '%s' is not KEY=VALUE", label);
	body = json_pack("{s:s, s:b, s:b}", "image", cmdtab_str(a, "image"), "activate",
			 !cmdtab_flag(a, "no-activate"), "retry", cmdtab_flag(a, "retry"));
	code = label ? update_os_label(a, label, body) : update_os_one(a, a->pos[0], body);
	json_decref(body);
	return code;
}

/* "?limit=N&since=T&type=X" from the options this command has. */
static char *history_query(struct cmd_args *a, const char *base)
{
	const struct cmd_val *lim = cmdtab_val(a, "limit"), *since = cmdtab_val(a, "since");
	const char *type = cmdtab_str(a, "type");
	char t[32] = "", *path = NULL;

	if (since && since->set)
		units_format_time(time(NULL) - (time_t)since->num, t, sizeof(t));
	if (asprintf(&path, "%s?limit=%lld%s%s%s%s", base, lim && lim->set ? lim->num : 100LL,
		     t[0] ? "&since=" : "", t, type ? "&type=" : "", type ? type : "") < 0)
		path = NULL;
	return path;
}

static void fmt_compact(const json_t *o, const char *key, char *buf, size_t n)
{
	char *s = json_dumps(json_object_get(o, key), JSON_COMPACT | JSON_ENCODE_ANY);

	snprintf(buf, n, "%s", s ? s : "-");
	free(s);
}

static int history(struct cmd_args *a, const char *what, const struct out_col *cols)
{
	char *base = ev_path("/devices/%s/", a->pos[0]), *full = NULL, *path;
	json_t *resp = NULL;
	int code;

	if (base && asprintf(&full, "%s%s", base, what) < 0)
		full = NULL;
	path = full ? history_query(a, full) : NULL;
	code = ev_request(a, "GET", path, NULL, &resp);
	if (code == EXIT_OK)
		ev_print_list(a, cols, resp, "time");
	free(base);
	free(full);
	free(path);
	json_decref(resp);
	return code;
}

/* The report inside an info record: {"ainfo": {...}} -> the inner object. */
static const json_t *info_body(const json_t *o)
{
	const json_t *info = json_object_get(o, "info"), *v;
	const char *k;

	json_object_foreach((json_t *)info, k, v)
	{
		if (json_is_object(v))
			return v;
	}
	return NULL;
}

static void fmt_info_name(const json_t *o, const char *key, char *buf, size_t n)
{
	static const char *const names[] = {"AppName", "displayname", "displayName", "HostName", "name"};
	const json_t *b = info_body(o);

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = json_string_value(json_object_get(b, names[i]));

		if (v && *v) {
			snprintf(buf, n, "%s", v);
			return;
		}
	}
	snprintf(buf, n, "-");
}

/* STATE, or for device records the OS version and hardware summary. */
static void fmt_info_state(const json_t *o, const char *key, char *buf, size_t n)
{
	const json_t *b = info_body(o);
	const char *st = json_string_value(json_object_get(b, "state"));
	char mem[16];

	if (json_object_get(b, "ncpu")) {
		units_format_size((uint64_t)json_integer_value(json_object_get(b, "memory")) << 20, mem,
				  sizeof(mem));
		snprintf(buf, n, "%lld CPUs, %s RAM",
			 (long long)json_integer_value(json_object_get(b, "ncpu")), mem);
		return;
	}
	snprintf(buf, n, "%s", st ? st : "-");
}

/* The first error text of the record (appErr, networkErr, err...). */
static void fmt_info_error(const json_t *o, const char *key, char *buf, size_t n)
{
	const json_t *b = info_body(o), *v;
	const char *k;

	json_object_foreach((json_t *)b, k, v)
	{
		const json_t *e = json_is_array(v) ? json_array_get(v, 0) : v;
		const char *d = json_string_value(json_object_get(e, "description"));

		if (json_is_object(e) && d && *d) {
			snprintf(buf, n, "%s", d);
			return;
		}
	}
	snprintf(buf, n, "-");
}

int cmd_device_info(struct cmd_args *a)
{
	static const struct out_col cols[] = {
	    {"TIME", "time"},
	    {"TYPE", "type"},
	    {"OBJECT", "object"},
	    {"NAME", "info", fmt_info_name},
	    {"STATE", "info", fmt_info_state},
	    {"ERROR", "info", fmt_info_error},
	    {"INFO", "info", fmt_compact, true},
	    {NULL},
	};
	const char *type = cmdtab_str(a, "type");

	if (type && strspn(type, "abcdefghijklmnopqrstuvwxyz_-") != strlen(type))
		return ev_usage("--type: '%s' is not an info type", type);
	return history(a, "info", cols);
}

/* A MiB count at path under the record's device metrics as a size. */
static void mib_cell(const json_t *v, char *buf, size_t n)
{
	if (!json_is_integer(v)) {
		snprintf(buf, n, "-");
		return;
	}
	units_format_size((uint64_t)json_integer_value(v) << 20, buf, n);
}

static const json_t *dm(const json_t *o)
{
	return json_object_get(json_object_get(o, "metrics"), "dm");
}

static void fmt_m_mem(const json_t *o, const char *key, char *buf, size_t n)
{
	const json_t *m = json_object_get(dm(o), "memory");
	char used[16], avail[16];

	if (!m) {
		snprintf(buf, n, "-");
		return;
	}
	mib_cell(json_object_get(m, "usedMem"), used, sizeof(used));
	mib_cell(json_object_get(m, "availMem"), avail, sizeof(avail));
	snprintf(buf, n, "%s used, %s free", used, avail);
}

static void fmt_m_disk(const json_t *o, const char *key, char *buf, size_t n)
{
	const json_t *d = json_array_get(json_object_get(dm(o), "disk"), 0);
	char used[16], total[16];

	if (!d) {
		snprintf(buf, n, "-");
		return;
	}
	mib_cell(json_object_get(d, "used"), used, sizeof(used));
	mib_cell(json_object_get(d, "total"), total, sizeof(total));
	snprintf(buf, n, "%s/%s", used, total);
}

/* Sum of a byte counter over the device's interfaces (lo left out). */
static void fmt_m_net(const json_t *o, const char *key, char *buf, size_t n)
{
	const json_t *e;
	uint64_t sum = 0;
	size_t i;

	json_array_foreach(json_object_get(dm(o), "network"), i, e)
	{
		const char *name = json_string_value(json_object_get(e, "iName"));

		if (!name || strcmp(name, "lo") != 0)
			sum += (uint64_t)json_integer_value(json_object_get(e, key));
	}
	units_format_size(sum, buf, n);
}

static void fmt_m_cpu(const json_t *o, const char *key, char *buf, size_t n)
{
	const json_t *c = json_object_get(dm(o), "cpuMetric");

	if (!json_object_get(c, "total"))
		snprintf(buf, n, "-");
	else
		snprintf(buf, n, "%llds", (long long)json_integer_value(json_object_get(c, "total")));
}

static void fmt_m_apps(const json_t *o, const char *key, char *buf, size_t n)
{
	snprintf(buf, n, "%zu", json_array_size(json_object_get(json_object_get(o, "metrics"), "am")));
}

int cmd_device_metrics(struct cmd_args *a)
{
	static const struct out_col cols[] = {
	    {"TIME", "time"},
	    {"CPU-TIME", "cpu", fmt_m_cpu},
	    {"MEMORY", "memory", fmt_m_mem},
	    {"DISK", "disk", fmt_m_disk},
	    {"NET-RX", "rxBytes", fmt_m_net},
	    {"NET-TX", "txBytes", fmt_m_net},
	    {"APPS", "am", fmt_m_apps},
	    {"METRICS", "metrics", fmt_compact, true},
	    {NULL},
	};

	return history(a, "metrics", cols);
}

int cmd_device_logs(struct cmd_args *a)
{
	char *base = ev_path("/devices/%s", a->pos[0]);
	int code = base ? logs_run(a, base) : ev_fail(EXIT_USAGE, "out of memory");

	free(base);
	return code;
}
