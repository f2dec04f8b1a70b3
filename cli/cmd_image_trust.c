// SPDX-License-Identifier: Apache-2.0
/* image trust add|list|remove: the publisher keys every device trusts
 * besides the keys of its own config dir (controller/trustkeys.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "err.h"
#include "evectl.h"
#include "fileio.h"

#define KEY_MAX_BYTES (64 * 1024)

static const struct out_col trust_cols[] = {
    {"NAME", "name"},
    {"FINGERPRINT", "fingerprint"},
    {"CONFIG ITEM", "config_item"},
    {"AGE", "created", out_fmt_age},
    {"KEY", "key", NULL, true},
    {NULL},
};

int cmd_image_trust_add(struct cmd_args *a)
{
	const char *file = cmdtab_str(a, "key");
	uint8_t *pem = NULL;
	size_t len = 0;
	json_t *body = NULL, *resp = NULL;
	int code, r;

	r = fileio_read(file, KEY_MAX_BYTES, &pem, &len);
	if (r < 0)
		return ev_usage("--key %s: %s", file, r == -EVE_ETOOBIG ? "file too large" : strerror(-r));
	body = json_pack("{s:s, s:s%}", "name", a->pos[0], "key", (const char *)pem, len);
	code = body ? ev_request(a, "POST", "/image-trust-keys", body, &resp) : EXIT_USAGE;
	if (code == EXIT_OK)
		ev_print_object(a, trust_cols, resp, "name");
	free(pem);
	json_decref(body);
	json_decref(resp);
	return code;
}

int cmd_image_trust_list(struct cmd_args *a)
{
	json_t *resp = NULL;
	int code = ev_list(a, "/image-trust-keys", &resp);

	if (code == EXIT_OK)
		ev_print_list(a, trust_cols, resp, "name");
	json_decref(resp);
	return code;
}

int cmd_image_trust_remove(struct cmd_args *a)
{
	char *path = ev_path("/image-trust-keys/%s", a->pos[0]);
	int code = ev_request(a, "DELETE", path, NULL, NULL);

	free(path);
	if (code == EXIT_OK)
		ev_done(a, NULL,
			"image-trust-key/%s removed: devices stop trusting it with their next config",
			a->pos[0]);
	return code;
}
