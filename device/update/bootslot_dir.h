// SPDX-License-Identifier: Apache-2.0
/* dir backend internals shared with the eve-slot-boot launcher: a slots
 * directory holds A/ and B/ (each a complete agent build with an executable
 * `eve-agent` at its top) and slots.state, the gptprio attributes in text
 * form plus the loader's bookkeeping, written atomically under slots.lock. */
#ifndef EVE_BOOTSLOT_DIR_H
#define EVE_BOOTSLOT_DIR_H

#include "bootslot.h"

struct bootslot_dir_state {
	struct bootslot_attr attr[BOOTSLOT_N];
	int booted; /* slot the loader last started, -1 unknown */
	char note[BOOTSLOT_NOTE_MAX];
};

/* Take the exclusive lock on dir's slots.lock; returns the fd to pass to
 * bootslot_dir_unlock, or a negative errno. */
int bootslot_dir_lock(const char *dir);
void bootslot_dir_unlock(int fd);
/* Load (missing file: IMGA active, IMGB unused) / save slots.state. Call
 * with the lock held. */
int bootslot_dir_load(const char *dir, struct bootslot_dir_state *st);
int bootslot_dir_save(const char *dir, const struct bootslot_dir_state *st);

/* The boot loader's step under the lock: choose a slot (try-once), record
 * it as booted and save. Returns the slot or -ENOENT if none can boot. */
int bootslot_dir_boot(const char *dir);
/* Record why the last boot of slot failed (the old image reports it). */
int bootslot_dir_set_note(const char *dir, const char *note);
/* Whether slot is marked successful now. */
int bootslot_dir_is_good(const char *dir, int slot, bool *good);
/* dir/A/eve-agent or dir/B/eve-agent into out. */
int bootslot_dir_agent(const char *dir, int slot, char *out, size_t len);

#endif
