// SPDX-License-Identifier: Apache-2.0
/* The device's hardware inventory (EVE's ZInfoHardware, sent as a ZInfoMsg
 * of ztype ZiHardware): every logical CPU with its model, vendor,
 * frequency and place in the topology (socket, core), PCI functions, USB
 * devices, serial ports, memory, storage, watchdog, TPM and the kernel,
 * read from procfs and sysfs. Library code: no logging. */
#ifndef EVE_HWINV_H
#define EVE_HWINV_H

#include <stddef.h>
#include <stdint.h>

struct hwinv_src {
	const char *sysfs;     /* "/sys" */
	const char *procfs;    /* "/proc" */
	const char *devdir;    /* "/dev" */
	const char *release;   /* ZInfoHardware.eve_release: the agent's version */
	const char *partition; /* running partition ("IMGA"), may be NULL */
};

/* Packed ZInfoMsg (ztype ZiHardware, devId dev_uuid) into *out (caller
 * frees). digest (may be NULL) receives SHA-256 of the ZInfoHardware part:
 * it changes when the hardware does, not with time. */
int hwinv_info(const struct hwinv_src *s, const char *dev_uuid, uint8_t **out, size_t *len,
	       uint8_t digest[32]);

#endif
