// SPDX-License-Identifier: Apache-2.0
/* Checkpointed signed config: <state>/checkpoint/lastconfig is the last
 * accepted (verified and applied) signed ConfigResponse envelope, exactly as
 * received; lastconfig.bak is the last one that ran stably. Writes are
 * atomic (temp + fsync + rename): a crash leaves the old or the new file,
 * never a mix. */
#ifndef EVE_CHECKPOINT_H
#define EVE_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

enum checkpoint_slot {
	CHECKPOINT_LAST,  /* lastconfig */
	CHECKPOINT_BAK,   /* lastconfig.bak */
	CHECKPOINT_CERTS, /* controller certs (the /certs answer) */
};

int checkpoint_init(const char *state_dir);
int checkpoint_save(const char *state_dir, enum checkpoint_slot slot, const uint8_t *data, size_t len);
/* *data caller-freed; -ENOENT when never saved. */
int checkpoint_load(const char *state_dir, enum checkpoint_slot slot, uint8_t **data, size_t *len);
/* Copy lastconfig to lastconfig.bak (after it ran stably). */
int checkpoint_promote(const char *state_dir);
int checkpoint_remove(const char *state_dir, enum checkpoint_slot slot);

#endif
