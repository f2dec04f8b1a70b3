// SPDX-License-Identifier: Apache-2.0
/* The device's I/O adapters as the host reports them (any-app): PCI GPUs,
 * USB and storage controllers, USB devices and serial ports, read from
 * sysfs, for ZInfoDevice.assignableAdapters (EVE's ZioBundle). Library
 * code: no logging, 0 / negative errno. */
#ifndef EVE_HOSTIO_H
#define EVE_HOSTIO_H

#include <stddef.h>

#define HOSTIO_MAX 64

struct hostio_adapter {
	int ptype;       /* org.lfedge.eve.common.PhyIoType */
	char name[32];   /* e.g. "GPU 0000:02:00.0", "USB 1:2.3", "COM1" */
	char member[64]; /* its address: pcilong, usbaddr "bus:port", /dev path */
};

/* Scan the sysfs tree at sysfs ("/sys") into out[max]; *n found, in a
 * stable order (PCI, USB, serial; each sorted). devdir is where device
 * nodes live ("/dev"). */
int hostio_scan(const char *sysfs, const char *devdir, struct hostio_adapter *out, size_t max, size_t *n);

#endif
