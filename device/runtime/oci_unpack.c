// SPDX-License-Identifier: Apache-2.0
/* OCI / docker-save image unpacking (see oci_unpack.h). */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>

#include "blobstore.h"
#include "err.h"
#include "fileio.h"
#include "oci_unpack.h"

#define OCI_JSON_MAX (4u << 20) /* index/manifest/config JSON cap */
#define OCI_MAX_LAYERS 128
#define OCI_MAX_DEPTH 64    /* path components */
#define OCI_ENTRY_COST 512u /* bytes charged per entry (a tar header's worth) */
#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"

/* ---- paths ---------------------------------------------------------- */

/* Normalise an archive path to "a/b/c": leading "/" and "./" dropped, "."
 * components removed; "" for the root. -EPERM on "..". */
static int norm_path(const char *in, char *out, size_t outlen)
{
	const char *p = in;
	size_t o = 0;

	while (*p) {
		const char *s;
		size_t n;

		while (*p == '/')
			p++;
		s = p;
		while (*p && *p != '/')
			p++;
		n = (size_t)(p - s);
		if (n == 0 || (n == 1 && s[0] == '.'))
			continue;
		if (n == 2 && s[0] == '.' && s[1] == '.')
			return -EPERM;
		if (o + n + 2 > outlen)
			return -ENAMETOOLONG;
		if (o)
			out[o++] = '/';
		memcpy(out + o, s, n);
		o += n;
	}
	out[o] = '\0';
	return 0;
}

/* Open the directory holding rel (all components but the last) below
 * rootfd, refusing symlinks on the way. *leaf points into rel. */
static int open_parent(int rootfd, char *rel, const char **leaf)
{
	char *slash, *comp = rel;
	int fd = dup(rootfd), nfd, depth = 0;

	if (fd < 0)
		return -errno;
	while ((slash = strchr(comp, '/'))) {
		*slash = '\0';
		nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		*slash = '/';
		close(fd);
		if (nfd < 0 || ++depth > OCI_MAX_DEPTH)
			return nfd < 0 ? -errno : -ELOOP;
		fd = nfd;
		comp = slash + 1;
	}
	*leaf = comp;
	return fd;
}

/* rm -rf of dirfd/name without following symlinks. */
static int rm_rf_at(int pfd, const char *name, int depth)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if (unlinkat(pfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	if (depth > OCI_MAX_DEPTH)
		return -ELOOP;
	fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			rm_rf_at(dirfd(d), de->d_name, depth + 1);
	closedir(d);
	return unlinkat(pfd, name, AT_REMOVEDIR) == 0 ? 0 : -errno;
}

/* What an entry is as far as whiteouts go. */
enum wh_kind {
	WH_NONE,   /* an ordinary entry */
	WH_FILE,   /* .wh.<name>: delete <name> from lower layers */
	WH_OPQ,    /* .wh..wh..opq: the directory is opaque */
	WH_REFUSE, /* a whiteout name that could only be an attack */
};

/* Classify the raw archive name of an entry. A component starting ".wh."
 * must be the last one, with nothing after it (no "/"), and name a real
 * entry: ".wh.", ".wh..", ".wh..." and ".wh..wh.<x>" (other than the
 * opaque marker) are refused. */
static enum wh_kind whiteout_kind(const char *name)
{
	const char *p = name, *s;
	size_t n;

	while (*p) {
		while (*p == '/')
			p++;
		s = p;
		while (*p && *p != '/')
			p++;
		n = (size_t)(p - s);
		if (n < 4 || strncmp(s, WH_PREFIX, 4) != 0)
			continue;
		if (*p == '/')
			return WH_REFUSE; /* a ".wh." directory, or a trailing slash */
		if (n == sizeof(WH_OPAQUE) - 1 && strncmp(s, WH_OPAQUE, n) == 0)
			return WH_OPQ;
		s += 4;
		n -= 4;
		if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.') ||
		    (n >= 4 && strncmp(s, WH_PREFIX, 4) == 0))
			return WH_REFUSE;
		return WH_FILE;
	}
	return WH_NONE;
}

/* Apply a whiteout entry rel (normalised, classified by whiteout_kind),
 * inside the rootfs only: the walk to its directory follows no symlink and
 * the deletion does not follow one either. */
static int apply_whiteout(int rootfd, char *rel, enum wh_kind kind)
{
	const char *leaf;
	int pfd, r = 0;

	pfd = open_parent(rootfd, rel, &leaf);
	/* No such directory below the rootfs (missing, or a symlink that is
	 * not followed): nothing to delete. */
	if (pfd == -ENOENT || pfd == -ENOTDIR || pfd == -ELOOP)
		return 0;
	if (pfd < 0)
		return pfd;
	if (kind == WH_OPQ) {
		/* The parent itself is opaque: drop what lower layers put there. */
		DIR *d = fdopendir(dup(pfd));
		struct dirent *de;

		if (d) {
			while ((de = readdir(d)))
				if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
					rm_rf_at(dirfd(d), de->d_name, 0);
			closedir(d);
		}
	} else {
		r = rm_rf_at(pfd, leaf + 4, 0);
	}
	close(pfd);
	return r;
}

/* True when no existing component of rel's parents is a symlink. */
static bool parents_safe(int rootfd, const char *rel)
{
	char tmp[PATH_MAX];
	const char *leaf;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s", rel) >= (int)sizeof(tmp))
		return false;
	fd = open_parent(rootfd, tmp, &leaf);
	if (fd >= 0) {
		close(fd);
		return true;
	}
	/* A missing directory is fine (created on extraction); a symlink not. */
	return fd == -ENOENT;
}

/* ---- layers --------------------------------------------------------- */

static int extract_flags(void)
{
	int f = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
		ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_UNLINK;

	if (geteuid() == 0)
		f |= ARCHIVE_EXTRACT_OWNER;
	return f;
}

/* Rewrite an entry's path (and hard-link target) below root. 1 = skip it,
 * 0 = write it, negative = refuse the layer. */
static int place_entry(struct archive_entry *e, const char *root, int rootfd, char *rel, size_t rellen)
{
	char full[PATH_MAX];
	const char *hl = archive_entry_hardlink(e);
	mode_t type = archive_entry_filetype(e);
	int r;

	r = norm_path(archive_entry_pathname(e), rel, rellen);
	if (r < 0)
		return r;
	if (!rel[0])
		return 1;
	if (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFIFO || type == AE_IFSOCK)
		return 1;
	if (!parents_safe(rootfd, rel))
		return -EPERM;
	if (snprintf(full, sizeof(full), "%s/%s", root, rel) >= (int)sizeof(full))
		return -ENAMETOOLONG;
	archive_entry_set_pathname(e, full);
	if (hl) {
		char hrel[PATH_MAX];

		r = norm_path(hl, hrel, sizeof(hrel));
		if (r < 0 || !hrel[0] || !parents_safe(rootfd, hrel))
			return -EPERM;
		if (snprintf(full, sizeof(full), "%s/%s", root, hrel) >= (int)sizeof(full))
			return -ENAMETOOLONG;
		archive_entry_set_hardlink(e, full);
	}
	return 0;
}

static int copy_data(struct archive *a, struct archive *w)
{
	const void *buf;
	size_t size;
	la_int64_t off;
	int st;

	while ((st = archive_read_data_block(a, &buf, &size, &off)) == ARCHIVE_OK)
		if (archive_write_data_block(w, buf, size, off) < ARCHIVE_WARN)
			return ARCHIVE_FAILED;
	return st == ARCHIVE_EOF ? ARCHIVE_OK : st;
}

/* Charge an entry to the unpack budget before anything of it is written:
 * a header's worth plus the size it declares (libarchive writes no more). */
static int charge_entry(struct archive_entry *e, uint64_t *budget, char *err, size_t errlen)
{
	uint64_t cost = OCI_ENTRY_COST;

	if (!budget)
		return 0;
	if (archive_entry_filetype(e) == AE_IFREG && archive_entry_size(e) > 0)
		cost += (uint64_t)archive_entry_size(e);
	if (cost > *budget) {
		snprintf(err, errlen, "image unpacks to more than its cap (at %s): refused",
			 archive_entry_pathname(e));
		return -EVE_ETOOBIG;
	}
	*budget -= cost;
	return 0;
}

static int apply_entries(struct archive *a, struct archive *w, const char *root, int rootfd, uint64_t *budget,
			 char *err, size_t errlen)
{
	struct archive_entry *e;
	char rel[PATH_MAX];
	enum wh_kind wh;
	int st, r;

	while ((st = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		r = charge_entry(e, budget, err, errlen);
		if (r < 0)
			return r;
		wh = whiteout_kind(archive_entry_pathname(e));
		if (wh == WH_REFUSE) {
			snprintf(err, errlen, "layer entry %s: not a valid whiteout name",
				 archive_entry_pathname(e));
			return -EPERM;
		}
		r = norm_path(archive_entry_pathname(e), rel, sizeof(rel));
		if (r == 0 && rel[0] && wh != WH_NONE) {
			r = apply_whiteout(rootfd, rel, wh);
			if (r < 0) {
				snprintf(err, errlen, "whiteout %s: %s", rel, eve_strerror(r));
				return r;
			}
			continue;
		}
		r = place_entry(e, root, rootfd, rel, sizeof(rel));
		if (r < 0) {
			snprintf(err, errlen, "layer entry %s escapes the rootfs", archive_entry_pathname(e));
			return -EPERM;
		}
		if (r > 0)
			continue;
		st = archive_write_header(w, e);
		if (st >= ARCHIVE_WARN && archive_entry_size(e) > 0)
			st = copy_data(a, w);
		if (st < ARCHIVE_WARN) {
			snprintf(err, errlen, "extract %s: %s", rel, archive_error_string(w));
			return -EIO;
		}
	}
	if (st != ARCHIVE_EOF) {
		snprintf(err, errlen, "layer: %s", archive_error_string(a));
		return -EIO;
	}
	return 0;
}

int oci_apply_layer(const char *layer, const char *rootfs, uint64_t *budget, char *err, size_t errlen)
{
	struct archive *a = NULL, *w = NULL;
	char root[PATH_MAX];
	int rootfd = -1, r;

	if (!realpath(rootfs, root)) {
		snprintf(err, errlen, "rootfs %s: %s", rootfs, strerror(errno));
		return -errno;
	}
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -errno;
	a = archive_read_new();
	w = archive_write_disk_new();
	if (!a || !w) {
		r = -ENOMEM;
		goto out;
	}
	archive_read_support_format_tar(a);
	archive_read_support_filter_all(a);
	archive_write_disk_set_options(w, extract_flags());
	archive_write_disk_set_standard_lookup(w);
	if (archive_read_open_filename(a, layer, 1 << 16) != ARCHIVE_OK) {
		snprintf(err, errlen, "layer %s: %s", layer, archive_error_string(a));
		r = -EIO;
		goto out;
	}
	r = apply_entries(a, w, root, rootfd, budget, err, errlen);
	if (archive_write_close(w) != ARCHIVE_OK && r == 0) {
		snprintf(err, errlen, "layer finish: %s", archive_error_string(w));
		r = -EIO;
	}
out:
	archive_read_free(a);
	archive_write_free(w);
	close(rootfd);
	return r;
}

/* ---- the outer tarball ---------------------------------------------- */

/* Flatten an outer-archive path into one file name ("blobs/sha256/x" ->
 * "blobs_sha256_x"), so the staging directory holds no tree, links or
 * traversal. Empty result = ignore the entry. */
static void flat_name(const char *path, char *out, size_t outlen)
{
	char norm[PATH_MAX];
	size_t i;

	out[0] = '\0';
	if (norm_path(path, norm, sizeof(norm)) < 0 || !norm[0] || strlen(norm) >= outlen)
		return;
	for (i = 0; norm[i]; i++) {
		char c = norm[i];

		out[i] = (c == '/') ? '_'
			 : (c == '.' || c == '-' || c == '_' || c == ':' || (c >= '0' && c <= '9') ||
			    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			     ? c
			     : '%';
	}
	out[i] = '\0';
}

static int stage_file(struct archive *a, int dirfd, const char *name, uint64_t *budget)
{
	char buf[1 << 16];
	la_ssize_t n;
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		return -errno;
	while ((n = archive_read_data(a, buf, sizeof(buf))) > 0) {
		if ((uint64_t)n > *budget) {
			close(fd);
			return -EVE_ETOOBIG;
		}
		*budget -= (uint64_t)n;
		if (write(fd, buf, (size_t)n) != n) {
			close(fd);
			return -EIO;
		}
	}
	close(fd);
	return n < 0 ? -EIO : 0;
}

/* Copy every regular file of the image tarball into stage/ (flat names). */
static int stage_image(const char *image, const char *stage, uint64_t *budget, char *err, size_t errlen)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	char name[NAME_MAX];
	int dfd = -1, st, r = 0;

	if (!a)
		return -ENOMEM;
	archive_read_support_format_tar(a);
	archive_read_support_filter_all(a);
	dfd = open(stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || archive_read_open_filename(a, image, 1 << 16) != ARCHIVE_OK) {
		snprintf(err, errlen, "image is not a tar archive: %s", archive_error_string(a));
		r = -EINVAL;
		goto out;
	}
	while ((st = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		flat_name(archive_entry_pathname(e), name, sizeof(name));
		if (!name[0])
			continue;
		r = stage_file(a, dfd, name, budget);
		if (r == -EVE_ETOOBIG) {
			snprintf(err, errlen, "image files are larger than the unpack cap: refused");
			goto out;
		}
		if (r < 0) {
			snprintf(err, errlen, "staging %s: %s", name, eve_strerror(r));
			goto out;
		}
	}
	if (st != ARCHIVE_EOF) {
		snprintf(err, errlen, "image tar: %s", archive_error_string(a));
		r = -EIO;
	}
out:
	if (dfd >= 0)
		close(dfd);
	archive_read_free(a);
	return r;
}

static json_t *load_json(const char *stage, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	if (snprintf(path, sizeof(path), "%s/%s", stage, name) >= (int)sizeof(path))
		return NULL;
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > OCI_JSON_MAX)
		return NULL;
	return json_load_file(path, 0, NULL);
}

/* Staged name of an OCI blob from its "sha256:<hex>" digest. */
static int digest_name(const char *digest, char *out, size_t outlen)
{
	size_t i;

	if (!digest || strncmp(digest, "sha256:", 7) != 0 || strlen(digest) != 7 + 64)
		return -EINVAL;
	for (i = 7; digest[i]; i++)
		if (!((digest[i] >= '0' && digest[i] <= '9') || (digest[i] >= 'a' && digest[i] <= 'f')))
			return -EINVAL;
	snprintf(out, outlen, "blobs_sha256_%s", digest + 7);
	return 0;
}

/* The SHA-256 of staged file name must be hex (what names it says). */
static int verify_staged(const char *stage, const char *name, const char *hex, const char *what, char *err,
			 size_t errlen)
{
	char path[PATH_MAX], got[BLOBSTORE_HEX_LEN];
	int r;

	if (snprintf(path, sizeof(path), "%s/%s", stage, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	r = blobstore_hash_file(path, got);
	if (r < 0) {
		snprintf(err, errlen, "%s %s: %s", what, name,
			 r == -ENOENT ? "not in the image" : eve_strerror(r));
		return r;
	}
	if (strcmp(got, hex) != 0) {
		snprintf(err, errlen, "%s digest mismatch: %s has sha256:%s, the manifest says sha256:%s",
			 what, name, got, hex);
		return -EVE_EHASH;
	}
	return 0;
}

/* Which manifest of an index to use: linux/amd64 if platforms are given,
 * else the first. Nested indexes are followed once. */
static json_t *pick_manifest(const char *stage, json_t *index, int depth, char *err, size_t errlen)
{
	json_t *ms = json_object_get(index, "manifests"), *m, *pick = NULL;
	const char *digest;
	char name[NAME_MAX];
	size_t i;

	if (!json_is_array(ms) || json_array_size(ms) == 0 || depth > 2)
		return NULL;
	json_array_foreach(ms, i, m)
	{
		json_t *pl = json_object_get(m, "platform");
		const char *arch = json_string_value(json_object_get(pl, "architecture"));

		if (!pick || (arch && strcmp(arch, "amd64") == 0))
			pick = m;
	}
	digest = json_string_value(json_object_get(pick, "digest"));
	if (digest_name(digest, name, sizeof(name)) < 0 ||
	    verify_staged(stage, name, digest + 7, "manifest", err, errlen) < 0)
		return NULL;
	m = load_json(stage, name);
	if (m && json_object_get(m, "manifests")) {
		json_t *inner = pick_manifest(stage, m, depth + 1, err, errlen);

		json_decref(m);
		return inner;
	}
	return m;
}

/* From the staged image: config file name and layer file names, each with
 * the SHA-256 its manifest gives it ("" when the format gives none). */
struct oci_plan {
	char config[NAME_MAX];
	char config_hex[BLOBSTORE_HEX_LEN];
	char layers[OCI_MAX_LAYERS][NAME_MAX];
	char layer_hex[OCI_MAX_LAYERS][BLOBSTORE_HEX_LEN];
	size_t n;
};

static int plan_oci(const char *stage, json_t *index, struct oci_plan *p, char *err, size_t errlen)
{
	json_t *man = pick_manifest(stage, index, 0, err, errlen), *ls, *l;
	const char *digest;
	size_t i;
	int r = -EINVAL;

	if (!man)
		return strstr(err, "digest mismatch") ? -EVE_EHASH : -EINVAL;
	digest = json_string_value(json_object_get(json_object_get(man, "config"), "digest"));
	if (digest_name(digest, p->config, sizeof(p->config)) < 0)
		goto out;
	snprintf(p->config_hex, sizeof(p->config_hex), "%s", digest + 7);
	ls = json_object_get(man, "layers");
	if (!json_is_array(ls) || json_array_size(ls) > OCI_MAX_LAYERS)
		goto out;
	json_array_foreach(ls, i, l)
	{
		digest = json_string_value(json_object_get(l, "digest"));
		if (digest_name(digest, p->layers[i], NAME_MAX) < 0)
			goto out;
		snprintf(p->layer_hex[i], BLOBSTORE_HEX_LEN, "%s", digest + 7);
	}
	p->n = json_array_size(ls);
	r = 0;
out:
	json_decref(man);
	return r;
}

/* docker save: the config is "<hex>.json" or "blobs/sha256/<hex>" (its own
 * digest); layer i is uncompressed and hashes to rootfs.diff_ids[i]. */
static int docker_digests(const char *stage, struct oci_plan *p, char *err, size_t errlen)
{
	json_t *cfg = load_json(stage, p->config), *ids;
	char name[NAME_MAX];
	size_t i;
	int r = -EINVAL;

	if (strlen(p->config) == 64 + 5 && strcmp(p->config + 64, ".json") == 0)
		snprintf(p->config_hex, sizeof(p->config_hex), "%.64s", p->config);
	else if (strncmp(p->config, "blobs_sha256_", 13) == 0)
		snprintf(p->config_hex, sizeof(p->config_hex), "%s", p->config + 13);
	if (!blobstore_valid_hex(p->config_hex))
		p->config_hex[0] = '\0';
	ids = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
	if (!json_is_array(ids) || json_array_size(ids) != p->n) {
		snprintf(err, errlen,
			 "image config %s: rootfs.diff_ids does not list the digests of its %zu layers",
			 p->config, p->n);
		goto out;
	}
	for (i = 0; i < p->n; i++) {
		const char *d = json_string_value(json_array_get(ids, i));

		if (digest_name(d, name, sizeof(name)) < 0) {
			snprintf(err, errlen, "image config %s: diff_ids[%zu] is not a sha256 digest",
				 p->config, i);
			goto out;
		}
		snprintf(p->layer_hex[i], BLOBSTORE_HEX_LEN, "%s", d + 7);
	}
	r = 0;
out:
	json_decref(cfg);
	return r;
}

static int plan_docker(const char *stage, json_t *manifest, struct oci_plan *p, char *err, size_t errlen)
{
	json_t *m = json_array_get(manifest, 0), *ls, *l;
	size_t i;

	if (!json_is_object(m))
		return -EINVAL;
	flat_name(json_string_value(json_object_get(m, "Config")) ?: "", p->config, sizeof(p->config));
	ls = json_object_get(m, "Layers");
	if (!p->config[0] || !json_is_array(ls) || json_array_size(ls) > OCI_MAX_LAYERS)
		return -EINVAL;
	json_array_foreach(ls, i, l)
	{
		flat_name(json_string_value(l) ?: "", p->layers[i], NAME_MAX);
		if (!p->layers[i][0])
			return -EINVAL;
	}
	p->n = json_array_size(ls);
	return docker_digests(stage, p, err, errlen);
}

static int make_plan(const char *stage, struct oci_plan *p, char *err, size_t errlen)
{
	json_t *j = load_json(stage, "index.json");
	int r;

	err[0] = '\0';
	if (j) {
		r = plan_oci(stage, j, p, err, errlen);
	} else {
		j = load_json(stage, "manifest.json");
		r = j ? plan_docker(stage, j, p, err, errlen) : -EINVAL;
	}
	json_decref(j);
	if (r < 0 && !err[0])
		snprintf(err, errlen, "not an OCI layout or docker-save image (index.json/manifest.json)");
	return r;
}

/* Check the config and every layer against their digests before any layer
 * is applied. */
static int verify_plan(const char *stage, const struct oci_plan *p, char *err, size_t errlen)
{
	size_t i;
	int r = 0;

	if (p->config_hex[0])
		r = verify_staged(stage, p->config, p->config_hex, "image config", err, errlen);
	for (i = 0; r == 0 && i < p->n; i++)
		r = verify_staged(stage, p->layers[i], p->layer_hex[i], "layer", err, errlen);
	return r;
}

static void rm_tree(const char *path)
{
	char *dir = strdup(path), *slash;

	if (!dir)
		return;
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		int fd;

		*slash = '\0';
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0) {
			rm_rf_at(fd, slash + 1, 0);
			close(fd);
		}
	}
	free(dir);
}

static int copy_config(const char *stage, const char *name, const char *out)
{
	char path[PATH_MAX];
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	snprintf(path, sizeof(path), "%s/%s", stage, name);
	r = fileio_read(path, OCI_JSON_MAX, &data, &len);
	if (r == 0)
		r = fileio_write_atomic(out, data, len, 0644);
	free(data);
	return r;
}

int oci_unpack(const char *image, const char *rootfs, const char *config_out, uint64_t max_bytes, char *err,
	       size_t errlen)
{
	struct oci_plan *p = calloc(1, sizeof(*p));
	char *stage = NULL, lpath[PATH_MAX];
	uint64_t stage_budget = max_bytes ? max_bytes : OCI_UNPACK_DEFAULT_MAX, budget = stage_budget;
	size_t i;
	int r;

	if (!p || asprintf(&stage, "%s.stage", rootfs) < 0) {
		free(p);
		return -ENOMEM;
	}
	rm_tree(stage);
	r = fileio_mkdirs(stage, 0700);
	if (r == 0)
		r = fileio_mkdirs(rootfs, 0755);
	if (r < 0) {
		snprintf(err, errlen, "mkdir: %s", eve_strerror(r));
		goto out;
	}
	r = stage_image(image, stage, &stage_budget, err, errlen);
	if (r == 0)
		r = make_plan(stage, p, err, errlen);
	if (r == 0)
		r = verify_plan(stage, p, err, errlen);
	for (i = 0; r == 0 && i < p->n; i++) {
		snprintf(lpath, sizeof(lpath), "%s/%s", stage, p->layers[i]);
		r = oci_apply_layer(lpath, rootfs, &budget, err, errlen);
	}
	if (r == 0) {
		r = copy_config(stage, p->config, config_out);
		if (r < 0)
			snprintf(err, errlen, "image config %s: %s", p->config, eve_strerror(r));
	}
out:
	if (r < 0) {
		/* Nothing half-unpacked stays behind. */
		rm_tree(rootfs);
		unlink(config_out);
	}
	rm_tree(stage);
	free(stage);
	free(p);
	return r;
}

/* ---- image config ----------------------------------------------------- */

static char **str_vec(json_t *a)
{
	char **v;
	size_t i, n = json_is_array(a) ? json_array_size(a) : 0;

	if (n > 4096)
		return NULL;
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return NULL;
	for (i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(a, i));

		v[i] = strdup(s ? s : "");
		if (!v[i])
			break;
	}
	return v;
}

static void free_vec(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void oci_config_clear(struct oci_config *c)
{
	free_vec(c->entrypoint);
	free_vec(c->cmd);
	free_vec(c->env);
	free(c->workdir);
	memset(c, 0, sizeof(*c));
}

int oci_config_load(const char *path, struct oci_config *c)
{
	json_t *j, *cfg;
	struct stat st;
	const char *wd;

	memset(c, 0, sizeof(*c));
	if (stat(path, &st) < 0)
		return -errno;
	if ((size_t)st.st_size > OCI_JSON_MAX)
		return -EVE_ETOOBIG;
	j = json_load_file(path, 0, NULL);
	if (!j)
		return -EVE_EPROTO;
	cfg = json_object_get(j, "config");
	if (!cfg)
		cfg = json_object_get(j, "container_config");
	c->entrypoint = str_vec(json_object_get(cfg, "Entrypoint"));
	c->cmd = str_vec(json_object_get(cfg, "Cmd"));
	c->env = str_vec(json_object_get(cfg, "Env"));
	wd = json_string_value(json_object_get(cfg, "WorkingDir"));
	c->workdir = strdup(wd ? wd : "");
	json_decref(j);
	if (!c->entrypoint || !c->cmd || !c->env || !c->workdir) {
		oci_config_clear(c);
		return -ENOMEM;
	}
	return 0;
}
