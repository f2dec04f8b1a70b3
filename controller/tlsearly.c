// SPDX-License-Identifier: Apache-2.0
/* TLS 1.3 handshakes that do not busy-wait (tlsearly.h). */
#include "tlsearly.h"

#include <dlfcn.h>
#include <pthread.h>

#include <gnutls/gnutls.h>

typedef int (*init_fn)(gnutls_session_t *session, unsigned int flags);

static init_fn real_init;
static pthread_once_t real_once = PTHREAD_ONCE_INIT;

static void find_real(void)
{
	/* POSIX's way to turn dlsym's answer into a function pointer */
	*(void **)&real_init = dlsym(RTLD_NEXT, "gnutls_init");
}

int gnutls_init(gnutls_session_t *session, unsigned int flags)
{
	(void)pthread_once(&real_once, find_real);
	if (!real_init)
		return GNUTLS_E_INTERNAL_ERROR;
	if (flags & GNUTLS_SERVER)
		flags |= GNUTLS_ENABLE_EARLY_START;
	return real_init(session, flags);
}

bool tlsearly_active(void)
{
	void *found = dlsym(RTLD_DEFAULT, "gnutls_init");
	init_fn here = gnutls_init;
	return found && found == *(void **)&here;
}
