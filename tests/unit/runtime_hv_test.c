// SPDX-License-Identifier: Apache-2.0
/* Domain XML generation: escaping, backend choices, refusals. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "hv.h"

static void test_escape(void **st)
{
	struct buf b;

	buf_init(&b, 1024);
	hv_xml_text(&b, "a<b>&'\"\x01z");
	assert_string_equal((char *)b.data, "a&lt;b&gt;&amp;&apos;&quot;z");
	buf_free(&b);
}

static void test_lxc(void **st)
{
	static char *argv[] = {"/bin/sh", "-c", "echo hi", NULL};
	struct hv_spec s = {.name = "eve-x",
			    .uuid = "a0000006-0000-4000-8000-000000000006",
			    .memory_kib = 1024,
			    .rootfs = "/r",
			    .argv = argv,
			    .init_dir = "/a/init"};
	char err[128];
	struct buf b;

	buf_init(&b, HV_XML_MAX);
	assert_int_equal(hv_lxc_ops.domain_xml(&s, &b, err, sizeof(err)), 0);
	/* the shim, reading its environment file, then the app's argv; no
	 * environment in the XML (libvirt logs it) */
	assert_non_null(strstr((char *)b.data, "<init>/.eve-init/eve-init</init>\n"
					       "    <initarg>/.eve-init/env</initarg>\n"
					       "    <initarg>/bin/sh</initarg>\n"
					       "    <initarg>-c</initarg>"));
	assert_null(strstr((char *)b.data, "initenv"));
	assert_non_null(strstr((char *)b.data, "<source dir='/a/init'/>\n      <target dir='/.eve-init'/>\n"
					       "      <readonly/>"));
	assert_non_null(strstr((char *)b.data, "<privnet/>"));
	assert_non_null(strstr((char *)b.data, "<source dir='/r'/>\n      <target dir='/'/>"));
	buf_free(&b);

	/* a root of the app's storage size: its filesystem image, loop-mounted */
	s.rootfs = "/v/root.img";
	s.rootfs_loop = true;
	buf_init(&b, HV_XML_MAX);
	assert_int_equal(hv_lxc_ops.domain_xml(&s, &b, err, sizeof(err)), 0);
	assert_non_null(strstr((char *)b.data,
			       "<filesystem type='file' accessmode='passthrough'>\n"
			       "      <driver type='loop' format='raw'/>\n"
			       "      <source file='/v/root.img'/>\n      <target dir='/'/>"));
	buf_free(&b);
	s.rootfs_loop = false;

	s.argv = NULL;
	buf_init(&b, HV_XML_MAX);
	assert_int_not_equal(hv_lxc_ops.domain_xml(&s, &b, err, sizeof(err)), 0);
	buf_free(&b);
	s.argv = argv;
	s.init_dir = NULL; /* never the environment in the XML instead */
	buf_init(&b, HV_XML_MAX);
	assert_int_not_equal(hv_lxc_ops.domain_xml(&s, &b, err, sizeof(err)), 0);
	buf_free(&b);
}

static void test_qemu(void **st)
{
	static const struct hv_disk d[] = {{"/v/disk.qcow2", "qcow2", false, false},
					   {"/b/iso", "raw", true, true}};
	struct hv_spec s = {.name = "eve-x",
			    .memory_kib = 1024,
			    .vcpus = 2,
			    .disks = d,
			    .n_disks = 2,
			    .console_log = "/c.log",
			    .vnc_display = -1};
	char err[128];
	struct buf b;

	buf_init(&b, HV_XML_MAX);
	assert_int_equal(hv_qemu_ops.domain_xml(&s, &b, err, sizeof(err)), 0);
	assert_non_null(strstr((char *)b.data, "<target dev='vda' bus='virtio'/>"));
	assert_non_null(strstr((char *)b.data, "device='cdrom'"));
	assert_non_null(strstr((char *)b.data, "<serial type='pty'>\n      <log file='"));
	assert_null(strstr((char *)b.data, "<graphics"));
	buf_free(&b);

	s.n_disks = 0;
	buf_init(&b, HV_XML_MAX);
	assert_int_not_equal(hv_qemu_ops.domain_xml(&s, &b, err, sizeof(err)), 0);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_lxc),
	    cmocka_unit_test(test_qemu),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
