// SPDX-License-Identifier: Apache-2.0
/* Device info (ZInfoDevice) gathered from uname, sysinfo, statvfs,
 * getifaddrs and /sys: architecture, CPUs, memory, storage, hostname, boot
 * time, software partitions and network interfaces with addresses. */
#ifndef EVE_REPORT_INFO_H
#define EVE_REPORT_INFO_H

#include <stddef.h>
#include <stdint.h>

#include "info/info.pb-c.h"

#define REPORT_MAX_SW 2
/* configItemStatus key of a refused (older) EdgeDevConfig version */
#define REPORT_ROLLBACK_KEY "EdgeDevConfig.id.version"

struct report_sw {
	char label[8];  /* "IMGA" */
	char state[16]; /* "active", "inactive", "updating", "unused" */
	char version[128];
	char err[256];
	char substatus[160]; /* ZInfoDevSW.subStatusStr, e.g. why it cannot update */
	/* the publisher signature of the partition's image (update.h): sent,
	 * when err is "", as swErr of severity NOTICE (verified) or WARNING
	 * (not verified, used under images.signatures=warn) */
	char signature[256];
	int status; /* BaseOsStatus value */
	int activated;
};

struct report_device {
	const char *dev_uuid;
	const char *state_dir; /* storage is measured here */
	const char *serial;
	uint32_t reboot_counter; /* last honoured DeviceOpsCmd counters */
	uint32_t shutdown_counter;
	uint32_t restart_counter; /* agent starts */
	const char *last_reboot_reason;
	/* A config refused as a rollback (NULL or ""): reported in
	 * configItemStatus under REPORT_ROLLBACK_KEY with that text as error. */
	const char *config_version_error;
	const char *config_version; /* the refused version */
	/* attestation_info: state (AttestationState value, 0 = none reported)
	 * and the last error ("" = none) with the time it first happened */
	int attest_state;
	char attest_err[256];
	int64_t attest_err_time;
	struct report_sw sw[REPORT_MAX_SW];
	size_t n_sw;
	/* The port configurations (netinfo.h); may be NULL. */
	const Org__Lfedge__Eve__Info__SystemAdapterInfo *system_adapter;
	/* The config items as applied (settings_status); may be NULL. */
	const Org__Lfedge__Eve__Info__ZInfoConfigItemStatus *config_items;
};

/* Packed ZInfoMsg (ztype ZiDevice) for d; *out caller-freed. digest (may
 * be NULL) receives SHA-256 of the ZInfoDevice part, which does not change
 * with time alone, so callers can report "on change". */
int report_info_device(const struct report_device *d, uint8_t **out, size_t *len, uint8_t digest[32]);

#endif
