// SPDX-License-Identifier: Apache-2.0
/* gpt backend: a disk or disk image file with GPT partitions named IMGA and
 * IMGB. The boot order lives in the gptprio bits of each entry's attribute
 * field, exactly where EVE's grub (gptprio.next) reads them; we edit both the
 * primary and backup tables ourselves and recompute their CRC32s. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "bootslot.h"
#include "err.h"

#define GPT_SIG "EFI PART"
#define GPT_MAX_ENTRIES 1024
#define GPT_MAX_ENTRY_SIZE 4096
#define GPT_MAX_TABLE (1024 * 1024)
#define COPY_CHUNK (1024 * 1024)

struct gpt_table {
	uint8_t hdr[4096]; /* one sector */
	uint8_t *ents;     /* entries array, owned */
	uint64_t ent_lba;
	uint32_t n, esz;
	size_t tlen;
};

struct bootslot {
	int fd;
	uint32_t ssz;
	int idx[BOOTSLOT_N]; /* entry index of IMGA/IMGB */
	uint64_t first[BOOTSLOT_N], last[BOOTSLOT_N];
};

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static int pread_full(int fd, void *b, size_t n, uint64_t off)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, (uint8_t *)b + got, n - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO;
		got += (size_t)r;
	}
	return 0;
}

static int pwrite_full(int fd, const void *b, size_t n, uint64_t off)
{
	size_t put = 0;
	while (put < n) {
		ssize_t r = pwrite(fd, (const uint8_t *)b + put, n - put, (off_t)(off + put));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		put += (size_t)r;
	}
	return 0;
}

static uint32_t hdr_crc(uint8_t *hdr, uint32_t hsz)
{
	uint8_t save[4];
	memcpy(save, hdr + 16, 4);
	memset(hdr + 16, 0, 4);
	uint32_t c = (uint32_t)crc32(0, hdr, hsz);
	memcpy(hdr + 16, save, 4);
	return c;
}

/* Read and check the header at lba and its entries array. */
static int table_read(struct bootslot *b, uint64_t lba, struct gpt_table *t)
{
	int r = pread_full(b->fd, t->hdr, b->ssz, lba * b->ssz);
	if (r < 0)
		return r;
	uint32_t hsz = le32(t->hdr + 12);
	if (memcmp(t->hdr, GPT_SIG, 8) != 0 || hsz < 92 || hsz > b->ssz)
		return -EVE_EPROTO;
	if (hdr_crc(t->hdr, hsz) != le32(t->hdr + 16) || le64(t->hdr + 24) != lba)
		return -EVE_EHASH;
	t->ent_lba = le64(t->hdr + 72);
	t->n = le32(t->hdr + 80);
	t->esz = le32(t->hdr + 84);
	if (t->n == 0 || t->n > GPT_MAX_ENTRIES || t->esz < 128 || t->esz > GPT_MAX_ENTRY_SIZE || t->esz % 8)
		return -EVE_EPROTO;
	t->tlen = (size_t)t->n * t->esz;
	if (t->tlen > GPT_MAX_TABLE)
		return -EVE_ETOOBIG;
	t->ents = malloc(t->tlen);
	if (!t->ents)
		return -ENOMEM;
	r = pread_full(b->fd, t->ents, t->tlen, t->ent_lba * b->ssz);
	if (r == 0 && (uint32_t)crc32(0, t->ents, (uInt)t->tlen) != le32(t->hdr + 88))
		r = -EVE_EHASH;
	if (r < 0) {
		free(t->ents);
		t->ents = NULL;
	}
	return r;
}

static int table_write(struct bootslot *b, struct gpt_table *t)
{
	uint32_t hsz = le32(t->hdr + 12);
	put_le32(t->hdr + 88, (uint32_t)crc32(0, t->ents, (uInt)t->tlen));
	put_le32(t->hdr + 16, hdr_crc(t->hdr, hsz));
	int r = pwrite_full(b->fd, t->ents, t->tlen, t->ent_lba * b->ssz);
	if (r == 0)
		r = pwrite_full(b->fd, t->hdr, b->ssz, le64(t->hdr + 24) * b->ssz);
	if (r == 0 && fsync(b->fd) < 0)
		r = -errno;
	return r;
}

/* Entry name is UTF-16LE, 36 code units. */
static bool name_is(const uint8_t *ent, const char *want)
{
	size_t n = strlen(want);
	for (size_t i = 0; i < 36; i++) {
		uint16_t c = (uint16_t)(ent[56 + 2 * i] | ent[57 + 2 * i] << 8);
		if (i == n)
			return c == 0;
		if (c != (uint8_t)want[i])
			return false;
	}
	return false;
}

static int find_slots(struct bootslot *b, const struct gpt_table *t)
{
	b->idx[0] = b->idx[1] = -1;
	for (uint32_t i = 0; i < t->n; i++) {
		const uint8_t *e = t->ents + (size_t)i * t->esz;
		for (int s = 0; s < BOOTSLOT_N; s++) {
			if (!name_is(e, bootslot_label(s)))
				continue;
			if (b->idx[s] >= 0)
				return -EEXIST; /* two partitions with one label */
			b->idx[s] = (int)i;
			b->first[s] = le64(e + 32);
			b->last[s] = le64(e + 40);
		}
	}
	if (b->idx[0] < 0 || b->idx[1] < 0)
		return -ENOENT;
	/* Partitions inside the usable area: a forged table must not make us
	 * write over the GPT itself or past the disk. */
	uint64_t lo = le64(t->hdr + 40), hi = le64(t->hdr + 48);
	for (int s = 0; s < BOOTSLOT_N; s++)
		if (b->first[s] > b->last[s] || b->first[s] < lo || b->last[s] > hi)
			return -EVE_EPROTO;
	return 0;
}

static void gpt_close(struct bootslot *b)
{
	if (!b)
		return;
	if (b->fd >= 0)
		close(b->fd);
	free(b);
}

static int gpt_open(const char *target, struct bootslot **out)
{
	struct gpt_table t = {0};
	struct bootslot *b = calloc(1, sizeof(*b));
	int r;

	if (!b)
		return -ENOMEM;
	b->ssz = 512;
	b->fd = open(target, O_RDWR | O_CLOEXEC);
	if (b->fd < 0) {
		r = -errno;
		goto out;
	}
	int ssz;
	if (ioctl(b->fd, BLKSSZGET, &ssz) == 0 && ssz >= 512 && ssz <= 4096)
		b->ssz = (uint32_t)ssz;
	r = table_read(b, 1, &t);
	if (r == 0)
		r = find_slots(b, &t);
out:
	free(t.ents);
	if (r < 0) {
		gpt_close(b);
		return r;
	}
	*out = b;
	return 0;
}

static int gpt_get(struct bootslot *b, struct bootslot_attr attr[BOOTSLOT_N])
{
	struct gpt_table t = {0};
	int r = table_read(b, 1, &t);
	for (int s = 0; r == 0 && s < BOOTSLOT_N; s++)
		bootslot_attr_decode(le64(t.ents + (size_t)b->idx[s] * t.esz + 48), &attr[s]);
	free(t.ents);
	return r;
}

static void apply_attrs(struct bootslot *b, struct gpt_table *t, const struct bootslot_attr attr[BOOTSLOT_N])
{
	for (int s = 0; s < BOOTSLOT_N; s++) {
		uint8_t *f = t->ents + (size_t)b->idx[s] * t->esz + 48;
		put_le64(f, bootslot_attr_encode(le64(f), &attr[s]));
	}
}

/* Backup table first, then the primary: the primary (what grub reads
 * first) changes last, and each table is self-consistent on its own. */
static int gpt_set(struct bootslot *b, const struct bootslot_attr attr[BOOTSLOT_N])
{
	struct gpt_table p = {0}, k = {0};
	int r;

	if (flock(b->fd, LOCK_EX) < 0)
		return -errno;
	r = table_read(b, 1, &p);
	if (r < 0)
		goto out;
	if (table_read(b, le64(p.hdr + 32), &k) == 0 && k.tlen == p.tlen) {
		apply_attrs(b, &k, attr);
		r = table_write(b, &k);
		if (r < 0)
			goto out;
	}
	apply_attrs(b, &p, attr);
	r = table_write(b, &p);
out:
	free(p.ents);
	free(k.ents);
	flock(b->fd, LOCK_UN);
	return r;
}

static int copy_hashed(int in, int out, uint64_t off, uint64_t *len, EVP_MD_CTX *md)
{
	uint8_t *buf = malloc(COPY_CHUNK);
	int r = 0;

	if (!buf)
		return -ENOMEM;
	*len = 0;
	for (;;) {
		ssize_t n = read(in, buf, COPY_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		r = pwrite_full(out, buf, (size_t)n, off + *len);
		if (r < 0)
			break;
		EVP_DigestUpdate(md, buf, (size_t)n);
		*len += (uint64_t)n;
	}
	free(buf);
	return r;
}

static int hash_range(int fd, uint64_t off, uint64_t len, EVP_MD_CTX *md)
{
	uint8_t *buf = malloc(COPY_CHUNK);
	int r = 0;

	if (!buf)
		return -ENOMEM;
	/* Drop cached pages so the read back comes from the medium where the
	 * kernel allows it (block devices; files may still be cached). */
	posix_fadvise(fd, (off_t)off, (off_t)len, POSIX_FADV_DONTNEED);
	for (uint64_t done = 0; r == 0 && done < len; done += COPY_CHUNK) {
		size_t n = len - done < COPY_CHUNK ? (size_t)(len - done) : COPY_CHUNK;
		r = pread_full(fd, buf, n, off + done);
		if (r == 0)
			EVP_DigestUpdate(md, buf, n);
	}
	free(buf);
	return r;
}

static int gpt_write_image(struct bootslot *b, int slot, const char *path)
{
	uint8_t h1[EVP_MAX_MD_SIZE], h2[EVP_MAX_MD_SIZE];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint64_t off = b->first[slot] * b->ssz, len = 0;
	uint64_t room = (b->last[slot] - b->first[slot] + 1) * b->ssz;
	struct stat st;
	int in = open(path, O_RDONLY | O_CLOEXEC), r;

	if (in < 0 || !md) {
		r = in < 0 ? -errno : -ENOMEM;
		goto out;
	}
	if (fstat(in, &st) < 0 || (uint64_t)st.st_size > room) {
		r = -EVE_ETOOBIG;
		goto out;
	}
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	r = copy_hashed(in, b->fd, off, &len, md);
	if (r < 0)
		goto out;
	EVP_DigestFinal_ex(md, h1, NULL);
	if (fsync(b->fd) < 0) {
		r = -errno;
		goto out;
	}
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	r = hash_range(b->fd, off, len, md);
	if (r < 0)
		goto out;
	EVP_DigestFinal_ex(md, h2, NULL);
	if (memcmp(h1, h2, 32) != 0)
		r = -EVE_EHASH;
out:
	if (in >= 0)
		close(in);
	EVP_MD_CTX_free(md);
	return r;
}

/* root=PARTLABEL=IMGx or eve_slot=IMGx on the kernel command line. */
static int gpt_booted(struct bootslot *b)
{
	char line[4096] = {0};
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	ssize_t n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n <= 0)
		return -ENOENT;
	static const char *const keys[] = {"root=PARTLABEL=", "eve_slot="};
	for (size_t k = 0; k < 2; k++) {
		const char *p = strstr(line, keys[k]);
		if (p) {
			char v[8] = {0};
			strncpy(v, p + strlen(keys[k]), 4);
			int s = bootslot_parse(v);
			if (s >= 0)
				return s;
		}
	}
	return -ENOENT;
}

static int gpt_note(struct bootslot *b, char *out, size_t len)
{
	if (len)
		out[0] = '\0';
	return 0;
}

/* A real reboot, only ever for a block device: a disk image file means a
 * test or development run, where rebooting the host would be a disaster. */
static int gpt_reboot(struct bootslot *b)
{
	struct stat st;
	if (fstat(b->fd, &st) < 0 || !S_ISBLK(st.st_mode))
		return -ENOTSUP;
	sync();
	if (reboot(RB_AUTOBOOT) < 0)
		return -errno;
	return 0;
}

const struct bootslot_ops bootslot_gpt_ops = {
    .name = "gpt",
    .open = gpt_open,
    .close = gpt_close,
    .get = gpt_get,
    .set = gpt_set,
    .write_image = gpt_write_image,
    .booted = gpt_booted,
    .take_note = gpt_note,
    .reboot = gpt_reboot,
};
