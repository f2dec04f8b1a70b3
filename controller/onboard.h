// SPDX-License-Identifier: Apache-2.0
/* Onboarding certificates and the serials each may register. */
#ifndef CTL_ONBOARD_H
#define CTL_ONBOARD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/x509.h>

#include "p256.h"

struct store;

/* Add a PEM certificate with a JSON array text of serials. *obj (optional)
 * receives the onboard object. -EEXIST if present, -EVE_EBADCERT. */
int onboard_add(struct store *d, const char *pem, size_t len, const char *serials_json, json_t **obj);
/* An onboarding certificate's key: cert (caller X509_free) and, when its
 * key is P-256 (p256), the public point for p256_verify. */
struct onboard_key {
	X509 *cert;
	bool p256;
	uint8_t pt[P256_POINT_LEN];
};

/* What a controller keeps of the onboarding certificates between
 * requests (onboard.c says why); safe to share between threads. */
struct onboard_cache;
int onboard_cache_new(struct onboard_cache **out); /* 0 or -ENOMEM */
void onboard_cache_free(struct onboard_cache *oc); /* NULL is fine */
/* An onboarding certificate was added, changed or removed (here: after the
 * write; on another replica: when the cache bus says so). NULL is fine. */
void onboard_cache_drop(struct onboard_cache *oc);

/* Find the onboarding certificate named by a senderCertHash (16 or 32
 * bytes), through oc (NULL: in d); key->cert and *serials (JSON array
 * text) are caller-freed. -ENOENT when unknown. */
int onboard_find(struct onboard_cache *oc, struct store *d, const uint8_t *hash, size_t hlen,
		 struct onboard_key *key, char **serials, char id[65]);
/* Whether serials (JSON array text) admits serial ("*" admits any). */
bool onboard_serial_allowed(const char *serials, const char *serial);

#endif
