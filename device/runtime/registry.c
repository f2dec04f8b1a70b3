// SPDX-License-Identifier: Apache-2.0
/* OCI distribution pull (see registry.h). */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <curl/curl.h>
#include <jansson.h>

#include "b64.h"
#include "buf.h"
#include "cosign.h"
#include "crypto.h"
#include "download.h"
#include "err.h"
#include "fileio.h"
#include "hexstr.h"
#include "oci_unpack.h"
#include "registry.h"

#define REG_MANIFEST_MAX (4u << 20) /* a manifest or index */
#define REG_TOKEN_MAX (64u << 10)   /* a token server's answer */
#define REG_HDR_MAX 2048
#define REG_AUTH_MAX 16384
#define REG_DEPTH_MAX 2 /* index -> index -> manifest at most */
#define REG_LOCKS_MAX 64

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"

static _Atomic uint64_t g_fetched, g_requests;

uint64_t registry_bytes_fetched(void)
{
	return atomic_load(&g_fetched);
}

uint64_t registry_requests(void)
{
	return atomic_load(&g_requests);
}

/* ---- one pull of a blob at a time per digest (shared layers) ---------- */

static pthread_mutex_t lk_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t lk_cv = PTHREAD_COND_INITIALIZER;
static char lk_hex[REG_LOCKS_MAX][BLOBSTORE_HEX_LEN];

static int lk_find(const char *hex)
{
	int i;

	for (i = 0; i < REG_LOCKS_MAX; i++)
		if (strcmp(lk_hex[i], hex) == 0)
			return i;
	return -1;
}

static void blob_lock(const char *hex)
{
	int i;

	pthread_mutex_lock(&lk_mu);
	while (lk_find(hex) >= 0 || (i = lk_find("")) < 0)
		pthread_cond_wait(&lk_cv, &lk_mu);
	snprintf(lk_hex[i], sizeof(lk_hex[i]), "%s", hex);
	pthread_mutex_unlock(&lk_mu);
}

static void blob_unlock(const char *hex)
{
	int i;

	pthread_mutex_lock(&lk_mu);
	i = lk_find(hex);
	if (i >= 0)
		lk_hex[i][0] = '\0';
	pthread_cond_broadcast(&lk_cv);
	pthread_mutex_unlock(&lk_mu);
}

/* ---- references --------------------------------------------------------- */

static bool repo_ok(const char *s)
{
	const char *p;

	if (!*s || *s == '/' || strstr(s, "//") || strstr(s, ".."))
		return false;
	for (p = s; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || strchr("._-/", *p)))
			return false;
	return p[-1] != '/';
}

static bool tag_ok(const char *s)
{
	const char *p;

	if (!*s || *s == '.' || *s == '-')
		return false;
	for (p = s; *p; p++)
		if (!(isalnum((unsigned char)*p) || strchr("._-", *p)))
			return false;
	return true;
}

static bool host_ok(const char *s)
{
	const char *p;

	if (!*s)
		return false;
	for (p = s; *p; p++)
		if (!(isalnum((unsigned char)*p) || strchr(".-:[]", *p)))
			return false;
	return true;
}

static int split_scheme(const char *s, struct registry_ref *r, const char **rest)
{
	static const struct {
		const char *pfx;
		bool plain;
	} sch[] = {{"docker://", false}, {"oci://", false}, {"https://", false}, {"http://", true}};
	size_t i;

	for (i = 0; i < sizeof(sch) / sizeof(sch[0]); i++) {
		if (strncmp(s, sch[i].pfx, strlen(sch[i].pfx)) == 0) {
			r->plain_http = sch[i].plain;
			*rest = s + strlen(sch[i].pfx);
			return 0;
		}
	}
	return -EINVAL;
}

/* Split "repo[:tag][@sha256:hex]" into r. */
static int split_name(char *name, struct registry_ref *r)
{
	char *at = strchr(name, '@'), *colon;

	if (at) {
		*at++ = '\0';
		if (strncmp(at, "sha256:", 7) != 0 || !blobstore_valid_hex(at + 7))
			return -EINVAL;
		for (size_t i = 0; i < 64; i++)
			r->digest[i] = (char)tolower((unsigned char)at[7 + i]);
		r->digest[64] = '\0';
	}
	colon = strrchr(name, ':');
	if (colon && !strchr(colon, '/')) {
		*colon++ = '\0';
		if (!tag_ok(colon) || strlen(colon) >= sizeof(r->tag))
			return -EINVAL;
		snprintf(r->tag, sizeof(r->tag), "%s", colon);
	} else {
		snprintf(r->tag, sizeof(r->tag), "latest");
	}
	if (!repo_ok(name) || strlen(name) >= sizeof(r->repo))
		return -EINVAL;
	snprintf(r->repo, sizeof(r->repo), "%s", name);
	return 0;
}

int registry_ref_parse(const char *s, struct registry_ref *out)
{
	struct registry_ref r = {0};
	const char *rest, *slash;
	char name[REGISTRY_REPO_MAX + REGISTRY_TAG_MAX + 80];
	size_t hl;

	if (!s || strlen(s) > 1024 || split_scheme(s, &r, &rest) < 0)
		return -EINVAL;
	slash = strchr(rest, '/');
	if (!slash)
		return -EINVAL;
	hl = (size_t)(slash - rest);
	if (hl == 0 || hl >= sizeof(r.host))
		return -EINVAL;
	memcpy(r.host, rest, hl);
	r.host[hl] = '\0';
	if (!host_ok(r.host) || strlen(slash + 1) >= sizeof(name))
		return -EINVAL;
	snprintf(name, sizeof(name), "%s", slash + 1);
	if (split_name(name, &r) < 0)
		return -EINVAL;
	/* Docker Hub: its API host, and official images under library/. */
	if (strcmp(r.host, "docker.io") == 0 || strcmp(r.host, "index.docker.io") == 0) {
		snprintf(r.host, sizeof(r.host), "registry-1.docker.io");
		if (!strchr(r.repo, '/')) {
			char tmp[REGISTRY_REPO_MAX];

			if (snprintf(tmp, sizeof(tmp), "library/%s", r.repo) >= (int)sizeof(tmp))
				return -EINVAL;
			snprintf(r.repo, sizeof(r.repo), "%s", tmp);
		}
	}
	*out = r;
	return 0;
}

void registry_platform(char arch[16], char variant[8])
{
	static const struct {
		const char *m, *arch, *variant;
	} map[] = {{"x86_64", "amd64", ""}, {"aarch64", "arm64", "v8"}, {"armv7l", "arm", "v7"},
		   {"armv6l", "arm", "v6"}, {"i686", "386", ""},        {"riscv64", "riscv64", ""}};
	struct utsname u;
	size_t i;

	snprintf(arch, 16, "amd64");
	variant[0] = '\0';
	if (uname(&u) < 0)
		return;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(u.machine, map[i].m) == 0) {
			snprintf(arch, 16, "%s", map[i].arch);
			snprintf(variant, 8, "%s", map[i].variant);
			return;
		}
	}
	snprintf(arch, 16, "%.15s", u.machine);
}

/* ---- HTTP with the auth challenge ---------------------------------------- */

struct sess {
	const struct registry_pull_opts *o;
	struct registry_ref ref;
	char base[REGISTRY_HOST_MAX + 16];
	char auth[REG_AUTH_MAX]; /* "Authorization: ..." or "" */
	char *err;
	size_t errlen;
	char arch[16], variant[8];
	const char *os;
	char top[BLOBSTORE_HEX_LEN]; /* digest the reference resolved to first */
};

struct resp {
	struct buf body;
	long status;
	char ctype[128];
	char digest[80];
	char challenge[REG_HDR_MAX];
};

static void hdr_value(const char *p, size_t len, const char *name, char *dst, size_t cap)
{
	size_t nl = strlen(name), vl;

	if (len <= nl + 1 || strncasecmp(p, name, nl) != 0 || p[nl] != ':')
		return;
	p += nl + 1;
	len -= nl + 1;
	while (len && (*p == ' ' || *p == '\t'))
		p++, len--;
	vl = len;
	while (vl && (p[vl - 1] == '\r' || p[vl - 1] == '\n' || p[vl - 1] == ' '))
		vl--;
	if (vl >= cap)
		vl = cap - 1;
	memcpy(dst, p, vl);
	dst[vl] = '\0';
}

static size_t on_hdr(char *p, size_t sz, size_t n, void *ud)
{
	struct resp *r = ud;
	size_t len = sz * n;

	if (len > 5 && strncmp(p, "HTTP/", 5) == 0) {
		r->ctype[0] = r->digest[0] = r->challenge[0] = '\0';
		buf_reset(&r->body);
	}
	hdr_value(p, len, "Content-Type", r->ctype, sizeof(r->ctype));
	hdr_value(p, len, "Docker-Content-Digest", r->digest, sizeof(r->digest));
	hdr_value(p, len, "WWW-Authenticate", r->challenge, sizeof(r->challenge));
	return len;
}

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
	struct resp *r = ud;

	return buf_append(&r->body, p, sz * n) < 0 ? 0 : sz * n;
}

static void curl_common(CURL *c, const struct sess *s)
{
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, s->ref.plain_http ? "http,https" : "https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, s->ref.plain_http ? "http,https" : "https");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 20L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, s->o->stall_secs > 0 ? s->o->stall_secs : 30L);
	if (s->o->ca_pem && s->o->ca_len) {
		struct curl_blob b = {
		    .data = (void *)s->o->ca_pem, .len = s->o->ca_len, .flags = CURL_BLOB_COPY};

		curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &b);
	}
}

/* One GET (or HEAD) into memory through route rt. 0 with r->status set,
 * or a transport error (*next: it failed before an answer: the next
 * route may do better). */
static int http_route(struct sess *s, const struct download_route *rt, const char *url, const char *accept,
		      bool head, bool basic, size_t cap, struct resp *r, bool *next)
{
	char ebuf[CURL_ERROR_SIZE] = "", acc[REG_HDR_MAX];
	struct curl_slist *h = NULL, *t;
	CURL *c = curl_easy_init();
	CURLcode cc;
	int rc = 0;

	*next = false;
	buf_free(&r->body);
	buf_init(&r->body, cap);
	r->status = 0;
	atomic_fetch_add(&g_requests, 1);
	if (!c)
		return -ENOMEM;
	curl_common(c, s);
	if (s->o->router)
		download_route_apply(c, rt);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_hdr);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	if (head)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (accept) {
		snprintf(acc, sizeof(acc), "Accept: %s", accept);
		h = curl_slist_append(h, acc);
	}
	if (s->auth[0] && !basic && (t = curl_slist_append(h, s->auth)))
		h = t;
	if (basic && s->o->user) {
		curl_easy_setopt(c, CURLOPT_USERNAME, s->o->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, s->o->password ? s->o->password : "");
	}
	if (h)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	*next = cc != CURLE_OK && download_route_failed(cc);
	if (cc != CURLE_OK) {
		snprintf(s->err, s->errlen, "%s: %s", url, ebuf[0] ? ebuf : curl_easy_strerror(cc));
		rc = cc == CURLE_WRITE_ERROR                                                   ? -EVE_ETOOBIG
		     : (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CONNECT_ERROR) ? -EVE_EBADCERT
											       : -EIO;
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return rc;
}

/* One GET (or HEAD) into memory, through each route of the URL in turn
 * while they fail before an answer. 0 with r->status set, or a transport
 * error. */
static int http_once(struct sess *s, const char *url, const char *accept, bool head, bool basic, size_t cap,
		     struct resp *r)
{
	struct download_route routes[DOWNLOAD_ROUTES_MAX];
	bool next = true;
	int n, rc = -ENETUNREACH;

	n = download_routes(s->o->router, url, routes, DOWNLOAD_ROUTES_MAX, s->err, s->errlen);
	if (n < 0)
		return n;
	for (int i = 0; i < n && next; i++)
		rc = http_route(s, &routes[i], url, accept, head, basic, cap, r, &next);
	return rc;
}

/* key="value" (or key=value) out of a challenge's parameter list. */
static void chal_param(const char *ch, const char *key, char *dst, size_t cap)
{
	size_t kl = strlen(key), n = 0;
	const char *p = ch;

	dst[0] = '\0';
	while ((p = strcasestr(p, key))) {
		bool start = p == ch || p[-1] == ' ' || p[-1] == ',';

		p += kl;
		if (!start || *p != '=')
			continue;
		p++;
		if (*p == '"') {
			p++;
			while (p[n] && p[n] != '"' && n + 1 < cap)
				n++;
		} else {
			while (p[n] && p[n] != ',' && n + 1 < cap)
				n++;
		}
		memcpy(dst, p, n);
		dst[n] = '\0';
		return;
	}
}

static int token_fetch(struct sess *s, const char *ch)
{
	char realm[1024], service[256], scope[512], url[2048];
	struct resp r = {0};
	json_t *j = NULL, *tok;
	CURL *c = curl_easy_init();
	char *es = NULL, *esc = NULL;
	int rc;

	chal_param(ch, "realm", realm, sizeof(realm));
	chal_param(ch, "service", service, sizeof(service));
	chal_param(ch, "scope", scope, sizeof(scope));
	if (!scope[0])
		snprintf(scope, sizeof(scope), "repository:%s:pull", s->ref.repo);
	if (!c || !realm[0]) {
		snprintf(s->err, s->errlen, "registry %s: bearer challenge without a realm", s->ref.host);
		rc = c ? -EVE_EPROTO : -ENOMEM;
		goto out;
	}
	es = curl_easy_escape(c, service, 0);
	esc = curl_easy_escape(c, scope, 0);
	snprintf(url, sizeof(url), "%s%sservice=%s&scope=%s", realm, strchr(realm, '?') ? "&" : "?",
		 es ? es : "", esc ? esc : "");
	rc = http_once(s, url, "application/json", false, true, REG_TOKEN_MAX, &r);
	if (rc < 0)
		goto out;
	if (r.status == 401 || r.status == 403) {
		snprintf(s->err, s->errlen, "registry %s: token server refused the %s (HTTP %ld)",
			 s->ref.host, s->o->user ? "credentials" : "anonymous pull; credentials needed",
			 r.status);
		rc = -EACCES;
		goto out;
	}
	j = r.status == 200 ? json_loadb((const char *)r.body.data, r.body.len, 0, NULL) : NULL;
	tok = j ? json_object_get(j, "token") : NULL;
	if (!json_is_string(tok))
		tok = j ? json_object_get(j, "access_token") : NULL;
	if (!json_is_string(tok) || json_string_length(tok) + 32 > sizeof(s->auth)) {
		snprintf(s->err, s->errlen, "registry %s: no usable token from %s (HTTP %ld)", s->ref.host,
			 realm, r.status);
		rc = -EVE_EPROTO;
		goto out;
	}
	snprintf(s->auth, sizeof(s->auth), "Authorization: Bearer %s", json_string_value(tok));
	rc = 0;
out:
	curl_free(es);
	curl_free(esc);
	curl_easy_cleanup(c);
	json_decref(j);
	buf_free(&r.body);
	return rc;
}

static int basic_auth(struct sess *s)
{
	char up[1024], *b = NULL;

	if (!s->o->user) {
		snprintf(s->err, s->errlen,
			 "registry %s requires credentials (HTTP basic) and the datastore has none",
			 s->ref.host);
		return -EACCES;
	}
	snprintf(up, sizeof(up), "%s:%s", s->o->user, s->o->password ? s->o->password : "");
	b = b64_encode((const uint8_t *)up, strlen(up));
	explicit_bzero(up, sizeof(up));
	if (!b)
		return -ENOMEM;
	snprintf(s->auth, sizeof(s->auth), "Authorization: Basic %s", b);
	explicit_bzero(b, strlen(b));
	free(b);
	return 0;
}

/* Answer a 401's challenge: sets s->auth. */
static int authenticate(struct sess *s, const char *challenge)
{
	if (strncasecmp(challenge, "Bearer", 6) == 0)
		return token_fetch(s, challenge + 6);
	if (strncasecmp(challenge, "Basic", 5) == 0)
		return basic_auth(s);
	snprintf(s->err, s->errlen, "registry %s: HTTP 401 with an unsupported challenge \"%.60s\"",
		 s->ref.host, challenge);
	return -EACCES;
}

/* GET/HEAD with one round of authentication on a 401. */
static int http_get(struct sess *s, const char *url, const char *accept, bool head, size_t cap,
		    struct resp *r)
{
	int rc = http_once(s, url, accept, head, false, cap, r);

	if (rc < 0 || r->status != 401)
		return rc;
	if (s->auth[0] && strncmp(s->auth, "Authorization: Basic", 20) == 0) {
		snprintf(s->err, s->errlen, "registry %s refused the credentials for %s (HTTP 401)",
			 s->ref.host, s->ref.repo);
		return -EACCES;
	}
	rc = authenticate(s, r->challenge);
	if (rc < 0)
		return rc;
	rc = http_once(s, url, accept, head, false, cap, r);
	if (rc == 0 && r->status == 401) {
		if (s->o->user)
			snprintf(s->err, s->errlen, "registry %s refused the credentials for %s (HTTP 401)",
				 s->ref.host, s->ref.repo);
		else
			snprintf(s->err, s->errlen,
				 "registry %s refused anonymous access to %s (HTTP 401): the datastore needs "
				 "credentials",
				 s->ref.host, s->ref.repo);
		return -EACCES;
	}
	return rc;
}

/* ---- manifests ------------------------------------------------------------ */

static int digest_hex(const char *d, char out[BLOBSTORE_HEX_LEN])
{
	size_t i;

	if (!d || strncmp(d, "sha256:", 7) != 0 || !blobstore_valid_hex(d + 7))
		return -EINVAL;
	for (i = 0; i < 64; i++)
		out[i] = (char)tolower((unsigned char)d[7 + i]);
	out[64] = '\0';
	return 0;
}

static void sha_hex(const void *p, size_t n, char out[BLOBSTORE_HEX_LEN])
{
	uint8_t h[CRYPTO_SHA256_LEN];

	crypto_sha256(p, n, h);
	hexstr_encode(h, sizeof(h), out);
}

/* Keep a verified manifest/index in the blob store under its digest. */
static int store_json(struct blobstore *bs, const void *p, size_t n, const char *hex)
{
	char *tmp = NULL;
	int r;

	if (blobstore_has(bs, hex))
		return 0;
	r = blobstore_partial_path(bs, hex, &tmp);
	if (r == 0)
		r = fileio_write_atomic(tmp, p, n, 0600);
	if (r == 0)
		r = blobstore_commit(bs, tmp, hex, NULL);
	free(tmp);
	return r;
}

static int read_blob(struct blobstore *bs, const char *hex, size_t cap, json_t **out)
{
	char *path = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	int r = blobstore_path(bs, hex, &path);

	if (r == 0)
		r = fileio_read(path, cap, &data, &len);
	if (r == 0 && !(*out = json_loadb((const char *)data, len, 0, NULL)))
		r = -EVE_EPROTO;
	free(path);
	free(data);
	return r;
}

/* Fetch manifest `what` (a tag or a digest hex), verify it, store it. */
static int fetch_manifest(struct sess *s, const char *what, bool is_digest, char hex[BLOBSTORE_HEX_LEN],
			  json_t **out)
{
	static const char acc[] =
	    MT_OCI_INDEX ", " MT_OCI_MANIFEST ", " MT_DOCKER_LIST ", " MT_DOCKER_MANIFEST;
	char url[2048], got[BLOBSTORE_HEX_LEN], hdr[BLOBSTORE_HEX_LEN];
	struct resp r = {0};
	int rc;

	if (is_digest && blobstore_has(s->o->bs, what)) {
		snprintf(hex, BLOBSTORE_HEX_LEN, "%s", what);
		return read_blob(s->o->bs, what, REG_MANIFEST_MAX, out);
	}
	snprintf(url, sizeof(url), "%s/v2/%s/manifests/%s%s", s->base, s->ref.repo,
		 is_digest ? "sha256:" : "", what);
	rc = http_get(s, url, acc, false, REG_MANIFEST_MAX, &r);
	if (rc < 0)
		goto out;
	if (r.status != 200) {
		snprintf(s->err, s->errlen, "manifest %s:%s: HTTP status %ld from registry %s", s->ref.repo,
			 what, r.status, s->ref.host);
		rc = r.status == 404 ? -ENOENT : -EVE_EHTTP;
		goto out;
	}
	sha_hex(r.body.data, r.body.len, got);
	if ((is_digest && strcmp(got, what) != 0) ||
	    (!is_digest && r.digest[0] && digest_hex(r.digest, hdr) == 0 && strcmp(got, hdr) != 0)) {
		snprintf(s->err, s->errlen,
			 "digest mismatch for manifest %s:%s: expected sha256:%s, got sha256:%s", s->ref.repo,
			 what, is_digest ? what : hdr, got);
		rc = -EVE_EHASH;
		goto out;
	}
	*out = json_loadb((const char *)r.body.data, r.body.len, 0, NULL);
	if (!*out) {
		snprintf(s->err, s->errlen, "manifest %s:%s is not JSON", s->ref.repo, what);
		rc = -EVE_EPROTO;
		goto out;
	}
	rc = store_json(s->o->bs, r.body.data, r.body.len, got);
	snprintf(hex, BLOBSTORE_HEX_LEN, "%s", got);
out:
	buf_free(&r.body);
	return rc;
}

static bool platform_matches(const struct sess *s, json_t *pl)
{
	const char *a = json_string_value(json_object_get(pl, "architecture"));
	const char *o = json_string_value(json_object_get(pl, "os"));
	const char *v = json_string_value(json_object_get(pl, "variant"));

	if (!a || !o || strcmp(a, s->arch) != 0 || strcmp(o, s->os) != 0)
		return false;
	return !v || !v[0] || !s->variant[0] || strcmp(v, s->variant) == 0;
}

/* The descriptor of this platform's manifest in an index. */
static int pick_platform(struct sess *s, json_t *index, char hex[BLOBSTORE_HEX_LEN])
{
	json_t *ms = json_object_get(index, "manifests"), *m;
	size_t i;

	json_array_foreach(ms, i, m)
	{
		if (platform_matches(s, json_object_get(m, "platform")) &&
		    digest_hex(json_string_value(json_object_get(m, "digest")), hex) == 0)
			return 0;
	}
	snprintf(s->err, s->errlen, "image %s:%s has no manifest for platform %s/%s%s%s", s->ref.repo,
		 s->ref.tag, s->os, s->arch, s->variant[0] ? "/" : "", s->variant);
	return -ENOENT;
}

static bool is_index(json_t *j)
{
	const char *mt = json_string_value(json_object_get(j, "mediaType"));

	if (mt)
		return strcmp(mt, MT_OCI_INDEX) == 0 || strcmp(mt, MT_DOCKER_LIST) == 0;
	return json_is_array(json_object_get(j, "manifests"));
}

/* Resolve the reference (or pin) to this platform's image manifest. */
static int resolve(struct sess *s, struct registry_image *img, json_t **man)
{
	const char *what = s->o->pin && s->o->pin[0] ? s->o->pin
			   : s->ref.digest[0]        ? s->ref.digest
						     : s->ref.tag;
	bool dig = what != s->ref.tag;
	char hex[BLOBSTORE_HEX_LEN], next[BLOBSTORE_HEX_LEN];
	json_t *j = NULL;
	int depth, rc;

	rc = fetch_manifest(s, what, dig, hex, &j);
	if (rc == 0)
		memcpy(s->top, hex, BLOBSTORE_HEX_LEN);
	for (depth = 0; rc == 0 && is_index(j); depth++) {
		if (depth >= REG_DEPTH_MAX) {
			snprintf(s->err, s->errlen, "image %s: image indexes nested too deep", s->ref.repo);
			rc = -EVE_EPROTO;
			break;
		}
		snprintf(img->index, sizeof(img->index), "%s", hex);
		rc = pick_platform(s, j, next);
		json_decref(j);
		j = NULL;
		if (rc == 0)
			rc = fetch_manifest(s, next, true, hex, &j);
	}
	if (rc < 0) {
		json_decref(j);
		return rc;
	}
	snprintf(img->manifest, sizeof(img->manifest), "%s", hex);
	*man = j;
	return 0;
}

/* Config + layer digests (and sizes) of an image manifest. */
static int parse_manifest(json_t *m, struct registry_image *img, uint64_t **sizes)
{
	json_t *ls = json_object_get(m, "layers"), *l, *cfg = json_object_get(m, "config");
	size_t i, n = json_array_size(ls);
	uint64_t *sz = calloc(n + 1, sizeof(*sz));
	json_int_t v;

	img->layers = calloc(n ? n : 1, sizeof(*img->layers));
	if (!sz || !img->layers) {
		free(sz);
		return -ENOMEM;
	}
	if (digest_hex(json_string_value(json_object_get(cfg, "digest")), img->config) < 0 || n == 0 ||
	    n > 512) {
		free(sz);
		return -EVE_EPROTO;
	}
	/* Every descriptor states its size: it caps the download of the blob. */
	v = json_integer_value(json_object_get(cfg, "size"));
	if (v <= 0) {
		free(sz);
		return -EVE_EPROTO;
	}
	sz[0] = (uint64_t)v;
	img->total = sz[0];
	json_array_foreach(ls, i, l)
	{
		if (digest_hex(json_string_value(json_object_get(l, "digest")), img->layers[i]) < 0) {
			free(sz);
			return -EVE_EPROTO;
		}
		v = json_integer_value(json_object_get(l, "size"));
		if (v <= 0) {
			free(sz);
			return -EVE_EPROTO;
		}
		sz[i + 1] = (uint64_t)v;
		img->total += sz[i + 1];
		img->n_layers = i + 1;
	}
	*sizes = sz;
	return 0;
}

/* ---- blobs ---------------------------------------------------------------- */

struct prog {
	struct sess *s;
	uint64_t done, total; /* bytes of the image already present */
	uint64_t start;       /* partial file size before this attempt */
	uint64_t last;
};

static void on_progress(void *ctx, uint64_t have, uint64_t total)
{
	struct prog *p = ctx;

	(void)total;
	p->last = have;
	if (p->s->o->progress)
		p->s->o->progress(p->s->o->ctx, p->done + have, p->total);
}

static int download_blob(struct sess *s, const char *hex, uint64_t size, const char *tmp, struct prog *p)
{
	char url[2048];
	const char *hdrs[2] = {s->auth[0] ? s->auth : NULL, NULL};
	long status = 0;
	struct download_opts d = {
	    .url = url,
	    .dest = tmp,
	    .max_size = size,
	    .ca_pem = s->o->ca_pem,
	    .ca_pem_len = s->o->ca_len,
	    .stall_secs = s->o->stall_secs > 0 ? s->o->stall_secs : 30,
	    .progress = on_progress,
	    .ctx = p,
	    .cancel = s->o->cancel,
	    .headers = hdrs,
	    .status = &status,
	    .https_only = !s->ref.plain_http,
	    .router = s->o->router,
	};
	struct stat st;
	int rc;

	snprintf(url, sizeof(url), "%s/v2/%s/blobs/sha256:%s", s->base, s->ref.repo, hex);
	p->start = stat(tmp, &st) == 0 ? (uint64_t)st.st_size : 0;
	p->last = p->start;
	atomic_fetch_add(&g_requests, 1);
	rc = download_file(&d, s->err, s->errlen);
	if (rc == -EVE_EHTTP && status == 401) {
		struct resp r = {0};

		/* The token expired: authenticate again (HEAD answers the challenge). */
		s->auth[0] = '\0';
		rc = http_get(s, url, NULL, true, 1024, &r);
		buf_free(&r.body);
		if (rc == 0) {
			hdrs[0] = s->auth[0] ? s->auth : NULL;
			p->start = stat(tmp, &st) == 0 ? (uint64_t)st.st_size : 0;
			rc = download_file(&d, s->err, s->errlen);
		}
	}
	if (p->last > p->start)
		atomic_fetch_add(&g_fetched, p->last - p->start);
	if (rc == -EVE_ETOOBIG) {
		unlink(tmp);
		snprintf(s->err, s->errlen, "blob sha256:%s is larger than the %llu bytes its manifest says",
			 hex, (unsigned long long)size);
	}
	return rc;
}

static int fetch_blob(struct sess *s, const char *hex, uint64_t size, struct prog *p, uint64_t *fetched)
{
	char got[BLOBSTORE_HEX_LEN] = "", *tmp = NULL;
	uint64_t before = atomic_load(&g_fetched);
	int rc = 0;

	blob_lock(hex);
	if (blobstore_has(s->o->bs, hex))
		goto out;
	rc = blobstore_partial_path(s->o->bs, hex, &tmp);
	if (rc == 0)
		rc = download_blob(s, hex, size, tmp, p);
	if (rc == 0) {
		rc = blobstore_commit(s->o->bs, tmp, hex, got);
		if (rc == -EVE_EHASH)
			snprintf(s->err, s->errlen,
				 "digest mismatch for blob of %s: expected sha256:%s, got sha256:%s (blob "
				 "deleted)",
				 s->ref.repo, hex, got);
		else if (rc < 0)
			snprintf(s->err, s->errlen, "storing blob sha256:%s: %s", hex, eve_strerror(rc));
	}
out:
	blob_unlock(hex);
	*fetched += atomic_load(&g_fetched) - before;
	free(tmp);
	return rc;
}

static int fetch_blobs(struct sess *s, struct registry_image *img, const uint64_t *sizes)
{
	struct prog p = {.s = s, .total = img->total};
	size_t i;
	int rc;

	if (s->o->max_size && img->total > s->o->max_size) {
		snprintf(s->err, s->errlen, "image %s is %llu bytes, over maxSizeBytes %llu", s->ref.repo,
			 (unsigned long long)img->total, (unsigned long long)s->o->max_size);
		return -EVE_ETOOBIG;
	}
	for (i = 0; i <= img->n_layers; i++) {
		const char *hex = i == 0 ? img->config : img->layers[i - 1];

		rc = fetch_blob(s, hex, sizes[i], &p, &img->fetched);
		if (rc < 0)
			return rc;
		p.done += sizes[i];
		if (s->o->progress)
			s->o->progress(s->o->ctx, p.done, p.total);
	}
	return 0;
}

/* ---- publisher signatures (cosign) ----------------------------------------- */

/* GET url into r (at most cap bytes); 0 with r->status set. */
static int get_small(struct sess *s, const char *url, const char *accept, size_t cap, struct resp *r)
{
	char keep[256];
	int rc;

	snprintf(keep, sizeof(keep), "%s", s->err); /* a 404 here is not the pull's error */
	rc = http_get(s, url, accept, false, cap, r);
	if (rc == 0)
		snprintf(s->err, s->errlen, "%s", keep);
	return rc;
}

/* One payload blob by digest, checked against it. */
static int sig_payload(struct sess *s, const struct cosign_sig *cs, struct registry_sigs *out)
{
	char url[2048], got[BLOBSTORE_HEX_LEN];
	struct resp r = {0};
	int rc;

	snprintf(url, sizeof(url), "%s/v2/%s/blobs/sha256:%s", s->base, s->ref.repo, cs->payload_hex);
	rc = get_small(s, url, "*/*", COSIGN_PAYLOAD_MAX, &r);
	if (rc == 0 && r.status == 200) {
		sha_hex(r.body.data, r.body.len, got);
		if (strcmp(got, cs->payload_hex) == 0 && (out->sig_b64[out->n] = strdup(cs->sig_b64))) {
			out->payload[out->n] = (uint8_t *)r.body.data;
			out->payload_len[out->n++] = r.body.len;
			r.body.data = NULL;
		}
	}
	buf_free(&r.body);
	return rc;
}

static int sigs_fetch(struct sess *s, struct registry_sigs *out)
{
	char url[2048], why[200] = "";
	struct resp r = {0};
	struct cosign_manifest m;
	int rc;

	snprintf(out->digest, sizeof(out->digest), "%s", s->top);
	snprintf(url, sizeof(url), "%s/v2/%s/manifests/sha256-%s.sig", s->base, s->ref.repo, s->top);
	rc = get_small(s, url, MT_OCI_MANIFEST ", " MT_DOCKER_MANIFEST, COSIGN_MANIFEST_MAX, &r);
	if (rc < 0) { /* the policy decides what an unreachable signature means */
		snprintf(out->why, sizeof(out->why), "signature not fetched: %.200s", s->err);
		s->err[0] = '\0';
		rc = 0;
		goto out;
	}
	if (r.status != 200) {
		snprintf(out->why, sizeof(out->why),
			 "no signature in %.80s/%.100s (sha256-%.12s...sig: HTTP %ld)", s->ref.host,
			 s->ref.repo, s->top, r.status);
		goto out;
	}
	out->found = true;
	if (cosign_manifest_parse(r.body.data, r.body.len, &m, why, sizeof(why)) < 0) {
		snprintf(out->why, sizeof(out->why), "%s", why);
		goto out;
	}
	for (size_t i = 0; i < m.n; i++)
		sig_payload(s, &m.sigs[i], out); /* a payload not fetched is one signature less */
	if (rc == 0 && out->n == 0)
		snprintf(out->why, sizeof(out->why),
			 "signature payloads missing or not matching their digests");
	cosign_manifest_free(&m);
out:
	buf_free(&r.body);
	return rc;
}

static void sigs_clear(struct registry_sigs *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free(g->payload[i]);
		free(g->sig_b64[i]);
	}
	memset(g, 0, sizeof(*g));
}

/* Fetch the signatures and let the caller judge them. */
static int sigs_check(struct sess *s)
{
	struct registry_sigs *g = calloc(1, sizeof(*g));
	int rc;

	if (!g)
		return -ENOMEM;
	rc = sigs_fetch(s, g);
	if (rc == 0)
		rc = s->o->sig_check(s->o->sig_ctx, g, s->err, s->errlen);
	sigs_clear(g);
	free(g);
	return rc;
}

static int sess_init(struct sess *s, const struct registry_pull_opts *o, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->o = o;
	s->err = err;
	s->errlen = errlen;
	if (registry_ref_parse(o->ref, &s->ref) < 0) {
		snprintf(err, errlen, "not an image reference: %.200s", o->ref ? o->ref : "(none)");
		return -EINVAL;
	}
	if (o->pin && o->pin[0] && !blobstore_valid_hex(o->pin)) {
		snprintf(err, errlen, "pinned digest is not 64 hex characters");
		return -EINVAL;
	}
	snprintf(s->base, sizeof(s->base), "%s://%s", s->ref.plain_http ? "http" : "https", s->ref.host);
	registry_platform(s->arch, s->variant);
	if (o->arch)
		snprintf(s->arch, sizeof(s->arch), "%s", o->arch);
	if (o->arch)
		snprintf(s->variant, sizeof(s->variant), "%s", o->variant ? o->variant : "");
	s->os = o->os ? o->os : "linux";
	return 0;
}

int registry_pull(const struct registry_pull_opts *o, struct registry_image *out, char *err, size_t errlen)
{
	struct registry_image img = {0};
	uint64_t *sizes = NULL;
	json_t *man = NULL;
	struct sess *s = malloc(sizeof(*s));
	int rc;

	err[0] = '\0';
	if (!s)
		return -ENOMEM;
	rc = sess_init(s, o, err, errlen);
	if (rc == 0)
		rc = resolve(s, &img, &man);
	if (rc == 0 && parse_manifest(man, &img, &sizes) < 0) {
		snprintf(err, errlen, "manifest sha256:%s of %s: no config or layers", img.manifest,
			 s->ref.repo);
		rc = -EVE_EPROTO;
	}
	if (rc == 0 && o->sig_check)
		rc = sigs_check(s);
	if (rc == 0)
		rc = fetch_blobs(s, &img, sizes);
	if (rc == 0) {
		*out = img;
		memset(&img, 0, sizeof(img));
	}
	explicit_bzero(s->auth, sizeof(s->auth));
	free(s);
	free(sizes);
	json_decref(man);
	registry_image_clear(&img);
	return rc;
}

int registry_image_load(struct blobstore *bs, const char *manifest_hex, struct registry_image *out)
{
	struct registry_image img = {0};
	uint64_t *sizes = NULL;
	json_t *m = NULL;
	int rc = read_blob(bs, manifest_hex, REG_MANIFEST_MAX, &m);

	if (rc == 0)
		rc = parse_manifest(m, &img, &sizes);
	if (rc == 0) {
		snprintf(img.manifest, sizeof(img.manifest), "%s", manifest_hex);
		*out = img;
		memset(&img, 0, sizeof(img));
	}
	json_decref(m);
	free(sizes);
	registry_image_clear(&img);
	return rc;
}

void registry_image_clear(struct registry_image *img)
{
	if (!img)
		return;
	free(img->layers);
	memset(img, 0, sizeof(*img));
}

int registry_unpack(struct blobstore *bs, const char *manifest_hex, const char *rootfs,
		    const char *config_out, uint64_t max_bytes, char *err, size_t errlen)
{
	uint64_t budget = max_bytes;
	struct registry_image img = {0};
	char *path = NULL;
	uint8_t *data = NULL;
	size_t i, len = 0;
	int rc = registry_image_load(bs, manifest_hex, &img);

	err[0] = '\0';
	if (rc < 0) {
		snprintf(err, errlen, "image manifest sha256:%s: %s", manifest_hex, eve_strerror(rc));
		return rc;
	}
	rc = fileio_mkdirs(rootfs, 0755);
	for (i = 0; rc == 0 && i < img.n_layers; i++) {
		free(path);
		path = NULL;
		rc = blobstore_path(bs, img.layers[i], &path);
		if (rc == 0 && !blobstore_has(bs, img.layers[i]))
			rc = -ENOENT;
		if (rc == 0)
			rc = oci_apply_layer(path, rootfs, &budget, err, errlen);
		else
			snprintf(err, errlen, "layer sha256:%s: %s", img.layers[i], eve_strerror(rc));
	}
	free(path);
	path = NULL;
	if (rc == 0)
		rc = blobstore_path(bs, img.config, &path);
	if (rc == 0)
		rc = fileio_read(path, REG_MANIFEST_MAX, &data, &len);
	if (rc == 0)
		rc = fileio_write_atomic(config_out, data, len, 0644);
	if (rc < 0 && !err[0])
		snprintf(err, errlen, "image config sha256:%s: %s", img.config, eve_strerror(rc));
	free(path);
	free(data);
	registry_image_clear(&img);
	return rc;
}
