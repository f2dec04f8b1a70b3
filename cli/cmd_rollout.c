// SPDX-License-Identifier: Apache-2.0
/* rollout create|list|get [-w]|pause|resume|abort|rollback|delete. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "evectl.h"
#include "manifest.h"
#include "units.h"

#define MIB (1024 * 1024)
#define WATCH_POLL_S 1

/* "3/4" */
static void fmt_phase(const json_t *o, const char *key, char *buf, size_t n)
{
	(void)key;
	snprintf(buf, n, "%lld/%lld", (long long)json_integer_value(json_object_get(o, "phase")),
		 (long long)json_integer_value(json_object_get(o, "nphases")));
}

/* healthy/total */
static void fmt_done(const json_t *o, const char *key, char *buf, size_t n)
{
	const json_t *c = json_object_get(o, key);

	snprintf(buf, n, "%lld/%lld", (long long)json_integer_value(json_object_get(c, "healthy")),
		 (long long)json_integer_value(json_object_get(c, "total")));
}

static void fmt_failed(const json_t *o, const char *key, char *buf, size_t n)
{
	const json_t *c = json_object_get(o, key);

	snprintf(buf, n, "%lld", (long long)json_integer_value(json_object_get(c, "failed")));
}

/* The app (and its new revision) or the base OS image. */
static void fmt_what(const json_t *o, const char *key, char *buf, size_t n)
{
	const char *app = json_string_value(json_object_get(o, "app"));

	(void)key;
	if (app)
		snprintf(buf, n, "app %s v%lld", app,
			 (long long)json_integer_value(json_object_get(o, "version")));
	else
		snprintf(buf, n, "baseos %s", json_string_value(json_object_get(o, "image")) ?: "-");
}

static const struct out_col rollout_cols[] = {
    {"NAME", "name"},
    {"WHAT", "kind", fmt_what},
    {"STATE", "state"},
    {"PHASE", "phase", fmt_phase},
    {"HEALTHY", "devices_count", fmt_done},
    {"FAILED", "devices_count", fmt_failed},
    {"AGE", "created", out_fmt_age},
    {"REASON", "reason", NULL, true},
    {"PHASES", "phases", NULL, true},
    {"MAX_FAILURES", "max_failures", NULL, true},
    {"ID", "id", NULL, true},
    {NULL},
};

static const struct out_col progress_cols[] = {
    {"PHASE", "phase"},       {"DEVICES", "total"},           {"PENDING", "pending"},
    {"UPDATING", "updating"}, {"HEALTHY", "healthy"},         {"FAILED", "failed"},
    {"SKIPPED", "skipped"},   {"ROLLED_BACK", "rolled-back"}, {NULL},
};

static const struct out_col device_cols[] = {
    {"DEVICE", "name"}, {"PHASE", "phase"}, {"STATE", "state"}, {"REASON", "reason"}, {NULL},
};

/* --phases "1,10%,50%,100%" -> [1, "10%", "50%", "100%"]. */
static int phases_counts(const char *s, json_t *arr)
{
	char *copy = strdup(s), *save = NULL, *tok;
	int r = copy ? 0 : -ENOMEM;

	for (tok = copy ? strtok_r(copy, ",", &save) : NULL; r == 0 && tok;
	     tok = strtok_r(NULL, ",", &save)) {
		uint64_t v;
		size_t len = strlen(tok);
		if (len > 1 && tok[len - 1] == '%') {
			tok[len - 1] = 0;
			r = units_parse_uint(tok, 100, &v);
			tok[len - 1] = '%';
			if (r == 0)
				json_array_append_new(arr, json_string(tok));
		} else {
			r = units_parse_uint(tok, 1000000, &v);
			if (r == 0)
				json_array_append_new(arr, json_integer((json_int_t)v));
		}
	}
	free(copy);
	return r < 0 || json_array_size(arr) == 0 ? -EINVAL : 0;
}

/* --phase-devices "a,b" (repeated: one phase each). */
static int phases_lists(const struct cmd_val *v, json_t *arr)
{
	for (size_t i = 0; i < v->nlist; i++) {
		char *copy = strdup(v->list[i]), *save = NULL, *tok;
		json_t *ph = json_array();
		for (tok = copy ? strtok_r(copy, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save))
			json_array_append_new(ph, json_string(tok));
		free(copy);
		if (json_array_size(ph) == 0) {
			json_decref(ph);
			return -EINVAL;
		}
		json_array_append_new(arr, ph);
	}
	return 0;
}

/* The app fields the rollout changes. */
static int update_fields(const struct cmd_args *a, json_t *upd)
{
	const struct cmd_val *env = cmdtab_val(a, "env"), *cpus = cmdtab_val(a, "cpus"),
			     *mem = cmdtab_val(a, "memory");

	if (cmdtab_str(a, "image"))
		json_object_set_new(upd, "image", json_string(cmdtab_str(a, "image")));
	if (cpus->set)
		json_object_set_new(upd, "cpus", json_integer(cpus->num));
	if (mem->set) {
		if (mem->num < MIB)
			return ev_usage("--memory: '%s' is below 1M", mem->str);
		json_object_set_new(upd, "memory_mb", json_integer((mem->num + MIB - 1) / MIB));
	}
	if (env->nlist) {
		json_t *e = json_object();
		json_object_set_new(upd, "env", e);
		for (size_t i = 0; i < env->nlist; i++)
			if (manifest_kv(e, env->list[i]) < 0)
				return ev_usage("--env: '%s' is not KEY=VALUE", env->list[i]);
	}
	if (json_object_size(upd) == 0)
		return ev_usage("rollout create --app: give what changes (--image, --env, --cpus, --memory)");
	return EXIT_OK;
}

static int targets(const struct cmd_args *a, json_t *body)
{
	const struct cmd_val *sel = cmdtab_val(a, "selector"), *dev = cmdtab_val(a, "device"),
			     *pd = cmdtab_val(a, "phase-devices");
	const char *ph = cmdtab_str(a, "phases");
	json_t *phases = json_array();

	json_object_set_new(body, "phases", phases);
	if (sel->nlist) {
		json_t *s = json_object();
		json_object_set_new(body, "selector", s);
		for (size_t i = 0; i < sel->nlist; i++)
			if (manifest_kv(s, sel->list[i]) < 0)
				return ev_usage("--selector: '%s' is not KEY=VALUE", sel->list[i]);
	}
	if (dev->nlist) {
		json_t *d = json_array();
		json_object_set_new(body, "devices", d);
		for (size_t i = 0; i < dev->nlist; i++)
			json_array_append_new(d, json_string(dev->list[i]));
	}
	if (ph && pd->nlist)
		return ev_usage("rollout create: --phases and --phase-devices are exclusive");
	if (ph && phases_counts(ph, phases) < 0)
		return ev_usage(
		    "--phases: comma-separated device counts or percentages, e.g. 1,10%%,50%%,100%%");
	if (pd->nlist && phases_lists(pd, phases) < 0)
		return ev_usage("--phase-devices: comma-separated device names");
	if (!ph && !pd->nlist)
		json_object_del(body, "phases");
	return EXIT_OK;
}

static int settings(const struct cmd_args *a, json_t *body)
{
	static const char *const durs[] = {"health", "online", "timeout"};
	const char *pause = cmdtab_str(a, "pause"), *mf = cmdtab_str(a, "max-failures");
	uint64_t secs;

	for (size_t i = 0; i < sizeof(durs) / sizeof(durs[0]); i++)
		if (cmdtab_val(a, durs[i])->set)
			json_object_set_new(body, durs[i], json_integer(cmdtab_val(a, durs[i])->num));
	if (pause && !strcmp(pause, "manual"))
		json_object_set_new(body, "pause", json_string("manual"));
	else if (pause && !strcmp(pause, "0"))
		json_object_set_new(body, "pause", json_integer(0));
	else if (pause && units_parse_duration(pause, &secs) == 0)
		json_object_set_new(body, "pause", json_integer((json_int_t)secs));
	else if (pause)
		return ev_usage("--pause: a duration (30s, 5m) or 'manual'");
	if (mf) {
		size_t len = strlen(mf);
		uint64_t v;
		if (len > 1 && mf[len - 1] == '%')
			json_object_set_new(body, "max_failures", json_string(mf));
		else if (units_parse_uint(mf, 1000000, &v) == 0)
			json_object_set_new(body, "max_failures", json_integer((json_int_t)v));
		else
			return ev_usage("--max-failures: a device count or a percentage (N%%)");
	}
	if (cmdtab_str(a, "offline"))
		json_object_set_new(body, "offline", json_string(cmdtab_str(a, "offline")));
	if (cmdtab_flag(a, "no-rollback"))
		json_object_set_new(body, "rollback", json_false());
	return EXIT_OK;
}

static int create_body(const struct cmd_args *a, json_t **out)
{
	const char *app = cmdtab_str(a, "app"), *os = cmdtab_str(a, "os");
	json_t *body = json_pack("{s:s}", "name", a->pos[0]), *upd = json_object();
	int code = EXIT_OK;

	if (!body || !upd)
		code = ev_fail(EXIT_USAGE, "out of memory");
	else if (!app == !os)
		code = ev_usage("rollout create: give exactly one of --app or --os");
	else if (os) {
		json_object_set_new(body, "baseos", json_string(os));
		if (cmdtab_str(a, "image") || cmdtab_val(a, "env")->nlist || cmdtab_val(a, "cpus")->set ||
		    cmdtab_val(a, "memory")->set)
			code =
			    ev_usage("rollout create --os: --image, --env, --cpus, --memory are for --app");
	} else {
		json_object_set_new(body, "app", json_string(app));
		code = update_fields(a, upd);
		if (code == EXIT_OK)
			json_object_set(body, "update", upd);
	}
	if (code == EXIT_OK)
		code = targets(a, body);
	if (code == EXIT_OK)
		code = settings(a, body);
	json_decref(upd);
	if (code) {
		json_decref(body);
		return code;
	}
	*out = body;
	return EXIT_OK;
}

int cmd_rollout_create(struct cmd_args *a)
{
	json_t *body = NULL, *resp = NULL;
	int code = create_body(a, &body);

	if (code)
		return code;
	code = ev_request(a, "POST", "/rollouts", body, &resp);
	if (code == EXIT_OK)
		ev_print_object(a, rollout_cols, resp, "id");
	json_decref(body);
	json_decref(resp);
	return code;
}

int cmd_rollout_list(struct cmd_args *a)
{
	json_t *resp = NULL;
	int code = ev_list(a, "/rollouts", &resp);

	if (code == EXIT_OK)
		ev_print_list(a, rollout_cols, resp, "id");
	json_decref(resp);
	return code;
}

static int fetch(struct cmd_args *a, json_t **out)
{
	char *path = ev_path("/rollouts/%s", a->pos[0]);
	int code = path ? ev_request(a, "GET", path, NULL, out) : ev_fail(EXIT_USAGE, "out of memory");

	free(path);
	return code;
}

static void print_events(const json_t *ev, json_int_t after)
{
	const json_t *e;
	size_t i;

	json_array_foreach(ev, i, e)
	{
		const char *dev = json_string_value(json_object_get(e, "device"));
		if (json_integer_value(json_object_get(e, "id")) <= after)
			continue;
		printf("%s  %s%s%s\n", json_string_value(json_object_get(e, "time")) ?: "-",
		       dev && *dev ? dev : "", dev && *dev ? ": " : "",
		       json_string_value(json_object_get(e, "msg")) ?: "");
	}
}

static void print_full(struct cmd_args *a, const json_t *ro)
{
	const json_t *devs = json_object_get(ro, "devices"), *e;
	json_t *shown = json_array();
	size_t i;

	ev_print_object(a, rollout_cols, ro, "id");
	if (ev_mode(a) == OUT_JSON || ev_mode(a) == OUT_QUIET) {
		json_decref(shown);
		return;
	}
	putchar('\n');
	out_table(stdout, progress_cols, json_object_get(ro, "progress"), OUT_TABLE, "phase");
	/* Devices that started: the pending ones are the rest of the list. */
	json_array_foreach(devs, i, e) if (strcmp(json_string_value(json_object_get(e, "state")) ?: "",
						  "pending")) json_array_append(shown, (json_t *)e);
	if (json_array_size(shown)) {
		putchar('\n');
		out_table(stdout, device_cols, shown, OUT_TABLE, "id");
	}
	json_decref(shown);
	putchar('\n');
	print_events(json_object_get(ro, "events"), 0);
}

static bool finished(const json_t *ro, int *code)
{
	const char *st = json_string_value(json_object_get(ro, "state")) ?: "";

	if (!strcmp(st, "done")) {
		*code = EXIT_OK;
		return true;
	}
	if (!strcmp(st, "halted") || !strcmp(st, "aborted") || !strcmp(st, "rolled-back")) {
		*code = ev_fail(EXIT_REJECTED, "rollout/%s %s: %s",
				json_string_value(json_object_get(ro, "name")) ?: "", st,
				json_string_value(json_object_get(ro, "reason")) ?: "");
		return true;
	}
	return false;
}

/* -w: print each new decision until the rollout ends; exit 0 when done,
 * 3 when halted, aborted or rolled back. */
static int watch(struct cmd_args *a)
{
	json_int_t last = 0;
	int code;

	for (;;) {
		json_t *ro = NULL;
		const json_t *ev, *e;
		size_t i;

		code = fetch(a, &ro);
		if (code)
			return code;
		ev = json_object_get(ro, "events");
		if (ev_mode(a) != OUT_QUIET && ev_mode(a) != OUT_JSON)
			print_events(ev, last);
		json_array_foreach(ev, i, e) if (json_integer_value(json_object_get(e, "id")) > last) last =
		    json_integer_value(json_object_get(e, "id"));
		fflush(stdout);
		if (finished(ro, &code)) {
			if (ev_mode(a) == OUT_JSON)
				out_json(stdout, ro);
			json_decref(ro);
			return code;
		}
		json_decref(ro);
		sleep(WATCH_POLL_S);
	}
}

int cmd_rollout_get(struct cmd_args *a)
{
	json_t *ro = NULL;
	int code;

	if (cmdtab_flag(a, "watch"))
		return watch(a);
	code = fetch(a, &ro);
	if (code == EXIT_OK)
		print_full(a, ro);
	json_decref(ro);
	return code;
}

int cmd_rollout_action(struct cmd_args *a)
{
	const char *verb = strrchr(a->cmd->name, ' ') + 1;
	char *path = ev_path("/rollouts/%s/", a->pos[0]), *full = NULL;
	json_t *resp = NULL;
	int code;

	if (path && asprintf(&full, "%s%s", path, verb) < 0)
		full = NULL;
	code = full ? ev_request(a, "POST", full, NULL, &resp) : ev_fail(EXIT_USAGE, "out of memory");
	if (code == EXIT_OK)
		ev_done(a, resp, "rollout/%s: %s", a->pos[0],
			json_string_value(json_object_get(resp, "state")) ?: verb);
	free(path);
	free(full);
	json_decref(resp);
	return code;
}

int cmd_rollout_delete(struct cmd_args *a)
{
	char *path = ev_path("/rollouts/%s", a->pos[0]);
	int code = path ? ev_request(a, "DELETE", path, NULL, NULL) : ev_fail(EXIT_USAGE, "out of memory");

	free(path);
	if (code == EXIT_OK)
		ev_done(a, NULL, "rollout/%s deleted", a->pos[0]);
	return code;
}
