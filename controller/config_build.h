// SPDX-License-Identifier: Apache-2.0
/* Assembles the EdgeDevConfig a device receives from the database tables,
 * deterministically (every list sorted by id), so the same state always
 * gives the same config hash. */
#ifndef CTL_CONFIG_BUILD_H
#define CTL_CONFIG_BUILD_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "confighash.h"

struct ctl;
struct store;

/* The signed ConfigResponse envelope for uuid and its config hash. *env is
 * caller-freed. -ENOENT for an unknown device. */
int config_build_envelope(struct ctl *c, struct store *d, const char *uuid, uint8_t **env, size_t *len,
			  char hash[CONFIGHASH_LEN]);
/* The same config as EVE's BootstrapConfig (a signed EdgeDevConfig with
 * the signing certificate beside it), for bootstrap-config.pb at a
 * device's installation. *out is caller-freed. -ENOENT for an unknown
 * device. */
int config_build_bootstrap(struct ctl *c, struct store *d, const char *uuid, uint8_t **out, size_t *len);
/* The same config as JSON (pbjson) plus "configHash". Caller owns *out. */
int config_build_json(struct ctl *c, struct store *d, const char *uuid, json_t **out);
/* Deterministic UUID text from arbitrary bytes (datastore ids). */
void config_uuid_from(const void *data, size_t len, char out[37]);

#endif
