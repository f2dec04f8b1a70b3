// SPDX-License-Identifier: Apache-2.0
/* An app's spec (controller/app_spec.c): the admin body's checks, the
 * stored JSON form (the same text the controller always stored), the
 * round trip through the store, and what needs a restart. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "app_acl.h"
#include "app_spec.h"

/* Parse body (JSON text) for app "web"; the result and the reason. */
static int parse(const char *body, struct app_spec *s, char *err, size_t errlen)
{
	json_t *b = json_loads(body, 0, NULL);
	int r;

	assert_non_null(b);
	err[0] = 0;
	r = app_spec_from_body(b, "web", s, err, errlen);
	json_decref(b);
	return r;
}

static void test_stored_form(void **st)
{
	struct app_spec s = {0}, back = {0};
	char err[256], *text, *again;

	(void)st;
	assert_int_equal(
	    parse("{\"name\": \"web\", \"image\": \"nginx\", \"device\": \"dev1\", \"networks\": [\"lan\"],"
		  " \"ports\": [{\"host\": 8080, \"app\": 80}], \"env\": {\"A\": \"1\"}, \"activate\": false,"
		  " \"project\": \"default\", \"kernel\": \"\", \"rollback_after_s\": 0}",
		  &s, err, sizeof(err)),
	    0);
	assert_false(s.activate);
	text = app_spec_dump(&s);
	assert_non_null(text);
	/* name, activate and project are the app's, not the spec's; empty
	 * optional values are not stored */
	assert_string_equal(
	    text, "{\"cpus\":1,\"device\":\"dev1\",\"disk_mb\":0,\"env\":{\"A\":\"1\"},\"image\":\"nginx\","
		  "\"memory_mb\":256,\"networks\":[\"lan\"],\"ports\":[{\"app\":80,\"host\":8080}],"
		  "\"user_data\":\"\",\"vnc\":false}");
	assert_int_equal(app_spec_load(text, &back), 0);
	again = app_spec_dump(&back);
	assert_string_equal(text, again);
	int64_t host, app;
	assert_true(app_spec_port(&back, 0, &host, &app));
	assert_int_equal(host, 8080);
	assert_int_equal(app, 80);
	assert_false(app_spec_port(&back, 1, &host, &app));
	assert_string_equal(app_spec_network(&back, 0), "lan");
	assert_null(app_spec_network(&back, 1));
	assert_null(app_spec_restart_reason(&s, &back));
	free(text);
	free(again);
	app_spec_free(&s);
	app_spec_free(&back);
}

static void test_vm_members(void **st)
{
	struct app_spec s = {0}, back = {0};
	char err[256], *text;
	const char *name, *mount;

	(void)st;
	assert_int_equal(
	    parse("{\"image\": \"vm\", \"selector\": {\"site\": \"a\"}, \"cpus_pinned\": \"2-3\","
		  " \"boot\": \"uefi\", \"kernel\": \"/boot/vmlinuz\", \"cmdline\": \"quiet\","
		  " \"volumes\": [{\"name\": \"data\"}], \"io\": [\"USB1\"], \"vmmode\": \"HV_HVM\","
		  " \"rollback_after_s\": 60}",
		  &s, err, sizeof(err)),
	    0);
	assert_int_equal(s.cpus, 2); /* one vCPU per pinned CPU */
	text = app_spec_dump(&s);
	assert_int_equal(app_spec_load(text, &back), 0);
	assert_null(back.device);
	assert_string_equal(json_string_value(json_object_get(back.selector, "site")), "a");
	assert_string_equal(back.boot, "uefi");
	assert_string_equal(back.cpus_pinned, "2-3");
	assert_string_equal(back.kernel, "/boot/vmlinuz");
	assert_null(back.ramdisk);
	assert_string_equal(back.cmdline, "quiet");
	assert_string_equal(back.vmmode, "HV_HVM");
	assert_string_equal(app_spec_io(&back, 0), "USB1");
	assert_int_equal(back.rollback_after_s, 60);
	assert_true(app_spec_volume(&back, 0, &name, &mount));
	assert_string_equal(name, "data");
	assert_string_equal(mount, "");
	assert_false(app_spec_volume(&back, 1, &name, &mount));
	free(text);
	app_spec_free(&s);
	app_spec_free(&back);
}

static void test_refused(void **st)
{
	static const struct {
		const char *body, *why;
	} bad[] = {
	    {"{\"image\": \"i\", \"device\": \"d\", \"cpu\": 2}", "unknown field cpu"},
	    {"{\"device\": \"d\"}", "image: required image name"},
	    {"{\"image\": \"i\"}", "exactly one of device"},
	    {"{\"image\": \"i\", \"device\": \"d\", \"selector\": {\"a\": \"b\"}}", "exactly one of device"},
	    {"{\"image\": \"i\", \"device\": \"d\", \"cpus\": 0}", "cpus, memory_mb, disk_mb"},
	    {"{\"image\": \"i\", \"device\": \"d\", \"memory_mb\": 8}", "cpus, memory_mb, disk_mb"},
	    {"{\"image\": \"i\", \"device\": \"d\", \"ports\": [{\"host\": 80, \"app\": 80}]}",
	     "ports: a port map"},
	    {"{\"image\": \"i\", \"device\": \"d\", \"networks\": [\"n\"], \"ports\": [{\"host\": 0, "
	     "\"app\": 1}]}",
	     "networks: array of names"},
	    {"{\"image\": \"i\", \"device\": \"d\", \"vnc\": 1}", "vnc, activate: booleans"},
	    {"{\"image\": \"i\", \"device\": \"d\", \"user_data\": \"(secret: set)\"}", "user_data: give"},
	    {"{\"image\": \"i\", \"device\": \"d\", \"ramdisk\": \"/r\"}", "kernel, ramdisk"},
	    {"{\"image\": \"i\", \"device\": \"d\", \"boot\": \"efi\"}", "boot: bios or uefi"},
	    {"{\"image\": \"i\", \"device\": \"d\", \"cpus_pinned\": \"0-1\", \"cpus\": 3}",
	     "cpus_pinned names 2 CPUs"},
	    {"{\"image\": \"i\", \"device\": \"d\", \"cpus_pinned\": \"x\"}", "cpus_pinned: a CPU list"},
	    {"{\"image\": \"i\", \"device\": \"d\", \"rollback_after_s\": -1}", "rollback_after_s"},
	    {"{\"image\": \"i\", \"device\": \"d\", \"acls\": 5}", ""},
	};
	char err[256];

	(void)st;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct app_spec s = {0};
		assert_int_equal(parse(bad[i].body, &s, err, sizeof(err)), -EINVAL);
		if (!strstr(err, bad[i].why) || !err[0])
			fail_msg("%s: got \"%s\", want \"%s\"", bad[i].body, err, bad[i].why);
		app_spec_free(&s);
	}
	struct app_spec s = {0};
	json_t *b = json_pack("{s:s, s:s}", "image", "i", "device", "d");
	assert_int_equal(app_spec_from_body(b, "a/b", &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "name: required, no '/'");
	app_spec_free(&s);
	json_decref(b);
	assert_int_equal(app_spec_load("[1]", &s), -EINVAL);
	app_spec_free(&s);
}

static void test_restart_reason(void **st)
{
	static const struct {
		const char *old, *new, *why;
	} cases[] = {
	    {"{\"env\": {\"A\": \"1\"}}", "{\"env\": {\"A\": \"2\"}}", "env changed"},
	    {"{\"ports\": []}", "{\"ports\": [{\"host\": 1, \"app\": 2}]}", "ports changed"},
	    {"{\"user_data\": \"x\"}", "{\"user_data\": \"y\"}", "user_data changed"},
	    {"{}", "{\"boot\": \"uefi\"}", "boot changed"},
	    {"{\"cpus_pinned\": \"0\"}", "{\"cpus_pinned\": \"1\"}", "cpus_pinned changed"},
	    {"{\"io\": [\"a\"]}", "{}", "io changed"},
	    {"{\"cpus\": 1, \"env\": {}}", "{\"cpus\": 2}", NULL},
	};

	(void)st;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct app_spec a = {0}, b = {0};
		assert_int_equal(app_spec_load(cases[i].old, &a), 0);
		assert_int_equal(app_spec_load(cases[i].new, &b), 0);
		const char *why = app_spec_restart_reason(&a, &b);
		if (cases[i].why)
			assert_string_equal(why, cases[i].why);
		else
			assert_null(why);
		app_spec_free(&a);
		app_spec_free(&b);
	}
}

/* What the config builder reads of an ACL entry (app_acl_entry). */
static void test_acl_entry(void **st)
{
	json_t *acls =
	    json_loads("[{\"network\": \"lan\", \"matches\": [{\"type\": \"protocol\", \"value\": \"tcp\"},"
		       " {\"type\": \"lport\", \"value\": \"80\"}], \"actions\": [{\"limit\": true,"
		       " \"limitrate\": 10, \"limitburst\": 5}]}, {\"network\": \"wan\", \"matches\":"
		       " [{\"type\": \"host\", \"value\": \"example.org\"}]}]",
		       0, NULL);
	struct app_acl_entry e;

	(void)st;
	assert_non_null(acls);
	assert_true(app_acl_entry(acls, 0, &e));
	assert_string_equal(e.network, "lan");
	assert_int_equal(e.n_matches, 2);
	assert_string_equal(e.matches[1].type, "lport");
	assert_string_equal(e.matches[1].value, "80");
	assert_true(e.action);
	assert_true(e.limit);
	assert_false(e.drop);
	assert_int_equal(e.limitrate, 10);
	assert_int_equal(e.limitburst, 5);
	assert_string_equal(e.limitunit, "s");
	assert_true(app_acl_entry(acls, 1, &e));
	assert_string_equal(e.network, "wan");
	assert_false(e.action);
	assert_false(app_acl_entry(acls, 2, &e));
	assert_false(app_acl_entry(NULL, 0, &e));
	json_decref(acls);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stored_form), cmocka_unit_test(test_vm_members),
	    cmocka_unit_test(test_refused),     cmocka_unit_test(test_restart_reason),
	    cmocka_unit_test(test_acl_entry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
