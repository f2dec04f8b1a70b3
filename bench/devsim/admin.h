// SPDX-License-Identifier: Apache-2.0
/* Blocking client for the controller's admin REST API (/api/v1), used by the
 * simulator to set up scenarios: accept the onboarding certificate, label
 * devices, deploy an app. One keep-alive connection; not thread-safe. */
#ifndef DEVSIM_ADMIN_H
#define DEVSIM_ADMIN_H

#include "buf.h"

struct admin;

/* base_url "https://host:port/api/v1"; token read from token_path. */
int admin_new(const char *base_url, const char *ca_path, const char *connect_to, const char *token_path,
	      struct admin **out);
void admin_free(struct admin *a);
/* method + path below the base, JSON body or NULL. *status gets the HTTP
 * status; resp (may be NULL) the body. 0 when an answer came. */
int admin_call(struct admin *a, const char *method, const char *path, const char *json, long *status,
	       struct buf *resp);

#endif
