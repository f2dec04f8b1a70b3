// SPDX-License-Identifier: Apache-2.0
/* Agent logging. */
#include "agentlog.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "logfmt.h"
#include "logship.h"

static enum alog_level local_level = ALOG_INFO;
static enum alog_level remote_level = ALOG_INFO;
static struct logship *ship;
static enum logfmt_style style = LOGFMT_KV;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static const struct {
	const char *name;
	enum alog_level level;
} names[] = {
    {"error", ALOG_ERR}, {"err", ALOG_ERR},     {"warning", ALOG_WARN}, {"warn", ALOG_WARN},
    {"info", ALOG_INFO}, {"debug", ALOG_DEBUG}, {"trace", ALOG_DEBUG},
};

void alog_set_level(enum alog_level local, enum alog_level remote)
{
	pthread_mutex_lock(&lock);
	local_level = local;
	remote_level = remote;
	pthread_mutex_unlock(&lock);
}

void alog_set_format(int logfmt_style)
{
	pthread_mutex_lock(&lock);
	style = logfmt_style == LOGFMT_JSON ? LOGFMT_JSON : LOGFMT_KV;
	pthread_mutex_unlock(&lock);
}

void alog_set_ship(struct logship *ls)
{
	pthread_mutex_lock(&lock);
	ship = ls;
	pthread_mutex_unlock(&lock);
}

int alog_level_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(s, names[i].name))
			return (int)names[i].level;
	return -1;
}

const char *alog_level_name(enum alog_level l)
{
	static const char *const n[] = {"ERROR", "WARNING", "INFO", "DEBUG"};

	return (unsigned)l < 4 ? n[l] : "INFO";
}

void alog(enum alog_level level, const char *fmt, ...)
{
	static const char *const lv[] = {"error", "warning", "info", "debug"};
	char line[1024], out[LOGFMT_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&lock);
	if (level <= local_level) {
		size_t n = logfmt_line(out, sizeof(out), style, NULL,
				       (unsigned)level < 4 ? lv[level] : "info", "eve-agent", line, NULL);
		fwrite(out, 1, n, stderr);
	}
	if (ship && level <= remote_level)
		logship_add(ship, NULL, alog_level_name(level), "eve-agent", line);
	pthread_mutex_unlock(&lock);
}
