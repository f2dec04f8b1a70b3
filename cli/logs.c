// SPDX-License-Identifier: Apache-2.0
/* Log listings and follow streams shared by `device logs` and `app logs`.
 * Lines print oldest first (listings, -o json and follow alike), each with the
 * device's name, the app's name and the source. --limit N with -f prints
 * the last N lines, then follows from exactly after them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "evectl.h"
#include "units.h"

#define LOG_NAMES_MAX 4096

/* Who a line belongs to: the device (device logs) or the app (app logs),
 * and a map of instance id -> the other side's name. */
struct log_ctx {
	enum out_mode mode;
	const char *source; /* --source filter (follow lines), or NULL */
	const char *device; /* device logs: its name */
	const char *app;    /* app logs: its name */
	json_t *names;      /* instance id -> app name (device logs) or device name (app logs) */
	long long last_id;  /* newest id printed */
};

static void log_names(const struct log_ctx *c, const json_t *e, const char **dev, const char **app)
{
	const char *inst = json_string_value(json_object_get(e, "app"));
	const char *other = inst ? json_string_value(json_object_get(c->names, inst)) : NULL;

	if (c->device) {
		*dev = c->device;
		*app = inst ? (other ? other : inst) : "-";
	} else {
		*app = c->app ? c->app : "-";
		*dev = other ? other : "-";
	}
}

/* One log object as a line: "TIME DEVICE APP SOURCE SEVERITY: MSG". */
static void log_print(struct log_ctx *c, json_t *e)
{
	const char *dev, *app;
	char line[8192];

	if (json_is_integer(json_object_get(e, "id")) &&
	    json_integer_value(json_object_get(e, "id")) > c->last_id)
		c->last_id = json_integer_value(json_object_get(e, "id"));
	if (c->mode == OUT_JSON) {
		char *s = json_dumps(e, JSON_COMPACT);

		if (s)
			puts(s);
		free(s);
		return;
	}
	log_names(c, e, &dev, &app);
	snprintf(line, sizeof(line), "%s %s %s %s %s: %s",
		 json_string_value(json_object_get(e, "time")) ?: "-", dev, app,
		 json_string_value(json_object_get(e, "source")) ?: "-",
		 json_string_value(json_object_get(e, "severity")) ?: "-",
		 json_string_value(json_object_get(e, "msg")) ?: "");
	puts(line);
}

static int follow_line(const char *line, size_t len, void *ud)
{
	struct log_ctx *c = ud;
	json_t *e = json_loadb(line, len, 0, NULL);
	const char *src = json_string_value(json_object_get(e, "source"));

	/* a line that is not a log object is skipped, not fatal */
	if (json_is_object(e) && (!c->source || (src && strcmp(src, c->source) == 0))) {
		log_print(c, e);
		fflush(stdout);
	}
	json_decref(e);
	return 0;
}

static char *logs_path(struct cmd_args *a, const char *base, bool follow, long long after)
{
	const struct cmd_val *since = cmdtab_val(a, "since"), *lim = cmdtab_val(a, "limit");
	const char *source = cmdtab_str(a, "source");
	char t[32] = "", *path = NULL, *src = source ? api_escape(source) : NULL;
	char aft[40] = "";

	if (since && since->set)
		units_format_time(time(NULL) - (time_t)since->num, t, sizeof(t));
	if (follow && after > 0)
		snprintf(aft, sizeof(aft), "&after=%lld", after);
	if (asprintf(&path, "%s/logs?limit=%lld%s%s%s%s%s%s", base, lim && lim->set ? lim->num : 100LL,
		     t[0] ? "&since=" : "", t, follow ? "&follow=1" : "", aft, src ? "&source=" : "",
		     src ? src : "") < 0)
		path = NULL;
	free(src);
	return path;
}

/* Oldest first: by time, then by id (arrival) for equal times. */
static int log_cmp(const void *x, const void *y)
{
	json_t *const *a = x, *const *b = y;
	json_int_t ta = json_integer_value(json_object_get(*a, "time_ms"));
	json_int_t tb = json_integer_value(json_object_get(*b, "time_ms"));
	json_int_t ia = json_integer_value(json_object_get(*a, "id"));
	json_int_t ib = json_integer_value(json_object_get(*b, "id"));

	if (ta != tb)
		return ta < tb ? -1 : 1;
	return ia < ib ? -1 : ia > ib;
}

static void print_listing(struct cmd_args *a, struct log_ctx *c, json_t *resp)
{
	json_t *items = json_object_get(resp, "items");
	size_t n = json_array_size(items), i;
	json_t **v;

	if (c->mode == OUT_QUIET) {
		out_table(stdout, NULL, items, OUT_QUIET, "msg");
		return;
	}
	v = n ? calloc(n, sizeof(*v)) : NULL;
	for (i = 0; v && i < n; i++)
		v[i] = json_array_get(items, i);
	if (v)
		qsort(v, n, sizeof(*v), log_cmp);
	if (c->mode == OUT_JSON && !cmdtab_flag(a, "follow")) {
		/* the API's JSON, its items in the same (oldest first) order */
		json_t *sorted = json_array();
		for (i = 0; v && sorted && i < n; i++)
			json_array_append(sorted, v[i]);
		if (sorted && (!n || v))
			json_object_set_new(resp, "items", sorted);
		else
			json_decref(sorted);
		out_json(stdout, resp);
	} else {
		for (i = 0; v && i < n; i++)
			log_print(c, v[i]);
	}
	free(v);
}

/* The names lines are shown with: GET the device (its instances) or the
 * app (its instances' devices). Best effort: ids are shown without them. */
static int load_names(struct cmd_args *a, const char *base, struct log_ctx *c, json_t **obj)
{
	bool dev = strncmp(base, "/devices/", 9) == 0;
	const json_t *e;
	size_t i;
	int code;

	c->names = json_object();
	code = ev_request(a, "GET", base, NULL, obj);
	if (code != EXIT_OK) {
		*obj = NULL;
		return code;
	}
	if (dev)
		c->device = json_string_value(json_object_get(*obj, "name"));
	else
		c->app = json_string_value(json_object_get(*obj, "name"));
	json_array_foreach(json_object_get(*obj, dev ? "apps" : "instances"), i, e)
	{
		const char *id = json_string_value(json_object_get(e, "id"));
		const char *name = json_string_value(json_object_get(e, dev ? "app" : "device_name"));

		if (id && name && json_object_size(c->names) < LOG_NAMES_MAX)
			json_object_set_new(c->names, id, json_string(name));
	}
	return EXIT_OK;
}

int logs_run(struct cmd_args *a, const char *base)
{
	bool follow = cmdtab_flag(a, "follow"), tail = follow && cmdtab_val(a, "limit")->set;
	struct log_ctx c = {.mode = ev_mode(a), .source = cmdtab_str(a, "source")};
	char *path = NULL;
	json_t *resp = NULL, *obj = NULL;
	struct api *api;
	int code = EXIT_OK, r;

	code = load_names(a, base, &c, &obj);
	if (code)
		goto out;
	if (!follow || tail) {
		path = logs_path(a, base, false, 0);
		code = path ? ev_request(a, "GET", path, NULL, &resp) : ev_fail(EXIT_USAGE, "out of memory");
		if (code == EXIT_OK)
			print_listing(a, &c, resp);
		if (code || !follow)
			goto out;
		fflush(stdout);
		free(path);
	}
	path = logs_path(a, base, true, c.last_id);
	api = path ? ev_api(a, &code) : NULL;
	if (!api) {
		code = path ? code : ev_fail(EXIT_USAGE, "out of memory");
		goto out;
	}
	r = api_stream_lines(api, path, follow_line, &c);
	code = r < 0 ? ev_api_error(a, r) : EXIT_OK;
out:
	free(path);
	json_decref(resp);
	json_decref(obj);
	json_decref(c.names);
	return code;
}
