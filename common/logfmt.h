// SPDX-License-Identifier: Apache-2.0
/* One log event as one line: key=value (logfmt) or JSON, with an RFC 3339
 * UTC timestamp, a level, the program and a message, then any key/value
 * fields. Formats only (the programs write the lines: library code does
 * not log). Values are escaped so a line can never be split or forged;
 * an over-long line is cut inside a value and still ends well-formed. */
#ifndef EVE_LOGFMT_H
#define EVE_LOGFMT_H

#include <stddef.h>
#include <time.h>

enum logfmt_style {
	LOGFMT_KV = 0, /* ts=... level=info prog=... msg="..." key=value */
	LOGFMT_JSON,   /* {"ts":"...","level":"info","prog":"...","msg":"...","key":"value"} */
};

#define LOGFMT_LINE_MAX 4096

/* "kv" (also "logfmt", "text") or "json"; -1 when unknown. */
int logfmt_style_parse(const char *s);
const char *logfmt_style_name(enum logfmt_style s);

/* Format into out (cap >= 64 bytes): a NUL-terminated line ending in '\n'.
 * t NULL means now; fields is NULL or a NULL-terminated list of key, value
 * pairs (a NULL value skips the pair). Returns the line length. */
size_t logfmt_line(char *out, size_t cap, enum logfmt_style st, const struct timespec *t, const char *level,
		   const char *prog, const char *msg, const char *const *fields);

#endif
