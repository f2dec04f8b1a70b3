// SPDX-License-Identifier: Apache-2.0
/* The container app's environment file: see initenv.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "initenv.h"

#define MAGIC_LEN (sizeof(INITENV_MAGIC) - 1)

bool initenv_name_ok(const char *kv, size_t n)
{
	size_t i;

	if (n == 0 || n > INITENV_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = kv[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
		      (i && c >= '0' && c <= '9')))
			return false;
	}
	return true;
}

static bool entry_ok(const char *kv)
{
	const char *eq = strchr(kv, '=');

	return eq && initenv_name_ok(kv, (size_t)(eq - kv));
}

int initenv_encode(char *const *env, char **out, size_t *len)
{
	size_t i, n = MAGIC_LEN, count = 0;
	char *p;

	for (i = 0; env && env[i]; i++) {
		if (!entry_ok(env[i]))
			continue;
		n += strlen(env[i]) + 1;
		if (n > INITENV_MAX_BYTES || ++count > INITENV_MAX_ENTRIES)
			return -EOVERFLOW;
	}
	p = malloc(n);
	if (!p)
		return -ENOMEM;
	memcpy(p, INITENV_MAGIC, MAGIC_LEN);
	*out = p;
	*len = n;
	p += MAGIC_LEN;
	for (i = 0; env && env[i]; i++) {
		size_t l = strlen(env[i]) + 1;

		if (!entry_ok(env[i]))
			continue;
		memcpy(p, env[i], l);
		p += l;
	}
	return 0;
}

int initenv_parse(const char *data, size_t len, const char **entries, size_t max, size_t *n)
{
	size_t off = MAGIC_LEN;

	*n = 0;
	if (len > INITENV_MAX_BYTES)
		return -EOVERFLOW;
	if (len < MAGIC_LEN || memcmp(data, INITENV_MAGIC, MAGIC_LEN) != 0)
		return -EINVAL;
	while (off < len) {
		const char *kv = data + off;
		const char *nul = memchr(kv, '\0', len - off);

		if (!nul || !entry_ok(kv)) /* unterminated last entry, or no NAME= */
			return -EINVAL;
		if (*n >= max || *n >= INITENV_MAX_ENTRIES)
			return -EOVERFLOW;
		entries[(*n)++] = kv;
		off += (size_t)(nul - kv) + 1;
	}
	return 0;
}
