// SPDX-License-Identifier: Apache-2.0
/* /metrics/fleet: the latest telemetry of every device (CPU, memory, disk,
 * network per interface) and app instance (state, CPU, memory), as
 * Prometheus series labelled only by device name, app name and project
 * (the device's "project" label), so cardinality is bounded by the fleet,
 * not by time or ids. Read from SQLite at scrape time. */
#ifndef CTL_FLEETEXP_H
#define CTL_FLEETEXP_H

#include "buf.h"

struct ctl;

/* Append the exposition to out. 0 or a negative errno. */
int fleetexp_write(struct ctl *c, struct buf *out);

#endif
