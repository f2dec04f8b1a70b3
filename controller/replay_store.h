// SPDX-License-Identifier: Apache-2.0
/* The replay guard across replicas (replay.h keeps one replica's memory):
 * with several controllers on one clustered store, a request accepted by
 * one replica must be recognized by the others, so it is also recorded in
 * the table replay_seen, (sender, id) unique. The INSERT that reserves a
 * request wins for the whole cluster; a second replica's INSERT waits for
 * the first to commit and then finds the row. Rows are kept
 * REPLAY_STORE_KEEP_S (replay_store_prune, in the retention round). Writes
 * do not wait for the WAL flush: a crash of the database may forget the
 * last few records, never a report. */
#ifndef CTL_REPLAY_STORE_H
#define CTL_REPLAY_STORE_H

#include <stdint.h>

#include "replay.h"

struct store;

/* How long a record is kept: longer than the memory of one replica
 * (REPLAY_PER_SENDER requests: about 15 minutes at EVE's intervals). */
#define REPLAY_STORE_KEEP_S 3600
/* A reservation older than this was left by a replica that died while
 * processing it: the request is taken as new again. */
#define REPLAY_STORE_STALE_S 120

/* Reserve request id of sender at time now (Unix seconds): 0 when new
 * (call replay_store_end), 1 when seen, with the status it got in *status
 * (0 while another replica processes it), or -errno. d must not be in a
 * transaction. */
int replay_store_begin(struct store *d, const char *sender, const uint8_t id[REPLAY_ID_LEN], int64_t now,
		       unsigned *status);
/* After processing: a 2xx status is recorded, any other drops the
 * reservation (a retry is processed again). 0 or -errno. */
int replay_store_end(struct store *d, const char *sender, const uint8_t id[REPLAY_ID_LEN], unsigned status);
/* Delete the records from before `before`. 0 or -errno. */
int replay_store_prune(struct store *d, int64_t before);

#endif
