// SPDX-License-Identifier: Apache-2.0
/* eve-slot-boot: the dir backend's boot loader and supervisor. It plays the
 * part of grub + the hardware watchdog for an agent installed in slot
 * directories: pick the slot as gptprio does (try-once for a new image),
 * run that slot's eve-agent, and when it asks for a reboot (exit code
 * UPDATE_EXIT_REBOOT), crashes, or stays unconfirmed past the watchdog time,
 * run the decision again, which falls back to the old slot once the new
 * one's try is spent. Killing this process is a power cut: the agent dies
 * with it (PR_SET_PDEATHSIG).
 *
 *   eve-slot-boot [--watchdog SEC] [--max-boots N] SLOTS_DIR [-- AGENT ARGS...]
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bootslot_dir.h"
#include "err.h"
#include "monotime.h"
#include "update.h"

#define POLL_MS 200
#define MAX_ARGS 256

struct opts {
	unsigned watchdog_s; /* 0: no watchdog */
	unsigned max_boots;  /* 0: unlimited */
	const char *dir;
	char **args;
	int nargs;
};

static volatile sig_atomic_t stop_sig;

static void on_stop(int sig)
{
	stop_sig = sig;
}

static int opt_uint(const char *v, unsigned *out)
{
	char *end;
	unsigned long n = v ? strtoul(v, &end, 10) : 0;
	if (!v || *v == '\0' || *end != '\0' || n > 86400 * 365)
		return -EINVAL;
	*out = (unsigned)n;
	return 0;
}

static const struct {
	const char *name;
	size_t off;
} uint_opts[] = {
    {"--watchdog", offsetof(struct opts, watchdog_s)},
    {"--max-boots", offsetof(struct opts, max_boots)},
};

static int parse_args(int argc, char **argv, struct opts *o)
{
	int i = 1;
	for (; i < argc && strncmp(argv[i], "--", 2) == 0 && argv[i][2]; i++) {
		size_t k = 0;
		while (k < sizeof(uint_opts) / sizeof(uint_opts[0]) &&
		       strcmp(argv[i], uint_opts[k].name) != 0)
			k++;
		if (k == sizeof(uint_opts) / sizeof(uint_opts[0]) || i + 1 >= argc)
			return -EINVAL;
		if (opt_uint(argv[++i], (unsigned *)((char *)o + uint_opts[k].off)) < 0)
			return -EINVAL;
	}
	if (i >= argc)
		return -EINVAL;
	o->dir = argv[i++];
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	o->args = argv + i;
	o->nargs = argc - i;
	return o->nargs < MAX_ARGS - 2 ? 0 : -E2BIG;
}

static pid_t start_agent(const struct opts *o, int slot)
{
	char agent[4096], *argv[MAX_ARGS];
	pid_t parent = getpid();

	if (bootslot_dir_agent(o->dir, slot, agent, sizeof(agent)) < 0)
		return -ENAMETOOLONG;
	pid_t pid = fork();
	if (pid != 0)
		return pid < 0 ? -errno : pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	setenv("EVE_SLOT", slot ? "B" : "A", 1);
	setenv("EVE_SLOTS_DIR", o->dir, 1);
	setenv("EVE_SLOT_BOOT", "1", 1);
	argv[0] = agent;
	for (int i = 0; i < o->nargs; i++)
		argv[i + 1] = o->args[i];
	argv[o->nargs + 1] = NULL;
	execv(agent, argv);
	fprintf(stderr, "eve-slot-boot: exec %s: %s\n", agent, strerror(errno));
	_exit(127);
}

/* Wait for the agent; the watchdog kills an image that stays unconfirmed
 * too long (a hang the agent's own window timer cannot catch). */
static int supervise(const struct opts *o, int slot, pid_t pid, bool *watchdog_fired)
{
	double start = monotime_s();
	int st = 0;
	bool forwarded = false;

	*watchdog_fired = false;
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			return st;
		if (w < 0 && errno != EINTR)
			return -errno;
		if (stop_sig && !forwarded) {
			kill(pid, stop_sig);
			forwarded = true;
		}
		bool good = true;
		if (o->watchdog_s && !*watchdog_fired && monotime_s() - start >= o->watchdog_s &&
		    bootslot_dir_is_good(o->dir, slot, &good) == 0 && !good) {
			fprintf(stderr, "eve-slot-boot: watchdog: %s unconfirmed after %u s, killing it\n",
				bootslot_label(slot), o->watchdog_s);
			kill(pid, SIGKILL);
			*watchdog_fired = true;
		}
		usleep(POLL_MS * 1000);
	}
}

static void describe(int st, bool wd, unsigned wd_s, int slot, char *out, size_t len)
{
	if (wd)
		snprintf(out, len, "%s hung: not confirmed within the %u s watchdog time",
			 bootslot_label(slot), wd_s);
	else if (WIFEXITED(st))
		snprintf(out, len, "%s exited with status %d before confirming its test window",
			 bootslot_label(slot), WEXITSTATUS(st));
	else
		snprintf(out, len, "%s killed by signal %d before confirming its test window",
			 bootslot_label(slot), WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/* One boot: 0 = shut down, 1 = boot again, <0 = error. */
static int boot_once(const struct opts *o)
{
	char why[BOOTSLOT_NOTE_MAX];
	bool wd, good = true;
	int slot = bootslot_dir_boot(o->dir);

	if (slot < 0) {
		fprintf(stderr, "eve-slot-boot: no bootable slot in %s: %s\n", o->dir, eve_strerror(slot));
		return slot;
	}
	fprintf(stderr, "eve-slot-boot: booting %s\n", bootslot_label(slot));
	pid_t pid = start_agent(o, slot);
	if (pid < 0)
		return pid;
	int st = supervise(o, slot, pid, &wd);
	if (st < 0)
		return st;
	if (stop_sig || (WIFEXITED(st) && WEXITSTATUS(st) == 0))
		return 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == UPDATE_EXIT_REBOOT)
		return 1;
	describe(st, wd, o->watchdog_s, slot, why, sizeof(why));
	fprintf(stderr, "eve-slot-boot: %s\n", why);
	if (bootslot_dir_is_good(o->dir, slot, &good) == 0 && !good)
		bootslot_dir_set_note(o->dir, why);
	else
		sleep(1); /* a committed image crashed: restart it, not in a tight loop */
	return 1;
}

int main(int argc, char **argv)
{
	struct opts o = {.watchdog_s = UPDATE_DEFAULT_TEST_WINDOW_S + 60};
	struct sigaction sa = {.sa_handler = on_stop};
	int r;

	if (parse_args(argc, argv, &o) < 0) {
		fprintf(stderr, "usage: %s [--watchdog SEC] [--max-boots N] SLOTS_DIR [-- AGENT ARGS...]\n",
			argv[0]);
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (unsigned boots = 1;; boots++) {
		r = boot_once(&o);
		if (r <= 0 || stop_sig)
			break;
		if (o.max_boots && boots >= o.max_boots) {
			fprintf(stderr, "eve-slot-boot: %u boots, giving up\n", boots);
			r = -ELOOP;
			break;
		}
	}
	return r < 0 ? 1 : 0;
}
