// SPDX-License-Identifier: Apache-2.0
/* Accepted device requests across replicas (table replay_seen). */
#include "replay_store.h"

#include <errno.h>
#include <stdbool.h>

#include "store.h"

/* A transaction whose commit does not wait for the WAL flush (see the
 * header): PostgreSQL only, the one back end that is clustered. */
static int begin_async(struct store *d)
{
	int r = store_begin(d);
	if (r == 0 && (r = store_exec(d, "SET LOCAL synchronous_commit TO off")) < 0)
		store_rollback(d);
	return r;
}

/* The row of (sender, id): its status and time; -ENOENT when none. */
static int find(struct store *d, const char *sender, const uint8_t id[REPLAY_ID_LEN], unsigned *status,
		int64_t *at)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT status, at FROM replay_seen WHERE sender = ?1 AND rid = ?2");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, sender);
	store_bind_blob(st, 2, id, REPLAY_ID_LEN);
	int rc = store_step(st);
	if (rc == STORE_ROW) {
		*status = (unsigned)store_col_int64(st, 0);
		*at = store_col_int64(st, 1);
	}
	store_reset(st);
	return rc == STORE_ROW ? 0 : rc == STORE_DONE ? -ENOENT : -EIO;
}

/* Take over a reservation left since `at` (1 when taken). */
static int take_stale(struct store *d, const char *sender, const uint8_t id[REPLAY_ID_LEN], int64_t at,
		      int64_t now)
{
	struct store_stmt *st = store_stmt(d, "UPDATE replay_seen SET at = ?1 WHERE sender = ?2 AND rid = ?3"
					      " AND status = 0 AND at = ?4");
	if (!st)
		return -EIO;
	store_bind_int64(st, 1, now);
	store_bind_text(st, 2, sender);
	store_bind_blob(st, 3, id, REPLAY_ID_LEN);
	store_bind_int64(st, 4, at);
	int r = store_step_done(st);
	return r < 0 ? r : store_changes(d) == 1;
}

int replay_store_begin(struct store *d, const char *sender, const uint8_t id[REPLAY_ID_LEN], int64_t now,
		       unsigned *status)
{
	int64_t at = 0;
	*status = 0;
	int r = begin_async(d);
	if (r < 0)
		return r;
	struct store_stmt *st = store_stmt(d, "INSERT INTO replay_seen(sender, rid, status, at)"
					      " VALUES(?1, ?2, 0, ?3) ON CONFLICT(sender, rid) DO NOTHING");
	if (!st)
		return store_finish(d, -EIO);
	store_bind_text(st, 1, sender);
	store_bind_blob(st, 2, id, REPLAY_ID_LEN);
	store_bind_int64(st, 3, now);
	if ((r = store_step_done(st)) < 0 || store_changes(d) == 1)
		return store_finish(d, r);
	if ((r = find(d, sender, id, status, &at)) == -ENOENT) /* pruned meanwhile: an old one */
		return store_finish(d, 1);
	if (r == 0 && *status == 0 && at < now - REPLAY_STORE_STALE_S)
		r = take_stale(d, sender, id, at, now) == 1 ? 0 : 1;
	else if (r == 0)
		r = 1;
	return store_finish(d, r);
}

int replay_store_end(struct store *d, const char *sender, const uint8_t id[REPLAY_ID_LEN], unsigned status)
{
	bool ok = status / 100 == 2;
	int r = begin_async(d);
	if (r < 0)
		return r;
	struct store_stmt *st =
	    ok ? store_stmt(d, "UPDATE replay_seen SET status = ?3 WHERE sender = ?1 AND rid = ?2")
	       : store_stmt(d, "DELETE FROM replay_seen WHERE sender = ?1 AND rid = ?2");
	if (!st)
		return store_finish(d, -EIO);
	store_bind_text(st, 1, sender);
	store_bind_blob(st, 2, id, REPLAY_ID_LEN);
	if (ok)
		store_bind_int64(st, 3, status);
	return store_finish(d, store_step_done(st));
}

int replay_store_prune(struct store *d, int64_t before)
{
	struct store_stmt *st = store_stmt(d, "DELETE FROM replay_seen WHERE at < ?1");
	if (!st)
		return -EIO;
	store_bind_int64(st, 1, before);
	return store_step_done(st);
}
