// SPDX-License-Identifier: Apache-2.0
/* Publisher keys from the signed config (config items images.trust.key.*). */
#include "trustkeys.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cosign.h"
#include "fileio.h"

#define FILE_PREFIX "ctl."

bool trustkeys_is_item(const char *key)
{
	return key && strncmp(key, TRUSTKEYS_PREFIX, strlen(TRUSTKEYS_PREFIX)) == 0;
}

static bool name_ok(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n <= TRUSTKEYS_NAME_MAX &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

int trustkeys_check(const char *key, const char *value, bool deny, char *why, size_t len)
{
	EVP_PKEY *k = NULL;

	why[0] = '\0';
	if (!trustkeys_is_item(key))
		return -EINVAL;
	if (deny) {
		snprintf(
		    why, len,
		    "refused: the device's local policy (config dir image-trust/controller-keys) takes no "
		    "publisher keys from the controller");
		return -EPERM;
	}
	if (!name_ok(key + strlen(TRUSTKEYS_PREFIX))) {
		snprintf(why, len, "refused: the key's name must be 1 to %d of A-Z a-z 0-9 _ -",
			 TRUSTKEYS_NAME_MAX);
		return -EINVAL;
	}
	if (cosign_key_from_b64(value, &k, NULL) < 0) {
		snprintf(why, len, "refused: not the base64 DER SubjectPublicKeyInfo of a P-256 key");
		return -EINVAL;
	}
	EVP_PKEY_free(k);
	return 0;
}

/* Write one key as dir/ctl.NAME.pem. */
static int write_key(const char *dir, const char *name, const char *value)
{
	char path[4096], *pem = NULL;
	EVP_PKEY *k = NULL;
	size_t len = 0;
	int r = cosign_key_from_b64(value, &k, NULL);

	if (r == 0)
		r = cosign_key_to_pem(k, &pem, &len);
	if (r == 0 &&
	    snprintf(path, sizeof(path), "%s/" FILE_PREFIX "%s.pem", dir, name) >= (int)sizeof(path))
		r = -ENAMETOOLONG;
	if (r == 0)
		r = fileio_write_atomic(path, pem, len, 0644);
	free(pem);
	EVP_PKEY_free(k);
	return r;
}

/* A file of dir that is one of ours and not named by a usable item. */
static bool stale(const char *file, Org__Lfedge__Eve__Config__ConfigItem *const *items, size_t n, bool deny)
{
	size_t fl = strlen(file), pl = strlen(FILE_PREFIX);
	char why[8];

	if (fl <= pl + 4 || strncmp(file, FILE_PREFIX, pl) != 0 || strcmp(file + fl - 4, ".pem") != 0)
		return false;
	for (size_t i = 0; !deny && i < n; i++) {
		const char *name = items[i]->key ? items[i]->key + strlen(TRUSTKEYS_PREFIX) : NULL;

		if (trustkeys_check(items[i]->key, items[i]->value, false, why, sizeof(why)) == 0 &&
		    strlen(name) == fl - pl - 4 && strncmp(file + pl, name, fl - pl - 4) == 0)
			return false;
	}
	return true;
}

int trustkeys_sync(const char *dir, Org__Lfedge__Eve__Config__ConfigItem *const *items, size_t n, bool deny)
{
	char why[8], path[4096];
	struct dirent *e;
	DIR *d;
	int r = fileio_mkdirs(dir, 0755), kept = 0;

	for (size_t i = 0; r == 0 && !deny && i < n; i++) {
		if (trustkeys_check(items[i]->key, items[i]->value, false, why, sizeof(why)) < 0)
			continue;
		r = write_key(dir, items[i]->key + strlen(TRUSTKEYS_PREFIX), items[i]->value);
		kept += r == 0;
	}
	if (r < 0)
		return r;
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((e = readdir(d)) != NULL)
		if (stale(e->d_name, items, n, deny) &&
		    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < (int)sizeof(path) &&
		    unlink(path) < 0 && errno != ENOENT)
			r = -errno;
	closedir(d);
	if (r == 0 && snprintf(path, sizeof(path), "%s/.", dir) < (int)sizeof(path))
		fileio_sync_dir(path);
	return r < 0 ? r : kept;
}
