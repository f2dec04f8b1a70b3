// SPDX-License-Identifier: Apache-2.0
/* HTTPS client for the EVE device API: one libcurl easy handle, kept alive,
 * trusting only the configured root. curl errors become our codes here. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "curlerr.h"
#include "devapi.h"
#include "err.h"

#define DEVAPI_PREFIX "/api/v2/edgedevice"
#define DEVAPI_PATH_MAX 1024
#define DEVAPI_URL_MAX 2048
#define DEVAPI_CONNECT_TIMEOUT_S 30L

struct devapi {
	CURL *h;
	char *base; /* https://host:port/api/v2/edgedevice */
	struct curl_slist *post_hdrs;
	struct curl_slist *resolve; /* CURLOPT_RESOLVE entry (per-port DNS) */
	struct buf *resp;           /* current call's response sink */
	int write_err;              /* why the write callback refused data */
	char errbuf[CURL_ERROR_SIZE];
};

static size_t devapi_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct devapi *c = userdata;
	size_t n = size * nmemb;
	int r;

	if (!c->resp) {
		c->write_err = -EINVAL;
		return 0;
	}
	r = buf_append(c->resp, ptr, n);
	if (r < 0) {
		c->write_err = r;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	return n;
}

static pthread_once_t devapi_once = PTHREAD_ONCE_INIT;
static CURLcode devapi_init_rc;

static void devapi_init_once(void)
{
	devapi_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* curl_global_init once per process, even when several threads each make
 * their own client at the same time. */
static int devapi_global_init(void)
{
	pthread_once(&devapi_once, devapi_init_once);
	return devapi_init_rc == CURLE_OK ? 0 : -EVE_ECRYPTO;
}

static int devapi_base_url(const char *server, char **out)
{
	size_t n;
	char *s;

	if (!server || !*server || strlen(server) > 512 || strpbrk(server, " \t\r\n/?#@"))
		return -EINVAL;
	n = strlen("https://") + strlen(server) + strlen(DEVAPI_PREFIX) + 1;
	s = malloc(n);
	if (!s)
		return -ENOMEM;
	snprintf(s, n, "https://%s%s", server, DEVAPI_PREFIX);
	*out = s;
	return 0;
}

/* Options fixed for the life of the handle. */
static int devapi_setup(struct devapi *c, const struct devapi_opts *o)
{
	long timeout = o->timeout_s > 0 ? o->timeout_s : 60;
	long connect_timeout = timeout < DEVAPI_CONNECT_TIMEOUT_S ? timeout : DEVAPI_CONNECT_TIMEOUT_S;
	CURL *h = c->h;
	int bad = 0;

	bad |= CURLE_OK != curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	bad |= CURLE_OK != curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
	bad |= CURLE_OK != curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	bad |= CURLE_OK != curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_path);
	bad |= CURLE_OK != curl_easy_setopt(h, CURLOPT_CAPATH, NULL); /* no system store */
	bad |= CURLE_OK != curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	bad |= CURLE_OK != curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	bad |= CURLE_OK != curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	bad |= CURLE_OK != curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	bad |= CURLE_OK != curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout);
	bad |= CURLE_OK != curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, connect_timeout);
	bad |= CURLE_OK != curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	bad |= CURLE_OK != curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, devapi_write);
	bad |= CURLE_OK != curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
	bad |= CURLE_OK != curl_easy_setopt(h, CURLOPT_USERAGENT, "eve-stack/0.1");
	if (o->interface)
		bad |= CURLE_OK != curl_easy_setopt(h, CURLOPT_INTERFACE, o->interface);
	/* "" rather than unset: never pick up a proxy from the environment. */
	bad |= CURLE_OK != curl_easy_setopt(h, CURLOPT_PROXY, o->proxy ? o->proxy : "");
	if (o->proxy && o->noproxy && *o->noproxy)
		bad |= CURLE_OK != curl_easy_setopt(h, CURLOPT_NOPROXY, o->noproxy);
	if (o->resolve) {
		c->resolve = curl_slist_append(NULL, o->resolve);
		bad |= !c->resolve || CURLE_OK != curl_easy_setopt(h, CURLOPT_RESOLVE, c->resolve);
	}
	return bad ? -EINVAL : 0;
}

int devapi_new(const struct devapi_opts *o, struct devapi **out)
{
	struct devapi *c;
	int r;

	if (!o || !o->ca_path)
		return -EINVAL;
	r = devapi_global_init();
	if (r < 0)
		return r;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	r = devapi_base_url(o->server, &c->base);
	if (r < 0)
		goto fail;
	r = -ENOMEM;
	c->h = curl_easy_init();
	c->post_hdrs = curl_slist_append(NULL, "Content-Type: application/x-proto-binary");
	if (!c->h || !c->post_hdrs)
		goto fail;
	r = devapi_setup(c, o);
	if (r < 0)
		goto fail;
	*out = c;
	return 0;
fail:
	devapi_free(c);
	return r;
}

void devapi_free(struct devapi *c)
{
	if (!c)
		return;
	if (c->h)
		curl_easy_cleanup(c->h);
	curl_slist_free_all(c->post_hdrs);
	curl_slist_free_all(c->resolve);
	free(c->base);
	free(c);
}

/* A path is ours to append to the URL only if it is short and plain. */
static bool devapi_path_ok(const char *path)
{
	size_t n = strnlen(path, DEVAPI_PATH_MAX + 1);

	if (n == 0 || n > DEVAPI_PATH_MAX || path[0] != '/')
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)path[i] <= ' ' || path[i] == 0x7f || path[i] == '#')
			return false;
	return true;
}

static int devapi_set_method(struct devapi *c, const char *method, const uint8_t *body, size_t len)
{
	int bad = 0;

	if (strcmp(method, "GET") == 0) {
		bad |= CURLE_OK != curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
		bad |= CURLE_OK != curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, NULL);
	} else if (strcmp(method, "POST") == 0) {
		bad |= CURLE_OK != curl_easy_setopt(c->h, CURLOPT_POST, 1L);
		bad |= CURLE_OK != curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		bad |= CURLE_OK != curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body ? (const char *)body : "");
		bad |= CURLE_OK != curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->post_hdrs);
	} else {
		return -EINVAL;
	}
	return bad ? -EINVAL : 0;
}

int devapi_call(struct devapi *c, const char *method, const char *path, const uint8_t *body, size_t len,
		long *status, struct buf *resp)
{
	char url[DEVAPI_URL_MAX];
	CURLcode rc;
	long code = 0;
	int r;

	if (!c || !method || !path || !resp || !devapi_path_ok(path))
		return -EINVAL;
	if (snprintf(url, sizeof(url), "%s%s", c->base, path) >= (int)sizeof(url))
		return -ENAMETOOLONG;
	r = devapi_set_method(c, method, body, len);
	if (r < 0)
		return r;
	if (curl_easy_setopt(c->h, CURLOPT_URL, url) != CURLE_OK)
		return -EINVAL;
	buf_reset(resp);
	c->resp = resp;
	c->write_err = 0;
	c->errbuf[0] = 0;
	rc = curl_easy_perform(c->h);
	c->resp = NULL;
	if (rc == CURLE_WRITE_ERROR && c->write_err < 0)
		return c->write_err;
	if (rc != CURLE_OK)
		return curlerr_errno(rc);
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &code);
	if (status)
		*status = code;
	return 0;
}

const char *devapi_errmsg(const struct devapi *c)
{
	return c && c->errbuf[0] ? c->errbuf : "";
}
