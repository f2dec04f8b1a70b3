// SPDX-License-Identifier: Apache-2.0
/* A small HTTP load engine over libcurl multi: `nslots` requests in flight at
 * once on keep-alive TLS connections (one connection per slot, reused), all
 * driven by one thread. The scenario feeds it through two callbacks: `next`
 * hands a request to an idle slot, `done` gets each answer. One driver per
 * thread; nothing here is shared between drivers. */
#ifndef DEVSIM_DRIVER_H
#define DEVSIM_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct simdev;

/* One request; the driver owns body once `next` returns it. */
struct drv_req {
	struct simdev *dev;
	int kind;       /* scenario-defined */
	char path[160]; /* below the base URL, e.g. "/id/<uuid>/config" */
	uint8_t *body;  /* owned by the driver after next(); free()d */
	size_t len;
	uint64_t t_due_ns;   /* when it was due (open-loop scenarios) */
	uint64_t t_start_ns; /* set by the driver when sent */
};

/* next: fill *req and return 1, or return 0 with *wait_ns (> 0) the time until
 * something is due (0 = nothing more ever: slot retires), or <0 to stop. */
struct driver_ops {
	int (*next)(void *ctx, struct drv_req *req, uint64_t *wait_ns);
	/* status is the HTTP status, 0 when none came (err then names why). resp
	 * is the body (valid during the call). */
	void (*done)(void *ctx, struct drv_req *req, long status, const struct buf *resp, const char *err);
};

struct driver_opts {
	const char *base_url; /* "https://host:port/api/v2/edgedevice" */
	const char *ca_path;
	const char *connect_to; /* optional CURLOPT_CONNECT_TO "host:port:addr:port" */
	unsigned nslots;
	long timeout_s;
};

struct driver;

int driver_new(const struct driver_opts *o, const struct driver_ops *ops, void *ctx, struct driver **out);
void driver_free(struct driver *d);
/* Run until deadline_ns (monotime_ns clock), until every slot retired, or
 * until driver_stop. In-flight requests at the deadline are abandoned (not
 * counted). Returns 0 or a negative error. */
int driver_run(struct driver *d, uint64_t deadline_ns);
/* Ask run to return at its next turn (callable from the callbacks). */
void driver_stop(struct driver *d);

#endif
