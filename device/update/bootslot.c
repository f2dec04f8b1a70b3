// SPDX-License-Identifier: Apache-2.0
/* The backend table and a boot loader step through a backend's ops (the
 * attribute logic the backends share is in bootslot_attr.c). */
#include <string.h>

#include "bootslot.h"

static const struct bootslot_ops *const backends[] = {
    &bootslot_gpt_ops,
    &bootslot_dir_ops,
};

const struct bootslot_ops *bootslot_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

int bootslot_boot(const struct bootslot_ops *ops, struct bootslot *b)
{
	struct bootslot_attr attr[BOOTSLOT_N];
	int r = ops->get(b, attr);
	if (r < 0)
		return r;
	int slot = bootslot_choose(attr);
	if (slot < 0)
		return slot;
	r = ops->set(b, attr);
	return r < 0 ? r : slot;
}
