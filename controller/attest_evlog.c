// SPDX-License-Identifier: Apache-2.0
/* Event log replay (attest_evlog.h). */
#include "attest_evlog.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <openssl/evp.h>
#include "store.h"

#include "store.h"
#include "err.h"
#include "hexstr.h"

#define EVLOG_TEXT_MAX 512

static bool entry_ok(const Org__Lfedge__Eve__Attest__TpmEventLogEntry *e)
{
	return e && e->pcr_index < ATTEST_NPCR && e->digest &&
	       e->digest->hash_algo == ORG__LFEDGE__EVE__ATTEST__TPM_HASH_ALGO__TPM_HASH_ALGO_SHA256 &&
	       e->digest->digest.len == 32 &&
	       (!e->event_data_string || strlen(e->event_data_string) <= EVLOG_TEXT_MAX);
}

static int extend(uint8_t v[32], const uint8_t d[32])
{
	uint8_t buf[64];
	unsigned len = 0;

	memcpy(buf, v, 32);
	memcpy(buf + 32, d, 32);
	return EVP_Digest(buf, sizeof(buf), v, &len, EVP_sha256(), NULL) == 1 && len == 32 ? 0 : -EVE_ECRYPTO;
}

static json_t *entry_json(const Org__Lfedge__Eve__Attest__TpmEventLogEntry *e)
{
	char hex[65];

	hexstr_encode(e->digest->digest.data, 32, hex);
	return json_pack("{s:i,s:i,s:i,s:s,s:s}", "index", (int)e->index, "pcr", (int)e->pcr_index, "type",
			 (int)e->event_type, "sha256", hex, "event",
			 e->event_data_string ? e->event_data_string : "");
}

/* Compare the replayed values with the quoted ones; the first PCR that
 * differs is named in check. */
static int compare(const uint8_t rep[ATTEST_NPCR][32], unsigned used, const uint8_t pcrs[ATTEST_NPCR][32],
		   char *check, size_t n)
{
	char got[65], want[65], list[64] = "";
	size_t len = 0;

	for (unsigned i = 0; i < ATTEST_NPCR; i++) {
		if (!(used & (1u << i)))
			continue;
		if (memcmp(rep[i], pcrs[i], 32) != 0) {
			hexstr_encode(pcrs[i], 32, want);
			hexstr_encode(rep[i], 32, got);
			snprintf(
			    check, n,
			    "PCR %u does not replay: the quote has %.16s..., the event log gives %.16s... "
			    "(extended outside the log)",
			    i, want, got);
			return 0;
		}
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%u", len ? ", " : "", i);
		if (len >= sizeof(list))
			len = sizeof(list) - 1;
	}
	snprintf(check, n, "the event log replays to the quoted PCR %s", list);
	return 1;
}

int attest_evlog_replay(const Org__Lfedge__Eve__Attest__ZAttestQuote *q, const uint8_t pcrs[ATTEST_NPCR][32],
			char **json, char *check, size_t n)
{
	uint8_t rep[ATTEST_NPCR][32];
	unsigned used = 0;
	json_t *arr = NULL;
	int r = 0;

	*json = NULL;
	if (q->n_event_log == 0) {
		snprintf(check, n, "no event log (the device sent none)");
		return 0;
	}
	if (q->n_event_log > ATTEST_EVLOG_MAX) {
		snprintf(check, n, "event log refused: %zu entries (at most %d)", q->n_event_log,
			 ATTEST_EVLOG_MAX);
		return -EVE_EPROTO;
	}
	memset(rep, 0, sizeof(rep));
	arr = json_array();
	for (size_t i = 0; r == 0 && i < q->n_event_log; i++) {
		const Org__Lfedge__Eve__Attest__TpmEventLogEntry *e = q->event_log[i];

		if (!entry_ok(e)) {
			snprintf(check, n,
				 "event log refused: entry %zu is malformed (PCR, SHA-256 digest, text)", i);
			r = -EVE_EPROTO;
			break;
		}
		r = extend(rep[e->pcr_index], e->digest->digest.data);
		used |= 1u << e->pcr_index;
		if (r == 0 && (!arr || json_array_append_new(arr, entry_json(e)) < 0))
			r = -ENOMEM;
	}
	if (r == 0)
		r = compare(rep, used, pcrs, check, n);
	if (r >= 0 && arr)
		*json = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	return r;
}

int attest_evlog_store(struct store *d, const char *uuid, const Org__Lfedge__Eve__Attest__ZAttestQuote *q,
		       const uint8_t pcrs[ATTEST_NPCR][32])
{
	char check[256], *json = NULL;
	struct store_stmt *st;
	int r;

	attest_evlog_replay(q, pcrs, &json, check, sizeof(check));
	st = store_stmt(d, "UPDATE attest SET event_log = ?2, event_log_check = ?3 WHERE device_id = ?1");
	if (!st) {
		free(json);
		return -EIO;
	}
	store_bind_text(st, 1, uuid);
	if (json)
		store_bind_text(st, 2, json);
	else
		store_bind_null(st, 2);
	store_bind_text(st, 3, check);
	r = store_step(st) == STORE_DONE ? 0 : -EIO;
	store_reset(st);
	free(json);
	return r;
}
