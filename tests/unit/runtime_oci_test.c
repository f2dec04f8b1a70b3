// SPDX-License-Identifier: Apache-2.0
/* oci_unpack: layers in order, whiteouts, and entries that try to escape
 * the rootfs (.., absolute paths, writes through symlinks, hard links out). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <archive.h>
#include <archive_entry.h>

#include "blobstore.h"
#include "crypto.h"
#include "err.h"
#include "hexstr.h"
#include "oci_unpack.h"
#include "test_tmpdir.h"

static char dir[64], rootfs[128];

static int setup(void **st)
{
	if (test_tmpdir_make(dir, sizeof(dir), "rt-oci") < 0)
		return -1;
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir);
	return mkdir(rootfs, 0755);
}

static int teardown(void **st)
{
	return test_tmpdir_remove(dir) == 0 ? 0 : -1;
}

struct ent {
	const char *path;
	char type;        /* f file, d dir, l symlink, h hard link */
	const char *data; /* content or link target */
};

static void make_layer(const char *path, const struct ent *e, size_t n, bool gz)
{
	struct archive *a = archive_write_new();
	size_t i;

	archive_write_set_format_pax_restricted(a);
	if (gz)
		archive_write_add_filter_gzip(a);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		struct archive_entry *x = archive_entry_new();

		archive_entry_set_pathname(x, e[i].path);
		archive_entry_set_perm(x, 0644);
		switch (e[i].type) {
		case 'd':
			archive_entry_set_filetype(x, AE_IFDIR);
			archive_entry_set_perm(x, 0755);
			break;
		case 'l':
			archive_entry_set_filetype(x, AE_IFLNK);
			archive_entry_set_symlink(x, e[i].data);
			break;
		case 'h':
			archive_entry_set_filetype(x, AE_IFREG);
			archive_entry_set_hardlink(x, e[i].data);
			break;
		case 'H': /* hard link to "target" carrying data: "target\0data" */
			archive_entry_set_filetype(x, AE_IFREG);
			archive_entry_set_hardlink(x, e[i].data);
			archive_entry_set_size(x, (la_int64_t)strlen(e[i].data + strlen(e[i].data) + 1));
			break;
		case 'z': /* a file of strlen(data) MiB of zeros (compresses well) */
			archive_entry_set_filetype(x, AE_IFREG);
			archive_entry_set_size(x, (la_int64_t)strlen(e[i].data) << 20);
			break;
		default:
			archive_entry_set_filetype(x, AE_IFREG);
			archive_entry_set_size(x, (la_int64_t)strlen(e[i].data));
		}
		archive_write_header(a, x);
		if (e[i].type == 'f')
			archive_write_data(a, e[i].data, strlen(e[i].data));
		if (e[i].type == 'H')
			archive_write_data(a, e[i].data + strlen(e[i].data) + 1,
					   strlen(e[i].data + strlen(e[i].data) + 1));
		if (e[i].type == 'z') {
			static char zeros[1 << 16];
			size_t k;

			for (k = 0; k < (strlen(e[i].data) << 20) / sizeof(zeros); k++)
				archive_write_data(a, zeros, sizeof(zeros));
		}
		archive_entry_free(x);
	}
	archive_write_close(a);
	archive_write_free(a);
}

static bool exists(const char *rel)
{
	char p[256];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", rootfs, rel);
	return lstat(p, &st) == 0;
}

static void test_layers_whiteouts(void **st)
{
	const struct ent l1[] = {{"./etc/", 'd', NULL},      {"./etc/keep", 'f', "k"},
				 {"./etc/gone", 'f', "g"},   {"opq/", 'd', NULL},
				 {"opq/old", 'f', "o"},      {"bin/", 'd', NULL},
				 {"bin/busybox", 'f', "bb"}, {"bin/sh", 'l', "busybox"}};
	const struct ent l2[] = {{"etc/.wh.gone", 'f', ""},
				 {"opq/.wh..wh..opq", 'f', ""},
				 {"opq/new", 'f', "n"},
				 {"etc/keep", 'f', "k2"}};
	char p1[128], p2[128], err[256] = "";

	snprintf(p1, sizeof(p1), "%s/l1.tar.gz", dir);
	snprintf(p2, sizeof(p2), "%s/l2.tar", dir);
	make_layer(p1, l1, sizeof(l1) / sizeof(l1[0]), true);
	make_layer(p2, l2, sizeof(l2) / sizeof(l2[0]), false);
	assert_int_equal(oci_apply_layer(p1, rootfs, NULL, err, sizeof(err)), 0);
	assert_int_equal(oci_apply_layer(p2, rootfs, NULL, err, sizeof(err)), 0);
	assert_true(exists("etc/keep"));
	assert_false(exists("etc/gone"));
	assert_false(exists("etc/.wh.gone"));
	assert_false(exists("opq/old"));
	assert_true(exists("opq/new"));
	assert_true(exists("bin/sh"));
}

static void test_escapes(void **st)
{
	const struct ent dotdot[] = {{"../escape-dotdot", 'f', "x"}};
	const struct ent viasym[] = {{"out", 'l', "/tmp"}, {"out/escape-sym", 'f', "x"}};
	const struct ent hard[] = {{"h", 'h', "../../etc/passwd"}};
	const struct ent abs[] = {{"/abs-inside", 'f', "x"}};
	char p[128], err[256], probe[160];

	snprintf(p, sizeof(p), "%s/bad1.tar", dir);
	make_layer(p, dotdot, 1, false);
	assert_int_not_equal(oci_apply_layer(p, rootfs, NULL, err, sizeof(err)), 0);
	snprintf(probe, sizeof(probe), "%s/escape-dotdot", dir);
	assert_int_not_equal(access(probe, F_OK), 0);

	make_layer(p, viasym, 2, false);
	assert_int_not_equal(oci_apply_layer(p, rootfs, NULL, err, sizeof(err)), 0);
	assert_int_not_equal(access("/tmp/escape-sym", F_OK), 0);

	make_layer(p, hard, 1, false);
	assert_int_not_equal(oci_apply_layer(p, rootfs, NULL, err, sizeof(err)), 0);

	/* Absolute entry names are taken relative to the rootfs (docker's rule). */
	make_layer(p, abs, 1, false);
	assert_int_equal(oci_apply_layer(p, rootfs, NULL, err, sizeof(err)), 0);
	assert_true(exists("abs-inside"));
}

static void test_not_an_image(void **st)
{
	const struct ent junk[] = {{"hello.txt", 'f', "hi"}};
	char p[128], rf[160], cfg[160], err[256] = "";

	snprintf(p, sizeof(p), "%s/junk.tar", dir);
	snprintf(rf, sizeof(rf), "%s/rf2", dir);
	snprintf(cfg, sizeof(cfg), "%s/cfg.json", dir);
	make_layer(p, junk, 1, false);
	assert_int_not_equal(oci_unpack(p, rf, cfg, 0, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "not an OCI"));
}

/* Write path with data; a sentinel outside the rootfs. */
static void put_file(const char *path, const char *data)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, strlen(data), f), strlen(data));
	fclose(f);
}

static bool file_is(const char *path, const char *data)
{
	char got[256] = "";
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return false;
	n = fread(got, 1, sizeof(got) - 1, f);
	fclose(f);
	got[n] = '\0';
	return strcmp(got, data) == 0;
}

/* Issue #12 defect 2: ".wh..." named "..", which wiped the rootfs's parent;
 * every malformed whiteout name now refuses the layer, and nothing outside
 * the rootfs changes. */
static void test_whiteout_escape(void **st)
{
	static const char *const bad[] = {".wh...",      ".wh..",  ".wh.",      "sub/.wh...", "sub/.wh..",
					  "sub/.wh.x/y", ".wh.x/", ".wh..wh.x", "../.wh.x"};
	const struct ent base[] = {{"sub/", 'd', NULL}, {"sub/keep", 'f', "k"}};
	char p[128], sentinel[128], err[256];
	size_t i;

	snprintf(sentinel, sizeof(sentinel), "%s/sentinel", dir);
	put_file(sentinel, "outside");
	snprintf(p, sizeof(p), "%s/base.tar", dir);
	make_layer(p, base, 2, false);
	assert_int_equal(oci_apply_layer(p, rootfs, NULL, err, sizeof(err)), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const struct ent wh[] = {{bad[i], 'f', ""}};

		snprintf(p, sizeof(p), "%s/wh%zu.tar", dir, i);
		make_layer(p, wh, 1, false);
		err[0] = '\0';
		assert_int_not_equal(oci_apply_layer(p, rootfs, NULL, err, sizeof(err)), 0);
		assert_true(err[0] != '\0');
		assert_true(file_is(sentinel, "outside"));
		assert_true(exists("sub/keep"));
	}
}

/* Whiteouts and hard links never act through a symlink out of the tree. */
static void test_no_write_through_links(void **st)
{
	char p[128], outside[128], secret[160], target[200], err[256];
	const struct ent lnk[] = {{"lnk", 'l', outside}, {"abs", 'l', secret}};
	const struct ent wh[] = {{"lnk/.wh.secret", 'f', ""}, {"lnk/.wh..wh..opq", 'f', ""}};
	const struct ent hard[] = {{"h", 'H', target}};

	snprintf(outside, sizeof(outside), "%s/outside", dir);
	snprintf(secret, sizeof(secret), "%s/secret", outside);
	assert_int_equal(mkdir(outside, 0755), 0);
	put_file(secret, "secret");
	snprintf(p, sizeof(p), "%s/links.tar", dir);
	make_layer(p, lnk, 2, false);
	assert_int_equal(oci_apply_layer(p, rootfs, NULL, err, sizeof(err)), 0);

	make_layer(p, wh, 2, false);
	oci_apply_layer(p, rootfs, NULL, err, sizeof(err));
	assert_true(file_is(secret, "secret"));

	/* A hard link to the symlink "abs", carrying data to write. */
	memcpy(target, "abs\0pwned", 10);
	target[10] = '\0';
	make_layer(p, hard, 1, false);
	oci_apply_layer(p, rootfs, NULL, err, sizeof(err));
	assert_true(file_is(secret, "secret"));
}

/* Issue #12 defect 7: a small layer that inflates past the budget. */
static void test_layer_budget(void **st)
{
	const struct ent bomb[] = {{"small", 'f', "s"}, {"big", 'z', "xxxx"}}; /* 4 MiB of zeros */
	char p[128], err[256] = "";
	struct stat sb;
	uint64_t budget = 1u << 20;

	snprintf(p, sizeof(p), "%s/bomb.tar.gz", dir);
	make_layer(p, bomb, 2, true);
	assert_int_equal(stat(p, &sb), 0);
	assert_true(sb.st_size < 64 * 1024);
	assert_int_equal(oci_apply_layer(p, rootfs, &budget, err, sizeof(err)), -EVE_ETOOBIG);
	assert_non_null(strstr(err, "cap"));
	assert_false(exists("big"));

	budget = 8u << 20;
	assert_int_equal(oci_apply_layer(p, rootfs, &budget, err, sizeof(err)), 0);
	assert_true(exists("big"));
	assert_true(budget < (8u << 20) - (4u << 20));
}

/* --- whole images --- */

struct blob {
	char hex[65];
	char *data;
	size_t len;
};

static void blob_of_file(const char *path, struct blob *b)
{
	FILE *f = fopen(path, "rb");
	uint8_t h[32];
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b->data = malloc((size_t)n + 1);
	assert_non_null(b->data);
	assert_int_equal(fread(b->data, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	b->len = (size_t)n;
	crypto_sha256(b->data, b->len, h);
	hexstr_encode(h, 32, b->hex);
}

static void blob_of_text(const char *text, struct blob *b)
{
	uint8_t h[32];

	b->data = strdup(text);
	b->len = strlen(text);
	crypto_sha256(b->data, b->len, h);
	hexstr_encode(h, 32, b->hex);
}

static void tar_add(struct archive *a, const char *name, const void *data, size_t len)
{
	struct archive_entry *x = archive_entry_new();

	archive_entry_set_pathname(x, name);
	archive_entry_set_filetype(x, AE_IFREG);
	archive_entry_set_perm(x, 0644);
	archive_entry_set_size(x, (la_int64_t)len);
	archive_write_header(a, x);
	archive_write_data(a, data, len);
	archive_entry_free(x);
}

enum img_flaw { IMG_OK, IMG_BAD_LAYER, IMG_BAD_MANIFEST };

/* An OCI layout tarball at out whose one layer is layer_path; with a flaw,
 * the bytes stored for the layer (or the manifest) differ from the digest
 * that names them. */
static void make_oci_image(const char *out, const char *layer_path, enum img_flaw flaw)
{
	struct blob layer, cfg, man, idx;
	char text[2048], name[128];
	struct archive *a = archive_write_new();

	blob_of_file(layer_path, &layer);
	snprintf(text, sizeof(text),
		 "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"/bin/sh\"]},"
		 "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:%s\"]}}",
		 layer.hex);
	blob_of_text(text, &cfg);
	snprintf(text, sizeof(text),
		 "{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:%s\",\"size\":%zu},"
		 "\"layers\":[{\"digest\":\"sha256:%s\",\"size\":%zu}]}",
		 cfg.hex, cfg.len, layer.hex, layer.len);
	blob_of_text(text, &man);
	snprintf(text, sizeof(text),
		 "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"sha256:%s\",\"size\":%zu,"
		 "\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}]}",
		 man.hex, man.len);
	blob_of_text(text, &idx);
	if (flaw == IMG_BAD_LAYER)
		layer.data[layer.len / 2] ^= 0x01;
	if (flaw == IMG_BAD_MANIFEST)
		man.data[man.len - 2] = ' ';
	archive_write_set_format_pax_restricted(a);
	assert_int_equal(archive_write_open_filename(a, out), ARCHIVE_OK);
	tar_add(a, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
	tar_add(a, "index.json", idx.data, idx.len);
	snprintf(name, sizeof(name), "blobs/sha256/%s", man.hex);
	tar_add(a, name, man.data, man.len);
	snprintf(name, sizeof(name), "blobs/sha256/%s", cfg.hex);
	tar_add(a, name, cfg.data, cfg.len);
	snprintf(name, sizeof(name), "blobs/sha256/%s", layer.hex);
	tar_add(a, name, layer.data, layer.len);
	archive_write_close(a);
	archive_write_free(a);
	free(layer.data);
	free(cfg.data);
	free(man.data);
	free(idx.data);
}

/* A docker-save tarball: manifest.json, <hex>.json config, <id>/layer.tar;
 * with IMG_BAD_LAYER the layer's bytes do not hash to its diff_id. */
static void make_docker_image(const char *out, const char *layer_path, enum img_flaw flaw)
{
	struct blob layer, cfg, man;
	char text[1024], name[128];
	struct archive *a = archive_write_new();

	blob_of_file(layer_path, &layer);
	snprintf(text, sizeof(text),
		 "{\"config\":{\"Cmd\":[\"/bin/sh\"]},\"rootfs\":{\"type\":\"layers\","
		 "\"diff_ids\":[\"sha256:%s\"]}}",
		 layer.hex);
	blob_of_text(text, &cfg);
	snprintf(text, sizeof(text), "[{\"Config\":\"%s.json\",\"Layers\":[\"abc/layer.tar\"]}]", cfg.hex);
	blob_of_text(text, &man);
	if (flaw == IMG_BAD_LAYER)
		layer.data[layer.len / 2] ^= 0x01;
	archive_write_set_format_pax_restricted(a);
	assert_int_equal(archive_write_open_filename(a, out), ARCHIVE_OK);
	tar_add(a, "manifest.json", man.data, man.len);
	snprintf(name, sizeof(name), "%s.json", cfg.hex);
	tar_add(a, name, cfg.data, cfg.len);
	tar_add(a, "abc/layer.tar", layer.data, layer.len);
	archive_write_close(a);
	archive_write_free(a);
	free(layer.data);
	free(cfg.data);
	free(man.data);
}

static void paths(char *img, char *rf, char *cfg)
{
	snprintf(img, 128, "%s/image.tar", dir);
	snprintf(rf, 160, "%s/vol/rootfs", dir);
	snprintf(cfg, 160, "%s/vol/config.json", dir);
}

/* Issue #12 defect 7: layers are checked against their manifest digests. */
static void test_image_digests(void **st)
{
	const struct ent files[] = {{"bin/", 'd', NULL}, {"bin/hello", 'f', "hello"}};
	char lp[128], img[128], rf[160], cfg[160], probe[200], err[512];
	struct stat sb;

	paths(img, rf, cfg);
	snprintf(lp, sizeof(lp), "%s/layer.tar", dir);
	make_layer(lp, files, 2, false);
	snprintf(probe, sizeof(probe), "%s/bin/hello", rf);

	make_oci_image(img, lp, IMG_OK);
	assert_int_equal(oci_unpack(img, rf, cfg, 0, err, sizeof(err)), 0);
	assert_true(file_is(probe, "hello"));
	assert_int_equal(stat(cfg, &sb), 0);

	make_oci_image(img, lp, IMG_BAD_LAYER);
	err[0] = '\0';
	assert_int_equal(oci_unpack(img, rf, cfg, 0, err, sizeof(err)), -EVE_EHASH);
	assert_non_null(strstr(err, "layer digest mismatch"));
	assert_int_not_equal(stat(rf, &sb), 0); /* nothing left behind */
	assert_int_not_equal(stat(cfg, &sb), 0);

	make_oci_image(img, lp, IMG_BAD_MANIFEST);
	assert_int_equal(oci_unpack(img, rf, cfg, 0, err, sizeof(err)), -EVE_EHASH);
	assert_non_null(strstr(err, "manifest digest mismatch"));

	make_docker_image(img, lp, IMG_OK);
	assert_int_equal(oci_unpack(img, rf, cfg, 0, err, sizeof(err)), 0);
	assert_true(file_is(probe, "hello"));
	make_docker_image(img, lp, IMG_BAD_LAYER);
	assert_int_equal(oci_unpack(img, rf, cfg, 0, err, sizeof(err)), -EVE_EHASH);
	assert_non_null(strstr(err, "layer digest mismatch"));
	assert_int_not_equal(stat(rf, &sb), 0);
}

/* Issue #12 defect 7: an image whose layer inflates past the cap is
 * refused and leaves no partial rootfs. */
static void test_image_cap(void **st)
{
	const struct ent bomb[] = {{"a", 'f', "a"}, {"big", 'z', "xxxxxxxx"}}; /* 8 MiB of zeros */
	char lp[128], img[128], rf[160], cfg[160], err[512] = "";
	struct stat sb;

	paths(img, rf, cfg);
	snprintf(lp, sizeof(lp), "%s/bomb.tar.gz", dir);
	make_layer(lp, bomb, 2, true);
	make_oci_image(img, lp, IMG_OK);
	assert_int_equal(stat(img, &sb), 0);
	assert_true(sb.st_size < 64 * 1024);
	assert_int_equal(oci_unpack(img, rf, cfg, 2u << 20, err, sizeof(err)), -EVE_ETOOBIG);
	assert_non_null(strstr(err, "cap"));
	assert_int_not_equal(stat(rf, &sb), 0);
	assert_int_not_equal(stat(cfg, &sb), 0);
	assert_int_equal(oci_unpack(img, rf, cfg, 16u << 20, err, sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_layers_whiteouts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_escapes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_an_image, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_whiteout_escape, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_write_through_links, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_layer_budget, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_image_digests, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_image_cap, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
