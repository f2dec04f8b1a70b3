// SPDX-License-Identifier: Apache-2.0
/* Log storage: the table log_chunks holds a device's (or one of its app
 * instances') log lines in compressed chunks (logchunk.h). Every line keeps
 * its own id (the admin API's cursor); a chunk row carries the ids and times
 * it spans, so queries pick chunks by index and filter lines after
 * decompression.
 *
 * Each upload is appended as one small chunk (or several when large),
 * compressed fast; once a device's (or app instance's) small chunks add up
 * to LOGSTORE_SEAL_LINES lines, LOGSTORE_SEAL_BYTES raw bytes or
 * LOGSTORE_SEAL_CHUNKS rows, they are merged into one sealed chunk,
 * compressed hard, in the same transaction. Count retention
 * deletes whole chunks, the one whose newest line is the oldest first,
 * while at least max lines remain (so a device keeps between max and max
 * plus about two chunks; checked when a chunk is sealed); age retention
 * deletes chunks wholly past the cutoff and readers hide the older lines
 * of a chunk straddling it.
 *
 * Functions take a struct store the caller holds (inside its transaction for
 * the writes); none logs. */
#ifndef CTL_LOGSTORE_H
#define CTL_LOGSTORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "logchunk.h"

struct store;

#define LOGSTORE_SEAL_LINES 2048
#define LOGSTORE_SEAL_BYTES (256u << 10)
#define LOGSTORE_SEAL_CHUNKS 128 /* unsealed chunks of one device or instance */

/* The lines of one upload, all of device dev (and app instance app, or
 * NULL for the device's own logs). */
struct logstore_batch {
	struct store *d;
	const char *dev, *app; /* borrowed */
	int64_t next_id;       /* 0 until the first line */
	bool sealed;           /* a sealed chunk was written: check the count */
	struct logchunk_enc enc;
};

/* Start a batch whose writes go to d (inside the caller's write
 * transaction); strings are borrowed. logstore_batch_free releases it. */
void logstore_batch_init(struct logstore_batch *b, struct store *d, const char *dev, const char *app);
/* Add one line (strings need not be NUL-terminated). 0 or negative errno. */
int logstore_batch_add(struct logstore_batch *b, int64_t t_ms, const char *source, size_t source_len,
		       const char *severity, size_t severity_len, const char *msg, size_t msg_len);
/* Write what is left, merge small chunks when due and apply the count
 * retention (max lines per device). Still inside the transaction. */
int logstore_batch_end(struct logstore_batch *b, int64_t max_lines);
/* Release the batch's memory (after end, or instead of it on failure). */
void logstore_batch_free(struct logstore_batch *b);

/* The age retention's cutoff (ms) for logs kept days days. */
int64_t logstore_cutoff(int64_t days);
/* The earliest line time (ms) a reader may show: since_ms, or the cutoff
 * when later (a chunk straddling the cutoff still holds older lines until
 * all of it expires: they are hidden). */
int64_t logstore_since(int64_t since_ms, int64_t days);
/* Delete the chunks whose lines are all older than cutoff_ms. */
void logstore_expire(struct store *d, int64_t cutoff_ms);

struct logstore_query {
	const char *dev, *app; /* exactly one: a device id, or an app id (its instances) */
	bool ascending;        /* oldest first from after; else newest first below before */
	int64_t before, after; /* id bounds (exclusive) */
	int64_t since_ms;      /* only lines at or after this time (retention cutoff included) */
	const char *source;    /* NULL: any */
	int64_t limit;         /* 1.. */
};

/* Append up to q->limit lines as the admin API shows them ({id, time,
 * time_ms, source, severity, msg, app}) to items, in id order of the
 * direction; *last gets the id of the last one appended (unchanged when
 * none). A stored chunk that does not decode is skipped. 0 or -EIO. */
int logstore_scan(struct store *d, const struct logstore_query *q, json_t *items, int64_t *last);

/* The highest line id stored (0 when none). */
int64_t logstore_newest_id(struct store *d);

#endif
