// SPDX-License-Identifier: Apache-2.0
/* I/O adapters assigned to apps (app_io.h). */
#include "app_io.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_spec.h"
#include "apps_store.h"
#include "deviceio.h"

static const struct deviceio_port *find(const struct deviceio_port *ports, size_t n, const char *label)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(ports[i].logicallabel, label))
			return &ports[i];
	return NULL;
}

struct held {
	const struct deviceio_port *ports;
	size_t n;
	const char *grp;
	char *holder;
	size_t holderlen;
};

/* 1 when app's spec holds an adapter of group h->grp (its name in holder). */
static int holds(void *ctx, const char *app, const char *spec_text)
{
	struct held *h = ctx;
	struct app_spec spec = {0};
	const char *label;
	int held = 0;

	(void)app_spec_load(spec_text, &spec); /* unreadable: holds no adapter */
	for (size_t i = 0; i < json_array_size(spec.io); i++) {
		label = app_spec_io(&spec, i);
		const struct deviceio_port *p = label ? find(h->ports, h->n, label) : NULL;

		if (p && !strcmp(p->assigngrp, h->grp)) {
			held = 1;
			snprintf(h->holder, h->holderlen, "%s", app);
		}
	}
	app_spec_free(&spec);
	return held;
}

/* The app (other than `app`) on the device whose io holds an adapter of
 * group grp; its name in holder. */
static bool group_held(struct store *d, const char *dev_uuid, const char *app,
		       const struct deviceio_port *ports, size_t n, const char *grp, char *holder,
		       size_t holderlen)
{
	struct held h = {.ports = ports, .n = n, .grp = grp, .holder = holder, .holderlen = holderlen};
	return apps_store_each_spec_on_device(d, dev_uuid, app, holds, &h) == 1;
}

int app_io_check(struct store *d, const char *dev_uuid, const char *app, json_t *io, char *err, size_t errlen)
{
	struct deviceio_port *ports = NULL;
	size_t n = 0, i;
	json_t *v;
	int code = 0;

	if (!io || json_array_size(io) == 0)
		return 0;
	if (!json_is_array(io) || json_array_size(io) > APP_IO_MAX) {
		snprintf(err, errlen, "io: an array of at most %d adapter names", APP_IO_MAX);
		return 400;
	}
	if (deviceio_list(d, dev_uuid, &ports, &n) < 0) {
		snprintf(err, errlen, "io: the device's hardware model cannot be read");
		return 500;
	}
	json_array_foreach(io, i, v)
	{
		const char *name = json_string_value(v);
		const struct deviceio_port *p = name ? find(ports, n, name) : NULL;
		char holder[256];

		if (!name) {
			snprintf(err, errlen, "io: adapter names are strings");
			code = 400;
		} else if (!p) {
			snprintf(err, errlen, "io: the device has no adapter %.64s (evectl device io list)",
				 name);
			code = 404;
		} else if (!p->assigngrp[0]) {
			snprintf(err, errlen,
				 "io: adapter %.64s is not assignable to an app (it has no assigngrp)", name);
			code = 400;
		} else if (p->usage == 4) { /* PhyIoUsageDisabled */
			snprintf(err, errlen, "io: adapter %.64s is disabled in the device's model", name);
			code = 400;
		} else if (group_held(d, dev_uuid, app, ports, n, p->assigngrp, holder, sizeof(holder))) {
			snprintf(err, errlen, "io: adapter %.64s (group %.32s) is assigned to app %.64s",
				 name, p->assigngrp, holder);
			code = 409;
		}
		if (code)
			break;
	}
	free(ports);
	return code;
}

int app_io_type(struct store *d, const char *dev_uuid, const char *label)
{
	struct deviceio_port *ports = NULL;
	const struct deviceio_port *p;
	size_t n = 0;
	int t = -ENOENT;

	if (deviceio_list(d, dev_uuid, &ports, &n) < 0)
		return -EIO;
	p = find(ports, n, label);
	if (p)
		t = p->ptype;
	free(ports);
	return t;
}
