// SPDX-License-Identifier: Apache-2.0
/* The controller program's log: one line per event on stderr, key=value
 * or JSON (log.format), with a UTC timestamp and a level (log.level).
 * Only the program (server.c, init.c, main.c) logs; modules return errors.
 * Never pass secrets (tokens, keys) as fields. */
#ifndef CTL_CTLLOG_H
#define CTL_CTLLOG_H

#include "logfmt.h"

enum ctllog_level {
	CTLLOG_ERROR = 0,
	CTLLOG_WARN,
	CTLLOG_INFO,
	CTLLOG_DEBUG,
};

/* Style and the most verbose level written (defaults: kv, info). */
void ctllog_setup(enum logfmt_style style, enum ctllog_level level);
/* "error", "warning"/"warn", "info", "debug"; -1 when unknown. */
int ctllog_level_parse(const char *s);
/* Log msg with key, value pairs; the list ends with NULL. A NULL value
 * skips its pair. */
void ctllog(enum ctllog_level level, const char *msg, ...) __attribute__((sentinel));

#endif
