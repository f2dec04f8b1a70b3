// SPDX-License-Identifier: Apache-2.0
/* I/O adapters of the device (any-app): what an app's AppInstanceConfig
 * adapters name, resolved through the config's deviceIoList (PhysicalIO
 * phyaddrs) to host devices a VM is given (hv_hostdev). Library code:
 * 0 / negative errno with the reason in err. */
#ifndef EVE_RT_IO_H
#define EVE_RT_IO_H

#include <stddef.h>

#include "config/devconfig.pb-c.h"
#include "hv.h"

#define RT_IO_MAX 16 /* adapters per app */

/* Host devices for the adapters of app ac under config cfg into out[max]
 * (*n of them). Strings in out point into cfg. An adapter the model lacks,
 * of a type without a host address (or a kind QEMU cannot take), or whose
 * host device is absent, is -ENOENT / -EINVAL with the reason in err.
 * sysfs is the root of /sys (tests pass another tree). */
int rt_io_resolve(const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg,
		  const Org__Lfedge__Eve__Config__AppInstanceConfig *ac, const char *sysfs,
		  struct hv_hostdev *out, size_t max, size_t *n, char *err, size_t errlen);

/* Block the USB devices the model marks disabled (PhysicalIO usage
 * PhyIoUsageDisabled with a usbaddr): authorized=0 in sysfs, so the host
 * does not bind them; every other USB device of the model is authorized=1.
 * Ports that are not plugged in are skipped. Returns the number of ports
 * whose setting could not be written (0 = all as configured). */
int rt_io_usb_policy(const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg, const char *sysfs);

#endif
