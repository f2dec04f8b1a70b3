/* eve-controller: command-line front end (init, serve). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eve_version.h"
#include "init.h"
#include "server.h"

struct cmd_args {
	const char *dir, *host, *listen;
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

static const struct command commands[] = {
    {"init", "init --dir DIR [--host NAME[,IP...]] [--listen ADDR:PORT] [--force]", cmd_init},
    {"serve", "serve --dir DIR [--listen ADDR:PORT]", cmd_serve},
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
	    {"dir", required_argument, NULL, 'd'},    {"host", required_argument, NULL, 'H'},
	    {"listen", required_argument, NULL, 'l'}, {"force", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
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
	if (optind != argc || !a.dir || (a.host && cmd->run == cmd_serve)) {
		fprintf(stderr, "usage: eve-controller %s\n", cmd->usage);
		return 2;
	}
	return cmd->run(&a);
}
