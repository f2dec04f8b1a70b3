// SPDX-License-Identifier: Apache-2.0
/* The OCI distribution API under /v2/ (see registry.h): blobs live in the
 * controller's datastore (datastore/sha256/<hex>, the same files
 * /datastore serves), uploads in datastore/tmp/reg-<uuid> until their
 * digest is checked, manifests are blobs too, with their media type and
 * tags in SQLite (registry_manifests, registry_tags). A tag push makes or
 * updates the image row of the same name (format oci, url /v2/<name>:<tag>,
 * sha256 = the manifest digest), which devices get as a DsContainerRegistry
 * content tree. */
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

#include "admin.h"
#include "b64.h"
#include "ctl.h"
#include "store.h"
#include "err.h"
#include "fileio.h"
#include "hexstr.h"
#include "images_store.h"
#include "registry.h"

#include "blobserve.h"
#include "tokens.h"

#define REG_MANIFEST_CAP (4u << 20)
#define REG_NAME_MAX IMAGES_REPO_MAX
#define REG_TAG_MAX IMAGES_REPO_MAX

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"

/* ---- replies ------------------------------------------------------------- */

static void reg_error(struct http_req *r, unsigned status, const char *code, const char *msg)
{
	json_t *j = json_pack("{s:[{s:s, s:s}]}", "errors", "code", code, "message", msg);

	http_reply_json(r, status, j);
	if (r->resp)
		MHD_add_response_header(r->resp, "Docker-Distribution-API-Version", "registry/2.0");
}

static void add_hdr(struct http_req *r, const char *k, const char *v)
{
	if (r->resp)
		MHD_add_response_header(r->resp, k, v);
}

static void unauthorized(struct http_req *r)
{
	char ch[512];

	reg_error(r, 401, "UNAUTHORIZED",
		  "push needs an admin token (Bearer, or Basic with the token as password)");
	snprintf(ch, sizeof(ch), "Bearer realm=\"%s/v2/token\",service=\"eve-controller\"", r->ctl->base_url);
	add_hdr(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, ch);
}

/* An admin token as "Bearer T" or "Basic base64(user:T)". */
static bool token_from_header(struct http_req *r, char *out, size_t cap)
{
	const char *h = http_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
	uint8_t *dec = NULL;
	size_t len = 0;
	bool ok = false;

	if (h && strncasecmp(h, "Bearer ", 7) == 0) {
		snprintf(out, cap, "%s", h + 7);
		return true;
	}
	if (!h || strncasecmp(h, "Basic ", 6) != 0 || b64_decode(h + 6, strlen(h + 6), &dec, &len) < 0)
		return false;
	char *colon = memchr(dec, ':', len);
	if (colon && (size_t)(len - (size_t)(colon + 1 - (char *)dec)) < cap) {
		size_t n = len - (size_t)(colon + 1 - (char *)dec);
		memcpy(out, colon + 1, n);
		out[n] = '\0';
		ok = true;
	}
	explicit_bzero(dec, len);
	free(dec);
	return ok;
}

static bool is_admin(struct http_req *r)
{
	char tok[512];
	bool ok = token_from_header(r, tok, sizeof(tok)) && tokens_check(r->ctl, tok) == 0;

	explicit_bzero(tok, sizeof(tok));
	return ok;
}

/* ---- names and paths -------------------------------------------------------- */

static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > REG_NAME_MAX)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		      *p == '-'))
			return false;
	return s[0] != '.' && s[0] != '-';
}

static bool tag_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > REG_TAG_MAX || s[0] == '.' || s[0] == '-')
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '.' || *p == '_' || *p == '-'))
			return false;
	return true;
}

/* "sha256:<64 lower hex>" -> hex; false otherwise. */
static bool digest_hex(const char *d, char hex[65])
{
	if (!d || strncmp(d, "sha256:", 7) != 0 || strlen(d) != 71)
		return false;
	for (const char *p = d + 7; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	memcpy(hex, d + 7, 65);
	return true;
}

static int blob_file(struct ctl *c, const char *hex, char out[PATH_MAX])
{
	int n = snprintf(out, PATH_MAX, "%s/" CTL_DATASTORE_DIR "/sha256/%s", c->dir, hex);
	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

static int upload_file(struct ctl *c, const char *id, char out[PATH_MAX])
{
	int n = snprintf(out, PATH_MAX, "%s/" CTL_DATASTORE_DIR "/tmp/reg-%s", c->dir, id);
	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

static bool blob_exists(struct ctl *c, const char *hex, uint64_t *size)
{
	char p[PATH_MAX];
	struct stat st;

	if (blob_file(c, hex, p) < 0 || stat(p, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	if (size)
		*size = (uint64_t)st.st_size;
	return true;
}

static int hash_file(const char *path, char hex[65])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char buf[65536], dig[32];
	unsigned dl = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;

	if (fd < 0 || !md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		r = fd < 0 ? -errno : -EVE_ECRYPTO;
		goto out;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (EVP_DigestUpdate(md, buf, (size_t)n) != 1) {
			r = -EVE_ECRYPTO;
			goto out;
		}
	if (n < 0 || EVP_DigestFinal_ex(md, dig, &dl) != 1) {
		r = n < 0 ? -errno : -EVE_ECRYPTO;
		goto out;
	}
	hexstr_encode(dig, 32, hex);
out:
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(md);
	return r;
}

/* Move a verified file into the datastore as blob hex. */
static int blob_commit(struct ctl *c, const char *tmp, const char *hex)
{
	char dir[PATH_MAX + 32], final[PATH_MAX];
	int e;

	snprintf(dir, sizeof(dir), "%s/" CTL_DATASTORE_DIR "/sha256", c->dir);
	e = fileio_mkdirs(dir, 0700);
	if (e == 0)
		e = blob_file(c, hex, final);
	if (e == 0 && rename(tmp, final) < 0)
		e = -errno;
	if (e == 0)
		(void)fileio_sync_dir(final); /* the blob is in place; the sync only hardens the rename */
	return e;
}

/* ---- /v2/ and the token endpoint ---------------------------------------------- */

static void h_base(struct http_req *r)
{
	if (!is_admin(r)) {
		unauthorized(r);
		return;
	}
	http_reply(r, 200, "{}", 2, "application/json");
	add_hdr(r, "Docker-Distribution-API-Version", "registry/2.0");
}

/* Token endpoint of the Bearer challenge: Basic with an admin token as the
 * password returns that token; no credentials returns a pull-only token
 * (reads need none). */
static void h_token(struct http_req *r)
{
	char tok[512];
	json_t *j;

	if (http_header(r, MHD_HTTP_HEADER_AUTHORIZATION) == NULL) {
		j = json_pack("{s:s, s:s}", "token", "anonymous", "access_token", "anonymous");
		http_reply_json(r, 200, j);
		return;
	}
	if (!token_from_header(r, tok, sizeof(tok)) || tokens_check(r->ctl, tok) != 0) {
		explicit_bzero(tok, sizeof(tok));
		reg_error(r, 401, "UNAUTHORIZED", "unknown token");
		return;
	}
	j = json_pack("{s:s, s:s, s:i}", "token", tok, "access_token", tok, "expires_in", 3600);
	explicit_bzero(tok, sizeof(tok));
	http_reply_json(r, 200, j);
}

/* ---- blobs ------------------------------------------------------------------------ */

static void h_blob_get(struct http_req *r)
{
	char hex[65];

	if (!name_ok(r->params[0]) || !digest_hex(r->params[1], hex) || !blob_exists(r->ctl, hex, NULL)) {
		reg_error(r, 404, "BLOB_UNKNOWN", "blob unknown to registry");
		return;
	}
	blobserve_reply(r, hex);
	add_hdr(r, "Docker-Content-Digest", r->params[1]);
}

/* Upload in progress: the body is appended to datastore/tmp/reg-<id>. */
struct reg_up {
	char id[UUID_STR_LEN];
	char path[PATH_MAX];
	int fd;
	uint64_t n;
	bool refused;
};

static void up_cleanup(struct http_req *r)
{
	struct reg_up *u = r->stream_ctx;

	if (!u)
		return;
	if (u->fd >= 0)
		close(u->fd);
	free(u);
	r->stream_ctx = NULL;
}

static int up_open(struct http_req *r, struct reg_up *u, bool create)
{
	char dir[PATH_MAX + 32];
	int fl = O_WRONLY | O_APPEND | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0);
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/" CTL_DATASTORE_DIR "/tmp", r->ctl->dir);
	if (fileio_mkdirs(dir, 0700) < 0 || upload_file(r->ctl, u->id, u->path) < 0)
		return -EIO;
	u->fd = open(u->path, fl, 0600);
	if (u->fd < 0)
		return -errno;
	if (fstat(u->fd, &st) == 0)
		u->n = (uint64_t)st.st_size;
	return 0;
}

static int up_begin_common(struct http_req *r, bool create)
{
	struct reg_up *u = calloc(1, sizeof(*u));

	if (!u) {
		http_reply_error(r, 500, "out of memory");
		return 1;
	}
	u->fd = -1;
	r->stream_ctx = u;
	if (!is_admin(r)) {
		unauthorized(r);
		return 1;
	}
	if (!name_ok(r->params[0])) {
		reg_error(r, 400, "NAME_INVALID", "repository names here are one lower-case path segment");
		return 1;
	}
	if (create) {
		if (uuidgen_v4(u->id) < 0) {
			http_reply_error(r, 500, "uuid");
			return 1;
		}
	} else {
		if (!uuidgen_valid(r->params[1])) {
			reg_error(r, 404, "BLOB_UPLOAD_UNKNOWN", "upload unknown");
			return 1;
		}
		snprintf(u->id, sizeof(u->id), "%s", r->params[1]);
	}
	if (up_open(r, u, create) < 0) {
		reg_error(r, 404, "BLOB_UPLOAD_UNKNOWN", "upload unknown");
		return 1;
	}
	return 0;
}

static int up_begin_new(struct http_req *r)
{
	return up_begin_common(r, true);
}

static int up_begin_old(struct http_req *r)
{
	return up_begin_common(r, false);
}

static int up_data(struct http_req *r, const char *p, size_t n)
{
	struct reg_up *u = r->stream_ctx;

	if (u->n + n > (uint64_t)r->ctl->conf.cap_image)
		return 413;
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

static void up_location(struct http_req *r, const struct reg_up *u, unsigned status)
{
	char loc[512], range[64];

	snprintf(loc, sizeof(loc), "/v2/%s/blobs/uploads/%s", r->params[0], u->id);
	snprintf(range, sizeof(range), "0-%" PRIu64, u->n ? u->n - 1 : 0);
	http_reply_empty(r, status);
	add_hdr(r, MHD_HTTP_HEADER_LOCATION, loc);
	add_hdr(r, "Range", range);
	add_hdr(r, "Docker-Upload-UUID", u->id);
	add_hdr(r, MHD_HTTP_HEADER_CONTENT_LENGTH, "0");
}

/* Finish an upload: the file must hash to ?digest. */
static void up_finish(struct http_req *r, struct reg_up *u)
{
	const char *dg = http_arg(r, "digest");
	char hex[65], got[65], loc[512];
	int e;

	if (!digest_hex(dg, hex)) {
		reg_error(r, 400, "DIGEST_INVALID", "digest: sha256:<64 lower-case hex> required");
		return;
	}
	if (fsync(u->fd) < 0 || (e = hash_file(u->path, got)) < 0) {
		http_reply_error(r, 500, "cannot hash the upload");
		return;
	}
	if (strcmp(got, hex) != 0) {
		(void)unlink(u->path); /* a refused upload's data */
		reg_error(r, 400, "DIGEST_INVALID", "upload does not match its digest");
		return;
	}
	e = blob_commit(r->ctl, u->path, hex);
	if (e < 0) {
		http_reply_error(r, 500, "storing the blob: %s", eve_strerror(e));
		return;
	}
	snprintf(loc, sizeof(loc), "/v2/%s/blobs/%s", r->params[0], dg);
	http_reply_empty(r, 201);
	add_hdr(r, MHD_HTTP_HEADER_LOCATION, loc);
	add_hdr(r, "Docker-Content-Digest", dg);
}

/* POST /v2/<name>/blobs/uploads/: start (or, with ?digest, a monolithic
 * upload; with ?mount, a blob already here). */
static void h_up_post(struct http_req *r)
{
	struct reg_up *u = r->stream_ctx;
	const char *mount = http_arg(r, "mount");
	char hex[65], loc[512];

	if (mount && digest_hex(mount, hex) && blob_exists(r->ctl, hex, NULL)) {
		unlink(u->path);
		snprintf(loc, sizeof(loc), "/v2/%s/blobs/%s", r->params[0], mount);
		http_reply_empty(r, 201);
		add_hdr(r, MHD_HTTP_HEADER_LOCATION, loc);
		add_hdr(r, "Docker-Content-Digest", mount);
		return;
	}
	if (http_arg(r, "digest")) {
		up_finish(r, u);
		return;
	}
	up_location(r, u, 202);
}

static void h_up_patch(struct http_req *r)
{
	up_location(r, r->stream_ctx, 202);
}

static void h_up_put(struct http_req *r)
{
	up_finish(r, r->stream_ctx);
}

static void h_up_status(struct http_req *r)
{
	struct reg_up u = {.fd = -1};
	struct stat st;

	if (!name_ok(r->params[0]) || !uuidgen_valid(r->params[1]) ||
	    upload_file(r->ctl, r->params[1], u.path) < 0 || stat(u.path, &st) < 0) {
		reg_error(r, 404, "BLOB_UPLOAD_UNKNOWN", "upload unknown");
		return;
	}
	snprintf(u.id, sizeof(u.id), "%s", r->params[1]);
	u.n = (uint64_t)st.st_size;
	up_location(r, &u, 204);
}

static void h_up_delete(struct http_req *r)
{
	char p[PATH_MAX];

	if (!is_admin(r)) {
		unauthorized(r);
		return;
	}
	if (!uuidgen_valid(r->params[1]) || upload_file(r->ctl, r->params[1], p) < 0 || unlink(p) < 0) {
		reg_error(r, 404, "BLOB_UPLOAD_UNKNOWN", "upload unknown");
		return;
	}
	http_reply_empty(r, 204);
}

static const struct http_stream_ops up_new_ops = {up_begin_new, up_data, up_cleanup};
static const struct http_stream_ops up_old_ops = {up_begin_old, up_data, up_cleanup};

/* ---- manifests ------------------------------------------------------------------ */

/* Every blob (or child manifest) a manifest names must be here; sums the
 * sizes of an image manifest's config and layers into *size. */
static const char *manifest_check(struct http_req *r, json_t *m, bool index, uint64_t *size)
{
	json_t *arr = json_object_get(m, index ? "manifests" : "layers"), *e;
	char hex[65];
	size_t i;

	*size = 0;
	if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > 1024)
		return index ? "index without manifests" : "manifest without layers";
	if (!index) {
		json_t *cfg = json_object_get(m, "config");
		uint64_t sz = 0;

		if (!digest_hex(json_string_value(json_object_get(cfg, "digest")), hex) ||
		    !blob_exists(r->ctl, hex, &sz))
			return "config blob unknown";
		*size += sz;
	}
	json_array_foreach(arr, i, e)
	{
		uint64_t sz = 0;

		if (!digest_hex(json_string_value(json_object_get(e, "digest")), hex) ||
		    !blob_exists(r->ctl, hex, &sz))
			return index ? "manifest of the index unknown" : "layer blob unknown";
		if (!index)
			*size += sz;
	}
	return NULL;
}

static const char *media_type(struct http_req *r, json_t *m)
{
	const char *mt = json_string_value(json_object_get(m, "mediaType"));
	const char *ct = http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
	static const char *const ok[] = {MT_OCI_INDEX, MT_OCI_MANIFEST, MT_DOCKER_LIST, MT_DOCKER_MANIFEST};

	if (!mt)
		mt = ct;
	for (size_t i = 0; mt && i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strncmp(mt, ok[i], strlen(ok[i])) == 0)
			return ok[i];
	return NULL;
}

/* Tags of cosign's artifacts stored next to an image (signatures,
 * attestations, SBOMs: sha256-<hex>.sig|.att|.sbom): kept as tags of the
 * repository, but they do not make the image NAME point at them. */
static bool artifact_tag(const char *ref)
{
	static const char *const ext[] = {".sig", ".att", ".sbom"};

	if (strncmp(ref, "sha256-", 7) != 0 || strspn(ref + 7, "0123456789abcdef") != 64)
		return false;
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		if (strcmp(ref + 71, ext[i]) == 0)
			return true;
	return false;
}

static int manifest_record(struct http_req *r, const char *hex, const char *mt, uint64_t size)
{
	const char *name = r->params[0], *ref = r->params[1];
	bool tag = strncmp(ref, "sha256:", 7) != 0, image = tag && !artifact_tag(ref);
	struct store *d = store_get(r->ctl->db);
	struct store_stmt *st;
	int e = store_begin(d);

	st = e == 0 ? store_stmt(d, "INSERT INTO registry_manifests(repo, digest, media_type, size)"
				    " VALUES(?1, ?2, ?3, ?4) ON CONFLICT(repo, digest) DO UPDATE SET"
				    " media_type = excluded.media_type, size = excluded.size")
		    : NULL;
	if (e == 0 && !st)
		e = -EIO;
	if (e == 0) {
		store_bind_text(st, 1, name);
		store_bind_text(st, 2, hex);
		store_bind_text(st, 3, mt);
		store_bind_int64(st, 4, (int64_t)size);
		e = store_step_done(st);
	}
	st = e == 0 && tag ? store_stmt(d, "INSERT INTO registry_tags(repo, tag, digest, updated)"
					   " VALUES(?1, ?2, ?3, ?4) ON CONFLICT(repo, tag) DO UPDATE SET"
					   " digest = excluded.digest, updated = excluded.updated")
			   : NULL;
	if (st) {
		store_bind_text(st, 1, name);
		store_bind_text(st, 2, ref);
		store_bind_text(st, 3, hex);
		store_bind_int64(st, 4, (int64_t)time(NULL));
		e = store_step_done(st);
	}
	if (e == 0 && image)
		e = images_store_registry_upsert(d, name, ref, hex, size);
	if (e == 0)
		e = store_commit(d);
	else
		store_rollback(d);
	if (e == 0 && image)
		ctl_configs_changed(r->ctl, d);
	store_put(r->ctl->db, d);
	return e;
}

static int manifest_store(struct http_req *r, const char *hex)
{
	char tmp[PATH_MAX];
	int e;

	if (blob_exists(r->ctl, hex, NULL))
		return 0;
	e = upload_file(r->ctl, hex, tmp);
	if (e == 0)
		e = fileio_write_atomic(tmp, r->body.data, r->body.len, 0600);
	if (e == 0)
		e = blob_commit(r->ctl, tmp, hex);
	return e;
}

static void h_manifest_put(struct http_req *r)
{
	const char *name = r->params[0], *ref = r->params[1], *mt, *why;
	uint8_t h[32];
	char hex[65], want[65], loc[512], dg[80];
	uint64_t size = 0;
	json_t *m;
	int e;

	if (!is_admin(r)) {
		unauthorized(r);
		return;
	}
	if (!name_ok(name)) {
		reg_error(r, 400, "NAME_INVALID", "repository names here are one lower-case path segment");
		return;
	}
	if (strncmp(ref, "sha256:", 7) == 0 ? !digest_hex(ref, want) : !tag_ok(ref)) {
		reg_error(r, 400, "TAG_INVALID", "bad tag or digest");
		return;
	}
	EVP_Digest(r->body.data, r->body.len, h, NULL, EVP_sha256(), NULL);
	hexstr_encode(h, 32, hex);
	if (strncmp(ref, "sha256:", 7) == 0 && strcmp(hex, want) != 0) {
		reg_error(r, 400, "DIGEST_INVALID", "manifest does not match its digest");
		return;
	}
	m = json_loadb((const char *)r->body.data, r->body.len, 0, NULL);
	mt = m ? media_type(r, m) : NULL;
	why = !m ? "not JSON" : !mt ? "unsupported media type" : NULL;
	if (!why)
		why = manifest_check(r, m, strcmp(mt, MT_OCI_INDEX) == 0 || strcmp(mt, MT_DOCKER_LIST) == 0,
				     &size);
	json_decref(m);
	if (why) {
		reg_error(r, 400, strstr(why, "unknown") ? "MANIFEST_BLOB_UNKNOWN" : "MANIFEST_INVALID", why);
		return;
	}
	e = manifest_store(r, hex);
	if (e == 0)
		e = manifest_record(r, hex, mt, size);
	if (e == -EEXIST) {
		reg_error(r, 409, "DENIED", "an image of that name exists that is not in this registry");
		return;
	}
	if (e < 0) {
		http_reply_error(r, 500, "storing the manifest: %s", eve_strerror(e));
		return;
	}
	snprintf(dg, sizeof(dg), "sha256:%s", hex);
	snprintf(loc, sizeof(loc), "/v2/%s/manifests/%s", name, dg);
	http_reply_empty(r, 201);
	add_hdr(r, MHD_HTTP_HEADER_LOCATION, loc);
	add_hdr(r, "Docker-Content-Digest", dg);
}

/* Digest and media type of repo:ref (a tag or sha256:<hex>). */
static int manifest_lookup(struct ctl *c, const char *repo, const char *ref, char hex[65], char mt[128])
{
	struct store *d = store_get(c->db);
	bool dig = strncmp(ref, "sha256:", 7) == 0;
	struct store_stmt *st =
	    dig ? store_stmt(
		      d, "SELECT digest, media_type FROM registry_manifests WHERE repo = ?1 AND digest = ?2")
		: store_stmt(d,
			     "SELECT m.digest, m.media_type FROM registry_tags t JOIN registry_manifests m"
			     " ON m.repo = t.repo AND m.digest = t.digest WHERE t.repo = ?1 AND t.tag = ?2");
	int e = -ENOENT;

	if (st) {
		store_bind_text(st, 1, repo);
		store_bind_text(st, 2, dig ? ref + 7 : ref);
		if (store_step(st) == STORE_ROW) {
			snprintf(hex, 65, "%s", store_col_str(st, 0));
			snprintf(mt, 128, "%s", store_col_str(st, 1));
			e = 0;
		}
		store_reset(st);
	}
	store_put(c->db, d);
	return e;
}

static void h_manifest_get(struct http_req *r)
{
	char hex[65], mt[128], p[PATH_MAX], dg[80];
	uint8_t *data = NULL;
	size_t len = 0;

	if (!name_ok(r->params[0]) || manifest_lookup(r->ctl, r->params[0], r->params[1], hex, mt) < 0 ||
	    blob_file(r->ctl, hex, p) < 0 || fileio_read(p, REG_MANIFEST_CAP, &data, &len) < 0) {
		reg_error(r, 404, "MANIFEST_UNKNOWN", "manifest unknown");
		return;
	}
	snprintf(dg, sizeof(dg), "sha256:%s", hex);
	http_reply_take(r, 200, data, len, mt);
	add_hdr(r, "Docker-Content-Digest", dg);
	add_hdr(r, "Docker-Distribution-API-Version", "registry/2.0");
}

static void h_tags(struct http_req *r)
{
	struct store *d;
	struct store_stmt *st;
	json_t *tags = json_array();

	if (!name_ok(r->params[0])) {
		json_decref(tags);
		reg_error(r, 404, "NAME_UNKNOWN", "repository unknown");
		return;
	}
	d = store_get(r->ctl->db);
	st = store_stmt(d, "SELECT tag FROM registry_tags WHERE repo = ?1 ORDER BY tag");
	if (st) {
		store_bind_text(st, 1, r->params[0]);
		while (store_step(st) == STORE_ROW)
			json_array_append_new(tags, json_string(store_col_str(st, 0)));
		store_reset(st);
	}
	store_put(r->ctl->db, d);
	if (json_array_size(tags) == 0) {
		json_decref(tags);
		reg_error(r, 404, "NAME_UNKNOWN", "repository unknown");
		return;
	}
	http_reply_json(r, 200, json_pack("{s:s, s:o}", "name", r->params[0], "tags", tags));
}

int registry_forget(struct store *d, const char *name_tag)
{
	char name[REG_NAME_MAX + 1];
	const char *colon = strchr(name_tag, ':');
	size_t n = colon ? (size_t)(colon - name_tag) : strlen(name_tag);
	struct store_stmt *st;
	int e;

	if (n == 0 || n > REG_NAME_MAX)
		return -EINVAL;
	memcpy(name, name_tag, n);
	name[n] = '\0';
	st = store_stmt(d, "DELETE FROM registry_tags WHERE repo = ?1");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, name);
	e = store_step_done(st);
	st = e == 0 ? store_stmt(d, "DELETE FROM registry_manifests WHERE repo = ?1") : NULL;
	if (e == 0 && !st)
		return -EIO;
	if (st) {
		store_bind_text(st, 1, name);
		e = store_step_done(st);
	}
	return e;
}

#define B "/v2/*/blobs/"
const struct http_route registry_routes[] = {
    {"GET", "/v2/", h_base, 0, HTTP_AUTH_NONE, NULL},
    {"GET", "/v2/token", h_token, 0, HTTP_AUTH_NONE, NULL},
    {"GET", B "*", h_blob_get, 0, HTTP_AUTH_NONE, NULL},
    {"HEAD", B "*", h_blob_get, 0, HTTP_AUTH_NONE, NULL},
    {"POST", B "uploads/", h_up_post, SIZE_MAX, HTTP_AUTH_NONE, &up_new_ops},
    {"PATCH", B "uploads/*", h_up_patch, SIZE_MAX, HTTP_AUTH_NONE, &up_old_ops},
    {"PUT", B "uploads/*", h_up_put, SIZE_MAX, HTTP_AUTH_NONE, &up_old_ops},
    {"GET", B "uploads/*", h_up_status, 0, HTTP_AUTH_NONE, NULL},
    {"DELETE", B "uploads/*", h_up_delete, 0, HTTP_AUTH_NONE, NULL},
    {"GET", "/v2/*/manifests/*", h_manifest_get, 0, HTTP_AUTH_NONE, NULL},
    {"HEAD", "/v2/*/manifests/*", h_manifest_get, 0, HTTP_AUTH_NONE, NULL},
    {"PUT", "/v2/*/manifests/*", h_manifest_put, REG_MANIFEST_CAP, HTTP_AUTH_NONE, NULL},
    {"GET", "/v2/*/tags/list", h_tags, 0, HTTP_AUTH_NONE, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
