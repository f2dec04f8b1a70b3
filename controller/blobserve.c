// SPDX-License-Identifier: Apache-2.0
/* Blobs of the controller's own datastore (DIR/datastore/sha256/<hex>):
 * their paths, and serving one with Range and HEAD, for /datastore
 * (images.c) and the registry's /v2/ blobs (registry.c). */
#include "blobserve.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "ctlmetrics.h"

bool blobserve_hex_ok(const char *s)
{
	if (!s || strlen(s) != 64)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

int blobserve_path(struct ctl *c, const char *hex, char out[PATH_MAX])
{
	int n = snprintf(out, PATH_MAX, "%s/" CTL_DATASTORE_DIR "/sha256/%s", c->dir, hex);
	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

/* Parse "bytes=a-b", "bytes=a-", "bytes=-n" against size. 0 ok, -EINVAL
 * unsatisfiable/garbage. */
static int range_parse(const char *h, uint64_t size, uint64_t *from, uint64_t *to)
{
	if (strncmp(h, "bytes=", 6) || strchr(h, ','))
		return -EINVAL;
	const char *p = h + 6;
	char *end;
	if (*p == '-') {
		unsigned long long n = strtoull(p + 1, &end, 10);
		if (*end || n == 0 || size == 0)
			return -EINVAL;
		*from = n >= size ? 0 : size - n;
		*to = size - 1;
		return 0;
	}
	unsigned long long a = strtoull(p, &end, 10);
	if (end == p || *end != '-' || a >= size)
		return -EINVAL;
	p = end + 1;
	unsigned long long b = size - 1;
	if (*p) {
		b = strtoull(p, &end, 10);
		if (*end || b < a)
			return -EINVAL;
		if (b >= size)
			b = size - 1;
	}
	*from = a;
	*to = b;
	return 0;
}

/* The body is read in blocks of this size (four full TLS records of 16 KiB
 * each). MHD's own fd response reads 4 KiB at a time, and over TLS (no
 * sendfile) every block became a 4 KiB record and syscalls of its own:
 * docs/performance.md, "Data path (a)". Memory: one block per reply in
 * flight. */
#define BLOB_BLOCK (64 * 1024)

struct blob_body {
	int fd;
	uint64_t from;
};

static ssize_t blob_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct blob_body *b = cls;
	ssize_t n;

	do
		n = pread(b->fd, buf, max, (off_t)(b->from + pos));
	while (n < 0 && errno == EINTR);
	if (n > 0)
		return n;
	/* the file shrank under us: end the reply short rather than hang */
	return MHD_CONTENT_READER_END_WITH_ERROR;
}

static void blob_free(void *cls)
{
	struct blob_body *b = cls;

	close(b->fd);
	free(b);
}

/* A response of len bytes of fd from offset from; takes fd (closed on
 * failure too). NULL on failure. */
static struct MHD_Response *blob_response(int fd, uint64_t from, uint64_t len)
{
	struct blob_body *b = malloc(sizeof(*b));
	struct MHD_Response *resp = NULL;

	if (!b) {
		close(fd);
		return NULL;
	}
	b->fd = fd;
	b->from = from;
	resp = MHD_create_response_from_callback(len, BLOB_BLOCK, blob_read, b, blob_free);
	if (!resp)
		blob_free(b);
	return resp;
}

void blobserve_reply(struct http_req *r, const char *hex)
{
	char p[PATH_MAX];
	if (!blobserve_hex_ok(hex) || blobserve_path(r->ctl, hex, p) < 0) {
		http_reply_error(r, 404, "no such blob");
		return;
	}
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) < 0) {
		if (fd >= 0)
			close(fd);
		http_reply_error(r, 404, "no such blob");
		return;
	}
	uint64_t size = (uint64_t)sb.st_size, from = 0, to = size ? size - 1 : 0;
	const char *range = http_header(r, MHD_HTTP_HEADER_RANGE);
	unsigned status = 200;
	if (range) {
		if (range_parse(range, size, &from, &to) < 0) {
			close(fd);
			char cr[64];
			snprintf(cr, sizeof(cr), "bytes */%" PRIu64, size);
			http_reply_error(r, 416, "range not satisfiable");
			MHD_add_response_header(r->resp, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
			return;
		}
		status = 206;
	}
	uint64_t len = size ? to - from + 1 : 0;
	struct MHD_Response *resp = blob_response(fd, from, len);
	if (!resp) {
		http_reply_error(r, 500, "cannot serve the blob");
		return;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	if (status == 206) {
		char cr[96];
		snprintf(cr, sizeof(cr), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, from, to, size);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
	}
	http_reply_resp(r, status, resp);
	if (!strcmp(r->method, "GET"))
		ctlmetrics_datastore_bytes(r->ctl->metrics, len);
}
