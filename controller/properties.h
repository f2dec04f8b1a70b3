// SPDX-License-Identifier: Apache-2.0
/* Runtime configuration properties on the controller side: the checks of
 * PUT /devices/X/config-items against the shared table
 * (common/configprops.h), and GET /devices/X/properties, which shows every
 * property with its state on the device (from the configItemStatus of the
 * device's latest ZInfoDevice); project-level properties. */
#ifndef CTL_PROPERTIES_H
#define CTL_PROPERTIES_H

#include <jansson.h>
#include <stddef.h>

#include "http.h"
#include "store.h"

/* Check a config-items patch ({name: value|null}): 0, or -EINVAL with
 * "name: reason" in err for the first value the table refuses (bad type or
 * range). Names the table does not know pass; *warnings (a new array, or
 * NULL when there is nothing to say) lists them. */
int properties_check_patch(const json_t *patch, char *err, size_t err_len, json_t **warnings);
/* -EPERM (why in err) when patch sets a name no device or project item may
 * have, ?force=1 or not: images.trust.key.* (publisher keys are set for the
 * whole fleet by an admin: /image-trust-keys, trustkeys.c). */
int properties_reserved(const json_t *patch, char *err, size_t err_len);

/* GET /devices/X/properties (route in devices.c): {"id", "reported": the
 * device sent a status, "items": [{name, state, value, configured, default,
 * type, range, error, eve, agent, help}]}. */
void properties_h_get(struct http_req *r);

/* Merge a config-items patch into stored: null removes; values are
 * strings (numbers and booleans are converted). 0, or -EINVAL for a bad
 * name, value or size. */
int properties_merge(json_t *stored, const json_t *patch);

/* The stored items of a device or a project: read them, and write them
 * only over what was read (-EAGAIN when another request changed them). */
struct properties_store {
	int (*get)(struct store *d, const char *key, char **items);
	int (*set)(struct store *d, const char *key, const char *expect, const char *items);
};
extern const struct properties_store properties_of_device, properties_of_project;

/* Merge patch into key's stored items (properties_merge) and store them;
 * read and merge again while other requests change them meanwhile (two
 * PUTs of different items at once both count). The stored items in *out
 * (the caller decrefs). 0; -EINVAL (patch); -ENOENT; -EAGAIN (changed
 * under every try); -EIO. */
int properties_patch(struct store *d, const struct properties_store *ps, const char *key, const json_t *patch,
		     json_t **out);

/* GET/PUT /projects/{project}/config-items: a project's properties, under
 * every device of it (a device's own item wins). */
extern const struct http_route admin_property_routes[];

#endif
