// SPDX-License-Identifier: Apache-2.0
/* Network instances per device: the networks table and /api/v1/networks
 * (its route table is declared in admin.h). */
#ifndef CTL_NETWORKS_H
#define CTL_NETWORKS_H

#include <stdint.h>

#include "store.h"
#include "uuidgen.h"

/* One network as the device config needs it; strings are valid during
 * the callback only. */
struct networks_row {
	const char *id;
	const char *name;
	const char *type;   /* "local" (NAT) or "switch" */
	const char *subnet; /* IPv4 CIDR or "" */
	const char *port;   /* device port (logical label) or "" */
};

/* Call fn for each network of device uuid, ordered by id; a negative
 * return of fn stops the walk and is returned. 0 or -EIO. */
int networks_each_of_device(struct store *d, const char *uuid,
			    int (*fn)(void *ctx, const struct networks_row *n), void *ctx);
/* The id of network `name` on device uuid. 0, -ENOENT, -EIO. */
int networks_id(struct store *d, const char *uuid, const char *name, char id[UUID_STR_LEN]);

/* ---- for other modules (the access checks, projects) ---- */

/* Call fn(ctx, project) for each network whose id or name is ref; a
 * nonzero return of fn stops the walk and is returned. 0 or -EIO. */
int networks_each_project_of(struct store *d, const char *ref, int (*fn)(void *ctx, const char *project),
			     void *ctx);
/* Networks in the projects granted (",a,b," or "*"); -EIO. */
int64_t networks_count(struct store *d, const char *grants);

#endif
