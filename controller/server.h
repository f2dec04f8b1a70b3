/* `eve-controller serve`: load a controller directory and run until
 * SIGTERM/SIGINT. */
#ifndef CTL_SERVER_H
#define CTL_SERVER_H

struct serve_opts {
	const char *dir;
	const char *listen; /* overrides controller.conf when set */
};

/* Runs in the foreground; 0 after a clean stop, negative errno on a
 * start-up failure (already reported on stderr). */
int server_run(const struct serve_opts *o);

#endif
