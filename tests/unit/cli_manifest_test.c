// SPDX-License-Identifier: Apache-2.0
/* Edge-container manifest -> app spec mapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

#ifndef EXAMPLES_DIR
#error EXAMPLES_DIR must be defined
#endif

static json_t *load(const char *file)
{
	json_t *j = json_load_file(file, 0, NULL);

	assert_non_null(j);
	return j;
}

static void test_seed_example(void **state)
{
	json_t *m = load(EXAMPLES_DIR "/xenial2intf.json"), *spec = NULL, *want;
	char err[256] = "";

	assert_int_equal(manifest_to_spec(m, &spec, err, sizeof(err)), 0);
	want = json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:[s,s], s:[], s:{}, s:b, s:b}", "name",
			 "xenial2intf", "image", "xenial-amd64-docker-20180725", "device", "edge-1", "cpus",
			 2, "memory_mb", 500, "disk_mb", 3072, "networks", "indirect", "direct", "ports",
			 "env", "vnc", 1, "activate", 1);
	/* vmmode goes to the controller, which checks it against the image */
	json_object_set_new(want, "vmmode", json_string("HV_HVM"));
	/* each interface's ACL matches travel with the network they belong to */
	json_object_set_new(want, "acls",
			    json_pack("[{s:s, s:[{s:s, s:s}]}, {s:s, s:[{s:s, s:s}]}]", "network", "indirect",
				      "matches", "type", "host", "value", "amazonaws.com", "network",
				      "direct", "matches", "type", "ip", "value", "0.0.0.0/0"));
	assert_true(json_equal(spec, want));
	/* an API object carrying more members still matches */
	json_object_set_new(want, "id", json_string("x"));
	assert_true(manifest_spec_matches(spec, want));
	json_object_set_new(want, "cpus", json_integer(3));
	assert_false(manifest_spec_matches(spec, want));
	json_decref(want);
	json_decref(spec);
	json_decref(m);
}

static void test_label_example(void **state)
{
	json_t *m = load(EXAMPLES_DIR "/nginx-by-label.json"), *spec = NULL;
	char err[256] = "";

	assert_int_equal(manifest_to_spec(m, &spec, err, sizeof(err)), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(spec, "selector"), "site")),
			    "factory-3");
	assert_null(json_object_get(spec, "device"));
	assert_int_equal(json_integer_value(json_object_get(spec, "memory_mb")), 128);
	assert_int_equal(json_integer_value(json_object_get(spec, "disk_mb")), 1024);
	assert_int_equal(
	    json_integer_value(json_object_get(json_array_get(json_object_get(spec, "ports"), 0), "host")),
	    8080);
	json_decref(spec);
	json_decref(m);
}

/* Each broken manifest is refused with a message naming the field. */
static void test_refused(void **state)
{
	static const struct {
		const char *json, *field;
	} cases[] = {
	    {"[]", "manifest"},
	    {"{\"images\": [{\"imagename\": \"i\"}], \"device\": \"d\"}", "name"},
	    {"{\"name\": \"a/b\", \"images\": [{\"imagename\": \"i\"}], \"device\": \"d\"}", "name"},
	    {"{\"name\": \"a\", \"images\": [], \"device\": \"d\"}", "images"},
	    {"{\"name\": \"a\", \"images\": [{\"imagename\": \"i\"}, {\"imagename\": \"j\"}], \"device\": "
	     "\"d\"}",
	     "images"},
	    {"{\"name\": \"a\", \"images\": [{\"imagename\": \"i\", \"maxsize\": -1}], \"device\": \"d\"}",
	     "maxsize"},
	    {"{\"name\": \"a\", \"images\": [{\"imagename\": \"i\"}]}", "device"},
	    {"{\"name\": \"a\", \"images\": [{\"imagename\": \"i\"}], \"device\": \"d\", \"selector\": "
	     "{\"k\": \"v\"}}",
	     "device"},
	    {"{\"name\": \"a\", \"images\": [{\"imagename\": \"i\"}], \"selector\": {\"k\": 1}}", "selector"},
	    {"{\"name\": \"a\", \"images\": [{\"imagename\": \"i\"}], \"device\": \"d\", \"resources\": "
	     "[{\"name\": "
	     "\"cpus\", \"value\": 0}]}",
	     "cpus"},
	    {"{\"name\": \"a\", \"images\": [{\"imagename\": \"i\"}], \"device\": \"d\", \"resources\": "
	     "[{\"name\": "
	     "\"memory\", \"value\": \"lots\"}]}",
	     "memory"},
	    {"{\"name\": \"a\", \"images\": [{\"imagename\": \"i\"}], \"device\": \"d\", \"resources\": "
	     "[{\"name\": "
	     "\"gpus\", \"value\": 1}]}",
	     "gpus"},
	    {"{\"name\": \"a\", \"images\": [{\"imagename\": \"i\"}], \"device\": \"d\", \"interfaces\": "
	     "[{\"name\": "
	     "\"n\", \"acIs\": [{\"matches\": [{\"type\": \"port\", \"value\": \"80\"}]}]}]}",
	     "matches"},
	    {"{\"name\": \"a\", \"images\": [{\"imagename\": \"i\"}], \"device\": \"d\", \"vmmode\": "
	     "\"HV_X\"}",
	     "vmmode"},
	    {"{\"name\": \"a\", \"images\": [{\"imagename\": \"i\"}], \"device\": \"d\", \"enablevnc\": "
	     "\"yes\"}",
	     "enablevnc"},
	    {"{\"name\": \"a\", \"images\": [{\"imagename\": \"i\"}], \"device\": \"d\", \"ports\": "
	     "[\"80\"]}",
	     "ports"},
	    {"{\"acKind\": \"Pod\", \"name\": \"a\", \"images\": [{\"imagename\": \"i\"}], \"device\": "
	     "\"d\"}",
	     "acKind"},
	    /* nothing dropped silently (issue 18) */
	    {"{\"acKind\": \"PodManifest\", \"name\": \"a\", \"images\": [{\"imagename\": \"i\"}], "
	     "\"device\": \"d\"}",
	     "acKind: must be VMManifest"},
	    {"{\"name\": \"a\", \"owner\": {}, \"images\": [{\"imagename\": \"i\"}], \"device\": \"d\"}",
	     "owner: unknown field"},
	    {"{\"name\": \"a\", \"images\": [{\"imagename\": \"i\", \"drvtype\": \"HDD\"}], \"device\": "
	     "\"d\"}",
	     "images[0].drvtype: unknown field"},
	    {"{\"name\": \"a\", \"images\": [{\"imagename\": \"i\", \"readonly\": true}], \"device\": "
	     "\"d\"}",
	     "images[0].readonly: only false"},
	    {"{\"name\": \"a\", \"images\": [{\"imagename\": \"i\", \"target\": \"Kernel\"}], \"device\": "
	     "\"d\"}",
	     "images[0].target: only Disk"},
	    {"{\"name\": \"a\", \"images\": [{\"imagename\": \"i\"}], \"device\": \"d\", \"interfaces\": "
	     "[{\"name\": \"n\", \"directattach\": true}]}",
	     "directattach: only false"},
	    {"{\"name\": \"a\", \"images\": [{\"imagename\": \"i\"}], \"device\": \"d\", \"interfaces\": "
	     "[{\"name\": \"n\", \"mac\": \"x\"}]}",
	     "interfaces[].mac: unknown field"},
	    {"{\"name\": \"a\", \"images\": [{\"imagename\": \"i\"}], \"device\": \"d\", \"ports\": "
	     "[\"8080:80\"]}",
	     "ports: ports are published on the app's first interface"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *m = json_loads(cases[i].json, JSON_DECODE_ANY, NULL), *spec = NULL;
		char err[256] = "";

		assert_non_null(m);
		assert_int_equal(manifest_to_spec(m, &spec, err, sizeof(err)), -EINVAL);
		assert_null(spec);
		if (!strstr(err, cases[i].field))
			fail_msg("case %zu: '%s' does not name %s", i, err, cases[i].field);
		json_decref(m);
	}
}

/* Values that are honoured, not dropped: maxsize (KiB) is the disk size
 * unless resources gives storage; vmmode travels to the controller. */
static void test_honoured(void **state)
{
	json_t *m = json_loads(
		   "{\"name\": \"a\", \"vmmode\": \"HV_HVM\", \"images\": [{\"imagename\": \"i\", "
		   "\"maxsize\": 2048, \"readonly\": false, \"target\": \"Disk\"}], \"device\": \"d\"}",
		   0, NULL),
	       *spec = NULL;
	char err[256] = "";

	assert_non_null(m);
	assert_int_equal(manifest_to_spec(m, &spec, err, sizeof(err)), 0);
	assert_int_equal(json_integer_value(json_object_get(spec, "disk_mb")), 2);
	assert_string_equal(json_string_value(json_object_get(spec, "vmmode")), "HV_HVM");
	json_decref(spec);
	json_decref(m);
}

static void test_helpers(void **state)
{
	json_t *p = manifest_port("8080:80"), *o = json_object();

	assert_non_null(p);
	assert_int_equal(json_integer_value(json_object_get(p, "app")), 80);
	json_decref(p);
	assert_null(manifest_port("80"));
	assert_null(manifest_port("0:80"));
	assert_null(manifest_port("70000:80"));
	assert_null(manifest_port("a:b"));
	assert_int_equal(manifest_kv(o, "k=v=w"), 0);
	assert_string_equal(json_string_value(json_object_get(o, "k")), "v=w");
	assert_int_equal(manifest_kv(o, "=v"), -EINVAL);
	assert_int_equal(manifest_kv(o, "novalue"), -EINVAL);
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_seed_example), cmocka_unit_test(test_label_example),
	    cmocka_unit_test(test_refused),      cmocka_unit_test(test_honoured),
	    cmocka_unit_test(test_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
