// SPDX-License-Identifier: Apache-2.0
/* Volumes: built from loaded content trees (qcow2 overlay on a disk image,
 * the ISO blob itself as a read-only CD-ROM, an unpacked OCI rootfs) or
 * blank; purged (rebuilt) when their generation count changes; deleted when
 * they leave the config. A "ready" file written last marks a finished
 * volume, so one left half-built by a crash is rebuilt. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "fileio.h"
#include "oci_unpack.h"
#include "rt_internal.h"
#include "uuidgen.h"
#include "volume.h"

#define ST(x) ORG__LFEDGE__EVE__INFO__ZSW_STATE__##x
#define FMT(x) ORG__LFEDGE__EVE__CONFIG__FORMAT__##x
#define VOL_RETRY_MS 10000

/* Builds of volumes so far (worker thread only): rt_vol.build. */
static uint64_t vol_builds;

uint64_t rt_volume_sig(struct runtime *rt, const rt_app_cfg *app)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < app->n_volumereflist; i++) {
		const struct rt_vol *v = rt_volume_find(rt, app->volumereflist[i]->uuid);

		h = (h ^ (v && v->ready ? v->build : 0)) * 1099511628211ull;
	}
	return h;
}

void rt_volume_free(struct rt_vol *v)
{
	if (!v)
		return;
	free(v->name);
	free(v->path);
	free(v->image);
	free(v);
}

static char *vol_dir(struct runtime *rt, const struct rt_vol *v)
{
	char *d = NULL;

	if (asprintf(&d, "%s/%s", rt->vols_dir, v->uuid) < 0)
		return NULL;
	return d;
}

void rt_volume_purge(struct runtime *rt, struct rt_vol *v)
{
	char *d = vol_dir(rt, v);

	if (v->link[0])
		unlink(v->link);
	v->link[0] = '\0';

	if (d)
		volume_remove_dir(d);
	free(d);
	v->ready = false;
	v->next_try = 0;
	v->state = ST(INITIAL);
	v->err[0] = '\0';
}

static bool has_ready(const char *dir, const struct rt_vol *v)
{
	char path[4096], want[256], legacy[128];
	uint8_t *data = NULL;
	size_t len = 0;
	bool ok;

	snprintf(path, sizeof(path), "%s/ready", dir);
	snprintf(want, sizeof(want), "kind=%d gen=%lld ct=%s\n", (int)v->kind, (long long)v->gen, v->ct);
	/* markers written before they named the content tree */
	snprintf(legacy, sizeof(legacy), "kind=%d gen=%lld\n", (int)v->kind, (long long)v->gen);
	if (fileio_read(path, 256, &data, &len) < 0)
		return false;
	ok = strcmp((char *)data, want) == 0 || strcmp((char *)data, legacy) == 0;
	free(data);
	return ok;
}

/* The first app of the config that refers to the volume, or NULL. */
static const rt_app_cfg *vol_user(const struct runtime *rt, const struct rt_vol *v)
{
	for (size_t i = 0; rt->cfg && i < rt->cfg->n_apps; i++) {
		const rt_app_cfg *a = rt->cfg->apps[i];

		for (size_t j = 0; j < a->n_volumereflist; j++)
			if (a->volumereflist[j]->uuid && strcmp(a->volumereflist[j]->uuid, v->uuid) == 0)
				return a;
	}
	return NULL;
}

/* Whether a container app (VmConfig NOHYPER) refers to the volume: its
 * blank volume is then a filesystem to mount, not a disk. */
static bool vol_for_container(const struct runtime *rt, const struct rt_vol *v)
{
	const rt_app_cfg *a = vol_user(rt, v);

	return a && a->fixedresources &&
	       a->fixedresources->virtualizationmode == ORG__LFEDGE__EVE__CONFIG__VM_MODE__NOHYPER;
}

/* A blank volume built as a filesystem stays one while no app uses it (a
 * data volume outliving its container app, across restarts). */
static bool vol_has_fs(const char *dir)
{
	char p[4096];

	return (size_t)snprintf(p, sizeof(p), "%s/fs.img", dir) < sizeof(p) && access(p, F_OK) == 0;
}

/* A container's root of a given size (the app's storage) is an ext4 image
 * loop-mounted as / (its size caps what the app writes, at run time);
 * without a size, the unpacked directory. A directory built before root
 * images existed stays one until the volume is rebuilt. */
#define ROOT_IMG "root.img"
static bool vol_root_img(const struct rt_vol *v, const char *dir)
{
	char img[4096], tree[4096], ready[4096];

	if (!v->maxsize)
		return false;
	snprintf(img, sizeof(img), "%s/" ROOT_IMG, dir);
	snprintf(tree, sizeof(tree), "%s/rootfs", dir);
	snprintf(ready, sizeof(ready), "%s/ready", dir);
	return !(access(ready, F_OK) == 0 && access(tree, F_OK) == 0 && access(img, F_OK) != 0);
}

/* Decide kind, path and format from the origin; NULL ct for blank. */
static int vol_plan(struct runtime *rt, struct rt_vol *v, const struct rt_ct *c, const char *dir)
{
	free(v->path);
	free(v->image);
	v->path = v->image = NULL;
	if (c && blobstore_path(rt->bs, c->sha, &v->image) < 0)
		return -ENOMEM;
	if (c && c->format == FMT(CONTAINER)) {
		v->kind = RT_VOL_ROOTFS;
		return asprintf(&v->path, "%s/%s", dir, vol_root_img(v, dir) ? ROOT_IMG : "rootfs") < 0
			   ? -ENOMEM
			   : 0;
	}
	if (c && c->format == FMT(ISO)) {
		v->kind = RT_VOL_CDROM;
		v->fmt = "raw";
		v->path = strdup(v->image);
		return v->path ? 0 : -ENOMEM;
	}
	if (!c && (vol_for_container(rt, v) || vol_has_fs(dir))) {
		v->kind = RT_VOL_FS;
		v->fmt = "raw";
		return asprintf(&v->path, "%s/fs.img", dir) < 0 ? -ENOMEM : 0;
	}
	v->kind = RT_VOL_DISK;
	v->fmt = "qcow2";
	return asprintf(&v->path, "%s/disk.qcow2", dir) < 0 ? -ENOMEM : 0;
}

/* An image volume is at least its image's virtual size; a larger
 * maxsizebytes (the app's storage) grows it. 0 = the image's size. */
static uint64_t vol_overlay_size(const struct rt_vol *v)
{
	uint64_t base = 0;

	if (!v->maxsize || volume_image_vsize(v->image, &base) < 0)
		return 0;
	return v->maxsize > base ? v->maxsize : 0;
}

/* How many bytes a container volume may unpack to: its storage size when
 * the config gives one, else the property runtime.oci.unpack.max.bytes
 * (rt_props: a bad value keeps the default, the agent reports it). */
static uint64_t vol_unpack_cap(const struct runtime *rt, const struct rt_vol *v)
{
	if (v->maxsize)
		return v->maxsize;
	return rt->props.unpack_max ? rt->props.unpack_max : OCI_UNPACK_DEFAULT_MAX;
}

static int vol_build(struct runtime *rt, struct rt_vol *v, const struct rt_ct *c, const char *dir)
{
	char cfgpath[4096], tree[4096];
	uint64_t cap;
	int r;

	r = fileio_mkdirs(dir, 0755);
	if (r < 0) {
		rt_seterr(v->err, "mkdir %s: %s", dir, eve_strerror(r));
		return r;
	}
	switch (v->kind) {
	case RT_VOL_ROOTFS:
		snprintf(cfgpath, sizeof(cfgpath), "%s/image-config.json", dir);
		snprintf(tree, sizeof(tree), "%s/rootfs", dir);
		volume_remove_dir(v->path);
		volume_remove_dir(tree);
		cap = vol_unpack_cap(rt, v);
		if (c && c->oci) /* pulled from a registry: layers in the blob store */
			r = registry_unpack(rt->bs, c->sha, tree, cfgpath, cap, v->err, sizeof(v->err));
		else
			r = oci_unpack(v->image, tree, cfgpath, cap, v->err, sizeof(v->err));
		if (r < 0 || strcmp(v->path, tree) == 0)
			return r;
		/* the root image of the app's size, filled from the tree */
		r = volume_fs_create_from(v->path, v->maxsize, tree, v->err, sizeof(v->err));
		volume_remove_dir(tree);
		return r;
	case RT_VOL_CDROM:
		return 0;
	case RT_VOL_DISK:
		if (!c)
			return volume_blank(v->path, v->maxsize, v->err, sizeof(v->err));
		return volume_overlay(v->image, c->format == FMT(RAW) ? "raw" : "qcow2", v->path,
				      vol_overlay_size(v), v->err, sizeof(v->err));
	case RT_VOL_FS:
		return volume_fs_create(v->path, v->maxsize, v->err, sizeof(v->err));
	}
	return -EINVAL;
}

/* Bytes a volume may take on disk: its declared size, or its image's. */
static uint64_t vol_need(struct runtime *rt, const struct rt_vol *v)
{
	const struct rt_ct *c = v->ct[0] ? rt_content_find(rt, v->ct) : NULL;
	uint64_t n = v->kind == RT_VOL_CDROM ? 0 : v->maxsize;

	if (v->kind != RT_VOL_CDROM && c && c->size > n)
		n = c->size;
	return n;
}

/* What the runtime's other ready volumes declare. */
static uint64_t vols_used(struct runtime *rt, const struct rt_vol *self)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < rt->n_vols; i++)
		if (rt->vols[i] != self && rt->vols[i]->ready)
			sum += vol_need(rt, rt->vols[i]);
	return sum;
}

/* Move one volume towards ready. */
static void vol_step(struct runtime *rt, struct rt_vol *v)
{
	const struct rt_ct *c = v->ct[0] ? rt_content_find(rt, v->ct) : NULL;
	char *dir;
	int r;

	if (v->ready)
		return;
	if (v->rolled) { /* back on the image from before a failed update */
		rt_rollback_restore(rt, v);
		return;
	}
	if (v->ct[0] && !c) {
		rt_seterr(v->err, "volume %s: content tree %s is not in the config", v->uuid, v->ct);
		v->state = ST(ERROR);
		return;
	}
	if (c && c->state != ST(LOADED)) {
		v->state = c->state == ST(ERROR) ? ST(ERROR) : ST(DOWNLOAD_STARTED);
		if (c->state == ST(ERROR))
			rt_seterr(v->err, "%s", c->err);
		return;
	}
	if (rt_now_ms() < v->next_try)
		return;
	dir = vol_dir(rt, v);
	if (!dir || vol_plan(rt, v, c, dir) < 0) {
		free(dir);
		return;
	}
	if (has_ready(dir, v)) {
		v->ready = true;
		v->build = ++vol_builds;
		v->state = ST(CREATED_VOLUME);
		v->err[0] = '\0';
		free(dir);
		return;
	}
	/* storage.apps.ignore.disk.check, storage.dom0.disk.minusage.percent */
	v->err[0] = '\0';
	r = rt_props_disk_check(&rt->props, rt->vols_dir, vol_need(rt, v), vols_used(rt, v), v->err,
				sizeof(v->err));
	/* A blank volume no app uses yet is not built: whether it becomes a
	 * disk (a VM's) or a filesystem (a container's) follows its first app. */
	if (r == 0 && !c && !vol_user(rt, v)) {
		if (v->state != ST(INITIAL)) {
			v->state = ST(INITIAL);
			rt_report_vol(rt, v);
		}
		free(dir);
		return;
	}
	if (r == 0) {
		v->state = ST(CREATING_VOLUME);
		rt_report_vol(rt, v);
		r = vol_build(rt, v, c, dir);
	}
	if (r == 0)
		r = rt_volume_write_ready(dir, v);
	if (r == 0) {
		v->ready = true;
		v->build = ++vol_builds;
		v->state = ST(CREATED_VOLUME);
	} else {
		if (!v->err[0])
			rt_seterr(v->err, "creating volume %s: %s", v->uuid, eve_strerror(r));
		v->state = ST(ERROR);
		v->next_try = rt_now_ms() + VOL_RETRY_MS;
	}
	free(dir);
}

/* A volume found on disk built from another image than the config's: the
 * runtime stopped (kill -9) during the change of its app's image. Run the
 * change of its app's data volumes again (rt_volume_snap.c; idempotent);
 * the image volume itself is rebuilt, as its ready marker does not match. */
static void vol_resume_change(struct runtime *rt, struct rt_vol *v)
{
	char built[RT_ID_MAX];

	if (v->ct[0] && rt_volume_built_from(rt, v->uuid, built, sizeof(built)) == 0 &&
	    strcmp(built, v->ct) != 0)
		rt_volume_image_change(rt, v, built, v->ct);
}

static struct rt_vol *vol_track(struct runtime *rt, const rt_vol_cfg *vc)
{
	char want[RT_ID_MAX];
	struct rt_vol *v = rt_volume_find(rt, vc->uuid), **n;
	const char *ct = vc->origin && vc->origin->type ==
					   ORG__LFEDGE__EVE__CONFIG__VOLUME_CONTENT_ORIGIN_TYPE__VCOT_DOWNLOAD
			     ? vc->origin->downloadcontenttreeid
			     : "";

	if (!v) {
		v = calloc(1, sizeof(*v));
		n = v ? realloc(rt->vols, (rt->n_vols + 1) * sizeof(*n)) : NULL;
		if (!n) {
			free(v);
			return NULL;
		}
		rt->vols = n;
		snprintf(v->uuid, sizeof(v->uuid), "%s", vc->uuid);
		/* As configured, so a volume found on disk after a restart of
		 * the agent is adopted, not purged as if its image changed. */
		snprintf(v->ct, sizeof(v->ct), "%s", ct ? ct : "");
		v->gen = vc->generationcount;
		v->state = ST(INITIAL);
		rt->vols[rt->n_vols++] = v;
		rt_rollback_ct(rt, v, ct ? ct : ""); /* reads its rollback state */
		vol_resume_change(rt, v);
	}
	/* an update rolled back on the device stays so (rt_rollback.c) */
	snprintf(want, sizeof(want), "%s", rt_rollback_ct(rt, v, ct ? ct : ""));
	ct = want;
	if (v->gen != vc->generationcount || strcmp(v->ct, ct) != 0) {
		if (v->ct[0] && ct[0] && strcmp(v->ct, ct) != 0) {
			rt_volume_image_change(rt, v, v->ct, ct); /* snapshots (rt_volume_snap.c) */
			rt_rollback_begin(rt, v, v->ct);          /* the update on trial */
		}
		rt_volume_purge(rt, v); /* purge: rebuild from the image */
		v->gen = vc->generationcount;
	}
	if (v->ct != ct)
		snprintf(v->ct, sizeof(v->ct), "%s", ct);
	v->maxsize = vc->maxsizebytes > 0 ? (uint64_t)vc->maxsizebytes : 0;
	v->readonly = vc->readonly;
	free(v->name);
	v->name = strdup(vc->displayname ? vc->displayname : "");
	return v;
}

/* Remove volume directories no volume of the config names. */
static void vol_gc_dirs(struct runtime *rt)
{
	DIR *d = opendir(rt->vols_dir);
	struct dirent *de;
	char path[4096];

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || rt_volume_find(rt, de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", rt->vols_dir, de->d_name);
		volume_remove_dir(path);
	}
	closedir(d);
}

void rt_volume_sync(struct runtime *rt)
{
	size_t i, j;

	for (i = 0; i < rt->n_vols; i++)
		rt->vols[i]->mark = false;
	for (i = 0; rt->cfg && i < rt->cfg->n_volumes; i++) {
		const rt_vol_cfg *vc = rt->cfg->volumes[i];
		struct rt_vol *v;

		if (!vc->uuid || !uuidgen_valid(vc->uuid))
			continue;
		v = vol_track(rt, vc);
		if (v)
			v->mark = true;
	}
	for (i = j = 0; i < rt->n_vols; i++) {
		if (rt->vols[i]->mark) {
			rt->vols[j++] = rt->vols[i];
			continue;
		}
		rt_volume_purge(rt, rt->vols[i]);
		rt_rollback_forget(rt, rt->vols[i]);
		rt_volume_free(rt->vols[i]);
	}
	rt->n_vols = j;
	vol_gc_dirs(rt);
	rt_rollback_gc(rt);
	rt_volume_usage(rt);
	for (i = 0; i < rt->n_vols; i++) {
		vol_step(rt, rt->vols[i]);
		rt_report_vol(rt, rt->vols[i]);
	}
}

/* Where the short links of rt_volume_mount live. */
#define RT_VOL_LINK_DIR "/run/eve-vol"
/* libvirt copies a loop backing file's name into LO_NAME_SIZE (64) bytes. */
#define LOOP_NAME_MAX 63

/* v->link = RT_VOL_LINK_DIR/<hash of path>-<uuid hex>.img -> v->path. */
static int vol_short_link(struct rt_vol *v, char *err, size_t errlen)
{
	char tmp[96], hex[33];
	uint32_t h = 2166136261u;
	size_t k = 0;
	int r = 0;

	for (const char *p = v->path; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	for (const char *p = v->uuid; *p && k < 32; p++)
		if (*p != '-')
			hex[k++] = *p;
	hex[k] = '\0';
	snprintf(v->link, sizeof(v->link), "%s/%08x-%s.img", RT_VOL_LINK_DIR, h, hex);
	snprintf(tmp, sizeof(tmp), "%s.tmp", v->link);
	if (fileio_mkdirs(RT_VOL_LINK_DIR, 0700) < 0 || (unlink(tmp), symlink(v->path, tmp) < 0) ||
	    rename(tmp, v->link) < 0) {
		r = -errno;
		snprintf(err, errlen, "volume %s: link %s: %s", v->uuid, v->link, strerror(errno));
		v->link[0] = '\0';
	}
	return r;
}

int rt_volume_mount(struct rt_vol *v, const Org__Lfedge__Eve__Config__VolumeRef *ref, struct hv_mount *m,
		    char *err, size_t errlen)
{
	const char *dir = ref->mount_dir;

	if (!dir || dir[0] != '/' || !dir[1] || strstr(dir, "..") || strlen(dir) > 255) {
		snprintf(err, errlen,
			 "volume %s: a container's volume needs an absolute mount point (got '%s')", v->uuid,
			 dir ? dir : "");
		return -EINVAL;
	}
	m->source = v->path;
	if (v->kind == RT_VOL_FS && strlen(v->path) > LOOP_NAME_MAX) {
		int r = vol_short_link(v, err, errlen);

		if (r < 0)
			return r;
		m->source = v->link;
	}
	m->target = dir;
	m->loop = v->kind == RT_VOL_FS;
	m->readonly = v->readonly;
	return 0;
}

int rt_volume_root(struct rt_vol *v, const char **src, bool *loop, char *err, size_t errlen)
{
	size_t n = strlen(v->path);

	*src = v->path;
	*loop = n > strlen(ROOT_IMG) && strcmp(v->path + n - strlen(ROOT_IMG), ROOT_IMG) == 0;
	if (*loop && n > LOOP_NAME_MAX) {
		int r = vol_short_link(v, err, errlen);

		if (r < 0)
			return r;
		*src = v->link;
	}
	return 0;
}

int rt_volume_spec_check(bool container, size_t n_disks, size_t n_mounts, char *err, size_t errlen)
{
	if (container && n_disks) {
		snprintf(err, errlen,
			 "a container app mounts filesystem volumes; a disk image volume cannot be "
			 "mounted");
		return -EINVAL;
	}
	if (!container && n_mounts) {
		snprintf(err, errlen, "a VM app attaches disks; a container image volume cannot be attached");
		return -EINVAL;
	}
	return 0;
}
