// SPDX-License-Identifier: Apache-2.0
/* volume create|list|get|delete: data volumes on one device. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "evectl.h"
#include "units.h"

/* A byte count in JSON (number or decimal string) or 0. */
static uint64_t json_bytes(const json_t *v)
{
	if (json_is_integer(v))
		return json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0;
	if (json_is_string(v))
		return strtoull(json_string_value(v), NULL, 10);
	return 0;
}

static void fmt_size(const json_t *o, const char *key, char *buf, size_t n)
{
	uint64_t b = json_bytes(json_object_get(o, key));

	if (b)
		units_format_size(b, buf, n);
	else
		snprintf(buf, n, "%s", "-");
}

/* "USED/MAX" from the device's last ZInfoVolume (resources). */
static void fmt_used(const json_t *o, const char *key, char *buf, size_t n)
{
	const json_t *res = json_object_get(json_object_get(o, key), "resources");
	char used[32], max[32];

	if (!json_is_object(res)) {
		snprintf(buf, n, "%s", "-");
		return;
	}
	units_format_size(json_bytes(json_object_get(res, "curSizeBytes")), used, sizeof(used));
	units_format_size(json_bytes(json_object_get(res, "maxSizeBytes")), max, sizeof(max));
	snprintf(buf, n, "%s/%s", used, max);
}

static void fmt_state(const json_t *o, const char *key, char *buf, size_t n)
{
	const json_t *st = json_object_get(json_object_get(o, key), "state");

	snprintf(buf, n, "%s", json_is_string(st) ? json_string_value(st) : "-");
}

static const struct out_col volume_cols[] = {
    {"NAME", "name"},
    {"DEVICE", "device"},
    {"KIND", "kind"},
    {"SIZE", "size_bytes", fmt_size},
    {"USED", "info", fmt_used},
    {"STATE", "info", fmt_state},
    {"APP", "used_by"},
    {"IMAGE", "image", NULL, true},
    {"GENERATION", "generation", NULL, true},
    {"ID", "id", NULL, true},
    {NULL},
};

int cmd_volume_create(struct cmd_args *a)
{
	const struct cmd_val *size = cmdtab_val(a, "size");
	const char *image = cmdtab_str(a, "image");
	json_t *body, *resp = NULL;
	int code;

	if (!size->set && !image)
		return ev_usage("volume create: give --size (blank volume) or --image");
	body = json_pack("{s:s, s:s}", "name", a->pos[0], "device", cmdtab_str(a, "device"));
	if (!body)
		return ev_fail(EXIT_USAGE, "out of memory");
	if (size->set)
		json_object_set_new(body, "size_bytes", json_integer((json_int_t)size->num));
	if (image)
		json_object_set_new(body, "image", json_string(image));
	code = ev_request(a, "POST", "/volumes", body, &resp);
	if (code == EXIT_OK)
		ev_print_object(a, volume_cols, resp, "id");
	json_decref(body);
	json_decref(resp);
	return code;
}

int cmd_volume_list(struct cmd_args *a)
{
	const char *dev = cmdtab_str(a, "device");
	char *path = dev ? ev_path("/volumes?device=%s", dev) : strdup("/volumes");
	json_t *resp = NULL;
	int code = ev_list(a, path, &resp);

	if (code == EXIT_OK)
		ev_print_list(a, volume_cols, resp, "id");
	free(path);
	json_decref(resp);
	return code;
}

/* "/volumes/NAME" or "/volumes/NAME?device=D" */
static char *volume_path(struct cmd_args *a)
{
	const char *dev = cmdtab_str(a, "device");

	return dev ? ev_path("/volumes/%s?device=%s", a->pos[0], dev) : ev_path("/volumes/%s", a->pos[0]);
}

int cmd_volume_get(struct cmd_args *a)
{
	char *path = volume_path(a);
	json_t *resp = NULL;
	int code = ev_request(a, "GET", path, NULL, &resp);

	if (code == EXIT_OK)
		ev_print_object(a, volume_cols, resp, "id");
	free(path);
	json_decref(resp);
	return code;
}

int cmd_volume_delete(struct cmd_args *a)
{
	char *path = volume_path(a);
	int code = ev_request(a, "DELETE", path, NULL, NULL);

	free(path);
	if (code == EXIT_OK)
		ev_done(a, NULL, "volume/%s deleted", a->pos[0]);
	return code;
}

int cmd_volume_purge(struct cmd_args *a)
{
	const char *dev = cmdtab_str(a, "device");
	char *path = dev ? ev_path("/volumes/%s/purge?device=%s", a->pos[0], dev)
			 : ev_path("/volumes/%s/purge", a->pos[0]);
	json_t *resp = NULL;
	int code = ev_request(a, "POST", path, NULL, &resp);

	free(path);
	if (code == EXIT_OK)
		ev_done(a, resp, "volume/%s: purge requested", a->pos[0]);
	json_decref(resp);
	return code;
}
