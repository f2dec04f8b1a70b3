// SPDX-License-Identifier: Apache-2.0
/* eve-agent: the device agent.
 *
 *   eve-agent --config DIR --state DIR [--serial S] [--tpm TCTI]
 *             [--libvirt URI] [--update dir|gpt:TARGET] [--record-devops FILE]
 *             [--daemon] [-v] [--log-format kv|json] [--vault SIZE]
 *   eve-agent diag --config DIR --state DIR
 *
 * Runs in the foreground with logs on stderr (or as a daemon logging to
 * <state>/eve-agent.log); SIGTERM / SIGINT stop it cleanly. */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>

#include "eve_version.h"
#include "agent.h"
#include "agentlog.h"
#include "fileio.h"
#include "logfmt.h"
#include "vault_fs.h"

/* String options: each sets one field of struct agent_opts. */
static const struct str_opt {
	const char *name;
	size_t field;
} str_opts[] = {
    {"config", offsetof(struct agent_opts, config_dir)},
    {"state", offsetof(struct agent_opts, state_dir)},
    {"serial", offsetof(struct agent_opts, serial)},
    {"tpm", offsetof(struct agent_opts, tcti)},
    {"libvirt", offsetof(struct agent_opts, libvirt_uri)},
    {"record-devops", offsetof(struct agent_opts, devops_record)},
    {"vault", offsetof(struct agent_opts, vault)},
};

#define N_STR_OPTS (sizeof(str_opts) / sizeof(str_opts[0]))
enum { OPT_UPDATE = 256, OPT_LOGFMT, OPT_STR0 = 512 };

static const struct option long_opts[] = {
    {"config", required_argument, NULL, OPT_STR0 + 0},
    {"state", required_argument, NULL, OPT_STR0 + 1},
    {"serial", required_argument, NULL, OPT_STR0 + 2},
    {"tpm", required_argument, NULL, OPT_STR0 + 3},
    {"libvirt", required_argument, NULL, OPT_STR0 + 4},
    {"record-devops", required_argument, NULL, OPT_STR0 + 5},
    {"vault", required_argument, NULL, OPT_STR0 + 6},
    {"update", required_argument, NULL, OPT_UPDATE},
    {"log-format", required_argument, NULL, OPT_LOGFMT},
    {"daemon", no_argument, NULL, 'd'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {0},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: eve-agent --config DIR --state DIR [--serial S] [--tpm TCTI] [--libvirt URI]\n"
		   "                 [--update dir:SLOTS|gpt:DISK] [--record-devops FILE] [--daemon] [-v]\n"
		   "                 [--log-format kv|json] [--vault SIZE]\n"
		   "       eve-agent diag --config DIR --state DIR   (connectivity diagnosis, per port)\n"
		   "       eve-agent --version\n");
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
		if (c >= OPT_STR0 && c < OPT_STR0 + (int)N_STR_OPTS) {
			*(const char **)((char *)o + str_opts[c - OPT_STR0].field) = optarg;
		} else if (c == OPT_UPDATE) {
			if (parse_update(optarg, o) < 0) {
				fprintf(stderr, "eve-agent: --update wants BACKEND:TARGET, got '%s'\n",
					optarg);
				return 2;
			}
		} else if (c == OPT_LOGFMT) {
			int st = logfmt_style_parse(optarg);
			if (st < 0) {
				fprintf(stderr, "eve-agent: --log-format wants kv or json, got '%s'\n",
					optarg);
				return 2;
			}
			alog_set_format(st);
		} else if (c == 'd') {
			*daemonize = 1;
		} else if (c == 'v') {
			o->verbose++;
		} else if (c == 'h') {
			usage(stdout);
			exit(0);
		} else if (c == 'V') {
			printf("eve-agent %s\n", EVE_VERSION);
			exit(0);
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!o->config_dir || !o->state_dir || optind != argc) {
		usage(stderr);
		return 2;
	}
	return 0;
}

/* A daemon runs in "/": make the directory arguments absolute first. */
static int absolute_paths(struct agent_opts *o)
{
	static char config[PATH_MAX], state[PATH_MAX];

	if (fileio_mkdirs(o->state_dir, 0700) < 0 || !realpath(o->state_dir, state) ||
	    !realpath(o->config_dir, config)) {
		fprintf(stderr, "eve-agent: %s: %s\n",
			realpath(o->state_dir, state) ? o->config_dir : o->state_dir, strerror(errno));
		return -errno;
	}
	o->config_dir = config;
	o->state_dir = state;
	return 0;
}

static int go_daemon(const char *state_dir)
{
	char path[4096];
	int fd;

	if (snprintf(path, sizeof(path), "%s/eve-agent.log", state_dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if (fileio_mkdirs(state_dir, 0700) < 0) {
		fprintf(stderr, "eve-agent: %s: cannot create\n", state_dir);
		return -EIO;
	}
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

/* With --vault, temporary files go into the encrypted store (vault_fs.h:
 * libarchive spools a cloud-init seed's user data in TMPDIR while it makes
 * the ISO). Set before any thread starts; an absolute path, as children
 * (qemu-img) inherit it. */
static int vault_tmpdir(const struct agent_opts *o)
{
	char cwd[PATH_MAX], state[PATH_MAX], tmp[PATH_MAX];
	int n;

	if (!o->vault)
		return 0;
	if (o->state_dir[0] == '/')
		n = snprintf(state, sizeof(state), "%s", o->state_dir);
	else if (getcwd(cwd, sizeof(cwd)))
		n = snprintf(state, sizeof(state), "%s/%s", cwd, o->state_dir);
	else
		n = -1;
	if (n < 0 || (size_t)n >= sizeof(state) || vault_fs_tmp_dir(state, tmp, sizeof(tmp)) < 0 ||
	    setenv("TMPDIR", tmp, 1) < 0) {
		fprintf(stderr, "eve-agent: --state %s: no room for the vault's temporary directory\n",
			o->state_dir);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct agent_opts o = {0};
	int daemonize = 0, stop_fd, r;
	sigset_t mask;

	if (argc > 1 && !strcmp(argv[1], "diag")) {
		/* eve-agent diag --config DIR --state DIR: the connectivity
		 * diagnosis of every management port, now */
		r = parse_args(argc - 1, argv + 1, &o, &daemonize);
		return r ? r : agent_diag(&o);
	}
	r = parse_args(argc, argv, &o, &daemonize);
	if (r)
		return r;
#ifdef __GLIBC__
	/* One malloc arena for every thread: the agent's threads allocate
	 * little and rarely at the same time, and each extra arena kept its
	 * own ~1.3 MiB of freed pages (USS: docs/performance.md, "Agent:
	 * idle USS"). Before any thread starts. A fixed mmap threshold (the
	 * default without glibc's dynamic raise): a large buffer, once freed,
	 * goes back to the system instead of lifting the threshold so that
	 * every later one stays on the heap. */
	mallopt(M_ARENA_MAX, 1);
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
	/* The TSS libraries log to stderr by default; we report their errors. */
	setenv("TSS2_LOG", "all+none", 0);
	if (daemonize && (absolute_paths(&o) < 0 || go_daemon(o.state_dir) < 0))
		return 1;
	if (vault_tmpdir(&o) < 0)
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
