// SPDX-License-Identifier: Apache-2.0
/* A container app's init directory (docs/security.md "Sealed vault"): the
 * init shim eve-init (built from initshim/eve_init.c and carried inside the
 * agent, so a base-OS image of the agent alone is complete) and the app's
 * environment file (initenv.h), in the app's directory, which --vault puts
 * in the vault. hv_lxc.c mounts the directory read-only in the container
 * and starts eve-init there: the environment, which may hold decrypted
 * user data, never goes into the domain XML (libvirt logs the init's
 * environment in /var/log/libvirt/lxc and keeps the XML in /run). */
#ifndef EVE_RT_INIT_H
#define EVE_RT_INIT_H

#include <stddef.h>

#include "initenv.h"

/* Inside the container: where the directory is mounted, and its files. */
#define RT_INIT_MOUNT INITENV_MOUNT
#define RT_INIT_SHIM "eve-init"
#define RT_INIT_ENV "env"

/* Create dir (0700) and write into it eve-init (0700) and the env file
 * (0600) of env (NULL-terminated "K=V"), each to a temporary file, synced,
 * then renamed over the old one. 0, or -errno with err set (no secret in
 * it). */
int rt_init_prepare(const char *dir, char *const *env, char *err, size_t errlen);

#endif
