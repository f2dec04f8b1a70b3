// SPDX-License-Identifier: Apache-2.0
/* Removable media carrying configuration for the device (seed: "at
 * install time with a json file in /config/, or USB stick"): a filesystem
 * labelled MEDIA_LABEL. There is no udev to announce it, so the block
 * devices in /sys/class/block are probed (libblkid) on each scan; a new
 * one is mounted read-only, nosuid, nodev, noexec for as long as it takes
 * to copy its bootstrap-config.pb, then detached. What the file says is
 * verified by the caller like any configuration. */
#include "media.h"

#include <blkid/blkid.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"

#define MEDIA_FILE_CAP (1u << 20)

struct media {
	char mnt[512];
	char seen[400]; /* "dev:uuid:size" of the medium last handled */
};

int media_new(const char *mount_dir, struct media **out)
{
	struct media *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	if ((size_t)snprintf(m->mnt, sizeof(m->mnt), "%s", mount_dir) >= sizeof(m->mnt)) {
		free(m);
		return -ENAMETOOLONG;
	}
	/* A mount left behind by a killed agent. */
	(void)umount2(m->mnt, MNT_DETACH);
	*out = m;
	return 0;
}

void media_free(struct media *m)
{
	free(m);
}

static int read_u64(const char *path, unsigned long long *v)
{
	FILE *f = fopen(path, "re");
	int ok = f && fscanf(f, "%llu", v) == 1;

	if (f)
		fclose(f);
	return ok ? 0 : -EIO;
}

/* LABEL, TYPE and UUID of the filesystem on dev, if any. */
static int probe(const char *dev, char *type, size_t tlen, char *uuid, size_t ulen)
{
	blkid_probe pr = blkid_new_probe_from_filename(dev);
	const char *v = NULL;
	int r = -ENOENT;

	if (!pr)
		return -errno ? -errno : -EIO;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_LABEL | BLKID_SUBLKS_TYPE | BLKID_SUBLKS_UUID);
	if (blkid_do_safeprobe(pr) != 0)
		goto out;
	if (blkid_probe_lookup_value(pr, "LABEL", &v, NULL) != 0 || strcmp(v, MEDIA_LABEL))
		goto out;
	if (blkid_probe_lookup_value(pr, "TYPE", &v, NULL) != 0)
		goto out;
	snprintf(type, tlen, "%s", v);
	uuid[0] = '\0';
	if (blkid_probe_lookup_value(pr, "UUID", &v, NULL) == 0)
		snprintf(uuid, ulen, "%s", v);
	r = 0;
out:
	blkid_free_probe(pr);
	return r;
}

static int supported(const char *type)
{
	static const char *const types[] = {"vfat", "exfat", "ext2", "ext3", "ext4", "iso9660", NULL};

	for (size_t i = 0; types[i]; i++)
		if (!strcmp(type, types[i]))
			return 1;
	return 0;
}

/* Mount dev, copy MEDIA_FILE to copy_to, detach. */
static int take(struct media *m, const char *dev, const char *type, const char *copy_to)
{
	char path[640];
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	r = fileio_mkdirs(m->mnt, 0700);
	if (r < 0)
		return r;
	if (mount(dev, m->mnt, type, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return -errno;
	snprintf(path, sizeof(path), "%s/%s", m->mnt, MEDIA_FILE);
	r = fileio_read(path, MEDIA_FILE_CAP, &data, &len);
	(void)umount2(m->mnt, MNT_DETACH);
	if (r == 0)
		r = fileio_write_atomic(copy_to, data, len, 0600);
	free(data);
	return r;
}

int media_scan(struct media *m, const char *copy_to, char *dev, size_t devlen)
{
	char node[300], key[sizeof(m->seen)], type[32], uuid[64], path[300];
	unsigned long long sectors;
	DIR *d = opendir("/sys/class/block");
	struct dirent *e;
	int r = 0, found = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)) && !found) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/block/%s/size", e->d_name);
		if (read_u64(path, &sectors) < 0 || sectors == 0)
			continue; /* an empty loop device, a card reader without a card */
		snprintf(node, sizeof(node), "/dev/%s", e->d_name);
		if (probe(node, type, sizeof(type), uuid, sizeof(uuid)) < 0)
			continue;
		found = 1;
		snprintf(key, sizeof(key), "%s:%s:%llu", e->d_name, uuid, sectors);
		if (!strcmp(key, m->seen))
			break; /* still the one we handled */
		snprintf(m->seen, sizeof(m->seen), "%s", key);
		snprintf(dev, devlen, "%s (%s)", node, type);
		if (!supported(type)) {
			r = -EMEDIUMTYPE;
			break;
		}
		r = take(m, node, type, copy_to);
		if (r == 0)
			r = 1;
	}
	closedir(d);
	if (!found)
		m->seen[0] = '\0'; /* removed: the next insertion is new */
	return r;
}
