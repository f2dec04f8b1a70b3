// SPDX-License-Identifier: Apache-2.0
/* dir backend: two slot directories and a text state file standing in for
 * the GPT attributes; a "reboot" asks the eve-slot-boot supervisor to run
 * the boot decision again (or re-execs the chosen slot's agent directly when
 * not supervised). */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootslot_dir.h"
#include "err.h"
#include "fileio.h"
#include "update.h"

#define STATE_CAP 8192
#define MAX_ENTRIES 100000
#define MAX_UNPACKED (UINT64_C(4) << 30)
#define CMDLINE_CAP 65536
#define CMDLINE_ARGS 256

struct bootslot {
	char *dir;
};

static const char slot_names[BOOTSLOT_N][2] = {"A", "B"};

static int path_in(const char *dir, const char *name, char *out, size_t len)
{
	int n = snprintf(out, len, "%s/%s", dir, name);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int bootslot_dir_lock(const char *dir)
{
	char p[4096];
	int r = path_in(dir, "slots.lock", p, sizeof(p));
	if (r < 0)
		return r;
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			r = -errno;
			close(fd);
			return r;
		}
	}
	return fd;
}

void bootslot_dir_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

static void set_defaults(struct bootslot_dir_state *st)
{
	memset(st, 0, sizeof(*st));
	st->attr[0] = (struct bootslot_attr){.priority = 2, .tries = 0, .successful = true};
	st->booted = -1;
}

static int parse_uint(const char *v, unsigned max, unsigned *out)
{
	char *end;
	unsigned long n = strtoul(v, &end, 10);
	if (*v == '\0' || *end != '\0' || n > max)
		return -EINVAL;
	*out = (unsigned)n;
	return 0;
}

static int parse_line(struct bootslot_dir_state *st, const char *k, const char *v)
{
	unsigned n;

	if (strcmp(k, "booted") == 0) {
		st->booted = bootslot_parse(v);
		return 0;
	}
	if (strcmp(k, "note") == 0) {
		snprintf(st->note, sizeof(st->note), "%s", v);
		return 0;
	}
	int s = (k[0] == 'A' || k[0] == 'B') && k[1] == '.' ? k[0] - 'A' : -1;
	if (s < 0)
		return 0; /* unknown keys: ignore (newer writer) */
	if (parse_uint(v, 15, &n) < 0)
		return -EVE_EPROTO;
	if (strcmp(k + 2, "priority") == 0)
		st->attr[s].priority = n;
	else if (strcmp(k + 2, "tries") == 0)
		st->attr[s].tries = n;
	else if (strcmp(k + 2, "successful") == 0)
		st->attr[s].successful = n != 0;
	return 0;
}

int bootslot_dir_load(const char *dir, struct bootslot_dir_state *st)
{
	char p[4096];
	uint8_t *data = NULL;
	size_t len;
	int r = path_in(dir, "slots.state", p, sizeof(p));

	set_defaults(st);
	if (r == 0)
		r = fileio_read(p, STATE_CAP, &data, &len);
	if (r == -ENOENT)
		return 0;
	char *save = NULL;
	for (char *line = r < 0 ? NULL : strtok_r((char *)data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		r = parse_line(st, line, eq + 1);
		if (r < 0)
			break;
	}
	free(data);
	return r;
}

int bootslot_dir_save(const char *dir, const struct bootslot_dir_state *st)
{
	char p[4096], text[1024], note[BOOTSLOT_NOTE_MAX];
	int r = path_in(dir, "slots.state", p, sizeof(p));
	if (r < 0)
		return r;
	snprintf(note, sizeof(note), "%s", st->note);
	for (char *c = note; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	int n = snprintf(text, sizeof(text),
			 "A.priority=%u\nA.tries=%u\nA.successful=%d\n"
			 "B.priority=%u\nB.tries=%u\nB.successful=%d\nbooted=%s\nnote=%s\n",
			 st->attr[0].priority, st->attr[0].tries, st->attr[0].successful,
			 st->attr[1].priority, st->attr[1].tries, st->attr[1].successful,
			 st->booted < 0 ? "" : slot_names[st->booted], note);
	if (n < 0 || (size_t)n >= sizeof(text))
		return -EVE_ETOOBIG;
	return fileio_write_atomic(p, text, (size_t)n, 0644);
}

int bootslot_dir_boot(const char *dir)
{
	struct bootslot_dir_state st;
	int fd = bootslot_dir_lock(dir), r;

	if (fd < 0)
		return fd;
	r = bootslot_dir_load(dir, &st);
	if (r == 0)
		r = bootslot_choose(st.attr);
	if (r >= 0) {
		st.booted = r;
		int w = bootslot_dir_save(dir, &st);
		if (w < 0)
			r = w;
	}
	bootslot_dir_unlock(fd);
	return r;
}

int bootslot_dir_set_note(const char *dir, const char *note)
{
	struct bootslot_dir_state st;
	int fd = bootslot_dir_lock(dir), r;

	if (fd < 0)
		return fd;
	r = bootslot_dir_load(dir, &st);
	if (r == 0) {
		snprintf(st.note, sizeof(st.note), "%s", note);
		r = bootslot_dir_save(dir, &st);
	}
	bootslot_dir_unlock(fd);
	return r;
}

int bootslot_dir_is_good(const char *dir, int slot, bool *good)
{
	struct bootslot_dir_state st;
	int fd = bootslot_dir_lock(dir), r;

	if (fd < 0)
		return fd;
	r = bootslot_dir_load(dir, &st);
	if (r == 0)
		*good = st.attr[slot].successful;
	bootslot_dir_unlock(fd);
	return r;
}

int bootslot_dir_agent(const char *dir, int slot, char *out, size_t len)
{
	int n = snprintf(out, len, "%s/%s/eve-agent", dir, slot_names[slot]);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static void dir_close(struct bootslot *b)
{
	if (!b)
		return;
	free(b->dir);
	free(b);
}

static int dir_open(const char *target, struct bootslot **out)
{
	struct stat st;
	if (stat(target, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	struct bootslot *b = calloc(1, sizeof(*b));
	/* No symlinks in the prefix: unpacking refuses to write through any. */
	if (!b || !(b->dir = realpath(target, NULL))) {
		free(b);
		return -ENOMEM;
	}
	*out = b;
	return 0;
}

static int dir_get(struct bootslot *b, struct bootslot_attr attr[BOOTSLOT_N])
{
	struct bootslot_dir_state st;
	int fd = bootslot_dir_lock(b->dir), r;

	if (fd < 0)
		return fd;
	r = bootslot_dir_load(b->dir, &st);
	if (r == 0)
		memcpy(attr, st.attr, sizeof(st.attr));
	bootslot_dir_unlock(fd);
	return r;
}

static int dir_set(struct bootslot *b, const struct bootslot_attr attr[BOOTSLOT_N])
{
	struct bootslot_dir_state st;
	int fd = bootslot_dir_lock(b->dir), r;

	if (fd < 0)
		return fd;
	r = bootslot_dir_load(b->dir, &st);
	if (r == 0) {
		memcpy(st.attr, attr, sizeof(st.attr));
		r = bootslot_dir_save(b->dir, &st);
	}
	bootslot_dir_unlock(fd);
	return r;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(p) < 0 && errno != ENOENT ? -1 : 0;
}

static int rm_tree(const char *p)
{
	struct stat st;
	if (lstat(p, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	return nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0 ? -errno : 0;
}

/* A relative name without ".." components. */
static bool name_ok(const char *n)
{
	if (!n || !*n || n[0] == '/')
		return false;
	for (const char *p = n; (p = strstr(p, "..")) != NULL; p += 2)
		if ((p == n || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return false;
	return true;
}

static int entry_ok(struct archive_entry *e, uint64_t *total)
{
	mode_t t = archive_entry_filetype(e);
	if (t != AE_IFREG && t != AE_IFDIR && t != AE_IFLNK)
		return -EVE_EPROTO;
	if (!name_ok(archive_entry_pathname(e)))
		return -EVE_EPROTO;
	if (archive_entry_size(e) < 0)
		return -EVE_EPROTO;
	*total += (uint64_t)archive_entry_size(e);
	return *total > MAX_UNPACKED ? -EVE_ETOOBIG : 0;
}

static int unpack_entries(struct archive *in, struct archive *out, const char *dest)
{
	struct archive_entry *e;
	uint64_t total = 0;
	char p[4096];
	int r = 0, n = 0;

	while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
		if (++n > MAX_ENTRIES || entry_ok(e, &total) < 0)
			return -EVE_EPROTO;
		if (snprintf(p, sizeof(p), "%s/%s", dest, archive_entry_pathname(e)) >= (int)sizeof(p))
			return -ENAMETOOLONG;
		archive_entry_copy_pathname(e, p);
		if (archive_write_header(out, e) != ARCHIVE_OK)
			return -EIO;
		const void *blk;
		size_t len;
		la_int64_t off;
		while ((r = archive_read_data_block(in, &blk, &len, &off)) == ARCHIVE_OK)
			if (archive_write_data_block(out, blk, len, off) != ARCHIVE_OK)
				return -EIO;
		if (r != ARCHIVE_EOF || archive_write_finish_entry(out) != ARCHIVE_OK)
			return -EVE_EPROTO;
	}
	return r == ARCHIVE_EOF ? 0 : -EVE_EPROTO;
}

/* Relative names only (checked in entry_ok, as entries get the absolute
 * dest prepended), and libarchive refuses ".." and writing through
 * symlinks. */
static int unpack(const char *tarball, const char *dest)
{
	struct archive *in = archive_read_new(), *out = archive_write_disk_new();
	int r = -ENOMEM;

	if (!in || !out)
		goto out;
	archive_read_support_format_tar(in);
	archive_read_support_filter_gzip(in);
	archive_read_support_filter_xz(in);
	archive_read_support_filter_zstd(in);
	archive_write_disk_set_options(out, ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
						ARCHIVE_EXTRACT_SECURE_NODOTDOT |
						ARCHIVE_EXTRACT_SECURE_SYMLINKS);
	r = archive_read_open_filename(in, tarball, 65536) == ARCHIVE_OK ? 0 : -EVE_EPROTO;
	if (r == 0)
		r = unpack_entries(in, out, dest);
	if (r == 0 && archive_write_close(out) != ARCHIVE_OK)
		r = -EIO;
out:
	archive_read_free(in);
	archive_write_free(out);
	return r;
}

static int sync_tree(const char *dest)
{
	int fd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = syncfs(fd) < 0 ? -errno : 0;
	close(fd);
	return r;
}

static int check_agent(const char *dest)
{
	char p[4096];
	struct stat st;
	int r = path_in(dest, "eve-agent", p, sizeof(p));
	if (r < 0)
		return r;
	if (stat(p, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & S_IXUSR))
		return -ENOEXEC;
	return 0;
}

/* Unpack into .X.new, then swap it in by rename: a crash leaves either the
 * old tree or the new one at X (the slot is unbootable meanwhile anyway). */
static int dir_write_image(struct bootslot *b, int slot, const char *path)
{
	char fresh[4096], old[4096], cur[4096];
	int r;

	if (snprintf(fresh, sizeof(fresh), "%s/.%s.new", b->dir, slot_names[slot]) >= (int)sizeof(fresh) ||
	    snprintf(old, sizeof(old), "%s/.%s.old", b->dir, slot_names[slot]) >= (int)sizeof(old) ||
	    snprintf(cur, sizeof(cur), "%s/%s", b->dir, slot_names[slot]) >= (int)sizeof(cur))
		return -ENAMETOOLONG;
	if ((r = rm_tree(fresh)) < 0 || (r = rm_tree(old)) < 0)
		return r;
	if (mkdir(fresh, 0755) < 0)
		return -errno;
	r = unpack(path, fresh);
	if (r == 0)
		r = check_agent(fresh);
	if (r == 0)
		r = sync_tree(fresh);
	if (r < 0)
		goto fail;
	if (rename(cur, old) < 0 && errno != ENOENT) {
		r = -errno;
		goto fail;
	}
	if (rename(fresh, cur) < 0) {
		r = -errno;
		goto fail;
	}
	r = fileio_sync_dir(cur);
	rm_tree(old);
	return r;
fail:
	rm_tree(fresh);
	return r;
}

static int dir_booted(struct bootslot *b)
{
	struct bootslot_dir_state st;
	int fd = bootslot_dir_lock(b->dir), r;

	if (fd < 0)
		return fd;
	r = bootslot_dir_load(b->dir, &st);
	bootslot_dir_unlock(fd);
	if (r < 0)
		return r;
	return st.booted >= 0 ? st.booted : -ENOENT;
}

static int dir_take_note(struct bootslot *b, char *out, size_t len)
{
	struct bootslot_dir_state st;
	int fd = bootslot_dir_lock(b->dir), r;

	if (fd < 0)
		return fd;
	r = bootslot_dir_load(b->dir, &st);
	if (r == 0) {
		snprintf(out, len, "%s", st.note);
		if (st.note[0]) {
			st.note[0] = '\0';
			r = bootslot_dir_save(b->dir, &st);
		}
	}
	bootslot_dir_unlock(fd);
	return r;
}

/* Our own argv, from /proc/self/cmdline, for the unsupervised re-exec. */
static int own_argv(char *buf, size_t cap, char **argv, size_t maxargs)
{
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, cap - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	size_t k = 0;
	for (char *p = buf; p < buf + n && k + 1 < maxargs; p += strlen(p) + 1)
		argv[k++] = p;
	argv[k] = NULL;
	return 0;
}

/* Supervised by eve-slot-boot: exit with the reboot code and let it run the
 * boot decision. Otherwise run the decision ourselves and exec the chosen
 * slot's agent with our own arguments. */
static int dir_reboot(struct bootslot *b)
{
	static char buf[CMDLINE_CAP];
	char *argv[CMDLINE_ARGS], agent[4096];

	if (getenv("EVE_SLOT_BOOT")) {
		fflush(NULL);
		_exit(UPDATE_EXIT_REBOOT);
	}
	int r = own_argv(buf, sizeof(buf), argv, CMDLINE_ARGS);
	if (r < 0)
		return r;
	int slot = bootslot_dir_boot(b->dir);
	if (slot < 0)
		return slot;
	r = bootslot_dir_agent(b->dir, slot, agent, sizeof(agent));
	if (r < 0)
		return r;
	setenv("EVE_SLOT", slot_names[slot], 1);
	setenv("EVE_SLOTS_DIR", b->dir, 1);
	fflush(NULL);
	execv(agent, argv);
	return -errno;
}

const struct bootslot_ops bootslot_dir_ops = {
    .name = "dir",
    .open = dir_open,
    .close = dir_close,
    .get = dir_get,
    .set = dir_set,
    .write_image = dir_write_image,
    .booted = dir_booted,
    .take_note = dir_take_note,
    .reboot = dir_reboot,
    .supervised_reboot = true,
};
