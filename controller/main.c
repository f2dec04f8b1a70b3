// SPDX-License-Identifier: Apache-2.0
/* eve-controller: command-line front end (init, serve, backup, restore, certs). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup.h"
#include "certs.h"
#include "ctl.h"
#include "eve_version.h"
#include "fileio.h"
#include "init.h"
#include "server.h"

struct cmd_args {
	const char *dir, *host, *listen, *store;
	const char *path;   /* backup / restore: the backup directory */
	const char *action; /* certs: status | renew | rotate-signing */
	int days;           /* certs: validity of what is issued */
	long overlap_s;     /* certs rotate-signing */
	char *const *argv;  /* serve: for a graceful reload (re-exec) */
	int force;
};

struct command {
	const char *name;
	const char *usage;
	int (*run)(const struct cmd_args *a);
};

static int cmd_init(const struct cmd_args *a)
{
	struct init_opts o = {
	    .dir = a->dir, .host = a->host, .listen = a->listen, .store = a->store, .force = a->force};
	return init_run(&o) == 0 ? 0 : 1;
}

static int cmd_serve(const struct cmd_args *a)
{
	struct serve_opts o = {.dir = a->dir, .listen = a->listen, .argv = a->argv};
	return server_run(&o) == 0 ? 0 : 1;
}

static int cmd_backup(const struct cmd_args *a)
{
	char err[512] = "";
	if (backup_run(a->dir, a->path, err, sizeof(err)) < 0) {
		fprintf(stderr, "eve-controller: %s\n", err);
		return 1;
	}
	printf("backup of %s written to %s\n", a->dir, a->path);
	return 0;
}

static int cmd_restore(const struct cmd_args *a)
{
	char err[512] = "";
	if (restore_run(a->path, a->dir, err, sizeof(err)) < 0) {
		fprintf(stderr, "eve-controller: %s\n", err);
		return 1;
	}
	printf("%s restored into %s\n", a->path, a->dir);
	return 0;
}

/* Ask a running controller of DIR to reload (SIGHUP): it hands its
 * listening socket to a fresh copy of itself, so no connection is refused. */
static void reload_running(const char *dir)
{
	char p[4096];
	uint8_t *data = NULL;
	size_t len = 0;
	long pid = 0;

	snprintf(p, sizeof(p), "%s/%s", dir, CTL_PID_FILE);
	if (fileio_read(p, 32, &data, &len) == 0) {
		char buf[40];
		snprintf(buf, sizeof(buf), "%.*s", (int)len, (const char *)data);
		pid = strtol(buf, NULL, 10);
	}
	free(data);
	if (pid > 1 && kill((pid_t)pid, SIGHUP) == 0)
		printf("the running controller (pid %ld) reloads its certificates\n", pid);
	else
		printf("no running controller found (%s): the next start uses them\n", p);
}

static int cmd_certs(const struct cmd_args *a)
{
	char err[512] = "";
	int r = 0;

	if (!strcmp(a->action, "status")) {
		certs_status(a->dir, stdout);
		return 0;
	}
	if (!strcmp(a->action, "renew"))
		r = certs_renew_server(a->dir, a->days, err, sizeof(err));
	else if (!strcmp(a->action, "rotate-signing"))
		r = certs_rotate_signing(a->dir, a->overlap_s, a->days, err, sizeof(err));
	else {
		fprintf(stderr,
			"eve-controller: certs: unknown action '%s' (status, renew, rotate-signing)\n",
			a->action);
		return 2;
	}
	if (r < 0) {
		fprintf(stderr, "eve-controller: %s\n", err);
		return 1;
	}
	if (!strcmp(a->action, "renew"))
		printf("server.cert.pem renewed for %d days\n", a->days);
	else
		printf("signing-next.cert.pem made; /certs serves it now, it signs in %ld s\n", a->overlap_s);
	reload_running(a->dir);
	return 0;
}

static const struct command commands[] = {
    {"init", "init --dir DIR [--host NAME[,IP...]] [--listen ADDR:PORT] [--store postgresql://...] [--force]",
     cmd_init},
    {"serve", "serve --dir DIR [--listen ADDR:PORT]", cmd_serve},
    {"backup", "backup --dir DIR BACKUP_DIR", cmd_backup},
    {"restore", "restore --dir NEW_DIR BACKUP_DIR", cmd_restore},
    {"certs", "certs status|renew|rotate-signing --dir DIR [--days N] [--overlap SECONDS]", cmd_certs},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage:\n  eve-controller --version\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  eve-controller %s\n", commands[i].usage);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"host", required_argument, NULL, 'H'},
	    {"listen", required_argument, NULL, 'l'},
	    {"force", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {"days", required_argument, NULL, 'D'},
	    {"overlap", required_argument, NULL, 'O'},
	    {"store", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	if (argc >= 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version"))) {
		printf("eve-controller %s\n", EVE_VERSION);
		return 0;
	}
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	const struct command *cmd = NULL;
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(argv[1], commands[i].name))
			cmd = &commands[i];
	if (!cmd) {
		fprintf(stderr, "eve-controller: unknown command '%s'\n", argv[1]);
		usage(stderr);
		return 2;
	}
	struct cmd_args a = {.days = 3650, .overlap_s = 86400, .argv = argv};
	int c;
	char *end;
	optind = 2;
	if (cmd->run == cmd_certs) {
		if (argc < 3 || argv[2][0] == '-') {
			fprintf(stderr, "usage: eve-controller %s\n", cmd->usage);
			return 2;
		}
		a.action = argv[2];
		optind = 3;
	}
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			a.dir = optarg;
			break;
		case 'H':
			a.host = optarg;
			break;
		case 'l':
			a.listen = optarg;
			break;
		case 'f':
			a.force = 1;
			break;
		case 's':
			a.store = optarg;
			break;
		case 'D':
			a.days = (int)strtol(optarg, &end, 10);
			if (*end || a.days < 1 || a.days > 36500) {
				fprintf(stderr, "eve-controller: --days: 1..36500\n");
				return 2;
			}
			break;
		case 'O':
			a.overlap_s = strtol(optarg, &end, 10);
			if (*end || a.overlap_s < 0 || a.overlap_s > 366L * 86400) {
				fprintf(stderr, "eve-controller: --overlap: seconds, 0..31622400\n");
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	/* backup and restore take the backup directory as their one operand. */
	int takes_path = cmd->run == cmd_backup || cmd->run == cmd_restore;
	if (takes_path && optind == argc - 1)
		a.path = argv[optind++];
	if (optind != argc || !a.dir || (takes_path && !a.path) || (a.host && cmd->run != cmd_init) ||
	    (a.store && cmd->run != cmd_init) || (a.listen && takes_path)) {
		fprintf(stderr, "usage: eve-controller %s\n", cmd->usage);
		return 2;
	}
	return cmd->run(&a);
}
