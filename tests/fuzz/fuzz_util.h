// SPDX-License-Identifier: Apache-2.0
/* Helpers shared by the fuzz harnesses. */
#ifndef EVE_FUZZ_UTIL_H
#define EVE_FUZZ_UTIL_H

#include <stdio.h>
#include <stdlib.h>

/* Directory for scratch files: $EVE_FUZZ_TMP (the replay tests set it to
 * their build directory), else /dev/shm when writable (tmpfs: the OCI and
 * SQLite harnesses run ~10x faster there than on disk), else /tmp.
 * A run that crashes leaves its evefuzz-* directory behind. */
const char *fuzz_tmp_base(void);

/* Abort with msg when cond is false (harness invariants). */
#define FUZZ_CHECK(cond, msg)                                                                                \
	do {                                                                                                 \
		if (!(cond)) {                                                                               \
			fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", msg, __FILE__, __LINE__);     \
			abort();                                                                             \
		}                                                                                            \
	} while (0)

#endif
