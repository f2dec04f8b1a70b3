/* eve-controller: command-line front end (init, serve, backup, restore). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup.h"
#include "init.h"
#include "server.h"

struct cmd_args {
	const char *dir, *host, *listen;
	const char *path; /* backup / restore: the backup directory */
	int force;
};

struct command {
	const char *name;
	const char *usage;
	int (*run)(const struct cmd_args *a);
};

static int cmd_init(const struct cmd_args *a)
{
	struct init_opts o = {.dir = a->dir, .host = a->host, .listen = a->listen, .force = a->force};
	return init_run(&o) == 0 ? 0 : 1;
}

static int cmd_serve(const struct cmd_args *a)
{
	struct serve_opts o = {.dir = a->dir, .listen = a->listen};
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

static const struct command commands[] = {
    {"init", "init --dir DIR [--host NAME[,IP...]] [--listen ADDR:PORT] [--force]", cmd_init},
    {"serve", "serve --dir DIR [--listen ADDR:PORT]", cmd_serve},
    {"backup", "backup --dir DIR BACKUP_DIR", cmd_backup},
    {"restore", "restore --dir NEW_DIR BACKUP_DIR", cmd_restore},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  eve-controller %s\n", commands[i].usage);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},    {"host", required_argument, NULL, 'H'},
	    {"listen", required_argument, NULL, 'l'}, {"force", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
	};
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
	struct cmd_args a = {0};
	int c;
	optind = 2;
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
	    (a.listen && takes_path)) {
		fprintf(stderr, "usage: eve-controller %s\n", cmd->usage);
		return 2;
	}
	return cmd->run(&a);
}
