// SPDX-License-Identifier: Apache-2.0
/* onboard add|list|remove: onboarding certificates and their serials. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "crypto.h"
#include "err.h"
#include "evectl.h"
#include "fileio.h"
#include "hexstr.h"

#define CERT_MAX_BYTES (64 * 1024)
#define SERIAL_MAX_LEN 128

static const struct out_col onboard_cols[] = {
    {"ID", "id"}, {"SUBJECT", "subject"}, {"SERIALS", "serials"}, {"AGE", "created", out_fmt_age}, {NULL},
};

/* Every --serial value, comma-split, into a JSON array. */
static int serials_json(const struct cmd_args *a, json_t **out)
{
	const struct cmd_val *v = cmdtab_val(a, "serial");
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr && i < v->nlist; i++) {
		char *copy = strdup(v->list[i]), *save = NULL, *tok;

		for (tok = copy ? strtok_r(copy, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save)) {
			if (strlen(tok) > SERIAL_MAX_LEN) {
				free(copy);
				json_decref(arr);
				return ev_usage("--serial: '%.20s...' is longer than %d", tok,
						SERIAL_MAX_LEN);
			}
			json_array_append_new(arr, json_string(tok));
		}
		free(copy);
	}
	if (!arr || json_array_size(arr) == 0) {
		json_decref(arr);
		return ev_usage("--serial: give at least one serial (or '*')");
	}
	*out = arr;
	return EXIT_OK;
}

/* The API id of a certificate: sha256 hex of its DER. */
static int cert_id(const char *pem, size_t len, char id[2 * CRYPTO_SHA256_LEN + 1])
{
	X509 *x = NULL;
	uint8_t h[CRYPTO_SHA256_LEN];
	int r = crypto_cert_from_pem(pem, len, &x);

	if (r == 0)
		r = crypto_cert_hash_der(x, h);
	if (r == 0)
		hexstr_encode(h, sizeof(h), id);
	X509_free(x);
	return r;
}

/* The serial list after --append (union, in order) or --remove
 * (difference) on have; NULL on ENOMEM. */
static json_t *serials_merge(const json_t *have, const json_t *given, bool remove)
{
	json_t *out = json_array(), *v, *g;
	size_t i, j;

	json_array_foreach((json_t *)have, i, v)
	{
		bool drop = false;

		json_array_foreach((json_t *)given, j, g) drop |= remove && json_equal(v, g);
		if (!drop)
			json_array_append(out, v);
	}
	json_array_foreach((json_t *)given, j, g)
	{
		bool dup = false;

		json_array_foreach(out, i, v) dup |= json_equal(v, g);
		if (!remove && !dup)
			json_array_append(out, g);
	}
	return out;
}

/* The certificate is known already: replace its serial list, or with
 * --append/--remove change it. */
static int onboard_replace(struct cmd_args *a, const char *pem, size_t len, json_t *serials, json_t **resp)
{
	char id[2 * CRYPTO_SHA256_LEN + 1], *path;
	bool append = cmdtab_flag(a, "append"), remove = cmdtab_flag(a, "remove");
	json_t *body = NULL, *cur = NULL, *list = NULL;
	int code;

	if (cert_id(pem, len, id) < 0)
		return ev_usage("--cert: not a PEM certificate");
	path = ev_path("/onboard/%s", id);
	if (append || remove) {
		code = ev_request(a, "GET", path, NULL, &cur);
		if (code)
			goto out;
		list = serials_merge(json_object_get(cur, "serials"), serials, remove);
		if (json_array_size(list) == 0) {
			code = ev_usage(
			    "--remove: that leaves no serial; 'evectl onboard remove %s' removes the "
			    "certificate",
			    id);
			goto out;
		}
	}
	body = json_pack("{s:O}", "serials", list ? list : serials);
	code = ev_request(a, "PUT", path, body, resp);
out:
	free(path);
	json_decref(body);
	json_decref(cur);
	json_decref(list);
	return code;
}

int cmd_onboard_add(struct cmd_args *a)
{
	const char *file = cmdtab_str(a, "cert");
	uint8_t *pem = NULL;
	size_t len = 0;
	json_t *serials = NULL, *body = NULL, *resp = NULL;
	struct api *api;
	int code, r;

	if (cmdtab_flag(a, "append") && cmdtab_flag(a, "remove"))
		return ev_usage("onboard add: give at most one of --append or --remove");
	r = fileio_read(file, CERT_MAX_BYTES, &pem, &len);
	if (r < 0)
		return ev_usage("--cert %s: %s", file, r == -EVE_ETOOBIG ? "file too large" : strerror(-r));
	code = serials_json(a, &serials);
	if (code)
		goto out;
	body = json_pack("{s:s%, s:O}", "cert", (const char *)pem, len, "serials", serials);
	api = ev_api(a, &code);
	if (!api)
		goto out;
	if (cmdtab_flag(a, "remove")) /* nothing to create: only an existing list shrinks */
		r = -EVE_EHTTP;
	else
		r = api_call(api, "POST", "/onboard", body, &resp);
	if (r == -EVE_EHTTP && (cmdtab_flag(a, "remove") || api_status(api) == 409))
		code = onboard_replace(a, (const char *)pem, len, serials, &resp);
	else if (r < 0)
		code = ev_api_error(a, r);
	if (code == EXIT_OK && ev_mode(a) == OUT_TABLE) {
		char list[1024];

		out_fmt_value(resp, "serials", list, sizeof(list));
		printf("onboard/%s: serials now %s\n", json_string_value(json_object_get(resp, "id")) ?: "?",
		       list);
	} else if (code == EXIT_OK) {
		ev_print_object(a, onboard_cols, resp, "id");
	}
out:
	free(pem);
	json_decref(serials);
	json_decref(body);
	json_decref(resp);
	return code;
}

int cmd_onboard_list(struct cmd_args *a)
{
	json_t *resp = NULL;
	int code = ev_list(a, "/onboard", &resp);

	if (code == EXIT_OK)
		ev_print_list(a, onboard_cols, resp, "id");
	json_decref(resp);
	return code;
}

int cmd_onboard_remove(struct cmd_args *a)
{
	char *path = ev_path("/onboard/%s", a->pos[0]);
	int code = ev_request(a, "DELETE", path, NULL, NULL);

	free(path);
	if (code == EXIT_OK)
		ev_done(a, NULL, "onboard/%s removed", a->pos[0]);
	return code;
}
