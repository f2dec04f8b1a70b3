// SPDX-License-Identifier: Apache-2.0
/* libFuzzer harness: newlogs as the controller stores them (gzip inflate
 * bounded by cap.logs, then one JSON LogEntry per line into SQLite), by
 * calling reports_store_newlogs on a real controller fixture.
 *
 * Input: byte 0 bit 0 set: the rest is the text, gzip-compressed by the
 * harness (so line parsing gets fuzzed); clear: the rest is the gzip stream
 * itself. Bit 1 picks an app-instance log (app uuid) or a device log. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fuzz_ctl.h"
#include "gzip.h"
#include "reports.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_ctl_get();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_ctl *f = fuzz_ctl_get();
	const char *app;
	struct buf z;
	int r;

	if (size < 1)
		return 0;
	app = (data[0] & 2) ? f->app : NULL;
	buf_init(&z, 8u << 20);
	if (data[0] & 1) {
		FUZZ_CHECK(gzip_compress(data + 1, size - 1, "{}", &z) == 0, "gzip_compress");
		r = reports_store_newlogs(&f->c, f->uuid, app, z.data, z.len);
	} else {
		r = reports_store_newlogs(&f->c, f->uuid, app, data + 1, size - 1);
	}
	/* -EPERM: the app instance is not deployed to this device (403) */
	FUZZ_CHECK(r == 0 || r == -EVE_EPROTO || r == -EVE_ETOOBIG || r == -EINVAL || r == -ENOMEM ||
		       (app && r == -EPERM),
		   "reports_store_newlogs result");
	buf_free(&z);
	return 0;
}
