// SPDX-License-Identifier: Apache-2.0
/* The request patterns of the scenarios, as driver callbacks:
 * - onboard: each device register -> uuid -> first config (state machine);
 * - poll: closed loop of config polls with the current hash (304 path);
 * - fleet: open loop at EVE's default intervals (config 60 s, metrics 60 s,
 *   info 600 s, each x U(0.9, 1.1)), divided by sh->compress; with
 *   sh->fanout_only_config only config polls, and a device that receives a
 *   new hash after sh->fanout_t0 counts as reached;
 * - ingest: closed loop of metrics and log bundles;
 * - reports: fleet's open loop with log bundles too (at the metrics
 *   interval); a report that is not acknowledged (no answer, an error
 *   status) is sent again after EVE_RESEND_S, as an agent's queue does,
 *   also after sh->end_ns, when no new report leaves. */
#ifndef DEVSIM_PHASES_H
#define DEVSIM_PHASES_H

#include "worker.h"

extern const struct phase phase_onboard;
extern const struct phase phase_poll;
extern const struct phase phase_fleet;
extern const struct phase phase_ingest;
extern const struct phase phase_reports;

/* EVE's default intervals in seconds. */
#define EVE_CONFIG_INTERVAL_S 60.0
#define EVE_METRICS_INTERVAL_S 60.0
#define EVE_INFO_INTERVAL_S 600.0
/* reports: a failed report is sent again after this many seconds */
#define EVE_RESEND_S 0.5

#endif
