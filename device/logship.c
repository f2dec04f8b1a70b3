// SPDX-License-Identifier: Apache-2.0
/* Newlog batches and uploads. */
#include "logship.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <jansson.h>

#include "buf.h"
#include "fileio.h"
#include "gzip.h"
#include "logs/log.pb-c.h"
#include "monotime.h"
#include "pbjson.h"
#include "uuidgen.h"

#define MAX_SOURCES 64
#define MAX_FILES 4096
#define NAME_MAX_LEN 256

struct batch {
	char app[UUID_STR_LEN]; /* "" = device */
	struct buf lines;
	uint64_t first_ms; /* CLOCK_MONOTONIC time of the oldest pending line */
};

struct logship {
	char dir[PATH_MAX - 512];
	size_t quota;
	pthread_mutex_t lock;
	char dev_uuid[UUID_STR_LEN];
	char version[64];
	uint64_t msgid;
	uint64_t seq; /* file name order within one nanosecond clock tick */
	struct batch batches[MAX_SOURCES];
	size_t n_batches;
};

int logship_new(const char *state_dir, size_t quota_bytes, struct logship **out)
{
	struct logship *ls = calloc(1, sizeof(*ls));
	int r;

	if (!ls)
		return -ENOMEM;
	if (snprintf(ls->dir, sizeof(ls->dir), "%s/newlogs", state_dir) >= (int)sizeof(ls->dir)) {
		free(ls);
		return -ENAMETOOLONG;
	}
	r = fileio_mkdirs(ls->dir, 0700);
	if (r < 0) {
		free(ls);
		return r;
	}
	ls->quota = quota_bytes;
	pthread_mutex_init(&ls->lock, NULL);
	*out = ls;
	return 0;
}

void logship_free(struct logship *ls)
{
	if (!ls)
		return;
	for (size_t i = 0; i < ls->n_batches; i++)
		buf_free(&ls->batches[i].lines);
	pthread_mutex_destroy(&ls->lock);
	free(ls);
}

void logship_set_meta(struct logship *ls, const char *dev_uuid, const char *eve_version)
{
	pthread_mutex_lock(&ls->lock);
	snprintf(ls->dev_uuid, sizeof(ls->dev_uuid), "%s", dev_uuid ? dev_uuid : "");
	snprintf(ls->version, sizeof(ls->version), "%s", eve_version ? eve_version : "");
	pthread_mutex_unlock(&ls->lock);
}

static struct batch *batch_get(struct logship *ls, const char *app)
{
	for (size_t i = 0; i < ls->n_batches; i++)
		if (!strcmp(ls->batches[i].app, app))
			return &ls->batches[i];
	if (ls->n_batches == MAX_SOURCES)
		return NULL;
	struct batch *b = &ls->batches[ls->n_batches++];
	snprintf(b->app, sizeof(b->app), "%s", app);
	buf_init(&b->lines, LOGSHIP_BATCH_MAX + LOGSHIP_LINE_MAX * 2);
	return b;
}

static char *entry_json(struct logship *ls, const char *severity, const char *source, const char *content)
{
	Org__Lfedge__Eve__Logs__LogEntry e = ORG__LFEDGE__EVE__LOGS__LOG_ENTRY__INIT;
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	char trunc[LOGSHIP_LINE_MAX], pid[16];
	struct timespec now;
	json_t *j;
	char *s;

	clock_gettime(CLOCK_REALTIME, &now);
	ts.seconds = now.tv_sec;
	ts.nanos = (int32_t)now.tv_nsec;
	snprintf(trunc, sizeof(trunc), "%s", content);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	e.severity = (char *)severity;
	e.source = (char *)source;
	e.iid = pid;
	e.content = trunc;
	e.msgid = ++ls->msgid;
	e.timestamp = &ts;
	j = pbjson_from_message(&e.base);
	if (!j)
		return NULL;
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

static int write_batch(struct logship *ls, struct batch *b);

int logship_add(struct logship *ls, const char *app_uuid, const char *severity, const char *source,
		const char *content)
{
	struct batch *b;
	char *line;
	int r = -ENOSPC;

	if (app_uuid && !uuidgen_valid(app_uuid))
		return -EINVAL;
	pthread_mutex_lock(&ls->lock);
	b = batch_get(ls, app_uuid ? app_uuid : "");
	line = b ? entry_json(ls, severity, source, content) : NULL;
	if (line) {
		if (b->lines.len == 0)
			b->first_ms = monotime_ms();
		r = buf_printf(&b->lines, "%s\n", line);
		if (r == 0 && b->lines.len >= LOGSHIP_BATCH_MAX)
			r = write_batch(ls, b);
	}
	pthread_mutex_unlock(&ls->lock);
	free(line);
	return r;
}

static char *meta_comment(struct logship *ls, const struct batch *b)
{
	json_t *j =
	    json_pack("{s:s, s:s, s:s}", "devID", ls->dev_uuid, "eveVersion", ls->version, "appUUID", b->app);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	return s;
}

static void enforce_quota(struct logship *ls);

static int write_batch(struct logship *ls, struct batch *b)
{
	struct buf gz;
	struct timespec now;
	char path[PATH_MAX], *comment;
	int r;

	if (b->lines.len == 0)
		return 0;
	comment = meta_comment(ls, b);
	if (!comment)
		return -ENOMEM;
	buf_init(&gz, LOGSHIP_FILE_MAX);
	r = gzip_compress(b->lines.data, b->lines.len, comment, &gz);
	free(comment);
	if (r < 0)
		goto out;
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(path, sizeof(path), "%s/%019lld%06llu-%s.gz", ls->dir,
		 (long long)now.tv_sec * 1000000000LL + now.tv_nsec,
		 (unsigned long long)(ls->seq++ % 1000000), b->app[0] ? b->app : "dev");
	r = fileio_write_atomic(path, gz.data, gz.len, 0600);
	if (r < 0)
		goto out; /* full disk: keep the lines, retry at next rotate */
	buf_reset(&b->lines);
	enforce_quota(ls);
out:
	buf_free(&gz);
	return r;
}

int logship_rotate_aged(struct logship *ls, uint64_t max_age_ms)
{
	uint64_t now = monotime_ms();
	int r = 0;

	pthread_mutex_lock(&ls->lock);
	for (size_t i = 0; i < ls->n_batches; i++) {
		struct batch *b = &ls->batches[i];
		int w = 0;

		if (b->lines.len && now - b->first_ms >= max_age_ms)
			w = write_batch(ls, b);
		r = r ? r : w;
	}
	pthread_mutex_unlock(&ls->lock);
	return r;
}

int logship_rotate(struct logship *ls)
{
	return logship_rotate_aged(ls, 0);
}

static bool is_logfile(const char *name)
{
	size_t n = strlen(name);

	return n > 3 && !strcmp(name + n - 3, ".gz") && !strstr(name, ".tmp.") && name[0] != '.';
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the log files (oldest first); caller frees each + array. */
static size_t list_files(struct logship *ls, char ***out)
{
	struct dirent *de;
	char **names;
	size_t n = 0;
	DIR *d;

	*out = NULL;
	names = calloc(MAX_FILES, sizeof(*names));
	d = names ? opendir(ls->dir) : NULL;
	if (!d) {
		free(names);
		return 0;
	}
	while ((de = readdir(d)) && n < MAX_FILES)
		if (is_logfile(de->d_name) && (names[n] = strdup(de->d_name)))
			n++;
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	*out = names;
	return n;
}

static void free_list(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static size_t file_size(struct logship *ls, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", ls->dir, name);
	return stat(path, &st) == 0 ? (size_t)st.st_size : 0;
}

static void enforce_quota(struct logship *ls)
{
	char **names, path[PATH_MAX];
	size_t n = list_files(ls, &names), total = 0;

	for (size_t i = 0; i < n; i++)
		total += file_size(ls, names[i]);
	for (size_t i = 0; i < n && total > ls->quota; i++) {
		total -= file_size(ls, names[i]);
		snprintf(path, sizeof(path), "%s/%s", ls->dir, names[i]);
		unlink(path);
	}
	free_list(names, n);
}

void logship_set_quota(struct logship *ls, size_t quota_bytes)
{
	pthread_mutex_lock(&ls->lock);
	ls->quota = quota_bytes;
	enforce_quota(ls);
	pthread_mutex_unlock(&ls->lock);
}

size_t logship_pending_bytes(struct logship *ls)
{
	char **names;
	size_t n, total = 0;

	pthread_mutex_lock(&ls->lock);
	n = list_files(ls, &names);
	for (size_t i = 0; i < n; i++)
		total += file_size(ls, names[i]);
	free_list(names, n);
	pthread_mutex_unlock(&ls->lock);
	return total;
}

/* The app UUID encoded in a file name, or NULL for device logs. */
static const char *name_app(const char *name, char app[UUID_STR_LEN])
{
	const char *dash = strchr(name, '-');

	if (!dash || strlen(dash + 1) != UUID_STR_LEN - 1 + 3)
		return NULL;
	memcpy(app, dash + 1, UUID_STR_LEN - 1);
	app[UUID_STR_LEN - 1] = '\0';
	return uuidgen_valid(app) ? app : NULL;
}

static int upload_one(struct logship *ls, const char *name, logship_send_fn send, void *ctx)
{
	char path[PATH_MAX], app[UUID_STR_LEN];
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	snprintf(path, sizeof(path), "%s/%s", ls->dir, name);
	r = fileio_read(path, LOGSHIP_FILE_MAX, &data, &len);
	if (r == -ENOENT) /* dropped by the quota meanwhile */
		return 0;
	if (r < 0) {
		unlink(path);
		return 0;
	}
	r = send(ctx, name_app(name, app), data, len);
	if (r == 0)
		unlink(path);
	free(data);
	return r;
}

int logship_upload(struct logship *ls, logship_send_fn send, void *ctx)
{
	char **names;
	size_t n;
	int r = 0;

	pthread_mutex_lock(&ls->lock);
	n = list_files(ls, &names);
	pthread_mutex_unlock(&ls->lock);
	for (size_t i = 0; i < n && r == 0; i++)
		r = upload_one(ls, names[i], send, ctx);
	free_list(names, n);
	return r;
}
