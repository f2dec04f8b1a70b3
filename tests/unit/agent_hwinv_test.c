// SPDX-License-Identifier: Apache-2.0
/* The device's hardware inventory (device/hwinv.c): on a made-up procfs
 * and sysfs tree (two sockets, two cores each, two threads per core; a PCI
 * GPU and a USB device behind its controller; a UART; a disk, a removable
 * one and a loop device), then on this machine's own /proc and /sys. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hwinv.h"
#include "info/info.pb-c.h"
#include "test_tmpdir.h"

static char root[512];

static void mkdirs(const char *path)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s", path);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			(void)mkdir(p, 0755);
			*s = '/';
		}
	(void)mkdir(p, 0755);
}

static void put(const char *rel, const char *text)
{
	char path[PATH_MAX], dir[PATH_MAX + 8];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	mkdirs(dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void link_to(const char *rel, const char *target)
{
	char path[PATH_MAX], dir[PATH_MAX + 8];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	mkdirs(dir);
	assert_int_equal(symlink(target, path), 0);
}

static const char *misc(const Org__Lfedge__Eve__Info__HardwareInventory *inv, const char *key)
{
	for (size_t i = 0; i < inv->n_misc; i++)
		if (!strcmp(inv->misc[i]->key, key))
			return inv->misc[i]->value;
	return NULL;
}

static Org__Lfedge__Eve__Info__ZInfoMsg *inventory(const struct hwinv_src *s, uint8_t digest[32])
{
	uint8_t *data = NULL;
	size_t len = 0;
	Org__Lfedge__Eve__Info__ZInfoMsg *m;

	assert_int_equal(hwinv_info(s, "dev-1", &data, &len, digest), 0);
	m = org__lfedge__eve__info__zinfo_msg__unpack(NULL, len, data);
	free(data);
	assert_non_null(m);
	assert_int_equal(m->ztype, ORG__LFEDGE__EVE__INFO__ZINFO_TYPES__ZiHardware);
	assert_int_equal(m->info_content_case, ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_HWINFO);
	assert_string_equal(m->devid, "dev-1");
	return m;
}

static void make_tree(void)
{
	char cpuinfo[4096] = "", rel[128];
	size_t off = 0;

	for (int c = 0; c < 8; c++) {
		snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%d/topology/physical_package_id", c);
		put(rel, c < 4 ? "0\n" : "1\n");
		snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%d/topology/core_id", c);
		put(rel, (c / 2) % 2 ? "1\n" : "0\n");
		off += (size_t)snprintf(
		    cpuinfo + off, sizeof(cpuinfo) - off,
		    "processor\t: %d\nvendor_id\t: GenuineTest\nmodel name\t: Test CPU %d00\n"
		    "cpu MHz\t\t: 2400.000\n\n",
		    c, c);
	}
	put("sys/devices/system/cpu/cpu3/cpufreq/base_frequency", "3000000\n"); /* kHz */
	put("sys/devices/system/cpu/online", "0-7\n");
	put("proc/cpuinfo", cpuinfo);
	put("proc/meminfo", "MemTotal:        2048000 kB\nMemFree: 1 kB\n");
	put("proc/sys/kernel/osrelease", "6.1.0-test\n");
	put("proc/cmdline", "console=ttyS0 quiet\n");
	/* PCI: a GPU on the root bus, an xHCI with a USB device behind it */
	put("sys/devices/pci0000:00/0000:00:02.0/vendor", "0x8086\n");
	put("sys/devices/pci0000:00/0000:00:02.0/device", "0x1234\n");
	put("sys/devices/pci0000:00/0000:00:02.0/class", "0x030000\n");
	put("sys/devices/pci0000:00/0000:00:02.0/revision", "0x02\n");
	link_to("sys/devices/pci0000:00/0000:00:02.0/driver", "../../../bus/pci/drivers/i915");
	link_to("sys/devices/pci0000:00/0000:00:02.0/iommu_group", "../../../kernel/iommu_groups/7");
	put("sys/devices/pci0000:00/0000:00:14.0/class", "0x0c0330\n");
	link_to("sys/bus/pci/devices/0000:00:02.0", "../../../devices/pci0000:00/0000:00:02.0");
	link_to("sys/bus/pci/devices/0000:00:14.0", "../../../devices/pci0000:00/0000:00:14.0");
	put("sys/devices/pci0000:00/0000:00:14.0/usb1/1-2/idVendor", "0403\n");
	put("sys/devices/pci0000:00/0000:00:14.0/usb1/1-2/idProduct", "6001\n");
	put("sys/devices/pci0000:00/0000:00:14.0/usb1/1-2/bDeviceClass", "00\n");
	put("sys/devices/pci0000:00/0000:00:14.0/usb1/1-2/bDeviceSubClass", "00\n");
	put("sys/devices/pci0000:00/0000:00:14.0/usb1/1-2/bDeviceProtocol", "00\n");
	link_to("sys/bus/usb/devices/1-2", "../../../devices/pci0000:00/0000:00:14.0/usb1/1-2");
	link_to("sys/bus/usb/devices/usb1", "../../../devices/pci0000:00/0000:00:14.0/usb1");
	/* a UART */
	put("sys/class/tty/ttyS0/type", "4\n");
	put("sys/class/tty/ttyS0/irq", "4\n");
	put("sys/class/tty/ttyS0/port", "0x3F8\n");
	/* disks: one counted, one removable, one loop (no device) */
	put("sys/block/sda/device/model", "disk\n");
	put("sys/block/sda/removable", "0\n");
	put("sys/block/sda/size", "2097152\n"); /* 1 GiB */
	put("sys/block/sdb/device/model", "stick\n");
	put("sys/block/sdb/removable", "1\n");
	put("sys/block/sdb/size", "2097152\n");
	put("sys/block/loop0/removable", "0\n");
	put("sys/block/loop0/size", "2097152\n");
	put("dev/watchdog", "");
	put("sys/class/tpm/tpm0/tpm_version_major", "2\n");
}

static void test_made_up_tree(void **st)
{
	char sys[PATH_MAX], proc[PATH_MAX], dev[PATH_MAX];
	uint8_t d1[32], d2[32];
	(void)st;

	assert_int_equal(test_tmpdir_make(root, sizeof(root), "agent_hwinv"), 0);
	make_tree();
	snprintf(sys, sizeof(sys), "%s/sys", root);
	snprintf(proc, sizeof(proc), "%s/proc", root);
	snprintf(dev, sizeof(dev), "%s/dev", root);
	struct hwinv_src s = {
	    .sysfs = sys, .procfs = proc, .devdir = dev, .release = "1.2.3", .partition = "IMGB"};
	Org__Lfedge__Eve__Info__ZInfoMsg *m = inventory(&s, d1);
	const Org__Lfedge__Eve__Info__ZInfoHardware *h = m->hwinfo;
	const Org__Lfedge__Eve__Info__HardwareInventory *inv = h->inventory;

	assert_string_equal(h->eve_release, "1.2.3");
	assert_string_equal(h->partition, "IMGB");
	assert_string_equal(h->kernel_version, "6.1.0-test");
	assert_string_equal(h->kernel_cmdline, "console=ttyS0 quiet");
	/* CPUs and their topology */
	assert_int_equal(inv->cpu_info->n_cpus, 8);
	assert_int_equal(inv->cpu_info->cpus[5]->id, 5);
	assert_string_equal(inv->cpu_info->cpus[5]->model, "Test CPU 500");
	assert_string_equal(inv->cpu_info->cpus[5]->vendor, "GenuineTest");
	assert_int_equal(inv->cpu_info->cpus[5]->freq, 2400000000ull);
	assert_int_equal(inv->cpu_info->cpus[3]->freq, 3000000000ull); /* sysfs before cpuinfo */
	assert_string_equal(misc(inv, "cpu.threads"), "8");
	assert_string_equal(misc(inv, "cpu.sockets"), "2");
	assert_string_equal(misc(inv, "cpu.cores"), "4");
	assert_string_equal(misc(inv, "cpu.6.socket"), "1");
	assert_string_equal(misc(inv, "cpu.6.core"), "1");
	/* PCI */
	assert_int_equal(inv->n_pci_devices, 2);
	assert_int_equal(inv->pci_devices[0]->address->device, 2);
	assert_int_equal(inv->pci_devices[0]->vendor_id, 0x8086);
	assert_int_equal(inv->pci_devices[0]->device_id, 0x1234);
	assert_int_equal(inv->pci_devices[0]->class_id, 0x030000);
	assert_int_equal(inv->pci_devices[0]->revision, 2);
	assert_string_equal(inv->pci_devices[0]->driver, "i915");
	assert_string_equal(inv->pci_devices[0]->iommu_group, "7");
	assert_null(inv->pci_devices[0]->parent_pci_device_address);
	/* USB: the device (not the root hub) and the controller it hangs off */
	assert_int_equal(inv->n_usb_devices, 1);
	assert_int_equal(inv->usb_devices[0]->vendor_id, 0x0403);
	assert_int_equal(inv->usb_devices[0]->product_id, 0x6001);
	assert_int_equal(inv->usb_devices[0]->bus_port->bus, 1);
	assert_string_equal(inv->usb_devices[0]->bus_port->port, "2");
	assert_non_null(inv->usb_devices[0]->parent);
	assert_non_null(inv->usb_devices[0]->parent->pci_parent);
	assert_int_equal(inv->usb_devices[0]->parent->pci_parent->device, 0x14);
	/* the UART */
	assert_int_equal(inv->n_serial_devices, 1);
	assert_string_equal(inv->serial_devices[0]->ioport_range, "03f8-03ff");
	assert_int_equal(inv->serial_devices[0]->irq, 4);
	/* totals */
	assert_int_equal(inv->total_memory_bytes, 2048000ull * 1024);
	assert_int_equal(inv->total_storage_bytes, 1ull << 30);
	assert_true(inv->watchdog_present);
	assert_true(inv->tpm->present);
	assert_string_equal(inv->tpm->spec_version, "2.0");
	org__lfedge__eve__info__zinfo_msg__free_unpacked(m, NULL);
	/* the digest follows the hardware, not the clock */
	sleep(1);
	m = inventory(&s, d2);
	org__lfedge__eve__info__zinfo_msg__free_unpacked(m, NULL);
	assert_memory_equal(d1, d2, 32);
	put("sys/devices/system/cpu/cpu8/topology/core_id", "0\n");
	m = inventory(&s, d2);
	assert_int_equal(m->hwinfo->inventory->cpu_info->n_cpus, 9);
	org__lfedge__eve__info__zinfo_msg__free_unpacked(m, NULL);
	assert_memory_not_equal(d1, d2, 32);
	assert_int_equal(test_tmpdir_remove(root), 0);
}

/* This machine: every CPU the kernel knows is there. */
static void test_this_machine(void **st)
{
	struct hwinv_src s = {.sysfs = "/sys", .procfs = "/proc", .devdir = "/dev"};
	Org__Lfedge__Eve__Info__ZInfoMsg *m = inventory(&s, NULL);
	(void)st;

	assert_int_equal(m->hwinfo->inventory->cpu_info->n_cpus, sysconf(_SC_NPROCESSORS_CONF));
	assert_true(m->hwinfo->inventory->total_memory_bytes > 0);
	org__lfedge__eve__info__zinfo_msg__free_unpacked(m, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_made_up_tree),
	    cmocka_unit_test(test_this_machine),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
