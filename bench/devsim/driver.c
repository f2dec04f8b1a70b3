// SPDX-License-Identifier: Apache-2.0
/* libcurl multi load engine: slots of keep-alive connections in one thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "driver.h"
#include "err.h"
#include "monotime.h"
#include "stats.h"

#define DRV_RESP_CAP (16u << 20)
#define DRV_MAX_POLL_MS 50

struct drv_slot {
	struct driver *d;
	CURL *easy;
	struct buf resp;
	struct drv_req req;
	bool busy, retired;
	char errbuf[CURL_ERROR_SIZE];
	char url[512];
};

struct driver {
	CURLM *multi;
	struct drv_slot *slots;
	unsigned n, busy, retired;
	const struct driver_ops *ops;
	void *ctx;
	struct curl_slist *hdrs, *connect_to;
	char base_url[256];
	bool stop;
};

static size_t drv_write(char *p, size_t size, size_t nmemb, void *userdata)
{
	struct drv_slot *s = userdata;

	if (buf_append(&s->resp, p, size * nmemb) < 0)
		return 0; /* over the cap: curl aborts the transfer */
	return size * nmemb;
}

static int drv_slot_init(struct driver *d, struct drv_slot *s, const struct driver_opts *o)
{
	CURL *e = curl_easy_init();

	if (!e)
		return -ENOMEM;
	s->d = d;
	s->easy = e;
	buf_init(&s->resp, DRV_RESP_CAP);
	curl_easy_setopt(e, CURLOPT_PRIVATE, s);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, drv_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, d->hdrs);
	curl_easy_setopt(e, CURLOPT_CAINFO, o->ca_path);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, o->timeout_s > 0 ? o->timeout_s : 60L);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	if (d->connect_to)
		curl_easy_setopt(e, CURLOPT_CONNECT_TO, d->connect_to);
	return 0;
}

int driver_new(const struct driver_opts *o, const struct driver_ops *ops, void *ctx, struct driver **out)
{
	struct driver *d = calloc(1, sizeof(*d));
	int r = -ENOMEM;

	if (!d)
		return -ENOMEM;
	d->ops = ops;
	d->ctx = ctx;
	d->n = o->nslots ? o->nslots : 1;
	snprintf(d->base_url, sizeof(d->base_url), "%s", o->base_url);
	d->multi = curl_multi_init();
	d->slots = calloc(d->n, sizeof(*d->slots));
	d->hdrs = curl_slist_append(NULL, "Content-Type: application/x-proto-binary");
	if (d->hdrs)
		d->hdrs = curl_slist_append(d->hdrs, "Expect:");
	if (!d->multi || !d->slots || !d->hdrs)
		goto fail;
	if (o->connect_to && !(d->connect_to = curl_slist_append(NULL, o->connect_to)))
		goto fail;
	/* keep every slot's connection in the cache between its requests */
	curl_multi_setopt(d->multi, CURLMOPT_MAXCONNECTS, (long)d->n);
	curl_multi_setopt(d->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)d->n);
	for (unsigned i = 0; i < d->n; i++)
		if ((r = drv_slot_init(d, &d->slots[i], o)) < 0)
			goto fail;
	*out = d;
	return 0;
fail:
	driver_free(d);
	return r;
}

void driver_free(struct driver *d)
{
	if (!d)
		return;
	for (unsigned i = 0; d->slots && i < d->n; i++) {
		struct drv_slot *s = &d->slots[i];

		if (s->busy)
			curl_multi_remove_handle(d->multi, s->easy);
		if (s->easy)
			curl_easy_cleanup(s->easy);
		free(s->req.body);
		buf_free(&s->resp);
	}
	free(d->slots);
	if (d->multi)
		curl_multi_cleanup(d->multi);
	curl_slist_free_all(d->hdrs);
	curl_slist_free_all(d->connect_to);
	free(d);
}

void driver_stop(struct driver *d)
{
	d->stop = true;
}

static int drv_start(struct driver *d, struct drv_slot *s)
{
	CURL *e = s->easy;

	snprintf(s->url, sizeof(s->url), "%s%s", d->base_url, s->req.path);
	curl_easy_setopt(e, CURLOPT_URL, s->url);
	if (s->req.body) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, (const char *)s->req.body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)s->req.len);
	} else {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	}
	buf_reset(&s->resp);
	s->errbuf[0] = '\0';
	s->req.t_start_ns = monotime_ns();
	if (curl_multi_add_handle(d->multi, e) != CURLM_OK)
		return -ENOMEM;
	s->busy = true;
	d->busy++;
	return 0;
}

/* Give idle slots work. Returns ms until the next thing is due (capped). */
static long drv_fill(struct driver *d)
{
	uint64_t wait_ns = 0;
	long wait_ms = DRV_MAX_POLL_MS;

	for (unsigned i = 0; i < d->n && !d->stop; i++) {
		struct drv_slot *s = &d->slots[i];
		int r;

		if (s->busy || s->retired)
			continue;
		memset(&s->req, 0, sizeof(s->req));
		r = d->ops->next(d->ctx, &s->req, &wait_ns);
		if (r < 0) {
			d->stop = true;
			break;
		}
		if (r == 0 && wait_ns == 0) {
			s->retired = true;
			d->retired++;
			continue;
		}
		if (r == 0) {
			/* round up: a 0 ms poll would spin until the timer is due */
			wait_ms = (long)((wait_ns + 999999u) / 1000000u);
			if (wait_ms > DRV_MAX_POLL_MS)
				wait_ms = DRV_MAX_POLL_MS;
			break; /* nothing due for anyone until then */
		}
		if (drv_start(d, s) < 0) {
			free(s->req.body);
			s->req.body = NULL;
			d->stop = true;
		}
	}
	return wait_ms;
}

static void drv_finish(struct driver *d, CURLMsg *m)
{
	struct drv_slot *s = NULL;
	long status = 0;

	curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
	if (m->data.result == CURLE_OK)
		curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_multi_remove_handle(d->multi, s->easy);
	s->busy = false;
	d->busy--;
	d->ops->done(d->ctx, &s->req, status, &s->resp,
		     m->data.result == CURLE_OK
			 ? NULL
			 : (s->errbuf[0] ? s->errbuf : curl_easy_strerror(m->data.result)));
	free(s->req.body);
	s->req.body = NULL;
}

static int drv_drain(struct driver *d)
{
	CURLMsg *m;
	int left, n = 0;

	while ((m = curl_multi_info_read(d->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		drv_finish(d, m);
		n++;
	}
	return n;
}

int driver_run(struct driver *d, uint64_t deadline_ns)
{
	int running;

	d->stop = false;
	for (;;) {
		uint64_t now = monotime_ns();
		long wait_ms;

		if (d->stop || now >= deadline_ns)
			break;
		wait_ms = drv_fill(d);
		if (d->busy == 0 && d->retired == d->n)
			break;
		if (curl_multi_perform(d->multi, &running) != CURLM_OK)
			return -EIO;
		if (drv_drain(d) > 0)
			continue;
		if ((deadline_ns - now) / 1000000u < (uint64_t)wait_ms)
			wait_ms = (long)((deadline_ns - now) / 1000000u);
		if (curl_multi_poll(d->multi, NULL, 0, (int)wait_ms, NULL) != CURLM_OK)
			return -EIO;
	}
	return 0;
}
