// SPDX-License-Identifier: Apache-2.0
/* A controller for fuzz harnesses: a real struct ctl (SQLite database with
 * the schema, device cache, signing key) in a scratch directory, with one
 * onboarding certificate (serials "*") and one registered device, so inputs
 * can be sealed by a key the controller trusts and reach the decoding that
 * follows authentication. Retention counts are small (1000 log lines, 100
 * rows of the rest) so trimming stays cheap over millions of inputs. No HTTP server: handlers are called
 * directly. */
#ifndef EVE_FUZZ_CTL_H
#define EVE_FUZZ_CTL_H

#include "ctl.h"
#include "envelope.h"
#include "fuzz_util.h"
#include "http.h"
#include "uuidgen.h"

struct fuzz_ctl {
	struct ctl c;
	struct eve_signer dev;     /* the registered device's key */
	struct eve_signer onboard; /* the onboarding certificate's key */
	char uuid[UUID_STR_LEN];   /* the device's uuid */
	char app[UUID_STR_LEN];    /* an app-instance uuid for newlogs URLs */
};

/* Build the fixture once per process (aborts on failure: a harness without
 * its fixture would fuzz nothing). The scratch directory is removed at exit. */
struct fuzz_ctl *fuzz_ctl_get(void);

/* Call the device-API handler of route pattern (as in device_api_routes,
 * without DEVAPI_PREFIX, e.g. "/id/x/info") with body as the request body;
 * returns the reply status. Bodies over the route's cap get 413 like the
 * HTTP layer gives. */
unsigned fuzz_ctl_call(struct fuzz_ctl *f, const char *method, const char *pattern, const uint8_t *body,
		       size_t len);

#endif
