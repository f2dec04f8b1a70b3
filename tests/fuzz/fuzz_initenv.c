// SPDX-License-Identifier: Apache-2.0
/* libFuzzer harness: the environment file of a container app
 * (device/runtime/initenv.c), which the init shim eve-init reads inside
 * the container before the app runs.
 *
 * Input: the file's bytes. When it parses, every entry must lie inside the
 * input, be NUL-terminated with a valid NAME before its '=', and encoding
 * the entries again must give back the input byte for byte. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "initenv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *entries[INITENV_MAX_ENTRIES + 1];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size ? size : 1), *again = NULL;
	size_t n = 0, len = 0, i;

	FUZZ_CHECK(copy != NULL, "malloc");
	memcpy(copy, data, size);
	if (initenv_parse(copy, size, entries, INITENV_MAX_ENTRIES, &n) < 0)
		goto out;
	FUZZ_CHECK(n <= INITENV_MAX_ENTRIES, "entry count");
	for (i = 0; i < n; i++) {
		const char *eq;

		FUZZ_CHECK(entries[i] >= copy && entries[i] < copy + size, "entry inside the input");
		FUZZ_CHECK(memchr(entries[i], '\0', size - (size_t)(entries[i] - copy)), "entry terminated");
		eq = strchr(entries[i], '=');
		FUZZ_CHECK(eq && initenv_name_ok(entries[i], (size_t)(eq - entries[i])), "entry has a NAME=");
	}
	entries[n] = NULL;
	FUZZ_CHECK(initenv_encode((char *const *)entries, &again, &len) == 0, "entries encode");
	FUZZ_CHECK(len == size && !memcmp(again, copy, size), "round trip");
out:
	free(again);
	free(copy);
	return 0;
}
