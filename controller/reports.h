// SPDX-License-Identifier: Apache-2.0
/* Device reports: info (latest per object + history), metrics, logs and flow
 * logs, stored with retention; and the admin API that reads them. */
#ifndef CTL_REPORTS_H
#define CTL_REPORTS_H

#include <jansson.h>
#include "store.h"
#include <stddef.h>
#include <stdint.h>

/* info rows of this type hold a ZHardwareHealth, not a ZInfoMsg */
#define REPORTS_HWHEALTH "hardwarehealth"

struct ctl;
struct store;

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
/* Apply retention (age and count) to every device, on d. */
void reports_retention(struct ctl *c, struct store *d);

/* ---- reads of the stored reports (admin views, fleet export) ---- */

/* One stored report; strings and data are valid during the callback only. */
struct reports_row {
	int64_t id;
	int64_t time;         /* unix seconds */
	const char *type;     /* info: "device", "app", ..., REPORTS_HWHEALTH */
	const char *object;   /* info: the object's id */
	const char *instance; /* flow logs: the app instance ("" none) */
	const void *data;     /* the packed message */
	size_t len;
};
/* Info records of device dev, newest first: id below before, time at or
 * after since, of type (NULL: any), at most limit. A non-zero return of fn
 * stops the walk and is returned. 0 / -EIO (also for each below). */
int reports_each_info(struct store *d, const char *dev, int64_t before, int64_t since, const char *type,
		      int64_t limit, int (*fn)(void *ctx, const struct reports_row *row), void *ctx);
/* Metrics records of device dev, the same way. */
int reports_each_metrics(struct store *d, const char *dev, int64_t before, int64_t since, int64_t limit,
			 int (*fn)(void *ctx, const struct reports_row *row), void *ctx);
/* Flow log reports kept under the instances (JSON text [[instance id,
 * device id], ...]: apps_store_instances_json): the newest limit ones,
 * newest first, when after < 0; else those with an id above after, oldest
 * first. */
int reports_each_flow_of(struct store *d, const char *instances, int64_t after, int64_t limit,
			 int (*fn)(void *ctx, const struct reports_row *row), void *ctx);

#endif
