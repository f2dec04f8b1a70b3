// SPDX-License-Identifier: Apache-2.0
/* The app runtime's config properties: read from the config items with the
 * shared table's parsers (bad values keep the default), the memory and
 * disk checks for new apps, and app.allow.vnc in the domain XML. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "configprops.h"
#include "hv.h"
#include "oci_unpack.h"
#include "rt_props.h"

static void test_load(void **state)
{
	Org__Lfedge__Eve__Config__EdgeDevConfig cfg = ORG__LFEDGE__EVE__CONFIG__EDGE_DEV_CONFIG__INIT;
	Org__Lfedge__Eve__Config__ConfigItem it[5], *p[5];
	const char *kv[5][2] = {
	    {"timer.download.retry", "3"},
	    {"timer.boot.retry", "0"}, /* below the minimum: default */
	    {"app.allow.vnc", "true"},
	    {"memory.apps.ignore.check", "perhaps"},
	    {"storage.dom0.disk.minusage.percent", "50"},
	};
	struct rt_props pr;

	rt_props_load(&pr, NULL);
	assert_int_equal(pr.download_retry_ms, 600000);
	assert_int_equal(pr.boot_retry_ms, 600000);
	assert_false(pr.allow_vnc);
	assert_int_equal(pr.dom0_min_pct, 20);
	for (int i = 0; i < 5; i++) {
		org__lfedge__eve__config__config_item__init(&it[i]);
		it[i].key = (char *)kv[i][0];
		it[i].value = (char *)kv[i][1];
		p[i] = &it[i];
	}
	cfg.configitems = p;
	cfg.n_configitems = 5;
	rt_props_load(&pr, &cfg);
	assert_int_equal(pr.download_retry_ms, 3000);
	assert_int_equal(pr.boot_retry_ms, 600000);
	assert_true(pr.allow_vnc);
	assert_false(pr.ignore_mem_check);
	assert_int_equal(pr.dom0_min_pct, 50);
	assert_true(pr.unpack_max == OCI_UNPACK_DEFAULT_MAX);
	assert_int_equal(pr.stalled_s, 600); /* timer.download.stalled: not set */
}

/* runtime.oci.unpack.max.bytes: the table's default is the unpacker's; a
 * valid value (also above 2^32) is the cap, a bad one keeps the default. */
static void test_unpack_max(void **state)
{
	Org__Lfedge__Eve__Config__EdgeDevConfig cfg = ORG__LFEDGE__EVE__CONFIG__EDGE_DEV_CONFIG__INIT;
	Org__Lfedge__Eve__Config__ConfigItem it = ORG__LFEDGE__EVE__CONFIG__CONFIG_ITEM__INIT, *p = &it;
	const struct configprop *cp = configprop_find("runtime.oci.unpack.max.bytes");
	struct rt_props pr;
	uint64_t def = 0;

	(void)state;
	assert_non_null(cp);
	assert_int_equal(cp->type, CONFIGPROP_U64);
	assert_int_equal(configprop_parse_u64(cp, cp->def, &def), 0);
	assert_true(def == OCI_UNPACK_DEFAULT_MAX);
	cfg.configitems = &p;
	cfg.n_configitems = 1;
	it.key = "runtime.oci.unpack.max.bytes";
	it.value = "65536";
	rt_props_load(&pr, &cfg);
	assert_true(pr.unpack_max == 65536);
	it.value = "35184372088832"; /* 32 TiB */
	rt_props_load(&pr, &cfg);
	assert_true(pr.unpack_max == 35184372088832ull);
	it.value = "lots";
	rt_props_load(&pr, &cfg);
	assert_true(pr.unpack_max == OCI_UNPACK_DEFAULT_MAX);
	it.value = "0";
	rt_props_load(&pr, &cfg);
	assert_true(pr.unpack_max == OCI_UNPACK_DEFAULT_MAX);
}

static void test_checks(void **state)
{
	char path[] = "/tmp/rt_props_test.XXXXXX", err[512];
	struct rt_props pr;
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	assert_non_null(f);
	fprintf(f, "MemTotal:  4000000 kB\nMemFree:   100 kB\nMemAvailable:  1048576 kB\n");
	fclose(f);
	rt_props_load(&pr, NULL);
	assert_int_equal(rt_props_mem_check(&pr, 512 * 1024, path, err, sizeof(err)), 0);
	assert_int_equal(rt_props_mem_check(&pr, 2048 * 1024, path, err, sizeof(err)), -ENOMEM);
	assert_non_null(strstr(err, "needs 2048 MiB, 1024 MiB are available"));
	pr.ignore_mem_check = true;
	assert_int_equal(rt_props_mem_check(&pr, 2048 * 1024, path, err, sizeof(err)), 0);
	unlink(path);

	/* 1 EiB never fits; a small volume does (this disk is not full). */
	assert_int_equal(rt_props_disk_check(&pr, "/tmp", 1ull << 60, 0, err, sizeof(err)), -ENOSPC);
	assert_non_null(strstr(err, "not enough disk"));
	assert_int_equal(rt_props_disk_check(&pr, "/tmp", 4096, 0, err, sizeof(err)), 0);
	/* What other volumes declare counts against the apps' share. */
	assert_int_equal(rt_props_disk_check(&pr, "/tmp", 4096, 1ull << 60, err, sizeof(err)), -ENOSPC);
	pr.ignore_disk_check = true;
	assert_int_equal(rt_props_disk_check(&pr, "/tmp", 1ull << 60, 0, err, sizeof(err)), 0);
}

static void test_vnc(void **state)
{
	struct hv_spec s = {.name = "eve-x",
			    .memory_kib = 1024,
			    .vcpus = 1,
			    .vnc = true,
			    .vnc_display = -1,
			    .console_log = "/c.log",
			    .kernel = "/k"};
	char err[128];
	struct buf b;

	buf_init(&b, HV_XML_MAX);
	assert_int_equal(hv_qemu_ops.domain_xml(&s, &b, err, sizeof(err)), 0);
	buf_append(&b, "", 1);
	assert_non_null(strstr((char *)b.data, "listen='127.0.0.1'"));
	buf_reset(&b);
	s.vnc_all = true;
	assert_int_equal(hv_qemu_ops.domain_xml(&s, &b, err, sizeof(err)), 0);
	buf_append(&b, "", 1);
	assert_non_null(strstr((char *)b.data, "listen='0.0.0.0'"));
	assert_null(strstr((char *)b.data, "127.0.0.1"));
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_load),
	    cmocka_unit_test(test_checks),
	    cmocka_unit_test(test_unpack_max),
	    cmocka_unit_test(test_vnc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
