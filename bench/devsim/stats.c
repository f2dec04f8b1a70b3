// SPDX-License-Identifier: Apache-2.0
/* Latency percentiles, /proc readings and the ECDSA floor. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crypto.h"
#include "monotime.h"
#include "stats.h"

#define STATS_MAX_SAMPLES (64u << 20)

void stats_init(struct stats *s)
{
	memset(s, 0, sizeof(*s));
}

void stats_free(struct stats *s)
{
	free(s->lat_us);
	memset(s, 0, sizeof(*s));
}

static int stats_reserve(struct stats *s, size_t extra)
{
	size_t want;
	uint32_t *p;

	if (s->n + extra <= s->alloc)
		return 0;
	want = s->alloc ? s->alloc * 2 : 4096;
	while (want < s->n + extra)
		want *= 2;
	if (want > STATS_MAX_SAMPLES)
		want = STATS_MAX_SAMPLES;
	if (want < s->n + extra)
		return -ENOSPC;
	p = realloc(s->lat_us, want * sizeof(*p));
	if (!p)
		return -ENOMEM;
	s->lat_us = p;
	s->alloc = want;
	return 0;
}

void stats_add(struct stats *s, uint64_t lat_us, bool ok)
{
	if (ok)
		s->ok++;
	else
		s->errors++;
	if (stats_reserve(s, 1) < 0)
		return;
	s->lat_us[s->n++] = lat_us > UINT32_MAX ? UINT32_MAX : (uint32_t)lat_us;
}

void stats_note_error(struct stats *s, long status, const char *msg)
{
	s->last_status = status;
	snprintf(s->last_error, sizeof(s->last_error), "%s", msg ? msg : "");
}

int stats_merge(struct stats *dst, const struct stats *src)
{
	int r = stats_reserve(dst, src->n);

	if (r < 0)
		return r;
	if (src->n)
		memcpy(dst->lat_us + dst->n, src->lat_us, src->n * sizeof(*src->lat_us));
	dst->n += src->n;
	dst->ok += src->ok;
	dst->errors += src->errors;
	dst->transport_errors += src->transport_errors;
	dst->bytes_up += src->bytes_up;
	dst->bytes_down += src->bytes_down;
	if (src->errors) {
		dst->last_status = src->last_status;
		memcpy(dst->last_error, src->last_error, sizeof(dst->last_error));
	}
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

void stats_sort(struct stats *s)
{
	if (s->n > 1)
		qsort(s->lat_us, s->n, sizeof(*s->lat_us), cmp_u32);
}

uint32_t stats_pct(const struct stats *s, double p)
{
	size_t i;

	if (!s->n)
		return 0;
	i = (size_t)(p / 100.0 * (double)(s->n - 1) + 0.5);
	return s->lat_us[i < s->n ? i : s->n - 1];
}

void stats_print(struct stats *s, const char *name, double seconds)
{
	uint64_t total = s->ok + s->errors;

	stats_sort(s);
	printf("  %-14s %9llu req in %6.2f s = %9.1f req/s  p50 %7.2f ms  p95 %7.2f ms  p99 %7.2f ms  max "
	       "%8.2f ms  errors %llu",
	       name, (unsigned long long)total, seconds, seconds > 0 ? (double)total / seconds : 0.0,
	       stats_pct(s, 50) / 1000.0, stats_pct(s, 95) / 1000.0, stats_pct(s, 99) / 1000.0,
	       stats_pct(s, 100) / 1000.0, (unsigned long long)s->errors);
	if (s->errors)
		printf(" (last: status %ld %s)", s->last_status, s->last_error);
	printf("\n");
}

/* /proc/<pid>/stat: the command may hold spaces and parens; fields after the
 * last ')' are fixed. utime and stime are fields 14 and 15. */
static int procsnap_read_stat(pid_t pid, struct procsnap *out)
{
	char path[64], line[1024], *p;
	unsigned long long ut, st;
	long threads;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	p = fgets(line, sizeof(line), f);
	fclose(f);
	if (!p || !(p = strrchr(line, ')')))
		return -EIO;
	/* after ')': state(3) ppid pgrp session tty tpgid flags minflt cminflt
	 * majflt cmajflt utime(14) stime(15) cutime cstime priority nice
	 * num_threads(20) */
	n = sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %ld", &ut,
		   &st, &threads);
	if (n != 3)
		return -EIO;
	out->cpu_s = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
	out->threads = threads;
	return 0;
}

static int procsnap_read_status(pid_t pid, struct procsnap *out)
{
	char path[64], line[256];
	unsigned long long v;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "VmRSS: %llu", &v) == 1)
			out->rss_kb = (long)v;
		else if (sscanf(line, "VmHWM: %llu", &v) == 1)
			out->hwm_kb = (long)v;
	}
	fclose(f);
	return 0;
}

/* Context switches are per thread: sum /proc/<pid>/task/<tid>/status. */
static void procsnap_sum_switches(pid_t pid, struct procsnap *out)
{
	char path[64], line[256];
	unsigned long long v, vol = 0, inv = 0;
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if (!(d = opendir(path)))
		return;
	while ((de = readdir(d))) {
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/status", (int)pid, de->d_name);
		if (!(f = fopen(path, "re")))
			continue;
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "voluntary_ctxt_switches: %llu", &v) == 1)
				vol += v;
			else if (sscanf(line, "nonvoluntary_ctxt_switches: %llu", &v) == 1)
				inv += v;
		}
		fclose(f);
	}
	closedir(d);
	out->vcsw = vol;
	out->nvcsw = inv;
}

int procsnap_read(pid_t pid, struct procsnap *out)
{
	int r;

	memset(out, 0, sizeof(*out));
	if (pid <= 0)
		return -ESRCH;
	r = procsnap_read_stat(pid, out);
	if (r == 0)
		r = procsnap_read_status(pid, out);
	if (r == 0)
		procsnap_sum_switches(pid, out);
	out->valid = r == 0;
	return r;
}

void procsnap_reset_peak(pid_t pid)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/clear_refs", (int)pid);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, "5", 1) < 0) {
		/* best effort: VmHWM then stays the lifetime peak */
	}
	close(fd);
}

int procsnap_pid_from_file(const char *path, pid_t *out)
{
	char line[32];
	long v;
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	v = strtol(line, NULL, 10);
	if (v <= 0 || v > 1 << 22)
		return -EINVAL;
	*out = (pid_t)v;
	return 0;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

#define FLOOR_ROUNDS_MAX 8192
#define FLOOR_ROUND_OPS 64

/* Time one operation in rounds of 64 for about `seconds` of wall time (at
 * least 8 rounds), each round on the thread's CPU-time clock. */
static int crypto_floor_loop(EVP_PKEY *key, bool sign, double seconds, struct crypto_op_stats *st)
{
	uint8_t digest[32], sig[64];
	uint64_t t0 = monotime_ns(), budget = (uint64_t)(seconds * 1e9);
	uint64_t *ns = malloc(FLOOR_ROUNDS_MAX * sizeof(*ns));
	unsigned n = 0;
	int r;

	if (!ns)
		return -ENOMEM;
	RAND_bytes(digest, sizeof(digest));
	r = crypto_ecdsa_sign(key, digest, sig);
	while (r == 0 && n < FLOOR_ROUNDS_MAX && (n < 8 || monotime_ns() - t0 < budget)) {
		uint64_t t = thread_cpu_ns();

		for (int i = 0; i < FLOOR_ROUND_OPS && r == 0; i++)
			r = sign ? crypto_ecdsa_sign(key, digest, sig)
				 : crypto_ecdsa_verify(key, digest, sig, sizeof(sig));
		ns[n++] = thread_cpu_ns() - t;
	}
	if (r == 0) {
		qsort(ns, n, sizeof(*ns), cmp_u64);
		double k = 1000.0 * FLOOR_ROUND_OPS;
		st->rounds = n;
		st->min = (double)ns[0] / k;
		st->median = (double)ns[n / 2] / k;
		st->p90 = (double)ns[n * 9 / 10] / k;
		st->max = (double)ns[n - 1] / k;
	}
	free(ns);
	return r;
}

int crypto_floor_measure(struct crypto_floor *out, double seconds_each)
{
	EVP_PKEY *key = NULL;
	int r = crypto_ec_generate(&key);

	if (r < 0)
		return r;
	r = crypto_floor_loop(key, true, seconds_each, &out->sign);
	if (r == 0)
		r = crypto_floor_loop(key, false, seconds_each, &out->verify);
	out->sign_us = out->sign.median;
	out->verify_us = out->verify.median;
	EVP_PKEY_free(key);
	return r;
}

static bool name_matches(const char *name, const char *const *match)
{
	if (!match)
		return true;
	for (; *match; match++)
		if (strstr(name, *match))
			return true;
	return false;
}

int stats_dir_bytes(const char *dir, const char *const *match, uint64_t *out)
{
	char path[4096];
	struct dirent *de;
	struct stat st;
	uint64_t sum = 0, sub;
	DIR *d = opendir(dir);

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= sizeof(path))
			continue;
		if (lstat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (stats_dir_bytes(path, match, &sub) == 0)
				sum += sub;
		} else if (S_ISREG(st.st_mode) && name_matches(de->d_name, match)) {
			sum += (uint64_t)st.st_size;
		}
	}
	closedir(d);
	*out = sum;
	return 0;
}
