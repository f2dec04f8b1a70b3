// SPDX-License-Identifier: Apache-2.0
/* The admin API's gate: authenticate the bearer token (API token or login
 * session), authorize the request by the one rule table (authz.h),
 * including the project of the object a route names, and record every
 * state-changing request in the audit trail. Installed as the ctl hooks
 * authorize and audit (server.c). access_authorize is in access_gate.c:
 * it resolves objects through their owners (apps_store.h, networks.h,
 * ...), which call the handlers' helpers here. */
#ifndef CTL_ACCESS_H
#define CTL_ACCESS_H

#include <stdbool.h>
#include <stddef.h>

struct http_req;
struct store;

/* 0 to go on; otherwise a reply (401, 403, 404) is set. */
int access_authorize(struct http_req *r);
/* Record r (a state-changing admin request with its reply) in the audit. */
void access_audit(struct http_req *r);
/* "alice" for a login session, "token:NAME" for an API token. */
void access_who(const struct http_req *r, char *out, size_t n);

/* For handlers. The project a new object goes to: the body's "project"
 * (which must exist and be granted), else the only project granted, else
 * "default". Replies (400/403/404) and returns false on refusal. */
bool access_create_project(struct http_req *r, struct store *d, const char *given, char out[64]);
/* The grant string to bind to list queries:
 *   "... WHERE (?N = '*' OR instr(?N, ',' || project || ',') > 0)" */
const char *access_grants(const struct http_req *r);

#endif
