// SPDX-License-Identifier: Apache-2.0
/* Checking that an uploaded file is an OCI image a device can run: a tar
 * (plain or gzip) holding an OCI image layout (index.json) or a
 * docker-save image (manifest.json) at its top. */
#ifndef CTL_IMAGE_OCI_H
#define CTL_IMAGE_OCI_H

#include <stddef.h>

/* 0 when path looks like an OCI image; else -EINVAL with the reason in
 * why (n bytes), or another negative errno when it cannot be read. */
int image_oci_check(const char *path, char *why, size_t n);

#endif
