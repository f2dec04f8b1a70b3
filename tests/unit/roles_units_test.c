// SPDX-License-Identifier: Apache-2.0
/* Units of issue 19: project grants, role parsing, the login rate limit,
 * and the authorization table against every admin route the server has. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit.h"
#include "authz.h"
#include "schema.h"
#include "store.h"
#include "http.h"
#include "ratelimit.h"
#include "server.h"

static void test_projects_norm(void **state)
{
	(void)state;
	char out[AUTHZ_PROJECTS_LEN];
	assert_int_equal(authz_projects_norm("site-a,site-b", out), 0);
	assert_string_equal(out, ",site-a,site-b,");
	assert_int_equal(authz_projects_norm("*", out), 0);
	assert_string_equal(out, "*");
	assert_int_equal(authz_projects_norm("", out), -EINVAL);
	assert_int_equal(authz_projects_norm("a,,b", out), -EINVAL);
	assert_int_equal(authz_projects_norm("a,", out), -EINVAL);
	assert_int_equal(authz_projects_norm("A", out), -EINVAL);
	assert_int_equal(authz_projects_norm("a,*", out), -EINVAL);
	assert_int_equal(authz_projects_norm("-a", out), -EINVAL);
}

static void test_granted(void **state)
{
	(void)state;
	struct authz_who w = {.role = AUTHZ_OPERATOR};
	strcpy(w.projects, ",site-a,b,");
	assert_true(authz_project_granted(&w, "site-a"));
	assert_true(authz_project_granted(&w, "b"));
	assert_false(authz_project_granted(&w, "site"));
	assert_false(authz_project_granted(&w, "a"));
	assert_false(authz_project_granted(&w, "site-a,b"));
	assert_false(authz_project_granted(&w, ""));
	assert_false(authz_all_projects(&w));
	assert_true(authz_allows(&w, AUTHZ_WRITE));
	assert_false(authz_allows(&w, AUTHZ_ADMIN_ONLY));
	w.role = AUTHZ_VIEWER;
	assert_false(authz_allows(&w, AUTHZ_WRITE));
	w.role = AUTHZ_ADMIN;
	assert_true(authz_project_granted(&w, "anything"));
	w.role = AUTHZ_ROLE_NONE;
	assert_false(authz_allows(&w, AUTHZ_READ));
	assert_int_equal(authz_role_parse("operator"), AUTHZ_OPERATOR);
	assert_int_equal(authz_role_parse("Admin"), AUTHZ_ROLE_NONE);
	assert_int_equal(authz_role_parse(NULL), AUTHZ_ROLE_NONE);
}

static void test_ratelimit(void **state)
{
	(void)state;
	struct ratelimit *rl = NULL;
	int64_t retry = 0;
	assert_int_equal(ratelimit_new(3, 60, 2, &rl), 0);
	for (int i = 0; i < 3; i++) {
		assert_false(ratelimit_blocked(rl, "u:a", 1000 + i, NULL));
		ratelimit_fail(rl, "u:a", 1000 + i);
	}
	assert_true(ratelimit_blocked(rl, "u:a", 1010, &retry));
	assert_int_equal(retry, 50);
	assert_false(ratelimit_blocked(rl, "u:b", 1010, NULL));
	assert_false(ratelimit_blocked(rl, "u:a", 1061, NULL)); /* the window slid */
	/* a full table forgets its oldest key */
	ratelimit_fail(rl, "u:b", 1100);
	ratelimit_fail(rl, "u:c", 1101);
	assert_false(ratelimit_blocked(rl, "u:a", 1010, NULL));
	ratelimit_reset(rl, "u:c");
	ratelimit_free(rl);
}

/* A route with no rule is refused for everyone: each admin route has one,
 * and no rule names a route that does not exist. */
static void test_every_route_has_a_rule(void **state)
{
	(void)state;
	int n = 0;
	for (const struct http_route *const *t = server_route_tables(); *t; t++)
		for (const struct http_route *rt = *t; rt->method; rt++) {
			if (rt->auth != HTTP_AUTH_ADMIN)
				continue;
			n++;
			if (!authz_rule_find(rt->method, rt->pattern))
				fail_msg("%s %s has no authorization rule", rt->method, rt->pattern);
		}
	for (const struct authz_rule *r = authz_rules; r->method; r++) {
		bool found = false;
		for (const struct http_route *const *t = server_route_tables(); *t; t++)
			for (const struct http_route *rt = *t; rt->method; rt++)
				found |= rt->auth == HTTP_AUTH_ADMIN && !strcmp(rt->method, r->method) &&
					 !strcmp(rt->pattern, r->pattern);
		if (!found)
			fail_msg("rule %s %s names no admin route", r->method, r->pattern);
	}
	assert_true(n > 60);
}

static int64_t audit_rows(struct store *d)
{
	struct store_stmt *st = store_stmt(d, "SELECT count(*) FROM audit");
	int64_t n = -1;
	assert_non_null(st);
	if (store_step(st) == STORE_ROW)
		n = store_col_int64(st, 0);
	store_reset(st);
	return n;
}

/* audit rows: recorded, listed newest first or after an id, filtered by
 * who, cut to their bounds, and pruned past the retention. */
static void test_audit(void **state)
{
	(void)state;
	char dir[] = "/tmp/roles-audit-XXXXXX", path[64];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.db", dir);
	struct store_pool *p = NULL;
	assert_int_equal(schema_pool_open(path, 1, &p, NULL, 0), 0);
	struct store *d = store_get(p);
	char big[2000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	assert_int_equal(audit_record(d, "alice", "POST /api/v1/apps", "web", "name=web", 201), 0);
	assert_int_equal(audit_record(d, "token:ci", "DELETE /api/v1/apps/*", "web", big, 403), 0);
	json_t *items = NULL;
	int64_t next = 0;
	struct audit_query q = {.before = INT64_MAX, .after = -1, .limit = 10};
	assert_int_equal(audit_list(d, &q, &items, &next), 0);
	assert_int_equal(json_array_size(items), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(items, 0), "who")), "token:ci");
	assert_int_equal(strlen(json_string_value(json_object_get(json_array_get(items, 0), "summary"))),
			 512);
	json_decref(items);
	q.who = "alice";
	assert_int_equal(audit_list(d, &q, &items, &next), 0);
	assert_int_equal(json_array_size(items), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 0), "status")), 201);
	json_decref(items);
	q = (struct audit_query){.before = INT64_MAX, .after = 1, .limit = 10};
	assert_int_equal(audit_list(d, &q, &items, &next), 0);
	assert_int_equal(json_array_size(items), 1); /* only the row after id 1 */
	json_decref(items);
	/* retention: nothing goes while young, everything past the days */
	assert_int_equal(audit_prune(d, (int64_t)time(NULL), AUDIT_RETENTION_DAYS), 0);
	assert_int_equal(audit_rows(d), 2);
	assert_int_equal(
	    audit_prune(d, (int64_t)time(NULL) + (AUDIT_RETENTION_DAYS + 1) * 86400LL, AUDIT_RETENTION_DAYS),
	    0);
	assert_int_equal(audit_rows(d), 0);
	store_put(p, d);
	store_pool_close(p);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_projects_norm), cmocka_unit_test(test_granted),
	    cmocka_unit_test(test_ratelimit),     cmocka_unit_test(test_every_route_has_a_rule),
	    cmocka_unit_test(test_audit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
