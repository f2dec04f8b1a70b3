/* Snapshots of an app's data volumes around a change of its image.
 *
 * When an app's image volume moves from content tree A to B, the runtime
 * stops the app and copies each of its data volumes (blank disk or
 * filesystem image) to <vol>/snap-A.img: the data as it was under image A.
 * If a snapshot snap-B.img exists (the app returns to an image it ran
 * before: a rollback), the data volume is restored from it, so the data
 * matches the image again. One snapshot per data volume is kept (the
 * newest).
 *
 * Crash safety: a snapshot is written to a temporary file, synced and
 * renamed, so it is whole or absent. A restore first records its intent
 * (<vol>/restore, the snapshot's name, written atomically), then copies the
 * snapshot to a temporary file and renames it over the volume; a runtime
 * that finds the intent (after kill -9) completes the restore before the
 * volume is used. Either the old data or the restored data, never a mix. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "fileio.h"
#include "rt_internal.h"
#include "volume.h"

#define SNAP_PREFIX "snap-"
#define SNAP_SUFFIX ".img"

static int fsync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* Copy src to dst atomically (dst.tmp, fsync, rename): reflink where the
 * filesystem has it, else a sparse copy. */
static int copy_atomic(const char *src, const char *dst, char *err, size_t errlen)
{
	char tmp[4096];
	char *argv[] = {"cp", "--reflink=auto", "--sparse=always", (char *)src, tmp, NULL};
	int r;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", dst) >= sizeof(tmp))
		return -ENAMETOOLONG;
	unlink(tmp);
	r = volume_run(argv, err, errlen);
	if (r == 0)
		r = fsync_path(tmp);
	if (r == 0 && rename(tmp, dst) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

static void snap_path(const struct rt_vol *v, const char *ct, char *out, size_t n)
{
	char dir[4096];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", v->path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	if ((size_t)snprintf(out, n, "%s/" SNAP_PREFIX "%s" SNAP_SUFFIX, dir, ct) >= n)
		out[0] = '\0'; /* too long: no snapshot (access fails) */
}

static void intent_path(const struct rt_vol *v, char *out, size_t n)
{
	char dir[4096];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", v->path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	if ((size_t)snprintf(out, n, "%s/restore", dir) >= n)
		out[0] = '\0';
}

/* Remove the snapshots of v but keep_ct's. */
static void snap_prune(const struct rt_vol *v, const char *keep_ct)
{
	char keep[4096], dir[4096], p[4096];
	char *slash;
	struct dirent *de;
	DIR *d;

	snap_path(v, keep_ct, keep, sizeof(keep));
	snprintf(dir, sizeof(dir), "%s", v->path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, SNAP_PREFIX, strlen(SNAP_PREFIX)) != 0)
			continue;
		if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) >= sizeof(p))
			continue;
		if (strcmp(p, keep) != 0)
			unlink(p);
	}
	closedir(d);
}

/* Complete a recorded restore of v (idempotent). */
static int restore_run(struct rt_vol *v)
{
	char intent[4096], snap[4096];
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	intent_path(v, intent, sizeof(intent));
	r = fileio_read(intent, 4096, &data, &len);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	snprintf(snap, sizeof(snap), "%.*s", (int)len, (const char *)data);
	free(data);
	if (access(snap, R_OK) == 0) {
		r = copy_atomic(snap, v->path, v->err, sizeof(v->err));
		if (r < 0)
			return r;
	}
	unlink(intent);
	v->build++; /* new data under the app: it restarts on it */
	return 0;
}

int rt_volume_restore_pending(struct rt_vol *v)
{
	if (!v->path || (v->kind != RT_VOL_FS && v->kind != RT_VOL_DISK))
		return 0;
	return restore_run(v);
}

/* Snapshot data volume v as it is under old_ct; restore it from its
 * snapshot of new_ct when there is one. */
static int snap_one(struct rt_vol *v, const char *old_ct, const char *new_ct)
{
	char snap_old[4096], snap_new[4096], intent[4096];
	int r;

	snap_path(v, old_ct, snap_old, sizeof(snap_old));
	snap_path(v, new_ct, snap_new, sizeof(snap_new));
	if (!snap_old[0] || !snap_new[0])
		return -ENAMETOOLONG;
	r = copy_atomic(v->path, snap_old, v->err, sizeof(v->err));
	if (r < 0)
		return r;
	if (access(snap_new, R_OK) == 0) {
		intent_path(v, intent, sizeof(intent));
		r = fileio_write_atomic(intent, snap_new, strlen(snap_new), 0600);
		if (r == 0)
			r = restore_run(v);
		if (r < 0)
			return r;
	}
	snap_prune(v, old_ct);
	return 0;
}

void rt_volume_image_change(struct runtime *rt, const struct rt_vol *img, const char *old_ct,
			    const char *new_ct)
{
	for (size_t i = 0; rt->cfg && i < rt->cfg->n_apps; i++) {
		const rt_app_cfg *a = rt->cfg->apps[i];

		if (a->n_volumereflist < 2 || !a->volumereflist[0]->uuid ||
		    strcmp(a->volumereflist[0]->uuid, img->uuid) != 0 || !a->uuidandversion)
			continue;
		rt_app_stop(rt, a->uuidandversion->uuid);
		sync();
		for (size_t j = 1; j < a->n_volumereflist; j++) {
			struct rt_vol *v = rt_volume_find(rt, a->volumereflist[j]->uuid);

			if (!v || !v->ready || !v->path || (v->kind != RT_VOL_FS && v->kind != RT_VOL_DISK))
				continue;
			if (snap_one(v, old_ct, new_ct) < 0) {
				v->state = ORG__LFEDGE__EVE__INFO__ZSW_STATE__ERROR;
				v->ready = false; /* not used half-restored; retried */
			}
		}
	}
}
