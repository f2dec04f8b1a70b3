// SPDX-License-Identifier: Apache-2.0
/* Figures a benchmark prints: latency samples and their percentiles, the
 * controller's CPU and memory read from /proc, the machine's own ECDSA P-256
 * cost, and a monotonic clock. Single-threaded per struct stats; merge the
 * per-thread ones with stats_merge. */
#ifndef DEVSIM_STATS_H
#define DEVSIM_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Latency samples (µs) and error counts of one kind of request. */
struct stats {
	uint32_t *lat_us; /* owned */
	size_t n, alloc;
	uint64_t ok, errors, transport_errors;
	uint64_t bytes_up, bytes_down;
	long last_status; /* last unexpected HTTP status, for the report */
	char last_error[128];
};

void stats_init(struct stats *s);
void stats_free(struct stats *s);
/* Record one request of lat_us; ok false counts an error. Samples past a
 * hard cap (64 M) are dropped (counts stay right). */
void stats_add(struct stats *s, uint64_t lat_us, bool ok);
/* Note why the last error happened (status or transport text). */
void stats_note_error(struct stats *s, long status, const char *msg);
/* Append src's samples and counts to dst. -ENOMEM. */
int stats_merge(struct stats *dst, const struct stats *src);
/* Sort and print "name: N req in T s = R req/s, p50 .. max, errors" to stdout. */
void stats_print(struct stats *s, const char *name, double seconds);
/* Percentile p (0..100) in µs of the sorted samples (after stats_print or
 * stats_sort); 0 when empty. */
void stats_sort(struct stats *s);
uint32_t stats_pct(const struct stats *s, double p);

/* A snapshot of a process from /proc/<pid>/{stat,status}. */
struct procsnap {
	bool valid;
	double cpu_s; /* utime + stime, all threads */
	long rss_kb;  /* VmRSS */
	long hwm_kb;  /* VmHWM: peak RSS since start or last reset */
	long threads;
	uint64_t vcsw, nvcsw; /* voluntary / involuntary context switches */
};

/* Read pid's snapshot; -errno (e.g. -ENOENT when it is gone). */
int procsnap_read(pid_t pid, struct procsnap *out);
/* Reset pid's VmHWM to its current RSS (writes 5 to clear_refs) so the next
 * scenario's peak is its own; best effort. */
void procsnap_reset_peak(pid_t pid);
/* Read a pid from a file such as DIR/controller.pid; -errno. */
int procsnap_pid_from_file(const char *path, pid_t *out);

/* The machine's own cost of one ECDSA P-256 sign and verify over a SHA-256
 * digest, measured in-process with OpenSSL (µs per operation). */
/* µs per operation timed on this thread's CPU-time clock (preemption by
 * other load does not count), rounds of 64 operations: the median is the
 * figure used; min, p90 and max show the spread. */
struct crypto_op_stats {
	double median, min, p90, max;
	unsigned rounds;
};
struct crypto_floor {
	double sign_us, verify_us; /* the medians */
	struct crypto_op_stats sign, verify;
};
int crypto_floor_measure(struct crypto_floor *out, double seconds_each);

/* Sum of file sizes (apparent, bytes) under dir whose names contain any of
 * the given substrings (NULL-terminated list; NULL list = every file).
 * -errno when dir cannot be read. */
int stats_dir_bytes(const char *dir, const char *const *match, uint64_t *out);

#endif
