// SPDX-License-Identifier: Apache-2.0
/* libFuzzer harness: eve-devsim's state file (--state, bench/devsim/fleet.c)
 * read back, as devsim reads a file left by an earlier run that it cannot
 * trust (another version, a truncated or edited file).
 *
 * Input: byte 0 modulo 4, plus 1, is the fleet size; the rest is the file.
 * A file that loads must give NUL-terminated UUIDs and config hashes, and
 * saving it again must give back the same bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "fleet.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[4096], again[4096];
	struct fleet f;
	uint8_t *back = NULL;
	size_t known = 0, blen = 0;
	int r;

	if (size < 1)
		return 0;
	memset(&f, 0, sizeof(f));
	f.n = (size_t)(data[0] % 4) + 1;
	f.devs = calloc(f.n, sizeof(*f.devs));
	f.onboard_pem = strdup("x");
	FUZZ_CHECK(f.devs && f.onboard_pem, "allocation");
	snprintf(path, sizeof(path), "%.3000s/devsim-state-%d", fuzz_tmp_base(), (int)getpid());
	snprintf(again, sizeof(again), "%.3000s/devsim-state-%d.again", fuzz_tmp_base(), (int)getpid());
	FUZZ_CHECK(fileio_write_atomic(path, data + 1, size - 1, 0600) == 0, "write the input");
	r = fleet_state_load(&f, path, "devsim", &known);
	if (r == 0) {
		FUZZ_CHECK(known <= f.n, "known within the fleet");
		for (size_t i = 0; i < f.n; i++)
			FUZZ_CHECK(memchr(f.devs[i].uuid, 0, sizeof(f.devs[i].uuid)) &&
				       memchr(f.devs[i].config_hash, 0, sizeof(f.devs[i].config_hash)),
				   "fields NUL-terminated");
		FUZZ_CHECK(fleet_state_save(&f, again, "devsim") == 0, "save again");
		FUZZ_CHECK(fileio_read(again, size, &back, &blen) == 0, "read the saved file");
		/* the saved file pads each field with NULs: equal to the input
		 * exactly when the input did too; the fields must match */
		struct fleet g = f;
		g.devs = calloc(f.n, sizeof(*g.devs));
		FUZZ_CHECK(g.devs != NULL, "allocation");
		FUZZ_CHECK(fleet_state_load(&g, again, "devsim", &known) == 0, "load what was saved");
		for (size_t i = 0; i < f.n; i++)
			FUZZ_CHECK(!strcmp(f.devs[i].uuid, g.devs[i].uuid) &&
				       !strcmp(f.devs[i].config_hash, g.devs[i].config_hash),
				   "round trip");
		free(g.devs);
		free(back);
		unlink(again);
	}
	unlink(path);
	free(f.devs);
	free(f.onboard_pem);
	return 0;
}
