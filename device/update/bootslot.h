// SPDX-License-Identifier: Apache-2.0
/* Boot slot seam: two slots (0 = A/IMGA, 1 = B/IMGB) carrying EVE's grub
 * "gptprio" boot attributes, and a way to write a new image into a slot.
 * Backends: bootslot_gpt.c (a GPT disk or disk image with partitions
 * labelled IMGA/IMGB) and bootslot_dir.c (slot directories + state file). */
#ifndef EVE_BOOTSLOT_H
#define EVE_BOOTSLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BOOTSLOT_N 2
#define BOOTSLOT_NOTE_MAX 256

/* The gptprio attributes (bits 48-51, 52-55 and 56 of a GPT entry's
 * attribute field). */
struct bootslot_attr {
	unsigned priority; /* 0..15, 0 = never boot */
	unsigned tries;    /* 0..15 boots left before it is given up */
	bool successful;   /* confirmed good: boots without using tries */
};

struct bootslot;

struct bootslot_ops {
	const char *name;
	/* target: disk/image path or slots dir. Caller frees with close. */
	int (*open)(const char *target, struct bootslot **out);
	void (*close)(struct bootslot *b);
	int (*get)(struct bootslot *b, struct bootslot_attr attr[BOOTSLOT_N]);
	/* Write all attributes at once, durably. */
	int (*set)(struct bootslot *b, const struct bootslot_attr attr[BOOTSLOT_N]);
	/* Write the image file at path into slot (fsync'd and verified: gpt
	 * reads it back and compares the SHA-256; dir unpacks the tarball).
	 * The caller has already made the slot unbootable (priority 0). */
	int (*write_image)(struct bootslot *b, int slot, const char *path);
	/* The slot the backend believes is running when nobody says (-ENOENT
	 * if it cannot tell). */
	int (*booted)(struct bootslot *b);
	/* Take (read and clear) the note the boot loader left about the last
	 * failed boot; "" when none. */
	int (*take_note)(struct bootslot *b, char *out, size_t len);
	/* Reboot into the boot loader's choice. Returns only on error, or in
	 * the dir backend when not supervised (-ENOTSUP). */
	int (*reboot)(struct bootslot *b);
	/* reboot ends this process for the eve-slot-boot supervisor, which
	 * boots the chosen slot: under a supervisor ($EVE_SLOT_BOOT set) it is
	 * the only right reboot, whatever reboot hook the caller has. */
	bool supervised_reboot;
};

extern const struct bootslot_ops bootslot_gpt_ops;
extern const struct bootslot_ops bootslot_dir_ops;

/* Backend by name ("gpt", "dir"); NULL if unknown. */
const struct bootslot_ops *bootslot_find(const char *name);

/* "A"/"B"/"IMGA"/"IMGB" (any case) -> 0/1; -EINVAL otherwise. */
int bootslot_parse(const char *s);
/* "IMGA"/"IMGB" for slot 0/1. */
const char *bootslot_label(int slot);

/* Encode/decode the gptprio bits of a 64-bit GPT attribute field, leaving
 * the other bits untouched. */
uint64_t bootslot_attr_encode(uint64_t field, const struct bootslot_attr *a);
void bootslot_attr_decode(uint64_t field, struct bootslot_attr *a);

/* The boot loader's decision (grub gptprio.next): the slot with the highest
 * priority that is successful or has tries left (ties: lower slot). When it
 * is not successful its tries are decremented in attr. -ENOENT when no slot
 * can boot. */
int bootslot_choose(struct bootslot_attr attr[BOOTSLOT_N]);

/* A whole boot loader step on an open backend: read the attributes,
 * choose, write back the spent try. Returns the slot booted. */
int bootslot_boot(const struct bootslot_ops *ops, struct bootslot *b);

#endif
