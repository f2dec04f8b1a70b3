// SPDX-License-Identifier: Apache-2.0
/* blobstore: verified commit, hash mismatch deletes, GC keeps named blobs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blobstore.h"
#include "err.h"
#include "test_tmpdir.h"

/* sha256("hello\n") */
#define HELLO "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"

static char root[64];

static int setup(void **st)
{
	return test_tmpdir_make(root, sizeof(root), "rt-bs") == 0 ? 0 : -1;
}

static int teardown(void **st)
{
	return test_tmpdir_remove(root) == 0 ? 0 : -1;
}

static void put(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(s, f);
	fclose(f);
}

static void test_commit_and_gc(void **st)
{
	struct blobstore *bs;
	char *tmp = NULL, got[BLOBSTORE_HEX_LEN];
	const char *keep[] = {HELLO};

	assert_int_equal(blobstore_open(root, &bs), 0);
	assert_int_equal(blobstore_partial_path(bs, HELLO, &tmp), 0);
	put(tmp, "hello\n");
	assert_false(blobstore_has(bs, HELLO));
	assert_int_equal(blobstore_commit(bs, tmp, HELLO, got), 0);
	assert_string_equal(got, HELLO);
	assert_true(blobstore_has(bs, HELLO));
	assert_int_not_equal(access(tmp, F_OK), 0);

	/* Wrong content: mismatch, temp deleted, nothing stored. */
	put(tmp, "evil\n");
	assert_int_equal(blobstore_commit(bs, tmp,
					  "00000000000000000000000000000000000000000000000000000000000000ff",
					  got),
			 -EVE_EHASH);
	assert_int_not_equal(access(tmp, F_OK), 0);
	assert_false(blobstore_has(bs, "00000000000000000000000000000000000000000000000000000000000000ff"));

	/* Upper-case names the same blob. */
	assert_true(blobstore_has(bs, "5891B5B522D5DF086D0FF0B110FBD9D21BB4FC7163AF34D08286A2E846F6BE03"));
	assert_int_equal(blobstore_gc(bs, keep, 1), 0);
	assert_true(blobstore_has(bs, HELLO));
	assert_int_equal(blobstore_gc(bs, NULL, 0), 1);
	assert_false(blobstore_has(bs, HELLO));
	free(tmp);
	blobstore_free(bs);
}

static void test_bad_names(void **st)
{
	struct blobstore *bs;
	char *p = NULL;

	assert_int_equal(blobstore_open(root, &bs), 0);
	assert_int_equal(blobstore_path(bs, "../../etc/passwd", &p), -EINVAL);
	assert_int_equal(blobstore_path(bs, "abc", &p), -EINVAL);
	assert_int_equal(blobstore_partial_path(bs, "../x", &p), -EINVAL);
	assert_int_equal(blobstore_partial_path(bs, "", &p), -EINVAL);
	assert_false(blobstore_valid_hex(NULL));
	blobstore_free(bs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_commit_and_gc, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_names, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
