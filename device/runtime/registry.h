// SPDX-License-Identifier: Apache-2.0
/* OCI distribution pull (the client side of the registry API /v2/): a
 * reference's tag is resolved to a manifest digest, an image index to the
 * manifest of this device's platform, and the config and layers are fetched
 * by digest into the content-addressed blob store (each one verified by its
 * SHA-256, resumed from a partial file, skipped when already present, so
 * images share layers). Registries that answer 401 get the bearer-token
 * challenge flow (anonymous or with credentials) or HTTP basic auth.
 * Thread-safe: two pulls of the same blob wait for each other. */
#ifndef EVE_RT_REGISTRY_H
#define EVE_RT_REGISTRY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "blobstore.h"
#include "download.h"

#define REGISTRY_HOST_MAX 256
#define REGISTRY_REPO_MAX 256
#define REGISTRY_TAG_MAX 128

/* A parsed image reference. */
struct registry_ref {
	bool plain_http;                /* http://: no TLS (only when the datastore says so) */
	char host[REGISTRY_HOST_MAX];   /* host[:port] as in the URL */
	char repo[REGISTRY_REPO_MAX];   /* path/name, lower case */
	char tag[REGISTRY_TAG_MAX];     /* "latest" when none */
	char digest[BLOBSTORE_HEX_LEN]; /* pinned with @sha256:<hex>, else "" */
};

/* Parse "docker://host[:port]/repo[:tag][@sha256:hex]" (also oci://,
 * https:// and, for plain HTTP, http://). Docker Hub names get their
 * registry and the library/ prefix. 0 or -EINVAL. */
int registry_ref_parse(const char *s, struct registry_ref *out);

/* The platform this device runs (uname: amd64, arm64, arm/v7...). */
void registry_platform(char arch[16], char variant[8]);

/* The cosign signature artifact of an image (sha256-<digest>.sig in the
 * image's repository), as fetched: the payloads are verified against the
 * digests the signature manifest names; nothing is trusted yet. */
#define REGISTRY_SIGS_MAX 8
struct registry_sigs {
	char digest[BLOBSTORE_HEX_LEN]; /* the image digest the tag names (index or manifest) */
	bool found;                     /* the registry has the .sig artifact */
	char why[256];                  /* when !found or n == 0: why (404, malformed...) */
	size_t n;
	uint8_t *payload[REGISTRY_SIGS_MAX];
	size_t payload_len[REGISTRY_SIGS_MAX];
	char *sig_b64[REGISTRY_SIGS_MAX];
};

/* Called by registry_pull once the reference is resolved and before any
 * blob is fetched: a negative return stops the pull with that code and
 * err (the message of the pull). */
typedef int (*registry_sig_check_fn)(void *ctx, const struct registry_sigs *sigs, char *err, size_t errlen);

struct registry_pull_opts {
	const char *ref;  /* reference, as parsed by registry_ref_parse */
	const char *pin;  /* manifest (or index) digest hex the config pins, or NULL */
	const char *user; /* credentials (datastore apiKey/password), NULL = anonymous */
	const char *password;
	const char *ca_pem; /* trusted roots (PEM) for HTTPS, NULL = system store */
	size_t ca_len;
	const char *arch, *variant, *os; /* NULL = this device's platform */
	uint64_t max_size;               /* cap on the sum of the blobs, 0 = none */
	long stall_secs;                 /* abort a request without a byte for this long; 0 = 30 */
	struct blobstore *bs;
	/* bytes of the image present so far and its total size */
	void (*progress)(void *ctx, uint64_t have, uint64_t total);
	void *ctx;
	atomic_int *cancel; /* may be NULL */
	/* publisher signatures: when set, the .sig artifact is fetched and
	 * handed to sig_check (sig_ctx) before the blobs */
	registry_sig_check_fn sig_check;
	void *sig_ctx;
	/* how requests go (ports, proxies; download.h), NULL: default route */
	const struct download_router *router;
};

/* What an image is made of: digests (lower-case hex) of its blobs. */
struct registry_image {
	char manifest[BLOBSTORE_HEX_LEN];
	char index[BLOBSTORE_HEX_LEN]; /* "" when the reference named a manifest */
	char config[BLOBSTORE_HEX_LEN];
	char (*layers)[BLOBSTORE_HEX_LEN];
	size_t n_layers;
	uint64_t total;   /* sum of config + layer sizes from the manifest */
	uint64_t fetched; /* bytes this pull transferred over the network */
};

/* Pull the image into o->bs. On success *out is filled (clear it with
 * registry_image_clear). On failure err says why (digest mismatch,
 * credentials refused, HTTP status...). */
int registry_pull(const struct registry_pull_opts *o, struct registry_image *out, char *err, size_t errlen);

/* Describe an image whose manifest blob is in bs. */
int registry_image_load(struct blobstore *bs, const char *manifest_hex, struct registry_image *out);
void registry_image_clear(struct registry_image *img);

/* Root filesystem from a pulled image: layers applied in order onto rootfs
 * (created), at most max_bytes unpacked (oci_unpack.h), the image config
 * copied to config_out. */
int registry_unpack(struct blobstore *bs, const char *manifest_hex, const char *rootfs,
		    const char *config_out, uint64_t max_bytes, char *err, size_t errlen);

/* Bytes transferred by every registry_pull of this process, and HTTP
 * requests made (tests). */
uint64_t registry_bytes_fetched(void);
uint64_t registry_requests(void);

#endif
