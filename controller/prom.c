// SPDX-License-Identifier: Apache-2.0
/* Prometheus counters, histograms and the text exposition writer. */
#include "prom.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "utf8.h"

static const uint64_t bounds_us[PROM_HIST_NB] = {
    500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000,
};

void prom_hist_observe(struct prom_hist *h, uint64_t us)
{
	size_t i = 0;
	while (i < PROM_HIST_NB && us > bounds_us[i])
		i++;
	prom_inc(&h->bucket[i], 1);
	prom_inc(&h->sum_us, us);
}

int prom_header(struct buf *b, const char *name, enum prom_type t, const char *help)
{
	static const char *const types[] = {"counter", "gauge", "histogram"};
	return buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, types[t]);
}

/* Label values: backslash, double quote and newline are escaped; bytes
 * that are not UTF-8 (devices send any bytes) become '?', so one bad name
 * cannot make the whole exposition unparsable. */
static int label_value(struct buf *b, const char *v)
{
	int r = 0;
	for (const unsigned char *p = (const unsigned char *)v; *p && r == 0;) {
		size_t n = utf8_seq_len(p);
		if (*p == '\\')
			r = buf_append(b, "\\\\", 2);
		else if (*p == '"')
			r = buf_append(b, "\\\"", 2);
		else if (*p == '\n')
			r = buf_append(b, "\\n", 2);
		else if (n == 0)
			r = buf_append(b, "?", 1);
		else
			r = buf_append(b, p, n);
		p += n ? n : 1;
	}
	return r;
}

static int labels_write(struct buf *b, const char *const *labels, const char *le)
{
	bool any = false;
	int r = 0;
	for (size_t i = 0; labels && labels[i] && r == 0; i += 2) {
		r = buf_printf(b, "%s%s=\"", any ? "," : "{", labels[i]);
		if (r == 0)
			r = label_value(b, labels[i + 1] ? labels[i + 1] : "");
		if (r == 0)
			r = buf_append(b, "\"", 1);
		any = true;
	}
	if (r == 0 && le) {
		r = buf_printf(b, "%sle=\"%s\"", any ? "," : "{", le);
		any = true;
	}
	if (r == 0 && any)
		r = buf_append(b, "}", 1);
	return r;
}

static int value_write(struct buf *b, double v)
{
	if (isnan(v))
		return buf_printf(b, " NaN\n");
	if (isinf(v))
		return buf_printf(b, v > 0 ? " +Inf\n" : " -Inf\n");
	if (v == (double)(int64_t)v && fabs(v) < 9e15)
		return buf_printf(b, " %lld\n", (long long)v);
	return buf_printf(b, " %.9g\n", v);
}

int prom_sample(struct buf *b, const char *name, const char *const *labels, double v)
{
	int r = buf_printf(b, "%s", name);
	if (r == 0)
		r = labels_write(b, labels, NULL);
	if (r == 0)
		r = value_write(b, v);
	return r;
}

int prom_hist_write(struct buf *b, const char *name, const char *const *labels, struct prom_hist *h)
{
	uint64_t cum = 0;
	int r = 0;
	for (size_t i = 0; i <= PROM_HIST_NB && r == 0; i++) {
		char le[32];
		cum += prom_get(&h->bucket[i]);
		if (i < PROM_HIST_NB)
			snprintf(le, sizeof(le), "%g", (double)bounds_us[i] / 1e6);
		else
			strcpy(le, "+Inf");
		r = buf_printf(b, "%s_bucket", name);
		if (r == 0)
			r = labels_write(b, labels, le);
		if (r == 0)
			r = value_write(b, (double)cum);
	}
	if (r == 0)
		r = buf_printf(b, "%s_sum", name);
	if (r == 0)
		r = labels_write(b, labels, NULL);
	if (r == 0)
		r = value_write(b, (double)prom_get(&h->sum_us) / 1e6);
	if (r == 0)
		r = buf_printf(b, "%s_count", name);
	if (r == 0)
		r = labels_write(b, labels, NULL);
	if (r == 0)
		r = value_write(b, (double)cum);
	return r;
}
