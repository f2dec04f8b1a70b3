// SPDX-License-Identifier: Apache-2.0
/* network create|list|get|delete: network instances on one device. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "evectl.h"
#include "units.h"

static void fmt_info_state(const json_t *o, const char *key, char *buf, size_t n)
{
	const json_t *info = json_object_get(o, key);

	snprintf(buf, n, "%s", json_is_object(info) ? "reported" : "-");
}

static const struct out_col network_cols[] = {
    {"NAME", "name"},
    {"TYPE", "type"},
    {"SUBNET", "subnet"},
    {"PORT", "port"},
    {"DEVICE", "device"},
    {"ID", "id", NULL, true},
    {"INFO", "info", fmt_info_state, true},
    {"PROJECT", "project", NULL, true},
    {NULL},
};

/* "10.1.0.0/24": an IPv4 or IPv6 address and a prefix length in range. */
static bool cidr_ok(const char *s)
{
	const char *slash = strchr(s, '/');
	unsigned char addr[16];
	char host[64];
	uint64_t len;
	bool v6;

	if (!slash || (size_t)(slash - s) >= sizeof(host))
		return false;
	snprintf(host, sizeof(host), "%.*s", (int)(slash - s), s);
	v6 = strchr(host, ':') != NULL;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, host, addr) != 1)
		return false;
	return units_parse_uint(slash + 1, v6 ? 128 : 32, &len) == 0;
}

int cmd_network_create(struct cmd_args *a)
{
	const char *subnet = cmdtab_str(a, "subnet"), *port = cmdtab_str(a, "port");
	json_t *body, *resp = NULL;
	int code;

	if (subnet && !cidr_ok(subnet))
		return ev_usage("--subnet: '%s' is not a CIDR like 10.1.0.0/24", subnet);
	if (port && (!*port || strlen(port) > 15 || strpbrk(port, "/ ")))
		return ev_usage("--port: '%s' is not an interface name", port);
	if (strcmp(cmdtab_str(a, "type"), "switch") == 0 && !port)
		return ev_usage("--type switch needs --port (the device port to bridge)");
	body = json_pack("{s:s, s:s, s:s}", "name", a->pos[0], "device", cmdtab_str(a, "device"), "type",
			 cmdtab_str(a, "type"));
	if (subnet)
		json_object_set_new(body, "subnet", json_string(subnet));
	if (port)
		json_object_set_new(body, "port", json_string(port));
	code = ev_request(a, "POST", "/networks", body, &resp);
	if (code == EXIT_OK)
		ev_print_object(a, network_cols, resp, "id");
	json_decref(body);
	json_decref(resp);
	return code;
}

int cmd_network_list(struct cmd_args *a)
{
	const char *dev = cmdtab_str(a, "device");
	char *path = dev ? ev_path("/networks?device=%s", dev) : strdup("/networks");
	json_t *resp = NULL;
	int code = ev_list(a, path, &resp);

	if (code == EXIT_OK)
		ev_print_list(a, network_cols, resp, "id");
	free(path);
	json_decref(resp);
	return code;
}

/* "/networks/ID" or "/networks/NAME?device=D" */
static char *network_path(struct cmd_args *a)
{
	const char *dev = cmdtab_str(a, "device");

	return dev ? ev_path("/networks/%s?device=%s", a->pos[0], dev) : ev_path("/networks/%s", a->pos[0]);
}

int cmd_network_get(struct cmd_args *a)
{
	char *path = network_path(a);
	json_t *resp = NULL;
	int code = ev_request(a, "GET", path, NULL, &resp);

	if (code == EXIT_OK)
		ev_print_object(a, network_cols, resp, "id");
	free(path);
	json_decref(resp);
	return code;
}

int cmd_network_delete(struct cmd_args *a)
{
	char *path = network_path(a), *full = NULL;
	int code;

	if (path && cmdtab_flag(a, "force") &&
	    asprintf(&full, "%s%cforce=true", path, strchr(path, '?') ? '&' : '?') >= 0) {
		free(path);
		path = full;
	}
	code = ev_request(a, "DELETE", path, NULL, NULL);

	free(path);
	if (code == EXIT_OK)
		ev_done(a, NULL, "network/%s deleted", a->pos[0]);
	return code;
}
