// SPDX-License-Identifier: Apache-2.0
/* The agent program's own logging: one line per event (key=value or JSON,
 * common/logfmt.h, chosen with --log-format), lines go to stderr (foreground) or
 * syslog-less stderr redirected by the service manager, and, above the
 * remote level, to the log shipper as LogEntry records. Only the program
 * (agent.c, main.c) logs; modules return errors. */
#ifndef EVE_AGENTLOG_H
#define EVE_AGENTLOG_H

enum alog_level {
	ALOG_ERR = 0,
	ALOG_WARN,
	ALOG_INFO,
	ALOG_DEBUG,
};

struct logship;

void alog_set_level(enum alog_level local, enum alog_level remote);
/* LOGFMT_KV (default) or LOGFMT_JSON for the local lines. */
void alog_set_format(int logfmt_style);
/* Lines at or above the remote level are also queued to ls (may be NULL). */
void alog_set_ship(struct logship *ls);
void alog(enum alog_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "error", "warning", "info", "debug" (also "err", "warn", "trace"=debug);
 * -1 when unknown. */
int alog_level_parse(const char *s);
const char *alog_level_name(enum alog_level l);

#endif
