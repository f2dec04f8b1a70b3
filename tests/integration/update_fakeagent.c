// SPDX-License-Identifier: Apache-2.0
/* A stand-in eve-agent for the dir backend tests: it runs from a slot
 * directory under eve-slot-boot and drives the update library the way the
 * real agent does, with a "controller" made of files:
 *   $FAKE_CTL/online   present: each loop turn counts as a config fetch
 *   $FAKE_CTL/baseos   "version url sha256 retry": the desired base OS
 *   $FAKE_CTL/stop     present: exit 0 (shutdown)
 * Its slot's BEHAVIOR file makes it bad on purpose: "crash" (exit 3 at
 * start), "offline" (never reaches the controller), "hang" (stops calling
 * the library). It writes $FAKE_PERSIST/info after every turn. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "fileio.h"
#include "update.h"

static void read_small(const char *dir, const char *name, char *out, size_t len)
{
	char p[PATH_MAX + 64];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	out[0] = '\0';
	FILE *f = fopen(p, "r");
	if (!f)
		return;
	if (fgets(out, (int)len, f))
		out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

static bool exists(const char *dir, const char *name)
{
	char p[PATH_MAX + 64];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return access(p, F_OK) == 0;
}

static void offer(struct update *u, const char *ctl)
{
	char line[1024], version[128], url[700], sha[80];
	unsigned retry;
	struct update_baseos req = {.activate = true};

	read_small(ctl, "baseos", line, sizeof(line));
	if (sscanf(line, "%127s %699s %79s %u", version, url, sha, &retry) != 4)
		return;
	req.version = version;
	req.url = url;
	req.sha256 = sha;
	req.retry_update = retry;
	int r = update_apply_baseos(u, &req);
	if (r < 0)
		fprintf(stderr, "fakeagent: update %s: %s\n", version, eve_strerror(r));
}

static void write_info(struct update *u, const char *persist, unsigned long turn)
{
	struct update_slot_info s[2];
	char text[2048], p[PATH_MAX + 64];
	const char *why;

	if (update_get_info(u, s) < 0)
		return;
	enum update_status st = update_status(u, &why);
	int n = snprintf(text, sizeof(text), "running=%s turn=%lu status=%s window=%d\nreason=%s\n",
			 getenv("EVE_SLOT") ? getenv("EVE_SLOT") : "?", turn, update_status_name(st),
			 update_in_test_window(u), why);
	for (int i = 0; i < 2 && n > 0 && (size_t)n < sizeof(text); i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "%s %s %s %s activated=%d\n", s[i].label,
			      update_part_state_name(s[i].state), s[i].version[0] ? s[i].version : "-",
			      update_status_name(s[i].status), s[i].activated);
	snprintf(p, sizeof(p), "%s/info", persist);
	if (n > 0 && (size_t)n < sizeof(text))
		fileio_write_atomic(p, text, (size_t)n, 0644);
}

int main(int argc, char **argv)
{
	char self[PATH_MAX], version[128], behavior[64];
	const char *ctl = getenv("FAKE_CTL"), *persist = getenv("FAKE_PERSIST"), *win = getenv("FAKE_WINDOW");
	struct update *u;

	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0 || !ctl || !persist)
		return 2;
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	read_small(self, "VERSION", version, sizeof(version));
	read_small(self, "BEHAVIOR", behavior, sizeof(behavior));
	fprintf(stderr, "fakeagent: %s starting in slot %s (%s)\n", version, getenv("EVE_SLOT"), behavior);
	if (strcmp(behavior, "crash") == 0)
		return 3;
	struct update_opts o = {
	    .backend = "dir",
	    .target = getenv("EVE_SLOTS_DIR"),
	    .state_dir = persist,
	    .running_version = version,
	    .test_window_s = win ? (unsigned)atoi(win) : 0,
	};
	int r = update_open(&o, &u);
	if (r == 0)
		r = update_boot_check(u, time(NULL));
	if (r < 0) {
		fprintf(stderr, "fakeagent: update init: %d\n", r);
		return 4;
	}
	for (unsigned long turn = 0; !exists(ctl, "stop"); turn++) {
		if (strcmp(behavior, "hang") != 0) {
			if (strcmp(behavior, "offline") != 0 && exists(ctl, "online"))
				update_controller_reached(u, time(NULL));
			offer(u, ctl);
			update_tick(u, time(NULL));
		}
		write_info(u, persist, turn);
		usleep(100 * 1000);
	}
	update_close(u);
	return 0;
}
