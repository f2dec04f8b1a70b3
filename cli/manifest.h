// SPDX-License-Identifier: Apache-2.0
/* Edge-container manifests (the EVE "VMManifest" JSON) -> admin API app
 * specs. The manifest names one image (images[0].imagename), network
 * instances (interfaces[].name, whose acIs[].matches[] must be of type host
 * or ip), resources (cpus; memory and storage in KiB as EVE writes them, or
 * strings with a unit: "512M"), enablevnc and vmmode. Where it runs is our
 * extension: "device" (name or id) or "selector" ({"label": "value"}), and
 * optionally "env" ({"K": "V"}), "ports" (["8080:80"]), "activate" (bool),
 * "user_data" (string). */
#ifndef EVECTL_MANIFEST_H
#define EVECTL_MANIFEST_H

#include <jansson.h>
#include <stddef.h>

#define MANIFEST_MAX_BYTES (1024 * 1024)

/* Build the full app spec (every field present, defaults filled in, so the
 * same manifest always gives the same spec) into *spec (caller owns it).
 * -EINVAL with a message naming the field in err. */
int manifest_to_spec(const json_t *manifest, json_t **spec, char *err, size_t errlen);
/* True when every member of spec equals the same member of obj (an app
 * object from the API, which may carry more members). */
int manifest_spec_matches(const json_t *spec, const json_t *obj);
/* "8080:80" -> {"host": 8080, "app": 80}; NULL if malformed. */
json_t *manifest_port(const char *s);
/* "k=v" -> adds k: v to obj; -EINVAL if there is no '=' or k is empty. */
int manifest_kv(json_t *obj, const char *s);

#endif
