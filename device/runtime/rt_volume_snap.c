// SPDX-License-Identifier: Apache-2.0
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
 * Crash safety (kill -9 anywhere): every file is written to a temporary
 * name, synced and renamed, so it is whole or absent. Each data volume has
 * a state file <vol>/change: "restore <ct> <snapshot>" once its snapshot is
 * taken and before its data is replaced, "done <ct>" when it holds the
 * data for image ct. The image volume's ready marker names the content tree
 * it was built from: a runtime that starts and finds it built from another
 * image than the config's (it was killed during a change) runs the change
 * again. The change is idempotent: a volume "done" for the new image is
 * skipped, one in "restore" completes its restore, one without a state is
 * snapshotted and restored from the start (its data was not touched yet).
 * So the app starts on the new image with the data that goes with it, or
 * (killed before its config was applied) on the old image with its data;
 * never a mix. EVE_VOLUME_CRASH_AT=<point> (tests) kills the process at
 * snapshotted / restoring / restored, once per volume. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
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

/* Test hook of the kill -9 tests: SIGKILL the first time `point` is
 * passed for the volume in dir (a marker file makes it once only). */
static void crashpoint(const char *dir, const char *point)
{
	const char *want = getenv("EVE_VOLUME_CRASH_AT");
	char mark[4096];

	if (!want || strcmp(want, point) != 0)
		return;
	if ((size_t)snprintf(mark, sizeof(mark), "%s/crashed-%s", dir, point) >= sizeof(mark) ||
	    access(mark, F_OK) == 0 || fileio_write_atomic(mark, "", 0, 0600) < 0)
		return;
	raise(SIGKILL);
}

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

/* A data volume on disk: its directory and data file. */
struct dvol {
	char dir[2048];
	char data[2200];
	char state[2200];
	char err[RT_ERR_MAX];
};

/* The data volume uuid if it is a built blank volume (filesystem image or
 * qcow2 disk); -ENOENT otherwise. */
static int dvol_open(const struct runtime *rt, const char *uuid, struct dvol *d)
{
	static const char *const files[] = {"fs.img", "disk.qcow2"};
	char ready[2200];

	memset(d, 0, sizeof(*d));
	if ((size_t)snprintf(d->dir, sizeof(d->dir), "%s/%s", rt->vols_dir, uuid) >= sizeof(d->dir))
		return -ENAMETOOLONG;
	snprintf(ready, sizeof(ready), "%s/ready", d->dir);
	snprintf(d->state, sizeof(d->state), "%s/change", d->dir);
	if (access(ready, F_OK) != 0)
		return -ENOENT;
	for (size_t i = 0; i < 2; i++) {
		snprintf(d->data, sizeof(d->data), "%s/%s", d->dir, files[i]);
		if (access(d->data, F_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

static void snap_name(const struct dvol *d, const char *ct, char *out, size_t n)
{
	if ((size_t)snprintf(out, n, "%s/" SNAP_PREFIX "%s" SNAP_SUFFIX, d->dir, ct) >= n)
		out[0] = '\0';
}

/* The volume's state file: "done <ct>" or "restore <ct> <snapshot>". */
static void state_read(const struct dvol *d, char *verb, char *ct, char *snap)
{
	uint8_t *data = NULL;
	size_t len = 0;
	char line[4200];

	verb[0] = ct[0] = snap[0] = '\0';
	if (fileio_read(d->state, sizeof(line) - 1, &data, &len) < 0)
		return;
	snprintf(line, sizeof(line), "%.*s", (int)len, (const char *)data);
	free(data);
	if (sscanf(line, "%15s %127s %4095s", verb, ct, snap) < 2)
		verb[0] = '\0';
}

static int state_write(const struct dvol *d, const char *verb, const char *ct, const char *snap)
{
	char line[4400];
	int n = snprintf(line, sizeof(line), "%s %s %s\n", verb, ct, snap ? snap : "");

	if (n < 0 || (size_t)n >= sizeof(line))
		return -ENAMETOOLONG;
	return fileio_write_atomic(d->state, line, (size_t)n, 0600);
}

/* Remove the volume's snapshots but keep's. */
static void snap_prune(const struct dvol *d, const char *keep)
{
	char p[4400];
	struct dirent *de;
	DIR *dir = opendir(d->dir);

	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, SNAP_PREFIX, strlen(SNAP_PREFIX)) != 0)
			continue;
		if ((size_t)snprintf(p, sizeof(p), "%s/%s", d->dir, de->d_name) < sizeof(p) &&
		    strcmp(p, keep) != 0)
			unlink(p);
	}
	closedir(dir);
}

/* Bring one data volume from its data under old_ct to that of new_ct. */
static int change_one(struct dvol *d, const char *old_ct, const char *new_ct)
{
	char verb[16], ct[128], snap[4096], snap_old[4096], snap_new[4096];
	int r;

	state_read(d, verb, ct, snap);
	if (strcmp(verb, "done") == 0 && strcmp(ct, new_ct) == 0)
		return 0; /* a re-run after a crash: already done */
	snap_name(d, old_ct, snap_old, sizeof(snap_old));
	snap_name(d, new_ct, snap_new, sizeof(snap_new));
	if (!snap_old[0] || !snap_new[0])
		return -ENAMETOOLONG;
	if (!(strcmp(verb, "restore") == 0 && strcmp(ct, new_ct) == 0)) {
		/* its data is still that of old_ct: snapshot it */
		r = copy_atomic(d->data, snap_old, d->err, sizeof(d->err));
		if (r < 0)
			return r;
		crashpoint(d->dir, "snapshotted");
		snprintf(snap, sizeof(snap), "%s", access(snap_new, R_OK) == 0 ? snap_new : "-");
		r = state_write(d, "restore", new_ct, snap);
		if (r < 0)
			return r;
	}
	if (strcmp(snap, "-") != 0) {
		crashpoint(d->dir, "restoring");
		r = copy_atomic(snap, d->data, d->err, sizeof(d->err));
		if (r < 0)
			return r;
		crashpoint(d->dir, "restored");
	}
	r = state_write(d, "done", new_ct, NULL);
	if (r == 0)
		snap_prune(d, snap_old);
	return r;
}

/* Stop the apps whose image volume is img, then change their data
 * volumes. */
void rt_volume_image_change(struct runtime *rt, const struct rt_vol *img, const char *old_ct,
			    const char *new_ct)
{
	for (size_t i = 0; rt->cfg && i < rt->cfg->n_apps; i++) {
		const rt_app_cfg *a = rt->cfg->apps[i];

		if (a->n_volumereflist < 2 || !a->volumereflist[0]->uuid ||
		    strcmp(a->volumereflist[0]->uuid, img->uuid) != 0 || !a->uuidandversion ||
		    !a->uuidandversion->uuid)
			continue;
		rt->app_stop(rt, a->uuidandversion->uuid);
		sync();
		for (size_t j = 1; j < a->n_volumereflist; j++) {
			struct rt_vol *v = rt_volume_find(rt, a->volumereflist[j]->uuid);
			struct dvol d;

			if (!a->volumereflist[j]->uuid || dvol_open(rt, a->volumereflist[j]->uuid, &d) < 0)
				continue;
			if (change_one(&d, old_ct, new_ct) < 0 && v) {
				/* not used half-changed: retried as after a crash */
				snprintf(v->err, sizeof(v->err), "%s",
					 d.err[0] ? d.err : "volume snapshot failed");
				v->state = ORG__LFEDGE__EVE__INFO__ZSW_STATE__ERROR;
				v->ready = false;
			} else if (v) {
				v->build++; /* the app restarts on this data */
			}
		}
	}
}

int rt_volume_built_from(const struct runtime *rt, const char *uuid, char *ct, size_t n)
{
	char path[4096], *p;
	uint8_t *data = NULL;
	size_t len = 0;

	ct[0] = '\0';
	if ((size_t)snprintf(path, sizeof(path), "%s/%s/ready", rt->vols_dir, uuid) >= sizeof(path) ||
	    fileio_read(path, 256, &data, &len) < 0)
		return -ENOENT;
	p = strstr((char *)data, " ct=");
	if (p)
		snprintf(ct, n, "%.*s", (int)strcspn(p + 4, "\n "), p + 4);
	free(data);
	return ct[0] ? 0 : -ENOENT;
}
