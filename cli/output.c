// SPDX-License-Identifier: Apache-2.0
/* Tables and JSON output. */
#include "output.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "units.h"

#define CELL_MAX 256
#define COLS_MAX 16

static size_t scalar_str(const json_t *v, char *buf, size_t n)
{
	int len;

	if (!v) {
		snprintf(buf, n, "-");
		return 1;
	}
	switch (json_typeof(v)) {
	case JSON_STRING:
		len = snprintf(buf, n, "%s", json_string_value(v));
		break;
	case JSON_INTEGER:
		len = snprintf(buf, n, "%lld", (long long)json_integer_value(v));
		break;
	case JSON_REAL:
		len = snprintf(buf, n, "%g", json_real_value(v));
		break;
	case JSON_TRUE:
		len = snprintf(buf, n, "true");
		break;
	case JSON_FALSE:
		len = snprintf(buf, n, "false");
		break;
	default:
		len = snprintf(buf, n, "-");
		break;
	}
	return len < 0 ? 0 : (size_t)len >= n ? n - 1 : (size_t)len;
}

void out_fmt_value(const json_t *obj, const char *key, char *buf, size_t n)
{
	const json_t *v = json_object_get(obj, key), *e;
	size_t used = 0, i;
	const char *k;

	buf[0] = 0;
	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
		{
			if (used + 2 >= n)
				break;
			if (i)
				buf[used++] = ',';
			used += scalar_str(e, buf + used, n - used);
		}
		if (!used)
			snprintf(buf, n, "-");
		return;
	}
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, e)
		{
			int len = snprintf(buf + used, n - used, "%s%s=", used ? "," : "", k);

			if (len < 0 || (size_t)len >= n - used)
				break;
			used += (size_t)len;
			used += scalar_str(e, buf + used, n - used);
		}
		if (!used)
			snprintf(buf, n, "-");
		return;
	}
	scalar_str(v, buf, n);
	if (!buf[0])
		snprintf(buf, n, "-");
}

void out_fmt_age(const json_t *obj, const char *key, char *buf, size_t n)
{
	units_format_age(json_string_value(json_object_get(obj, key)), time(NULL), buf, n);
}

void out_fmt_size(const json_t *obj, const char *key, char *buf, size_t n)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		snprintf(buf, n, "-");
		return;
	}
	units_format_size((uint64_t)json_integer_value(v), buf, n);
}

static void cell(const struct out_col *c, const json_t *obj, char *buf)
{
	(c->fmt ? c->fmt : out_fmt_value)(obj, c->key, buf, CELL_MAX);
}

static bool col_shown(const struct out_col *c, enum out_mode mode)
{
	return !c->wide || mode == OUT_WIDE;
}

static void out_quiet(FILE *f, const json_t *items, const char *idkey)
{
	const json_t *e;
	size_t i;
	char buf[CELL_MAX];

	json_array_foreach(items, i, e)
	{
		out_fmt_value(e, idkey, buf, sizeof(buf));
		fprintf(f, "%s\n", buf);
	}
}

/* One line: the headers (cells NULL) or one row of cells; the last shown
 * column is not padded. */
static void print_row(FILE *f, const struct out_col *cols, size_t ncols, const size_t *width,
		      enum out_mode mode, const char *cells, size_t stride)
{
	size_t c, last = 0;

	for (c = 0; c < ncols; c++) {
		if (col_shown(&cols[c], mode))
			last = c;
	}
	for (c = 0; c < ncols; c++) {
		const char *text = cells ? cells + c * stride : cols[c].header;

		if (!col_shown(&cols[c], mode))
			continue;
		if (c == last)
			fprintf(f, "%s\n", text);
		else
			fprintf(f, "%-*s  ", (int)width[c], text);
	}
}

void out_table(FILE *f, const struct out_col *cols, const json_t *items, enum out_mode mode,
	       const char *idkey)
{
	size_t width[COLS_MAX] = {0}, ncols, i, c, nrows = json_array_size(items);
	char *cells;

	if (mode == OUT_QUIET) {
		out_quiet(f, items, idkey);
		return;
	}
	for (ncols = 0; cols[ncols].header && ncols < COLS_MAX; ncols++)
		width[ncols] = strlen(cols[ncols].header);
	cells = calloc(nrows * ncols + 1, CELL_MAX);
	if (!cells)
		return;
	for (i = 0; i < nrows; i++) {
		for (c = 0; c < ncols; c++) {
			char *p = cells + (i * ncols + c) * CELL_MAX;

			cell(&cols[c], json_array_get(items, i), p);
			if (strlen(p) > width[c])
				width[c] = strlen(p);
		}
	}
	print_row(f, cols, ncols, width, mode, NULL, 0);
	for (i = 0; i < nrows; i++)
		print_row(f, cols, ncols, width, mode, cells + i * ncols * CELL_MAX, CELL_MAX);
	free(cells);
}

void out_object(FILE *f, const struct out_col *cols, const json_t *obj)
{
	char buf[CELL_MAX];
	size_t w = 0, c;

	for (c = 0; cols[c].header; c++) {
		if (strlen(cols[c].header) > w)
			w = strlen(cols[c].header);
	}
	for (c = 0; cols[c].header; c++) {
		cell(&cols[c], obj, buf);
		fprintf(f, "%-*s  %s\n", (int)w + 1, cols[c].header, buf);
	}
}

void out_json(FILE *f, const json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);

	if (s) {
		fprintf(f, "%s\n", s);
		free(s);
	}
}
