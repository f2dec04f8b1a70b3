// SPDX-License-Identifier: Apache-2.0
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

/* A backend with its argument: what the agent holds and calls. */
struct devops {
	const struct devops_ops *ops;
	const char *arg; /* the backend's argument (borrowed), NULL for none */
};

/* The record backend on path when path is set, else the real one. */
void devops_init(struct devops *d, const char *record_path);
/* Ask the backend for op; 0 or a negative errno. */
int devops_execute(const struct devops *d, enum devops_op op, const char *reason);

const char *devops_op_name(enum devops_op op);

#endif
