// SPDX-License-Identifier: Apache-2.0
/* Device reports: info (latest per object + history), metrics, logs and flow
 * logs, stored with retention; and the admin API that reads them. */
#ifndef CTL_REPORTS_H
#define CTL_REPORTS_H

#include <jansson.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* info rows of this type hold a ZHardwareHealth, not a ZInfoMsg */
#define REPORTS_HWHEALTH "hardwarehealth"

struct ctl;
struct db;

/* Store one ZInfoMsg (packed bytes, already verified) of device uuid. */
int reports_store_info(struct ctl *c, const char *uuid, const uint8_t *msg, size_t len);
int reports_store_metrics(struct ctl *c, const char *uuid, const uint8_t *msg, size_t len);
/* LogBundle (protobuf). */
int reports_store_logbundle(struct ctl *c, const char *uuid, const uint8_t *msg, size_t len);
/* gzip of newline-separated JSON LogEntry; app may be NULL, else an app
 * instance deployed to device uuid (-EPERM otherwise: nothing stored).
 * Device timestamps out of range are stored as the receive time and noted
 * through c->log_device (every store function). */
int reports_store_newlogs(struct ctl *c, const char *uuid, const char *app, const uint8_t *gz, size_t len);
int reports_store_flowlog(struct ctl *c, const char *uuid, const uint8_t *msg, size_t len);
/* A ZHardwareHealth report, kept like info (type "hardwarehealth"). */
int reports_store_hardwarehealth(struct ctl *c, const char *uuid, const uint8_t *msg, size_t len);
/* Apply retention (age and count) to every device. */
void reports_retention(struct ctl *c);

#endif
