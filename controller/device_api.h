// SPDX-License-Identifier: Apache-2.0
/* EVE device API v2 (`/api/v2/edgedevice`): every body is an AuthContainer;
 * requests are authenticated by the envelope signature of a registered
 * device certificate; responses are signed with the controller's signing
 * key. */
#ifndef CTL_DEVICE_API_H
#define CTL_DEVICE_API_H

#include "http.h"

#define DEVAPI_PREFIX "/api/v2/edgedevice"

struct ctl;

extern const struct http_route device_api_routes[];

/* Build the signed ZControllerCert served at /certs into c->certs_env. */
int device_api_build_certs(struct ctl *c);

#endif
