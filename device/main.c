/* eve-agent: the device agent.
 *
 *   eve-agent --config DIR --state DIR [--serial S] [--tpm TCTI]
 *             [--libvirt URI] [--update dir|gpt:TARGET] [--record-devops FILE]
 *             [--daemon] [-v]
 *
 * Runs in the foreground with logs on stderr (or as a daemon logging to
 * <state>/eve-agent.log); SIGTERM / SIGINT stop it cleanly. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>

#include "agent.h"

enum { OPT_CONFIG = 'c', OPT_STATE = 's', OPT_SERIAL = 'S', OPT_TPM = 't', OPT_LIBVIRT = 'l',
       OPT_UPDATE = 'u', OPT_RECORD = 'r', OPT_DAEMON = 'd', OPT_VERBOSE = 'v', OPT_HELP = 'h' };

static const struct option long_opts[] = {
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "serial", required_argument, NULL, OPT_SERIAL },
	{ "tpm", required_argument, NULL, OPT_TPM },
	{ "libvirt", required_argument, NULL, OPT_LIBVIRT },
	{ "update", required_argument, NULL, OPT_UPDATE },
	{ "record-devops", required_argument, NULL, OPT_RECORD },
	{ "daemon", no_argument, NULL, OPT_DAEMON },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ 0 },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: eve-agent --config DIR --state DIR [--serial S] [--tpm TCTI] [--libvirt URI]\n"
		   "                 [--update dir:SLOTS|gpt:DISK] [--record-devops FILE] [--daemon] [-v]\n");
}

/* "backend:target" of --update. */
static int parse_update(char *arg, struct agent_opts *o)
{
	char *colon = strchr(arg, ':');

	if (!colon || colon == arg || !colon[1])
		return -EINVAL;
	*colon = '\0';
	o->update_backend = arg;
	o->update_target = colon + 1;
	return 0;
}

static int parse_args(int argc, char **argv, struct agent_opts *o, int *daemonize)
{
	int c;

	while ((c = getopt_long(argc, argv, "vhd", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_CONFIG: o->config_dir = optarg; break;
		case OPT_STATE: o->state_dir = optarg; break;
		case OPT_SERIAL: o->serial = optarg; break;
		case OPT_TPM: o->tcti = optarg; break;
		case OPT_LIBVIRT: o->libvirt_uri = optarg; break;
		case OPT_RECORD: o->devops_record = optarg; break;
		case OPT_DAEMON: *daemonize = 1; break;
		case OPT_VERBOSE: o->verbose++; break;
		case OPT_UPDATE:
			if (parse_update(optarg, o) < 0) {
				fprintf(stderr, "eve-agent: --update wants BACKEND:TARGET, got '%s'\n", optarg);
				return 2;
			}
			break;
		case OPT_HELP: usage(stdout); exit(0);
		default: usage(stderr); return 2;
		}
	}
	if (!o->config_dir || !o->state_dir || optind != argc) {
		usage(stderr);
		return 2;
	}
	return 0;
}

static int go_daemon(const char *state_dir)
{
	char path[4096];
	int fd;

	if (snprintf(path, sizeof(path), "%s/eve-agent.log", state_dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "eve-agent: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	if (daemon(0, 1) < 0)
		return -errno;
	dup2(fd, STDERR_FILENO);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct agent_opts o = { 0 };
	int daemonize = 0, stop_fd, r;
	sigset_t mask;

	r = parse_args(argc, argv, &o, &daemonize);
	if (r)
		return r;
	/* The TSS libraries log to stderr by default; we report their errors. */
	setenv("TSS2_LOG", "all+none", 0);
	if (daemonize && go_daemon(o.state_dir) < 0)
		return 1;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	/* Blocked before any thread starts, so all of them inherit it. */
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 || (stop_fd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0) {
		perror("eve-agent: signalfd");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	r = agent_run(&o, stop_fd);
	close(stop_fd);
	return r < 0 ? 1 : 0;
}
