// SPDX-License-Identifier: Apache-2.0
/* evectl's configuration: named contexts {server, ca, token} in a JSON file
 * ($XDG_CONFIG_HOME/evectl/config, default ~/.config/evectl/config), mode
 * 0600 because it holds tokens, written atomically. */
#ifndef EVECTL_CONFIG_H
#define EVECTL_CONFIG_H

#include <jansson.h>
#include <stddef.h>

#define CONFIG_MAX_BYTES (256 * 1024)

/* The config file path into buf; -ENOENT when neither XDG_CONFIG_HOME nor
 * HOME is set, -ENAMETOOLONG if it does not fit. */
int config_path(char *buf, size_t n);
/* Load the file into *out (caller owns the reference). A missing file gives
 * an empty config {"current": null, "contexts": {}}. -EINVAL if it is not a
 * valid config, with a message in err. */
int config_load(const char *path, json_t **out, char *err, size_t errlen);
/* Write cfg to path (mkdir -p of its directory with 0700, file 0600). */
int config_save(const char *path, const json_t *cfg);
/* Add or replace context name and make it current. ca may be NULL. */
int config_set_context(json_t *cfg, const char *name, const char *server, const char *ca, const char *token);
/* Make name the current context; -ENOENT if there is none by that name. */
int config_use(json_t *cfg, const char *name);
/* Context object by name (NULL = the current one); borrowed, or NULL. */
json_t *config_context(const json_t *cfg, const char *name);
/* Current context name (borrowed) or NULL. */
const char *config_current(const json_t *cfg);

#endif
