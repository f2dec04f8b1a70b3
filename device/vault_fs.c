// SPDX-License-Identifier: Apache-2.0
/* The encrypted volume store (vault_fs.h). */
#include "vault_fs.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/fscrypt.h>
#include <linux/loop.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>

#define FSKEY_LEN 64 /* AES-256-XTS needs 64 bytes of key material */
#define LOOP_MAJOR_NR 7

static const char *const subdirs[] = {"volumes", "apps"};
#define N_SUBDIRS (sizeof(subdirs) / sizeof(subdirs[0]))

struct paths {
	char img[4096], mnt[4096], data[4096], src[N_SUBDIRS][4096], dst[N_SUBDIRS][4096];
};

static int make_paths(const char *state, struct paths *p)
{
	size_t i;
	int bad = 0;

	bad |= snprintf(p->img, sizeof(p->img), "%s/vault.img", state) >= (int)sizeof(p->img);
	bad |= snprintf(p->mnt, sizeof(p->mnt), "%s/vault", state) >= (int)sizeof(p->mnt);
	bad |= snprintf(p->data, sizeof(p->data), "%s/vault/data", state) >= (int)sizeof(p->data);
	for (i = 0; i < N_SUBDIRS; i++) {
		bad |= snprintf(p->src[i], sizeof(p->src[i]), "%s/%s", p->data, subdirs[i]) >=
		       (int)sizeof(p->src[i]);
		bad |= snprintf(p->dst[i], sizeof(p->dst[i]), "%s/%s", state, subdirs[i]) >=
		       (int)sizeof(p->dst[i]);
	}
	return bad ? -ENAMETOOLONG : 0;
}

static int dev_of(const char *path, dev_t *out)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	*out = st.st_dev;
	return 0;
}

/* path is the root of another file system than its parent dir. */
static bool is_mount(const char *path, const char *parent)
{
	dev_t a = 0, b = 0;

	return dev_of(path, &a) == 0 && dev_of(parent, &b) == 0 && a != b;
}

static int run(char *const argv[])
{
	int status = 0;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* A sparse file of size bytes made into ext4 with encryption, then renamed
 * into place (a crash leaves no half-made store). */
static int make_image(const struct paths *p, uint64_t size, char *err, size_t errlen)
{
	char tmp[4200];
	char *argv[] = {"mkfs.ext4", "-q", "-F", "-O", "encrypt", "-m", "0", tmp, NULL};
	int fd, r = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", p->img);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0 || fsync(fd) < 0)
		r = -errno;
	if (fd >= 0)
		close(fd);
	if (r == 0) {
		r = run(argv);
		if (r < 0)
			snprintf(err, errlen, "mkfs.ext4 -O encrypt %s failed (e2fsprogs installed?)", tmp);
	}
	if (r == 0 && rename(tmp, p->img) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		if (!err[0])
			snprintf(err, errlen, "making %s: %s", p->img, strerror(-r));
	}
	return r;
}

static int mount_dev(const struct paths *p, const char *dev, char *err, size_t errlen)
{
	if (mkdir(p->mnt, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "mkdir %s: %s", p->mnt, strerror(errno));
		return -errno;
	}
	if (mount(dev, p->mnt, "ext4", MS_NODEV, NULL) < 0) {
		snprintf(err, errlen, "mounting %s (%s) at %s: %s", dev, p->img, p->mnt, strerror(errno));
		return -errno;
	}
	return 0;
}

/* The loop device img is attached to already (its file system mounted in
 * another namespace, or a mount that outlived an earlier run): attaching
 * a second one would mount the same file twice. */
static bool attached(const char *img, char *dev, size_t devlen)
{
	char real[4096], path[128], back[4200];
	DIR *d = opendir("/sys/block");
	struct dirent *de;
	bool found = false;

	if (!d || !realpath(img, real)) {
		if (d)
			closedir(d);
		return false;
	}
	while (!found && (de = readdir(d))) {
		FILE *f;
		size_t n;

		if (strncmp(de->d_name, "loop", 4) != 0)
			continue;
		snprintf(path, sizeof(path), "/sys/block/%.32s/loop/backing_file", de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		n = fread(back, 1, sizeof(back) - 1, f);
		fclose(f);
		back[n] = '\0';
		if (n && back[n - 1] == '\n')
			back[n - 1] = '\0';
		if (strcmp(back, real) == 0) {
			snprintf(dev, devlen, "/dev/%.32s", de->d_name);
			found = true;
		}
	}
	closedir(d);
	return found;
}

/* Attach img to a free loop device (autoclear: it goes with the last
 * unmount) and mount it at mnt. */
static int loop_mount(const struct paths *p, char *err, size_t errlen)
{
	struct loop_config lc;
	char dev[64];
	int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC), ffd = -1, lfd = -1, r = 0, n, tries;

	if (ctl < 0) {
		snprintf(err, errlen, "/dev/loop-control: %s", strerror(errno));
		return -errno;
	}
	ffd = open(p->img, O_RDWR | O_CLOEXEC);
	if (ffd < 0)
		r = -errno;
	for (tries = 0; r == 0 && tries < 8; tries++) {
		n = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (n < 0) {
			r = -errno;
			break;
		}
		snprintf(dev, sizeof(dev), "/dev/loop%d", n);
		if (access(dev, F_OK) < 0 && mknod(dev, S_IFBLK | 0660, makedev(LOOP_MAJOR_NR, n)) < 0 &&
		    errno != EEXIST) {
			r = -errno;
			break;
		}
		lfd = open(dev, O_RDWR | O_CLOEXEC);
		if (lfd < 0) {
			r = -errno;
			break;
		}
		memset(&lc, 0, sizeof(lc));
		lc.fd = (unsigned)ffd;
		lc.info.lo_flags = LO_FLAGS_AUTOCLEAR;
		memcpy(lc.info.lo_file_name, p->img, strnlen(p->img, sizeof(lc.info.lo_file_name) - 1));
		if (ioctl(lfd, LOOP_CONFIGURE, &lc) == 0)
			break;
		r = errno == EBUSY ? 0 : -errno; /* taken by another process meanwhile: next */
		close(lfd);
		lfd = -1;
	}
	if (r == 0 && lfd < 0)
		r = -EBUSY;
	if (r == 0)
		r = mount_dev(p, dev, err, errlen);
	if (r < 0 && !err[0])
		snprintf(err, errlen, "attaching %s to a loop device: %s", p->img, strerror(-r));
	if (lfd >= 0)
		close(lfd);
	if (ffd >= 0)
		close(ffd);
	close(ctl);
	return r;
}

static int derive(const uint8_t key[VAULT_FS_KEY_LEN], uint8_t out[FSKEY_LEN])
{
	static const char info[] = "eve-agent vault fscrypt v1";
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	size_t len = FSKEY_LEN;
	int ok = c && EVP_PKEY_derive_init(c) > 0 && EVP_PKEY_CTX_set_hkdf_md(c, EVP_sha512()) > 0 &&
		 EVP_PKEY_CTX_set1_hkdf_key(c, key, VAULT_FS_KEY_LEN) > 0 &&
		 EVP_PKEY_CTX_add1_hkdf_info(c, (const unsigned char *)info, sizeof(info) - 1) > 0 &&
		 EVP_PKEY_derive(c, out, &len) > 0 && len == FSKEY_LEN;

	EVP_PKEY_CTX_free(c);
	return ok ? 0 : -EIO;
}

/* Give the file system the key; its identifier in id. */
static int add_key(const struct paths *p, const uint8_t key[VAULT_FS_KEY_LEN],
		   uint8_t id[FSCRYPT_KEY_IDENTIFIER_SIZE])
{
	size_t sz = sizeof(struct fscrypt_add_key_arg) + FSKEY_LEN;
	struct fscrypt_add_key_arg *arg = calloc(1, sz);
	int fd = open(p->mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;

	if (!arg || fd < 0)
		r = arg ? -errno : -ENOMEM;
	if (r == 0) {
		arg->key_spec.type = FSCRYPT_KEY_SPEC_TYPE_IDENTIFIER;
		arg->raw_size = FSKEY_LEN;
		r = derive(key, arg->raw);
	}
	if (r == 0 && ioctl(fd, FS_IOC_ADD_ENCRYPTION_KEY, arg) < 0)
		r = -errno;
	if (r == 0)
		memcpy(id, arg->key_spec.u.identifier, FSCRYPT_KEY_IDENTIFIER_SIZE);
	if (arg)
		OPENSSL_clear_free(arg, sz);
	if (fd >= 0)
		close(fd);
	return r;
}

/* data/ carries the policy of this key: set it on a new (empty) dir,
 * check it on an existing one. */
static int data_policy(const struct paths *p, const uint8_t id[FSCRYPT_KEY_IDENTIFIER_SIZE], char *err,
		       size_t errlen)
{
	struct fscrypt_get_policy_ex_arg g;
	struct fscrypt_policy_v2 pol = {.version = FSCRYPT_POLICY_V2,
					.contents_encryption_mode = FSCRYPT_MODE_AES_256_XTS,
					.filenames_encryption_mode = FSCRYPT_MODE_AES_256_CTS,
					.flags = FSCRYPT_POLICY_FLAGS_PAD_32};
	int fd, r = 0;

	if (mkdir(p->data, 0700) < 0 && errno != EEXIST)
		return -errno;
	fd = open(p->data, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&g, 0, sizeof(g));
	g.policy_size = sizeof(g.policy);
	if (ioctl(fd, FS_IOC_GET_ENCRYPTION_POLICY_EX, &g) == 0) {
		if (g.policy.version != FSCRYPT_POLICY_V2 ||
		    memcmp(g.policy.v2.master_key_identifier, id, FSCRYPT_KEY_IDENTIFIER_SIZE) != 0) {
			snprintf(err, errlen, "%s is encrypted under another key than the vault key",
				 p->data);
			r = -EKEYREJECTED;
		}
	} else if (errno == ENODATA) {
		memcpy(pol.master_key_identifier, id, FSCRYPT_KEY_IDENTIFIER_SIZE);
		if (ioctl(fd, FS_IOC_SET_ENCRYPTION_POLICY, &pol) < 0) {
			r = -errno;
			snprintf(err, errlen, "setting the encryption policy of %s: %s", p->data,
				 strerror(errno));
		}
	} else {
		r = -errno;
		snprintf(err, errlen, "reading the encryption policy of %s: %s", p->data, strerror(errno));
	}
	close(fd);
	return r;
}

static bool dir_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	bool empty = true;

	if (!d)
		return errno == ENOENT;
	while (empty && (de = readdir(d)))
		empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
	closedir(d);
	return empty;
}

/* data/volumes over <state>/volumes, data/apps over <state>/apps. */
static int bind_dirs(const struct paths *p, char *err, size_t errlen)
{
	dev_t a = 0, b = 0;
	size_t i;

	for (i = 0; i < N_SUBDIRS; i++) {
		if ((mkdir(p->src[i], 0755) < 0 && errno != EEXIST) ||
		    (mkdir(p->dst[i], 0755) < 0 && errno != EEXIST)) {
			snprintf(err, errlen, "mkdir %s: %s", subdirs[i], strerror(errno));
			return -errno;
		}
		if (dev_of(p->dst[i], &a) == 0 && dev_of(p->mnt, &b) == 0 && a == b)
			continue; /* already in place (an earlier run) */
		if (!dir_empty(p->dst[i])) {
			snprintf(err, errlen, "%s holds files made outside the vault: move them away first",
				 p->dst[i]);
			return -ENOTEMPTY;
		}
		if (mount(p->src[i], p->dst[i], NULL, MS_BIND, NULL) < 0) {
			snprintf(err, errlen, "bind-mounting %s on %s: %s", p->src[i], p->dst[i],
				 strerror(errno));
			return -errno;
		}
	}
	return 0;
}

int vault_fs_tmp_dir(const char *state_dir, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/vault/data/tmp", state_dir);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* data/tmp: the agent's TMPDIR (vault_fs_tmp_dir), inside the policy. */
static int make_tmp(const struct paths *p, char *err, size_t errlen)
{
	char tmp[4200];

	snprintf(tmp, sizeof(tmp), "%s/tmp", p->data);
	if (mkdir(tmp, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "mkdir %s: %s", tmp, strerror(errno));
		return -errno;
	}
	return 0;
}

int vault_fs_open(const char *state_dir, uint64_t size, const uint8_t key[VAULT_FS_KEY_LEN], char *err,
		  size_t errlen)
{
	uint8_t id[FSCRYPT_KEY_IDENTIFIER_SIZE];
	struct paths *p = calloc(1, sizeof(*p));
	int r = p ? make_paths(state_dir, p) : -ENOMEM;

	err[0] = '\0';
	if (r == 0 && !is_mount(p->mnt, state_dir)) {
		char dev[64];

		if (access(p->img, F_OK) < 0)
			r = make_image(p, size < VAULT_FS_MIN_SIZE ? VAULT_FS_MIN_SIZE : size, err, errlen);
		if (r == 0 && attached(p->img, dev, sizeof(dev)))
			r = mount_dev(p, dev, err,
				      errlen); /* still mounted elsewhere: the same file system */
		else if (r == 0)
			r = loop_mount(p, err, errlen);
	}
	if (r == 0) {
		r = add_key(p, key, id);
		if (r < 0)
			snprintf(err, errlen,
				 "adding the vault key to %s: %s (does the kernel have fscrypt?)", p->mnt,
				 strerror(-r));
	}
	if (r == 0)
		r = data_policy(p, id, err, errlen);
	if (r == 0)
		r = make_tmp(p, err, errlen);
	if (r == 0)
		r = bind_dirs(p, err, errlen);
	if (r < 0 && !err[0])
		snprintf(err, errlen, "%s", strerror(-r));
	free(p);
	return r;
}

/* In a child that entered the other namespace (single-threaded after fork,
 * as setns(CLONE_NEWNS) requires): only system calls on prepared paths. */
static int share_child(const struct paths *p, const char *state_dir, const char *dev, int nsfd)
{
	dev_t a = 0, b = 0;
	size_t i;

	if (setns(nsfd, CLONE_NEWNS) < 0)
		return 10;
	if (dev_of(p->mnt, &a) < 0 || dev_of(state_dir, &b) < 0)
		return 11;
	if (a == b && mount(dev, p->mnt, "ext4", MS_NODEV, NULL) < 0)
		return 12;
	if (dev_of(p->mnt, &b) < 0)
		return 11;
	for (i = 0; i < N_SUBDIRS; i++) {
		if (dev_of(p->dst[i], &a) == 0 && a == b)
			continue;
		if (mount(p->src[i], p->dst[i], NULL, MS_BIND, NULL) < 0)
			return 13;
	}
	return 0;
}

static int ns_ino(const char *path, ino_t *out)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	*out = st.st_ino;
	return 0;
}

int vault_fs_share(const char *state_dir, pid_t pid, char *err, size_t errlen)
{
	char nspath[64], dev[64];
	struct paths *p = calloc(1, sizeof(*p));
	ino_t mine = 0, theirs = 0;
	struct stat st;
	int r = p ? make_paths(state_dir, p) : -ENOMEM, nsfd = -1, status = 0;
	pid_t child;

	err[0] = '\0';
	snprintf(nspath, sizeof(nspath), "/proc/%d/ns/mnt", (int)pid);
	if (r == 0 && (ns_ino("/proc/self/ns/mnt", &mine) < 0 || ns_ino(nspath, &theirs) < 0))
		r = -errno;
	if (r < 0 || mine == theirs)
		goto out;
	if (stat(p->mnt, &st) < 0 || major(st.st_dev) != LOOP_MAJOR_NR) {
		r = -ENODEV;
		snprintf(err, errlen, "%s is not mounted from a loop device", p->mnt);
		goto out;
	}
	snprintf(dev, sizeof(dev), "/dev/loop%u", minor(st.st_dev));
	nsfd = open(nspath, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0) {
		r = -errno;
		goto out;
	}
	child = fork();
	if (child < 0) {
		r = -errno;
		goto out;
	}
	if (child == 0)
		_exit(share_child(p, state_dir, dev, nsfd));
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		r = -EIO;
		snprintf(err, errlen, "mounting the vault in the mount namespace of pid %d failed (step %d)",
			 (int)pid, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
out:
	if (r < 0 && !err[0])
		snprintf(err, errlen, "%s", strerror(-r));
	if (nsfd >= 0)
		close(nsfd);
	free(p);
	return r;
}

pid_t vault_fs_socket_pid(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct ucred cr;
	socklen_t len = sizeof(cr);
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0
		? -errno
		: (int)cr.pid;
	close(fd);
	return r;
}

int vault_fs_parse_size(const char *s, uint64_t *out)
{
	char *end = NULL;
	unsigned long long v;
	unsigned shift = 0;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	else if (*end)
		return -EINVAL;
	if (shift && end[1])
		return -EINVAL;
	if (v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}
