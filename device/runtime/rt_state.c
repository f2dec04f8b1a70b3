// SPDX-License-Identifier: Apache-2.0
/* Lookups in the runtime's state (struct runtime) that several rt_*.c
 * files need: a network instance or a volume by UUID, the IP leased to a
 * MAC; the "built" marker of a volume. A leaf: it calls no other rt_*.c
 * file. Worker thread. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "fileio.h"
#include "rt_internal.h"

struct rt_ni *rt_netinst_find(struct runtime *rt, const char *uuid)
{
	size_t i;

	for (i = 0; uuid && i < rt->n_nis; i++)
		if (strcmp(rt->nis[i]->uuid, uuid) == 0)
			return rt->nis[i];
	return NULL;
}

const char *rt_netinst_ip(struct runtime *rt, const char *mac)
{
	size_t i, j;

	for (i = 0; i < rt->n_nis; i++)
		for (j = 0; j < rt->nis[i]->n_leases; j++)
			if (strcasecmp(rt->nis[i]->leases[j].mac, mac) == 0)
				return rt->nis[i]->leases[j].ip;
	return NULL;
}

struct rt_vol *rt_volume_find(struct runtime *rt, const char *uuid)
{
	size_t i;

	for (i = 0; uuid && i < rt->n_vols; i++)
		if (strcmp(rt->vols[i]->uuid, uuid) == 0)
			return rt->vols[i];
	return NULL;
}

/* The marker that volume v at dir is built (rt_volume.c reads it back);
 * here so the rollback (rt_rollback.c) writes it without calling up. */
int rt_volume_write_ready(const char *dir, const struct rt_vol *v)
{
	char path[4096], body[256];
	/* the content tree too: a volume a crash left built from the
	 * previous image is not taken for the new one */
	int n =
	    snprintf(body, sizeof(body), "kind=%d gen=%lld ct=%s\n", (int)v->kind, (long long)v->gen, v->ct);

	snprintf(path, sizeof(path), "%s/ready", dir);
	return fileio_write_atomic(path, body, (size_t)n, 0644);
}
