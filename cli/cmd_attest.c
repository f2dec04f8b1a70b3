// SPDX-License-Identifier: Apache-2.0
/* device attest show|accept|reset|policy|allow-no-tpm: remote attestation
 * state and its admin decisions (/api/v1/devices/{d}/attest). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "evectl.h"
#include "output.h"

static const struct out_col attest_cols[] = {
    {"DEVICE", "device"},
    {"STATE", "state"},
    {"DETAIL", "detail"},
    {"POLICY", "policy"},
    {"OVERRIDE", "policy_override"},
    {"ALLOW NO TPM", "allow_no_tpm"},
    {"ATTESTATION KEY", "has_attestation_key"},
    {"CONFIG FROZEN", "frozen"},
    {"QUOTED", "quoted"},
    {"EVENT LOG", "event_log_check"},
    {NULL},
};

static void fmt_short(const json_t *obj, const char *key, char *buf, size_t n)
{
	const char *s = json_string_value(json_object_get(obj, key));

	snprintf(buf, n, "%.16s%s", s && *s ? s : "-", s && strlen(s) > 16 ? "..." : "");
}

static const struct out_col pcr_cols[] = {
    {"PCR", "index"},
    {"DIFFERS", "differs"},
    {"VALUE", "value", fmt_short},
    {"BASELINE", "baseline", fmt_short},
    {NULL},
};

/* The measurement log of the last quote (attest_evlog.c on the controller). */
static const struct out_col evlog_cols[] = {
    {"#", "index"}, {"PCR", "pcr"}, {"SHA256", "sha256", fmt_short}, {"EVENT", "event"}, {NULL},
};

static void print_attest(struct cmd_args *a, const json_t *j)
{
	json_t *pcrs = json_object_get(j, "pcrs"), *ev = json_object_get(j, "event_log");

	ev_print_object(a, attest_cols, j, "device");
	if (ev_mode(a) != OUT_JSON && ev_mode(a) != OUT_QUIET && json_array_size(pcrs)) {
		putchar('\n');
		out_table(stdout, pcr_cols, pcrs, ev_mode(a), "index");
	}
	if (ev_mode(a) != OUT_JSON && ev_mode(a) != OUT_QUIET && json_array_size(ev)) {
		putchar('\n');
		out_table(stdout, evlog_cols, ev, ev_mode(a), "index");
	}
}

static int attest_post(struct cmd_args *a, json_t *body)
{
	char *path = ev_path("/devices/%s/attest", a->pos[0]);
	json_t *resp = NULL;
	int code = ev_request(a, "POST", path, body, &resp);

	if (code == EXIT_OK)
		print_attest(a, resp);
	json_decref(resp);
	json_decref(body);
	free(path);
	return code;
}

int cmd_device_attest_show(struct cmd_args *a)
{
	char *path = ev_path("/devices/%s/attest", a->pos[0]);
	json_t *resp = NULL;
	int code = ev_request(a, "GET", path, NULL, &resp);

	if (code == EXIT_OK)
		print_attest(a, resp);
	json_decref(resp);
	free(path);
	return code;
}

int cmd_device_attest_accept(struct cmd_args *a)
{
	return attest_post(a, json_pack("{s:s}", "action", "accept"));
}

int cmd_device_attest_reset(struct cmd_args *a)
{
	return attest_post(a, json_pack("{s:s}", "action", "reset"));
}

int cmd_device_attest_policy(struct cmd_args *a)
{
	const char *p = a->pos[1];

	if (strcmp(p, "off") && strcmp(p, "report") && strcmp(p, "enforce") && strcmp(p, "default"))
		return ev_usage("policy: off, report, enforce or default (controller.conf), not %s", p);
	return attest_post(a, json_pack("{s:s}", "policy", p));
}

int cmd_device_attest_allow_no_tpm(struct cmd_args *a)
{
	const char *v = a->pos[1];

	if (strcmp(v, "on") && strcmp(v, "off"))
		return ev_usage("allow-no-tpm: on or off, not %s", v);
	return attest_post(a, json_pack("{s:b}", "allow_no_tpm", !strcmp(v, "on")));
}
