// SPDX-License-Identifier: Apache-2.0
/* Info queue on disk. */
#include "infoqueue.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"

struct infoqueue {
	char dir[PATH_MAX - INFOQUEUE_KEY_MAX - 2];
	pthread_mutex_t lock; /* orders put vs. delete-after-send */
};

static bool key_valid(const char *key)
{
	size_t n = strlen(key);

	if (n == 0 || n >= INFOQUEUE_KEY_MAX || key[0] == '.' || strstr(key, ".tmp."))
		return false; /* ".tmp." names are fileio's temporaries */
	return strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

int infoqueue_new(const char *state_dir, struct infoqueue **out)
{
	struct infoqueue *q = calloc(1, sizeof(*q));
	int r;

	if (!q)
		return -ENOMEM;
	if (snprintf(q->dir, sizeof(q->dir), "%s/infoqueue", state_dir) >= (int)sizeof(q->dir)) {
		free(q);
		return -ENAMETOOLONG;
	}
	r = fileio_mkdirs(q->dir, 0700);
	if (r < 0) {
		free(q);
		return r;
	}
	pthread_mutex_init(&q->lock, NULL);
	*out = q;
	return 0;
}

void infoqueue_free(struct infoqueue *q)
{
	if (!q)
		return;
	pthread_mutex_destroy(&q->lock);
	free(q);
}

int infoqueue_put(struct infoqueue *q, const char *key, const uint8_t *data, size_t len)
{
	char path[PATH_MAX];
	int r;

	if (!key_valid(key) || len > INFOQUEUE_ITEM_MAX)
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/%s", q->dir, key);
	pthread_mutex_lock(&q->lock);
	r = fileio_write_atomic(path, data, len, 0600);
	pthread_mutex_unlock(&q->lock);
	return r;
}

/* Remove path if it still holds exactly data (no newer state arrived). */
static void remove_if_same(struct infoqueue *q, const char *path, const uint8_t *data, size_t len)
{
	uint8_t *now = NULL;
	size_t now_len = 0;

	pthread_mutex_lock(&q->lock);
	if (fileio_read(path, INFOQUEUE_ITEM_MAX, &now, &now_len) == 0 && now_len == len &&
	    memcmp(now, data, len) == 0 && unlink(path) == 0)
		fileio_sync_dir(path);
	pthread_mutex_unlock(&q->lock);
	free(now);
}

static int flush_one(struct infoqueue *q, const char *key, infoqueue_send_fn send, void *ctx)
{
	char path[PATH_MAX];
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	snprintf(path, sizeof(path), "%s/%s", q->dir, key);
	pthread_mutex_lock(&q->lock);
	r = fileio_read(path, INFOQUEUE_ITEM_MAX, &data, &len);
	pthread_mutex_unlock(&q->lock);
	if (r == -ENOENT)
		return 0;
	if (r < 0) { /* unreadable: drop it rather than block the queue */
		unlink(path);
		return 0;
	}
	r = send(ctx, key, data, len);
	if (r == 0)
		remove_if_same(q, path, data, len);
	free(data);
	return r;
}

int infoqueue_flush(struct infoqueue *q, infoqueue_send_fn send, void *ctx)
{
	struct dirent *de;
	DIR *d;
	int r = 0;

	d = opendir(q->dir);
	if (!d)
		return -errno;
	while (r == 0 && (de = readdir(d))) {
		if (!key_valid(de->d_name))
			continue; /* ".", "..", temporaries */
		r = flush_one(q, de->d_name, send, ctx);
	}
	closedir(d);
	return r;
}

size_t infoqueue_count(struct infoqueue *q)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	d = opendir(q->dir);
	if (!d)
		return 0;
	while ((de = readdir(d)))
		n += key_valid(de->d_name);
	closedir(d);
	return n;
}
