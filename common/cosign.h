// SPDX-License-Identifier: Apache-2.0
/* Publisher signatures of images in the format of Sigstore/cosign's
 * key-based signatures: a "simple signing" JSON payload naming the image's
 * manifest digest, signed with ECDSA P-256 over SHA-256 (ASN.1 DER,
 * base64), stored in the registry as an OCI manifest tagged
 * sha256-<hex>.sig whose layers of media type
 * application/vnd.dev.cosign.simplesigning.v1+json carry the payload
 * (by digest) and the annotation dev.cosignproject.cosign/signature.
 * Also the device's trust store of publisher keys (a directory of PEM
 * public keys or certificates). Library code: no logging. */
#ifndef EVE_COSIGN_H
#define EVE_COSIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define COSIGN_MEDIA_PAYLOAD "application/vnd.dev.cosign.simplesigning.v1+json"
#define COSIGN_ANN_SIGNATURE "dev.cosignproject.cosign/signature"
#define COSIGN_TYPE "cosign container image signature"
#define COSIGN_MANIFEST_MAX (256u * 1024) /* signature manifest cap */
#define COSIGN_PAYLOAD_MAX (64u * 1024)   /* payload cap */
#define COSIGN_MAX_SIGS 8                 /* signature layers considered */
#define COSIGN_MAX_KEYS 32                /* keys in a trust store */
#define COSIGN_REF_MAX 512                /* docker-reference kept */
#define COSIGN_NAME_MAX 96                /* key name kept (file name) */

/* Policies of images.signatures, weakest first. */
enum cosign_policy { COSIGN_POLICY_OFF = 0, COSIGN_POLICY_WARN = 1, COSIGN_POLICY_REQUIRE = 2 };

/* "off" / "warn" / "require" -> policy; -EINVAL otherwise. */
int cosign_policy_parse(const char *text, enum cosign_policy *out);
const char *cosign_policy_name(enum cosign_policy p);

/* One signature layer of a signature manifest. */
struct cosign_sig {
	char payload_hex[65]; /* sha256 of the payload blob, lower case */
	uint64_t payload_size;
	char *sig_b64; /* the annotation's value (owned) */
};

struct cosign_manifest {
	struct cosign_sig sigs[COSIGN_MAX_SIGS];
	size_t n; /* layers with our media type and a signature annotation */
};

/* Parse a signature manifest (JSON, at most COSIGN_MANIFEST_MAX bytes):
 * 0 with at least one signature layer, -EINVAL (reason in err) otherwise.
 * Free *out with cosign_manifest_free. */
int cosign_manifest_parse(const void *json, size_t len, struct cosign_manifest *out, char *err,
			  size_t errlen);
void cosign_manifest_free(struct cosign_manifest *m);

/* Check a simple-signing payload: its type is COSIGN_TYPE and it names
 * sha256:<digest_hex> as the image's manifest digest. Copies the payload's
 * docker-reference to ref (may be NULL). 0, or -EVE_EHASH when it names
 * another digest, -EINVAL when malformed (reason in err). */
int cosign_payload_check(const void *payload, size_t len, const char *digest_hex, char *ref, size_t ref_len,
			 char *err, size_t errlen);

/* A payload for digest_hex and reference ref (malloc'd, *len bytes). */
int cosign_payload_make(const char *ref, const char *digest_hex, char **out, size_t *len);

/* A publisher trust store. */
struct cosign_keyring {
	EVP_PKEY *keys[COSIGN_MAX_KEYS];
	char names[COSIGN_MAX_KEYS][COSIGN_NAME_MAX]; /* file name without .pem */
	char fpr[COSIGN_MAX_KEYS][17];                /* first 8 bytes of sha256(SPKI DER), hex */
	size_t n;
};

/* Load every *.pem of dir (a PUBLIC KEY or a CERTIFICATE whose key is
 * used; P-256 keys only). dir may list several directories separated by
 * ':' (the device's own image-trust/ first, then the keys its signed config
 * added): every "trust_dir" of this header and of its callers takes such a
 * list. A missing dir gives an empty ring (0). A file that
 * cannot be used fails the load: -EINVAL with the file named in err.
 * Free with cosign_keyring_free (accepts a zeroed ring). */
int cosign_keyring_load_dir(const char *dir, struct cosign_keyring *kr, char *err, size_t errlen);
/* Add one key (the ring takes a reference of its own). */
int cosign_keyring_add(struct cosign_keyring *kr, EVP_PKEY *key, const char *name);
void cosign_keyring_free(struct cosign_keyring *kr);

/* Publisher keys carried as text (config items images.trust.key.NAME):
 * base64 of the DER SubjectPublicKeyInfo of a P-256 key, at most
 * COSIGN_KEY_B64_MAX characters. */
#define COSIGN_KEY_B64_MAX 512
/* Parse such text: *out (EVP_PKEY_free) and its fingerprint as in a
 * keyring (fpr may be NULL). -EINVAL when it is not such a key. */
int cosign_key_from_b64(const char *b64, EVP_PKEY **out, char fpr[17]);
/* The key of PEM text (a PUBLIC KEY, or a CERTIFICATE's key; P-256 only)
 * as that text (*b64 malloc'd) and its fingerprint. -EINVAL otherwise. */
int cosign_key_pem_to_b64(const void *pem, size_t len, char **b64, char fpr[17]);
/* The PEM (PUBLIC KEY) of key, malloc'd NUL-terminated in *pem. */
int cosign_key_to_pem(EVP_PKEY *key, char **pem, size_t *len);

/* Verify sig_b64 (base64 DER ECDSA) over payload with the ring's keys: 0
 * and *who = index of the key that verifies; -EVE_EBADSIG when none does,
 * -EINVAL when the signature is not base64/DER. */
int cosign_verify(const struct cosign_keyring *kr, const void *payload, size_t len, const char *sig_b64,
		  size_t *who);

/* A detached signature of an image digest (EVE's SignatureInfo on a
 * content tree: VM and base OS images over HTTP(S)): sig is an ECDSA
 * (ASN.1 DER) signature over the image's SHA-256 digest itself. With a
 * signer certificate (PEM, signer_len > 0) the certificate must chain,
 * through the optional intermediate, to a certificate of trust_dir and its
 * key must verify sig; without one, a key of trust_dir must. who gets the
 * signer (certificate CN or key name). 0, -EVE_EBADCERT (chain),
 * -EVE_EBADSIG, -EINVAL (malformed), reason in err. */
int cosign_detached_verify(const char *trust_dir, const uint8_t digest[32], const uint8_t *sig, size_t siglen,
			   const char *signer_pem, size_t signer_len, const char *inter_pem, size_t inter_len,
			   char *who, size_t wholen, char *err, size_t errlen);

/* Sign payload with key: base64 DER signature (malloc'd) in *sig_b64. */
int cosign_sign(EVP_PKEY *key, const void *payload, size_t len, char **sig_b64);

#endif
