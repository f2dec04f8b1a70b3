// SPDX-License-Identifier: Apache-2.0
/* Admin API client: one curl easy handle, bounded response buffers, one
 * place that turns curl and HTTP failures into error codes. */
#include "api.h"
#include "evtunnel.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "curlerr.h"
#include "err.h"

struct api {
	CURL *curl;
	char *base; /* "https://host:port/api/v1" */
	char *ca;
	char *auth; /* "Authorization: Bearer ..." or NULL */
	long status;
	char errmsg[512];
	char curlerr[CURL_ERROR_SIZE];
};

/* State of one transfer's response body. */
struct sink {
	struct api *api;
	struct buf body; /* whole body, or an error body while streaming */
	struct buf line; /* the current line while streaming */
	api_line_cb cb;
	void *ud;
	int cb_ret;
	bool toobig;
};

int api_new(const char *server, const char *ca, const char *token, struct api **out)
{
	struct api *a = calloc(1, sizeof(*a));
	size_t n;
	int r = -ENOMEM;

	if (!a)
		return -ENOMEM;
	n = strlen(server);
	while (n && server[n - 1] == '/')
		n--;
	if (n >= 7 && strncmp(server + n - 7, "/api/v1", 7) == 0)
		n -= 7;
	if (asprintf(&a->base, "%.*s/api/v1", (int)n, server) < 0) {
		a->base = NULL;
		goto out;
	}
	if (ca && !(a->ca = strdup(ca)))
		goto out;
	if (token && asprintf(&a->auth, "Authorization: Bearer %s", token) < 0) {
		a->auth = NULL;
		goto out;
	}
	a->curl = curl_easy_init();
	if (!a->curl)
		goto out;
	*out = a;
	return 0;
out:
	api_free(a);
	return r;
}

void api_free(struct api *a)
{
	if (!a)
		return;
	if (a->curl)
		curl_easy_cleanup(a->curl);
	free(a->base);
	free(a->ca);
	if (a->auth) {
		/* the token must not linger in freed memory */
		memset(a->auth, 0, strlen(a->auth));
		free(a->auth);
	}
	free(a);
}

long api_status(const struct api *a)
{
	return a->status;
}

const char *api_errmsg(const struct api *a)
{
	return a->errmsg[0] ? a->errmsg : "unknown error";
}

char *api_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0), *copy;

	if (!e)
		return NULL;
	copy = strdup(e);
	curl_free(e);
	return copy;
}

static bool status_ok(long st)
{
	return st >= 200 && st < 300;
}

/* Deliver complete lines of the stream; keep the partial tail. */
static int sink_lines(struct sink *s, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] != '\n') {
			if (buf_append(&s->line, &p[i], 1) < 0) {
				s->toobig = true;
				return -1;
			}
			continue;
		}
		if (s->line.len) {
			s->cb_ret = s->cb((const char *)s->line.data, s->line.len, s->ud);
			buf_reset(&s->line);
			if (s->cb_ret)
				return -1;
		}
	}
	return 0;
}

static size_t sink_write(char *p, size_t size, size_t nmemb, void *ud)
{
	struct sink *s = ud;
	size_t n = size * nmemb;
	long st = 0;

	curl_easy_getinfo(s->api->curl, CURLINFO_RESPONSE_CODE, &st);
	if (s->cb && status_ok(st))
		return sink_lines(s, p, n) < 0 ? 0 : n;
	if (buf_append(&s->body, p, n) < 0) {
		s->toobig = true;
		return 0;
	}
	return n;
}

/* Reset the handle and set what every request needs. */
static struct curl_slist *req_setup(struct api *a, const char *method, const char *path, struct sink *s,
				    const char *ctype)
{
	struct curl_slist *h = NULL, *t;
	char *url = NULL;
	char ct[128];

	curl_easy_reset(a->curl);
	a->status = 0;
	a->errmsg[0] = a->curlerr[0] = 0;
	if (asprintf(&url, "%s%s", a->base, path) < 0)
		return NULL;
	curl_easy_setopt(a->curl, CURLOPT_URL, url);
	free(url); /* curl copies it */
	curl_easy_setopt(a->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(a->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(a->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(a->curl, CURLOPT_ERRORBUFFER, a->curlerr);
	curl_easy_setopt(a->curl, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(a->curl, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(a->curl, CURLOPT_PROTOCOLS_STR, "https,http");
	/* nothing below TLS 1.2 (the controller refuses it too) */
	curl_easy_setopt(a->curl, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(a->curl, CURLOPT_USERAGENT, "evectl/0.1");
	if (a->ca)
		curl_easy_setopt(a->curl, CURLOPT_CAINFO, a->ca);
	snprintf(ct, sizeof(ct), "Content-Type: %s", ctype);
	/* "Expect:" off: no 100-continue round trip before bodies */
	h = curl_slist_append(h, "Accept: application/json");
	if (h && (t = curl_slist_append(h, ct)))
		h = t;
	if (h && (t = curl_slist_append(h, "Expect:")))
		h = t;
	if (h && a->auth && (t = curl_slist_append(h, a->auth)))
		h = t;
	curl_easy_setopt(a->curl, CURLOPT_HTTPHEADER, h);
	return h;
}

/* Server-side error text from an error body, or a fallback. */
static void error_from_body(struct api *a, struct sink *s)
{
	json_t *j = json_loadb((const char *)s->body.data, s->body.len, 0, NULL);
	const char *msg = json_string_value(json_object_get(j, "error"));
	size_t i;

	if (msg)
		snprintf(a->errmsg, sizeof(a->errmsg), "%s (HTTP %ld)", msg, a->status);
	else
		snprintf(a->errmsg, sizeof(a->errmsg), "the server answered HTTP %ld", a->status);
	/* one line on stderr, whatever the server sent */
	for (i = 0; a->errmsg[i]; i++) {
		if (a->errmsg[i] == '\n' || a->errmsg[i] == '\r')
			a->errmsg[i] = ' ';
	}
	json_decref(j);
}

/* Perform and classify: transport, size, status. */
static int req_perform(struct api *a, struct sink *s)
{
	CURLcode rc = curl_easy_perform(a->curl);

	curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, &a->status);
	if (s->toobig) {
		snprintf(a->errmsg, sizeof(a->errmsg), "response larger than %u bytes", API_MAX_RESPONSE);
		return -EVE_ETOOBIG;
	}
	if (s->cb_ret)
		return s->cb_ret;
	if (rc != CURLE_OK) {
		int r = curlerr_errno(rc);

		snprintf(a->errmsg, sizeof(a->errmsg), "cannot reach %s: %s%s", a->base,
			 a->curlerr[0] ? a->curlerr : curl_easy_strerror(rc),
			 r == -EVE_EBADCERT
			     ? " (TLS: trust the controller's root-certificate.pem with --ca FILE, or"
			       " save it once with 'evectl login --ca FILE')"
			     : "");
		return r;
	}
	if (status_ok(a->status))
		return 0;
	error_from_body(a, s);
	return a->status == 404 ? -ENOENT : -EVE_EHTTP;
}

static int body_json(struct api *a, struct sink *s, json_t **out)
{
	json_error_t jerr;
	json_t *j;

	if (!out)
		return 0;
	if (s->body.len == 0) {
		*out = NULL;
		return 0;
	}
	j = json_loadb((const char *)s->body.data, s->body.len, JSON_DECODE_ANY, &jerr);
	if (!j) {
		snprintf(a->errmsg, sizeof(a->errmsg), "malformed JSON from the server: %s", jerr.text);
		return -EPROTO;
	}
	*out = j;
	return 0;
}

int api_call(struct api *a, const char *method, const char *path, const json_t *body, json_t **out)
{
	struct sink s = {.api = a};
	struct curl_slist *h;
	char *text = NULL;
	int r = -ENOMEM;

	buf_init(&s.body, API_MAX_RESPONSE);
	h = req_setup(a, method, path, &s, "application/json");
	if (!h)
		goto out;
	if (body) {
		text = json_dumps(body, JSON_COMPACT);
		if (!text)
			goto out;
		curl_easy_setopt(a->curl, CURLOPT_POSTFIELDS, text);
	}
	/* a stalled server must not hang a script forever */
	curl_easy_setopt(a->curl, CURLOPT_TIMEOUT, 120L);
	r = req_perform(a, &s);
	if (r == 0)
		r = body_json(a, &s, out);
out:
	curl_slist_free_all(h);
	free(text);
	buf_free(&s.body);
	return r;
}

int api_get_bytes(struct api *a, const char *path, uint8_t **out, size_t *len)
{
	struct sink s = {.api = a};
	struct curl_slist *h;
	int r = -ENOMEM;

	buf_init(&s.body, API_MAX_RESPONSE);
	h = req_setup(a, "GET", path, &s, "application/json");
	if (!h)
		goto out;
	curl_easy_setopt(a->curl, CURLOPT_TIMEOUT, 120L);
	r = req_perform(a, &s);
	if (r == 0) {
		*out = s.body.data;
		*len = s.body.len;
		s.body.data = NULL;
	}
out:
	curl_slist_free_all(h);
	buf_free(&s.body);
	return r;
}

int api_stream_lines(struct api *a, const char *path, api_line_cb cb, void *ud)
{
	struct sink s = {.api = a, .cb = cb, .ud = ud};
	struct curl_slist *h;
	int r = -ENOMEM;

	buf_init(&s.body, API_MAX_RESPONSE);
	buf_init(&s.line, API_MAX_LINE);
	h = req_setup(a, "GET", path, &s, "application/json");
	if (!h)
		goto out;
	r = req_perform(a, &s);
	/* a last line without a newline */
	if (r == 0 && s.line.len)
		r = cb((const char *)s.line.data, s.line.len, ud);
out:
	curl_slist_free_all(h);
	buf_free(&s.body);
	buf_free(&s.line);
	return r;
}

struct upload {
	FILE *f;
	api_progress_cb progress;
	void *ud;
	uint64_t total;
};

static size_t upload_read(char *p, size_t size, size_t nmemb, void *ud)
{
	struct upload *u = ud;
	size_t n = fread(p, 1, size * nmemb, u->f);

	if (n == 0 && ferror(u->f))
		return CURL_READFUNC_ABORT;
	return n;
}

static int upload_xfer(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct upload *u = ud;

	if (u->progress)
		u->progress((uint64_t)ulnow, u->total, u->ud);
	return 0;
}

int api_upload(struct api *a, const char *path, FILE *f, uint64_t size, api_progress_cb progress, void *ud,
	       json_t **out)
{
	struct sink s = {.api = a};
	struct upload u = {.f = f, .progress = progress, .ud = ud, .total = size};
	struct curl_slist *h;
	int r = -ENOMEM;

	buf_init(&s.body, API_MAX_RESPONSE);
	h = req_setup(a, "PUT", path, &s, "application/octet-stream");
	if (!h)
		goto out;
	curl_easy_setopt(a->curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(a->curl, CURLOPT_READFUNCTION, upload_read);
	curl_easy_setopt(a->curl, CURLOPT_READDATA, &u);
	curl_easy_setopt(a->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)size);
	curl_easy_setopt(a->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(a->curl, CURLOPT_XFERINFOFUNCTION, upload_xfer);
	curl_easy_setopt(a->curl, CURLOPT_XFERINFODATA, &u);
	/* no total timeout for big files; give up only when it stalls */
	curl_easy_setopt(a->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(a->curl, CURLOPT_LOW_SPEED_TIME, 60L);
	r = req_perform(a, &s);
	if (r == 0)
		r = body_json(a, &s, out);
out:
	curl_slist_free_all(h);
	buf_free(&s.body);
	return r;
}

/* ---- the OCI distribution API (/v2/) of the same controller ---------------- */

static size_t v2_header(char *p, size_t sz, size_t n, void *ud)
{
	struct api_v2 *q = ud;
	size_t len = sz * n, vl;

	if (len > 9 && strncasecmp(p, "Location:", 9) == 0) {
		p += 9;
		len -= 9;
		while (len && (*p == ' ' || *p == '\t'))
			p++, len--;
		vl = len;
		while (vl && (p[vl - 1] == '\r' || p[vl - 1] == '\n'))
			vl--;
		if (vl < sizeof(q->location)) {
			memcpy(q->location, p, vl);
			q->location[vl] = '\0';
		}
	}
	return sz * n;
}

int api_v2(struct api *a, struct api_v2 *q)
{
	struct sink s = {.api = a};
	struct upload u = {.f = q->f, .progress = q->progress, .ud = q->ud, .total = q->size};
	struct curl_slist *h;
	size_t bl = strlen(a->base);
	char *url = NULL;
	int r = -ENOMEM;

	q->location[0] = '\0';
	buf_init(&s.body, API_MAX_RESPONSE);
	h = req_setup(a, q->method, "", &s, q->ctype ? q->ctype : "application/octet-stream");
	if (bl >= 7 && strcmp(a->base + bl - 7, "/api/v1") == 0)
		bl -= 7;
	if (!h || asprintf(&url, "%.*s%s", (int)bl, a->base, q->path) < 0)
		goto out;
	curl_easy_setopt(a->curl, CURLOPT_URL, url);
	curl_easy_setopt(a->curl, CURLOPT_HEADERFUNCTION, v2_header);
	curl_easy_setopt(a->curl, CURLOPT_HEADERDATA, q);
	if (strcmp(q->method, "HEAD") == 0)
		curl_easy_setopt(a->curl, CURLOPT_NOBODY, 1L);
	if (q->f) {
		curl_easy_setopt(a->curl, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(a->curl, CURLOPT_READFUNCTION, upload_read);
		curl_easy_setopt(a->curl, CURLOPT_READDATA, &u);
		curl_easy_setopt(a->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)q->size);
		curl_easy_setopt(a->curl, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(a->curl, CURLOPT_XFERINFOFUNCTION, upload_xfer);
		curl_easy_setopt(a->curl, CURLOPT_XFERINFODATA, &u);
		curl_easy_setopt(a->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(a->curl, CURLOPT_LOW_SPEED_TIME, 60L);
	} else if (q->data) {
		curl_easy_setopt(a->curl, CURLOPT_POSTFIELDS, q->data);
		curl_easy_setopt(a->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->len);
	} else if (strcmp(q->method, "POST") == 0 || strcmp(q->method, "PUT") == 0) {
		curl_easy_setopt(a->curl, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(a->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
	}
	r = req_perform(a, &s);
	q->status = a->status;
	if (r < 0 && s.body.len) {
		json_t *j = json_loadb((const char *)s.body.data, s.body.len, 0, NULL);
		const char *m = json_string_value(
		    json_object_get(json_array_get(json_object_get(j, "errors"), 0), "message"));
		if (m)
			snprintf(a->errmsg, sizeof(a->errmsg), "%s (HTTP %ld)", m, a->status);
		json_decref(j);
	}
out:
	free(url);
	curl_slist_free_all(h);
	buf_free(&s.body);
	return r;
}

int api_tunnel(struct api *a, const char *path, struct evtunnel **out, char *err, size_t errlen)
{
	bool whole = !strncmp(path, "https://", 8);
	size_t n = (whole ? 0 : strlen(a->base)) + strlen(path) + 1;
	char *url = malloc(n);
	if (!url)
		return -ENOMEM;
	snprintf(url, n, "%s%s", whole ? "" : a->base, path);
	const char *hdrs[] = {a->auth, "User-Agent: evectl/0.1", NULL};
	int r = evtunnel_open(url, a->ca, a->auth ? hdrs : hdrs + 1, out, err, errlen);
	free(url);
	return r;
}
