// SPDX-License-Identifier: Apache-2.0
/* An app instance's generation: the UUIDandVersion.version string the
 * controller puts in its AppInstanceConfig and the device echoes back in
 * ZInfoApp.appVersion. It changes with every spec change (apps.version), a
 * restart or purge (their counters) and start/stop (activate), so a report
 * carrying it is known to describe the instance after that change. */
#ifndef CTL_APPGEN_H
#define CTL_APPGEN_H

/* SQL expression over the aliases A (apps) and I (app_instances). Its
 * first number is the revision the instance runs: the app's, or the one a
 * rollout pinned it to (rollouts.h). */
#define APPGEN_SQL(A, I)                                                                                     \
	"(coalesce(" I ".pin_version, " A ".version) || '.' || " I ".restart_counter || '.' || " I           \
	".purge_counter || '.' || " A ".activate)"

#endif
