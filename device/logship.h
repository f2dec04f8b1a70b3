// SPDX-License-Identifier: Apache-2.0
/* Log shipping (EVE's newlog): log lines become LogEntry JSON lines,
 * batched per source (the device, or one app instance) into gzip files in
 * <state>/newlogs/ under a size quota (oldest files dropped first), and
 * uploaded one file at a time; a file is deleted only once the controller
 * answered 2xx. Thread-safe. */
#ifndef EVE_LOGSHIP_H
#define EVE_LOGSHIP_H

#include <stddef.h>
#include <stdint.h>

#define LOGSHIP_BATCH_MAX (64u * 1024) /* JSON bytes per gzip file */
#define LOGSHIP_FILE_MAX (1u << 20)    /* largest gzip file we upload */
#define LOGSHIP_LINE_MAX 4096          /* longer lines are truncated */

struct logship;

int logship_new(const char *state_dir, size_t quota_bytes, struct logship **out);
void logship_free(struct logship *ls);
/* Change the quota (bytes); files above it are dropped at once, oldest
 * first. */
void logship_set_quota(struct logship *ls, size_t quota_bytes);
/* The device UUID and software version written in each file's header. */
void logship_set_meta(struct logship *ls, const char *dev_uuid, const char *eve_version);
/* Queue one line. app_uuid NULL = the device's own log. */
int logship_add(struct logship *ls, const char *app_uuid, const char *severity, const char *source,
		const char *content);
/* Write every pending batch to a gzip file (before a stop or reboot). */
int logship_rotate(struct logship *ls);
/* Write only the batches whose oldest line is max_age_ms old (full ones are
 * written as they fill): a chatty app console costs one upload per age, not
 * one per line. */
int logship_rotate_aged(struct logship *ls, uint64_t max_age_ms);
/* Upload files oldest first with send (0 = accepted: the file is deleted).
 * app_uuid is NULL for device logs. Stops at the first failure. */
typedef int (*logship_send_fn)(void *ctx, const char *app_uuid, const uint8_t *gz, size_t len);
int logship_upload(struct logship *ls, logship_send_fn send, void *ctx);
/* Bytes of gzip files waiting on disk. */
size_t logship_pending_bytes(struct logship *ls);

#endif
