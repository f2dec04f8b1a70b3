// SPDX-License-Identifier: Apache-2.0
/* Controller log lines on stderr. */
#include "ctllog.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define CTLLOG_MAX_FIELDS 16

static _Atomic int log_style = LOGFMT_KV;
static _Atomic int log_level = CTLLOG_INFO;

static const char *const level_names[] = {"error", "warning", "info", "debug"};

void ctllog_setup(enum logfmt_style style, enum ctllog_level level)
{
	atomic_store(&log_style, (int)style);
	atomic_store(&log_level, (int)level);
}

int ctllog_level_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (!strcasecmp(s, level_names[i]))
			return i;
	if (!strcasecmp(s, "warn"))
		return CTLLOG_WARN;
	return -1;
}

void ctllog(enum ctllog_level level, const char *msg, ...)
{
	if ((int)level > atomic_load(&log_level))
		return;
	const char *fields[2 * CTLLOG_MAX_FIELDS + 1];
	size_t n = 0;
	va_list ap;
	va_start(ap, msg);
	for (const char *k = va_arg(ap, const char *); k; k = va_arg(ap, const char *)) {
		const char *v = va_arg(ap, const char *);
		if (n < 2 * CTLLOG_MAX_FIELDS) {
			fields[n++] = k;
			fields[n++] = v;
		}
	}
	va_end(ap);
	fields[n] = NULL;
	char line[LOGFMT_LINE_MAX];
	size_t len = logfmt_line(line, sizeof(line), (enum logfmt_style)atomic_load(&log_style), NULL,
				 level_names[(unsigned)level < 4 ? level : CTLLOG_INFO], "eve-controller",
				 msg, fields);
	/* One write per line: lines of concurrent threads never interleave. */
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}
