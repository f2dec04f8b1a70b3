/* Helpers shared by the fuzz harnesses. */
#ifndef EVE_FUZZ_UTIL_H
#define EVE_FUZZ_UTIL_H

#include <stdio.h>
#include <stdlib.h>

/* Directory for scratch files: $EVE_FUZZ_TMP (ctest and scripts/fuzz set
 * it to the harness's work directory, so a crashed run leaves nothing
 * elsewhere), else /dev/shm when writable, else /tmp. Static string. */
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
