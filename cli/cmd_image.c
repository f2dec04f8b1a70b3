// SPDX-License-Identifier: Apache-2.0
/* image add|upload|list|get|delete. Uploads hash the file locally first,
 * register that sha256, then stream the bytes; the controller re-hashes and
 * refuses a mismatch. */
#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "b64.h"
#include "commands.h"
#include "err.h"
#include "evectl.h"
#include "fileio.h"
#include "hexstr.h"
#include "progress.h"

#define SHA256_HEX_LEN 64

static const struct out_col image_cols[] = {
    {"NAME", "name"},
    {"FORMAT", "format"},
    {"SIZE", "size", out_fmt_size},
    {"STATE", "state"},
    {"AGE", "created", out_fmt_age},
    {"ID", "id", NULL, true},
    {"SHA256", "sha256", NULL, true},
    {"VERSION", "version", NULL, true},
    {"URL", "url", NULL, true},
    {"PROJECT", "project", NULL, true},
    {NULL},
};

static bool sha256_hex_ok(const char *s)
{
	return strlen(s) == SHA256_HEX_LEN && strspn(s, "0123456789abcdefABCDEF") == SHA256_HEX_LEN;
}

static bool registry_ref(const char *url)
{
	return strncmp(url, "docker://", 9) == 0 || strncmp(url, "oci://", 6) == 0;
}

/* --username / --password-file / --ca of a registry image into body. */
static int registry_opts(struct cmd_args *a, const char *url, json_t *body)
{
	const char *user = cmdtab_str(a, "username"), *pwf = cmdtab_str(a, "password-file"),
		   *ca = cmdtab_str(a, "registry-ca");
	uint8_t *data = NULL;
	size_t len = 0;

	if (!registry_ref(url) && (user || pwf || ca))
		return ev_usage(
		    "--username, --password-file, --registry-ca: only for docker:// or oci:// images");
	if (pwf && !user)
		return ev_usage("--password-file needs --username");
	if (user)
		json_object_set_new(body, "username", json_string(user));
	if (pwf) {
		if (fileio_read(pwf, 4096, &data, &len) < 0)
			return ev_usage("--password-file %s: cannot read it", pwf);
		data[strcspn((char *)data, "\r\n")] = '\0';
		json_object_set_new(body, "password", json_string((char *)data));
		explicit_bzero(data, len);
		free(data);
	}
	if (ca) {
		if (fileio_read(ca, 65536, &data, &len) < 0)
			return ev_usage("--registry-ca %s: cannot read it", ca);
		json_object_set_new(body, "ca", json_string((char *)data));
		free(data);
	}
	return 0;
}

/* --signature FILE (+ certificate URLs) into body: EVE's SignatureInfo. */
static int signature_opts(struct cmd_args *a, json_t *body)
{
	const char *file = cmdtab_str(a, "signature"), *signer = cmdtab_str(a, "signer-cert-url"),
		   *inter = cmdtab_str(a, "inter-cert-url");
	uint8_t *der = NULL;
	size_t len = 0;
	char *b64;
	int r;

	if (!file)
		return (signer || inter) ? ev_usage("--signer-cert-url / --inter-cert-url need --signature")
					 : 0;
	r = fileio_read(file, 4096, &der, &len);
	if (r < 0)
		return ev_usage("--signature %s: %s", file,
				r == -EVE_ETOOBIG ? "file too large" : strerror(-r));
	b64 = b64_encode(der, len);
	free(der);
	if (!b64)
		return ev_fail(EXIT_USAGE, "out of memory");
	json_object_set_new(body, "signature", json_string(b64));
	free(b64);
	if (signer)
		json_object_set_new(body, "signer_cert_url", json_string(signer));
	if (inter)
		json_object_set_new(body, "inter_cert_url", json_string(inter));
	return 0;
}

int cmd_image_add(struct cmd_args *a)
{
	const char *sha = cmdtab_str(a, "sha256"), *url = cmdtab_str(a, "url"),
		   *ver = cmdtab_str(a, "version"), *fmt = cmdtab_str(a, "format");
	const struct cmd_val *size = cmdtab_val(a, "size");
	json_t *body, *resp = NULL;
	char lower[SHA256_HEX_LEN + 1] = "";
	size_t i;
	int code;

	if (sha && !sha256_hex_ok(sha))
		return ev_usage("--sha256: '%s' is not 64 hex digits", sha);
	if (!sha && !registry_ref(url))
		return ev_usage("--sha256 is required for http(s) images");
	if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0 && !registry_ref(url))
		return ev_usage("--url: '%s' is not an http(s)://, docker:// or oci:// URL", url);
	if (!fmt && !registry_ref(url))
		return ev_usage("--format is required for http(s) images");
	for (i = 0; sha && i <= SHA256_HEX_LEN; i++)
		lower[i] = (char)tolower((unsigned char)sha[i]);
	body = json_pack("{s:s, s:s, s:s, s:s}", "name", a->pos[0], "url", url, "sha256", lower, "format",
			 fmt ? fmt : "oci");
	if (cmdtab_str(a, "project"))
		json_object_set_new(body, "project", json_string(cmdtab_str(a, "project")));
	code = registry_opts(a, url, body);
	if (!code)
		code = signature_opts(a, body);
	if (code) {
		json_decref(body);
		return code;
	}
	if (size && size->set)
		json_object_set_new(body, "size", json_integer(size->num));
	if (ver)
		json_object_set_new(body, "version", json_string(ver));
	code = ev_request(a, "POST", "/images", body, &resp);
	if (code == EXIT_OK)
		ev_print_object(a, image_cols, resp, "name");
	json_decref(body);
	json_decref(resp);
	return code;
}

/* sha256 of the whole stream f into hex, leaving f rewound. */
static int file_sha256(FILE *f, char hex[SHA256_HEX_LEN + 1])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char chunk[64 * 1024], h[32];
	unsigned int hl = 0;
	size_t n;
	int r = -EIO;

	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto out;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (EVP_DigestUpdate(md, chunk, n) != 1)
			goto out;
	}
	if (ferror(f) || EVP_DigestFinal_ex(md, h, &hl) != 1)
		goto out;
	hexstr_encode(h, sizeof(h), hex);
	rewind(f);
	r = 0;
out:
	EVP_MD_CTX_free(md);
	return r;
}

/* Format from the option, else from the file name's extension. */
static const char *guess_format(const char *opt, const char *file)
{
	const char *dot = strrchr(file, '.');

	if (opt)
		return opt;
	if (dot && strcmp(dot, ".qcow2") == 0)
		return "qcow2";
	if (dot && strcmp(dot, ".iso") == 0)
		return "iso";
	if (dot && strcmp(dot, ".tar") == 0)
		return "oci";
	return "raw";
}

/* Make sure an image NAME with this sha256 exists (pending or ready). Sets
 * *ready when it is already uploaded with the same content. */
static int upload_register(struct cmd_args *a, const char *file, const char *hex, uint64_t size, bool *ready,
			   bool *created)
{
	char *path = ev_path("/images/%s", a->pos[0]);
	json_t *img = NULL, *body = NULL;
	struct api *api;
	int code, r;

	api = ev_api(a, &code);
	if (!api)
		goto out;
	r = api_call(api, "GET", path, NULL, &img);
	if (r == 0) {
		const char *have = json_string_value(json_object_get(img, "sha256"));

		if (!have || strcasecmp(have, hex) != 0) {
			code = ev_fail(EXIT_REJECTED,
				       "image %s exists with another sha256 (%s): delete it first", a->pos[0],
				       have ? have : "none");
			goto out;
		}
		*ready = json_is_string(json_object_get(img, "state")) &&
			 strcmp(json_string_value(json_object_get(img, "state")), "ready") == 0;
		goto out;
	}
	if (r != -ENOENT) {
		code = ev_api_error(a, r);
		goto out;
	}
	body = json_pack("{s:s, s:s, s:s, s:I}", "name", a->pos[0], "sha256", hex, "format",
			 guess_format(cmdtab_str(a, "format"), file), "size", (json_int_t)size);
	if (cmdtab_str(a, "version"))
		json_object_set_new(body, "version", json_string(cmdtab_str(a, "version")));
	if (cmdtab_str(a, "project"))
		json_object_set_new(body, "project", json_string(cmdtab_str(a, "project")));
	code = signature_opts(a, body);
	if (!code)
		code = ev_request(a, "POST", "/images", body, NULL);
	*created = code == EXIT_OK;
out:
	free(path);
	json_decref(img);
	json_decref(body);
	return code;
}

static int upload_send(struct cmd_args *a, FILE *f, uint64_t size, const char *hex)
{
	char *path = ev_path("/images/%s/data", a->pos[0]);
	struct progress p;
	json_t *img = NULL;
	const char *got;
	int code = EXIT_OK, r;

	progress_init(&p, stderr, a->pos[0], false);
	r = api_upload(((struct evectl *)a->ctx)->api, path, f, size, progress_update, &p, &img);
	progress_end(&p);
	if (r < 0) {
		code = ev_api_error(a, r);
		goto out;
	}
	got = json_string_value(json_object_get(img, "sha256"));
	if (!got || strcasecmp(got, hex) != 0) {
		code = ev_fail(EXIT_REJECTED, "the controller reports sha256 %s, not %s", got ? got : "none",
			       hex);
		goto out;
	}
	ev_print_object(a, image_cols, img, "name");
out:
	free(path);
	json_decref(img);
	return code;
}

int cmd_image_upload(struct cmd_args *a)
{
	const char *file = a->pos[1];
	char hex[SHA256_HEX_LEN + 1];
	bool ready = false, created = false;
	struct stat st;
	FILE *f = fopen(file, "rb");
	int code;

	if (!f)
		return ev_usage("%s: %s", file, strerror(errno));
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		code = ev_usage("%s: not a regular file", file);
		goto out;
	}
	if (file_sha256(f, hex) < 0) {
		code = ev_usage("%s: read error", file);
		goto out;
	}
	code = upload_register(a, file, hex, (uint64_t)st.st_size, &ready, &created);
	if (code)
		goto out;
	if (ready) {
		/* same name, same bytes: nothing to send */
		json_t *img = NULL;
		char *path = ev_path("/images/%s", a->pos[0]);

		code = ev_request(a, "GET", path, NULL, &img);
		if (code == EXIT_OK)
			ev_print_object(a, image_cols, img, "name");
		free(path);
		json_decref(img);
		goto out;
	}
	code = upload_send(a, f, (uint64_t)st.st_size, hex);
	if (code == EXIT_REJECTED && created) {
		/* refused (e.g. not the format it claims): leave no pending
		 * registration behind that would block a corrected upload */
		char *path = ev_path("/images/%s", a->pos[0]);
		struct api *api = ((struct evectl *)a->ctx)->api;

		if (path && api)
			api_call(api, "DELETE", path, NULL, NULL);
		free(path);
	}
out:
	fclose(f);
	return code;
}

int cmd_image_list(struct cmd_args *a)
{
	json_t *resp = NULL;
	int code = ev_list(a, "/images", &resp);

	if (code == EXIT_OK)
		ev_print_list(a, image_cols, resp, "name");
	json_decref(resp);
	return code;
}

int cmd_image_get(struct cmd_args *a)
{
	char *path = ev_path("/images/%s", a->pos[0]);
	json_t *img = NULL;
	int code = ev_request(a, "GET", path, NULL, &img);

	if (code == EXIT_OK)
		ev_print_object(a, image_cols, img, "name");
	free(path);
	json_decref(img);
	return code;
}

int cmd_image_delete(struct cmd_args *a)
{
	char *path = ev_path("/images/%s", a->pos[0]);
	int code = ev_request(a, "DELETE", path, NULL, NULL);

	free(path);
	if (code == EXIT_OK)
		ev_done(a, NULL, "image/%s deleted", a->pos[0]);
	return code;
}
