// SPDX-License-Identifier: Apache-2.0
/* A container app's init directory: see rt_init.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "err.h"
#include "fileio.h"
#include "initenv.h"
#include "rt_init.h"

/* The static eve-init, embedded at build time (EVE_INIT_BIN: its path in
 * the build tree, device/runtime/CMakeLists.txt). */
extern const char rt_init_shim_start[], rt_init_shim_end[];
__asm__(".section .rodata\n"
	".balign 16\n"
	".globl rt_init_shim_start\n"
	"rt_init_shim_start:\n"
	".incbin \"" EVE_INIT_BIN "\"\n"
	".globl rt_init_shim_end\n"
	"rt_init_shim_end:\n"
	".previous\n");

int rt_init_prepare(const char *dir, char *const *env, char *err, size_t errlen)
{
	char path[4096];
	char *data = NULL;
	size_t len = 0;
	int r;

	if ((mkdir(dir, 0700) < 0 && errno != EEXIST) || chmod(dir, 0700) < 0) {
		r = -errno;
		snprintf(err, errlen, "init directory %s: %s", dir, eve_strerror(r));
		return r;
	}
	snprintf(path, sizeof(path), "%s/" RT_INIT_SHIM, dir);
	r = fileio_write_atomic(path, rt_init_shim_start, (size_t)(rt_init_shim_end - rt_init_shim_start),
				0700);
	if (r < 0) {
		snprintf(err, errlen, "writing %s: %s", path, eve_strerror(r));
		return r;
	}
	r = initenv_encode(env, &data, &len);
	if (r < 0) {
		if (r == -EOVERFLOW)
			snprintf(err, errlen, "container environment: more than %u KiB or %u variables",
				 INITENV_MAX_BYTES >> 10, INITENV_MAX_ENTRIES);
		else
			snprintf(err, errlen, "container environment: %s", eve_strerror(r));
		return r;
	}
	snprintf(path, sizeof(path), "%s/" RT_INIT_ENV, dir);
	r = fileio_write_atomic(path, data, len, 0600);
	explicit_bzero(data, len); /* may hold decrypted user data */
	free(data);
	if (r < 0)
		snprintf(err, errlen, "writing %s: %s", path, eve_strerror(r));
	return r;
}
