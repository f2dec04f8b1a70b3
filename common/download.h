// SPDX-License-Identifier: Apache-2.0
/* Resumable HTTP(S) download of one file with libcurl: continues a partial
 * file with a Range request, caps the size, times out when the transfer
 * stalls, and reports progress. One call = one attempt; the caller retries
 * with backoff. Thread-safe (one easy handle per call). The one downloader
 * of the device: the runtime's content trees and registry blobs, and the
 * base-OS updater (update_fetch). */
#ifndef EVE_RT_DOWNLOAD_H
#define EVE_RT_DOWNLOAD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct download_opts {
	const char *url;
	const char *dest;   /* partial file: appended to, created 0600 */
	uint64_t max_size;  /* 0 = no cap; over it -> -EVE_ETOOBIG */
	const char *ca_pem; /* trusted roots (PEM text) for HTTPS, NULL = system */
	size_t ca_pem_len;
	const char *ca_path; /* or a file of them (when ca_pem is NULL) */
	long stall_secs;     /* abort when < 1 byte/s for this long; 0 = 30 */
	long connect_secs;   /* 0 = 20 */
	/* Called with bytes on disk so far and the total (0 = unknown). */
	void (*progress)(void *ctx, uint64_t have, uint64_t total);
	void *ctx;
	atomic_int *cancel; /* may be NULL; nonzero aborts with -ECANCELED */
	/* Extra request header lines ("Name: value"), NULL-terminated; may be
	 * NULL. Not sent to another host after a redirect (libcurl's rule for
	 * custom Authorization headers). */
	const char *const *headers;
	long *status;    /* may be NULL: receives the final HTTP status */
	bool https_only; /* refuse http:// (also in redirects) */
	bool allow_file; /* also file:// URLs (never in redirects) */
};

/* Download (or finish) o->url into o->dest. 0 when the file is complete;
 * negative error otherwise with a human readable reason in err. */
int download_file(const struct download_opts *o, char *err, size_t errlen);

#endif
