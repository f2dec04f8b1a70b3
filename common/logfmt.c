// SPDX-License-Identifier: Apache-2.0
/* Log line formatting (key=value or JSON). */
#include "logfmt.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "utf8.h"

#define TAIL_RESERVE 4 /* closing quote, '}', '\n', NUL */

struct lw {
	char *p;
	size_t cap, len;
	enum logfmt_style st;
	bool cut;
};

static bool lw_put(struct lw *w, const char *s, size_t n)
{
	if (w->cut || w->len + n + TAIL_RESERVE > w->cap) {
		w->cut = true;
		return false;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
	return true;
}

static bool needs_quotes(const char *v)
{
	if (!*v)
		return true;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p <= ' ' || *p == '=' || *p == '"' || *p == '\\' || *p >= 0x7f)
			return true;
	return false;
}

/* The escaped form of one byte; n = 0 when written as itself. */
static size_t esc(unsigned char c, enum logfmt_style st, char out[8])
{
	switch (c) {
	case '"':
		return (size_t)snprintf(out, 8, "\\\"");
	case '\\':
		return (size_t)snprintf(out, 8, "\\\\");
	case '\n':
		return (size_t)snprintf(out, 8, "\\n");
	case '\r':
		return (size_t)snprintf(out, 8, "\\r");
	case '\t':
		return (size_t)snprintf(out, 8, "\\t");
	default:
		if (c < 0x20 || c == 0x7f)
			return (size_t)snprintf(out, 8, st == LOGFMT_JSON ? "\\u%04x" : "\\x%02x", c);
		return 0;
	}
}

/* A value's bytes, escaped; bytes that are not UTF-8 are written as
 * \\xHH (kv) or U+FFFD (json). Stops (cut) when full. */
static void lw_value(struct lw *w, const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p;) {
		char e[8];
		size_t u = utf8_seq_len(p), n = u == 1 ? esc(*p, w->st, e) : 0;
		bool ok;
		if (u == 0) {
			n = w->st == LOGFMT_JSON ? (size_t)snprintf(e, sizeof(e), "\\ufffd")
						 : (size_t)snprintf(e, sizeof(e), "\\x%02x", *p);
			u = 1;
		}
		ok = n ? lw_put(w, e, n) : lw_put(w, (const char *)p, u);
		if (!ok)
			break;
		p += u;
	}
}

/* Keys are written as given minus anything that could break the syntax. */
static void lw_key(struct lw *w, const char *k, bool first)
{
	char clean[64];
	size_t n = 0;
	for (const char *p = k; *p && n < sizeof(clean) - 1; p++)
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '_' || *p == '.' || *p == '-')
			clean[n++] = *p;
	clean[n] = 0;
	if (w->st == LOGFMT_JSON) {
		if (!first)
			lw_put(w, ",", 1);
		lw_put(w, "\"", 1);
		lw_put(w, clean, n);
		lw_put(w, "\":", 2);
	} else {
		if (!first)
			lw_put(w, " ", 1);
		lw_put(w, clean, n);
		lw_put(w, "=", 1);
	}
}

static void lw_field(struct lw *w, const char *k, const char *v, bool first)
{
	if (w->cut)
		return;
	size_t mark = w->len;
	bool q = w->st == LOGFMT_JSON || needs_quotes(v);
	lw_key(w, k, first);
	if (q)
		lw_put(w, "\"", 1);
	if (w->cut) {
		w->len = mark; /* never leave a key without its value */
		return;
	}
	lw_value(w, v);
	if (q)
		w->p[w->len++] = '"'; /* the reserve always leaves room for it */
}

int logfmt_style_parse(const char *s)
{
	if (!strcasecmp(s, "kv") || !strcasecmp(s, "logfmt") || !strcasecmp(s, "text"))
		return LOGFMT_KV;
	if (!strcasecmp(s, "json"))
		return LOGFMT_JSON;
	return -1;
}

const char *logfmt_style_name(enum logfmt_style s)
{
	return s == LOGFMT_JSON ? "json" : "kv";
}

size_t logfmt_line(char *out, size_t cap, enum logfmt_style st, const struct timespec *t, const char *level,
		   const char *prog, const char *msg, const char *const *fields)
{
	struct timespec now;
	struct tm tm;
	char ts[40], day[24];
	struct lw w = {.p = out, .cap = cap, .st = st};
	if (!t) {
		clock_gettime(CLOCK_REALTIME, &now);
		t = &now;
	}
	gmtime_r(&t->tv_sec, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts, sizeof(ts), "%s.%03ldZ", day, t->tv_nsec / 1000000);
	if (st == LOGFMT_JSON)
		lw_put(&w, "{", 1);
	lw_field(&w, "ts", ts, true);
	lw_field(&w, "level", level ? level : "info", false);
	lw_field(&w, "prog", prog ? prog : "", false);
	lw_field(&w, "msg", msg ? msg : "", false);
	for (size_t i = 0; fields && fields[i]; i += 2)
		if (fields[i + 1])
			lw_field(&w, fields[i], fields[i + 1], false);
	if (st == LOGFMT_JSON)
		out[w.len++] = '}';
	out[w.len++] = '\n';
	out[w.len] = 0;
	return w.len;
}
