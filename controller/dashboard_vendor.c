// SPDX-License-Identifier: Apache-2.0
/* Browser libraries from Debian packages (dashboard_vendor.h). */
#include "dashboard_vendor.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"

#define VENDOR_FILE_MAX (2u << 20)
#define XTERM_URL "/ui/vendor/xterm/xterm.js"
#define XTERM_LIB "/usr/share/nodejs/xterm/lib" /* node-xterm: CommonJS modules */
#define BUNDLE_MAX (8u << 20)
#define VENDOR_CSP                                                                                           \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "                    \
	"connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

struct vendor_lib {
	const char *prefix; /* URL prefix, with its trailing slash */
	const char *dir;    /* the package's directory */
};

static const struct vendor_lib libs[] = {
    {"/ui/vendor/xterm/", "/usr/share/javascript/xterm"},
    {"/ui/vendor/novnc/", "/usr/share/novnc"},
};

/* A segment we serve: no "", ".", "..", hidden files, or odd bytes. */
static bool segment_ok(const char *s, size_t n)
{
	if (n == 0 || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			  ch == '-' || ch == '_' || ch == '.';
		if (!ok)
			return false;
	}
	return true;
}

/* The file for url (path in out), its Content-Type; NULL when not served. */
static const char *vendor_path(const char *url, char *out, size_t cap)
{
	for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
		size_t pl = strlen(libs[i].prefix);
		if (strncmp(url, libs[i].prefix, pl))
			continue;
		const char *rest = url + pl, *p = rest;
		while (*p) {
			const char *e = strchr(p, '/');
			size_t n = e ? (size_t)(e - p) : strlen(p);
			if (!segment_ok(p, n))
				return NULL;
			p += n + (e ? 1 : 0);
			if (e && !*p)
				return NULL; /* trailing slash */
		}
		size_t rl = strlen(rest);
		const char *ct = NULL;
		if (rl > 3 && !strcmp(rest + rl - 3, ".js"))
			ct = "text/javascript; charset=utf-8";
		else if (rl > 4 && !strcmp(rest + rl - 4, ".css"))
			ct = "text/css; charset=utf-8";
		int n = snprintf(out, cap, "%s/%s", libs[i].dir, rest);
		return ct && n > 0 && (size_t)n < cap ? ct : NULL;
	}
	return NULL;
}

/* Read path (a regular file, not a symlink, capped). 0 or -errno. */
static int read_file(const char *path, char **data, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int r = 0;
	*data = NULL;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)VENDOR_FILE_MAX) {
		r = -ENOENT;
		goto out;
	}
	*data = malloc((size_t)st.st_size + 1);
	if (!*data) {
		r = -ENOMEM;
		goto out;
	}
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t k = read(fd, *data + got, (size_t)st.st_size - got);
		if (k <= 0) {
			r = -EIO;
			goto out;
		}
		got += (size_t)k;
	}
	*len = got;
out:
	if (r < 0) {
		free(*data);
		*data = NULL;
	}
	close(fd);
	return r;
}

/* ---- xterm.js: Debian's libjs-xterm ships no browser build (its
 * xterm.js is a stub), node-xterm ships the CommonJS modules; they are
 * wrapped here, once, into one classic script with a small require(), as
 * a bundler would, and cached. No eval: the Content-Security-Policy holds. */

static const char bundle_head[] =
    "/* xterm.js from Debian's node-xterm (" XTERM_LIB "), its CommonJS modules wrapped by\n"
    " * eve-controller (controller/dashboard_vendor.c). Defines window.Terminal. */\n"
    "(function () {\nvar defs = {}, cache = {};\n"
    "function norm(base, rel) {\n"
    "  var parts = base.split('/'); parts.pop();\n"
    "  rel.replace(/\\.js$/, '').split('/').forEach(function (p) {\n"
    "    if (p === '..') parts.pop(); else if (p !== '.' && p !== '') parts.push(p); });\n"
    "  return parts.join('/');\n}\n"
    "function load(id) {\n"
    "  if (cache[id]) return cache[id].exports;\n"
    "  var f = defs[id];\n"
    "  if (!f) throw new Error('xterm bundle: no module ' + id);\n"
    "  var m = cache[id] = { exports: {} };\n"
    "  f(function (r) { return load(norm(id, r)); }, m, m.exports);\n"
    "  return m.exports;\n}\n";
static const char bundle_tail[] = "window.Terminal = load('public/Terminal').Terminal;\n})();\n";

static struct buf *bundle_out; /* during nftw (under bundle_mu) */
static int bundle_err;

static int read_file(const char *path, char **data, size_t *len);

static int bundle_one(const char *path, const struct stat *st, int type, struct FTW *f)
{
	size_t n = strlen(path), root = strlen(XTERM_LIB) + 1, len = 0;
	char *data = NULL;
	(void)st;
	(void)f;
	if (type != FTW_F || n < root + 3 || strcmp(path + n - 3, ".js") ||
	    (n >= 8 && !strcmp(path + n - 8, ".test.js")))
		return 0;
	for (const char *p = path + root; p < path + n - 3; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '/' || *p == '_' || *p == '-'))
			return 0; /* a name we would not quote safely */
	int r = read_file(path, &data, &len);
	if (r == 0)
		r = buf_printf(bundle_out, "defs['%.*s'] = function (require, module, exports) {\n",
			       (int)(n - 3 - root), path + root);
	if (r == 0)
		r = buf_append(bundle_out, data, len);
	if (r == 0)
		r = buf_printf(bundle_out, "\n};\n");
	free(data);
	bundle_err = r;
	return r < 0 ? 1 : 0;
}

/* The bundle (static, built on first use); NULL when node-xterm is missing. */
static const struct buf *xterm_bundle(void)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	static struct buf b;
	static bool done;
	struct stat st;
	pthread_mutex_lock(&mu);
	if (!done && stat(XTERM_LIB "/public/Terminal.js", &st) == 0) {
		buf_init(&b, BUNDLE_MAX);
		bundle_out = &b;
		bundle_err = buf_append(&b, bundle_head, sizeof(bundle_head) - 1);
		if (bundle_err == 0 && nftw(XTERM_LIB, bundle_one, 16, FTW_PHYS) != 0 && bundle_err == 0)
			bundle_err = -EIO;
		if (bundle_err == 0)
			bundle_err = buf_append(&b, bundle_tail, sizeof(bundle_tail) - 1);
		done = bundle_err == 0;
		if (!done)
			buf_free(&b);
	}
	pthread_mutex_unlock(&mu);
	return done ? &b : NULL;
}

static void reply_vendor(struct http_req *r, struct MHD_Response *resp, const char *ct)
{
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ct);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "public, max-age=3600");
	MHD_add_response_header(resp, "Content-Security-Policy", VENDOR_CSP);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	http_reply_resp(r, 200, resp);
}

static void h_vendor(struct http_req *r)
{
	if (!strcmp(r->url, XTERM_URL)) {
		const struct buf *b = xterm_bundle();
		struct MHD_Response *resp =
		    b ? MHD_create_response_from_buffer(b->len, b->data, MHD_RESPMEM_PERSISTENT) : NULL;
		if (!resp)
			http_reply_error(r, 404, "not found (xterm.js: install node-xterm, docs/console.md)");
		else
			reply_vendor(r, resp, "text/javascript; charset=utf-8");
		return;
	}
	char path[512], *data = NULL;
	size_t len = 0;
	const char *ct = vendor_path(r->url, path, sizeof(path));
	if (!ct || read_file(path, &data, &len) < 0) {
		http_reply_error(r, 404, "not found (is the Debian package installed? docs/console.md)");
		return;
	}
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(data);
		http_reply_error(r, 500, "out of memory");
		return;
	}
	reply_vendor(r, resp, ct);
}

#define VR(p)                                                                                                \
	{                                                                                                    \
		"GET", p, h_vendor, 0, HTTP_AUTH_NONE, NULL                                                  \
	}
const struct http_route dashboard_vendor_routes[] = {
    VR("/ui/vendor/xterm/*"),
    VR("/ui/vendor/novnc/*"),
    VR("/ui/vendor/novnc/*/*"),
    VR("/ui/vendor/novnc/*/*/*"),
    VR("/ui/vendor/novnc/*/*/*/*"),
    VR("/ui/vendor/novnc/vendor/pako/lib/*/*"), /* deeper than HTTP_MAX_PARAMS segments */
    {NULL, NULL, NULL, 0, HTTP_AUTH_NONE, NULL},
};
