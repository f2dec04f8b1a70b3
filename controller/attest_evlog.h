// SPDX-License-Identifier: Apache-2.0
/* The measurement event log a device sends with its quote
 * (ZAttestQuote.event_log, TpmEventLogEntry): replayed against the quoted
 * PCR values, and kept with the device's attestation row for `evectl
 * device attest show` (docs/security.md, "Event log"). */
#ifndef EVE_CTL_ATTEST_EVLOG_H
#define EVE_CTL_ATTEST_EVLOG_H

#include <stddef.h>
#include <stdint.h>

#include "attest.h"
#include "attest/attest.pb-c.h"

struct store;

/* At most this many entries are accepted; a longer log is refused whole. */
#define ATTEST_EVLOG_MAX 64

/* Replay q's event log against pcrs (already verified against the quote):
 * for each PCR that has entries, SHA-256(value || digest) from zero must
 * give the quoted value. *json (caller frees) is the log as JSON text; check
 * says the result ("replays to the quoted PCR 15", "PCR 15 does not replay:
 * ...", "no event log"). Returns 1 when every logged PCR replays, 0 when
 * one does not or there is no log, -EVE_EPROTO for a malformed log. */
int attest_evlog_replay(const Org__Lfedge__Eve__Attest__ZAttestQuote *q, const uint8_t pcrs[ATTEST_NPCR][32],
			char **json, char *check, size_t n);
/* Replay and store both in device uuid's attest row. 0 or a negative errno. */
int attest_evlog_store(struct store *d, const char *uuid, const Org__Lfedge__Eve__Attest__ZAttestQuote *q,
		       const uint8_t pcrs[ATTEST_NPCR][32]);

#endif
