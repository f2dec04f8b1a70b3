// SPDX-License-Identifier: Apache-2.0
/* A container app's environment file (initenv.c), its init directory
 * (rt_init.c) and the init shim eve-init that reads it (EVE_INIT_PATH). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "initenv.h"
#include "rt_init.h"

static char *const env[] = {"PATH=/usr/bin:/bin", "A=1 2", "bad-name=x", "noeq", "=x", "V=a<&>'\"\n b", NULL};

static void test_roundtrip(void **st)
{
	const char *e[8];
	char *data = NULL;
	size_t len = 0, n = 0;

	assert_int_equal(initenv_encode(env, &data, &len), 0);
	assert_memory_equal(data, INITENV_MAGIC, strlen(INITENV_MAGIC));
	assert_int_equal(initenv_parse(data, len, e, 8, &n), 0);
	assert_int_equal(n, 3); /* no bad name, no entry without '=' */
	assert_string_equal(e[0], "PATH=/usr/bin:/bin");
	assert_string_equal(e[1], "A=1 2");
	assert_string_equal(e[2], "V=a<&>'\"\n b"); /* any byte but NUL */
	assert_int_equal(initenv_parse(data, len, e, 2, &n), -EOVERFLOW);
	free(data);
	/* nothing at all: the header alone */
	assert_int_equal(initenv_encode(NULL, &data, &len), 0);
	assert_int_equal(initenv_parse(data, len, e, 8, &n), 0);
	assert_int_equal(n, 0);
	free(data);
}

static void test_rejects(void **st)
{
	static const struct {
		const char *data;
		size_t len;
	} bad[] = {
	    {"", 0},
	    {"EVEINIT1", 8},           /* header without its newline */
	    {"EVEINIT2\nA=1", 13},     /* another version */
	    {"EVEINIT1\nA=1", 12},     /* last entry not terminated */
	    {"EVEINIT1\nA", 11},       /* no '=' */
	    {"EVEINIT1\n=1", 12},      /* no name */
	    {"EVEINIT1\n1A=1", 14},    /* name starts with a digit */
	    {"EVEINIT1\nA-B=1", 15},   /* '-' in a name */
	    {"EVEINIT1\nA=1\0\0", 14}, /* an empty entry */
	};
	const char *e[8];
	size_t i, n = 0;
	char *big;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(initenv_parse(bad[i].data, bad[i].len, e, 8, &n), -EINVAL);
	/* a name of INITENV_NAME_MAX + 1 bytes */
	big = malloc(INITENV_MAX_BYTES + 2);
	assert_non_null(big);
	memset(big, 'N', INITENV_MAX_BYTES + 1);
	memcpy(big, INITENV_MAGIC, strlen(INITENV_MAGIC));
	big[strlen(INITENV_MAGIC) + INITENV_NAME_MAX + 1] = '=';
	big[strlen(INITENV_MAGIC) + INITENV_NAME_MAX + 3] = '\0';
	assert_int_equal(initenv_parse(big, strlen(INITENV_MAGIC) + INITENV_NAME_MAX + 4, e, 8, &n), -EINVAL);
	/* past the size cap, whatever it holds */
	assert_int_equal(initenv_parse(big, INITENV_MAX_BYTES + 1, e, 8, &n), -EOVERFLOW);
	/* a value past the cap is refused when written */
	memset(big, 'N', INITENV_MAX_BYTES + 1);
	memcpy(big, "BIG=", 4);
	big[INITENV_MAX_BYTES + 1] = '\0';
	{
		char *const one[] = {big, NULL};
		char *data = NULL;
		size_t len = 0;

		assert_int_equal(initenv_encode(one, &data, &len), -EOVERFLOW);
		assert_null(data);
	}
	free(big);
}

static void test_prepare(void **st)
{
	char tmpl[] = "/tmp/initenv-test-XXXXXX", dir[512], path[600];
	const char *e[8];
	uint8_t *data = NULL, *shim = NULL;
	size_t len = 0, slen = 0, n = 0;
	char err[256];
	struct stat sb;

	assert_non_null(mkdtemp(tmpl));
	snprintf(dir, sizeof(dir), "%s/init", tmpl);
	assert_int_equal(rt_init_prepare(dir, env, err, sizeof(err)), 0);
	assert_int_equal(rt_init_prepare(dir, env, err, sizeof(err)), 0); /* again: replaced */
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/" RT_INIT_ENV, dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(fileio_read(path, INITENV_MAX_BYTES, &data, &len), 0);
	assert_int_equal(initenv_parse((char *)data, len, e, 8, &n), 0);
	assert_int_equal(n, 3);
	free(data);
	snprintf(path, sizeof(path), "%s/" RT_INIT_SHIM, dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(fileio_read(path, 64u << 20, &data, &len), 0);
	assert_int_equal(fileio_read(EVE_INIT_PATH, 64u << 20, &shim, &slen), 0);
	assert_int_equal(len, slen); /* the embedded shim is the one built */
	assert_memory_equal(data, shim, len);
	free(data);
	free(shim);
	snprintf(path, sizeof(path), "rm -rf '%s'", tmpl);
	assert_int_equal(system(path), 0);
}

/* Run eve-init ENVFILE sh -c SCRIPT; its stdout in out, its exit status. */
static int run_shim(const char *envfile, const char *script, char *out, size_t outlen)
{
	int p[2], status = -1;
	ssize_t r;
	size_t got = 0;
	pid_t pid;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		/* what libvirt gives init; the file's PATH replaces it */
		execle(EVE_INIT_PATH, "eve-init", envfile, "sh", "-c", script, (char *)NULL,
		       (char *const[]){"PATH=/nonexistent", "container=lxc-libvirt", NULL});
		_exit(126);
	}
	close(p[1]);
	while (got + 1 < outlen && (r = read(p[0], out + got, outlen - 1 - got)) > 0)
		got += (size_t)r;
	out[got] = '\0';
	close(p[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_shim(void **st)
{
	char tmpl[] = "/tmp/initenv-shim-XXXXXX", dir[512], path[600], out[512];
	char err[256];

	assert_non_null(mkdtemp(tmpl));
	snprintf(dir, sizeof(dir), "%s/init", tmpl);
	assert_int_equal(rt_init_prepare(dir, env, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/" RT_INIT_ENV, dir);
	/* "sh" found in the file's PATH; libvirt's own variables kept */
	assert_int_equal(
	    run_shim(path, "printf '%s|%s|%s|%s' \"$A\" \"$V\" \"$PATH\" \"$container\"", out, sizeof(out)),
	    0);
	assert_string_equal(out, "1 2|a<&>'\"\n b|/usr/bin:/bin|lxc-libvirt");
	/* a damaged file: the app does not run (127), nothing on stdout */
	assert_int_equal(fileio_write_atomic(path, "EVEINIT1\nA=1", 12, 0600), 0);
	assert_int_equal(run_shim(path, "echo ran", out, sizeof(out)), 127);
	assert_string_equal(out, "");
	unlink(path);
	assert_int_equal(run_shim(path, "echo ran", out, sizeof(out)), 127);
	assert_string_equal(out, "");
	snprintf(path, sizeof(path), "rm -rf '%s'", tmpl);
	assert_int_equal(system(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_rejects),
	    cmocka_unit_test(test_prepare),
	    cmocka_unit_test(test_shim),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
