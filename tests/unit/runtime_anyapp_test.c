/* any-app domain XML (device/runtime/hv_qemu.c, hv.c): UEFI firmware with
 * the app's NVRAM, vCPU pinning through <cputune>, a unikernel booted as a
 * kernel with no disk, and the refusals. With ANYAPP_XML_OUT=DIR set, the
 * accepted documents are also written there for virt-xml-validate
 * (tests/integration/anyapp_xml.sh). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv.h"

static void save(const char *name, const struct buf *b)
{
	const char *dir = getenv("ANYAPP_XML_OUT");
	char path[4096];
	FILE *f;

	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fwrite(b->data, 1, b->len, f);
	fclose(f);
}

static const struct hv_disk disk = {"/v/disk.qcow2", "qcow2", false, false};

static struct hv_spec base(void)
{
	struct hv_spec s = {.name = "eve-anyapp",
			    .uuid = "a0000028-0000-4000-8000-000000000028",
			    .memory_kib = 65536,
			    .vcpus = 2,
			    .disks = &disk,
			    .n_disks = 1,
			    .console_log = "/c.log",
			    .vnc_display = -1};
	return s;
}

static char *xml(const struct hv_ops *ops, const struct hv_spec *s, const char *save_as, int want)
{
	char err[256] = "";
	struct buf b;
	char *out;

	buf_init(&b, HV_XML_MAX);
	assert_int_equal(ops->domain_xml(s, &b, err, sizeof(err)), want);
	if (want == 0 && save_as)
		save(save_as, &b);
	out = want == 0 ? strdup((char *)b.data) : strdup(err);
	buf_free(&b);
	return out;
}

static void test_bios_default(void **st)
{
	struct hv_spec s = base();
	char *x = xml(&hv_qemu_ops, &s, "bios.xml", 0);

	assert_null(strstr(x, "<loader"));
	assert_null(strstr(x, "<cputune>"));
	assert_non_null(strstr(x, "<boot dev='hd'/>"));
	free(x);
}

static void test_uefi(void **st)
{
	struct hv_spec s = base();
	char *x;

	s.uefi_code = "/usr/share/OVMF/OVMF_CODE_4M.fd";
	s.uefi_vars = "/usr/share/OVMF/OVMF_VARS_4M.fd";
	s.nvram = "/state/apps/x/nvram.fd";
	x = xml(&hv_qemu_ops, &s, "uefi.xml", 0);
	assert_non_null(
	    strstr(x, "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>"));
	assert_non_null(
	    strstr(x, "<nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'>/state/apps/x/nvram.fd</nvram>"));
	free(x);
	s.nvram = NULL;
	x = xml(&hv_qemu_ops, &s, NULL, -EINVAL);
	free(x);
	/* Xen cannot do it here: refused, not dropped. */
	s.nvram = "/n";
	x = xml(&hv_xen_ops, &s, NULL, -EINVAL);
	assert_non_null(strstr(x, "UEFI"));
	free(x);
}

static void test_pinning(void **st)
{
	struct hv_spec s = base();
	char *x;

	s.cpuset = "1,0";
	s.pin_vcpus = true;
	x = xml(&hv_qemu_ops, &s, "pinned.xml", 0);
	assert_non_null(strstr(x, "<cputune>\n    <vcpupin vcpu='0' cpuset='1'/>\n    <vcpupin vcpu='1' "
				  "cpuset='0'/>\n  </cputune>"));
	assert_non_null(strstr(x, "cpuset='1,0'>2</vcpu>"));
	free(x);
	s.cpuset = "0-3";
	x = xml(&hv_qemu_ops, &s, NULL, 0);
	assert_non_null(strstr(x, "<vcpupin vcpu='1' cpuset='1'/>"));
	assert_null(strstr(x, "vcpu='2'"));
	free(x);
	s.cpuset = "3"; /* fewer CPUs than vCPUs */
	x = xml(&hv_qemu_ops, &s, NULL, -EINVAL);
	assert_non_null(strstr(x, "one CPU per vCPU"));
	free(x);
	s.cpuset = "0,x";
	x = xml(&hv_qemu_ops, &s, NULL, -EINVAL);
	free(x);
	s.cpuset = "0,1";
	x = xml(&hv_xen_ops, &s, "xen-pinned.xml", 0);
	assert_non_null(strstr(x, "<vcpupin vcpu='1' cpuset='1'/>"));
	free(x);
}

static void test_unikernel(void **st)
{
	struct hv_spec s = base();
	char *x;

	s.n_disks = 0;
	s.disks = NULL;
	s.kernel = "/blobs/sha256/abc";
	s.cmdline = "console=ttyS0";
	x = xml(&hv_qemu_ops, &s, "unikernel.xml", 0);
	assert_non_null(strstr(x, "<kernel>/blobs/sha256/abc</kernel>"));
	assert_null(strstr(x, "<disk"));
	free(x);
}

int main(void)
{
	const struct CMUnitTest t[] = {
	    cmocka_unit_test(test_bios_default),
	    cmocka_unit_test(test_uefi),
	    cmocka_unit_test(test_pinning),
	    cmocka_unit_test(test_unikernel),
	};
	return cmocka_run_group_tests(t, NULL, NULL);
}
