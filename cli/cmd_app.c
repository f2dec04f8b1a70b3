// SPDX-License-Identifier: Apache-2.0
/* app deploy|list|get|start|stop|restart|purge|delete|logs|wait. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "fileio.h"
#include "evectl.h"
#include "manifest.h"
#include "monotime.h"

#define MIB (1024 * 1024)
#define WAIT_POLL_S 1

/* The device's name (from the instance on it) or the selector. */
static void fmt_target(const json_t *o, const char *key, char *buf, size_t n)
{
	const char *dev = json_string_value(json_object_get(o, "device"));
	const json_t *e;
	size_t i;

	if (!dev) {
		out_fmt_value(o, "selector", buf, n);
		return;
	}
	json_array_foreach(json_object_get(o, "instances"), i, e)
	{
		const char *id = json_string_value(json_object_get(e, "device"));
		const char *name = json_string_value(json_object_get(e, "device_name"));

		if (id && name && strcmp(id, dev) == 0) {
			snprintf(buf, n, "%s", name);
			return;
		}
	}
	snprintf(buf, n, "%s", dev);
}

/* "running/total" instances. */
static void fmt_instances(const json_t *o, const char *key, char *buf, size_t n)
{
	const json_t *inst = json_object_get(o, "instances"), *e;
	size_t i, running = 0;

	json_array_foreach(inst, i, e)
	{
		const char *st = json_string_value(json_object_get(e, "state"));

		running += st && strcmp(st, "RUNNING") == 0;
	}
	snprintf(buf, n, "%zu/%zu", running, json_array_size(inst));
}

/* "ROLLED_BACK v2->v1" after an automatic rollback, else "-". */
static void fmt_rollback(const json_t *o, const char *key, char *buf, size_t n)
{
	const json_t *r = json_object_get(o, key);

	if (!json_is_object(r)) {
		snprintf(buf, n, "-");
		return;
	}
	snprintf(buf, n, "%s v%lld->v%lld", json_string_value(json_object_get(r, "state")) ?: "?",
		 (long long)json_integer_value(json_object_get(r, "from")),
		 (long long)json_integer_value(json_object_get(r, "to")));
}

static const struct out_col app_cols[] = {
    {"NAME", "name"},
    {"IMAGE", "image"},
    {"TARGET", "device", fmt_target},
    {"RUNNING", "instances", fmt_instances},
    {"ACTIVE", "activate"},
    {"ID", "id", NULL, true},
    {"CPUS", "cpus", NULL, true},
    {"MEMORY_MB", "memory_mb", NULL, true},
    {"NETWORKS", "networks", NULL, true},
    {"AGE", "created", out_fmt_age, true},
    {"PROJECT", "project", NULL, true},
    {"ROLLBACK", "rollback", fmt_rollback, true},
    {NULL},
};

/* The pull of the instance's image: "42% 12.3 MB" while it downloads,
 * "100% 1.1 MB" once loaded, "-" before any report. */
static void fmt_pull(const json_t *o, const char *key, char *buf, size_t n)
{
	const json_t *d = json_object_get(o, key);
	char size[32];

	if (!json_is_object(d)) {
		snprintf(buf, n, "-");
		return;
	}
	out_fmt_size(d, "bytes", size, sizeof(size));
	snprintf(buf, n, "%lld%% %s", (long long)json_integer_value(json_object_get(d, "progress")), size);
}

/* The image's publisher signature as the device judged it: "signed by
 * NAME (key FPR)", "UNVERIFIED: why" (run under images.signatures=warn),
 * "-" when the device does not check signatures. */
void app_fmt_signature(const json_t *o, const char *key, char *buf, size_t n)
{
	const json_t *s = json_object_get(json_object_get(o, key), "signature");
	const char *d = json_string_value(json_object_get(s, "detail"));
	const char *p;

	if (!d) {
		snprintf(buf, n, "-");
		return;
	}
	p = strstr(d, ": ");
	p = p ? p + 2 : d;
	if (json_is_true(json_object_get(s, "verified")))
		snprintf(buf, n, "%s", p);
	else
		snprintf(buf, n, "UNVERIFIED: %s", p);
}

static const struct out_col instance_cols[] = {
    {"DEVICE", "device_name"},
    {"STATE", "state"},
    {"PULL", "download", fmt_pull},
    {"SIGNATURE", "download", app_fmt_signature},
    {"IPS", "ips"},
    {"ERROR", "error"},
    {"UPDATED", "updated", out_fmt_age},
    {"ID", "id"},
    {NULL},
};

/* --memory / --disk: bytes -> MiB (rounded up); memory must be >= 1M. */
static int size_mib(const struct cmd_args *a, const char *opt, long long min_mib, json_t *spec,
		    const char *key)
{
	const struct cmd_val *v = cmdtab_val(a, opt);
	long long mib;

	if (!v || !v->set)
		return EXIT_OK;
	mib = (v->num + MIB - 1) / MIB;
	if (v->num < min_mib * MIB)
		return ev_usage("--%s: '%s' is below 1M (sizes are bytes unless K/M/G: did you mean %sM?)",
				opt, v->str, v->str);
	json_object_set_new(spec, key, json_integer(mib));
	return EXIT_OK;
}

static int deploy_lists(const struct cmd_args *a, json_t *spec)
{
	const struct cmd_val *v;
	size_t i;

	v = cmdtab_val(a, "selector");
	if (v->nlist) {
		json_t *sel = json_object();

		json_object_set_new(spec, "selector", sel);
		for (i = 0; i < v->nlist; i++) {
			if (manifest_kv(sel, v->list[i]) < 0)
				return ev_usage("--selector: '%s' is not KEY=VALUE", v->list[i]);
		}
	}
	v = cmdtab_val(a, "env");
	for (i = 0; i < v->nlist; i++) {
		if (manifest_kv(json_object_get(spec, "env"), v->list[i]) < 0)
			return ev_usage("--env: '%s' is not KEY=VALUE", v->list[i]);
	}
	v = cmdtab_val(a, "publish");
	for (i = 0; i < v->nlist; i++) {
		json_t *p = manifest_port(v->list[i]);

		if (!p)
			return ev_usage("--publish: '%s' is not HOST:APP (ports 1..65535)", v->list[i]);
		json_array_append_new(json_object_get(spec, "ports"), p);
	}
	v = cmdtab_val(a, "network");
	for (i = 0; i < v->nlist; i++)
		json_array_append_new(json_object_get(spec, "networks"), json_string(v->list[i]));
	return EXIT_OK;
}

/* One --allow TYPE:VALUE as the matches of an ACL entry; NULL if bad. */
static json_t *allow_matches(const char *arg)
{
	const char *colon = strchr(arg, ':');
	size_t tl = colon ? (size_t)(colon - arg) : 0;

	if (!colon || !colon[1])
		return NULL;
	if ((tl == 2 && !strncmp(arg, "ip", 2)) || (tl == 4 && !strncmp(arg, "host", 4)))
		return json_pack("[{s:s%, s:s}]", "type", arg, tl, "value", colon + 1);
	if ((tl == 3 && !strncmp(arg, "tcp", 3)) || (tl == 3 && !strncmp(arg, "udp", 3)))
		return json_pack("[{s:s, s:s%}, {s:s, s:s}]", "type", "protocol", "value", arg, tl, "type",
				 "fport", "value", colon + 1);
	return NULL;
}

/* --allow: one ACL entry per rule and network (the controller checks the
 * values). */
static int deploy_allow(const struct cmd_args *a, json_t *spec)
{
	const struct cmd_val *v = cmdtab_val(a, "allow");
	json_t *nets = json_object_get(spec, "networks"), *acls, *net;
	size_t i, j;

	if (json_array_size(json_object_get(spec, "ports")) && !json_array_size(nets))
		return ev_usage(
		    "--publish needs --network: a port map goes to the app's address on a network");
	if (!v->nlist)
		return EXIT_OK;
	if (!json_array_size(nets))
		return ev_usage("--allow needs --network: the rules apply to the app's network adapters");
	acls = json_array();
	json_object_set_new(spec, "acls", acls);
	for (i = 0; i < v->nlist; i++) {
		json_t *m = allow_matches(v->list[i]);

		if (!m)
			return ev_usage("--allow: '%s' is not ip:CIDR, host:NAME, tcp:PORT or udp:PORT",
					v->list[i]);
		json_array_foreach(nets, j, net)
		{
			json_array_append_new(acls, json_pack("{s:O, s:O}", "network", net, "matches", m));
		}
		json_decref(m);
	}
	return EXIT_OK;
}

/* --volume NAME[:/MOUNT] -> spec "volumes": [{name, mount}]. */
static int deploy_volumes(const struct cmd_args *a, json_t *spec)
{
	const struct cmd_val *v = cmdtab_val(a, "volume");
	json_t *vols;
	size_t i;

	if (!v->nlist)
		return EXIT_OK;
	vols = json_array();
	json_object_set_new(spec, "volumes", vols);
	for (i = 0; i < v->nlist; i++) {
		const char *colon = strchr(v->list[i], ':');
		size_t n = colon ? (size_t)(colon - v->list[i]) : strlen(v->list[i]);
		json_t *e;

		if (n == 0 || n > 64 || (colon && colon[1] != '/'))
			return ev_usage("--volume: '%s' is not NAME or NAME:/MOUNT", v->list[i]);
		e = json_pack("{s:s%}", "name", v->list[i], n);
		if (e && colon)
			json_object_set_new(e, "mount", json_string(colon + 1));
		json_array_append_new(vols, e);
	}
	return EXIT_OK;
}

/* The full spec from the deploy options (same defaults as manifests). */
static int deploy_spec(const struct cmd_args *a, json_t **out)
{
	const struct cmd_val *cpus = cmdtab_val(a, "cpus");
	const char *dev = cmdtab_str(a, "device");
	json_t *spec;
	int code;

	if (!dev == !cmdtab_val(a, "selector")->nlist)
		return ev_usage("app deploy: give exactly one of --device or --selector");
	if (cpus->set && (cpus->num < 1 || cpus->num > 256))
		return ev_usage("--cpus: must be 1..256");
	spec = json_pack("{s:s, s:s, s:I, s:i, s:i, s:[], s:[], s:{}, s:b, s:b}", "name", a->pos[0], "image",
			 cmdtab_str(a, "image"), "cpus", (json_int_t)(cpus->set ? cpus->num : 1), "memory_mb",
			 256, "disk_mb", 0, "networks", "ports", "env", "vnc", cmdtab_flag(a, "vnc"),
			 "activate", !cmdtab_flag(a, "stopped"));
	if (!spec)
		return ev_fail(EXIT_USAGE, "out of memory");
	if (dev)
		json_object_set_new(spec, "device", json_string(dev));
	if (cmdtab_str(a, "project"))
		json_object_set_new(spec, "project", json_string(cmdtab_str(a, "project")));
	if ((cmdtab_str(a, "ramdisk") || cmdtab_str(a, "cmdline")) && !cmdtab_str(a, "kernel")) {
		json_decref(spec);
		return ev_usage("app deploy: --ramdisk and --cmdline need --kernel");
	}
	for (const char *const *k = (const char *const[]){"kernel", "ramdisk", "cmdline", NULL}; *k; k++)
		if (cmdtab_str(a, *k))
			json_object_set_new(spec, *k, json_string(cmdtab_str(a, *k)));
	/* any-app: without --cpus, the pin set says how many vCPUs */
	if (cmdtab_str(a, "user-data")) {
		uint8_t *ud = NULL;
		size_t len = 0;
		json_t *v = NULL;
		if (fileio_read(cmdtab_str(a, "user-data"), 64u << 10, &ud, &len) == 0 &&
		    !(len && memchr(ud, 0, len)))
			v = json_stringn(ud ? (char *)ud : "", len); /* NULL unless UTF-8 */
		free(ud);
		if (!v) {
			json_decref(spec);
			return ev_usage("--user-data: a readable UTF-8 text file of at most 64 KiB");
		}
		json_object_set_new(spec, "user_data", v);
	}
	if (cmdtab_str(a, "boot"))
		json_object_set_new(spec, "boot", json_string(cmdtab_str(a, "boot")));
	if (cmdtab_val(a, "io")->nlist) {
		json_t *io = json_array();
		for (size_t i = 0; i < cmdtab_val(a, "io")->nlist; i++)
			json_array_append_new(io, json_string(cmdtab_val(a, "io")->list[i]));
		json_object_set_new(spec, "io", io);
	}
	if (cmdtab_str(a, "cpus-pinned")) {
		json_object_set_new(spec, "cpus_pinned", json_string(cmdtab_str(a, "cpus-pinned")));
		if (!cpus->set)
			json_object_del(spec, "cpus");
	}
	code = size_mib(a, "memory", 1, spec, "memory_mb");
	if (code == EXIT_OK)
		code = size_mib(a, "disk", 0, spec, "disk_mb");
	if (code == EXIT_OK)
		code = deploy_lists(a, spec);
	if (code == EXIT_OK)
		code = deploy_allow(a, spec);
	if (code == EXIT_OK)
		code = deploy_volumes(a, spec);
	if (code == EXIT_OK && cmdtab_val(a, "rollback-after")->set)
		json_object_set_new(spec, "rollback_after_s",
				    json_integer((json_int_t)cmdtab_val(a, "rollback-after")->num));
	if (code) {
		json_decref(spec);
		return code;
	}
	*out = spec;
	return EXIT_OK;
}

static void print_app(struct cmd_args *a, const json_t *app)
{
	const json_t *inst = json_object_get(app, "instances");

	ev_print_object(a, app_cols, app, "id");
	if (ev_mode(a) != OUT_JSON && ev_mode(a) != OUT_QUIET && json_array_size(inst)) {
		putchar('\n');
		out_table(stdout, instance_cols, inst, OUT_TABLE, "id");
	}
}

int cmd_app_deploy(struct cmd_args *a)
{
	json_t *spec = NULL, *resp = NULL;
	int code = deploy_spec(a, &spec);

	if (code)
		return code;
	code = ev_request(a, "POST", "/apps", spec, &resp);
	if (code == EXIT_OK)
		print_app(a, resp);
	json_decref(spec);
	json_decref(resp);
	return code;
}

int cmd_app_list(struct cmd_args *a)
{
	const char *dev = cmdtab_str(a, "device");
	char *path = dev ? ev_path("/apps?device=%s", dev) : strdup("/apps");
	json_t *resp = NULL;
	int code = ev_list(a, path, &resp);

	if (code == EXIT_OK)
		ev_print_list(a, app_cols, resp, "id");
	free(path);
	json_decref(resp);
	return code;
}

static int app_fetch(struct cmd_args *a, json_t **app)
{
	char *path = ev_path("/apps/%s", a->pos[0]);
	int code = ev_request(a, "GET", path, NULL, app);

	free(path);
	return code;
}

int cmd_app_get(struct cmd_args *a)
{
	json_t *app = NULL;
	int code = app_fetch(a, &app);

	if (code == EXIT_OK)
		print_app(a, app);
	json_decref(app);
	return code;
}

int cmd_app_action(struct cmd_args *a)
{
	const char *verb = strrchr(a->cmd->name, ' ') + 1;
	char *path = ev_path("/apps/%s/", a->pos[0]), *full = NULL;
	json_t *resp = NULL;
	int code;

	if (path && asprintf(&full, "%s%s", path, verb) < 0)
		full = NULL;
	code = ev_request(a, "POST", full, NULL, &resp);
	if (code == EXIT_OK)
		ev_done(a, resp, "app/%s: %s requested", a->pos[0], verb);
	free(path);
	free(full);
	json_decref(resp);
	return code;
}

int cmd_app_delete(struct cmd_args *a)
{
	char *path =
	    ev_path(cmdtab_flag(a, "with-volumes") ? "/apps/%s?with_volumes=true" : "/apps/%s", a->pos[0]);
	int code = ev_request(a, "DELETE", path, NULL, NULL);

	free(path);
	if (code == EXIT_OK)
		ev_done(a, NULL, "app/%s deleted", a->pos[0]);
	return code;
}

int cmd_app_logs(struct cmd_args *a)
{
	char *base = ev_path("/apps/%s", a->pos[0]);
	int code = base ? logs_run(a, base) : ev_fail(EXIT_USAGE, "out of memory");

	free(base);
	return code;
}

/* Where an instance stands for app wait. */
enum inst_wait { INST_PENDING, INST_DONE, INST_FAILED };

/* An instance counts once the device reported the generation the
 * controller asks for (restart, purge, start/stop and spec changes each
 * make a new one); until then its state is stale. "UNKNOWN" with no report
 * at all is current: nothing was ever reported. */
static enum inst_wait inst_wait_state(const json_t *e, const char *state)
{
	const char *st = json_string_value(json_object_get(e, "state"));
	const char *gen = json_string_value(json_object_get(e, "generation"));
	const char *rep = json_string_value(json_object_get(e, "reported_generation"));
	bool current =
	    !gen || (rep && strcmp(rep, gen) == 0) || ((!rep || !*rep) && st && strcmp(st, "UNKNOWN") == 0);

	if (!current || !st)
		return INST_PENDING;
	if (strcasecmp(st, state) == 0)
		return INST_DONE;
	if (strcmp(st, "ERROR") == 0)
		return INST_FAILED;
	return INST_PENDING;
}

/* INST_DONE when every instance (and at least one) is; INST_FAILED (and the
 * failed one in *failed) as soon as one is in ERROR for the new generation. */
static enum inst_wait app_wait_state(const json_t *app, const char *state, const json_t **failed)
{
	const json_t *inst = json_object_get(app, "instances"), *e;
	enum inst_wait all = INST_DONE;
	size_t i;

	if (json_array_size(inst) == 0)
		return INST_PENDING;
	json_array_foreach(inst, i, e)
	{
		enum inst_wait w = inst_wait_state(e, state);

		if (w == INST_FAILED) {
			*failed = e;
			return INST_FAILED;
		}
		if (w == INST_PENDING)
			all = INST_PENDING;
	}
	return all;
}

/* "edge-1: RUNNING (generation 1.0.0.1, want 1.1.0.1)" for the first
 * instance that is not there yet. */
static void wait_why(const json_t *app, const char *state, char *buf, size_t n)
{
	const json_t *e;
	size_t i;

	buf[0] = 0;
	json_array_foreach(json_object_get(app, "instances"), i, e)
	{
		const char *gen = json_string_value(json_object_get(e, "generation"));
		const char *rep = json_string_value(json_object_get(e, "reported_generation"));

		if (inst_wait_state(e, state) == INST_DONE)
			continue;
		bool stale = gen && rep && strcmp(gen, rep) != 0;

		if (stale)
			snprintf(buf, n, " (%s: last reported %s for generation %s, waiting for %s)",
				 json_string_value(json_object_get(e, "device_name")) ?: "?",
				 json_string_value(json_object_get(e, "state")) ?: "?", *rep ? rep : "none",
				 gen);
		else
			snprintf(buf, n, " (%s: %s)",
				 json_string_value(json_object_get(e, "device_name")) ?: "?",
				 json_string_value(json_object_get(e, "state")) ?: "?");
		return;
	}
}

int cmd_app_wait(struct cmd_args *a)
{
	const char *state = cmdtab_str(a, "state");
	const struct cmd_val *tmo = cmdtab_val(a, "timeout");
	double deadline = monotime_s() + (double)(tmo->set ? tmo->num : 120);
	const json_t *failed = NULL;
	json_t *app = NULL;
	char why[512];
	int code;

	for (;;) {
		json_decref(app);
		app = NULL;
		code = app_fetch(a, &app);
		if (code)
			break;
		enum inst_wait w = app_wait_state(app, state, &failed);
		if (w == INST_DONE) {
			if (ev_mode(a) == OUT_JSON)
				out_json(stdout, app);
			else if (ev_mode(a) != OUT_QUIET)
				printf("app/%s is %s\n", a->pos[0], state);
			break;
		}
		if (w == INST_FAILED) {
			const char *err = json_string_value(json_object_get(failed, "error"));

			code = ev_fail(EXIT_REJECTED, "app/%s on %s is ERROR: %s", a->pos[0],
				       json_string_value(json_object_get(failed, "device_name")) ?: "?",
				       err && *err ? err : "(the device gave no reason)");
			break;
		}
		if (monotime_s() + WAIT_POLL_S > deadline) {
			wait_why(app, state, why, sizeof(why));
			code = ev_fail(EXIT_TIMEOUT, "app/%s: not %s after %s%s", a->pos[0], state,
				       tmo->set ? tmo->str : "120s", why);
			break;
		}
		sleep(WAIT_POLL_S);
	}
	json_decref(app);
	return code;
}
