// SPDX-License-Identifier: Apache-2.0
/* `eve-controller backup|restore`: a consistent copy of a controller
 * directory taken while it serves (the database through SQLite's online
 * backup API, every other file copied), and its restore into a new
 * directory. A backup carries a MANIFEST (sha256 of every file, the schema
 * version) that restore checks before it writes anything. Both build the
 * result beside the target and rename it into place at the end: a cut
 * leaves no half backup and no half restored controller. */
#include "backup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "conf.h"
#include "ctl.h"
#include "fileio.h"
#include "hexstr.h"
#include "schema.h"

#define MANIFEST "MANIFEST"
#define MANIFEST_CAP (64u << 20)
#define BUSY_MS 10000

/* Files of a live controller directory that are not copied as files: the
 * database (copied through SQLite), its WAL, the pid file, half uploads. */
static int skipped(const char *rel)
{
	static const char *const names[] = {CTL_DB_FILE,
					    CTL_DB_FILE "-wal",
					    CTL_DB_FILE "-shm",
					    CTL_DB_FILE "-journal",
					    CTL_PID_FILE,
					    CTL_DATASTORE_DIR "/tmp",
					    MANIFEST};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(rel, names[i]))
			return 1;
	return 0;
}

static int path2(char out[PATH_MAX], const char *a, const char *b)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", a, b);
	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

/* Copy SRC to DST (created with MODE, fsync'd) and hash it. */
static int copy_file(const char *src, const char *dst, mode_t mode, char hex[65])
{
	uint8_t buf[64 << 10], md[32];
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, r = 0;
	ssize_t n;

	if (!h || in < 0) {
		r = h ? -errno : -ENOMEM;
		goto out;
	}
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 07777);
	if (out < 0 || !EVP_DigestInit_ex(h, EVP_sha256(), NULL)) {
		r = out < 0 ? -errno : -EIO;
		goto out;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (write(out, buf, (size_t)n) != n || !EVP_DigestUpdate(h, buf, (size_t)n)) {
			r = -EIO;
			goto out;
		}
	}
	if (n < 0 || fsync(out) < 0 || !EVP_DigestFinal_ex(h, md, NULL))
		r = -EIO;
	else
		hexstr_encode(md, sizeof(md), hex);
out:
	if (out >= 0 && close(out) < 0 && r == 0)
		r = -EIO;
	if (in >= 0)
		close(in);
	EVP_MD_CTX_free(h);
	return r;
}

static int hash_file(const char *path, char hex[65])
{
	uint8_t buf[64 << 10], md[32];
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;
	ssize_t n;

	if (!h || fd < 0 || !EVP_DigestInit_ex(h, EVP_sha256(), NULL)) {
		r = fd < 0 ? -errno : -ENOMEM;
		goto out;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (!EVP_DigestUpdate(h, buf, (size_t)n)) {
			r = -EIO;
			goto out;
		}
	if (n < 0 || !EVP_DigestFinal_ex(h, md, NULL))
		r = -EIO;
	else
		hexstr_encode(md, sizeof(md), hex);
out:
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(h);
	return r;
}

/* Recursively copy SRC/REL into DST/REL, appending "sha256  rel" lines to
 * MAN. Symbolic links are followed (controller.conf may be a link to /etc). */
static int copy_tree(const char *src, const char *dst, const char *rel, FILE *man)
{
	char sp[PATH_MAX], dp[PATH_MAX], child[PATH_MAX];
	DIR *d = NULL;
	struct dirent *e;
	struct stat st;
	int r = 0;

	if ((r = path2(sp, src, rel)) < 0 || (r = path2(dp, dst, rel)) < 0)
		return r;
	if (!(d = opendir(sp)))
		return -errno;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		int n = snprintf(child, sizeof(child), "%s%s%s", rel, *rel ? "/" : "", e->d_name);
		if (n < 0 || (size_t)n >= sizeof(child)) {
			r = -ENAMETOOLONG;
			break;
		}
		if (skipped(child))
			continue;
		char csp[PATH_MAX], cdp[PATH_MAX], hex[65];
		if ((r = path2(csp, src, child)) < 0 || (r = path2(cdp, dst, child)) < 0)
			break;
		if (stat(csp, &st) < 0) {
			r = -errno;
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			if (mkdir(cdp, st.st_mode & 07777) < 0 || (r = copy_tree(src, dst, child, man)) < 0) {
				r = r < 0 ? r : -errno;
				break;
			}
		} else if (S_ISREG(st.st_mode)) {
			if ((r = copy_file(csp, cdp, st.st_mode, hex)) < 0)
				break;
			fprintf(man, "%s  %s\n", hex, child);
		}
	}
	closedir(d);
	if (r == 0)
		r = fileio_sync_dir(dp);
	return r;
}

static int db_schema_version(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int v = -1;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int db_check(const char *path, int *version, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int r = -EIO;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
		goto out;
	}
	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(st, 0), "ok")) {
		snprintf(err, errlen, "%s: integrity check failed", path);
		goto out;
	}
	*version = db_schema_version(db);
	if (*version > schema_migrations_n) {
		snprintf(err, errlen, "%s: schema version %d is newer than this controller's (%d)", path,
			 *version, schema_migrations_n);
		r = -EPROTO;
		goto out;
	}
	r = 0;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return r;
}

/* The live database into DST through the online backup API: one read
 * transaction, so writers in WAL mode go on and the copy is consistent. */
static int db_copy(const char *src, const char *dst, char *err, size_t errlen)
{
	sqlite3 *from = NULL, *to = NULL;
	sqlite3_backup *b = NULL;
	int rc = SQLITE_ERROR;

	if (sqlite3_open_v2(src, &from, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_open_v2(dst, &to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
		goto out;
	sqlite3_busy_timeout(from, BUSY_MS);
	b = sqlite3_backup_init(to, "main", from, "main");
	if (!b)
		goto out;
	do {
		rc = sqlite3_backup_step(b, -1);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(50);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
out:
	if (b)
		sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE)
		snprintf(err, errlen, "database backup: %s", to ? sqlite3_errmsg(to) : sqlite3_errmsg(from));
	sqlite3_close(to);
	sqlite3_close(from);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* A fresh directory "DIR/.NAME.XXXXXX" beside TARGET, for a rename later. */
static int sibling_tmp(const char *target, char out[PATH_MAX])
{
	const char *slash = strrchr(target, '/');
	int n = slash ? snprintf(out, PATH_MAX, "%.*s/.%s.XXXXXX", (int)(slash - target), target, slash + 1)
		      : snprintf(out, PATH_MAX, ".%s.XXXXXX", target);
	if (n < 0 || n >= PATH_MAX)
		return -ENAMETOOLONG;
	return mkdtemp(out) ? 0 : -errno;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	(void)remove(path);
	return 0;
}

/* Only our own temporary directories (".NAME.XXXXXX") come here. */
static void remove_tree(const char *path)
{
	(void)nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int parent_sync(const char *path)
{
	char p[PATH_MAX];
	const char *slash = strrchr(path, '/');
	snprintf(p, sizeof(p), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	return fileio_sync_dir(*p ? p : "/");
}

/* Whether dir's controller.conf puts the store in PostgreSQL. */
static bool store_is_external(const char *dir)
{
	struct ctl_conf c;
	char p[PATH_MAX], e[256];
	conf_defaults(&c);
	return path2(p, dir, CTL_CONF_FILE) == 0 && conf_load(&c, p, e, sizeof(e)) == 0 && c.store[0];
}

int backup_run(const char *dir, const char *out, char *err, size_t errlen)
{
	char tmp[PATH_MAX] = "", db[PATH_MAX], dst[PATH_MAX], man[PATH_MAX];
	FILE *mf = NULL;
	struct stat st;
	int version = 0, r;

	if (lstat(out, &st) == 0) {
		snprintf(err, errlen, "%s exists: a backup goes into a new directory", out);
		return -EEXIST;
	}
	if (store_is_external(dir)) {
		snprintf(err, errlen,
			 "%s: the store is PostgreSQL (store= in controller.conf): back it up with pg_dump"
			 " (docs/operations.md, \"Backups\" of the replicas)",
			 dir);
		return -EOPNOTSUPP;
	}
	if ((r = path2(db, dir, CTL_DB_FILE)) < 0 || stat(db, &st) < 0) {
		snprintf(err, errlen, "%s: no controller database here", dir);
		return r < 0 ? r : -ENOENT;
	}
	if ((r = sibling_tmp(out, tmp)) < 0) {
		snprintf(err, errlen, "%s: %s", out, strerror(-r));
		return r;
	}
	if ((r = path2(dst, tmp, CTL_DB_FILE)) < 0 || (r = path2(man, tmp, MANIFEST)) < 0)
		goto out;
	if ((r = db_copy(db, dst, err, errlen)) < 0 || (r = db_check(dst, &version, err, errlen)) < 0)
		goto out;
	chmod(dst, 0600);
	if (!(mf = fopen(man, "wx"))) {
		r = -errno;
		goto out;
	}
	fprintf(mf, "eve-controller backup\nschema %d\n", version);
	char hex[65];
	if ((r = hash_file(dst, hex)) < 0)
		goto out;
	fprintf(mf, "%s  %s\n", hex, CTL_DB_FILE);
	if ((r = copy_tree(dir, tmp, "", mf)) < 0) {
		snprintf(err, errlen, "copying %s: %s", dir, strerror(-r));
		goto out;
	}
	if (fflush(mf) != 0 || fsync(fileno(mf)) < 0 || fclose(mf) != 0) {
		mf = NULL;
		r = -EIO;
		goto out;
	}
	mf = NULL;
	if ((r = fileio_sync_dir(tmp)) < 0 || rename(tmp, out) < 0) {
		r = r < 0 ? r : -errno;
		goto out;
	}
	*tmp = '\0';
	r = parent_sync(out);
out:
	if (mf)
		fclose(mf);
	if (r < 0 && !*err)
		snprintf(err, errlen, "backup into %s: %s", out, strerror(-r));
	if (*tmp)
		remove_tree(tmp);
	return r;
}

/* Check every MANIFEST line of BACKUP: the file exists and hashes right,
 * names stay inside the backup. */
static int verify_manifest(const char *backup, char *err, size_t errlen)
{
	char path[PATH_MAX], hex[65], *save = NULL, *line;
	uint8_t *data = NULL;
	size_t len = 0;
	int r, files = 0;

	if ((r = path2(path, backup, MANIFEST)) < 0 ||
	    (r = fileio_read(path, MANIFEST_CAP, &data, &len)) < 0) {
		snprintf(err, errlen, "%s: not a controller backup (no %s)", backup, MANIFEST);
		return r;
	}
	char *text = realloc(data, len + 1);
	if (!text) {
		free(data);
		return -ENOMEM;
	}
	text[len] = '\0';
	line = strtok_r(text, "\n", &save);
	if (!line || strcmp(line, "eve-controller backup")) {
		snprintf(err, errlen, "%s/%s: not an eve-controller backup manifest", backup, MANIFEST);
		r = -EINVAL;
		goto out;
	}
	while ((line = strtok_r(NULL, "\n", &save))) {
		if (!strncmp(line, "schema ", 7))
			continue;
		const char *rel = line + 66;
		if (strlen(line) < 67 || line[64] != ' ' || line[65] != ' ' || *rel == '/' ||
		    strstr(rel, "..")) {
			snprintf(err, errlen, "%s: bad manifest line '%.80s'", backup, line);
			r = -EINVAL;
			goto out;
		}
		if ((r = path2(path, backup, rel)) < 0 || (r = hash_file(path, hex)) < 0 ||
		    strncmp(hex, line, 64)) {
			snprintf(err, errlen, "%s: %s %s", backup, rel,
				 r < 0 ? strerror(-r) : "does not match its hash");
			r = r < 0 ? r : -EBADMSG;
			goto out;
		}
		files++;
	}
	r = files ? 0 : -EINVAL;
	if (r < 0)
		snprintf(err, errlen, "%s: empty manifest", backup);
out:
	free(text);
	return r;
}

int restore_run(const char *backup, const char *dir, char *err, size_t errlen)
{
	char tmp[PATH_MAX] = "", db[PATH_MAX];
	struct stat st;
	int version = 0, r;
	FILE *sink = NULL;

	if (lstat(dir, &st) == 0) {
		DIR *d = S_ISDIR(st.st_mode) ? opendir(dir) : NULL;
		struct dirent *e;
		int empty = d != NULL;
		while (d && (e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				empty = 0;
		if (d)
			closedir(d);
		if (!empty) {
			snprintf(err, errlen, "%s exists and is not empty: restore into a new directory",
				 dir);
			return -EEXIST;
		}
	}
	if ((r = verify_manifest(backup, err, errlen)) < 0)
		return r;
	if ((r = path2(db, backup, CTL_DB_FILE)) < 0 || (r = db_check(db, &version, err, errlen)) < 0)
		return r;
	if ((r = sibling_tmp(dir, tmp)) < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(-r));
		return r;
	}
	chmod(tmp, 0700);
	/* The manifest was checked: copy everything but itself. */
	if (!(sink = fopen("/dev/null", "w"))) {
		r = -errno;
		goto out;
	}
	char src_db[PATH_MAX], dst_db[PATH_MAX], hex[65];
	if ((r = path2(src_db, backup, CTL_DB_FILE)) < 0 || (r = path2(dst_db, tmp, CTL_DB_FILE)) < 0 ||
	    (r = copy_file(src_db, dst_db, 0600, hex)) < 0 || (r = copy_tree(backup, tmp, "", sink)) < 0) {
		snprintf(err, errlen, "restoring into %s: %s", dir, strerror(-r));
		goto out;
	}
	if (lstat(dir, &st) == 0 && rmdir(dir) < 0) {
		r = -errno;
		goto out;
	}
	if ((r = fileio_sync_dir(tmp)) < 0 || rename(tmp, dir) < 0) {
		r = r < 0 ? r : -errno;
		goto out;
	}
	*tmp = '\0';
	r = parent_sync(dir);
out:
	if (sink)
		fclose(sink);
	if (r < 0 && !*err)
		snprintf(err, errlen, "restore into %s: %s", dir, strerror(-r));
	if (*tmp)
		remove_tree(tmp);
	return r;
}
