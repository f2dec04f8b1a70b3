// SPDX-License-Identifier: Apache-2.0
/* image push NAME FILE|DIR: an OCI image layout (directory or tar) or a
 * `docker save` tarball goes to the controller's registry (/v2/NAME) as
 * blobs (HEAD first: blobs the controller has are not sent again; then
 * POST + PUT ?digest=) and a manifest PUT under the tag, which makes the
 * image NAME (format oci) that apps can use. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "curlerr.h"
#include "err.h"
#include "evectl.h"
#include "fileio.h"
#include "hexstr.h"
#include "progress.h"

#define PUSH_JSON_MAX (4u << 20)
#define PUSH_BLOBS_MAX 1024

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"

static const struct out_col push_cols[] = {
    {"NAME", "name"},   {"FORMAT", "format"}, {"SIZE", "size", out_fmt_size},
    {"STATE", "state"}, {"SHA256", "sha256"}, {NULL},
};

struct push {
	struct cmd_args *a;
	struct api *api;
	const char *name;
	char root[2048]; /* the layout (or extracted tar) */
	struct progress bar;
	uint64_t done, total;
};

static void on_progress(uint64_t done, uint64_t total, void *ud)
{
	struct push *p = ud;

	(void)total;
	progress_update(p->done + done, p->total, &p->bar);
}

static int sha256_file(const char *path, char hex[65], uint64_t *size)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char buf[65536], h[32];
	unsigned hl = 0;
	FILE *f = fopen(path, "rb");
	size_t n;
	int r = -EIO;

	*size = 0;
	if (!f || !md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto out;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		EVP_DigestUpdate(md, buf, n);
		*size += n;
	}
	if (!ferror(f) && EVP_DigestFinal_ex(md, h, &hl) == 1) {
		hexstr_encode(h, 32, hex);
		r = 0;
	}
out:
	if (f)
		fclose(f);
	EVP_MD_CTX_free(md);
	return r;
}

/* ---- tar input: extracted into a private temporary directory ------------- */

static int extract_tar(const char *file, const char *dir)
{
	struct archive *a = archive_read_new(), *w = archive_write_disk_new();
	struct archive_entry *e;
	char cwd[PATH_MAX];
	int r = 0, st;

	if (!a || !w || !getcwd(cwd, sizeof(cwd))) {
		r = -ENOMEM;
		goto out;
	}
	archive_read_support_format_tar(a);
	archive_read_support_filter_all(a);
	archive_write_disk_set_options(w, ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
					      ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
	if (archive_read_open_filename(a, file, 65536) != ARCHIVE_OK || chdir(dir) < 0) {
		r = -EINVAL;
		goto out;
	}
	while ((st = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const void *buf;
		size_t size;
		int64_t off;

		if (archive_entry_filetype(e) != AE_IFREG && archive_entry_filetype(e) != AE_IFDIR)
			continue;
		archive_entry_set_perm(e, archive_entry_filetype(e) == AE_IFDIR ? 0700 : 0600);
		if (archive_write_header(w, e) != ARCHIVE_OK) {
			r = -EINVAL;
			break;
		}
		while ((st = archive_read_data_block(a, &buf, &size, &off)) == ARCHIVE_OK)
			if (archive_write_data_block(w, buf, size, off) != ARCHIVE_OK)
				break;
		if (st != ARCHIVE_EOF) {
			r = -EIO;
			break;
		}
	}
	if (r == 0 && st != ARCHIVE_EOF)
		r = -EINVAL;
	if (chdir(cwd) < 0 && r == 0)
		r = -errno;
out:
	archive_read_free(a);
	archive_write_free(w);
	return r;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 ? -1 : 0;
}

/* Remove the temporary extraction directory (depth first, no symlinks
 * followed). */
static void rm_tree(const char *dir)
{
	if (nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
		fprintf(stderr, "evectl: could not remove %s\n", dir);
}

/* ---- registry requests --------------------------------------------------------- */

static int v2_fail(struct push *p, int r, const char *what)
{
	progress_end(&p->bar);
	return ev_fail(curlerr_unreachable(r) ? EXIT_UNREACHABLE : EXIT_REJECTED, "%s: %s", what,
		       api_errmsg(p->api));
}

/* Send file path as blob hex unless the registry has it. */
static int push_blob(struct push *p, const char *path, const char *hex, uint64_t size)
{
	char url[512], put[1536];
	struct api_v2 q = {.method = "HEAD", .path = url};
	FILE *f;
	int r;

	snprintf(url, sizeof(url), "/v2/%s/blobs/sha256:%s", p->name, hex);
	if (api_v2(p->api, &q) == 0) {
		p->done += size;
		progress_update(p->done, p->total, &p->bar);
		return 0;
	}
	snprintf(url, sizeof(url), "/v2/%s/blobs/uploads/", p->name);
	q = (struct api_v2){.method = "POST", .path = url};
	r = api_v2(p->api, &q);
	if (r < 0 || strncmp(q.location, "/v2/", 4) != 0)
		return v2_fail(p, r < 0 ? r : -EPROTO, "starting a blob upload");
	snprintf(put, sizeof(put), "%s%sdigest=sha256:%s", q.location, strchr(q.location, '?') ? "&" : "?",
		 hex);
	f = fopen(path, "rb");
	if (!f)
		return ev_usage("%s: %s", path, strerror(errno));
	q = (struct api_v2){
	    .method = "PUT", .path = put, .f = f, .size = size, .progress = on_progress, .ud = p};
	r = api_v2(p->api, &q);
	fclose(f);
	if (r < 0)
		return v2_fail(p, r, "uploading a blob");
	p->done += size;
	return 0;
}

static int push_manifest(struct push *p, const char *ref, const char *mt, const void *data, size_t len)
{
	char url[512];
	struct api_v2 q = {.method = "PUT", .path = url, .ctype = mt, .data = data, .len = len};
	int r;

	snprintf(url, sizeof(url), "/v2/%s/manifests/%s", p->name, ref);
	r = api_v2(p->api, &q);
	return r < 0 ? v2_fail(p, r, "storing the manifest") : 0;
}

/* ---- OCI layout ------------------------------------------------------------------ */

static int blob_path(struct push *p, const char *digest, char out[PATH_MAX], char hex[65])
{
	if (!digest || strncmp(digest, "sha256:", 7) != 0 || strlen(digest) != 71 ||
	    strspn(digest + 7, "0123456789abcdef") != 64)
		return -EINVAL;
	memcpy(hex, digest + 7, 65);
	snprintf(out, PATH_MAX, "%s/blobs/sha256/%s", p->root, hex);
	return 0;
}

static uint64_t desc_size(json_t *d)
{
	json_int_t v = json_integer_value(json_object_get(d, "size"));

	return v > 0 ? (uint64_t)v : 0;
}

static int push_oci_manifest(struct push *p, json_t *desc, const char *ref, int depth);

/* Blobs of an image manifest, then the manifest itself under ref. */
static int push_image(struct push *p, json_t *m, const uint8_t *raw, size_t len, const char *ref,
		      const char *mt)
{
	json_t *ls = json_object_get(m, "layers"), *l, *cfg = json_object_get(m, "config");
	char path[PATH_MAX], hex[65];
	size_t i;
	int r;

	if (blob_path(p, json_string_value(json_object_get(cfg, "digest")), path, hex) < 0)
		return ev_usage("manifest without a sha256 config");
	r = push_blob(p, path, hex, desc_size(cfg));
	json_array_foreach(ls, i, l)
	{
		if (r < 0 || r > 0)
			return r;
		if (blob_path(p, json_string_value(json_object_get(l, "digest")), path, hex) < 0)
			return ev_usage("layer without a sha256 digest");
		r = push_blob(p, path, hex, desc_size(l));
	}
	return r ? r : push_manifest(p, ref, mt, raw, len);
}

static int push_oci_manifest(struct push *p, json_t *desc, const char *ref, int depth)
{
	char path[PATH_MAX], hex[65], dref[80];
	const char *mt = json_string_value(json_object_get(desc, "mediaType"));
	uint8_t *raw = NULL;
	size_t len = 0, i;
	json_t *m = NULL, *ms, *c;
	int r;

	if (depth > 2 || blob_path(p, json_string_value(json_object_get(desc, "digest")), path, hex) < 0)
		return ev_usage("index.json: bad manifest descriptor");
	if (fileio_read(path, PUSH_JSON_MAX, &raw, &len) < 0 ||
	    !(m = json_loadb((char *)raw, len, 0, NULL))) {
		free(raw);
		return ev_usage("%s: unreadable manifest", path);
	}
	if (!mt)
		mt = json_string_value(json_object_get(m, "mediaType"));
	ms = json_object_get(m, "manifests");
	if (json_is_array(ms)) { /* an index: every platform's manifest first */
		r = 0;
		json_array_foreach(ms, i, c)
		{
			snprintf(dref, sizeof(dref), "%s", json_string_value(json_object_get(c, "digest")));
			if (r == 0)
				r = push_oci_manifest(p, c, dref, depth + 1);
		}
		if (r == 0)
			r = push_manifest(p, ref, mt ? mt : MT_OCI_INDEX, raw, len);
	} else {
		r = push_image(p, m, raw, len, ref, mt ? mt : MT_OCI_MANIFEST);
	}
	json_decref(m);
	free(raw);
	return r;
}

/* Sum of the blob sizes a layout's first entry names (for the bar). */
static void layout_total(struct push *p, json_t *desc, int depth)
{
	char path[PATH_MAX], hex[65];
	uint8_t *raw = NULL;
	size_t len = 0, i;
	json_t *m, *e;

	if (depth > 2 || blob_path(p, json_string_value(json_object_get(desc, "digest")), path, hex) < 0 ||
	    fileio_read(path, PUSH_JSON_MAX, &raw, &len) < 0)
		return;
	m = json_loadb((char *)raw, len, 0, NULL);
	free(raw);
	p->total += desc_size(json_object_get(m, "config"));
	json_array_foreach(json_object_get(m, "layers"), i, e) p->total += desc_size(e);
	json_array_foreach(json_object_get(m, "manifests"), i, e) layout_total(p, e, depth + 1);
	json_decref(m);
}

static int push_layout(struct push *p, const char *tag)
{
	char path[PATH_MAX];
	json_t *idx, *ms;
	int r;

	snprintf(path, sizeof(path), "%s/index.json", p->root);
	idx = json_load_file(path, 0, NULL);
	ms = json_object_get(idx, "manifests");
	if (json_array_size(ms) != 1) {
		json_decref(idx);
		return ev_usage("%s: an OCI layout with exactly one image (index.json manifests[1])",
				p->root);
	}
	layout_total(p, json_array_get(ms, 0), 0);
	r = push_oci_manifest(p, json_array_get(ms, 0), tag, 0);
	json_decref(idx);
	return r;
}

/* ---- docker save ------------------------------------------------------------------- */

static json_t *desc(const char *mt, const char *hex, uint64_t size)
{
	char d[80];

	snprintf(d, sizeof(d), "sha256:%s", hex);
	return json_pack("{s:s, s:s, s:I}", "mediaType", mt, "digest", d, "size", (json_int_t)size);
}

/* manifest.json [{Config, Layers[]}] -> an OCI manifest (uncompressed layers). */
static int push_docker(struct push *p, const char *tag)
{
	char path[PATH_MAX], hex[65];
	json_t *mf, *ent, *layers, *man = NULL, *l;
	uint64_t size;
	size_t i;
	char *raw = NULL;
	int r = 0;

	snprintf(path, sizeof(path), "%s/manifest.json", p->root);
	mf = json_load_file(path, 0, NULL);
	ent = json_array_get(mf, 0);
	layers = json_object_get(ent, "Layers");
	if (!json_is_string(json_object_get(ent, "Config")) || !json_is_array(layers) ||
	    json_array_size(layers) > PUSH_BLOBS_MAX) {
		json_decref(mf);
		return ev_usage("%s: not a docker save manifest", path);
	}
	man = json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType", MT_OCI_MANIFEST, "layers");
	json_array_foreach(layers, i, l)
	{
		struct stat st;

		snprintf(path, sizeof(path), "%s/%.1024s", p->root,
			 json_string_value(l) ? json_string_value(l) : "");
		if (!json_is_string(l) || strstr(json_string_value(l), "..") || stat(path, &st) < 0)
			r = ev_usage("docker save layer %s missing", json_string_value(l));
		if (r)
			break;
		p->total += (uint64_t)st.st_size;
	}
	snprintf(path, sizeof(path), "%s/%.1024s", p->root,
		 json_string_value(json_object_get(ent, "Config")));
	if (r == 0 && (strstr(path, "..") || sha256_file(path, hex, &size) < 0))
		r = ev_usage("docker save config %s unreadable", path);
	if (r == 0) {
		p->total += size;
		r = push_blob(p, path, hex, size);
		json_object_set_new(man, "config",
				    desc("application/vnd.oci.image.config.v1+json", hex, size));
	}
	json_array_foreach(layers, i, l)
	{
		if (r)
			break;
		snprintf(path, sizeof(path), "%s/%.1024s", p->root, json_string_value(l));
		if (sha256_file(path, hex, &size) < 0) {
			r = ev_usage("%s unreadable", path);
			break;
		}
		r = push_blob(p, path, hex, size);
		json_array_append_new(json_object_get(man, "layers"),
				      desc("application/vnd.oci.image.layer.v1.tar", hex, size));
	}
	raw = r == 0 ? json_dumps(man, JSON_COMPACT) : NULL;
	if (r == 0)
		r = raw ? push_manifest(p, tag, MT_OCI_MANIFEST, raw, strlen(raw)) : EXIT_USAGE;
	free(raw);
	json_decref(man);
	json_decref(mf);
	return r;
}

/* ---- the command ------------------------------------------------------------------------ */

static bool is_file(const char *dir, const char *name)
{
	char p[PATH_MAX];
	struct stat st;

	snprintf(p, sizeof(p), "%.2048s/%.64s", dir, name);
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int cmd_image_push(struct cmd_args *a)
{
	const char *src = a->pos[1], *tag = cmdtab_str(a, "tag") ? cmdtab_str(a, "tag") : "latest";
	struct push p = {.a = a, .name = a->pos[0]};
	bool tmp = false;
	struct stat st;
	json_t *img = NULL;
	char *path;
	int code;

	if (strlen(src) >= sizeof(p.root) || stat(src, &st) < 0)
		return ev_usage("%s: %s", src,
				strlen(src) >= sizeof(p.root) ? "path too long" : strerror(errno));
	if (strspn(p.name, "abcdefghijklmnopqrstuvwxyz0123456789._-") != strlen(p.name) || !p.name[0])
		return ev_usage("NAME: lower-case letters, digits, '.', '_', '-' (it names the repository)");
	p.api = ev_api(a, &code);
	if (!p.api)
		return code;
	if (S_ISDIR(st.st_mode)) {
		snprintf(p.root, sizeof(p.root), "%s", src);
	} else {
		snprintf(p.root, sizeof(p.root), "/tmp/evectl-push.XXXXXX");
		if (!mkdtemp(p.root))
			return ev_fail(EXIT_USAGE, "mkdtemp: %s", strerror(errno));
		tmp = true;
		if (extract_tar(src, p.root) < 0) {
			code = ev_usage("%s: not a readable tar archive", src);
			goto out;
		}
	}
	progress_init(&p.bar, stderr, p.name, false);
	if (is_file(p.root, "index.json"))
		code = push_layout(&p, tag);
	else if (is_file(p.root, "manifest.json"))
		code = push_docker(&p, tag);
	else
		code =
		    ev_usage("%s: neither an OCI image layout (index.json) nor a docker save archive", src);
	progress_end(&p.bar);
	if (code)
		goto out;
	path = ev_path("/images/%s", p.name);
	code = ev_request(a, "GET", path, NULL, &img);
	if (code == EXIT_OK)
		ev_print_object(a, push_cols, img, "name");
	free(path);
	json_decref(img);
out:
	if (tmp)
		rm_tree(p.root);
	return code;
}
