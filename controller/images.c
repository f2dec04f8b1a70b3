// SPDX-License-Identifier: Apache-2.0
/* Images: registry rows, uploads into the controller's own datastore
 * (streamed to disk while hashed), and GET /datastore/sha256/<hex> with
 * Range support. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "access.h"
#include "admin.h"
#include "b64.h"
#include "blobserve.h"
#include "image_oci.h"
#include "crypto.h"
#include "ctl.h"
#include "ctlmetrics.h"
#include "store.h"
#include "secrets.h"
#include "err.h"
#include "fileio.h"
#include "hexstr.h"
#include "images.h"
#include "apps_store.h"
#include "devices_store.h"
#include "registry.h"

#define IMG_NAME_MAX 128
#define URL_MAX 2048

static const char *const formats[] = {"raw", "qcow2", "iso", "oci", "baseos"};

#define IMAGE_COLS                                                                                           \
	"id, name, format, sha256, size, url, version, state, created, reg_user, project, sig, "             \
	"sig_signer_url, "                                                                                   \
	"sig_inter_url"

static json_t *image_row(struct store_stmt *st)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:o}", "id", store_col_str(st, 0),
			      "name", store_col_str(st, 1), "format", store_col_str(st, 2), "sha256",
			      store_col_str(st, 3), "size", (json_int_t)store_col_int64(st, 4), "url",
			      store_col_str(st, 5), "version", store_col_str(st, 6), "state",
			      store_col_str(st, 7), "created", admin_time_json(store_col_int64(st, 8)));
	json_object_set_new(j, "project", json_string(store_col_str(st, 10)));
	/* Registry credentials: the user name is shown, never the password. */
	if (j && store_col_str(st, 9)[0])
		json_object_set_new(j, "username", json_string(store_col_str(st, 9)));
	/* The publisher signature devices check (EVE's SignatureInfo). */
	if (j && store_col_str(st, 11)[0])
		json_object_set_new(j, "signature",
				    json_pack("{s:s, s:s, s:s}", "signature", store_col_str(st, 11),
					      "signer_cert_url", store_col_str(st, 12), "inter_cert_url",
					      store_col_str(st, 13)));
	return j;
}

/* docker://host/repo:tag or oci://...: an image in an OCI registry. */
static bool registry_url(const char *u)
{
	return u && (!strncmp(u, "docker://", 9) || !strncmp(u, "oci://", 6));
}

static int image_json(struct store *d, const char *ref, json_t **out)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT " IMAGE_COLS " FROM images WHERE id = ?1 OR name = ?1 LIMIT 1");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, ref);
	int r = -ENOENT;
	if (store_step(st) == STORE_ROW) {
		*out = image_row(st);
		r = 0;
	}
	store_reset(st);
	return r;
}

static void h_list(struct http_req *r)
{
	struct store *d = store_get(r->ctl->db);
	struct store_stmt *st = store_stmt(
	    d, "SELECT " IMAGE_COLS
	       " FROM images WHERE (?9 = '*' OR instr(?9, ',' || project || ',') > 0) ORDER BY name");
	json_t *items = json_array();
	if (st)
		store_bind_text(st, 9, access_grants(r));
	while (st && store_step(st) == STORE_ROW)
		json_array_append_new(items, image_row(st));
	store_put(r->ctl->db, d);
	http_reply_json(r, 200, json_pack("{s:o, s:n}", "items", items, "next"));
}

/* An image in an OCI registry: a container; sha256 pins the manifest
 * (or index) digest, else the device resolves the tag (as EVE does). */
static const char *registry_check(const char *url, const char *sha, const char *fmt, const char *user,
				  const char *pass, const char *ca)
{
	if (ca && (strlen(ca) > 65536 || !strstr(ca, "-----BEGIN CERTIFICATE-----")))
		return "ca: PEM certificates (the registry's TLS roots), at most 64 KiB";
	const char *rest = strstr(url, "://") + 3, *slash = strchr(rest, '/');
	if (fmt && strcmp(fmt, "oci"))
		return "format: docker:// and oci:// images are containers (format oci); VM images use "
		       "http(s)";
	if (strlen(url) > URL_MAX || !slash || slash == rest || !slash[1] || strpbrk(url, " \"'\\"))
		return "url: docker://host[:port]/repository[:tag] or oci://...";
	if (sha && *sha && !blobserve_hex_ok(sha))
		return "sha256: 64 lower-case hex characters (the manifest digest), or empty to follow the "
		       "tag";
	if ((user && strlen(user) > 256) || (pass && strlen(pass) > 4096) || (!user && pass && *pass))
		return "username/password: a password needs a username";
	return NULL;
}

static const char *image_check(json_t *b, const char **name, const char **url, const char **sha,
			       const char **fmt, const char **version, json_int_t *size, const char **user,
			       const char **pass, const char **ca)
{
	bool bad = false;
	*ca = admin_str(b, "ca", &bad);
	*user = admin_str(b, "username", &bad);
	*pass = admin_str(b, "password", &bad);
	*name = admin_str(b, "name", &bad);
	*url = admin_str(b, "url", &bad);
	*sha = admin_str(b, "sha256", &bad);
	*fmt = admin_str(b, "format", &bad);
	*version = admin_str(b, "version", &bad);
	json_t *sz = json_object_get(b, "size");
	*size = json_integer_value(sz);
	if (bad)
		return "name, url, sha256, format, version, username, password: strings";
	if (!*name || !**name || strlen(*name) > IMG_NAME_MAX || strchr(*name, '/') || strchr(*name, '?'))
		return "name: required, no '/'";
	if (registry_url(*url) && !*fmt)
		*fmt = "oci";
	if (registry_url(*url))
		return registry_check(*url, *sha, *fmt, *user, *pass, *ca);
	if (*user || *pass || *ca)
		return "username, password, ca: only for docker:// or oci:// images";
	if (!blobserve_hex_ok(*sha))
		return "sha256: 64 lower-case hex characters";
	bool fmt_ok = false;
	for (size_t i = 0; *fmt && i < sizeof(formats) / sizeof(formats[0]); i++)
		fmt_ok |= !strcmp(formats[i], *fmt);
	if (!fmt_ok)
		return "format: raw, qcow2, iso, oci or baseos";
	if (sz && (!json_is_integer(sz) || *size < 0))
		return "size: bytes, integer";
	if (*url && (strlen(*url) > URL_MAX || (strncmp(*url, "https://", 8) && strncmp(*url, "http://", 7))))
		return "url: http(s) URL";
	if (!strcmp(*fmt, "baseos") && (!*version || !**version))
		return "version: required for baseos images";
	return NULL;
}

/* "signature" (base64 of a DER ECDSA signature over the image's sha256),
 * "signer_cert_url", "inter_cert_url": EVE's SignatureInfo of an http(s)
 * image. NULL when fine (or absent). */
static const char *sig_check(json_t *b, const char *url, const char **sig, const char **signer,
			     const char **inter)
{
	bool bad = false;
	uint8_t *der = NULL;
	size_t dl = 0;

	*sig = admin_str(b, "signature", &bad);
	*signer = admin_str(b, "signer_cert_url", &bad);
	*inter = admin_str(b, "inter_cert_url", &bad);
	if (bad)
		return "signature, signer_cert_url, inter_cert_url: strings";
	if (!*sig && (*signer || *inter))
		return "signer_cert_url, inter_cert_url: only with a signature";
	if (!*sig)
		return NULL;
	if (registry_url(url))
		return "signature: registry images are signed in the registry (evectl image sign, cosign)";
	if (strlen(*sig) > 200 || b64_decode(*sig, strlen(*sig), &der, &dl) < 0 || dl < 8 || dl > 80 ||
	    der[0] != 0x30) {
		free(der);
		return "signature: base64 of an ECDSA (DER) signature over the image's sha256";
	}
	free(der);
	for (const char *const *u = (const char *const[]){*signer, *inter, NULL}; *u; u++)
		if (**u &&
		    (strlen(*u) > URL_MAX || (strncmp(*u, "https://", 8) && strncmp(*u, "http://", 7))))
			return "signer_cert_url, inter_cert_url: http(s) URLs";
	return NULL;
}

static int sig_store(struct store *d, const char *id, const char *sig, const char *signer, const char *inter)
{
	struct store_stmt *st;

	if (!sig)
		return 0;
	st = store_stmt(d,
			"UPDATE images SET sig = ?2, sig_signer_url = ?3, sig_inter_url = ?4 WHERE id = ?1");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, id);
	store_bind_text(st, 2, sig);
	store_bind_text(st, 3, signer ? signer : "");
	store_bind_text(st, 4, inter ? inter : "");
	return store_step_done(st);
}

static void h_create(struct http_req *r)
{
	json_t *b = admin_body(r), *obj = NULL;
	if (!b)
		return;
	const char *name, *url, *sha, *fmt, *version, *user, *pass, *ca;
	json_int_t size;
	const char *sig, *signer, *inter;
	const char *err = image_check(b, &name, &url, &sha, &fmt, &version, &size, &user, &pass, &ca);
	if (!err)
		err = sig_check(b, url, &sig, &signer, &inter);
	if (err) {
		http_reply_error(r, 400, "%s", err);
		json_decref(b);
		return;
	}
	char id[UUID_STR_LEN], project[64];
	bool pbad = false;
	const char *pj = admin_str(b, "project", &pbad);
	struct store *d = store_get(r->ctl->db);
	if (pbad || !access_create_project(r, d, pj, project)) {
		if (pbad)
			http_reply_error(r, 400, "project: string");
		store_put(r->ctl->db, d);
		json_decref(b);
		return;
	}
	char *sealed = NULL;
	/* the registry password is stored sealed (secrets.c), like user_data */
	int e = pass && *pass ? secrets_seal(r->ctl, pass, &sealed) : 0;
	if (e == 0)
		e = uuidgen_v4(id);
	struct store_stmt *st = store_stmt(
	    d, "INSERT INTO images(id, name, format, sha256, size, url, version, state, created,"
	       " reg_user, reg_secret, reg_ca, project) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)");
	if (e == 0 && !st)
		e = -EIO;
	if (e == 0) {
		store_bind_text(st, 1, id);
		store_bind_text(st, 2, name);
		store_bind_text(st, 3, fmt);
		store_bind_text(st, 4, sha ? sha : "");
		store_bind_int64(st, 5, size);
		store_bind_text(st, 6, url ? url : "");
		store_bind_text(st, 7, version ? version : "");
		store_bind_text(st, 8, url ? "ready" : "pending");
		store_bind_int64(st, 9, (int64_t)time(NULL));
		store_bind_text(st, 10, user ? user : "");
		store_bind_text(st, 11, sealed ? sealed : "");
		store_bind_text(st, 12, ca ? ca : "");
		store_bind_text(st, 13, project);
		e = store_step_done(st);
	}
	free(sealed);
	if (e == 0)
		e = sig_store(d, id, sig, signer, inter);
	if (e == 0)
		e = image_json(d, id, &obj);
	store_put(r->ctl->db, d);
	json_decref(b);
	if (e < 0)
		admin_reply_err(r, e, "image");
	else
		http_reply_json(r, 201, obj);
}

static void h_get(struct http_req *r)
{
	json_t *obj = NULL;
	struct store *d = store_get(r->ctl->db);
	int e = image_json(d, r->params[0], &obj);
	store_put(r->ctl->db, d);
	if (e < 0)
		admin_reply_err(r, e, "image");
	else
		http_reply_json(r, 200, obj);
}

static void h_delete(struct http_req *r)
{
	struct store *d = store_get(r->ctl->db);
	char id[UUID_STR_LEN] = "", sha[65] = "", url[URL_MAX + 1] = "";
	struct store_stmt *st =
	    store_stmt(d, "SELECT id, sha256, url FROM images WHERE id = ?1 OR name = ?1 LIMIT 1");
	if (st) {
		store_bind_text(st, 1, r->params[0]);
		if (store_step(st) == STORE_ROW) {
			snprintf(id, sizeof(id), "%s", store_col_str(st, 0));
			snprintf(sha, sizeof(sha), "%s", store_col_str(st, 1));
			snprintf(url, sizeof(url), "%s", store_col_str(st, 2));
		}
		store_reset(st);
	}
	int e = id[0] ? 0 : -ENOENT;
	/* in use by an app or as a device's base OS (as before, a store error
	 * here does not refuse) */
	if (e == 0 && (apps_store_count_using_image(d, id) > 0 || devices_store_count_baseos(d, id) > 0))
		e = -EBUSY;
	st = e == 0 ? store_stmt(d, "DELETE FROM images WHERE id = ?1") : NULL;
	if (st) {
		store_bind_text(st, 1, id);
		e = store_step_done(st);
	}
	/* A registry image: its repository's tags and manifests go with it
	 * (blobs stay: repositories share them). */
	if (e == 0 && strncmp(url, "/v2/", 4) == 0)
		e = registry_forget(d, url + 4);
	/* Remove our blob unless another image row shares it. */
	st = e == 0 && url[0] == '/' && strncmp(url, "/v2/", 4) != 0
		 ? store_stmt(d, "SELECT count(*) FROM images WHERE sha256 = ?1 AND url = ?2")
		 : NULL;
	if (st) {
		store_bind_text(st, 1, sha);
		store_bind_text(st, 2, url);
		char p[PATH_MAX];
		if (store_step(st) == STORE_ROW && store_col_int64(st, 0) == 0 &&
		    blobserve_path(r->ctl, sha, p) == 0)
			(void)unlink(p); /* the row is gone; an orphan blob is only space */
		store_reset(st);
	}
	store_put(r->ctl->db, d);
	if (e < 0)
		admin_reply_err(r, e, "image");
	else
		http_reply_empty(r, 204);
}

/* --- upload: PUT /images/{name}/data --- */

struct upload {
	char id[UUID_STR_LEN];
	char sha[65];
	char format[16];
	int64_t want_size;
	char tmp[PATH_MAX];
	int fd;
	EVP_MD_CTX *md;
	uint64_t n;
};

static void up_cleanup(struct http_req *r)
{
	struct upload *u = r->stream_ctx;
	if (!u)
		return;
	if (u->fd >= 0) {
		close(u->fd);
		(void)unlink(u->tmp); /* an abandoned upload's temp file */
	}
	EVP_MD_CTX_free(u->md);
	free(u);
	r->stream_ctx = NULL;
}

static int up_find(struct http_req *r, struct upload *u)
{
	struct store *d = store_get(r->ctl->db);
	struct store_stmt *st =
	    store_stmt(d, "SELECT id, sha256, size, format FROM images WHERE id = ?1 OR name = ?1 LIMIT 1");
	int e = -ENOENT;
	if (st) {
		store_bind_text(st, 1, r->params[0]);
		if (store_step(st) == STORE_ROW) {
			snprintf(u->id, sizeof(u->id), "%s", store_col_str(st, 0));
			snprintf(u->sha, sizeof(u->sha), "%s", store_col_str(st, 1));
			u->want_size = store_col_int64(st, 2);
			snprintf(u->format, sizeof(u->format), "%s", store_col_str(st, 3));
			e = 0;
		}
		store_reset(st);
	}
	store_put(r->ctl->db, d);
	return e;
}

static int up_begin(struct http_req *r)
{
	struct upload *u = calloc(1, sizeof(*u));
	if (!u) {
		http_reply_error(r, 500, "out of memory");
		return 1;
	}
	u->fd = -1;
	r->stream_ctx = u;
	int e = up_find(r, u);
	if (e < 0) {
		admin_reply_err(r, e, "image");
		return 1;
	}
	const char *cl = http_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoll(cl, NULL, 10) > r->ctl->conf.cap_image) {
		http_reply_error(r, 413, "image over the upload cap");
		return 1;
	}
	char dir[PATH_MAX + 32];
	snprintf(dir, sizeof(dir), "%s/" CTL_DATASTORE_DIR "/tmp", r->ctl->dir);
	int n = snprintf(u->tmp, sizeof(u->tmp), "%s/upload-XXXXXX", dir);
	if (n < 0 || (size_t)n >= sizeof(u->tmp) || fileio_mkdirs(dir, 0700) < 0 ||
	    (u->fd = mkstemp(u->tmp)) < 0) {
		http_reply_error(r, 500, "cannot create a temporary file");
		return 1;
	}
	u->md = EVP_MD_CTX_new();
	if (!u->md || EVP_DigestInit_ex(u->md, EVP_sha256(), NULL) != 1) {
		http_reply_error(r, 500, "sha256 init failed");
		return 1;
	}
	return 0;
}

static int up_data(struct http_req *r, const char *p, size_t n)
{
	struct upload *u = r->stream_ctx;
	if (u->n + n > (uint64_t)r->ctl->conf.cap_image)
		return 413;
	if (EVP_DigestUpdate(u->md, p, n) != 1)
		return 500;
	while (n) {
		ssize_t w = write(u->fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return 507;
		p += w;
		n -= (size_t)w;
		u->n += (uint64_t)w;
	}
	return 0;
}

static int up_commit(struct http_req *r, struct upload *u)
{
	char final[PATH_MAX], dir[PATH_MAX + 32], url[128];
	snprintf(dir, sizeof(dir), "%s/" CTL_DATASTORE_DIR "/sha256", r->ctl->dir);
	int e = fileio_mkdirs(dir, 0700);
	if (e == 0)
		e = blobserve_path(r->ctl, u->sha, final);
	if (e == 0 && fsync(u->fd) < 0)
		e = -errno;
	if (e == 0 && rename(u->tmp, final) < 0)
		e = -errno;
	if (e < 0)
		return e;
	close(u->fd);
	u->fd = -1;
	/* (void): the blob itself was synced before the rename; a failed
	 * directory sync is no reason to refuse the upload */
	(void)fileio_sync_dir(final);
	snprintf(url, sizeof(url), "/datastore/sha256/%s", u->sha);
	struct store *d = store_get(r->ctl->db);
	struct store_stmt *st =
	    store_stmt(d, "UPDATE images SET state = 'ready', url = ?2, size = ?3 WHERE id = ?1");
	e = st ? 0 : -EIO;
	if (st) {
		store_bind_text(st, 1, u->id);
		store_bind_text(st, 2, url);
		store_bind_int64(st, 3, (int64_t)u->n);
		e = store_step_done(st);
	}
	/* Devices whose config names this image see the new URL/size. */
	ctl_configs_changed(r->ctl, d);
	store_put(r->ctl->db, d);
	return e;
}

static void h_upload(struct http_req *r)
{
	struct upload *u = r->stream_ctx;
	uint8_t h[CRYPTO_SHA256_LEN];
	unsigned hl = 0;
	char hex[65];
	if (EVP_DigestFinal_ex(u->md, h, &hl) != 1) {
		http_reply_error(r, 500, "sha256 failed");
		return;
	}
	hexstr_encode(h, sizeof(h), hex);
	if (strcmp(hex, u->sha)) {
		http_reply_error(r, 422, "sha256 of the upload is %s, registered %s", hex, u->sha);
		return;
	}
	if (u->want_size > 0 && (uint64_t)u->want_size != u->n) {
		http_reply_error(r, 422, "size of the upload is %" PRIu64 ", registered %" PRId64, u->n,
				 u->want_size);
		return;
	}
	/* An image registered as OCI must be one: refused here, with the
	 * reason, rather than failing on every device later. */
	char why[160];
	if (!strcmp(u->format, "oci") && image_oci_check(u->tmp, why, sizeof(why)) < 0) {
		http_reply_error(r, 422, "not an OCI image: %s", why);
		return;
	}
	int e = up_commit(r, u);
	json_t *obj = NULL;
	struct store *d = store_get(r->ctl->db);
	if (e == 0)
		e = image_json(d, u->id, &obj);
	store_put(r->ctl->db, d);
	if (e < 0)
		admin_reply_err(r, e, "image");
	else
		http_reply_json(r, 200, obj);
}

static const struct http_stream_ops upload_ops = {up_begin, up_data, up_cleanup};

/* --- GET /datastore/sha256/<hex> --- */

static void h_blob(struct http_req *r)
{
	blobserve_reply(r, r->params[0]);
}

#define I ADMIN_PREFIX "/images"
const struct http_route admin_image_routes[] = {
    {"GET", I, h_list, 0, HTTP_AUTH_ADMIN, NULL},
    {"POST", I, h_create, ADMIN_JSON_CAP, HTTP_AUTH_ADMIN, NULL},
    {"GET", I "/*", h_get, 0, HTTP_AUTH_ADMIN, NULL},
    {"DELETE", I "/*", h_delete, 0, HTTP_AUTH_ADMIN, NULL},
    {"PUT", I "/*/data", h_upload, SIZE_MAX, HTTP_AUTH_ADMIN, &upload_ops},
    {"GET", "/datastore/sha256/*", h_blob, 4096, HTTP_AUTH_NONE, NULL},
    {"HEAD", "/datastore/sha256/*", h_blob, 4096, HTTP_AUTH_NONE, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};

/* --- the images table, for the device config (images.h) --------------- */

int images_get(struct store *d, const char *id, int (*fn)(void *ctx, const struct images_row *img), void *ctx)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT id, name, format, sha256, size, url, reg_user, reg_secret, reg_ca,"
			  " sig, sig_signer_url, sig_inter_url, version FROM images WHERE id = ?1");
	int r = -ENOENT;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, id);
	if (store_step(st) == STORE_ROW) {
		struct images_row img = {
		    .id = store_col_str(st, 0),
		    .name = store_col_str(st, 1),
		    .format = store_col_str(st, 2),
		    .sha256 = store_col_str(st, 3),
		    .size = store_col_int64(st, 4),
		    .url = store_col_str(st, 5),
		    .reg_user = store_col_str(st, 6),
		    .reg_secret = store_col_str(st, 7),
		    .reg_ca = store_col_str(st, 8),
		    .sig = store_col_str(st, 9),
		    .sig_signer_url = store_col_str(st, 10),
		    .sig_inter_url = store_col_str(st, 11),
		    .version = store_col_str(st, 12),
		};
		r = fn(ctx, &img);
	}
	store_reset(st);
	return r;
}

int images_app_image(struct store *d, const char *ref, char id[UUID_STR_LEN], char *format, size_t formatlen,
		     int64_t *size)
{
	struct store_stmt *st = store_stmt(
	    d, "SELECT id, format, size FROM images WHERE (name = ?1 OR id = ?1) AND format != 'baseos'");
	int r = -ENOENT;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, ref);
	if (store_step(st) == STORE_ROW) {
		snprintf(id, UUID_STR_LEN, "%s", store_col_str(st, 0));
		if (format)
			snprintf(format, formatlen, "%s", store_col_str(st, 1));
		if (size)
			*size = store_col_int64(st, 2);
		r = 0;
	}
	store_reset(st);
	return r;
}

/* ---- for other modules (the access checks, projects) ---- */

int images_each_project_of(struct store *d, const char *ref, int (*fn)(void *ctx, const char *project),
			   void *ctx)
{
	return store_each_text(d, "SELECT project FROM images WHERE id = ?1 OR name = ?1", ref, fn, ctx);
}

int64_t images_count(struct store *d, const char *grants)
{
	return store_int64(
	    d, "SELECT count(*) FROM images WHERE ?1 = '*' OR instr(?1, ',' || project || ',') > 0", grants);
}

int images_name_version(struct store *d, const char *ref, char *name, size_t nn, char *version, size_t vn)
{
	struct store_stmt *st = store_stmt(d, "SELECT name, version FROM images WHERE id = ?1 OR name = ?1");
	int r = -ENOENT;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, ref);
	if (store_step(st) == STORE_ROW) {
		snprintf(name, nn, "%s", store_col_str(st, 0));
		snprintf(version, vn, "%s", store_col_str(st, 1));
		r = 0;
	}
	store_reset(st);
	return r;
}

int images_baseos_id(struct store *d, const char *ref, const char *grants, char id[UUID_STR_LEN])
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT id FROM images WHERE (name = ?1 OR id = ?1) AND format = 'baseos'"
			  " AND (?9 = '*' OR instr(?9, ',' || project || ',') > 0)");
	int r = -ENOENT;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, ref);
	store_bind_text(st, 9, grants);
	if (store_step(st) == STORE_ROW) {
		snprintf(id, UUID_STR_LEN, "%s", store_col_str(st, 0));
		r = 0;
	}
	store_reset(st);
	return r;
}
