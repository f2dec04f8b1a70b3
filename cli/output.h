// SPDX-License-Identifier: Apache-2.0
/* Printing API objects: human tables (default), wide tables, ids only, or
 * the API's JSON unchanged. Columns are tables of {header, key, formatter}. */
#ifndef EVECTL_OUTPUT_H
#define EVECTL_OUTPUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum out_mode { OUT_TABLE, OUT_WIDE, OUT_JSON, OUT_QUIET };

/* Format one cell of obj into buf (always NUL-terminated). */
typedef void (*out_fmt)(const json_t *obj, const char *key, char *buf, size_t n);

struct out_col {
	const char *header;
	const char *key; /* object member, passed to fmt */
	out_fmt fmt;     /* NULL: out_fmt_value */
	bool wide;       /* only with -o wide */
};

/* Default cell: strings as-is, numbers, true/false, null and missing "-",
 * arrays of scalars comma-joined, objects "k=v,k=v". */
void out_fmt_value(const json_t *obj, const char *key, char *buf, size_t n);
/* An RFC 3339 time as its age ("5m"). */
void out_fmt_age(const json_t *obj, const char *key, char *buf, size_t n);
/* A byte count as a human size. */
void out_fmt_size(const json_t *obj, const char *key, char *buf, size_t n);

/* Print items (a JSON array of objects) as a table with cols (ends with a
 * zeroed row) to f. OUT_QUIET prints the idkey member of each item, one a
 * line; OUT_JSON is not handled here (see out_json). */
void out_table(FILE *f, const struct out_col *cols, const json_t *items, enum out_mode mode,
	       const char *idkey);
/* One object as "Key: value" lines using the same columns (all of them). */
void out_object(FILE *f, const struct out_col *cols, const json_t *obj);
/* The JSON exactly as received, indented, with a final newline. */
void out_json(FILE *f, const json_t *j);

#endif
