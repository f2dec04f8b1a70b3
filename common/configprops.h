// SPDX-License-Identifier: Apache-2.0
/* EVE's runtime configuration properties (config items): one table of
 * {name, type, range, default, honoured by eve-agent} shared by the agent
 * (which applies them), the controller (which validates what an operator
 * sets and shows each property's state) and evectl (which refuses a bad
 * value before sending it). Names, types and defaults follow EVE's
 * docs/CONFIG-PROPERTIES.md and pkg/pillar/types/global.go; where our range
 * differs from EVE's (shorter timers, for tests) the entry says so in
 * eve_min. Library code: no logging, no allocation. */
#ifndef EVE_CONFIGPROPS_H
#define EVE_CONFIGPROPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum configprop_type {
	CONFIGPROP_INT,      /* decimal uint32 within [min, max] */
	CONFIGPROP_BOOL,     /* true/false (also 1/0, t/f, TRUE/FALSE, True/False) */
	CONFIGPROP_TRISTATE, /* enabled/disabled/none (also enable/on, disable/off) */
	CONFIGPROP_LOGLEVEL, /* none, panic, fatal, error, warning, warn, info, debug, trace, all */
	CONFIGPROP_STRING,   /* any text up to CONFIGPROP_VALUE_MAX bytes */
	CONFIGPROP_ENUM,     /* one word of the entry's choices (eve-agent extensions) */
	CONFIGPROP_U64,      /* decimal uint64 within [min, max] (byte counts) */
};

#define CONFIGPROP_NAME_MAX 256   /* longest key a controller accepts */
#define CONFIGPROP_VALUE_MAX 4096 /* longest value */

struct configprop {
	const char *name;
	enum configprop_type type;
	uint64_t min, max; /* CONFIGPROP_INT (within uint32) and CONFIGPROP_U64 only */
	const char *def;   /* default, as EVE writes it */
	bool agent;        /* eve-agent applies it (else: reported "not supported") */
	bool eve;          /* EVE defines it (false: an eve-agent extension) */
	uint32_t eve_min;  /* EVE's minimum when ours is lower (0: same) */
	const char *help;
	const char *const *choices; /* CONFIGPROP_ENUM: the words, weakest first, NULL-terminated */
};

/* The table, in a stable order. */
size_t configprop_count(void);
const struct configprop *configprop_at(size_t i);
/* NULL when name is not in the table. */
const struct configprop *configprop_find(const char *name);

/* Check value against p: 0, or -EINVAL with a one-line reason (without
 * the name) in err, e.g. "'0' is out of range 1..3600". err may be NULL. */
int configprop_check(const struct configprop *p, const char *value, char *err, size_t err_len);

/* Parsers (0, or -EINVAL when text is not of the type / out of range). */
int configprop_parse_int(const struct configprop *p, const char *text, uint32_t *out);
/* CONFIGPROP_U64: decimal digits only, at most 20, within [min, max]. */
int configprop_parse_u64(const struct configprop *p, const char *text, uint64_t *out);
int configprop_parse_bool(const char *text, bool *out);
/* *out: 1 enabled, 0 disabled, -1 none. */
int configprop_parse_tristate(const char *text, int *out);
/* *out: 0 error (none/panic/fatal/error), 1 warning, 2 info, 3 debug
 * (debug/trace/all): the agent's four levels. */
int configprop_parse_loglevel(const char *text, int *out);

/* *out: index of text in p's choices (CONFIGPROP_ENUM). */
int configprop_parse_enum(const struct configprop *p, const char *text, int *out);

/* "int", "bool", "tristate", "loglevel", "string", "enum", "uint64". */
const char *configprop_type_name(enum configprop_type t);
/* What values p takes, for people: "1..3600", "true|false", ... */
void configprop_domain(const struct configprop *p, char *buf, size_t len);

#endif
