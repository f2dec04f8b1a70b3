// SPDX-License-Identifier: Apache-2.0
/* Checkpoint atomicity: a writer killed with SIGKILL at random points never
 * leaves a half-written lastconfig; promote copies to .bak. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checkpoint.h"
#include "test_tmpdir.h"

#define BLOB (256 * 1024)

static char tmpdir[64];

static void fill(uint8_t *p, uint8_t v)
{
	memset(p, v, BLOB);
}

static void test_roundtrip(void **state)
{
	uint8_t *data = NULL;
	size_t len = 0;

	assert_int_equal(checkpoint_init(tmpdir), 0);
	assert_int_equal(checkpoint_load(tmpdir, CHECKPOINT_BAK, &data, &len), -ENOENT);
	assert_int_equal(checkpoint_save(tmpdir, CHECKPOINT_LAST, (const uint8_t *)"abc", 3), 0);
	assert_int_equal(checkpoint_promote(tmpdir), 0);
	assert_int_equal(checkpoint_load(tmpdir, CHECKPOINT_BAK, &data, &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(data, "abc", 3);
	free(data);
	assert_int_equal(checkpoint_remove(tmpdir, CHECKPOINT_BAK), 0);
	assert_int_equal(checkpoint_remove(tmpdir, CHECKPOINT_BAK), 0);
}

static void writer(void)
{
	uint8_t *buf = malloc(BLOB);

	for (unsigned i = 0;; i++) {
		fill(buf, (uint8_t)('A' + i % 2));
		checkpoint_save(tmpdir, CHECKPOINT_LAST, buf, BLOB);
	}
}

static void test_kill9(void **state)
{
	uint8_t *init = malloc(BLOB);

	assert_non_null(init);
	fill(init, 'Z');
	assert_int_equal(checkpoint_save(tmpdir, CHECKPOINT_LAST, init, BLOB), 0);
	free(init);
	for (int round = 0; round < 20; round++) {
		uint8_t *data = NULL;
		size_t len = 0;
		pid_t pid = fork();

		if (pid == 0)
			writer();
		usleep(2000 + (useconds_t)(rand() % 20000));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		assert_int_equal(checkpoint_load(tmpdir, CHECKPOINT_LAST, &data, &len), 0);
		assert_int_equal(len, BLOB);
		for (size_t i = 1; i < len; i++)
			assert_int_equal(data[i], data[0]);
		free(data);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_kill9),
	};
	int r;

	if (test_tmpdir_make(tmpdir, sizeof(tmpdir), "agent_checkpoint") < 0)
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	if (test_tmpdir_remove(tmpdir) < 0)
		r = r ? r : 1;
	return r;
}
