// SPDX-License-Identifier: Apache-2.0
/* The agent's view of its controller: the trusted controller certificates
 * (fetched from /certs, chain-verified against root-certificate.pem and
 * checkpointed) and signed request/response exchanges over a devapi
 * connection. Every response payload handed back has been verified to be
 * signed by the controller's signing certificate. Not thread-safe. */
#ifndef EVE_CTLCLIENT_H
#define EVE_CTLCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/x509.h>

#include "devapi.h"
#include "envelope.h"

#define CTLCLIENT_RESP_MAX ENVELOPE_MAX

struct ctlclient;

/* root_ca_path: the only trust anchor. The devapi connection is given
 * later with ctlclient_set_api (it depends on the management port). */
int ctlclient_new(const char *state_dir, const char *root_ca_path, struct ctlclient **out);
void ctlclient_free(struct ctlclient *cc);
/* Use api for requests (borrowed; NULL = offline). */
void ctlclient_set_api(struct ctlclient *cc, struct devapi *api);

/* Load the checkpointed controller certs; -ENOENT when none. */
int ctlclient_load_certs(struct ctlclient *cc);
/* GET /certs, verify the chain to the root, checkpoint on success. */
int ctlclient_fetch_certs(struct ctlclient *cc);
bool ctlclient_has_certs(const struct ctlclient *cc);
/* The controller's ECDH certificate from /certs (chained to the root;
 * config secrets are encrypted with its key), or NULL. Borrowed: valid
 * until the certs change. */
X509 *ctlclient_ecdh_cert(const struct ctlclient *cc);
/* Bumped each time the accepted set of signing certificates changes (a
 * rotation): what was signed before may no longer verify after it. */
unsigned ctlclient_certs_generation(const struct ctlclient *cc);

/* One signed exchange with the controller: what to send, what came back.
 * Zero-initialise, fill the "in" fields, call ctlclient_post (or
 * agent_post); the caller frees resp and raw. */
struct ctlclient_xchg {
	/* in */
	const struct eve_signer *signer; /* seals the payload */
	bool with_cert;                  /* the signer's certificate in the envelope (register) */
	const char *path;                /* "/id/<uuid>/config" ... */
	const uint8_t *payload;
	size_t len;
	bool want_resp; /* a 200 must carry an envelope signed by the controller */
	bool want_raw;  /* keep that signed response body too (a checkpoint) */
	/* out */
	long status;   /* HTTP status; 0 when no HTTP answer arrived */
	uint8_t *resp; /* want_resp and 200: the verified payload */
	size_t resp_len;
	uint8_t *raw; /* want_raw and 200: the signed response body */
	size_t raw_len;
};

/* Seal x->payload with x->signer, POST it to x->path, and set x->status.
 * When x->want_resp and the status is 200, the response must be an
 * envelope signed by the controller (on a senderCertHash miss /certs is
 * fetched again once): its payload goes to x->resp. Returns 0 or a negative
 * errno (then x->resp and x->raw stay NULL). */
int ctlclient_post(struct ctlclient *cc, struct ctlclient_xchg *x);

/* Verify a stored signed response (a checkpoint) with the trusted certs. */
int ctlclient_verify(struct ctlclient *cc, const uint8_t *raw, size_t len, uint8_t **payload, size_t *plen);
/* Verify a BootstrapConfig (bootstrap-config.pb, removable media): its
 * controller_certs chain to the root, its signed_config names and is
 * signed by the signing certificate among them. *payload (caller-freed) is
 * the packed EdgeDevConfig. Does not change the trusted certs. */
int ctlclient_verify_bootstrap(struct ctlclient *cc, const uint8_t *raw, size_t len, uint8_t **payload,
			       size_t *plen);

#endif
