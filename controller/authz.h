// SPDX-License-Identifier: Apache-2.0
/* Who may do what on the admin API: roles, permissions, the one table of
 * authorization rules (method + route pattern -> permission, and which
 * path parameter names an object that belongs to a project), and project
 * grants. Pure data and string logic: no I/O, no HTTP.
 *
 * Roles: viewer (read in the projects granted), operator (read and
 * change in the projects granted), admin (everything, in every project,
 * including users, tokens and projects). A route of the admin API that
 * has no rule here is refused for everyone (403). */
#ifndef CTL_AUTHZ_H
#define CTL_AUTHZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum authz_role { AUTHZ_ROLE_NONE = 0, AUTHZ_VIEWER = 1, AUTHZ_OPERATOR = 2, AUTHZ_ADMIN = 3 };

/* What a route needs: the least role that may call it. */
enum authz_perm { AUTHZ_READ = AUTHZ_VIEWER, AUTHZ_WRITE = AUTHZ_OPERATOR, AUTHZ_ADMIN_ONLY = AUTHZ_ADMIN };

/* The kind of object the route's first '*' names, whose project must be
 * granted (otherwise the object is "not found"). */
enum authz_obj {
	AUTHZ_OBJ_NONE,
	AUTHZ_OBJ_DEVICE,
	AUTHZ_OBJ_APP,
	AUTHZ_OBJ_NETWORK,
	AUTHZ_OBJ_IMAGE,
	AUTHZ_OBJ_PROJECT,
	AUTHZ_OBJ_VOLUME
};

struct authz_rule {
	const char *method;
	const char *pattern; /* exactly as in the route table */
	enum authz_perm perm;
	enum authz_obj obj;
	bool all_projects; /* spans projects (rollouts, onboarding): needs a grant of "*" */
	bool self;         /* the first '*' is a user name: only that user (or an admin) */
};

#define AUTHZ_PROJECTS_LEN 512
#define AUTHZ_NAME_LEN 129

/* The authenticated caller of one request. */
struct authz_who {
	int64_t token_id; /* tokens.id */
	enum authz_role role;
	char user[AUTHZ_NAME_LEN];         /* login user, "" for an API token */
	char token[AUTHZ_NAME_LEN];        /* the token's name */
	char projects[AUTHZ_PROJECTS_LEN]; /* "*" or ",a,b," */
};

/* The rule for method + pattern, or NULL (then the route is refused). */
const struct authz_rule *authz_rule_find(const char *method, const char *pattern);
/* Every rule (terminated by a NULL method), for tests and docs. */
extern const struct authz_rule authz_rules[];

/* "admin"/"operator"/"viewer" -> role; AUTHZ_ROLE_NONE when unknown. */
enum authz_role authz_role_parse(const char *s);
const char *authz_role_name(enum authz_role r);
/* True when who holds at least perm. */
bool authz_allows(const struct authz_who *who, enum authz_perm perm);
/* True when project is granted to who (admin and "*": every project). */
bool authz_project_granted(const struct authz_who *who, const char *project);
bool authz_all_projects(const struct authz_who *who);
/* A project name: 1-63 of [a-z0-9-_.], starting with a letter or digit. */
bool authz_project_name_ok(const char *s);
/* Normalise a comma-separated list of project names into ",a,b," (or "*"
 * for "*"); -EINVAL for a bad or empty list or one too long. */
int authz_projects_norm(const char *list, char out[AUTHZ_PROJECTS_LEN]);

#endif
