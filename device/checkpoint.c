// SPDX-License-Identifier: Apache-2.0
/* Checkpoint files under <state>/checkpoint/. */
#include "checkpoint.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "envelope.h"
#include "fileio.h"

static const char *const slot_names[] = {
    [CHECKPOINT_LAST] = "lastconfig",
    [CHECKPOINT_BAK] = "lastconfig.bak",
    [CHECKPOINT_CERTS] = "controllercerts",
};

static int slot_path(const char *state_dir, enum checkpoint_slot slot, char path[PATH_MAX])
{
	if ((unsigned)slot >= sizeof(slot_names) / sizeof(slot_names[0]))
		return -EINVAL;
	if (snprintf(path, PATH_MAX, "%s/checkpoint/%s", state_dir, slot_names[slot]) >= PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

int checkpoint_init(const char *state_dir)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/checkpoint", state_dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	return fileio_mkdirs(path, 0700);
}

int checkpoint_save(const char *state_dir, enum checkpoint_slot slot, const uint8_t *data, size_t len)
{
	char path[PATH_MAX];
	int r = slot_path(state_dir, slot, path);

	return r < 0 ? r : fileio_write_atomic(path, data, len, 0600);
}

int checkpoint_load(const char *state_dir, enum checkpoint_slot slot, uint8_t **data, size_t *len)
{
	char path[PATH_MAX];
	int r = slot_path(state_dir, slot, path);

	return r < 0 ? r : fileio_read(path, ENVELOPE_MAX, data, len);
}

int checkpoint_promote(const char *state_dir)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	r = checkpoint_load(state_dir, CHECKPOINT_LAST, &data, &len);
	if (r == 0)
		r = checkpoint_save(state_dir, CHECKPOINT_BAK, data, len);
	free(data);
	return r;
}

int checkpoint_remove(const char *state_dir, enum checkpoint_slot slot)
{
	char path[PATH_MAX];
	int r = slot_path(state_dir, slot, path);

	if (r < 0)
		return r;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return fileio_sync_dir(path);
}
