// SPDX-License-Identifier: Apache-2.0
/* libcurl result codes -> project error codes (see curlerr.h). */
#include <errno.h>

#include "curlerr.h"
#include "err.h"

static const struct {
	CURLcode code;
	int err;
} curlerr_map[] = {
    {CURLE_COULDNT_CONNECT, -ECONNREFUSED},
    {CURLE_OPERATION_TIMEDOUT, -ETIMEDOUT},
    {CURLE_COULDNT_RESOLVE_HOST, -EHOSTUNREACH},
    {CURLE_COULDNT_RESOLVE_PROXY, -EHOSTUNREACH},
    {CURLE_INTERFACE_FAILED, -ENODEV},
    {CURLE_OUT_OF_MEMORY, -ENOMEM},
    {CURLE_SEND_ERROR, -ECONNRESET},
    {CURLE_RECV_ERROR, -ECONNRESET},
    {CURLE_GOT_NOTHING, -ECONNRESET},
    {CURLE_PARTIAL_FILE, -ECONNRESET},
    {CURLE_UNSUPPORTED_PROTOCOL, -EPROTONOSUPPORT},
    {CURLE_URL_MALFORMAT, -EINVAL},
    {CURLE_FILESIZE_EXCEEDED, -EVE_ETOOBIG},
    {CURLE_HTTP_RETURNED_ERROR, -EVE_EHTTP},
    {CURLE_ABORTED_BY_CALLBACK, -ECANCELED},
    {CURLE_FILE_COULDNT_READ_FILE, -ENOENT},
    {CURLE_SSL_CONNECT_ERROR, -EVE_EBADCERT},
    {CURLE_PEER_FAILED_VERIFICATION, -EVE_EBADCERT},
    {CURLE_SSL_CACERT_BADFILE, -EVE_EBADCERT},
    {CURLE_SSL_CERTPROBLEM, -EVE_EBADCERT},
    {CURLE_SSL_ISSUER_ERROR, -EVE_EBADCERT},
    {CURLE_SSL_PINNEDPUBKEYNOTMATCH, -EVE_EBADCERT},
    {CURLE_SSL_INVALIDCERTSTATUS, -EVE_EBADCERT},
    {CURLE_SSL_CIPHER, -EVE_EBADCERT},
    {CURLE_USE_SSL_FAILED, -EVE_EBADCERT},
};

int curlerr_errno(CURLcode code)
{
	if (code == CURLE_OK)
		return 0;
	for (size_t i = 0; i < sizeof(curlerr_map) / sizeof(curlerr_map[0]); i++)
		if (curlerr_map[i].code == code)
			return curlerr_map[i].err;
	return -ECOMM; /* another transport failure */
}

bool curlerr_unreachable(int err)
{
	switch (err) {
	case -ECONNREFUSED:
	case -ETIMEDOUT:
	case -EHOSTUNREACH:
	case -ECONNRESET:
	case -ENODEV:
	case -EVE_EBADCERT:
	case -EPROTONOSUPPORT:
	case -ECOMM:
		return true;
	default:
		return false;
	}
}
