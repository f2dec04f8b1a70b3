/* Unpack an OCI container image (an OCI image layout tarball or a `docker
 * save` tarball) into a root filesystem with libarchive: layers applied in
 * order, whiteouts (.wh.<name>, .wh..wh..opq) honoured, and no entry may
 * land outside the rootfs (absolute paths, "..", writes through symlinks
 * and hard links out of the tree are refused; device nodes are skipped). */
#ifndef EVE_RT_OCI_UNPACK_H
#define EVE_RT_OCI_UNPACK_H

#include <stddef.h>

/* The runnable part of an image config. NULL-terminated string vectors. */
struct oci_config {
	char **entrypoint;
	char **cmd;
	char **env; /* "K=V" */
	char *workdir;
};

/* Unpack image tarball `image` into directory `rootfs` (created; must not
 * exist or be empty) and write the image's config JSON to `config_out`.
 * err receives a reason on failure. */
int oci_unpack(const char *image, const char *rootfs, const char *config_out, char *err, size_t errlen);

/* Read the runnable fields of an OCI image config JSON (as written by
 * oci_unpack). Free with oci_config_clear. */
int oci_config_load(const char *path, struct oci_config *c);
void oci_config_clear(struct oci_config *c);

/* Apply one layer tarball (any compression libarchive reads) onto rootfs.
 * Exposed for tests. */
int oci_apply_layer(const char *layer, const char *rootfs, char *err, size_t errlen);

#endif
