// SPDX-License-Identifier: Apache-2.0
/* One mapping from libcurl results to the project's negative error codes,
 * shared by every HTTP client (device API, downloads, evectl, benchmarks),
 * so that "the controller is unreachable" or "its certificate is wrong"
 * means the same everywhere. */
#ifndef EVE_CURLERR_H
#define EVE_CURLERR_H

#include <stdbool.h>
#include <curl/curl.h>

/* CURLE_OK -> 0; a failure -> -ECONNREFUSED, -ETIMEDOUT, -EHOSTUNREACH,
 * -ECONNRESET, -ENODEV (interface), -EVE_EBADCERT (any TLS failure),
 * -EVE_ETOOBIG, -EVE_EHTTP (CURLOPT_FAILONERROR), -ECANCELED (a callback
 * aborted), -ENOENT (file:// missing), -ENOMEM, -EINVAL, -EPROTONOSUPPORT,
 * else -ECOMM (another transport failure). */
int curlerr_errno(CURLcode code);

/* err (from curlerr_errno) means no HTTP answer came back: the peer could
 * not be reached, the connection broke, or TLS failed. */
bool curlerr_unreachable(int err);

#endif
