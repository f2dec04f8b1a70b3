// SPDX-License-Identifier: Apache-2.0
/* Admin API of remote attestation: GET / POST /api/v1/devices/{d}/attest
 * (docs/admin-api.md). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "admin.h"
#include "attest.h"
#include "ctl.h"
#include "store.h"
#include "err.h"
#include "hexstr.h"

static json_t *pcr_list(struct store_stmt *st, int last_col, int base_col)
{
	json_t *a = json_array();
	size_t nlast, nbase;
	const uint8_t *last = store_col_blob(st, last_col, &nlast),
		      *base = store_col_blob(st, base_col, &nbase);
	bool has_last = nlast == ATTEST_NPCR * 32;
	bool has_base = nbase == ATTEST_NPCR * 32;

	for (int i = 0; a && (has_last || has_base) && i < ATTEST_NPCR; i++) {
		char lh[65] = "", bh[65] = "";
		if (has_last)
			hexstr_encode(last + i * 32, 32, lh);
		if (has_base)
			hexstr_encode(base + i * 32, 32, bh);
		json_array_append_new(a,
				      json_pack("{s:i,s:s,s:s,s:b}", "index", i, "value", lh, "baseline", bh,
						"differs", has_last && has_base && strcmp(lh, bh) != 0));
	}
	return a;
}

static json_t *show(struct ctl *c, struct store *d, const char *uuid)
{
	struct store_stmt *st = store_stmt(
	    d, "SELECT state, detail, policy, allow_no_tpm, ak_pem IS NOT NULL, last_pcrs,"
	       " baseline, quoted, updated, good_hash, vault_key IS NOT NULL, event_log, event_log_check"
	       " FROM attest WHERE device_id = ?1");
	int global = attest_policy_parse(c->conf.attestation);
	json_t *j;

	if (!st)
		return NULL;
	store_bind_text(st, 1, uuid);
	if (store_step(st) != STORE_ROW) {
		store_reset(st);
		return json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:b,s:b,s:[]}", "device", uuid, "state", "unknown",
				 "detail", "the device has not attested", "policy",
				 attest_policy_name(global), "policy_override", "", "allow_no_tpm", 0,
				 "has_attestation_key", 0, "frozen", 0, "pcrs");
	}
	const char *state = store_col_str(st, 0), *ovr = store_col_str(st, 2);
	int p = attest_policy_parse(ovr);
	int eff = p >= 0 ? p : global;
	j = json_pack(
	    "{s:s,s:s,s:s,s:s,s:s,s:b,s:b,s:b,s:o,s:o,s:o}", "device", uuid, "state", state, "detail",
	    store_col_str(st, 1), "policy", attest_policy_name(eff), "policy_override", ovr, "allow_no_tpm",
	    store_col_int(st, 3), "has_attestation_key", store_col_int(st, 4), "frozen",
	    eff == ATTEST_ENFORCE && !strcmp(state, "failed") && store_col_type(st, 9) == STORE_TEXT,
	    "quoted", admin_time_json(store_col_int64(st, 7)), "updated",
	    admin_time_json(store_col_int64(st, 8)), "pcrs", pcr_list(st, 5, 6));
	if (j) {
		const char *ev = store_col_str(st, 11);
		json_t *evj = ev[0] ? json_loads(ev, 0, NULL) : NULL;

		json_object_set_new(j, "vault_key_escrowed", json_boolean(store_col_int(st, 10)));
		json_object_set_new(j, "event_log", evj ? evj : json_array());
		json_object_set_new(j, "event_log_check", json_string(store_col_str(st, 12)));
	}
	store_reset(st);
	return j;
}

static void h_get(struct http_req *r)
{
	char uuid[UUID_STR_LEN];
	struct store *d = store_get(r->ctl->db);
	int e = admin_device_resolve(d, r->params[0], uuid);
	json_t *j = e == 0 ? show(r->ctl, d, uuid) : NULL;

	store_put(r->ctl->db, d);
	if (e < 0)
		admin_reply_err(r, e, "device");
	else if (!j)
		admin_reply_err(r, -EIO, "attestation");
	else
		http_reply_json(r, 200, j);
}

static int run(struct store *d, const char *sql, const char *uuid, const char *text, int64_t num)
{
	struct store_stmt *st = store_stmt(d, sql);

	if (!st)
		return -EIO;
	store_bind_text(st, 1, uuid);
	if (store_param_count(st) >= 2)
		store_bind_text(st, 2, text);
	if (store_param_count(st) >= 3)
		store_bind_int64(st, 3, num);
	return store_step_done(st);
}

/* accept: the last verified quote's PCRs become the baseline (state ok);
 * reset: forget the baseline and the token (the next quote sets it). */
static int action(struct store *d, const char *uuid, const char *what, char *err, size_t errlen)
{
	int e;

	if (!strcmp(what, "accept")) {
		e = run(
		    d,
		    "UPDATE attest SET baseline = last_pcrs, state = 'ok', detail = 'baseline accepted by an"
		    " admin', updated = ?3 WHERE device_id = ?1 AND last_pcrs IS NOT NULL",
		    uuid, NULL, (int64_t)time(NULL));
		if (e == 0 && store_changes(d) == 0) {
			snprintf(err, errlen,
				 "no verified quote to accept: the device has not attested with a TPM");
			return -EEXIST;
		}
		return e;
	}
	if (!strcmp(what, "reset"))
		return run(
		    d,
		    "UPDATE attest SET baseline = NULL, state = 'unknown', detail = 'reset by an admin',"
		    " token_hash = NULL, updated = ?3 WHERE device_id = ?1",
		    uuid, NULL, (int64_t)time(NULL));
	snprintf(err, errlen, "action: accept or reset");
	return -EINVAL;
}

static int apply(struct ctl *c, struct store *d, const char *uuid, json_t *body, char *err, size_t errlen)
{
	json_t *act = json_object_get(body, "action"), *pol = json_object_get(body, "policy"),
	       *allow = json_object_get(body, "allow_no_tpm");
	const char *k;
	json_t *v;
	int e = 0;

	json_object_foreach(body, k, v)
	{
		if (strcmp(k, "action") && strcmp(k, "policy") && strcmp(k, "allow_no_tpm")) {
			snprintf(err, errlen, "unknown key %.64s (action, policy, allow_no_tpm)", k);
			return -EINVAL;
		}
	}
	if ((act && !json_is_string(act)) || (pol && !json_is_string(pol)) ||
	    (allow && !json_is_boolean(allow)) ||
	    (pol && strcmp(json_string_value(pol), "default") &&
	     attest_policy_parse(json_string_value(pol)) < 0)) {
		snprintf(err, errlen, "policy: off, report, enforce or default; allow_no_tpm: true or false");
		return -EINVAL;
	}
	e = run(d, "INSERT INTO attest(device_id, updated) VALUES(?1, ?3) ON CONFLICT DO NOTHING", uuid, NULL,
		(int64_t)time(NULL));
	if (e == 0 && pol)
		e = run(d, "UPDATE attest SET policy = ?2 WHERE device_id = ?1", uuid,
			strcmp(json_string_value(pol), "default") ? json_string_value(pol) : "", 0);
	if (e == 0 && allow)
		e = run(d, "UPDATE attest SET allow_no_tpm = ?3 WHERE device_id = ?1", uuid, NULL,
			json_is_true(allow));
	if (e == 0 && act)
		e = action(d, uuid, json_string_value(act), err, errlen);
	attest_overrides_recount(c, d);
	return e;
}

static void h_post(struct http_req *r)
{
	char uuid[UUID_STR_LEN], err[160] = "";
	json_t *body = admin_body(r), *j = NULL;
	struct store *d;
	int e;

	if (!body)
		return;
	d = store_get(r->ctl->db);
	e = admin_device_resolve(d, r->params[0], uuid);
	if (e == 0 && store_begin(d) == 0) {
		e = apply(r->ctl, d, uuid, body, err, sizeof(err));
		if (e == 0)
			e = store_commit(d);
		else
			store_rollback(d);
	}
	if (e == 0)
		j = show(r->ctl, d, uuid);
	store_put(r->ctl->db, d);
	json_decref(body);
	if (err[0])
		http_reply_error(r, e == -EEXIST ? 409 : 400, "%s", err);
	else if (e < 0)
		admin_reply_err(r, e, "device");
	else if (!j)
		admin_reply_err(r, -EIO, "attestation");
	else
		http_reply_json(r, 200, j);
}

#define D ADMIN_PREFIX "/devices"
const struct http_route admin_attest_routes[] = {
    {"GET", D "/*/attest", h_get, 0, HTTP_AUTH_ADMIN, NULL},
    {"POST", D "/*/attest", h_post, ADMIN_JSON_CAP, HTTP_AUTH_ADMIN, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
