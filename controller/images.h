// SPDX-License-Identifier: Apache-2.0
/* Images (app images and base OS images): the images table and
 * /api/v1/images (its route table is declared in admin.h). */
#ifndef CTL_IMAGES_H
#define CTL_IMAGES_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "uuidgen.h"

/* One image as the device config needs it; strings are valid during the
 * callback only. */
struct images_row {
	const char *id;
	const char *name;
	const char *format; /* "oci", "qcow2", "raw", "baseos", ... */
	const char *sha256;
	int64_t size;
	const char *url;
	const char *reg_user;   /* registry credentials ("" none) */
	const char *reg_secret; /* sealed (secrets.h) */
	const char *reg_ca;
	const char *sig; /* publisher signature ("" none) and its chain */
	const char *sig_signer_url;
	const char *sig_inter_url;
	const char *version;
};

/* Call fn with image id. fn's return, -ENOENT, -EIO. */
int images_get(struct store *d, const char *id, int (*fn)(void *ctx, const struct images_row *img),
	       void *ctx);

/* An app image (any format but baseos) by name or id: its id, format
 * (formatlen bytes; may be NULL) and size (may be NULL). 0, -ENOENT, -EIO. */
int images_app_image(struct store *d, const char *ref, char id[UUID_STR_LEN], char *format, size_t formatlen,
		     int64_t *size);

/* ---- for other modules (the access checks, projects, apps) ---- */

/* Call fn(ctx, project) for each image whose id or name is ref; a nonzero
 * return of fn stops the walk and is returned. 0 or -EIO. */
int images_each_project_of(struct store *d, const char *ref, int (*fn)(void *ctx, const char *project),
			   void *ctx);
/* Images in the projects granted (",a,b," or "*"); -EIO. */
int64_t images_count(struct store *d, const char *grants);
/* The name and version (nn, vn bytes) of the image whose id or name is
 * ref. 0, -ENOENT, -EIO. */
int images_name_version(struct store *d, const char *ref, char *name, size_t nn, char *version, size_t vn);
/* The id of the base OS image whose name or id is ref, in the projects
 * granted (",a,b," or "*"). 0, -ENOENT, -EIO. */
int images_baseos_id(struct store *d, const char *ref, const char *grants, char id[UUID_STR_LEN]);

#endif
