// SPDX-License-Identifier: Apache-2.0
/* The controller's datastore blobs: DIR/datastore/sha256/<hex>. */
#ifndef CTL_BLOBSERVE_H
#define CTL_BLOBSERVE_H

#include <errno.h>
#include <limits.h>
#include <stdbool.h>

#include "http.h"

struct ctl;

/* 64 lower-case hex digits. */
bool blobserve_hex_ok(const char *s);
/* The path of blob hex; -ENAMETOOLONG. */
int blobserve_path(struct ctl *c, const char *hex, char out[PATH_MAX]);
/* Serve blob hex (Range, HEAD) as the reply of r; 404 when absent. */
void blobserve_reply(struct http_req *r, const char *hex);

#endif
