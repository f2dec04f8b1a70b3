// SPDX-License-Identifier: Apache-2.0
/* Remote consoles across replicas (tables console_grants, console_sessions). */
#include "console_store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

static void copy_col(struct store_stmt *st, int i, char *out, size_t cap)
{
	const char *t = store_col_text(st, i);
	snprintf(out, cap, "%s", t ? t : "");
}

/* The holder of device's grant into holder: 0, -ENOENT, -errno. */
static int holder_of(struct store *d, const char *device, char holder[CONSOLE_STORE_ADDR_MAX])
{
	struct store_stmt *st = store_stmt(d, "SELECT dispatcher FROM console_grants WHERE device = ?1");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, device);
	int rc = store_step(st);
	if (rc == STORE_ROW)
		copy_col(st, 0, holder, CONSOLE_STORE_ADDR_MAX);
	store_reset(st);
	return rc == STORE_ROW ? 0 : rc == STORE_DONE ? -ENOENT : -EIO;
}

/* Sessions of device that a replica other than me held: theirs ended. */
static int end_others(struct store *d, const char *device, const char *me, int64_t now)
{
	struct store_stmt *st =
	    store_stmt(d, "UPDATE console_sessions SET ended = ?3, reason = 'its replica stopped',"
			  " open = 0 WHERE device = ?1 AND dispatcher <> ?2 AND ended = 0");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, device);
	store_bind_text(st, 2, me);
	store_bind_int64(st, 3, now);
	return store_step_done(st);
}

int console_store_claim(struct store *d, const char *device, const char *me, int64_t now,
			char holder[CONSOLE_STORE_ADDR_MAX])
{
	int r = store_begin(d);
	if (r < 0)
		return r;
	/* One statement decides for the whole cluster: the row is taken when
	 * it is me's already, or its holder stopped saying it is alive. */
	struct store_stmt *st = store_stmt(
	    d, "INSERT INTO console_grants(device, dispatcher, token, exp, generation, alive)"
	       " VALUES(?1, ?2, '', 0, 0, ?3) ON CONFLICT(device) DO UPDATE SET alive = excluded.alive,"
	       " token = CASE WHEN console_grants.dispatcher = excluded.dispatcher THEN console_grants.token"
	       " ELSE '' END,"
	       " exp = CASE WHEN console_grants.dispatcher = excluded.dispatcher THEN console_grants.exp "
	       "ELSE 0 END,"
	       " dispatcher = excluded.dispatcher"
	       " WHERE console_grants.dispatcher = excluded.dispatcher OR console_grants.alive < ?4");
	if (!st)
		return store_finish(d, -EIO);
	store_bind_text(st, 1, device);
	store_bind_text(st, 2, me);
	store_bind_int64(st, 3, now);
	store_bind_int64(st, 4, now - CONSOLE_STORE_STALE_S);
	if ((r = store_step_done(st)) < 0)
		return store_finish(d, r);
	if (store_changes(d) == 1)
		r = end_others(d, device, me, now);
	else if ((r = holder_of(d, device, holder)) == 0)
		r = 1;
	return store_finish(d, r);
}

int console_store_grant_set(struct store *d, const char *device, const char *me, const char *token,
			    int64_t exp, uint32_t generation)
{
	struct store_stmt *st =
	    store_stmt(d, "UPDATE console_grants SET token = ?3, exp = ?4, generation = ?5"
			  " WHERE device = ?1 AND dispatcher = ?2");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, device);
	store_bind_text(st, 2, me);
	store_bind_text(st, 3, token);
	store_bind_int64(st, 4, exp);
	store_bind_int64(st, 5, generation);
	int r = store_step_done(st);
	return r < 0 ? r : store_changes(d) == 1 ? 0 : -ENOENT;
}

int console_store_grant_drop(struct store *d, const char *device, const char *me)
{
	struct store_stmt *st =
	    store_stmt(d, "DELETE FROM console_grants WHERE device = ?1 AND dispatcher = ?2");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, device);
	store_bind_text(st, 2, me);
	return store_step_done(st);
}

int console_store_grant_token(struct store *d, const char *device, int64_t now, char **token,
			      uint32_t *generation)
{
	struct store_stmt *st = store_stmt(d, "SELECT token, generation FROM console_grants WHERE device = ?1"
					      " AND exp > ?2 AND alive >= ?3 AND token <> ''");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, device);
	store_bind_int64(st, 2, now);
	store_bind_int64(st, 3, now - CONSOLE_STORE_STALE_S);
	int rc = store_step(st), r = rc == STORE_ROW ? 0 : rc == STORE_DONE ? -ENOENT : -EIO;
	if (r == 0) {
		*token = strdup(store_col_text(st, 0));
		*generation = (uint32_t)store_col_int64(st, 1);
		r = *token ? 0 : -ENOMEM;
	}
	store_reset(st);
	return r;
}

int console_store_alive(struct store *d, const char *me, int64_t now)
{
	struct store_stmt *st = store_stmt(d, "UPDATE console_grants SET alive = ?2 WHERE dispatcher = ?1");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, me);
	store_bind_int64(st, 2, now);
	return store_step_done(st);
}

int console_store_release(struct store *d, const char *me, int64_t now, const char *reason,
			  void (*fn)(void *ctx, const char *device), void *ctx)
{
	int r = store_begin(d);
	if (r < 0)
		return r;
	struct store_stmt *st = store_stmt(d, "UPDATE console_sessions SET ended = ?2, reason = ?3, open = 0"
					      " WHERE dispatcher = ?1 AND ended = 0");
	if (!st)
		return store_finish(d, -EIO);
	store_bind_text(st, 1, me);
	store_bind_int64(st, 2, now);
	store_bind_text(st, 3, reason);
	if ((r = store_step_done(st)) < 0)
		return store_finish(d, r);
	st = store_stmt(d, "DELETE FROM console_grants WHERE dispatcher = ?1 RETURNING device");
	if (!st)
		return store_finish(d, -EIO);
	store_bind_text(st, 1, me);
	int rc;
	while ((rc = store_step(st)) == STORE_ROW)
		fn(ctx, store_col_text(st, 0));
	store_reset(st);
	return store_finish(d, rc == STORE_DONE ? 0 : -EIO);
}

/* ---- sessions ------------------------------------------------------------ */

#define SESSION_COLS                                                                                         \
	"id, dispatcher, app, instance, device, project, who, token_id, kind, port, created, expires, "      \
	"ended,"                                                                                             \
	" reason, channels, open, bytes_in, bytes_out, rev"

static void session_bind(struct store_stmt *st, const struct console_store_session *s)
{
	store_bind_text(st, 1, s->id);
	store_bind_text(st, 2, s->dispatcher);
	store_bind_text(st, 3, s->app);
	store_bind_text(st, 4, s->instance);
	store_bind_text(st, 5, s->device);
	store_bind_text(st, 6, s->project);
	store_bind_text(st, 7, s->who);
	store_bind_int64(st, 8, s->token_id);
	store_bind_text(st, 9, s->kind);
	store_bind_int64(st, 10, s->port);
	store_bind_int64(st, 11, s->created);
	store_bind_int64(st, 12, s->expires);
	store_bind_int64(st, 13, s->ended);
	store_bind_text(st, 14, s->reason);
	store_bind_int64(st, 15, s->channels);
	store_bind_int64(st, 16, s->open);
	store_bind_int64(st, 17, (int64_t)s->bytes_in);
	store_bind_int64(st, 18, (int64_t)s->bytes_out);
	store_bind_int64(st, 19, s->rev);
}

static void session_read(struct store_stmt *st, struct console_store_session *s)
{
	memset(s, 0, sizeof(*s));
	copy_col(st, 0, s->id, sizeof(s->id));
	copy_col(st, 1, s->dispatcher, sizeof(s->dispatcher));
	copy_col(st, 2, s->app, sizeof(s->app));
	copy_col(st, 3, s->instance, sizeof(s->instance));
	copy_col(st, 4, s->device, sizeof(s->device));
	copy_col(st, 5, s->project, sizeof(s->project));
	copy_col(st, 6, s->who, sizeof(s->who));
	s->token_id = store_col_int64(st, 7);
	copy_col(st, 8, s->kind, sizeof(s->kind));
	s->port = (int)store_col_int64(st, 9);
	s->created = store_col_int64(st, 10);
	s->expires = store_col_int64(st, 11);
	s->ended = store_col_int64(st, 12);
	copy_col(st, 13, s->reason, sizeof(s->reason));
	s->channels = (unsigned)store_col_int64(st, 14);
	s->open = (unsigned)store_col_int64(st, 15);
	s->bytes_in = (uint64_t)store_col_int64(st, 16);
	s->bytes_out = (uint64_t)store_col_int64(st, 17);
	s->rev = store_col_int64(st, 18);
}

int console_store_session_put(struct store *d, const struct console_store_session *s)
{
	/* A row another replica ended stays ended (the holder learns it at
	 * its next look, console_store_sessions). */
	struct store_stmt *st = store_stmt(
	    d,
	    "INSERT INTO console_sessions(" SESSION_COLS ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
	    " ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19) ON CONFLICT(id) DO UPDATE SET"
	    " dispatcher = excluded.dispatcher, expires = excluded.expires,"
	    " ended = CASE WHEN console_sessions.ended <> 0 THEN console_sessions.ended ELSE excluded.ended "
	    "END,"
	    " reason = CASE WHEN console_sessions.ended <> 0 THEN console_sessions.reason ELSE "
	    "excluded.reason END,"
	    " channels = excluded.channels, open = excluded.open, bytes_in = excluded.bytes_in,"
	    " bytes_out = excluded.bytes_out, rev = excluded.rev WHERE console_sessions.rev < excluded.rev");
	if (!st)
		return -EIO;
	session_bind(st, s);
	return store_step_done(st);
}

int console_store_session_get(struct store *d, const char *id, struct console_store_session *s)
{
	struct store_stmt *st = store_stmt(d, "SELECT " SESSION_COLS " FROM console_sessions WHERE id = ?1");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, id);
	int rc = store_step(st);
	if (rc == STORE_ROW)
		session_read(st, s);
	store_reset(st);
	return rc == STORE_ROW ? 0 : rc == STORE_DONE ? -ENOENT : -EIO;
}

int console_store_session_end(struct store *d, const char *id, int64_t now, const char *reason)
{
	struct store_stmt *st =
	    store_stmt(d, "UPDATE console_sessions SET ended = ?2, reason = ?3 WHERE id = ?1 AND ended = 0");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, id);
	store_bind_int64(st, 2, now);
	store_bind_text(st, 3, reason);
	int r = store_step_done(st);
	if (r < 0 || store_changes(d) == 1)
		return r < 0 ? r : 1;
	struct console_store_session s;
	return console_store_session_get(d, id, &s);
}

int console_store_sessions(struct store *d, const char *dispatcher, int64_t since, int limit,
			   int (*fn)(void *ctx, const struct console_store_session *s), void *ctx)
{
	struct store_stmt *st =
	    dispatcher ? store_stmt(d, "SELECT " SESSION_COLS " FROM console_sessions WHERE dispatcher = ?1"
				       " AND (ended = 0 OR ended >= ?2) ORDER BY created DESC LIMIT ?3")
		       : store_stmt(d, "SELECT " SESSION_COLS
				       " FROM console_sessions ORDER BY created DESC LIMIT ?1");
	if (!st)
		return -EIO;
	if (dispatcher) {
		store_bind_text(st, 1, dispatcher);
		store_bind_int64(st, 2, since);
	}
	store_bind_int64(st, dispatcher ? 3 : 1, limit);
	int rc = STORE_DONE, r = 0;
	struct console_store_session s;
	while (r == 0 && (rc = store_step(st)) == STORE_ROW) {
		session_read(st, &s);
		r = fn(ctx, &s);
	}
	if (r == 0 && rc != STORE_DONE)
		r = -EIO;
	store_reset(st);
	return r;
}

int console_store_prune(struct store *d, int64_t now)
{
	struct store_stmt *st = store_stmt(d, "DELETE FROM console_sessions WHERE ended <> 0 AND ended < ?1");
	if (!st)
		return -EIO;
	store_bind_int64(st, 1, now - CONSOLE_STORE_KEEP_S);
	int r = store_step_done(st);
	if (r < 0 || !(st = store_stmt(d, "DELETE FROM console_tickets WHERE exp < ?1")))
		return r < 0 ? r : -EIO;
	store_bind_int64(st, 1, now);
	return store_step_done(st);
}

int console_store_ticket_put(struct store *d, const uint8_t hash[32], const char *session, int64_t exp)
{
	struct store_stmt *st =
	    store_stmt(d, "INSERT INTO console_tickets(hash, session, exp) VALUES(?1, ?2, ?3)");
	if (!st)
		return -EIO;
	store_bind_blob(st, 1, hash, 32);
	store_bind_text(st, 2, session);
	store_bind_int64(st, 3, exp);
	return store_step_done(st);
}

int console_store_ticket_take(struct store *d, const uint8_t hash[32], int64_t now,
			      char session[UUID_STR_LEN])
{
	/* one statement: of two replicas taking it, one gets the row */
	struct store_stmt *st =
	    store_stmt(d, "DELETE FROM console_tickets WHERE hash = ?1 AND exp > ?2 RETURNING session");
	if (!st)
		return -EIO;
	store_bind_blob(st, 1, hash, 32);
	store_bind_int64(st, 2, now);
	int rc = store_step(st);
	if (rc == STORE_ROW)
		copy_col(st, 0, session, UUID_STR_LEN);
	/* the statement is stepped to its end: the DELETE is done */
	int end = rc == STORE_ROW ? store_step(st) : rc;
	store_reset(st);
	return rc == STORE_ROW && end == STORE_DONE ? 0 : rc == STORE_DONE ? -ENOENT : -EIO;
}
