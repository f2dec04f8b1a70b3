// SPDX-License-Identifier: Apache-2.0
/* The update flow in one process: the reboot seam counts reboots and the
 * test plays the boot loader (bootslot_boot) between "boots". Dir backend
 * with tarballs made by tar(1); gpt backend on a disk image made by
 * sgdisk(8), its attributes read back with sgdisk -i. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <signal.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>
#include <cmocka.h>

#include "bootslot.h"
#include "bootslot_dir.h"
#include "err.h"
#include "hexstr.h"
#include "update.h"
#include "update_fetch.h"
#include "test_skip.h"
#include "update_swinfo.h"

#define WINDOW 30

struct env {
	char root[256];
	char slots[300];
	char state[300];
	char disk[300];
	int reboots;
	const char *backend;
	struct update *u;
	int slot; /* booted */
	time_t now;
};

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* Output of a command, trailing newline cut. */
static void sh_out(char *out, size_t len, const char *cmd)
{
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	pclose(p);
	while (n && out[n - 1] == '\n')
		out[--n] = '\0';
}

static int on_reboot(void *ctx)
{
	((struct env *)ctx)->reboots++;
	return 0;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	snprintf(e->root, sizeof(e->root), "/tmp/update_flow.XXXXXX");
	assert_non_null(mkdtemp(e->root));
	snprintf(e->slots, sizeof(e->slots), "%s/slots", e->root);
	snprintf(e->state, sizeof(e->state), "%s/persist", e->root);
	snprintf(e->disk, sizeof(e->disk), "%s/disk.img", e->root);
	assert_int_equal(
	    sh("mkdir -p %s/A && printf '#!/bin/sh\\nexit 0\\n' > %s/A/eve-agent && chmod +x %s/A/eve-agent",
	       e->slots, e->slots, e->slots),
	    0);
	e->now = 1000000;
	e->backend = "dir";
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	update_close(e->u);
	sh("rm -rf %s", e->root);
	free(e);
	return 0;
}

/* A base image for the backend: a tarball with an eve-agent (dir), or raw
 * bytes (gpt). Its sha256 goes to sha. */
static void make_image(struct env *e, const char *version, char *path, size_t plen, char sha[65])
{
	uint8_t h[32];
	snprintf(path, plen, "%s/img-%s", e->root, version);
	if (strcmp(e->backend, "dir") == 0)
		assert_int_equal(
		    sh("set -e; d=%s.d; mkdir -p $d; printf '#!/bin/sh\\necho %s\\n' > $d/eve-agent;"
		       "chmod +x $d/eve-agent; echo %s > $d/VERSION; tar -C $d -czf %s .",
		       path, version, version, path),
		    0);
	else
		assert_int_equal(sh("head -c 700000 /dev/urandom > %s; echo %s >> %s", path, version, path),
				 0);
	assert_int_equal(update_file_sha256(path, h), 0);
	hexstr_encode(h, 32, sha);
}

static const char *target(struct env *e)
{
	return strcmp(e->backend, "dir") == 0 ? e->slots : e->disk;
}

/* Power on: the boot loader picks a slot, then the agent starts. */
static void boot(struct env *e, const char *running_version)
{
	const struct bootslot_ops *ops = bootslot_find(e->backend);
	struct bootslot *b;

	update_close(e->u);
	e->u = NULL;
	assert_int_equal(ops->open(target(e), &b), 0);
	e->slot = bootslot_boot(ops, b);
	ops->close(b);
	assert_true(e->slot >= 0);
	struct update_opts o = {
	    .backend = e->backend,
	    .target = target(e),
	    .state_dir = e->state,
	    .current = bootslot_label(e->slot),
	    .running_version = running_version,
	    .test_window_s = WINDOW,
	    .reboot = on_reboot,
	    .ctx = e,
	};
	assert_int_equal(update_open(&o, &e->u), 0);
	assert_int_equal(update_boot_check(e->u, e->now), 0);
}

static void apply_r(struct env *e, const char *version, const char *path, const char *sha, unsigned retry,
		    int want)
{
	char url[600];
	snprintf(url, sizeof(url), "file://%s", path);
	struct update_baseos req = {
	    .version = version, .url = url, .sha256 = sha, .retry_update = retry, .activate = true};
	int r = update_apply_baseos(e->u, &req);
	if (want == 1)
		assert_true(r < 0);
	else
		assert_int_equal(r, want);
}

static void apply(struct env *e, const char *version, const char *path, const char *sha, unsigned retry)
{
	apply_r(e, version, path, sha, retry, 0);
}

static void check_slot(struct env *e, int slot, enum update_part_state ps, const char *version,
		       enum update_status st)
{
	struct update_slot_info info[2];
	assert_int_equal(update_get_info(e->u, info), 0);
	assert_string_equal(update_part_state_name(info[slot].state), update_part_state_name(ps));
	assert_string_equal(info[slot].version, version);
	assert_string_equal(update_status_name(info[slot].status), update_status_name(st));
}

static void test_dir_good_update_commits(void **state)
{
	struct env *e = *state;
	char img[512], sha[65];

	boot(e, "1.0");
	assert_int_equal(e->slot, 0);
	make_image(e, "2.0", img, sizeof(img), sha);
	apply(e, "2.0", img, sha, 0);
	assert_int_equal(e->reboots, 1);
	check_slot(e, 1, UPDATE_PART_UPDATING, "2.0", UPDATE_ST_UPDATING);
	apply(e, "2.0", img, sha, 0); /* idempotent while pending */
	assert_int_equal(e->reboots, 1);

	boot(e, "2.0");
	assert_int_equal(e->slot, 1);
	assert_true(update_in_test_window(e->u));
	assert_int_equal(update_window_left(e->u, e->now + 10), WINDOW - 10);
	assert_int_equal(update_tick(e->u, e->now + 5), 0);
	assert_int_equal(update_controller_reached(e->u, e->now + 6), 0);
	assert_false(update_in_test_window(e->u));
	check_slot(e, 1, UPDATE_PART_ACTIVE, "2.0", UPDATE_ST_UPDATED);
	check_slot(e, 0, UPDATE_PART_INACTIVE, "1.0", UPDATE_ST_NONE);

	Org__Lfedge__Eve__Info__ZInfoDevSW **sw;
	size_t n;
	assert_int_equal(update_fill_swinfo(e->u, &sw, &n), 0);
	assert_int_equal(n, 2);
	assert_true(sw[1]->activated);
	assert_string_equal(sw[1]->partitionlabel, "IMGB");
	assert_string_equal(sw[1]->partitionstate, "active");
	assert_string_equal(sw[1]->shortversion, "2.0");
	assert_int_equal(sw[1]->userstatus, ORG__LFEDGE__EVE__INFO__BASE_OS_STATUS__UPDATED);
	assert_false(sw[0]->activated);
	update_free_swinfo(sw, n);

	boot(e, "2.0"); /* committed: stays */
	assert_int_equal(e->slot, 1);
	assert_int_equal(sh("test -x %s/B/eve-agent && grep -qx 2.0 %s/B/VERSION", e->slots, e->slots), 0);
	apply(e, "2.0", img, sha, 0);
	assert_int_equal(e->reboots, 1);
}

static void fallback_checks(struct env *e, const char *reason_part, const char *img, const char *sha)
{
	const char *why;
	assert_int_equal(e->slot, 0);
	assert_int_equal(update_status(e->u, &why), UPDATE_ST_FALLBACK);
	assert_non_null(strstr(why, reason_part));
	check_slot(e, 0, UPDATE_PART_ACTIVE, "1.0", UPDATE_ST_NONE);
	check_slot(e, 1, UPDATE_PART_UNUSED, "2.0", UPDATE_ST_FALLBACK);
	int before = e->reboots;
	apply(e, "2.0", img, sha, 0); /* not retried */
	assert_int_equal(e->reboots, before);
	assert_int_equal(update_status(e->u, NULL), UPDATE_ST_FALLBACK);
	apply(e, "2.0", img, sha, 1); /* retry_update bumped */
	assert_int_equal(e->reboots, before + 1);
}

static void test_dir_window_expiry_falls_back(void **state)
{
	struct env *e = *state;
	char img[512], sha[65];

	boot(e, "1.0");
	make_image(e, "2.0", img, sizeof(img), sha);
	apply(e, "2.0", img, sha, 0);
	boot(e, "2.0");
	assert_int_equal(e->slot, 1);
	assert_int_equal(update_tick(e->u, e->now + WINDOW - 1), 0);
	assert_int_equal(e->reboots, 1);
	/* Whole seconds: at now + WINDOW the window may have run only
	 * WINDOW - 1 s and a fraction (it started late in its second). */
	assert_int_equal(update_tick(e->u, e->now + WINDOW), 0);
	assert_int_equal(e->reboots, 1);
	assert_true(update_in_test_window(e->u));
	assert_int_equal(update_tick(e->u, e->now + WINDOW + 1), 0);
	assert_int_equal(e->reboots, 2);
	boot(e, "1.0");
	fallback_checks(e, "test window", img, sha);
}

/* timer.test.baseimage.update changed while a window runs: the running
 * window takes the new length (config properties, issue #32). */
static void test_dir_window_changed_while_running(void **state)
{
	struct env *e = *state;
	char img[512], sha[65];

	boot(e, "1.0");
	make_image(e, "2.0", img, sizeof(img), sha);
	apply(e, "2.0", img, sha, 0);
	boot(e, "2.0");
	update_set_test_window(e->u, 3 * WINDOW);
	assert_int_equal(update_tick(e->u, e->now + WINDOW), 0);
	assert_int_equal(e->reboots, 1); /* the old length passed: still testing */
	assert_int_equal(update_tick(e->u, e->now + 3 * WINDOW + 1), 0);
	assert_int_equal(e->reboots, 2); /* the new one: fell back */
	boot(e, "1.0");
	fallback_checks(e, "test window", img, sha);
}

static void test_dir_crash_at_start_falls_back(void **state)
{
	struct env *e = *state;
	char img[512], sha[65];

	boot(e, "1.0");
	make_image(e, "2.0", img, sizeof(img), sha);
	apply(e, "2.0", img, sha, 0);
	boot(e, "2.0"); /* the new image dies before doing anything: */
	assert_int_equal(e->slot, 1);
	boot(e, "1.0");
	fallback_checks(e, "did not confirm", img, sha);
}

static void test_dir_bad_hash_fails(void **state)
{
	struct env *e = *state;
	char img[512], sha[65];
	const char *why;

	boot(e, "1.0");
	make_image(e, "2.0", img, sizeof(img), sha);
	sha[0] = sha[0] == '0' ? '1' : '0';
	apply_r(e, "2.0", img, sha, 0, -EVE_EHASH);
	assert_int_equal(e->reboots, 0);
	assert_int_equal(update_status(e->u, &why), UPDATE_ST_FAILED);
	assert_non_null(strstr(why, "download"));
	check_slot(e, 1, UPDATE_PART_UNUSED, "", UPDATE_ST_FAILED);
	check_slot(e, 0, UPDATE_PART_ACTIVE, "1.0", UPDATE_ST_NONE);
}

static void test_dir_no_agent_in_image_fails(void **state)
{
	struct env *e = *state;
	char img[512], sha[65];
	uint8_t h[32];

	boot(e, "1.0");
	snprintf(img, sizeof(img), "%s/empty.tgz", e->root);
	assert_int_equal(
	    sh("mkdir -p %s.d && echo x > %s.d/README && tar -C %s.d -czf %s .", img, img, img, img), 0);
	assert_int_equal(update_file_sha256(img, h), 0);
	hexstr_encode(h, 32, sha);
	apply_r(e, "3.0", img, sha, 0, -ENOEXEC);
	assert_int_equal(e->reboots, 0);
	assert_int_equal(update_status(e->u, NULL), UPDATE_ST_FAILED);
	apply(e, "3.0", img, sha, 0); /* an image that cannot install is not retried */
	assert_int_equal(update_status(e->u, NULL), UPDATE_ST_FAILED);
	boot(e, "1.0");
	assert_int_equal(e->slot, 0);
}

static void test_bad_requests(void **state)
{
	struct env *e = *state;
	struct update_baseos req = {
	    .version = "1.0\nx", .url = "file:///x", .sha256 = "00", .activate = true};

	boot(e, "1.0");
	assert_int_equal(update_apply_baseos(e->u, &req), -EINVAL);
	req.version = "2.0";
	assert_int_equal(update_apply_baseos(e->u, &req), -EINVAL);
	req.sha256 = "zz00000000000000000000000000000000000000000000000000000000000000";
	assert_int_equal(update_apply_baseos(e->u, &req), -EINVAL);
	assert_int_equal(e->reboots, 0);
}

/* ---- gpt backend on a disk image file ---- */

static void make_disk(struct env *e)
{
	if (system("command -v sgdisk >/dev/null 2>&1") != 0)
		test_skip_here("sgdisk not installed (Debian package gdisk)");
	e->backend = "gpt";
	assert_int_equal(
	    sh("truncate -s 8M %s && sgdisk -n 1:2048:+2M -c 1:IMGA -n 2:0:+2M -c 2:IMGB %s >/dev/null",
	       e->disk, e->disk),
	    0);
}

/* The attribute flags sgdisk reads back for partition n (hex). */
static void gpt_flags(struct env *e, int n, char *out, size_t len)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "sgdisk -i %d %s | sed -n 's/^Attribute flags: //p'", n, e->disk);
	sh_out(out, len, cmd);
}

static void assert_flags(struct env *e, const char *a, const char *b)
{
	char f[64];
	gpt_flags(e, 1, f, sizeof(f));
	assert_string_equal(f, a);
	gpt_flags(e, 2, f, sizeof(f));
	assert_string_equal(f, b);
	/* both tables and their CRCs stay valid */
	assert_int_equal(sh("sgdisk -v %s | grep -q 'No problems found'", e->disk), 0);
}

static void test_gpt_commit_and_fallback(void **state)
{
	struct env *e = *state;
	char img[512], sha[65];

	make_disk(e);
	assert_int_equal(sh("sgdisk -A 1:set:48 -A 1:set:49 -A 1:set:56 %s >/dev/null", e->disk),
			 0); /* installer */
	assert_flags(e, "0103000000000000", "0000000000000000");
	boot(e, "1.0");
	assert_int_equal(e->slot, 0);
	make_image(e, "2.0", img, sizeof(img), sha);
	apply(e, "2.0", img, sha, 0);
	assert_int_equal(e->reboots, 1);
	/* IMGA: priority 2, successful; IMGB: priority 3, one try */
	assert_flags(e, "0102000000000000", "0013000000000000");
	assert_int_equal(sh("cmp -n $(stat -c %%s %s) %s %s $((%d*512)) 0 >/dev/null 2>&1 || "
			    "dd if=%s bs=512 skip=%d count=$(( ($(stat -c %%s %s)+511)/512 )) 2>/dev/null | "
			    "head -c $(stat -c %%s %s) | cmp -s - %s",
			    img, e->disk, img, 2048 + 4096, e->disk, 2048 + 4096, img, img, img),
			 0);

	boot(e, "2.0"); /* grub spends the try */
	assert_int_equal(e->slot, 1);
	assert_flags(e, "0102000000000000", "0003000000000000");
	assert_int_equal(update_controller_reached(e->u, e->now + 1), 0);
	assert_flags(e, "0101000000000000", "0102000000000000");
	check_slot(e, 1, UPDATE_PART_ACTIVE, "2.0", UPDATE_ST_UPDATED);

	/* 3.0 never reaches the controller: back to IMGB */
	make_image(e, "3.0", img, sizeof(img), sha);
	apply(e, "3.0", img, sha, 0);
	assert_flags(e, "0013000000000000", "0102000000000000");
	boot(e, "3.0");
	assert_int_equal(e->slot, 0);
	assert_flags(e, "0003000000000000", "0102000000000000");
	assert_int_equal(update_tick(e->u, e->now + WINDOW + 1), 0);
	assert_flags(e, "0000000000000000", "0102000000000000");
	boot(e, "2.0");
	assert_int_equal(e->slot, 1);
	assert_int_equal(update_status(e->u, NULL), UPDATE_ST_FALLBACK);
	check_slot(e, 0, UPDATE_PART_UNUSED, "3.0", UPDATE_ST_FALLBACK);
	check_slot(e, 1, UPDATE_PART_ACTIVE, "2.0", UPDATE_ST_NONE);
}

static void test_gpt_too_big_image(void **state)
{
	struct env *e = *state;
	char img[512], sha[65];
	uint8_t h[32];

	make_disk(e);
	/* an installer that left IMGA on one try: the running slot is adopted */
	assert_int_equal(sh("sgdisk -A 1:set:48 -A 1:set:52 %s >/dev/null", e->disk), 0);
	boot(e, "1.0");
	assert_flags(e, "0102000000000000", "0000000000000000");
	snprintf(img, sizeof(img), "%s/big.img", e->root);
	assert_int_equal(sh("head -c 3000000 /dev/zero > %s", img), 0);
	assert_int_equal(update_file_sha256(img, h), 0);
	hexstr_encode(h, 32, sha);
	apply_r(e, "9.0", img, sha, 0, -EVE_ETOOBIG);
	assert_int_equal(e->reboots, 0);
	assert_int_equal(update_status(e->u, NULL), UPDATE_ST_FAILED);
	assert_flags(e, "0102000000000000", "0000000000000000");
}

/* Invert one byte of a file: writing a fixed value would change nothing
 * when the byte (here part of a random GUID) already had it. */
static void flip_byte(const char *path, off_t off)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	uint8_t c;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, off), 1);
	c = (uint8_t)~c;
	assert_int_equal(pwrite(fd, &c, 1, off), 1);
	close(fd);
}

static void test_gpt_refuses_bad_tables(void **state)
{
	struct env *e = *state;
	const struct bootslot_ops *ops = bootslot_find("gpt");
	struct bootslot *b = NULL;

	make_disk(e);
	assert_int_equal(ops->open(e->disk, &b), 0);
	ops->close(b);
	/* a flipped bit in the entries array: CRC mismatch */
	flip_byte(e->disk, 1024 + 20);
	assert_int_equal(ops->open(e->disk, &b), -EVE_EHASH);
	/* no IMGB partition */
	assert_int_equal(sh("rm -f %s && truncate -s 8M %s && sgdisk -n 1:2048:+2M -c 1:IMGA %s >/dev/null",
			    e->disk, e->disk, e->disk),
			 0);
	assert_int_equal(ops->open(e->disk, &b), -ENOENT);
	/* not a GPT disk at all */
	assert_int_equal(sh("rm -f %s && truncate -s 1M %s", e->disk, e->disk), 0);
	assert_int_equal(ops->open(e->disk, &b), -EVE_EPROTO);
}

/* One power-on of the gpt device in a child process: grub, agent start,
 * a config fetch (commit when testing) and the config offered. The child
 * may be SIGKILLed by the crash point; plain code, no cmocka asserts. */
static void child_power_on(struct env *e, const char *point, const char *img, const char *sha)
{
	const struct bootslot_ops *ops = bootslot_find("gpt");
	struct bootslot *b;
	struct update *u;
	char url[600];

	setenv("EVE_UPDATE_CRASH_AT", point, 1);
	if (ops->open(e->disk, &b) < 0)
		_exit(10);
	int slot = bootslot_boot(ops, b);
	ops->close(b);
	if (slot < 0)
		_exit(11);
	struct update_opts o = {.backend = "gpt",
				.target = e->disk,
				.state_dir = e->state,
				.current = bootslot_label(slot),
				.running_version = slot ? "2.0" : "1.0",
				.test_window_s = WINDOW,
				.reboot = on_reboot,
				.ctx = e};
	if (update_open(&o, &u) < 0 || update_boot_check(u, e->now) < 0)
		_exit(12);
	update_controller_reached(u, e->now);
	snprintf(url, sizeof(url), "file://%s", img);
	struct update_baseos req = {.version = "2.0", .url = url, .sha256 = sha, .activate = true};
	update_apply_baseos(u, &req);
	update_close(u);
	_exit(0);
}

static void test_gpt_kill9_each_step(void **state)
{
	static const char *const points[] = {"downloading", "downloaded", "writing",  "written",
					     "armed",       "rebooting",  "committed"};
	struct env *e = *state;
	char img[512], sha[65], mark[600];

	e->backend = "gpt";
	make_image(e, "2.0", img, sizeof(img), sha);
	for (size_t i = 0; i < sizeof(points) / sizeof(points[0]); i++) {
		assert_int_equal(sh("rm -rf %s %s", e->state, e->disk), 0);
		make_disk(e);
		assert_int_equal(sh("sgdisk -A 1:set:49 -A 1:set:56 %s >/dev/null", e->disk), 0);
		assert_flags(e, "0102000000000000", "0000000000000000");
		int killed = 0, boots = 0;
		char f[64] = "";
		/* power on again until committed on IMGB and recorded as UPDATED */
		while (boots < 8 && (strcmp(f, "0102000000000000") != 0 ||
				     sh("grep -qx status=4 %s/update.state", e->state) != 0)) {
			pid_t pid = fork();
			assert_true(pid >= 0);
			if (pid == 0)
				child_power_on(e, points[i], img, sha);
			int st;
			assert_int_equal(waitpid(pid, &st, 0), pid);
			if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
				killed++;
			else
				assert_int_equal(WEXITSTATUS(st), 0);
			boots++;
			gpt_flags(e, 2, f, sizeof(f));
		}
		snprintf(mark, sizeof(mark), "%s/crashed-%s", e->state, points[i]);
		print_message("crash point %s: %d power-ons\n", points[i], boots);
		assert_int_equal(access(mark, F_OK), 0);
		assert_int_equal(killed, 1);
		assert_flags(e, "0101000000000000", "0102000000000000");
		assert_int_equal(sh("grep -qx status=4 %s/update.state", e->state), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_dir_good_update_commits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dir_window_expiry_falls_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dir_window_changed_while_running, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dir_crash_at_start_falls_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dir_bad_hash_fails, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dir_no_agent_in_image_fails, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gpt_commit_and_fallback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gpt_too_big_image, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gpt_kill9_each_step, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gpt_refuses_bad_tables, setup, teardown),
	};
	return test_skip_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
