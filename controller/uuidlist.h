// SPDX-License-Identifier: Apache-2.0
/* A growable array of UUID strings: the devices or objects a module
 * collects from the store before it acts on them (an app's targets, the
 * devices a change touched, a rollout's phase): as many as the store
 * holds. The caller owns the struct: zero it, release it with
 * uuidlist_free. */
#ifndef CTL_UUIDLIST_H
#define CTL_UUIDLIST_H

#include <stdbool.h>
#include <stddef.h>

#include "uuidgen.h"

struct uuidlist {
	char (*ids)[UUID_STR_LEN];
	size_t n, cap;
};

/* Append id (cut to a UUID's length). 0 or -ENOMEM. */
int uuidlist_add(struct uuidlist *l, const char *id);
/* Sort, and drop the repeated ids. */
void uuidlist_sort_unique(struct uuidlist *l);
/* Whether id is in l, sorted by uuidlist_sort_unique. */
bool uuidlist_has(const struct uuidlist *l, const char *id);
/* Free the array; l is empty again. */
void uuidlist_free(struct uuidlist *l);

#endif
