// SPDX-License-Identifier: Apache-2.0
/* The gptprio attribute logic and slot names shared by both backends and
 * the updater (no backend is reached from here: see bootslot.c). */
#include <errno.h>
#include <strings.h>

#include "bootslot.h"

#define PRIO_SHIFT 48
#define TRIES_SHIFT 52
#define SUCCESS_SHIFT 56

int bootslot_parse(const char *s)
{
	static const char *const names[][2] = {{"A", "IMGA"}, {"B", "IMGB"}};

	for (int i = 0; s && i < BOOTSLOT_N; i++)
		if (strcasecmp(s, names[i][0]) == 0 || strcasecmp(s, names[i][1]) == 0)
			return i;
	return -EINVAL;
}

const char *bootslot_label(int slot)
{
	return slot == 1 ? "IMGB" : "IMGA";
}

uint64_t bootslot_attr_encode(uint64_t field, const struct bootslot_attr *a)
{
	field &= ~((UINT64_C(0xf) << PRIO_SHIFT) | (UINT64_C(0xf) << TRIES_SHIFT) |
		   (UINT64_C(1) << SUCCESS_SHIFT));
	field |= (uint64_t)(a->priority & 0xf) << PRIO_SHIFT;
	field |= (uint64_t)(a->tries & 0xf) << TRIES_SHIFT;
	field |= (uint64_t)(a->successful ? 1 : 0) << SUCCESS_SHIFT;
	return field;
}

void bootslot_attr_decode(uint64_t field, struct bootslot_attr *a)
{
	a->priority = (unsigned)(field >> PRIO_SHIFT) & 0xf;
	a->tries = (unsigned)(field >> TRIES_SHIFT) & 0xf;
	a->successful = (field >> SUCCESS_SHIFT) & 1;
}

int bootslot_choose(struct bootslot_attr attr[BOOTSLOT_N])
{
	int best = -ENOENT;

	for (int i = 0; i < BOOTSLOT_N; i++) {
		if (attr[i].priority == 0 || (!attr[i].successful && attr[i].tries == 0))
			continue;
		if (best < 0 || attr[i].priority > attr[best].priority)
			best = i;
	}
	if (best >= 0 && !attr[best].successful)
		attr[best].tries--;
	return best;
}
