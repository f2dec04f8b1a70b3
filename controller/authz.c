// SPDX-License-Identifier: Apache-2.0
/* The authorization rules of every admin route, and project grants. */
#include "authz.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "admin.h"

#define P ADMIN_PREFIX
#define RD AUTHZ_READ
#define WR AUTHZ_WRITE
#define AD AUTHZ_ADMIN_ONLY
#define DEV AUTHZ_OBJ_DEVICE
#define APP AUTHZ_OBJ_APP
#define NET AUTHZ_OBJ_NETWORK
#define IMG AUTHZ_OBJ_IMAGE
#define NO AUTHZ_OBJ_NONE
#define PRJ AUTHZ_OBJ_PROJECT
#define VOL AUTHZ_OBJ_VOLUME

/* One row per admin route (method, pattern exactly as in its table). */
const struct authz_rule authz_rules[] = {
    /* status, whoami, logout, projects, tokens, users, audit (access_api.c, misc.c) */
    {"GET", P "/status", RD, NO, false, false},
    {"GET", P "/whoami", RD, NO, false, false},
    {"POST", P "/logout", RD, NO, false, false},
    {"GET", P "/projects", RD, NO, false, false},
    {"POST", P "/projects", AD, NO, false, false},
    {"DELETE", P "/projects/*", AD, NO, false, false},
    {"GET", P "/projects/*/config-items", RD, PRJ, false, false},
    {"PUT", P "/projects/*/config-items", WR, PRJ, false, false},
    {"GET", P "/tokens", AD, NO, false, false},
    {"POST", P "/tokens", AD, NO, false, false},
    {"DELETE", P "/tokens/*", AD, NO, false, false},
    {"GET", P "/users", AD, NO, false, false},
    {"POST", P "/users", AD, NO, false, false},
    {"DELETE", P "/users/*", AD, NO, false, false},
    {"PUT", P "/users/*/password", RD, NO, false, true}, /* an admin, or the user itself */
    {"GET", P "/audit", AD, NO, false, false},
    /* onboarding certificates: fleet-wide */
    {"GET", P "/onboard", RD, NO, true, false},
    {"POST", P "/onboard", AD, NO, true, false},
    {"GET", P "/onboard/*", RD, NO, true, false},
    {"PUT", P "/onboard/*", AD, NO, true, false},
    {"DELETE", P "/onboard/*", AD, NO, true, false},
    /* devices */
    {"GET", P "/devices", RD, NO, false, false},
    {"POST", P "/devices", WR, NO, false, false},
    {"GET", P "/devices/*", RD, DEV, false, false},
    {"PATCH", P "/devices/*", WR, DEV, false, false},
    {"DELETE", P "/devices/*", WR, DEV, false, false},
    {"POST", P "/devices/*/reboot", WR, DEV, false, false},
    {"PUT", P "/devices/*/config-items", WR, DEV, false, false},
    {"GET", P "/devices/*/config", RD, DEV, false, false},
    {"GET", P "/devices/*/properties", RD, DEV, false, false},
    {"GET", P "/devices/*/bootstrap-config", RD, DEV, false, false},
    {"POST", P "/devices/*/baseos", WR, DEV, false, false},
    {"GET", P "/devices/*/io", RD, DEV, false, false},
    {"PUT", P "/devices/*/io/*", WR, DEV, false, false},
    {"DELETE", P "/devices/*/io/*", WR, DEV, false, false},
    {"GET", P "/devices/*/info", RD, DEV, false, false},
    {"GET", P "/devices/*/metrics", RD, DEV, false, false},
    {"GET", P "/devices/*/logs", RD, DEV, false, false},
    /* volumes (volumes.c; a volume is in its device's project) and app
     * revisions (app_history.c) */
    {"GET", P "/volumes", RD, NO, false, false},
    {"POST", P "/volumes", WR, NO, false, false},
    {"GET", P "/volumes/*", RD, VOL, false, false},
    {"DELETE", P "/volumes/*", WR, VOL, false, false},
    {"POST", P "/volumes/*/purge", WR, VOL, false, false},
    {"GET", P "/apps/*/history", RD, APP, false, false},
    {"POST", P "/apps/*/rollback", WR, APP, false, false},
    /* remote consoles (console.c): opening one changes the app (an
     * operator's); a session is seen only by those granted its project
     * (the handlers check it) */
    {"POST", P "/apps/*/console-sessions", WR, APP, false, false},
    {"GET", P "/console-sessions", RD, NO, false, false},
    {"GET", P "/console-sessions/*", RD, NO, false, false},
    {"DELETE", P "/console-sessions/*", WR, NO, false, false},
    {"GET", P "/console-sessions/*/connect", WR, NO, false, false},
    /* a browser's one-time WebSocket ticket: the same right as connect */
    {"POST", P "/console-sessions/*/ticket", WR, NO, false, false},
    /* attestation: reading is a device read; accepting a baseline, the
     * policy and allowing a device without a TPM weaken zero trust: admin */
    {"GET", P "/devices/*/attest", RD, DEV, false, false},
    {"POST", P "/devices/*/attest", AD, DEV, false, false},
    /* images */
    {"GET", P "/images", RD, NO, false, false},
    {"POST", P "/images", WR, NO, false, false},
    {"GET", P "/images/*", RD, IMG, false, false},
    {"DELETE", P "/images/*", WR, IMG, false, false},
    {"PUT", P "/images/*/data", WR, IMG, false, false},
    /* networks */
    {"GET", P "/networks", RD, NO, false, false},
    {"POST", P "/networks", WR, NO, false, false},
    {"GET", P "/networks/*", RD, NET, false, false},
    {"DELETE", P "/networks/*", WR, NET, false, false},
    /* apps */
    {"GET", P "/apps", RD, NO, false, false},
    {"POST", P "/apps", WR, NO, false, false},
    {"GET", P "/apps/*", RD, APP, false, false},
    {"PUT", P "/apps/*", WR, APP, false, false},
    {"DELETE", P "/apps/*", WR, APP, false, false},
    {"POST", P "/apps/*/start", WR, APP, false, false},
    {"POST", P "/apps/*/stop", WR, APP, false, false},
    {"POST", P "/apps/*/restart", WR, APP, false, false},
    {"POST", P "/apps/*/purge", WR, APP, false, false},
    {"GET", P "/apps/*/logs", RD, APP, false, false},
    {"GET", P "/apps/*/flows", RD, APP, false, false},
    /* rollouts select devices fleet-wide */
    {"GET", P "/rollouts", RD, NO, true, false},
    {"POST", P "/rollouts", WR, NO, true, false},
    {"GET", P "/rollouts/*", RD, NO, true, false},
    {"DELETE", P "/rollouts/*", WR, NO, true, false},
    {"POST", P "/rollouts/*/pause", WR, NO, true, false},
    {"POST", P "/rollouts/*/resume", WR, NO, true, false},
    {"POST", P "/rollouts/*/abort", WR, NO, true, false},
    {"POST", P "/rollouts/*/rollback", WR, NO, true, false},
    /* publisher keys every device trusts (trustkeys.c): fleet-wide; adding
     * one widens what devices run: admin */
    {"GET", P "/image-trust-keys", RD, NO, true, false},
    {"POST", P "/image-trust-keys", AD, NO, true, false},
    {"GET", P "/image-trust-keys/*", RD, NO, true, false},
    {"DELETE", P "/image-trust-keys/*", AD, NO, true, false},
    {NULL, NULL, 0, NO, false, false},
};

const struct authz_rule *authz_rule_find(const char *method, const char *pattern)
{
	for (const struct authz_rule *r = authz_rules; r->method; r++)
		if (!strcmp(r->method, method) && !strcmp(r->pattern, pattern))
			return r;
	return NULL;
}

static const char *const role_names[] = {"", "viewer", "operator", "admin"};

enum authz_role authz_role_parse(const char *s)
{
	for (int i = AUTHZ_VIEWER; i <= AUTHZ_ADMIN; i++)
		if (s && !strcmp(s, role_names[i]))
			return (enum authz_role)i;
	return AUTHZ_ROLE_NONE;
}

const char *authz_role_name(enum authz_role r)
{
	return r >= AUTHZ_VIEWER && r <= AUTHZ_ADMIN ? role_names[r] : "none";
}

bool authz_allows(const struct authz_who *who, enum authz_perm perm)
{
	return who->role != AUTHZ_ROLE_NONE && (int)who->role >= (int)perm;
}

bool authz_all_projects(const struct authz_who *who)
{
	return who->role == AUTHZ_ADMIN || !strcmp(who->projects, "*");
}

bool authz_project_granted(const struct authz_who *who, const char *project)
{
	if (authz_all_projects(who))
		return true;
	size_t n = strlen(project);
	if (!authz_project_name_ok(project))
		return false;
	for (const char *p = who->projects; (p = strstr(p, project)) != NULL; p++)
		if (p > who->projects && p[-1] == ',' && p[n] == ',')
			return true;
	return false;
}

bool authz_project_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 63 || !((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("-_.", *p)))
			return false;
	return true;
}

int authz_projects_norm(const char *list, char out[AUTHZ_PROJECTS_LEN])
{
	if (!strcmp(list, "*")) {
		strcpy(out, "*");
		return 0;
	}
	size_t o = 0;
	out[o++] = ',';
	const char *p = list;
	while (*p) {
		const char *c = strchr(p, ',');
		size_t len = c ? (size_t)(c - p) : strlen(p);
		char name[64];
		if (len == 0 || len >= sizeof(name))
			return -EINVAL;
		memcpy(name, p, len);
		name[len] = 0;
		if (!authz_project_name_ok(name) || o + len + 2 > AUTHZ_PROJECTS_LEN)
			return -EINVAL;
		memcpy(out + o, name, len);
		o += len;
		out[o++] = ',';
		p += len + (c ? 1 : 0);
		if (c && !*p)
			return -EINVAL;
	}
	out[o] = 0;
	return o > 1 ? 0 : -EINVAL;
}
