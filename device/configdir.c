// SPDX-License-Identifier: Apache-2.0
/* Configuration directory reader: every file is small, read with a cap, and
 * checked for what the agent will rely on. */
#include "configdir.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/x509.h>

#include "cosign.h"
#include "crypto.h"
#include "err.h"
#include "fileio.h"

#define SMALL_FILE_MAX 4096

static int fail(char *err, size_t errlen, int r, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return r;
}

static char *path_join(const char *dir, const char *name)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Whole small text file with trailing whitespace removed. */
static int read_text(const char *path, char **out)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	r = fileio_read(path, SMALL_FILE_MAX, &data, &len);
	if (r < 0)
		return r;
	if (memchr(data, '\0', len)) {
		free(data);
		return -EVE_EPROTO;
	}
	while (len && isspace(data[len - 1]))
		data[--len] = '\0';
	*out = (char *)data;
	return 0;
}

static bool server_valid(const char *s)
{
	const char *colon = strrchr(s, ':');
	char *end;
	long port;

	if (!colon || colon == s || strlen(s) > 255)
		return false;
	for (const char *p = s; p < colon; p++)
		if (!isalnum((unsigned char)*p) && !strchr(".-[]:", *p))
			return false;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	return !errno && *end == '\0' && end != colon + 1 && port > 0 && port < 65536;
}

static int load_server(struct configdir *cd, char *err, size_t errlen)
{
	char *path = path_join(cd->dir, "server");
	int r;

	if (!path)
		return -ENOMEM;
	r = read_text(path, &cd->server);
	if (r < 0)
		r = fail(err, errlen, r, "%s: %s", path, eve_strerror(r));
	else if (!server_valid(cd->server))
		r = fail(err, errlen, -EINVAL, "%s: expected host:port, got '%.64s'", path, cd->server);
	free(path);
	return r;
}

static int load_root(struct configdir *cd, char *err, size_t errlen)
{
	X509 *x = NULL;
	int r;

	cd->root_ca_path = path_join(cd->dir, "root-certificate.pem");
	if (!cd->root_ca_path)
		return -ENOMEM;
	r = crypto_cert_load_pem(cd->root_ca_path, &x);
	if (r < 0)
		return fail(err, errlen, r, "%s: %s", cd->root_ca_path,
			    r == -ENOENT ? "missing" : "not a PEM certificate");
	X509_free(x);
	return 0;
}

static int check_onboard_pair(struct configdir *cd, char *err, size_t errlen)
{
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	int r;

	r = crypto_cert_load_pem(cd->onboard_cert_path, &x);
	if (r < 0)
		return fail(err, errlen, r, "%s: not a PEM certificate", cd->onboard_cert_path);
	r = crypto_key_load_pem(cd->onboard_key_path, &key);
	if (r < 0) {
		r = fail(err, errlen, r, "%s: not a PEM private key", cd->onboard_key_path);
		goto out;
	}
	if (X509_check_private_key(x, key) != 1)
		r = fail(err, errlen, -EVE_EBADCERT, "%s: key does not match %s", cd->onboard_key_path,
			 cd->onboard_cert_path);
out:
	EVP_PKEY_free(key);
	X509_free(x);
	return r;
}

static int load_onboard(struct configdir *cd, char *err, size_t errlen)
{
	char *cert = path_join(cd->dir, "onboard.cert.pem");
	char *key = path_join(cd->dir, "onboard.key.pem");
	int r = 0;

	if (!cert || !key) {
		r = -ENOMEM;
		goto out;
	}
	if (!exists(cert) && !exists(key))
		goto out;
	if (!exists(cert) || !exists(key)) {
		r = fail(err, errlen, -ENOENT, "%s: missing (its pair %s exists)", exists(cert) ? key : cert,
			 exists(cert) ? cert : key);
		goto out;
	}
	cd->onboard_cert_path = cert;
	cd->onboard_key_path = key;
	cert = key = NULL;
	r = check_onboard_pair(cd, err, errlen);
out:
	free(cert);
	free(key);
	return r;
}

/* A file of interface names (blank separated) into names[]. */
static int load_names(struct configdir *cd, const char *file, char **names, size_t *n, char *err,
		      size_t errlen)
{
	char *path = path_join(cd->dir, file), *text = NULL, *save = NULL;
	int r;

	if (!path)
		return -ENOMEM;
	r = read_text(path, &text);
	if (r == -ENOENT) {
		r = 0;
		goto out;
	}
	if (r < 0) {
		r = fail(err, errlen, r, "%s: %s", path, eve_strerror(r));
		goto out;
	}
	for (char *tok = strtok_r(text, " \t\r\n", &save); tok; tok = strtok_r(NULL, " \t\r\n", &save)) {
		if (*n == CONFIGDIR_MAX_PORTS || strlen(tok) >= 16) {
			r = fail(err, errlen, -EINVAL, "%s: too many ports or name too long ('%.16s')", path,
				 tok);
			goto out;
		}
		names[*n] = strdup(tok);
		if (!names[(*n)++]) {
			r = -ENOMEM;
			goto out;
		}
	}
out:
	free(text);
	free(path);
	return r;
}

static int load_optional(struct configdir *cd, char *err, size_t errlen)
{
	char *path = path_join(cd->dir, "proxy");
	int r = 0;

	if (!path)
		return -ENOMEM;
	if (exists(path)) {
		r = read_text(path, &cd->proxy);
		if (r == 0 && strncmp(cd->proxy, "http://", 7) && strncmp(cd->proxy, "https://", 8))
			r = fail(err, errlen, -EINVAL, "%s: expected an http:// or https:// URL", path);
		else if (r < 0)
			r = fail(err, errlen, r, "%s: %s", path, eve_strerror(r));
	}
	free(path);
	if (r < 0)
		return r;
	path = path_join(cd->dir, "config-items");
	if (!path)
		return -ENOMEM;
	r = exists(path) ? read_text(path, &cd->config_items) : 0;
	if (r < 0)
		r = fail(err, errlen, r, "%s: %s", path, eve_strerror(r));
	free(path);
	if (r < 0)
		return r;
	path = path_join(cd->dir, "bootstrap-config.pb");
	if (!path)
		return -ENOMEM;
	if (exists(path))
		cd->bootstrap_path = path;
	else
		free(path);
	return 0;
}

/* image-trust/policy: the local floor of images.signatures. */
static int load_image_trust(struct configdir *cd, char *err, size_t errlen)
{
	char *path = NULL, *text = NULL;
	enum cosign_policy pol = COSIGN_POLICY_OFF;
	int r = 0;

	cd->image_trust_dir = path_join(cd->dir, "image-trust");
	path = cd->image_trust_dir ? path_join(cd->image_trust_dir, "policy") : NULL;
	if (!path)
		return -ENOMEM;
	if (exists(path)) {
		r = read_text(path, &text);
		if (r == 0) {
			text[strcspn(text, " \t\r\n")] = '\0';
			if (cosign_policy_parse(text + strspn(text, " \t"), &pol) < 0)
				r = fail(err, errlen, -EINVAL, "%s: expected off, warn or require", path);
		} else
			r = fail(err, errlen, r, "%s: %s", path, eve_strerror(r));
	}
	cd->image_sig_floor = (int)pol;
	free(text);
	free(path);
	text = NULL;
	path = r == 0 ? path_join(cd->image_trust_dir, "controller-keys") : NULL;
	if (path && exists(path)) {
		r = read_text(path, &text);
		if (r == 0) {
			char *w = text + strspn(text, " \t");

			w[strcspn(w, " \t\r\n")] = '\0';
			if (!strcmp(w, "deny") || !strcmp(w, "allow"))
				cd->image_trust_ctl_deny = !strcmp(w, "deny");
			else
				r = fail(err, errlen, -EINVAL, "%s: expected allow or deny", path);
		} else
			r = fail(err, errlen, r, "%s: %s", path, eve_strerror(r));
	}
	free(text);
	free(path);
	return r;
}

int configdir_load(const char *dir, struct configdir *cd, char *err, size_t errlen)
{
	struct stat st;
	int r;

	memset(cd, 0, sizeof(*cd));
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return fail(err, errlen, -ENOTDIR, "%s: not a directory", dir);
	cd->dir = strdup(dir);
	if (!cd->dir)
		return -ENOMEM;
	r = load_server(cd, err, errlen);
	if (r == 0)
		r = load_root(cd, err, errlen);
	if (r == 0)
		r = load_onboard(cd, err, errlen);
	if (r == 0)
		r = load_names(cd, "ports", cd->ports, &cd->n_ports, err, errlen);
	if (r == 0)
		r = load_names(cd, "managed-ports", cd->managed, &cd->n_managed, err, errlen);
	if (r == 0)
		r = load_optional(cd, err, errlen);
	if (r == 0)
		r = load_image_trust(cd, err, errlen);
	if (r < 0)
		configdir_free(cd);
	return r;
}

void configdir_free(struct configdir *cd)
{
	if (!cd)
		return;
	free(cd->dir);
	free(cd->server);
	free(cd->root_ca_path);
	free(cd->onboard_cert_path);
	free(cd->onboard_key_path);
	free(cd->bootstrap_path);
	for (size_t i = 0; i < cd->n_ports; i++)
		free(cd->ports[i]);
	for (size_t i = 0; i < cd->n_managed; i++)
		free(cd->managed[i]);
	free(cd->proxy);
	free(cd->config_items);
	free(cd->image_trust_dir);
	memset(cd, 0, sizeof(*cd));
}
