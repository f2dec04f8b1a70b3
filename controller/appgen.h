/* An app instance's generation: the UUIDandVersion.version string the
 * controller puts in its AppInstanceConfig and the device echoes back in
 * ZInfoApp.appVersion. It changes with every spec change (apps.version), a
 * restart or purge (their counters) and start/stop (activate), so a report
 * carrying it is known to describe the instance after that change. */
#ifndef CTL_APPGEN_H
#define CTL_APPGEN_H

/* SQL expression over the aliases A (apps) and I (app_instances). */
#define APPGEN_SQL(A, I)                                                                                     \
	"(" A ".version || '.' || " I ".restart_counter || '.' || " I ".purge_counter || '.' || " A          \
	".activate)"

#endif
