// SPDX-License-Identifier: Apache-2.0
/* `eve-controller serve`: load a controller directory and run until
 * SIGTERM/SIGINT. SIGHUP reloads gracefully: the listening socket is kept
 * (connections wait in its backlog), requests in flight finish, and the
 * program starts again on it with the directory's current certificates;
 * so does the switch to the next signing certificate at its time. */
#ifndef CTL_SERVER_H
#define CTL_SERVER_H

struct serve_opts {
	const char *dir;
	const char *listen; /* overrides controller.conf when set */
	char *const *argv;  /* the command line, for a graceful reload (SIGHUP) */
};

/* Runs in the foreground; 0 after a clean stop, negative errno on a
 * start-up failure (already reported on stderr). */
int server_run(const struct serve_opts *o);

struct http_route;
/* Every route table the server serves (NULL-terminated), e.g. for the
 * authorization test that walks every admin route. */
const struct http_route *const *server_route_tables(void);

#endif
