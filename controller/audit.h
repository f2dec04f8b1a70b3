// SPDX-License-Identifier: Apache-2.0
/* The audit trail: one row per state-changing admin request (who, when,
 * what, the result), kept in SQLite for audit_retention days.
 *
 * Other modules record their own events with audit_record(), e.g. a
 * remote console session:
 *     audit_record(d, "alice", "console open", "device/0a1b...", "tty", 200);
 * The strings are copied (bounded: who 128, action 160, object 256,
 * summary 512 bytes; longer text is cut). Never pass secrets. */
#ifndef CTL_AUDIT_H
#define CTL_AUDIT_H

#include <jansson.h>
#include <stdint.h>

struct store;

/* Days rows are kept (audit_prune). */
#define AUDIT_RETENTION_DAYS 90

/* Record an event now. who: "alice" (a user) or "token:ci" (an API
 * token); action: e.g. "POST /api/v1/apps" or "login"; object: what it
 * acted on ("" when none); summary: a short description of the change;
 * status: the HTTP status of the result. 0 or a negative errno. */
int audit_record(struct store *d, const char *who, const char *action, const char *object,
		 const char *summary, int status);
/* The same with the client's address. */
int audit_record_client(struct store *d, const char *who, const char *action, const char *object,
			const char *summary, int status, const char *client);

struct audit_query {
	int64_t since;  /* Unix seconds, 0: any */
	int64_t before; /* row id cursor, INT64_MAX: newest */
	int64_t after;  /* >= 0: only rows with a larger id, oldest first (follow); -1: off */
	int64_t limit;
	const char *who; /* exact, or NULL */
};

/* Rows matching q as a new JSON array (newest first, or oldest first with
 * q->after); *next is the cursor for the next page (0: none). */
int audit_list(struct store *d, const struct audit_query *q, json_t **items, int64_t *next);
/* Delete rows older than days. */
int audit_prune(struct store *d, int64_t now, int days);

#endif
