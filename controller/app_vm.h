// SPDX-License-Identifier: Apache-2.0
/* What the controller decides about VM apps (any-app issue): the userData a
 * VM or a container receives, the boot mode and the CPU pin set. Pure
 * functions over their arguments: no database, no logging. */
#ifndef EVE_CTL_APP_VM_H
#define EVE_CTL_APP_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "buf.h"

#define APP_VM_MAX_CPUS 256 /* highest pinnable CPU + 1 */

/* Append the userData bytes (before base64) of an app to out.
 * env: object of strings (may be NULL), user_data: text (may be NULL).
 * A container gets "K=V" lines sorted by key, then user_data (EVE's rule:
 * the device reads env lines out of userData). A VM's user_data is its
 * cloud-init data and goes through unchanged when env is empty; with env,
 * the result is a MIME multipart that cloud-init reads: the user's part
 * untouched, then a cloud-config part that writes the env as "K=V" lines
 * to APP_VM_ENV_FILE (merged with, never replacing, the user's
 * write_files). Deterministic for the same input. 0 or -errno. */
#define APP_VM_ENV_FILE "/etc/eve/env"
int app_vm_user_data(json_t *env, const char *user_data, bool vm, struct buf *out);

/* "bios" / "uefi" (or NULL, "") to VmConfig.boot_mode values
 * (0 unspecified, 1 legacy, 2 UEFI). -EINVAL for anything else. */
int app_vm_boot_mode(const char *s);

/* Parse a CPU list "0,1" / "0-3,6" (at most APP_VM_MAX_CPUS CPUs, numbers
 * below it, no duplicates). On success fills *count (CPUs in the set) and
 * *highest (largest CPU number) and returns 0; -EINVAL otherwise. */
int app_vm_cpuset_parse(const char *s, unsigned *count, unsigned *highest);

#endif
