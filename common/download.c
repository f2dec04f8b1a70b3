// SPDX-License-Identifier: Apache-2.0
/* Resumable libcurl download (see download.h). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <curl/curl.h>

#include "curlerr.h"
#include "download.h"
#include "err.h"

struct dl {
	const struct download_opts *o;
	int fd;
	uint64_t have;  /* bytes in the file */
	uint64_t total; /* expected final size, 0 = unknown */
	int err;        /* first write-side error */
	long status;    /* HTTP status of the final response */
	int discard;    /* response is not for us: do not write */
};

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
	struct dl *d = ud;
	size_t len = sz * n;
	long code;

	if (len > 5 && strncmp(p, "HTTP/", 5) == 0) {
		if (sscanf(p, "HTTP/%*s %ld", &code) == 1)
			d->status = code;
		/* 200 to a Range request: the server starts over. */
		if (d->status == 200 && d->have > 0) {
			if (ftruncate(d->fd, 0) < 0 || lseek(d->fd, 0, SEEK_SET) < 0)
				d->err = -errno;
			d->have = 0;
		}
		d->discard = d->status != 200 && d->status != 206;
	}
	return len;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
	struct dl *d = ud;
	size_t len = sz * n;

	if (d->err)
		return 0;
	if (d->discard)
		return len;
	if (d->o->max_size && d->have + len > d->o->max_size) {
		d->err = -EVE_ETOOBIG;
		return 0;
	}
	d->err = write_all(d->fd, p, len);
	if (d->err)
		return 0;
	d->have += len;
	return len;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct dl *d = ud;

	if (d->o->cancel && atomic_load(d->o->cancel))
		return 1;
	if (dltotal > 0 && !d->discard) {
		uint64_t t = (uint64_t)dltotal;

		/* On a 206 the total is what remains; add the part we had. */
		d->total = d->status == 206 ? t + (d->have - (uint64_t)dlnow) : t;
	}
	if (d->o->progress)
		d->o->progress(d->o->ctx, d->have, d->total);
	return 0;
}

static void set_opts(CURL *c, struct dl *d, struct curl_slist *hdrs)
{
	const struct download_opts *o = d->o;

	curl_easy_setopt(c, CURLOPT_URL, o->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR,
			 o->https_only   ? "https"
			 : o->allow_file ? "http,https,file"
					 : "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, o->https_only ? "https" : "http,https");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, o->connect_secs ? o->connect_secs : 20L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, o->stall_secs ? o->stall_secs : 30L);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, d);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, d);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, d);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	if (hdrs)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	if (o->max_size)
		curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_size);
	if (d->have)
		curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)d->have);
	if (o->ca_pem && o->ca_pem_len) {
		struct curl_blob b = {
		    .data = (void *)o->ca_pem, .len = o->ca_pem_len, .flags = CURL_BLOB_COPY};

		curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &b);
	} else if (o->ca_path) {
		curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_path);
	}
}

static bool is_file_url(CURL *c)
{
	const char *scheme = NULL;

	return curl_easy_getinfo(c, CURLINFO_SCHEME, &scheme) == CURLE_OK && scheme &&
	       strcasecmp(scheme, "file") == 0;
}

/* A libcurl failure as our code (curlerr.h) and a message. */
static int curl_fail(CURLcode cc, const struct dl *d, const char *ebuf, char *err, size_t errlen)
{
	int r = d->err ? d->err : curlerr_errno(cc);

	if (r == -EVE_ETOOBIG)
		snprintf(err, errlen, "download exceeds maxSizeBytes");
	else if (d->err)
		snprintf(err, errlen, "%s", eve_strerror(d->err));
	else
		snprintf(err, errlen, "%s", ebuf[0] ? ebuf : curl_easy_strerror(cc));
	return r;
}

int download_routes(const struct download_router *router, const char *url, struct download_route *out,
		    size_t max, char *err, size_t errlen)
{
	int n;

	if (!router || !router->routes) {
		memset(out, 0, sizeof(*out));
		return 1;
	}
	err[0] = '\0';
	n = router->routes(router->ctx, url, out, max, err, errlen);
	if (n == 0) {
		snprintf(err, errlen, "no management port can reach %s", url);
		n = -ENETUNREACH;
	}
	return n;
}

void download_route_apply(void *curl, const struct download_route *r)
{
	CURL *c = curl;

	if (r->interface[0])
		curl_easy_setopt(c, CURLOPT_INTERFACE, r->interface);
	/* "" rather than unset: never pick up a proxy from the environment. */
	curl_easy_setopt(c, CURLOPT_PROXY, r->proxy);
	if (r->proxy[0] && r->noproxy[0])
		curl_easy_setopt(c, CURLOPT_NOPROXY, r->noproxy);
}

bool download_route_failed(int curlcode)
{
	switch ((CURLcode)curlcode) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_INTERFACE_FAILED:
	case CURLE_PROXY:
		return true;
	default:
		return false;
	}
}

/* How a route reads in an error text: "e1 http://p:3128", "e2 DIRECT". */
static void route_name(const struct download_route *r, char *buf, size_t size)
{
	snprintf(buf, size, "%.15s%s%.255s", r->interface, r->interface[0] ? " " : "",
		 r->proxy[0] ? r->proxy : "DIRECT");
}

/* One attempt through route rt. *next = the route failed before an HTTP
 * answer (the caller may try the next one). */
static int attempt(const struct download_opts *o, struct dl *d, const struct download_route *rt,
		   struct curl_slist *hdrs, bool *next, char *err, size_t errlen)
{
	char ebuf[CURL_ERROR_SIZE] = "";
	struct stat st;
	CURLcode cc;
	CURL *c;
	int r = 0;

	*next = false;
	d->status = 0;
	d->discard = 0;
	d->err = 0;
	if (fstat(d->fd, &st) == 0)
		d->have = (uint64_t)st.st_size;
	c = curl_easy_init();
	if (!c)
		return -ENOMEM;
	set_opts(c, d, hdrs);
	if (o->router)
		download_route_apply(c, rt);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &d->status);
	if (o->status)
		*o->status = d->status;
	if (cc != CURLE_OK) {
		/* 416 to a Range request at the end: the file is already whole. */
		if (d->status == 416 && d->have > 0)
			goto out;
		r = curl_fail(cc, d, ebuf, err, errlen);
		*next = !d->err && download_route_failed(cc);
		goto out;
	}
	if (d->status == 416 && d->have > 0)
		goto out;
	if (o->allow_file && is_file_url(c))
		d->status = 200; /* no status line: curl found and read the file */
	if (d->status != 200 && d->status != 206) {
		snprintf(err, errlen, "HTTP status %ld from %s", d->status, o->url);
		r = -EVE_EHTTP;
		goto out;
	}
	if (d->err)
		r = curl_fail(CURLE_WRITE_ERROR, d, ebuf, err, errlen);
out:
	curl_easy_cleanup(c);
	return r;
}

int download_file(const struct download_opts *o, char *err, size_t errlen)
{
	struct download_route routes[DOWNLOAD_ROUTES_MAX];
	struct dl d = {.o = o, .fd = -1};
	struct curl_slist *hdrs = NULL, *t;
	char one[512], name[300];
	size_t i, len = 0;
	struct stat st;
	bool next = true;
	int r = 0, n;

	err[0] = '\0';
	n = download_routes(o->router, o->url, routes, DOWNLOAD_ROUTES_MAX, err, errlen);
	if (n < 0)
		return n;
	d.fd = open(o->dest, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (d.fd < 0) {
		r = -errno;
		snprintf(err, errlen, "open %s: %s", o->dest, strerror(errno));
		return r;
	}
	if (fstat(d.fd, &st) == 0)
		d.have = (uint64_t)st.st_size;
	if (o->max_size && d.have > o->max_size) {
		/* A stale partial bigger than allowed: start over. */
		if (ftruncate(d.fd, 0) < 0) {
			r = -errno;
			goto out;
		}
		d.have = 0;
	}
	for (i = 0; o->headers && o->headers[i]; i++) {
		t = curl_slist_append(hdrs, o->headers[i]);
		if (!t) {
			r = -ENOMEM;
			goto out;
		}
		hdrs = t;
	}
	/* Each route in turn while they fail before an HTTP answer; the error
	 * names every route tried. */
	for (i = 0; i < (size_t)n && next; i++) {
		one[0] = '\0';
		r = attempt(o, &d, &routes[i], hdrs, &next, one, sizeof(one));
		if (r == 0 || !o->router || n == 1) {
			snprintf(err, errlen, "%s", one);
			continue;
		}
		route_name(&routes[i], name, sizeof(name));
		if (len < errlen) {
			int w =
			    snprintf(err + len, errlen - len, "%s%.280s: %.500s", len ? "; " : "", name, one);
			len += w > 0 ? (size_t)w : 0;
		}
	}
	if (r < 0)
		goto out;
	err[0] = '\0';
	if (fsync(d.fd) < 0) {
		r = -errno;
		snprintf(err, errlen, "fsync: %s", strerror(errno));
	}
	if (o->progress)
		o->progress(o->ctx, d.have, d.have);
out:
	curl_slist_free_all(hdrs);
	close(d.fd);
	return r;
}
