/* Device operations the controller may ask for (reboot, shutdown), behind a
 * seam: the real backend calls reboot(2); the record backend (tests, or a
 * supervisor that reboots for us) appends the request to a file. */
#ifndef EVE_DEVOPS_H
#define EVE_DEVOPS_H

enum devops_op {
	DEVOPS_REBOOT,
	DEVOPS_SHUTDOWN,
};

struct devops_ops {
	const char *name;
	int (*execute)(const char *arg, enum devops_op op, const char *reason);
};

extern const struct devops_ops devops_real;
/* arg: path of the file requests are appended to ("reboot <reason>\n"). */
extern const struct devops_ops devops_record;

const char *devops_op_name(enum devops_op op);

#endif
