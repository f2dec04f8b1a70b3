// SPDX-License-Identifier: Apache-2.0
/* The device's own rollback of an app update (timer.app.update.rollback).
 *
 * When the config moves an app's image volume from content tree A to B and
 * the timer is on, the image built from A is kept aside in
 * <state>/rollback/<volume>/ (prev-rootfs, prev-image-config.json or
 * prev-disk.qcow2, and "trial": A, the app version that ran it, A's blob)
 * and the update is on trial. If the app does not run when the timer ends,
 * or fails three times before, the runtime rolls it back by itself: it
 * records the decision ("rolled"), restores the data volumes' snapshots of
 * A (rt_volume_image_change), puts A's image back and restarts the app. The
 * app then reports the version that ran A, its real state, and the reason
 * as its error text. It stays on A while the config names the failed
 * update (same content tree and app version): a new generation from the
 * controller (any other version) ends the rollback. An update that runs
 * when the timer ends drops what was kept.
 *
 * Crash safety: "rolled" is written before anything is changed, and every
 * step after it is idempotent (the data volumes' change; the image put
 * back file by file, its ready marker written last), so a runtime killed
 * during a rollback finishes it when it starts again. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "fileio.h"
#include "rt_internal.h"
#include "volume.h"

#define ST(x) ORG__LFEDGE__EVE__INFO__ZSW_STATE__##x
/* Failures of the updated app that end its trial at once. */
#define RB_MAX_FAILS 3
#define RB_FILE_MAX 4096

static const char *const kept_files[] = {"rootfs", "root.img", "image-config.json", "disk.qcow2"};
#define N_KEPT (sizeof(kept_files) / sizeof(kept_files[0]))

static int rb_dir(const struct runtime *rt, const char *uuid, char *out, size_t n)
{
	return (size_t)snprintf(out, n, "%s/rollback/%s", rt->state_dir, uuid) >= n ? -ENAMETOOLONG : 0;
}

static int rb_file(const struct runtime *rt, const char *uuid, const char *leaf, char *out, size_t n)
{
	return (size_t)snprintf(out, n, "%s/rollback/%s/%s", rt->state_dir, uuid, leaf) >= n ? -ENAMETOOLONG
											     : 0;
}

/* The app whose image (first) volume v is, in the config; NULL if none. */
static const rt_app_cfg *img_app(const struct runtime *rt, const struct rt_vol *v)
{
	for (size_t i = 0; rt->cfg && i < rt->cfg->n_apps; i++) {
		const rt_app_cfg *a = rt->cfg->apps[i];

		if (a->n_volumereflist && a->volumereflist[0]->uuid && a->uuidandversion &&
		    a->uuidandversion->uuid && strcmp(a->volumereflist[0]->uuid, v->uuid) == 0)
			return a;
	}
	return NULL;
}

static const char *cfg_version(const rt_app_cfg *a)
{
	return a && a->uuidandversion->version ? a->uuidandversion->version : "";
}

/* "key value" lines: the value of key into out ("" when absent). */
static void kv_get(const char *text, const char *key, char *out, size_t n)
{
	size_t kl = strlen(key);

	out[0] = '\0';
	for (const char *p = text; p && *p;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);

		if (len > kl && strncmp(p, key, kl) == 0 && p[kl] == ' ') {
			snprintf(out, n, "%.*s", (int)(len - kl - 1), p + kl + 1);
			return;
		}
		p = eol ? eol + 1 : NULL;
	}
}

static int read_text(const char *path, char **text)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int r = fileio_read(path, RB_FILE_MAX, &data, &len);

	if (r < 0)
		return r;
	*text = (char *)data; /* fileio_read NUL-terminates */
	return 0;
}

/* Values go on one line each: no newline in them. */
static void one_line(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
}

/* The blob a volume's image came from (v->image's file name) or "". */
static const char *blob_of(const struct rt_vol *v)
{
	const char *slash = v->image ? strrchr(v->image, '/') : NULL;

	return slash ? slash + 1 : "";
}

/* Remove what was kept for volume uuid (v: its volume, or NULL). */
static void rb_drop(const struct runtime *rt, const char *uuid, struct rt_vol *v)
{
	char d[4096];

	if (v)
		v->kept_blob[0] = '\0';

	if (rb_dir(rt, uuid, d, sizeof(d)) == 0)
		volume_remove_dir(d);
}

void rt_rollback_begin(struct runtime *rt, struct rt_vol *img, const char *old_ct)
{
	char d[4096], vd[4096], from[4200], to[4200], body[1024], ver[64] = "";
	const rt_app_cfg *a = img_app(rt, img);
	bool any = false;
	int n;

	img->trial_until = 0;
	img->rolled = false;
	rb_drop(rt, img->uuid, img);
	if (!rt->props.app_rollback_ms || !a || !img->ready ||
	    (img->kind != RT_VOL_ROOTFS && img->kind != RT_VOL_DISK))
		return;
	/* the version that ran old_ct: the app as the runtime knows it yet */
	for (size_t i = 0; i < rt->n_apps; i++)
		if (strcmp(rt->apps[i]->uuid, a->uuidandversion->uuid) == 0)
			snprintf(ver, sizeof(ver), "%s", rt->apps[i]->version ? rt->apps[i]->version : "");
	one_line(ver);
	if (rb_dir(rt, img->uuid, d, sizeof(d)) < 0 || fileio_mkdirs(d, 0700) < 0 ||
	    (size_t)snprintf(vd, sizeof(vd), "%s/%s", rt->vols_dir, img->uuid) >= sizeof(vd))
		return;
	for (size_t i = 0; i < N_KEPT; i++) {
		snprintf(from, sizeof(from), "%s/%s", vd, kept_files[i]);
		snprintf(to, sizeof(to), "%s/prev-%s", d, kept_files[i]);
		if (access(from, F_OK) == 0 && rename(from, to) == 0)
			any = true;
	}
	n = snprintf(body, sizeof(body), "ct %s\nver %s\nblob %s\nkind %d\nfmt %s\n", old_ct, ver,
		     blob_of(img), (int)img->kind, img->fmt ? img->fmt : "");
	snprintf(to, sizeof(to), "%s/trial", d);
	if (!any || n < 0 || (size_t)n >= sizeof(body) ||
	    fileio_write_atomic(to, body, (size_t)n, 0600) < 0) {
		rb_drop(rt, img->uuid, img);
		return;
	}
	snprintf(img->kept_blob, sizeof(img->kept_blob), "%s", blob_of(img));
	img->trial_until = rt_now_ms() + rt->props.app_rollback_ms;
	img->trial_fails = 0;
	img->trial_seen = -1;
}

/* Read the volume's rollback state once (a runtime that starts again). */
static void rb_load(struct runtime *rt, struct rt_vol *v)
{
	char path[4096];
	char *text = NULL;

	v->rb_loaded = true;
	if (rb_file(rt, v->uuid, "rolled", path, sizeof(path)) == 0 && read_text(path, &text) == 0) {
		char ct[RT_ID_MAX];

		kv_get(text, "ct", ct, sizeof(ct));
		kv_get(text, "ver", v->rolled_ver, sizeof(v->rolled_ver));
		kv_get(text, "failed_ct", v->failed_ct, sizeof(v->failed_ct));
		kv_get(text, "failed_ver", v->failed_ver, sizeof(v->failed_ver));
		kv_get(text, "why", v->rolled_why, sizeof(v->rolled_why));
		kv_get(text, "blob", v->kept_blob, sizeof(v->kept_blob));
		v->rolled = ct[0] && v->failed_ct[0];
		if (v->rolled)
			snprintf(v->ct, sizeof(v->ct), "%s", ct);
		free(text);
		return;
	}
	if (rb_file(rt, v->uuid, "trial", path, sizeof(path)) == 0 && rt->props.app_rollback_ms &&
	    read_text(path, &text) == 0) {
		/* on trial when the runtime stopped: the trial starts again */
		kv_get(text, "blob", v->kept_blob, sizeof(v->kept_blob));
		free(text);
		v->trial_until = rt_now_ms() + rt->props.app_rollback_ms;
		v->trial_fails = 0;
		v->trial_seen = -1;
	}
}

const char *rt_rollback_ct(struct runtime *rt, struct rt_vol *v, const char *cfg_ct)
{
	const rt_app_cfg *a;

	if (!v->rb_loaded)
		rb_load(rt, v);
	if (!v->rolled)
		return cfg_ct;
	a = img_app(rt, v);
	if (a && strcmp(cfg_ct, v->failed_ct) == 0 && strcmp(cfg_version(a), v->failed_ver) == 0)
		return v->ct; /* still the failed update: stay rolled back */
	/* a new generation from the controller */
	v->rolled = false;
	v->rolled_why[0] = '\0';
	rb_drop(rt, v->uuid, v);
	return cfg_ct;
}

/* Put the kept image back into the volume's directory (each file replaced
 * by rename; the ready marker last). Idempotent. */
static int rb_put_back(struct runtime *rt, struct rt_vol *v, char *err, size_t errlen)
{
	char d[4096], vd[4096], from[4200], to[4200], text_path[4200];
	char *text = NULL, kind[16] = "", fmt[16] = "", blob[BLOBSTORE_HEX_LEN] = "";
	bool have = false;
	int r;

	if (rb_dir(rt, v->uuid, d, sizeof(d)) < 0 ||
	    (size_t)snprintf(vd, sizeof(vd), "%s/%s", rt->vols_dir, v->uuid) >= sizeof(vd))
		return -ENAMETOOLONG;
	snprintf(text_path, sizeof(text_path), "%s/rolled", d);
	if (read_text(text_path, &text) == 0) {
		kv_get(text, "kind", kind, sizeof(kind));
		kv_get(text, "fmt", fmt, sizeof(fmt));
		kv_get(text, "blob", blob, sizeof(blob));
		free(text);
	}
	v->kind = (enum rt_vol_kind)atoi(kind);
	v->fmt = strcmp(fmt, "qcow2") == 0 ? "qcow2" : "raw";
	free(v->path);
	free(v->image);
	v->path = v->image = NULL;
	if (blob[0] && blobstore_path(rt->bs, blob, &v->image) < 0)
		v->image = NULL;
	r = fileio_mkdirs(vd, 0755);
	if (r < 0)
		return r;
	for (size_t i = 0; i < N_KEPT && !have; i++) {
		snprintf(from, sizeof(from), "%s/prev-%s", d, kept_files[i]);
		have = access(from, F_OK) == 0;
	}
	if (have) {
		/* the failed update's volume goes, its ready marker first (a
		 * crash from here on finds the volume not ready) */
		bool root_kept;

		snprintf(to, sizeof(to), "%s/ready", vd);
		unlink(to);
		snprintf(from, sizeof(from), "%s/prev-rootfs", d);
		root_kept = access(from, F_OK) == 0;
		snprintf(from, sizeof(from), "%s/prev-root.img", d);
		root_kept = root_kept || access(from, F_OK) == 0;
		for (size_t i = 0; i < N_KEPT; i++) {
			snprintf(to, sizeof(to), "%s/%s", vd, kept_files[i]);
			snprintf(from, sizeof(from), "%s/prev-%s", d, kept_files[i]);
			/* its root in either form while the old root is still kept
			 * (not after a crash that already moved it back) */
			if (access(from, F_OK) == 0 || (i < 2 && root_kept))
				volume_remove_dir(to);
		}
	}
	for (size_t i = 0; i < N_KEPT; i++) {
		snprintf(from, sizeof(from), "%s/prev-%s", d, kept_files[i]);
		snprintf(to, sizeof(to), "%s/%s", vd, kept_files[i]);
		if (access(from, F_OK) != 0)
			continue;
		if (rename(from, to) < 0) {
			snprintf(err, errlen, "rollback: putting back %.300s: %s", to, strerror(errno));
			return -errno;
		}
	}
	/* a disk, a root directory, or a root filesystem image */
	snprintf(to, sizeof(to), "%s/rootfs", vd);
	if (asprintf(&v->path, "%s/%s", vd,
		     v->kind == RT_VOL_DISK  ? "disk.qcow2"
		     : access(to, F_OK) == 0 ? "rootfs"
					     : "root.img") < 0) {
		v->path = NULL;
		return -ENOMEM;
	}
	have = access(v->path, F_OK) == 0;
	if (!have) {
		snprintf(err, errlen, "rollback: the image from before the update is gone (%.300s)", v->path);
		return -ENOENT;
	}
	return rt_volume_write_ready(vd, v);
}

void rt_rollback_restore(struct runtime *rt, struct rt_vol *v)
{
	int r;

	v->err[0] = '\0';
	r = rb_put_back(rt, v, v->err, sizeof(v->err));
	if (r < 0) {
		if (!v->err[0])
			rt_seterr(v->err, "rollback of volume %s: %s", v->uuid, eve_strerror(r));
		v->state = ST(ERROR);
		return;
	}
	v->err[0] = '\0';
	v->ready = true;
	v->build++;
	v->state = ST(CREATED_VOLUME);
}

/* Roll the app back: record, data volumes, image, restart. */
static void rb_do(struct runtime *rt, struct rt_app *a, struct rt_vol *v, const char *why)
{
	char d[4096], path[4200], body[2048], trial_ct[RT_ID_MAX], ver[64], blob[BLOBSTORE_HEX_LEN];
	char kind[16], fmt[16], failed[RT_ID_MAX];
	char *text = NULL;
	int n;

	v->trial_until = 0;
	if (rb_dir(rt, v->uuid, d, sizeof(d)) < 0)
		return;
	snprintf(path, sizeof(path), "%s/trial", d);
	if (read_text(path, &text) < 0)
		return;
	kv_get(text, "ct", trial_ct, sizeof(trial_ct));
	kv_get(text, "ver", ver, sizeof(ver));
	kv_get(text, "blob", blob, sizeof(blob));
	kv_get(text, "kind", kind, sizeof(kind));
	kv_get(text, "fmt", fmt, sizeof(fmt));
	free(text);
	if (!trial_ct[0])
		return;
	snprintf(failed, sizeof(failed), "%s", v->ct);
	snprintf(v->rolled_why, sizeof(v->rolled_why), "rolled back on the device to version %s: %s", ver,
		 why);
	one_line(v->rolled_why);
	n = snprintf(body, sizeof(body),
		     "ct %s\nver %s\nfailed_ct %s\nfailed_ver %s\nblob %s\nkind %s\nfmt %s\nwhy %s\n",
		     trial_ct, ver, failed, a->version ? a->version : "", blob, kind, fmt, v->rolled_why);
	snprintf(path, sizeof(path), "%s/rolled", d);
	if (n < 0 || (size_t)n >= sizeof(body) || fileio_write_atomic(path, body, (size_t)n, 0600) < 0)
		return;
	snprintf(path, sizeof(path), "%s/trial", d);
	unlink(path);
	v->rolled = true;
	snprintf(v->rolled_ver, sizeof(v->rolled_ver), "%s", ver);
	snprintf(v->failed_ct, sizeof(v->failed_ct), "%s", failed);
	snprintf(v->failed_ver, sizeof(v->failed_ver), "%s", a->version ? a->version : "");
	snprintf(v->ct, sizeof(v->ct), "%s", trial_ct);
	/* the data volumes back to their snapshots of the old image, with
	 * the app stopped */
	rt->app_stop(rt, a->uuid);
	rt_volume_image_change(rt, v, failed, trial_ct);
	v->ready = false;
	rt_rollback_restore(rt, v);
	a->crashes = 0;
	a->next_start = 0;
}

void rt_rollback_watch(struct runtime *rt, struct rt_app *a)
{
	struct rt_vol *v =
	    a->cfg && a->cfg->n_volumereflist ? rt_volume_find(rt, a->cfg->volumereflist[0]->uuid) : NULL;
	const ProtobufCEnumValue *sv;
	char why[RT_ERR_MAX];

	a->rolled_ver = NULL;
	a->rolled_why[0] = '\0';
	if (!v)
		return;
	if (v->rolled) {
		a->rolled_ver = v->rolled_ver;
		snprintf(a->rolled_why, sizeof(a->rolled_why), "%s", v->rolled_why);
		return;
	}
	if (!v->trial_until || !a->cfg->activate)
		return;
	if (a->state == ST(ERROR) && v->trial_seen != ST(ERROR))
		v->trial_fails++;
	v->trial_seen = a->state;
	if (v->trial_fails >= RB_MAX_FAILS) {
		rt_seterr(why, "version %s failed %u times within %llu s of the update (%s)",
			  a->version ? a->version : "", v->trial_fails,
			  (unsigned long long)(rt->props.app_rollback_ms / 1000),
			  a->err[0] ? a->err : "no error text");
		rb_do(rt, a, v, why);
		return;
	}
	if (rt_now_ms() < v->trial_until)
		return;
	if (a->state == ST(RUNNING)) { /* the update runs: nothing to keep */
		v->trial_until = 0;
		rb_drop(rt, v->uuid, v);
		return;
	}
	sv = protobuf_c_enum_descriptor_get_value(&org__lfedge__eve__info__zsw_state__descriptor, a->state);
	rt_seterr(why, "version %s did not reach RUNNING within %llu s of the update (%s%s%s)",
		  a->version ? a->version : "", (unsigned long long)(rt->props.app_rollback_ms / 1000),
		  sv ? sv->name : "?", a->err[0] ? ": " : "", a->err);
	rb_do(rt, a, v, why);
}

void rt_rollback_forget(struct runtime *rt, const struct rt_vol *v)
{
	rb_drop(rt, v->uuid, NULL);
}

void rt_rollback_gc(struct runtime *rt)
{
	char d[4096];
	struct dirent *de;
	DIR *dir;

	if ((size_t)snprintf(d, sizeof(d), "%s/rollback", rt->state_dir) >= sizeof(d) || !(dir = opendir(d)))
		return;
	while ((de = readdir(dir)))
		if (de->d_name[0] != '.' && !rt_volume_find(rt, de->d_name))
			rb_drop(rt, de->d_name, NULL);
	closedir(dir);
}
