// SPDX-License-Identifier: Apache-2.0
/* The device's I/O adapters from sysfs (hostio.h). */
#include "hostio.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sysfsread.h"

/* PhyIoType numbers (org.lfedge.eve.common) */
enum {
	PT_USB_DEVICE = 14,
	PT_USB_CONTROLLER = 13,
	PT_COM = 3,
	PT_HDMI = 7,
	PT_NVME = 9,
	PT_SATA = 10,
};

static void add(struct hostio_adapter *out, size_t max, size_t *n, int ptype, const char *name,
		const char *member)
{
	if (*n >= max)
		return;
	out[*n].ptype = ptype;
	snprintf(out[*n].name, sizeof(out[*n].name), "%s", name);
	snprintf(out[*n].member, sizeof(out[*n].member), "%s", member);
	(*n)++;
}

/* PCI functions worth giving to an app: display (GPU), USB and storage
 * controllers. Network functions are ports (ZInfoNetwork), bridges stay. */
static void scan_pci(const char *sysfs, struct hostio_adapter *out, size_t max, size_t *n)
{
	char dir[512], path[1024], name[32];
	size_t k, i;
	char **v;

	snprintf(dir, sizeof(dir), "%s/bus/pci/devices", sysfs);
	v = sysfs_list(dir, &k);
	for (i = 0; i < k; i++) {
		long cls;
		int pt = -1;
		const char *what = NULL;

		snprintf(path, sizeof(path), "%s/%s/class", dir, v[i]);
		cls = sysfs_hex(path);
		if (cls < 0)
			continue;
		if ((cls >> 16) == 0x03)
			pt = PT_HDMI, what = "GPU";
		else if ((cls >> 8) == 0x0c03)
			pt = PT_USB_CONTROLLER, what = "USBCTL";
		else if ((cls >> 8) == 0x0108)
			pt = PT_NVME, what = "NVME";
		else if ((cls >> 8) == 0x0106)
			pt = PT_SATA, what = "SATA";
		if (pt < 0)
			continue;
		snprintf(name, sizeof(name), "%s %.20s", what, v[i]);
		add(out, max, n, pt, name, v[i]);
	}
	sysfs_list_free(v, k);
}

/* USB devices (not hubs, not interfaces): "<bus>-<port>[.<port>...]". */
static void scan_usb(const char *sysfs, struct hostio_adapter *out, size_t max, size_t *n)
{
	char dir[512], path[1024], addr[64], name[32];
	size_t k, i;
	char **v;

	snprintf(dir, sizeof(dir), "%s/bus/usb/devices", sysfs);
	v = sysfs_list(dir, &k);
	for (i = 0; i < k; i++) {
		char *dash = strchr(v[i], '-');

		if (!dash || strchr(v[i], ':') || strlen(v[i]) >= 40)
			continue;
		snprintf(path, sizeof(path), "%s/%s/bDeviceClass", dir, v[i]);
		if (sysfs_hex(path) == 0x09) /* hub */
			continue;
		snprintf(addr, sizeof(addr), "%.*s:%s", (int)(dash - v[i]), v[i], dash + 1);
		snprintf(name, sizeof(name), "USB %.27s", addr);
		add(out, max, n, PT_USB_DEVICE, name, addr);
	}
	sysfs_list_free(v, k);
}

/* Serial ports with a UART behind them (8250 "type" non-zero) and USB
 * serial adapters (ttyUSB*, ttyACM*). */
static void scan_serial(const char *sysfs, const char *devdir, struct hostio_adapter *out, size_t max,
			size_t *n)
{
	char dir[512], path[1024], dev[64], name[32];
	size_t k, i;
	char **v;

	snprintf(dir, sizeof(dir), "%s/class/tty", sysfs);
	v = sysfs_list(dir, &k);
	for (i = 0; i < k; i++) {
		bool uart = !strncmp(v[i], "ttyS", 4),
		     usb = !strncmp(v[i], "ttyUSB", 6) || !strncmp(v[i], "ttyACM", 6);

		if (!uart && !usb)
			continue;
		if (uart) {
			snprintf(path, sizeof(path), "%s/%s/type", dir, v[i]);
			if (sysfs_dec(path) <= 0)
				continue; /* no UART at that port */
			snprintf(name, sizeof(name), "COM%ld", strtol(v[i] + 4, NULL, 10) + 1);
		} else {
			snprintf(name, sizeof(name), "%.31s", v[i]);
		}
		snprintf(dev, sizeof(dev), "%s/%.40s", devdir, v[i]);
		add(out, max, n, PT_COM, name, dev);
	}
	sysfs_list_free(v, k);
}

int hostio_scan(const char *sysfs, const char *devdir, struct hostio_adapter *out, size_t max, size_t *n)
{
	*n = 0;
	scan_pci(sysfs, out, max, n);
	scan_usb(sysfs, out, max, n);
	scan_serial(sysfs, devdir, out, max, n);
	return 0;
}
