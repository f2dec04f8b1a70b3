// SPDX-License-Identifier: Apache-2.0
/* device io list|set|delete: the controller's hardware model of a device
 * (ports and I/O adapters, how each network port is used and addressed),
 * sent to the device as deviceIoList + systemAdapterList. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "commands.h"
#include "evectl.h"
#include "fileio.h"

#define IO_PAC_MAX 16384 /* the agent's limit of a PAC script */

/* PAC cell: whether the port has a PAC script (the base64 text is long). */
static void fmt_pac(const json_t *obj, const char *key, char *buf, size_t n)
{
	const char *s = json_string_value(json_object_get(obj, key));

	snprintf(buf, n, "%s", s && *s ? "yes" : "-");
}

static const struct out_col io_cols[] = {
    {"PORT", "phylabel"},
    {"TYPE", "type"},
    {"IFNAME", "ifname"},
    {"USAGE", "usage"},
    {"DHCP", "dhcp"},
    {"IP", "ip"},
    {"COST", "cost"},
    {"SOURCE", "source"},
    {"LABEL", "logicallabel", NULL, true},
    {"GATEWAY", "gateway", NULL, true},
    {"DNS", "dns", NULL, true},
    {"PROXY", "proxy", NULL, true},
    {"NO_PROXY", "no_proxy", NULL, true},
    {"PAC", "pacfile", fmt_pac, true},
    {"ASSIGNGRP", "assigngrp", NULL, true},
    {"PCI", "pcilong", NULL, true},
    {"USB", "usbaddr", NULL, true},
    {"SERIAL", "serial", NULL, true},
    {NULL},
};

static const struct out_col reported_cols[] = {
    {"REPORTED (NOT MODELLED)", "ifname"}, {"MAC", "mac"}, {"IPS", "ips"}, {"UPLINK", "uplink"}, {NULL},
};

int cmd_device_io_list(struct cmd_args *a)
{
	char *path = ev_path("/devices/%s/io", a->pos[0]);
	json_t *resp = NULL, *rep;
	int code = ev_request(a, "GET", path, NULL, &resp);

	free(path);
	if (code == EXIT_OK) {
		ev_print_list(a, io_cols, resp, "phylabel");
		rep = json_object_get(resp, "reported");
		if (ev_mode(a) != OUT_JSON && ev_mode(a) != OUT_QUIET && json_array_size(rep)) {
			putchar('\n');
			out_table(stdout, reported_cols, rep, OUT_TABLE, "ifname");
		}
	}
	json_decref(resp);
	return code;
}

/* Options copied into the PUT body only when given (a partial update). */
static const struct {
	const char *opt, *key;
} IO_STR_OPTS[] = {
    {"type", "type"},          {"usage", "usage"},         {"dhcp", "dhcp"},         {"ip", "ip"},
    {"gateway", "gateway"},    {"proxy", "proxy"},         {"no-proxy", "no_proxy"}, {"ifname", "ifname"},
    {"label", "logicallabel"}, {"assigngrp", "assigngrp"}, {"pci", "pcilong"},       {"usb", "usbaddr"},
    {"serial-port", "serial"},
};

/* --pac FILE: the script as EVE sends it (base64); "" clears. NULL when
 * the file is unreadable, empty, too long or holds a NUL byte. */
static json_t *pac_value(const char *file)
{
	uint8_t *data = NULL;
	size_t len = 0;
	char *b64 = NULL;
	json_t *v = NULL;

	if (!*file)
		return json_string("");
	if (fileio_read(file, IO_PAC_MAX, &data, &len) == 0 && len && !memchr(data, '\0', len) &&
	    (b64 = b64_encode(data, len)))
		v = json_string(b64);
	free(b64);
	free(data);
	return v;
}

static json_t *io_body(struct cmd_args *a)
{
	json_t *b = json_object();
	const struct cmd_val *v;

	for (size_t i = 0; i < sizeof(IO_STR_OPTS) / sizeof(IO_STR_OPTS[0]); i++) {
		const char *s = cmdtab_str(a, IO_STR_OPTS[i].opt);
		if (s)
			json_object_set_new(b, IO_STR_OPTS[i].key, json_string(s));
	}
	if (cmdtab_str(a, "pac")) {
		json_t *pac = pac_value(cmdtab_str(a, "pac"));

		if (!pac) {
			json_decref(b);
			return NULL;
		}
		json_object_set_new(b, "pacfile", pac);
	}
	v = cmdtab_val(a, "cost");
	if (v && v->set)
		json_object_set_new(b, "cost", json_integer(v->num));
	v = cmdtab_val(a, "dns");
	if (v && v->set) {
		json_t *dns = json_array();
		for (size_t i = 0; i < v->nlist; i++)
			if (*v->list[i]) /* --dns "" clears the list */
				json_array_append_new(dns, json_string(v->list[i]));
		json_object_set_new(b, "dns", dns);
	}
	return b;
}

int cmd_device_io_set(struct cmd_args *a)
{
	char *path = ev_path("/devices/%s/io/%s", a->pos[0], a->pos[1]);
	json_t *body = io_body(a), *resp = NULL;
	int code;

	if (!body)
		code = ev_usage("--pac: a readable text file of 1 to %d bytes", IO_PAC_MAX);
	else if (json_object_size(body) == 0 && !cmdtab_flag(a, "create"))
		code = ev_usage("nothing to set: give at least one option (or --create)");
	else
		code = ev_request(a, "PUT", path, body, &resp);
	if (code == EXIT_OK)
		ev_print_object(a, io_cols, resp, "phylabel");
	free(path);
	json_decref(body);
	json_decref(resp);
	return code;
}

int cmd_device_io_delete(struct cmd_args *a)
{
	char *path = ev_path("/devices/%s/io/%s", a->pos[0], a->pos[1]);
	int code = ev_request(a, "DELETE", path, NULL, NULL);

	free(path);
	if (code == EXIT_OK)
		ev_done(a, NULL, "device/%s io/%s deleted", a->pos[0], a->pos[1]);
	return code;
}
