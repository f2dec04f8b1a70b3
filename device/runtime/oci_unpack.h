// SPDX-License-Identifier: Apache-2.0
/* Unpack an OCI container image (an OCI image layout tarball or a `docker
 * save` tarball) into a root filesystem with libarchive: layers applied in
 * order, whiteouts (.wh.<name>, .wh..wh..opq) honoured, and no entry may
 * land outside the rootfs (absolute paths, "..", writes through symlinks
 * and hard links out of the tree are refused; device nodes are skipped). */
#ifndef EVE_RT_OCI_UNPACK_H
#define EVE_RT_OCI_UNPACK_H

#include <stddef.h>
#include <stdint.h>

/* Unpack cap when the caller has none (no storage size known). */
#define OCI_UNPACK_DEFAULT_MAX (16ull << 30)

/* The runnable part of an image config. NULL-terminated string vectors. */
struct oci_config {
	char **entrypoint;
	char **cmd;
	char **env; /* "K=V" */
	char *workdir;
};

/* Unpack image tarball `image` into directory `rootfs` (created; must not
 * exist or be empty) and write the image's config JSON to `config_out`.
 * Every layer (and the config, and an OCI manifest) is checked against the
 * SHA-256 its manifest gives before any layer is applied: -EVE_EHASH on a
 * mismatch. The layers may unpack to at most max_bytes (file sizes plus
 * 512 bytes per entry; 0 = OCI_UNPACK_DEFAULT_MAX), the staged image files
 * too: -EVE_ETOOBIG past it. On failure rootfs and config_out are removed
 * and err receives a reason. */
int oci_unpack(const char *image, const char *rootfs, const char *config_out, uint64_t max_bytes, char *err,
	       size_t errlen);

/* Read the runnable fields of an OCI image config JSON (as written by
 * oci_unpack). Free with oci_config_clear. */
int oci_config_load(const char *path, struct oci_config *c);
void oci_config_clear(struct oci_config *c);

/* Apply one layer tarball (any compression libarchive reads) onto rootfs.
 * Each entry is charged to *budget (bytes left; NULL = no cap) before it is
 * written: -EVE_ETOOBIG when it does not fit. Whiteout names that are not
 * ".wh.<name>" or ".wh..wh..opq" (".wh.", ".wh..", ".wh...", a ".wh."
 * directory) refuse the layer (-EPERM). Exposed for tests. */
int oci_apply_layer(const char *layer, const char *rootfs, uint64_t *budget, char *err, size_t errlen);

#endif
