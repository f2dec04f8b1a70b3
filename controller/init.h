// SPDX-License-Identifier: Apache-2.0
/* `eve-controller init`: lay out a controller directory. */
#ifndef CTL_INIT_H
#define CTL_INIT_H

#include <stdbool.h>

struct init_opts {
	const char *dir;
	const char *host;   /* NAME[,IP...]; default localhost,127.0.0.1 */
	const char *listen; /* ADDR:PORT; default 0.0.0.0:8443 */
	const char *store;  /* NULL: SQLite in dir; or postgresql://... (controller.conf `store`) */
	bool force;
};

/* Create everything; prints the admin token once on stdout. Errors are
 * reported on stderr; returns 0 or a negative errno. */
int init_run(const struct init_opts *o);

/* Path of certs/mkcerts.sh (env EVE_MKCERTS, the source tree, the install
 * tree); NULL if none is executable. */
const char *init_mkcerts_path(void);

#endif
