// SPDX-License-Identifier: Apache-2.0
/* controller/attest_evlog.c: replaying a device's measurement log against
 * the quoted PCR values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/evp.h>

#include "attest_evlog.h"
#include "err.h"

struct log {
	Org__Lfedge__Eve__Attest__TpmEventLogEntry e[ATTEST_EVLOG_MAX + 1], *ep[ATTEST_EVLOG_MAX + 1];
	Org__Lfedge__Eve__Attest__TpmEventDigest d[ATTEST_EVLOG_MAX + 1];
	uint8_t h[ATTEST_EVLOG_MAX + 1][32];
	Org__Lfedge__Eve__Attest__ZAttestQuote q;
};

static void add(struct log *l, unsigned pcr, uint8_t fill, const char *text)
{
	size_t i = l->q.n_event_log;

	org__lfedge__eve__attest__tpm_event_log_entry__init(&l->e[i]);
	org__lfedge__eve__attest__tpm_event_digest__init(&l->d[i]);
	memset(l->h[i], fill, 32);
	l->d[i].hash_algo = ORG__LFEDGE__EVE__ATTEST__TPM_HASH_ALGO__TPM_HASH_ALGO_SHA256;
	l->d[i].digest = (ProtobufCBinaryData){32, l->h[i]};
	l->e[i].index = (uint32_t)i;
	l->e[i].pcr_index = pcr;
	l->e[i].digest = &l->d[i];
	l->e[i].event_data_string = (char *)text;
	l->ep[i] = &l->e[i];
	l->q.event_log = l->ep;
	l->q.n_event_log = i + 1;
}

static void extend(uint8_t v[32], uint8_t fill)
{
	uint8_t buf[64];
	unsigned len;

	memcpy(buf, v, 32);
	memset(buf + 32, fill, 32);
	EVP_Digest(buf, 64, v, &len, EVP_sha256(), NULL);
}

static void replays(void **state)
{
	static struct log l;
	uint8_t pcrs[ATTEST_NPCR][32] = {{0}};
	char check[256], *json = NULL;

	(void)state;
	memset(&l, 0, sizeof(l));
	org__lfedge__eve__attest__zattest_quote__init(&l.q);
	assert_int_equal(attest_evlog_replay(&l.q, pcrs, &json, check, sizeof(check)), 0);
	assert_null(json);
	assert_non_null(strstr(check, "no event log"));

	add(&l, 15, 0xa1, "eve-agent-binary /x");
	add(&l, 15, 0xb2, "config-directory /c");
	extend(pcrs[15], 0xa1);
	extend(pcrs[15], 0xb2);
	assert_int_equal(attest_evlog_replay(&l.q, pcrs, &json, check, sizeof(check)), 1);
	assert_non_null(strstr(check, "replays to the quoted PCR 15"));
	assert_non_null(json);
	assert_non_null(strstr(json, "eve-agent-binary /x"));
	free(json);

	/* an extend outside the log */
	extend(pcrs[15], 0x01);
	assert_int_equal(attest_evlog_replay(&l.q, pcrs, &json, check, sizeof(check)), 0);
	assert_non_null(strstr(check, "PCR 15 does not replay"));
	free(json);

	/* order matters */
	memset(pcrs[15], 0, 32);
	extend(pcrs[15], 0xb2);
	extend(pcrs[15], 0xa1);
	assert_int_equal(attest_evlog_replay(&l.q, pcrs, &json, check, sizeof(check)), 0);
	free(json);
}

static void refuses_malformed(void **state)
{
	static struct log l;
	uint8_t pcrs[ATTEST_NPCR][32] = {{0}};
	char check[256], *json = NULL;

	(void)state;
	memset(&l, 0, sizeof(l));
	org__lfedge__eve__attest__zattest_quote__init(&l.q);
	add(&l, 16, 0xa1, "pcr out of range");
	assert_int_equal(attest_evlog_replay(&l.q, pcrs, &json, check, sizeof(check)), -EVE_EPROTO);
	assert_null(json);
	l.q.n_event_log = 0;
	add(&l, 15, 0xa1, "short digest");
	l.d[0].digest.len = 31;
	assert_int_equal(attest_evlog_replay(&l.q, pcrs, &json, check, sizeof(check)), -EVE_EPROTO);
	l.q.n_event_log = 0;
	add(&l, 15, 0xa1, "sha1");
	l.d[0].hash_algo = ORG__LFEDGE__EVE__ATTEST__TPM_HASH_ALGO__TPM_HASH_ALGO_SHA1;
	assert_int_equal(attest_evlog_replay(&l.q, pcrs, &json, check, sizeof(check)), -EVE_EPROTO);
	l.q.n_event_log = 0;
	for (int i = 0; i <= ATTEST_EVLOG_MAX; i++)
		add(&l, 15, (uint8_t)i, "many");
	assert_int_equal(attest_evlog_replay(&l.q, pcrs, &json, check, sizeof(check)), -EVE_EPROTO);
	assert_non_null(strstr(check, "entries"));
	assert_null(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(replays),
	    cmocka_unit_test(refuses_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
