// SPDX-License-Identifier: Apache-2.0
/* Skips in cmocka tests: a skip is a skip on a developer's machine (the
 * reason printed, exit 77 so ctest reports it as skipped) and a failure
 * when CI=true (CI's machine has every package: scripts/install-deps).
 *
 *   if (!have_tool()) { test_skip_here("qemu-img not installed"); }
 *   ...
 *   int main(void) { ...; return test_skip_exit(cmocka_run_group_tests(...)); }
 *
 * Header-only: include it in one test program. */
#ifndef EVE_TEST_SKIP_H
#define EVE_TEST_SKIP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_skip_count;

static inline int test_skip_ci(void)
{
	const char *ci = getenv("CI");
	return ci && !strcmp(ci, "true");
}

/* Skip the current cmocka test (fails it with CI=true). */
#define test_skip_here(reason)                                                                               \
	do {                                                                                                 \
		if (test_skip_ci())                                                                          \
			fail_msg("CI=true: a test may not skip on CI: %s", (reason));                        \
		print_message("SKIP: %s\n", (reason));                                                       \
		test_skip_count++;                                                                           \
		skip();                                                                                      \
	} while (0)

/* The whole program cannot run: the exit status for main(). */
static inline int test_skip_all(const char *reason)
{
	printf("SKIP: %s\n", reason);
	if (test_skip_ci()) {
		printf("FAIL: CI=true: a test may not skip on CI (reason above)\n");
		return 1;
	}
	return 77;
}

/* main()'s exit status: failures first, else 77 when a test skipped. */
static inline int test_skip_exit(int failed)
{
	return failed ? failed : test_skip_count ? 77 : 0;
}

#endif
