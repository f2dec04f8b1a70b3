// SPDX-License-Identifier: Apache-2.0
/* Reboot / shutdown backends. */
#include "devops.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/reboot.h>

const char *devops_op_name(enum devops_op op)
{
	return op == DEVOPS_REBOOT ? "reboot" : "shutdown";
}

static int real_execute(const char *arg, enum devops_op op, const char *reason)
{
	sync();
	if (reboot(op == DEVOPS_REBOOT ? RB_AUTOBOOT : RB_POWER_OFF) < 0)
		return -errno;
	return 0;
}

static int record_execute(const char *arg, enum devops_op op, const char *reason)
{
	char line[256];
	int fd, n, r = 0;

	n = snprintf(line, sizeof(line), "%s %s\n", devops_op_name(op), reason ? reason : "");
	if (n >= (int)sizeof(line))
		n = sizeof(line) - 1;
	fd = open(arg, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, line, (size_t)n) != n || fsync(fd) < 0)
		r = -EIO;
	close(fd);
	return r;
}

const struct devops_ops devops_real = {.name = "real", .execute = real_execute};
const struct devops_ops devops_record = {.name = "record", .execute = record_execute};

void devops_init(struct devops *d, const char *record_path)
{
	d->ops = record_path ? &devops_record : &devops_real;
	d->arg = record_path;
}

int devops_execute(const struct devops *d, enum devops_op op, const char *reason)
{
	return d->ops->execute(d->arg, op, reason);
}
