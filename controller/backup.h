// SPDX-License-Identifier: Apache-2.0
/* Backup and restore of a controller directory (`eve-controller backup`,
 * `eve-controller restore`). */
#ifndef CTL_BACKUP_H
#define CTL_BACKUP_H

#include <stddef.h>

/* Copy the controller directory DIR, live or stopped, into the new
 * directory OUT: the database through SQLite's online backup API (a
 * consistent snapshot while the controller writes), certificates and keys
 * (modes kept), settings, the admin token, device-config/ and uploaded
 * images; a MANIFEST lists the sha256 of each file and the schema version.
 * OUT appears whole or not at all. 0 or -errno, with a message in err. */
int backup_run(const char *dir, const char *out, char *err, size_t errlen);

/* Restore the backup BACKUP into DIR, which must not exist or be empty:
 * every file is checked against the MANIFEST, the database's integrity and
 * schema version (not newer than this controller's) first; DIR appears
 * whole or not at all. 0 or -errno, with a message in err. */
int restore_run(const char *backup, const char *dir, char *err, size_t errlen);

#endif
