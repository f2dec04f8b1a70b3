// SPDX-License-Identifier: Apache-2.0
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
#include "rt_io.h"

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

static void test_hostdevs(void **st)
{
	static const struct hv_hostdev h[] = {
	    {.kind = HV_HOSTDEV_PCI, .domain = 0, .bus = 2, .slot = 0x1f, .function = 3},
	    {.kind = HV_HOSTDEV_USB, .bus = 1, .slot = 4},
	    {.kind = HV_HOSTDEV_SERIAL, .path = "/dev/ttyS1"},
	    {.kind = HV_HOSTDEV_SERIAL, .path = "/dev/ttyUSB0"},
	};
	struct hv_spec s = base();
	char *x;

	s.hostdevs = h;
	s.n_hostdevs = 4;
	x = xml(&hv_qemu_ops, &s, "hostdevs.xml", 0);
	assert_non_null(strstr(
	    x, "type='pci' managed='yes'>\n      <source>\n        <address domain='0x0000' bus='0x02' "
	       "slot='0x1f' function='0x3'/>"));
	assert_non_null(
	    strstr(x, "type='usb' managed='yes'>\n      <source>\n        <address bus='1' device='4'/>"));
	/* COM adapters after the console (port 0) */
	assert_non_null(strstr(x, "<source path='/dev/ttyS1'/>\n      <target port='1'/>"));
	assert_non_null(strstr(x, "<source path='/dev/ttyUSB0'/>\n      <target port='2'/>"));
	free(x);
	/* not silently dropped where they cannot go */
	x = xml(&hv_xen_ops, &s, NULL, -EINVAL);
	assert_non_null(strstr(x, "QEMU VMs only"));
	free(x);
}

/* ---- adapters named by an app, resolved through deviceIoList + sysfs ---- */

typedef Org__Lfedge__Eve__Config__PhysicalIO PhysicalIO;
typedef Org__Lfedge__Eve__Config__PhysicalIO__PhyaddrsEntry PhyAddr;

static void put(const char *dir, const char *rel, const char *text)
{
	char path[512], cmd[1200];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s/%s')\"", dir, rel);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_io_resolve(void **st)
{
	char sysfs[] = "/tmp/anyapp-sysfs.XXXXXX", err[256], cmd[600];
	PhyAddr pa[3] = {ORG__LFEDGE__EVE__CONFIG__PHYSICAL_IO__PHYADDRS_ENTRY__INIT,
			 ORG__LFEDGE__EVE__CONFIG__PHYSICAL_IO__PHYADDRS_ENTRY__INIT,
			 ORG__LFEDGE__EVE__CONFIG__PHYSICAL_IO__PHYADDRS_ENTRY__INIT};
	PhyAddr *pa_pci[] = {&pa[0]}, *pa_usb[] = {&pa[1]}, *pa_com[] = {&pa[2]};
	PhysicalIO io[3] = {ORG__LFEDGE__EVE__CONFIG__PHYSICAL_IO__INIT,
			    ORG__LFEDGE__EVE__CONFIG__PHYSICAL_IO__INIT,
			    ORG__LFEDGE__EVE__CONFIG__PHYSICAL_IO__INIT};
	PhysicalIO *iol[] = {&io[0], &io[1], &io[2]};
	Org__Lfedge__Eve__Config__EdgeDevConfig cfg = ORG__LFEDGE__EVE__CONFIG__EDGE_DEV_CONFIG__INIT;
	Org__Lfedge__Eve__Config__Adapter ad[3] = {ORG__LFEDGE__EVE__CONFIG__ADAPTER__INIT,
						   ORG__LFEDGE__EVE__CONFIG__ADAPTER__INIT,
						   ORG__LFEDGE__EVE__CONFIG__ADAPTER__INIT};
	Org__Lfedge__Eve__Config__Adapter *adl[] = {&ad[0], &ad[1], &ad[2]};
	Org__Lfedge__Eve__Config__AppInstanceConfig ac = ORG__LFEDGE__EVE__CONFIG__APP_INSTANCE_CONFIG__INIT;
	struct hv_hostdev h[RT_IO_MAX];
	size_t n = 0;

	assert_non_null(mkdtemp(sysfs));
	put(sysfs, "bus/pci/devices/0000:02:00.0/class", "0x030000\n");
	put(sysfs, "bus/usb/devices/1-2.3/busnum", "1\n");
	put(sysfs, "bus/usb/devices/1-2.3/devnum", "7\n");
	pa[0].key = "pcilong", pa[0].value = "0000:02:00.0";
	pa[1].key = "usbaddr", pa[1].value = "1:2.3";
	pa[2].key = "serial", pa[2].value = "/dev/null"; /* any read-write device node */
	io[0].ptype = ORG__LFEDGE__EVE__COMMON__PHY_IO_TYPE__PhyIoHDMI, io[0].logicallabel = "gpu0";
	io[0].phyaddrs = pa_pci, io[0].n_phyaddrs = 1;
	io[1].ptype = ORG__LFEDGE__EVE__COMMON__PHY_IO_TYPE__PhyIoUSB, io[1].logicallabel = "usb-cam";
	io[1].phylabel = "USB1", io[1].phyaddrs = pa_usb, io[1].n_phyaddrs = 1;
	io[2].ptype = ORG__LFEDGE__EVE__COMMON__PHY_IO_TYPE__PhyIoCOM, io[2].logicallabel = "com1";
	io[2].phyaddrs = pa_com, io[2].n_phyaddrs = 1;
	cfg.deviceiolist = iol, cfg.n_deviceiolist = 3;
	ad[0].name = "gpu0", ad[1].name = "USB1", ad[2].name = "com1"; /* USB1: by physical label */
	ac.adapters = adl, ac.n_adapters = 3;

	assert_int_equal(rt_io_resolve(&cfg, &ac, sysfs, h, RT_IO_MAX, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 3);
	assert_int_equal(h[0].kind, HV_HOSTDEV_PCI);
	assert_int_equal(h[0].bus, 2);
	assert_int_equal(h[1].kind, HV_HOSTDEV_USB);
	assert_int_equal(h[1].bus, 1);
	assert_int_equal(h[1].slot, 7); /* the device number, from the port path */
	assert_int_equal(h[2].kind, HV_HOSTDEV_SERIAL);
	assert_string_equal(h[2].path, "/dev/null");

	/* refusals, each with its reason */
	ad[0].name = "nope";
	assert_int_equal(rt_io_resolve(&cfg, &ac, sysfs, h, RT_IO_MAX, &n, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "adapter nope is not in the device's I/O model"));
	ad[0].name = "gpu0";
	pa[0].value = "0000:03:00.0";
	assert_int_equal(rt_io_resolve(&cfg, &ac, sysfs, h, RT_IO_MAX, &n, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "PCI device 0000:03:00.0 is not present"));
	pa[0].value = "0000:02:00.0";
	pa[1].value = "1:4";
	assert_int_equal(rt_io_resolve(&cfg, &ac, sysfs, h, RT_IO_MAX, &n, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "USB device at 1:4 is not plugged in"));
	pa[1].value = "1:2.3";
	pa[2].value = "/dev/anyapp-absent-tty";
	assert_int_equal(rt_io_resolve(&cfg, &ac, sysfs, h, RT_IO_MAX, &n, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "is not present"));
	pa[2].value = "/dev/null";
	io[0].n_phyaddrs = 0;
	assert_int_equal(rt_io_resolve(&cfg, &ac, sysfs, h, RT_IO_MAX, &n, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no PCI, USB or serial address"));

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", sysfs);
	assert_int_equal(system(cmd), 0);
}

static void test_usb_policy(void **st)
{
	char sysfs[] = "/tmp/anyapp-usb.XXXXXX", cmd[600], path[600];
	PhyAddr pa[2] = {ORG__LFEDGE__EVE__CONFIG__PHYSICAL_IO__PHYADDRS_ENTRY__INIT,
			 ORG__LFEDGE__EVE__CONFIG__PHYSICAL_IO__PHYADDRS_ENTRY__INIT};
	PhyAddr *p0[] = {&pa[0]}, *p1[] = {&pa[1]};
	PhysicalIO io[2] = {ORG__LFEDGE__EVE__CONFIG__PHYSICAL_IO__INIT,
			    ORG__LFEDGE__EVE__CONFIG__PHYSICAL_IO__INIT};
	PhysicalIO *iol[] = {&io[0], &io[1]};
	Org__Lfedge__Eve__Config__EdgeDevConfig cfg = ORG__LFEDGE__EVE__CONFIG__EDGE_DEV_CONFIG__INIT;
	FILE *f;
	char v[8];

	assert_non_null(mkdtemp(sysfs));
	put(sysfs, "bus/usb/devices/1-2/authorized", "1\n");
	put(sysfs, "bus/usb/devices/1-3.1/authorized", "0\n");
	pa[0].key = "usbaddr", pa[0].value = "1:2";
	pa[1].key = "usbaddr", pa[1].value = "1:3.1";
	io[0].usage = ORG__LFEDGE__EVE__COMMON__PHY_IO_MEMBER_USAGE__PhyIoUsageDisabled;
	io[0].phyaddrs = p0, io[0].n_phyaddrs = 1;
	io[1].usage = ORG__LFEDGE__EVE__COMMON__PHY_IO_MEMBER_USAGE__PhyIoUsageDedicated;
	io[1].phyaddrs = p1, io[1].n_phyaddrs = 1;
	cfg.deviceiolist = iol, cfg.n_deviceiolist = 2;

	assert_int_equal(rt_io_usb_policy(&cfg, sysfs), 0);
	snprintf(path, sizeof(path), "%s/bus/usb/devices/1-2/authorized", sysfs);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(v, sizeof(v), f));
	fclose(f);
	assert_int_equal(v[0], '0'); /* disabled: blocked */
	snprintf(path, sizeof(path), "%s/bus/usb/devices/1-3.1/authorized", sysfs);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(v, sizeof(v), f));
	fclose(f);
	assert_int_equal(v[0], '1'); /* for an app: authorized again */
	pa[1].value = "2:9";         /* not plugged in: skipped, not a failure */
	assert_int_equal(rt_io_usb_policy(&cfg, sysfs), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", sysfs);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest t[] = {
	    cmocka_unit_test(test_bios_default), cmocka_unit_test(test_uefi),
	    cmocka_unit_test(test_pinning),      cmocka_unit_test(test_unikernel),
	    cmocka_unit_test(test_hostdevs),     cmocka_unit_test(test_io_resolve),
	    cmocka_unit_test(test_usb_policy),
	};
	return cmocka_run_group_tests(t, NULL, NULL);
}
