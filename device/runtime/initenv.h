// SPDX-License-Identifier: Apache-2.0
/* The environment file of a container app (docs/security.md "Sealed
 * vault"): the runtime writes the app's environment (the image's Env and
 * the app's user data, which may be a decrypted secret) into a file in the
 * app's directory, in the vault, instead of the domain XML that libvirt
 * logs and keeps in /run; the static init shim (initshim/eve_init.c) reads
 * it inside the container, sets the environment and execs the app.
 *
 * Format: the line "EVEINIT1\n", then entries "NAME=VALUE\0", NAME matching
 * [A-Za-z_][A-Za-z0-9_]* of at most INITENV_NAME_MAX bytes, VALUE any bytes
 * but NUL. At most INITENV_MAX_BYTES in all and INITENV_MAX_ENTRIES
 * entries. Self-contained (no other module): the shim is linked statically
 * with this file alone. Library code: never logs. */
#ifndef EVE_RT_INITENV_H
#define EVE_RT_INITENV_H

#include <stdbool.h>
#include <stddef.h>

/* Where the runtime mounts the directory of the shim and the file inside
 * a container (the shim detaches this mount, and no other) */
#define INITENV_MOUNT "/.eve-init"
#define INITENV_MAGIC "EVEINIT1\n"
#define INITENV_NAME_MAX 128
#define INITENV_MAX_BYTES (512u << 10)
#define INITENV_MAX_ENTRIES 1024

/* True when kv[0..n) is a NAME of the format. */
bool initenv_name_ok(const char *kv, size_t n);

/* Encode the NULL-terminated "K=V" list env (entries without '=' or with
 * a bad NAME are left out, as libvirt's initenv did). *out (caller frees)
 * and *len on success; -EOVERFLOW past the caps; -ENOMEM. */
int initenv_encode(char *const *env, char **out, size_t *len);

/* Check data[0..len) and point entries[0..*n) at its "K=V" strings (each
 * NUL-terminated inside data; nothing is copied or allocated). -EINVAL
 * when data is not in the format (no partial result is meant to be used),
 * -EOVERFLOW past the caps or max entries. */
int initenv_parse(const char *data, size_t len, const char **entries, size_t max, size_t *n);

#endif
