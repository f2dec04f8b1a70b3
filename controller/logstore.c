// SPDX-License-Identifier: Apache-2.0
/* Compressed log storage in SQLite (see logstore.h). */
#include "logstore.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "apps_store.h"
#include "store.h"
#include "err.h"

#define TRIM_BATCH 64    /* chunks deleted per count check */
#define Z_LEVEL_OPEN 6   /* an upload's chunk (level 1 saves little on a few KB) */
#define Z_LEVEL_SEALED 9 /* kept for days: ~4% smaller than level 6 */

static void bind_app(struct store_stmt *st, int i, const char *app)
{
	if (app)
		store_bind_text(st, i, app);
	else
		store_bind_null(st, i);
}

/* --- writing --- */

void logstore_batch_init(struct logstore_batch *b, struct store *d, const char *dev, const char *app)
{
	memset(b, 0, sizeof(*b));
	b->d = d;
	b->dev = dev;
	b->app = app;
	logchunk_enc_init(&b->enc);
}

/* Line ids continue from the highest stored (read inside the write
 * transaction, so no other writer takes the same). */
/* Line ids are max(id) + 1 onwards: writers of lines take turns until they
 * commit (store_lock; "logs" in ASCII). */
#define LOG_IDS_LOCK 0x6c6f6773

static int next_id_load(struct logstore_batch *b)
{
	if (store_lock(b->d, LOG_IDS_LOCK) < 0)
		return -EIO;
	struct store_stmt *st = store_stmt(b->d, "SELECT coalesce(max(id), 0) FROM log_chunks");
	int r = st && store_step(st) == STORE_ROW ? 0 : -EIO;
	if (r == 0)
		b->next_id = store_col_int64(st, 0) + 1;
	if (st)
		store_reset(st);
	return r;
}

/* Insert the encoder's lines as one chunk (compressed when that is
 * smaller); the chunk's id is its last line's. */
static int chunk_insert(struct store *d, const char *dev, const char *app, const struct logchunk_enc *e,
			bool sealed)
{
	struct buf z;
	buf_init(&z, LOGCHUNK_RAW_MAX + 1024);
	int r = logchunk_compress(e->raw.data, e->raw.len, sealed ? Z_LEVEL_SEALED : Z_LEVEL_OPEN, &z);
	bool zlib = r == 0 && z.len < e->raw.len;
	struct store_stmt *st = store_stmt(
	    d, "INSERT INTO log_chunks(id, device_id, app_id, first_id, n, t_min, t_max, sealed, enc,"
	       " raw_len, data) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)");
	r = st ? 0 : -EIO;
	if (st) {
		store_bind_int64(st, 1, e->last_id);
		store_bind_text(st, 2, dev);
		bind_app(st, 3, app);
		store_bind_int64(st, 4, e->first_id);
		store_bind_int64(st, 5, e->n);
		store_bind_int64(st, 6, e->t_min);
		store_bind_int64(st, 7, e->t_max);
		store_bind_int64(st, 8, sealed);
		store_bind_int64(st, 9, zlib ? LOGCHUNK_ZLIB : LOGCHUNK_RAW);
		store_bind_int64(st, 10, (int64_t)e->raw.len);
		if (zlib)
			store_bind_blob(st, 11, z.data, z.len);
		else
			store_bind_blob(st, 11, e->raw.len ? (const void *)e->raw.data : "", e->raw.len);
		r = store_step_done(st);
	}
	buf_free(&z);
	return r;
}

static int batch_flush(struct logstore_batch *b, bool sealed)
{
	if (b->enc.n == 0)
		return 0;
	int r = chunk_insert(b->d, b->dev, b->app, &b->enc, sealed);
	logchunk_enc_reset(&b->enc);
	b->sealed |= sealed;
	return r;
}

int logstore_batch_add(struct logstore_batch *b, int64_t t_ms, const char *source, size_t source_len,
		       const char *severity, size_t severity_len, const char *msg, size_t msg_len)
{
	if (b->next_id == 0 && next_id_load(b) < 0)
		return -EIO;
	struct logline l = {.id = b->next_id,
			    .t_ms = t_ms,
			    .source = source,
			    .source_len = source_len,
			    .severity = severity,
			    .severity_len = severity_len,
			    .msg = msg,
			    .msg_len = msg_len};
	int r = logchunk_enc_add(&b->enc, &l);
	if (r < 0)
		return r;
	b->next_id++;
	/* a large upload is stored in chunks already big enough to keep */
	if (b->enc.n >= LOGSTORE_SEAL_LINES || b->enc.raw.len >= LOGSTORE_SEAL_BYTES)
		r = batch_flush(b, true);
	return r;
}

/* Re-encode the unsealed chunks of (dev, app) into m, in id order. */
static int open_chunks_decode(struct store *d, const char *dev, const char *app, struct logchunk_enc *m)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT first_id, enc, raw_len, data FROM log_chunks WHERE device_id = ?1"
			  " AND app_id IS NOT DISTINCT FROM ?2 AND sealed = 0 ORDER BY id");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, dev);
	bind_app(st, 2, app);
	struct buf raw;
	buf_init(&raw, LOGCHUNK_RAW_MAX);
	int r = 0, rc;
	while (r == 0 && (rc = store_step(st)) == STORE_ROW) {
		size_t n;
		const void *data = store_col_blob(st, 3, &n);
		r = logchunk_load(store_col_int(st, 1), data, n, store_col_int64(st, 2), &raw);
		struct logchunk_iter it;
		struct logline l;
		logchunk_iter_init(&it, raw.data, raw.len, store_col_int64(st, 0));
		while (r == 0 && (r = logchunk_next(&it, &l)) == 1)
			r = logchunk_enc_add(m, &l);
	}
	store_reset(st);
	buf_free(&raw);
	return r;
}

/* Merge the unsealed chunks of (dev, app) into one sealed chunk once they
 * hold enough lines; a set that cannot be merged is sealed as it is. */
static int merge_due(struct logstore_batch *b)
{
	struct store_stmt *st =
	    store_stmt(b->d, "SELECT count(*), coalesce(sum(n), 0), coalesce(sum(raw_len), 0) FROM log_chunks"
			     " WHERE device_id = ?1 AND app_id IS NOT DISTINCT FROM ?2 AND sealed = 0");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, b->dev);
	bind_app(st, 2, b->app);
	if (store_step(st) != STORE_ROW) {
		store_reset(st);
		return -EIO;
	}
	int64_t count = store_col_int64(st, 0), lines = store_col_int64(st, 1),
		bytes = store_col_int64(st, 2);
	store_reset(st);
	if (lines < LOGSTORE_SEAL_LINES && bytes < (int64_t)LOGSTORE_SEAL_BYTES &&
	    count < LOGSTORE_SEAL_CHUNKS)
		return 0;
	struct logchunk_enc m;
	logchunk_enc_init(&m);
	int r = count > 1 ? open_chunks_decode(b->d, b->dev, b->app, &m) : -EAGAIN;
	const char *sql =
	    r == 0
		? "DELETE FROM log_chunks WHERE device_id = ?1 AND app_id IS NOT DISTINCT FROM ?2 AND sealed "
		  "= 0"
		: "UPDATE log_chunks SET sealed = 1 WHERE device_id = ?1 AND app_id IS NOT DISTINCT FROM ?2"
		  " AND sealed = 0";
	st = store_stmt(b->d, sql);
	int w = st ? 0 : -EIO;
	if (st) {
		store_bind_text(st, 1, b->dev);
		bind_app(st, 2, b->app);
		w = store_step_done(st);
	}
	if (w == 0 && r == 0 && m.n)
		w = chunk_insert(b->d, b->dev, b->app, &m, true);
	logchunk_enc_free(&m);
	b->sealed = true;
	return w;
}

/* Count retention: delete the device's oldest chunks while at least max
 * lines remain without them. */
static int trim_count(struct store *d, const char *dev, int64_t max)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT coalesce(sum(n), 0) FROM log_chunks WHERE device_id = ?1");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, dev);
	int64_t total = store_step(st) == STORE_ROW ? store_col_int64(st, 0) : 0;
	store_reset(st);
	if (total <= max)
		return 0;
	int64_t ids[TRIM_BATCH];
	int k = 0;
	st = store_stmt(d, "SELECT id, n FROM log_chunks WHERE device_id = ?1 ORDER BY id");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, dev);
	while (k < TRIM_BATCH && store_step(st) == STORE_ROW && total - store_col_int64(st, 1) >= max) {
		ids[k++] = store_col_int64(st, 0);
		total -= store_col_int64(st, 1);
	}
	store_reset(st);
	int r = 0;
	for (int i = 0; r == 0 && i < k; i++) {
		st = store_stmt(d, "DELETE FROM log_chunks WHERE id = ?1");
		if (!st)
			return -EIO;
		store_bind_int64(st, 1, ids[i]);
		r = store_step_done(st);
	}
	return r;
}

int logstore_batch_end(struct logstore_batch *b, int64_t max_lines)
{
	int r = batch_flush(b, false);
	if (r == 0)
		r = merge_due(b);
	if (r == 0 && b->sealed)
		r = trim_count(b->d, b->dev, max_lines);
	return r;
}

void logstore_batch_free(struct logstore_batch *b)
{
	logchunk_enc_free(&b->enc);
}

int64_t logstore_cutoff(int64_t days)
{
	return ((int64_t)time(NULL) - days * 86400) * 1000;
}

int64_t logstore_since(int64_t since_ms, int64_t days)
{
	int64_t cutoff = logstore_cutoff(days);
	return since_ms > cutoff ? since_ms : cutoff;
}

void logstore_expire(struct store *d, int64_t cutoff_ms)
{
	struct store_stmt *st = store_stmt(d, "DELETE FROM log_chunks WHERE t_max < ?1");
	if (st) {
		store_bind_int64(st, 1, cutoff_ms);
		store_step_done(st);
	}
}

int64_t logstore_newest_id(struct store *d)
{
	struct store_stmt *st = store_stmt(d, "SELECT coalesce(max(id), 0) FROM log_chunks");
	int64_t id = 0;
	if (st && store_step(st) == STORE_ROW)
		id = store_col_int64(st, 0);
	if (st)
		store_reset(st);
	return id;
}

/* --- reading --- */

struct hit {
	int64_t id;
	json_t *j;
};

struct hits {
	struct hit *v;
	size_t n, alloc;
	bool asc;
};

static int hit_cmp_desc(const void *x, const void *y)
{
	const struct hit *a = x, *b = y;
	return a->id < b->id ? 1 : a->id > b->id ? -1 : 0;
}

static int hit_cmp_asc(const void *x, const void *y)
{
	return hit_cmp_desc(y, x);
}

/* Keep the first limit hits in the query's order. */
static void hits_prune(struct hits *h, size_t limit)
{
	if (h->n > 1)
		qsort(h->v, h->n, sizeof(*h->v), h->asc ? hit_cmp_asc : hit_cmp_desc);
	for (size_t i = limit; i < h->n; i++)
		json_decref(h->v[i].j);
	if (h->n > limit)
		h->n = limit;
}

static int hits_push(struct hits *h, int64_t id, json_t *j)
{
	if (h->n == h->alloc) {
		size_t na = h->alloc ? h->alloc * 2 : 64;
		struct hit *v = realloc(h->v, na * sizeof(*v));
		if (!v) {
			json_decref(j);
			return -ENOMEM;
		}
		h->v = v;
		h->alloc = na;
	}
	h->v[h->n++] = (struct hit){id, j};
	return 0;
}

/* Hits already final: every chunk not read yet lies beyond bound. */
static size_t hits_final(const struct hits *h, int64_t bound)
{
	size_t k = 0;
	for (size_t i = 0; i < h->n; i++)
		k += h->asc ? h->v[i].id < bound : h->v[i].id > bound;
	return k;
}

static json_t *line_json(const struct logline *l, const char *app)
{
	json_t *src = json_stringn(l->source, l->source_len),
	       *sev = json_stringn(l->severity, l->severity_len), *msg = json_stringn(l->msg, l->msg_len);
	json_t *j = NULL;
	if (src && sev && msg)
		j = json_pack("{s:I, s:o, s:I, s:O, s:O, s:O, s:o}", "id", (json_int_t)l->id, "time",
			      admin_time_json(l->t_ms / 1000), "time_ms", (json_int_t)l->t_ms, "source", src,
			      "severity", sev, "msg", msg, "app", app ? json_string(app) : json_null());
	json_decref(src);
	json_decref(sev);
	json_decref(msg);
	return j;
}

static bool line_wanted(const struct logstore_query *q, const struct logline *l)
{
	if (q->ascending ? l->id <= q->after : l->id >= q->before)
		return false;
	if (l->t_ms < q->since_ms)
		return false;
	return !q->source ||
	       (strlen(q->source) == l->source_len && !memcmp(q->source, l->source, l->source_len));
}

/* Add the wanted lines of one stored chunk (a row: first_id, enc, raw_len,
 * data, app_id) to h. */
static int chunk_scan(const struct logstore_query *q, struct store_stmt *st, struct buf *raw, struct hits *h)
{
	const char *app = store_col_is_null(st, 4) ? NULL : store_col_str(st, 4);
	size_t n;
	const void *data = store_col_blob(st, 3, &n);
	if (logchunk_load(store_col_int(st, 1), data, n, store_col_int64(st, 2), raw) < 0)
		return 0; /* damaged: skipped */
	struct logchunk_iter it;
	struct logline l;
	logchunk_iter_init(&it, raw->data, raw->len, store_col_int64(st, 0));
	int r = 0;
	while (r == 0 && logchunk_next(&it, &l) == 1) {
		if (!line_wanted(q, &l))
			continue;
		json_t *j = line_json(&l, app);
		if (j) /* a line JSON cannot carry (bad UTF-8) is left out */
			r = hits_push(h, l.id, j);
	}
	return r;
}

static const char *const list_sql[2][2] = {
    /* [app][ascending]; ?1 device id or the app's instances (apps_store_instances_json),
     * ?2 id bound, ?3 since */
    {"SELECT id, first_id FROM log_chunks WHERE device_id = ?1 AND first_id < ?2 AND t_max >= ?3"
     " ORDER BY id DESC",
     "SELECT id, first_id FROM log_chunks WHERE device_id = ?1 AND id > ?2 AND t_max >= ?3"
     " ORDER BY first_id"},
    {"SELECT id, first_id FROM log_chunks WHERE (app_id, device_id) IN (SELECT json_extract(value, '$[0]'),"
     " json_extract(value, '$[1]') FROM json_each(?1)) AND first_id < ?2 AND t_max >= ?3 ORDER BY id DESC",
     "SELECT id, first_id FROM log_chunks WHERE (app_id, device_id) IN (SELECT json_extract(value, '$[0]'),"
     " json_extract(value, '$[1]') FROM json_each(?1)) AND id > ?2 AND t_max >= ?3 ORDER BY first_id"},
};

/* Read the chunk with this id and add its wanted lines. */
static int chunk_read(struct store *d, const struct logstore_query *q, int64_t id, struct buf *raw,
		      struct hits *h)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT first_id, enc, raw_len, data, app_id FROM log_chunks WHERE id = ?1");
	if (!st)
		return -EIO;
	store_bind_int64(st, 1, id);
	int r = store_step(st) == STORE_ROW ? chunk_scan(q, st, raw, h) : 0;
	store_reset(st);
	return r;
}

static int scan_chunks(struct store *d, const struct logstore_query *q, struct hits *h)
{
	char *instances = NULL;
	if (q->app && apps_store_instances_json(d, q->app, &instances) < 0)
		return -EIO;
	struct store_stmt *st = store_stmt(d, list_sql[q->app != NULL][q->ascending]);
	if (!st) {
		free(instances);
		return -EIO;
	}
	store_bind_text(st, 1, q->app ? instances : q->dev);
	store_bind_int64(st, 2, q->ascending ? q->after : q->before);
	store_bind_int64(st, 3, q->since_ms);
	struct buf raw;
	buf_init(&raw, LOGCHUNK_RAW_MAX);
	int r = 0;
	while (r == 0 && store_step(st) == STORE_ROW) {
		/* descending: chunks come by their last id, so no later chunk
		 * holds an id above this one's last; ascending: by first id */
		int64_t bound = store_col_int64(st, q->ascending ? 1 : 0);
		if ((int64_t)hits_final(h, bound) >= q->limit)
			break;
		r = chunk_read(d, q, store_col_int64(st, 0), &raw, h);
		if (r == 0 && (int64_t)h->n > q->limit)
			hits_prune(h, (size_t)q->limit);
	}
	store_reset(st);
	buf_free(&raw);
	free(instances);
	return r;
}

int logstore_scan(struct store *d, const struct logstore_query *q, json_t *items, int64_t *last)
{
	struct hits h = {.asc = q->ascending};
	int r = scan_chunks(d, q, &h);
	hits_prune(&h, (size_t)q->limit);
	for (size_t i = 0; i < h.n; i++) {
		if (r == 0) {
			*last = h.v[i].id;
			json_array_append(items, h.v[i].j);
		}
		json_decref(h.v[i].j);
	}
	free(h.v);
	return r;
}
