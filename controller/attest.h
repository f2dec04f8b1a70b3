// SPDX-License-Identifier: Apache-2.0
/* Remote attestation, the controller's side (EVE's /attest exchange):
 * attestation-key certificates, single-use nonces, TPM2 quote verification
 * against a per-device PCR baseline, integrity tokens, and the config gate
 * that the attestation policy (off | report | enforce) puts in front of a
 * device's config. Table `attest` (one row per device that attested). */
#ifndef CTL_ATTEST_H
#define CTL_ATTEST_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#include "http.h"

struct ctl;
struct store;

enum attest_policy { ATTEST_OFF, ATTEST_REPORT, ATTEST_ENFORCE };

#define ATTEST_NPCR 16
#define ATTEST_NONCE_LEN 32
#define ATTEST_NONCE_TTL_S 600

/* "off" | "report" | "enforce" -> policy; -EINVAL otherwise. */
int attest_policy_parse(const char *s);
const char *attest_policy_name(int p);
/* At start: check controller.conf's attestation key and count per-device
 * overrides (so the config hot path skips SQLite when nothing enforces). */
int attest_setup(struct ctl *c);

/* One ZAttestReq from device uuid (verified by its key devpub): *out is the
 * packed ZAttestResponse (caller frees). -EVE_EPROTO: a malformed request. */
int attest_handle(struct ctl *c, const char *uuid, EVP_PKEY *devpub, const uint8_t *req, size_t len,
		  uint8_t **out, size_t *out_len);

enum attest_gate {
	ATTEST_GATE_PASS,   /* serve the current config */
	ATTEST_GATE_FROZEN, /* serve *frozen (the last config while attested) */
	ATTEST_GATE_REFUSE, /* 403 with why */
};
/* Decide what a ConfigRequest carrying token gets. *frozen / *frozen_hash
 * caller-freed (FROZEN only). why: for REFUSE and FROZEN. */
enum attest_gate attest_config_gate(struct ctl *c, const char *uuid, const uint8_t *token, size_t token_len,
				    uint8_t **frozen, size_t *frozen_len, char **frozen_hash, char *why,
				    size_t why_len);
/* The device was sent config env (hash): remember it as the config to
 * freeze on, when the device's attestation is ok. */
void attest_config_served(struct ctl *c, const char *uuid, const uint8_t *env, size_t len, const char *hash);

/* The device's ECDH certificate (PEM, caller frees) as it sent it with
 * ATTEST_REQ_CERT; -ENOENT when it sent none. */
int attest_device_ecdh_pem(struct store *d, const char *uuid, char **pem);

/* Admin API: GET/POST /api/v1/devices/{d}/attest (attest_admin.c). */
extern const struct http_route admin_attest_routes[];

/* attest_admin.c and attest.c share the overrides counter. */
void attest_overrides_recount(struct ctl *c, struct store *d);

#endif
