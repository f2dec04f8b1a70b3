/* The device's I/O adapters from sysfs (hostio.h). */
#include "hostio.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"

/* PhyIoType numbers (org.lfedge.eve.common) */
enum {
	PT_USB_DEVICE = 14,
	PT_USB_CONTROLLER = 13,
	PT_COM = 3,
	PT_HDMI = 7,
	PT_NVME = 9,
	PT_SATA = 10,
};

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted entry names of dir (caller frees each and the array). */
static char **list_dir(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;

	*n = 0;
	if (!d)
		return NULL;
	while ((e = readdir(d)) && *n < 4096) {
		char **nv;

		if (e->d_name[0] == '.')
			continue;
		nv = realloc(v, (*n + 1) * sizeof(char *));
		if (!nv)
			break;
		v = nv;
		v[*n] = strdup(e->d_name);
		if (v[*n])
			(*n)++;
	}
	closedir(d);
	if (*n > 1)
		qsort(v, *n, sizeof(char *), cmp_name);
	return v;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static long read_hex(const char *path)
{
	uint8_t *d = NULL;
	size_t len = 0;
	long v = -1;

	if (fileio_read(path, 64, &d, &len) == 0 && len)
		v = strtol((char *)d, NULL, 16);
	free(d);
	return v;
}

static long read_dec(const char *path)
{
	uint8_t *d = NULL;
	size_t len = 0;
	long v = -1;

	if (fileio_read(path, 64, &d, &len) == 0 && len)
		v = strtol((char *)d, NULL, 10);
	free(d);
	return v;
}

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
	v = list_dir(dir, &k);
	for (i = 0; i < k; i++) {
		long cls;
		int pt = -1;
		const char *what = NULL;

		snprintf(path, sizeof(path), "%s/%s/class", dir, v[i]);
		cls = read_hex(path);
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
	free_list(v, k);
}

/* USB devices (not hubs, not interfaces): "<bus>-<port>[.<port>...]". */
static void scan_usb(const char *sysfs, struct hostio_adapter *out, size_t max, size_t *n)
{
	char dir[512], path[1024], addr[64], name[32];
	size_t k, i;
	char **v;

	snprintf(dir, sizeof(dir), "%s/bus/usb/devices", sysfs);
	v = list_dir(dir, &k);
	for (i = 0; i < k; i++) {
		char *dash = strchr(v[i], '-');

		if (!dash || strchr(v[i], ':') || strlen(v[i]) >= 40)
			continue;
		snprintf(path, sizeof(path), "%s/%s/bDeviceClass", dir, v[i]);
		if (read_hex(path) == 0x09) /* hub */
			continue;
		snprintf(addr, sizeof(addr), "%.*s:%s", (int)(dash - v[i]), v[i], dash + 1);
		snprintf(name, sizeof(name), "USB %.27s", addr);
		add(out, max, n, PT_USB_DEVICE, name, addr);
	}
	free_list(v, k);
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
	v = list_dir(dir, &k);
	for (i = 0; i < k; i++) {
		bool uart = !strncmp(v[i], "ttyS", 4),
		     usb = !strncmp(v[i], "ttyUSB", 6) || !strncmp(v[i], "ttyACM", 6);

		if (!uart && !usb)
			continue;
		if (uart) {
			snprintf(path, sizeof(path), "%s/%s/type", dir, v[i]);
			if (read_dec(path) <= 0)
				continue; /* no UART at that port */
			snprintf(name, sizeof(name), "COM%ld", strtol(v[i] + 4, NULL, 10) + 1);
		} else {
			snprintf(name, sizeof(name), "%.31s", v[i]);
		}
		snprintf(dev, sizeof(dev), "%s/%.40s", devdir, v[i]);
		add(out, max, n, PT_COM, name, dev);
	}
	free_list(v, k);
}

int hostio_scan(const char *sysfs, const char *devdir, struct hostio_adapter *out, size_t max, size_t *n)
{
	*n = 0;
	scan_pci(sysfs, out, max, n);
	scan_usb(sysfs, out, max, n);
	scan_serial(sysfs, devdir, out, max, n);
	return 0;
}
