// SPDX-License-Identifier: Apache-2.0
/* I/O adapters of the device (rt_io.h). */
#include "rt_io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"

typedef Org__Lfedge__Eve__Config__PhysicalIO PhysicalIO;

static const char *phyaddr(const PhysicalIO *io, const char *key)
{
	size_t i;

	for (i = 0; i < io->n_phyaddrs; i++)
		if (io->phyaddrs[i]->key && !strcmp(io->phyaddrs[i]->key, key) && io->phyaddrs[i]->value &&
		    io->phyaddrs[i]->value[0])
			return io->phyaddrs[i]->value;
	return NULL;
}

/* EVE looks an adapter up by logical label, then physical label. */
static const PhysicalIO *find_io(const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->n_deviceiolist; i++)
		if (cfg->deviceiolist[i]->logicallabel && !strcmp(cfg->deviceiolist[i]->logicallabel, name))
			return cfg->deviceiolist[i];
	for (i = 0; i < cfg->n_deviceiolist; i++)
		if (cfg->deviceiolist[i]->phylabel && !strcmp(cfg->deviceiolist[i]->phylabel, name))
			return cfg->deviceiolist[i];
	return NULL;
}

/* A small decimal from a sysfs file. */
static int sysfs_uint(const char *path, unsigned *out)
{
	uint8_t *d = NULL;
	size_t len = 0;
	char *end;
	unsigned long v;

	if (fileio_read(path, 64, &d, &len) < 0)
		return -ENOENT;
	v = strtoul((char *)d, &end, 10);
	if (end == (char *)d || v > 0xffff) {
		free(d);
		return -EINVAL;
	}
	free(d);
	*out = (unsigned)v;
	return 0;
}

static int pci_dev(const char *sysfs, const char *pcilong, struct hv_hostdev *h, char *err, size_t errlen)
{
	char path[512], tail;

	if (sscanf(pcilong, "%4x:%2x:%2x.%1x%c", &h->domain, &h->bus, &h->slot, &h->function, &tail) != 4) {
		snprintf(err, errlen, "PCI address %s is not DDDD:BB:SS.F", pcilong);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", sysfs, pcilong);
	if (access(path, F_OK) != 0) {
		snprintf(err, errlen, "PCI device %s is not present on this device", pcilong);
		return -ENOENT;
	}
	h->kind = HV_HOSTDEV_PCI;
	return 0;
}

/* EVE's usbaddr "BUS:PORT[.PORT...]" is the port path; libvirt wants the
 * current device number, read from sysfs (<bus>-<ports>/devnum). */
static int usb_dev(const char *sysfs, const char *usbaddr, struct hv_hostdev *h, char *err, size_t errlen)
{
	char path[512], name[64];
	const char *colon = strchr(usbaddr, ':');

	if (!colon || colon == usbaddr || !colon[1] || strlen(usbaddr) >= sizeof(name) ||
	    strspn(usbaddr, "0123456789:.") != strlen(usbaddr)) {
		snprintf(err, errlen, "USB address %s is not BUS:PORT[.PORT]", usbaddr);
		return -EINVAL;
	}
	snprintf(name, sizeof(name), "%.*s-%s", (int)(colon - usbaddr), usbaddr, colon + 1);
	snprintf(path, sizeof(path), "%s/bus/usb/devices/%s/busnum", sysfs, name);
	if (sysfs_uint(path, &h->bus) < 0) {
		snprintf(err, errlen, "USB device at %s is not plugged in", usbaddr);
		return -ENOENT;
	}
	snprintf(path, sizeof(path), "%s/bus/usb/devices/%s/devnum", sysfs, name);
	if (sysfs_uint(path, &h->slot) < 0) {
		snprintf(err, errlen, "USB device at %s has no device number", usbaddr);
		return -ENOENT;
	}
	h->kind = HV_HOSTDEV_USB;
	return 0;
}

static int one(const char *sysfs, const Org__Lfedge__Eve__Config__Adapter *ad, const PhysicalIO *io,
	       struct hv_hostdev *h, char *err, size_t errlen)
{
	const char *serial = phyaddr(io, "serial"), *pci = phyaddr(io, "pcilong"),
		   *usb = phyaddr(io, "usbaddr");

	memset(h, 0, sizeof(*h));
	if (io->ptype == ORG__LFEDGE__EVE__COMMON__PHY_IO_TYPE__PhyIoCOM) {
		if (!serial || strncmp(serial, "/dev/", 5) != 0) {
			snprintf(err, errlen, "COM adapter %s has no serial device", ad->name);
			return -EINVAL;
		}
		if (access(serial, R_OK | W_OK) != 0) {
			snprintf(err, errlen, "COM adapter %s: %s is not present", ad->name, serial);
			return -ENOENT;
		}
		h->kind = HV_HOSTDEV_SERIAL;
		h->path = serial;
		return 0;
	}
	if (pci)
		return pci_dev(sysfs, pci, h, err, errlen);
	if (usb)
		return usb_dev(sysfs, usb, h, err, errlen);
	snprintf(err, errlen, "adapter %s has no PCI, USB or serial address to pass through", ad->name);
	return -EINVAL;
}

int rt_io_resolve(const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg,
		  const Org__Lfedge__Eve__Config__AppInstanceConfig *ac, const char *sysfs,
		  struct hv_hostdev *out, size_t max, size_t *n, char *err, size_t errlen)
{
	char why[256];
	size_t i;
	int r;

	*n = 0;
	for (i = 0; i < ac->n_adapters; i++) {
		const Org__Lfedge__Eve__Config__Adapter *ad = ac->adapters[i];
		const PhysicalIO *io = ad->name ? find_io(cfg, ad->name) : NULL;

		if (!io) {
			snprintf(err, errlen, "adapter %s is not in the device's I/O model (deviceIoList)",
				 ad->name ? ad->name : "");
			return -ENOENT;
		}
		if (*n == max) {
			snprintf(err, errlen, "more than %zu adapters", max);
			return -EINVAL;
		}
		r = one(sysfs, ad, io, &out[*n], why, sizeof(why));
		if (r < 0) {
			snprintf(err, errlen, "%s", why);
			return r;
		}
		(*n)++;
	}
	return 0;
}

/* A sysfs attribute is written in place (no temp file + rename there). */
static int sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW), r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		r = -EIO;
	if (close(fd) < 0 && r == 0)
		r = -EIO;
	return r;
}

int rt_io_usb_policy(const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg, const char *sysfs)
{
	int failed = 0;
	size_t i;

	for (i = 0; cfg && i < cfg->n_deviceiolist; i++) {
		const PhysicalIO *io = cfg->deviceiolist[i];
		const char *usb = phyaddr(io, "usbaddr"), *colon = usb ? strchr(usb, ':') : NULL;
		const char *want =
		    io->usage == ORG__LFEDGE__EVE__COMMON__PHY_IO_MEMBER_USAGE__PhyIoUsageDisabled ? "0"
												   : "1";
		char path[512];
		unsigned cur;

		if (!colon || colon == usb || strspn(usb, "0123456789:.") != strlen(usb) || strlen(usb) > 40)
			continue;
		snprintf(path, sizeof(path), "%s/bus/usb/devices/%.*s-%s/authorized", sysfs,
			 (int)(colon - usb), usb, colon + 1);
		if (sysfs_uint(path, &cur) < 0)
			continue; /* not plugged in */
		if ((cur != 0) == (want[0] == '1'))
			continue;
		if (sysfs_write(path, want) < 0)
			failed++;
	}
	return failed;
}
