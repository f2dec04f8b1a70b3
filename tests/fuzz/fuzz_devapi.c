// SPDX-License-Identifier: Apache-2.0
/* libFuzzer harness: every device-API v2 request type as the controller
 * handles it (envelope parse, sender lookup, signature check, protobuf
 * decode, validation, storage in SQLite), by calling the route handlers of
 * device_api_routes directly on a real controller fixture.
 *
 * The requests are the POST routes of device_api_routes, in table order
 * (register, uuid, config, info, metrics, logs, newlogs, app newlogs,
 * flowlog, and any route added later, such as hardware health).
 *
 * Input: byte 0 picks the request, byte 1 how the body is made:
 *   bit 0 set: the rest is the payload, sealed by the device's key (the
 *              onboarding key for /register), so the decoding runs;
 *   bit 0 clear: the rest is the raw body (an AuthContainer or garbage);
 *   bit 1 set (with bit 0): the payload is gzip-compressed first (newlogs). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device_api.h"
#include "fuzz_ctl.h"
#include "gzip.h"

#define MAX_REQS 32

static struct {
	const char *method, *pattern; /* pattern without DEVAPI_PREFIX */
} reqs[MAX_REQS];
static size_t nreqs;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const size_t plen = strlen(DEVAPI_PREFIX);
	const struct http_route *rt;

	fuzz_ctl_get();
	for (rt = device_api_routes; rt->method && nreqs < MAX_REQS; rt++) {
		if (strcmp(rt->method, "POST") || strncmp(rt->pattern, DEVAPI_PREFIX, plen))
			continue;
		reqs[nreqs].method = rt->method;
		reqs[nreqs++].pattern = rt->pattern + plen;
	}
	FUZZ_CHECK(nreqs > 0 && !strcmp(reqs[0].pattern, "/register"), "device API routes");
	return 0;
}

static unsigned call_sealed(struct fuzz_ctl *f, size_t which, bool gz, const uint8_t *p, size_t n)
{
	bool reg = !strcmp(reqs[which].pattern, "/register");
	const struct eve_signer *s = reg ? &f->onboard : &f->dev;
	struct buf z;
	uint8_t *env = NULL;
	size_t elen = 0;
	unsigned st;

	buf_init(&z, 8u << 20);
	if (gz) {
		FUZZ_CHECK(gzip_compress(p, n, "{}", &z) == 0, "gzip_compress");
		p = z.data;
		n = z.len;
	}
	FUZZ_CHECK(envelope_seal(s, p, n, reg, &env, &elen) == 0, "envelope_seal");
	st = fuzz_ctl_call(f, reqs[which].method, reqs[which].pattern, env, elen);
	/* A body sealed by a key the controller knows always passes auth, and
	 * whatever it holds is the device's error (4xx), never the server's. */
	FUZZ_CHECK(st != 401 || reg, "sealed request refused as unauthenticated");
	if (st >= 500)
		fprintf(stderr, "%s: status %u\n", reqs[which].pattern, st);
	FUZZ_CHECK(st < 500, "sealed request answered with a server error");
	free(env);
	buf_free(&z);
	return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_ctl *f = fuzz_ctl_get();
	size_t which;

	if (size < 2)
		return 0;
	which = data[0] % nreqs;
	if (data[1] & 1)
		call_sealed(f, which, data[1] & 2, data + 2, size - 2);
	else
		fuzz_ctl_call(f, reqs[which].method, reqs[which].pattern, data + 2, size - 2);
	return 0;
}
