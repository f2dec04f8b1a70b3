// SPDX-License-Identifier: Apache-2.0
#include "uuidlist.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int uuidlist_add(struct uuidlist *l, const char *id)
{
	if (l->n == l->cap) {
		size_t nc = l->cap ? 2 * l->cap : 64;
		void *p = realloc(l->ids, nc * UUID_STR_LEN);
		if (!p)
			return -ENOMEM;
		l->ids = p;
		l->cap = nc;
	}
	snprintf(l->ids[l->n++], UUID_STR_LEN, "%s", id);
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

void uuidlist_sort_unique(struct uuidlist *l)
{
	size_t k = 0;
	if (!l->n)
		return;
	qsort(l->ids, l->n, UUID_STR_LEN, cmp);
	for (size_t i = 1; i < l->n; i++)
		if (strcmp(l->ids[i], l->ids[k]) && ++k != i)
			memcpy(l->ids[k], l->ids[i], UUID_STR_LEN);
	l->n = k + 1;
}

bool uuidlist_has(const struct uuidlist *l, const char *id)
{
	return l->n && bsearch(id, l->ids, l->n, UUID_STR_LEN, cmp);
}

void uuidlist_free(struct uuidlist *l)
{
	free(l->ids);
	l->ids = NULL;
	l->n = l->cap = 0;
}
