// SPDX-License-Identifier: Apache-2.0
/* Helpers shared by the fuzz harnesses (see fuzz_util.h). */
#include "fuzz_util.h"

#include <string.h>
#include <unistd.h>

const char *fuzz_tmp_base(void)
{
	const char *e = getenv("EVE_FUZZ_TMP");

	if (e && *e && strlen(e) < 200)
		return e;
	return access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
}
