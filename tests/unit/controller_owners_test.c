// SPDX-License-Identifier: Apache-2.0
/* The owners' functions that other modules read foreign rows through
 * (issue #26, "one owner per table"): projects.c, devices_store.c's
 * lookups and batched names, apps_store.c, users/tokens admin counts. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "apps_store.h"
#include "schema.h"
#include "store.h"
#include "devices_store.h"
#include "images.h"
#include "networks.h"
#include "projects.h"
#include "tokens.h"
#include "users.h"
#include "test_tmpdir.h"

static char dir[256], path[300];
static struct store_pool *pool;

#define DEV_A "00000000-0000-4000-8000-00000000000a"
#define DEV_B "00000000-0000-4000-8000-00000000000b"

static int setup(void **state)
{
	(void)state;
	if (test_tmpdir_make(dir, sizeof(dir), "controller_owners") < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/ctl.db", dir);
	if (schema_pool_open(path, 1, &pool, NULL, 0) < 0)
		return -1;
	struct store *d = store_get(pool);
	int r = store_exec(
	    d, "INSERT INTO projects(name, created) VALUES('blue', 5);"
	       "INSERT INTO devices(id, name, cert_hash, cert_pem, created, project, labels, baseos_image)"
	       " VALUES('" DEV_A "', 'zeta', x'01', '', 1, 'blue', '{\"k\":\"v\"}', 'img1');"
	       "INSERT INTO devices(id, name, cert_hash, cert_pem, created, project)"
	       " VALUES('" DEV_B "', 'alpha', x'02', '', 1, 'default');"
	       "INSERT INTO images(id, name, format, sha256, state, created, version, project)"
	       " VALUES('img1', 'os', 'baseos', '', 'ready', 1, '2.0', 'blue');"
	       "INSERT INTO apps(id, name, spec, image_id, created, project) VALUES('app1', 'web',"
	       " '{\"device\":\"" DEV_A "\",\"networks\":[\"lan\"],\"volumes\":[{\"name\":\"data\"}]}',"
	       " 'img1', 1, 'blue');"
	       "INSERT INTO app_instances(id, app_id, device_id, volume_id, updated)"
	       " VALUES('i1', 'app1', '" DEV_A "', '', 1);");
	store_put(pool, d);
	return r;
}

static int teardown(void **state)
{
	(void)state;
	store_pool_close(pool);
	test_tmpdir_remove(dir);
	return 0;
}

static int add_text(void *ctx, const char *v)
{
	return json_array_append_new(ctx, json_string(v));
}

static int add_pair(void *ctx, const struct devices_store_row *row)
{
	return json_object_set_new(ctx, row->id, json_string(row->name));
}

static int name_created(void *ctx, const char *name, int64_t created)
{
	(void)created;
	return add_text(ctx, name);
}

static void test_projects(void **state)
{
	(void)state;
	struct store *d = store_get(pool);
	char *items = NULL;
	json_t *names = json_array();

	assert_true(projects_exists(d, "blue"));
	assert_false(projects_exists(d, "red"));
	assert_int_equal(projects_count_granted(d, ",blue,red,"), 1);
	assert_int_equal(projects_create(d, "red", 7), 0);
	assert_int_equal(projects_create(d, "red", 7), -EEXIST);
	assert_int_equal(projects_each(d, ",red,blue,", name_created, names), 0);
	assert_int_equal(json_array_size(names), 2);
	assert_string_equal(json_string_value(json_array_get(names, 0)), "blue");
	assert_int_equal(projects_set_config_items(d, "red", "{}", "{\"a\":\"1\"}"), 0);
	assert_int_equal(projects_config_items(d, "red", &items), 0);
	assert_string_equal(items, "{\"a\":\"1\"}");
	/* written only over what the writer read */
	assert_int_equal(projects_set_config_items(d, "red", "{}", "{\"b\":\"2\"}"), -EAGAIN);
	free(items);
	assert_int_equal(projects_config_items(d, "nope", &items), -ENOENT);
	assert_int_equal(projects_delete(d, "red"), 0);
	assert_int_equal(projects_delete(d, "red"), -ENOENT);
	json_decref(names);
	store_put(pool, d);
}

static int copy_items(void *ctx, const struct devices_config_row *row)
{
	snprintf(ctx, 64, "%s", row->project_items);
	return 0;
}

static void test_devices_store(void **state)
{
	(void)state;
	struct store *d = store_get(pool);
	char project[DEVICES_PROJECT_LEN], items[64];
	char *s = NULL;
	json_t *a = json_array(), *m = json_object();

	assert_int_equal(devices_store_project(d, DEV_A, project), 0);
	assert_string_equal(project, "blue");
	assert_int_equal(devices_store_project(d, "nope", project), -ENOENT);
	assert_int_equal(devices_store_each_project_of(d, "alpha", add_text, a), 0);
	assert_string_equal(json_string_value(json_array_get(a, 0)), "default");
	assert_int_equal(devices_store_labels(d, DEV_A, &s), 0);
	assert_string_equal(s, "{\"k\":\"v\"}");
	free(s);
	assert_int_equal(devices_store_name(d, DEV_B, &s), 0);
	assert_string_equal(s, "alpha");
	free(s);
	/* one read for a list's names; unknown ids are left out */
	assert_int_equal(devices_store_each_of(d, "[\"" DEV_A "\", \"" DEV_B "\", \"gone\"]", add_pair, m),
			 0);
	assert_int_equal(json_object_size(m), 2);
	assert_string_equal(json_string_value(json_object_get(m, DEV_A)), "zeta");
	assert_int_equal(devices_store_count_baseos(d, "img1"), 1);
	/* the project's items come with the device's row, "{}" for none */
	assert_int_equal(projects_set_config_items(d, "blue", "{}", "{\"x\":\"y\"}"), 0);
	assert_int_equal(devices_store_config_row(d, DEV_A, copy_items, items), 0);
	assert_string_equal(items, "{\"x\":\"y\"}");
	assert_int_equal(store_exec(d, "UPDATE devices SET project = 'gone' WHERE id = '" DEV_B "'"), 0);
	assert_int_equal(devices_store_config_row(d, DEV_B, copy_items, items), 0);
	assert_string_equal(items, "{}");
	json_decref(a);
	json_decref(m);
	store_put(pool, d);
}

static void test_apps_store(void **state)
{
	(void)state;
	struct store *d = store_get(pool);
	char user[64], name[64], version[64];
	json_t *a = json_array();

	assert_int_equal(apps_store_count_using_image(d, "img1"), 1);
	assert_int_equal(apps_store_each_project_of(d, "web", add_text, a), 0);
	assert_int_equal(apps_store_each_on_device(d, DEV_A, add_text, a), 0);
	assert_int_equal(apps_store_each_on_network(d, DEV_A, "lan", add_text, a), 0);
	assert_int_equal(apps_store_each_on_network(d, DEV_A, "wan", add_text, a), 0);
	assert_int_equal(json_array_size(a), 3);
	assert_string_equal(json_string_value(json_array_get(a, 0)), "blue");
	assert_string_equal(json_string_value(json_array_get(a, 2)), "web");
	assert_int_equal(apps_store_user_of_volume(d, DEV_A, "data", NULL, user, sizeof(user)), 0);
	assert_string_equal(user, "web");
	assert_int_equal(apps_store_user_of_volume(d, DEV_A, "data", "web", user, sizeof(user)), 0);
	assert_string_equal(user, "");
	assert_int_equal(images_name_version(d, "img1", name, sizeof(name), version, sizeof(version)), 0);
	assert_string_equal(version, "2.0");
	assert_int_equal(images_count(d, ",blue,"), 1);
	assert_int_equal(networks_count(d, "*"), 0);
	assert_int_equal(apps_store_delete_aimed_at(d, DEV_A), 0);
	assert_int_equal(apps_store_count_using_image(d, "img1"), 0);
	json_decref(a);
	store_put(pool, d);
}

static void test_admin_counts(void **state)
{
	(void)state;
	struct store *d = store_get(pool);
	char tok[TOKEN_LEN + 1], name[64];

	assert_int_equal(users_admin_count(d, 0), 0);
	assert_int_equal(users_create(d, "root1", "a-long-password-1", AUTHZ_ADMIN, "*"), 0);
	assert_int_equal(users_admin_count(d, 0), 1);
	assert_int_equal(users_name_of(d, 1, name, sizeof(name)), 0);
	assert_string_equal(name, "root1");
	assert_int_equal(tokens_create(d, "t1", tok), 0);
	assert_int_equal(tokens_admin_count(d, 0), 1);
	/* the last admin token goes only while an admin user is left */
	assert_int_equal(store_begin(d), 0);
	assert_int_equal(tokens_revoke(d, "t1", 0), -EBUSY);
	assert_int_equal(tokens_revoke(d, "t1", users_admin_count(d, 0)), 0);
	assert_int_equal(store_commit(d), 0);
	assert_int_equal(tokens_admin_count(d, 0), 0);
	store_put(pool, d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_projects),
	    cmocka_unit_test(test_devices_store),
	    cmocka_unit_test(test_apps_store),
	    cmocka_unit_test(test_admin_counts),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
