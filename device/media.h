// SPDX-License-Identifier: Apache-2.0
/* Removable media with configuration for the device: a filesystem labelled
 * MEDIA_LABEL holding MEDIA_FILE (EVE's BootstrapConfig, signed by the
 * controller: `evectl device bootstrap-config`). docs/agent.md. */
#ifndef EVE_MEDIA_H
#define EVE_MEDIA_H

#include <stddef.h>

#define MEDIA_LABEL "EVE-CONFIG"
#define MEDIA_FILE "bootstrap-config.pb"

struct media;

/* mount_dir: where a medium is mounted while its file is copied (created
 * 0700 when needed; a stale mount there is detached). Free with media_free. */
int media_new(const char *mount_dir, struct media **out);
void media_free(struct media *m);

/* Probe the block devices for a newly inserted MEDIA_LABEL filesystem.
 * 1: one was found and its MEDIA_FILE copied to copy_to (0600), dev names
 * it; 0: nothing new (the medium seen last is still there, or none is);
 * negative errno: a new medium that could not be read (dev names it;
 * -ENOENT: no MEDIA_FILE on it, -EMEDIUMTYPE: a filesystem we do not
 * mount). A medium is handled once until it is removed. */
int media_scan(struct media *m, const char *copy_to, char *dev, size_t devlen);

#endif
