// SPDX-License-Identifier: Apache-2.0
/* The OCI distribution API (/v2/): pull for anyone who can reach
 * /datastore (content is addressed by digest, as there), push for admins
 * (an admin token as Bearer, as the password of Basic, or through the
 * Bearer challenge's token endpoint /v2/token). Repository names are one
 * path segment: the image name. See docs/registry.md. */
#ifndef CTL_REGISTRY_H
#define CTL_REGISTRY_H

#include "http.h"

extern const struct http_route registry_routes[];

struct store;
/* The image of repository "name:tag" (its url without "/v2/") is deleted:
 * drop the repository's tags and manifest records. 0 or negative errno. */
int registry_forget(struct store *d, const char *name_tag);

#endif
