// SPDX-License-Identifier: Apache-2.0
/* The owner functions that replaced cross-table joins (issue #26, item 4),
 * on a real SQLite database with the controller's schema: the batched
 * reads (an app's instances as one JSON list for the flow reports, device
 * rows for a set of ids), the rollout pins (purge vs restart, the pin a
 * rollback may undo), the automatic-rollback inputs, the base OS steps
 * and the instance report paths. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "apps_store.h"
#include "schema.h"
#include "store.h"
#include "devices_store.h"
#include "reports.h"
#include "test_tmpdir.h"

static char dir[256];

#define D1 "d1000000-0000-4000-8000-000000000001"
#define D2 "d2000000-0000-4000-8000-000000000002"
#define D3 "d3000000-0000-4000-8000-000000000003"
#define I1 "a1000000-0000-4000-8000-000000000001" /* APP on D1 */
#define I2 "a2000000-0000-4000-8000-000000000002" /* APP on D2 */
#define I3 "a3000000-0000-4000-8000-000000000003" /* OTHER on D1 */
#define APP "aa000000-0000-4000-8000-0000000000aa"
#define OTHER "bb000000-0000-4000-8000-0000000000bb"

/* Device names sort D2 ("alpha") before D1 ("beta"); D3 has no instance. */
#define ROWS                                                                                                 \
	"INSERT INTO images(id, name, format, sha256, state, created) VALUES('img1', 'one', 'oci', '',"      \
	" 'ready', 0), ('img2', 'two', 'oci', '', 'ready', 0), ('os1', 'os-one', 'baseos', '', 'ready', 0);" \
	"INSERT INTO apps(id, name, spec, image_id, created) VALUES('" APP "', 'app',"                       \
	" '{\"rollback_after_s\":30}', 'img1', 0), ('" OTHER "', 'other', '{}', 'img1', 0);"                 \
	"INSERT INTO devices(id, name, cert_hash, cert_pem, created) VALUES('" D1                            \
	"', 'beta', x'01', '', 0),"                                                                          \
	" ('" D2 "', 'alpha', x'02', '', 0), ('" D3 "', 'gamma', x'03', '', 0);"                             \
	"INSERT INTO app_instances(id, app_id, device_id, volume_id, updated) VALUES"                        \
	" ('" I1 "','" APP "','" D1 "','',0), ('" I2 "','" APP "','" D2 "','',0),"                           \
	" ('" I3 "','" OTHER "','" D1 "','',0);"

static int setup(void **state)
{
	(void)state;
	return test_tmpdir_make(dir, sizeof(dir), "controller_store_reads") < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	test_tmpdir_remove(dir);
	return 0;
}

static struct store_pool *open_db(const char *name)
{
	char path[400];
	struct store_pool *p = NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(schema_pool_open(path, 1, &p, NULL, 0), 0);
	struct store *d = store_get(p);
	assert_int_equal(store_exec(d, ROWS), 0);
	store_put(p, d);
	return p;
}

static int64_t int_of(struct store *d, const char *sql)
{
	struct store_stmt *st = NULL;
	int64_t v = -1;
	st = store_stmt(d, sql);
	assert_non_null(st);
	if (store_step(st) == STORE_ROW)
		v = store_col_int64(st, 0);
	store_reset(st);
	return v;
}

static char *text_of(struct store *d, const char *sql)
{
	struct store_stmt *st = NULL;
	char *v = NULL;
	st = store_stmt(d, sql);
	assert_non_null(st);
	if (store_step(st) == STORE_ROW && !store_col_is_null(st, 0))
		v = strdup(store_col_text(st, 0));
	store_reset(st);
	return v;
}

/* --- an app's flow reports: its instances as one JSON list --- */

struct seen {
	int64_t ids[16];
	char inst[16][40];
	size_t n;
};

static int saw(void *ctx, const struct reports_row *row)
{
	struct seen *s = ctx;
	if (s->n < 16) {
		s->ids[s->n] = row->id;
		snprintf(s->inst[s->n], sizeof(s->inst[s->n]), "%s", row->instance);
		s->n++;
	}
	return 0;
}

static void test_flows_of_app(void **state)
{
	(void)state;
	struct store_pool *p = open_db("flows.db");
	struct store *d = store_get(p);
	char *inst = NULL;
	assert_int_equal(store_exec(d, "INSERT INTO flowlog(id, device_id, time, data, app_id) VALUES"
				       " (1, '" D1 "', 1, x'', '" I1 "'), (2, '" D1 "', 2, x'', '" I3 "'),"
				       " (3, '" D2 "', 3, x'', '" I2 "'), (4, '" D1 "', 4, x'', NULL),"
				       " (5, '" D1 "', 5, x'', '" I1 "')"),
			 0);
	assert_int_equal(apps_store_instances_json(d, APP, &inst), 0);
	assert_string_equal(inst, "[[\"" I1 "\",\"" D1 "\"],[\"" I2 "\",\"" D2 "\"]]");

	struct seen s = {0};
	assert_int_equal(reports_each_flow_of(d, inst, -1, 2, saw, &s), 0); /* newest first */
	assert_int_equal(s.n, 2);
	assert_int_equal(s.ids[0], 5);
	assert_int_equal(s.ids[1], 3);
	assert_string_equal(s.inst[1], I2);
	memset(&s, 0, sizeof(s));
	assert_int_equal(reports_each_flow_of(d, inst, 1, 10, saw, &s), 0); /* after 1, oldest first */
	assert_int_equal(s.n, 2);
	assert_int_equal(s.ids[0], 3);
	assert_int_equal(s.ids[1], 5);
	free(inst);

	/* an app without instances: an empty list, no reports */
	assert_int_equal(store_exec(d, "DELETE FROM app_instances WHERE app_id = '" OTHER "'"), 0);
	assert_int_equal(apps_store_instances_json(d, OTHER, &inst), 0);
	assert_string_equal(inst, "[]");
	memset(&s, 0, sizeof(s));
	assert_int_equal(reports_each_flow_of(d, inst, -1, 10, saw, &s), 0);
	assert_int_equal(s.n, 0);
	free(inst);

	/* ingestion's check: the instance must be the device's */
	assert_int_equal(apps_store_instance_on_device(d, I1, D1), 0);
	assert_int_equal(apps_store_instance_on_device(d, I1, D2), -EPERM);
	store_put(p, d);
	store_pool_close(p);
}

/* --- device rows for a set of ids, by name --- */

static int names(void *ctx, const struct devices_store_row *row)
{
	char *out = ctx;
	strcat(out, row->name);
	strcat(out, ",");
	return 0;
}

static void test_devices_each_of(void **state)
{
	(void)state;
	struct store_pool *p = open_db("devs.db");
	struct store *d = store_get(p);
	char got[128] = "";
	assert_int_equal(devices_store_each_of(d, "[\"" D1 "\",\"" D2 "\",\"nope\"]", names, got), 0);
	assert_string_equal(got, "alpha,beta,");
	got[0] = '\0';
	assert_int_equal(devices_store_each_of(d, "[]", names, got), 0);
	assert_string_equal(got, "");

	/* base OS step and its rollback (only while still at the rollout's image) */
	char prev[UUID_STR_LEN];
	bool none = false;
	assert_int_equal(devices_store_baseos(d, D1, prev, &none), 0);
	assert_true(none);
	assert_int_equal(devices_store_set_os_failed(d, D1, "1.0", "fell back"), 0);
	assert_int_equal(devices_store_set_baseos(d, D1, "os1"), 0);
	assert_int_equal(devices_store_baseos(d, D1, prev, &none), 0);
	assert_false(none);
	assert_string_equal(prev, "os1");
	assert_int_equal(
	    int_of(d, "SELECT baseos_activate + (os_failed = '') FROM devices WHERE id = '" D1 "'"), 2);
	assert_int_equal(devices_store_revert_baseos(d, D1, NULL, "other"), 0); /* moved on: kept */
	assert_int_equal(devices_store_baseos(d, D1, prev, &none), 0);
	assert_string_equal(prev, "os1");
	assert_int_equal(devices_store_revert_baseos(d, D1, NULL, "os1"), 0);
	assert_int_equal(devices_store_baseos(d, D1, prev, &none), 0);
	assert_true(none);
	assert_int_equal(int_of(d, "SELECT baseos_activate FROM devices WHERE id = '" D1 "'"), 0);
	assert_int_equal(devices_store_baseos(d, "nope", prev, &none), -ENOENT);
	store_put(p, d);
	store_pool_close(p);
}

/* --- rollout pins --- */

static int copy_pin(void *ctx, const struct apps_store_pin *pin)
{
	struct apps_store_pin *out = ctx;
	out->has_version = pin->has_version;
	out->version = pin->version;
	out->image_id = pin->image_id ? strdup(pin->image_id) : NULL;
	out->spec = pin->spec ? strdup(pin->spec) : NULL;
	return 0;
}

static void pin_free(struct apps_store_pin *p)
{
	free((char *)p->image_id);
	free((char *)p->spec);
	memset(p, 0, sizeof(*p));
}

static int64_t counters(struct store *d, const char *iid)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT purge_counter * 100 + restart_counter FROM app_instances WHERE id = ?1");
	int64_t v = -1;
	assert_non_null(st);
	store_bind_text(st, 1, iid);
	if (store_step(st) == STORE_ROW)
		v = store_col_int64(st, 0);
	store_reset(st);
	return v;
}

static void test_pins(void **state)
{
	(void)state;
	struct store_pool *p = open_db("pins.db");
	struct store *d = store_get(p);
	struct apps_store_pin got = {0};
	int64_t v2 = 2, v3 = 3;

	assert_int_equal(apps_store_pin_of(d, APP, D1, copy_pin, &got), 0);
	assert_false(got.has_version);
	assert_null(got.spec);
	assert_int_equal(apps_store_pin_of(d, APP, D3, copy_pin, &got), -ENOENT);

	/* another image: a purge; the same image: a restart */
	struct apps_store_pin to = {
	    .spec = "{\"v\":2}", .image_id = "img2", .has_version = true, .version = 2};
	assert_int_equal(apps_store_set_pin(d, APP, D1, &to, NULL), 0);
	assert_int_equal(counters(d, I1), 100);
	struct apps_store_pin same = {
	    .spec = "{\"v\":2}", .image_id = "img1", .has_version = true, .version = 2};
	assert_int_equal(apps_store_set_pin(d, APP, D2, &same, NULL), 0);
	assert_int_equal(counters(d, I2), 1);
	assert_int_equal(apps_store_set_pin(d, APP, D3, &to, NULL), -ENOENT); /* no instance */

	assert_int_equal(apps_store_pin_of(d, APP, D1, copy_pin, &got), 0);
	assert_true(got.has_version);
	assert_int_equal(got.version, 2);
	assert_string_equal(got.image_id, "img2");
	assert_string_equal(got.spec, "{\"v\":2}");
	pin_free(&got);

	/* a rollback undoes only its own pin; back to the app's image: a purge */
	struct apps_store_pin unpinned = {0};
	assert_int_equal(apps_store_set_pin(d, APP, D1, &unpinned, &v3), -ENOENT);
	assert_int_equal(apps_store_set_pin(d, APP, D1, &unpinned, &v2), 0);
	assert_int_equal(counters(d, I1), 200);
	assert_int_equal(apps_store_pin_of(d, APP, D1, copy_pin, &got), 0);
	assert_false(got.has_version);
	pin_free(&got);

	/* finishing: the others keep what they ran, the pins of the version go */
	assert_int_equal(apps_store_pin_current_except(d, APP, "[\"" D2 "\"]"), 0);
	assert_int_equal(int_of(d, "SELECT pin_version FROM app_instances WHERE id = '" I1 "'"), 1);
	assert_int_equal(int_of(d, "SELECT pin_version FROM app_instances WHERE id = '" I2 "'"), 2);
	assert_int_equal(apps_store_promote(d, APP, "{\"v\":2}", "img1", 2), 0);
	assert_int_equal(int_of(d, "SELECT version FROM apps WHERE id = '" APP "'"), 2);
	assert_int_equal(int_of(d, "SELECT pin_version IS NULL FROM app_instances WHERE id = '" I2 "'"), 1);
	assert_int_equal(int_of(d, "SELECT pin_version FROM app_instances WHERE id = '" I1 "'"), 1);
	store_put(p, d);
	store_pool_close(p);
}

/* --- automatic rollback inputs, instance reports --- */

static int count_not_running(void *ctx, const char *dev, const char *state, const char *error)
{
	(void)state;
	(void)error;
	char *out = ctx;
	strcat(out, strcmp(dev, D1) ? "2" : "1");
	return 0;
}

static void test_rollback_inputs(void **state)
{
	(void)state;
	struct store_pool *p = open_db("auto.db");
	struct store *d = store_get(p);
	char *j = NULL, ran[8] = "";
	int64_t v = 0;

	assert_int_equal(apps_store_auto_rollback_json(d, &j), 0);
	assert_string_equal(j, "[[\"" APP "\",1,30]]");
	free(j);

	assert_int_equal(apps_store_set_revision(d, APP, 1, "{\"rollback_after_s\":30}", "img2", &v), 0);
	assert_int_equal(v, 2);
	/* the schema's trigger recorded it */
	assert_int_equal(int_of(d, "SELECT count(*) FROM app_revisions WHERE app_id = '" APP "'"
				   " AND version = 2 AND reason = 'update' AND image_id = 'img2'"),
			 1);

	struct apps_store_report rep = {
	    .state = "RUNNING", .ips = "[]", .updated = 5, .version = "2.0.0.1", .version_len = 7};
	assert_int_equal(apps_store_instance_report(d, D1, I1, &rep), 0);
	assert_int_equal(apps_store_instance_report(d, D2, I1, &rep), 0); /* not D2's: no change */
	assert_int_equal(apps_store_each_not_running(d, APP, 2, count_not_running, ran), 0);
	assert_string_equal(ran, "2");

	struct apps_store_report back = {.state = "RUNNING",
					 .error = "rolled back on the device to version 1.0.0.1",
					 .ips = "[]",
					 .updated = 6,
					 .version = "1.0.0.1",
					 .version_len = 7};
	assert_int_equal(apps_store_instance_report(d, D2, I2, &back), 0);
	assert_int_equal(apps_store_device_errors_json(d, "rolled back on the device", &j), 0);
	assert_string_equal(j, "[[\"" APP "\",2,\"1.0.0.1\",\"" D2
			       "\",\"rolled back on the device to version 1.0.0.1\"]]");
	free(j);
	char *err = text_of(d, "SELECT error FROM app_instances WHERE id = '" I1 "'");
	assert_null(err);
	store_put(p, d);
	store_pool_close(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_flows_of_app),
	    cmocka_unit_test(test_devices_each_of),
	    cmocka_unit_test(test_pins),
	    cmocka_unit_test(test_rollback_inputs),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
