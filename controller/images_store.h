// SPDX-License-Identifier: Apache-2.0
/* The images table's rows that the controller's registry (registry.c)
 * writes: the store half of the images module, below registry.c (which
 * images.c calls to forget a deleted image's repository). */
#ifndef CTL_IMAGES_STORE_H
#define CTL_IMAGES_STORE_H

#include <stdint.h>

#include "store.h"
#include "uuidgen.h"

/* Longest repository name and tag (registry.c checks them). */
#define IMAGES_REPO_MAX 128

/* The image row named after repository `name` follows its latest pushed
 * tag (url "/v2/NAME:TAG", digest hex, size bytes): created, or updated
 * and ready. -EEXIST when an image of that name is not the registry's;
 * 0 or -EIO. */
int images_store_registry_upsert(struct store *d, const char *name, const char *tag, const char *hex,
				 uint64_t size);

#endif
