// SPDX-License-Identifier: Apache-2.0
/* Log following with MHD suspend/resume: a follower's connection is
 * suspended from its content reader when there is nothing to send and
 * resumed by follow_notify (new logs) or follow_tick (keep-alive). */
#include "follow.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "ctl.h"
#include "store.h"
#include "http.h"
#include "logstore.h"
#include "uuidgen.h"

#define FOLLOW_BATCH 200
#define FOLLOW_BUF_CAP (4u << 20)
#define KEEPALIVE_S 15

struct follower {
	struct follower *next;
	struct follow_hub *hub;
	struct ctl *ctl;
	struct MHD_Connection *conn;
	bool suspended;
	char dev[UUID_STR_LEN];
	char app[UUID_STR_LEN];
	int64_t last_id;
	int64_t since_ms;
	time_t last_sent;
	struct buf out;
	size_t off;
};

struct follow_hub {
	pthread_mutex_t mu;
	struct follower *head;
	int count, max;
	bool stopping;
	/* follow_notify calls so far: a reader that found nothing suspends
	 * only if none came since it looked, else it would sleep through
	 * lines stored meanwhile until the keep-alive tick */
	uint64_t notified;
};

int follow_hub_new(int max, struct follow_hub **out)
{
	struct follow_hub *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	pthread_mutex_init(&h->mu, NULL);
	h->max = max;
	*out = h;
	return 0;
}

static void resume_all(struct follow_hub *h, bool only_idle)
{
	time_t now = time(NULL);
	pthread_mutex_lock(&h->mu);
	if (!only_idle)
		h->notified++;
	for (struct follower *f = h->head; f; f = f->next) {
		if (!f->suspended || (only_idle && now - f->last_sent < KEEPALIVE_S))
			continue;
		f->suspended = false;
		MHD_resume_connection(f->conn);
	}
	pthread_mutex_unlock(&h->mu);
}

void follow_hub_stop(struct follow_hub *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->mu);
	h->stopping = true;
	pthread_mutex_unlock(&h->mu);
	resume_all(h, false);
}

void follow_hub_free(struct follow_hub *h)
{
	if (!h)
		return;
	pthread_mutex_destroy(&h->mu);
	free(h);
}

void follow_notify(struct follow_hub *h)
{
	if (h)
		resume_all(h, false);
}

void follow_tick(struct follow_hub *h)
{
	if (h)
		resume_all(h, true);
}

/* Append the next batch of new log lines to f->out. */
static void follow_fetch(struct follower *f)
{
	struct logstore_query q = {.dev = f->dev[0] ? f->dev : NULL,
				   .app = f->dev[0] ? NULL : f->app,
				   .ascending = true,
				   .after = f->last_id,
				   .since_ms = logstore_since(f->since_ms, f->ctl->conf.logs_days),
				   .limit = FOLLOW_BATCH};
	json_t *items = json_array();
	struct store *d = store_get(f->ctl->db);
	if (items)
		logstore_scan(d, &q, items, &f->last_id);
	store_put(f->ctl->db, d);
	size_t i;
	json_t *j;
	json_array_foreach(items, i, j)
	{
		char *s = json_dumps(j, JSON_COMPACT);
		if (s)
			buf_printf(&f->out, "%s\n", s);
		free(s);
	}
	json_decref(items);
}

static uint64_t notify_count(struct follow_hub *h)
{
	pthread_mutex_lock(&h->mu);
	uint64_t n = h->notified;
	pthread_mutex_unlock(&h->mu);
	return n;
}

/* Copy what is buffered (fetching the next batch when the buffer is
 * spent, or a keep-alive when idle too long) to out; 0 when nothing. */
static size_t follow_next(struct follower *f, char *out, size_t max)
{
	if (f->off == f->out.len) {
		buf_reset(&f->out);
		f->off = 0;
		follow_fetch(f);
	}
	if (f->off == f->out.len && time(NULL) - f->last_sent >= KEEPALIVE_S)
		buf_append(&f->out, "\n", 1);
	size_t n = f->out.len - f->off;
	if (n > max)
		n = max;
	if (n) {
		memcpy(out, f->out.data + f->off, n);
		f->off += n;
		f->last_sent = time(NULL);
	}
	return n;
}

static ssize_t follow_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct follower *f = cls;
	struct follow_hub *h = f->hub;
	bool stop, again;
	do {
		uint64_t seen = notify_count(h);
		size_t n = follow_next(f, out, max);
		if (n)
			return (ssize_t)n;
		pthread_mutex_lock(&h->mu);
		stop = h->stopping;
		again = !stop && h->notified != seen;
		if (!stop && !again) {
			f->suspended = true;
			MHD_suspend_connection(f->conn);
		}
		pthread_mutex_unlock(&h->mu);
	} while (again);
	return stop ? MHD_CONTENT_READER_END_OF_STREAM : 0;
}

static void follow_free(void *cls)
{
	struct follower *f = cls;
	struct follow_hub *h = f->hub;
	pthread_mutex_lock(&h->mu);
	for (struct follower **pp = &h->head; *pp; pp = &(*pp)->next) {
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	}
	h->count--;
	pthread_mutex_unlock(&h->mu);
	buf_free(&f->out);
	free(f);
}

/* Start from the newest id so a follow shows only new lines. */
static int64_t newest_id(struct ctl *c)
{
	struct store *d = store_get(c->db);
	int64_t id = logstore_newest_id(d);
	store_put(c->db, d);
	return id;
}

void follow_start(struct http_req *r, const char *dev, const char *app, int64_t after_id, int64_t since_ms)
{
	struct follow_hub *h = r->ctl->follow;
	struct follower *f = calloc(1, sizeof(*f));
	if (!f) {
		http_reply_error(r, 500, "out of memory");
		return;
	}
	pthread_mutex_lock(&h->mu);
	bool full = h->count >= h->max || h->stopping;
	if (!full)
		h->count++;
	pthread_mutex_unlock(&h->mu);
	if (full) {
		free(f);
		http_reply_error(r, 503, "too many log followers");
		return;
	}
	f->hub = h;
	f->ctl = r->ctl;
	f->conn = r->conn;
	snprintf(f->dev, sizeof(f->dev), "%s", dev ? dev : "");
	snprintf(f->app, sizeof(f->app), "%s", app ? app : "");
	f->last_id = after_id > 0 ? after_id : since_ms > 0 ? 0 : newest_id(r->ctl);
	f->since_ms = since_ms;
	f->last_sent = time(NULL);
	buf_init(&f->out, FOLLOW_BUF_CAP);
	pthread_mutex_lock(&h->mu);
	f->next = h->head;
	h->head = f;
	pthread_mutex_unlock(&h->mu);
	struct MHD_Response *resp =
	    MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, follow_read, f, follow_free);
	if (!resp) {
		follow_free(f);
		http_reply_error(r, 500, "out of memory");
		return;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/x-ndjson");
	http_reply_resp(r, 200, resp);
}
