// SPDX-License-Identifier: Apache-2.0
/* The device's I/O adapters from sysfs (device/hostio.c), on a made-up
 * sysfs tree: GPUs, USB and storage controllers, USB devices (no hubs, no
 * interfaces), serial ports with a UART and USB serial adapters. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostio.h"

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

static void test_scan(void **st)
{
	char sysfs[] = "/tmp/anyapp-hostio.XXXXXX", cmd[600];
	struct hostio_adapter a[HOSTIO_MAX];
	size_t n = 0, i;
	static const struct {
		int ptype;
		const char *name, *member;
	} want[] = {
	    {7, "GPU 0000:00:02.0", "0000:00:02.0"},
	    {13, "USBCTL 0000:00:14.0", "0000:00:14.0"},
	    {9, "NVME 0000:01:00.0", "0000:01:00.0"},
	    {14, "USB 1:2", "1:2"},
	    {14, "USB 1:3.1", "1:3.1"},
	    {3, "COM1", "/dev/ttyS0"},
	    {3, "ttyUSB0", "/dev/ttyUSB0"},
	};

	assert_non_null(mkdtemp(sysfs));
	put(sysfs, "bus/pci/devices/0000:00:00.0/class", "0x060000\n"); /* host bridge */
	put(sysfs, "bus/pci/devices/0000:00:02.0/class", "0x030000\n"); /* VGA */
	put(sysfs, "bus/pci/devices/0000:00:03.0/class", "0x020000\n"); /* ethernet: a port */
	put(sysfs, "bus/pci/devices/0000:00:14.0/class", "0x0c0330\n"); /* xHCI */
	put(sysfs, "bus/pci/devices/0000:01:00.0/class", "0x010802\n"); /* NVMe */
	put(sysfs, "bus/usb/devices/usb1/bDeviceClass", "09\n");        /* root hub */
	put(sysfs, "bus/usb/devices/1-1/bDeviceClass", "09\n");         /* hub */
	put(sysfs, "bus/usb/devices/1-2/bDeviceClass", "00\n");
	put(sysfs, "bus/usb/devices/1-2:1.0/bInterfaceClass", "03\n"); /* interface */
	put(sysfs, "bus/usb/devices/1-3.1/bDeviceClass", "ef\n");
	put(sysfs, "class/tty/ttyS0/type", "4\n");
	put(sysfs, "class/tty/ttyS1/type", "0\n"); /* no UART */
	put(sysfs, "class/tty/ttyUSB0/dev", "188:0\n");
	put(sysfs, "class/tty/tty1/dev", "4:1\n");

	assert_int_equal(hostio_scan(sysfs, "/dev", a, HOSTIO_MAX, &n), 0);
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < n; i++) {
		assert_int_equal(a[i].ptype, want[i].ptype);
		assert_string_equal(a[i].name, want[i].name);
		assert_string_equal(a[i].member, want[i].member);
	}
	/* the cap holds */
	assert_int_equal(hostio_scan(sysfs, "/dev", a, 2, &n), 0);
	assert_int_equal(n, 2);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", sysfs);
	assert_int_equal(system(cmd), 0);
	/* no sysfs at all: nothing, no error */
	assert_int_equal(hostio_scan("/nonexistent-sysfs", "/dev", a, HOSTIO_MAX, &n), 0);
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest t[] = {cmocka_unit_test(test_scan)};
	return cmocka_run_group_tests(t, NULL, NULL);
}
