// SPDX-License-Identifier: Apache-2.0
/* The self-update flow over the boot slot seam. The persistent record
 * (state_dir/update.state) says which step an update reached; together with
 * the slot attributes it lets every boot work out what happened, whatever
 * step a power cut interrupted:
 *
 *   none -> writing (target slot made unbootable, image being written)
 *        -> armed   (target marked try-once: priority 3, tries 1)
 *        -> [reboot; the loader spends the try]
 *        -> testing (new image runs its test window)
 *        -> none + UPDATED (committed: successful=1)
 *     or -> fallback (reason recorded, new slot made unbootable) -> [reboot]
 *        -> none + FALLBACK on the old slot.
 *
 * A crash or hang of the new image needs no code here: its try is spent and
 * it is not successful, so the loader boots the old slot, whose boot check
 * sees a pending update for the other slot and reports the fallback. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bootslot.h"
#include "cosign.h"
#include "err.h"
#include "fileio.h"
#include "hexstr.h"
#include "update.h"
#include "update_fetch.h"

#define STATE_CAP 16384
#define DEFAULT_MAX_IMAGE (UINT64_C(4) << 30)

/* gptprio values as EVE's zboot uses them. */
static const struct bootslot_attr ATTR_ACTIVE = {2, 0, true};
static const struct bootslot_attr ATTR_INACTIVE = {1, 0, true};
static const struct bootslot_attr ATTR_UPDATING = {3, 1, false};
static const struct bootslot_attr ATTR_UNUSED = {0, 0, false};

enum phase { PH_NONE, PH_WRITING, PH_ARMED, PH_TESTING, PH_FALLBACK };
static const char *const phase_names[] = {"none", "writing", "armed", "testing", "fallback"};

struct ustate {
	int phase;
	int target; /* slot of the pending / last update, -1 none */
	char version[UPDATE_VERSION_MAX];
	unsigned retry;
	char reason[UPDATE_REASON_MAX]; /* why the new image gave up */
	int status;                     /* enum update_status */
	char err[UPDATE_REASON_MAX];
	char failed_version[UPDATE_VERSION_MAX];
	unsigned failed_retry;
	char ver[BOOTSLOT_N][UPDATE_VERSION_MAX];
	/* the publisher signature verdict of the image written to each slot
	 * ("signed by ...", "signature not verified ...", "" when unchecked) */
	char sig[BOOTSLOT_N][UPDATE_REASON_MAX];
};

struct update {
	const struct bootslot_ops *ops;
	struct bootslot *b;
	char *state_dir;
	char *state_path;
	char *ca_path;
	struct update_opts o;             /* callbacks and numbers; strings above */
	char *trust_dir;                  /* o.trust_dir's copy */
	int sig_policy;                   /* enum cosign_policy */
	char sig_note[UPDATE_REASON_MAX]; /* the last image's signature verdict */
	struct ustate st;
	int cur;
	time_t win_start;
};

enum ftype { F_STR, F_UINT, F_INT, F_PHASE };
struct field {
	const char *key;
	enum ftype type;
	size_t off, size;
};

#define FS(k, m)                                                                                             \
	{                                                                                                    \
		k, F_STR, offsetof(struct ustate, m), sizeof(((struct ustate *)0)->m)                        \
	}
#define FU(k, m)                                                                                             \
	{                                                                                                    \
		k, F_UINT, offsetof(struct ustate, m), 0                                                     \
	}
#define FI(k, m)                                                                                             \
	{                                                                                                    \
		k, F_INT, offsetof(struct ustate, m), 0                                                      \
	}
static const struct field fields[] = {
    {"phase", F_PHASE, offsetof(struct ustate, phase), 0},
    FI("target", target),
    FS("version", version),
    FU("retry", retry),
    FS("reason", reason),
    FI("status", status),
    FS("err", err),
    FS("failed_version", failed_version),
    FU("failed_retry", failed_retry),
    FS("ver_A", ver[0]),
    FS("ver_B", ver[1]),
    FS("sig_A", sig[0]),
    FS("sig_B", sig[1]),
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

/* Test hook for the kill -9 tests: EVE_UPDATE_CRASH_AT=<point> kills the
 * process with SIGKILL the first time it passes that point (a marker file
 * in state_dir makes it once only, so the rebooted agent goes on). */
static void crashpoint(struct update *u, const char *point)
{
	const char *want = getenv("EVE_UPDATE_CRASH_AT");
	char mark[4096];

	if (!want || strcmp(want, point) != 0)
		return;
	if (snprintf(mark, sizeof(mark), "%s/crashed-%s", u->state_dir, point) >= (int)sizeof(mark))
		return;
	if (access(mark, F_OK) == 0)
		return;
	if (fileio_write_atomic(mark, "", 0, 0600) < 0)
		return;
	raise(SIGKILL);
}

/* Strings from the controller or from errors go into a line-based file. */
static void clean_copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
	for (char *c = dst; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
}

static bool version_ok(const char *v)
{
	size_t n = v ? strlen(v) : 0;
	if (n == 0 || n >= UPDATE_VERSION_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-:~", v[i]))
			return false;
	return true;
}

static void state_defaults(struct ustate *st)
{
	memset(st, 0, sizeof(*st));
	st->target = -1;
}

static int field_set(struct ustate *st, const struct field *f, const char *v)
{
	char *p = (char *)st + f->off, *end;
	long n;

	switch (f->type) {
	case F_STR:
		clean_copy(p, f->size, v);
		return 0;
	case F_PHASE:
		for (size_t i = 0; i < sizeof(phase_names) / sizeof(phase_names[0]); i++)
			if (strcmp(v, phase_names[i]) == 0) {
				*(int *)p = (int)i;
				return 0;
			}
		return -EVE_EPROTO;
	case F_UINT:
	case F_INT:
		n = strtol(v, &end, 10);
		if (*v == '\0' || *end != '\0' || n < (f->type == F_INT ? -1 : 0) || n > 0x7fffffff)
			return -EVE_EPROTO;
		if (f->type == F_UINT)
			*(unsigned *)p = (unsigned)n;
		else
			*(int *)p = (int)n;
		return 0;
	}
	return -EINVAL;
}

static int parse_kv(struct ustate *st, char *line)
{
	char *eq = strchr(line, '=');
	if (!eq)
		return 0;
	*eq = '\0';
	for (size_t i = 0; i < NFIELDS; i++)
		if (strcmp(line, fields[i].key) == 0)
			return field_set(st, &fields[i], eq + 1);
	return 0;
}

static int state_check(const struct ustate *st)
{
	if (st->target < -1 || st->target >= BOOTSLOT_N || st->status < 0 || st->status > UPDATE_ST_FAILED)
		return -EVE_EPROTO;
	if (st->phase != PH_NONE && st->target < 0)
		return -EVE_EPROTO;
	return 0;
}

static int state_load(struct update *u)
{
	uint8_t *data = NULL;
	size_t len;
	char *save = NULL;
	int r = fileio_read(u->state_path, STATE_CAP, &data, &len);

	state_defaults(&u->st);
	if (r == -ENOENT)
		return 0;
	for (char *l = r < 0 ? NULL : strtok_r((char *)data, "\n", &save); l && r == 0;
	     l = strtok_r(NULL, "\n", &save))
		r = parse_kv(&u->st, l);
	free(data);
	if (r == 0)
		r = state_check(&u->st);
	return r;
}

static int field_fmt(const struct ustate *st, const struct field *f, char *out, size_t len)
{
	const char *p = (const char *)st + f->off;
	switch (f->type) {
	case F_STR:
		return snprintf(out, len, "%s=%s\n", f->key, p);
	case F_PHASE:
		return snprintf(out, len, "%s=%s\n", f->key, phase_names[*(const int *)p]);
	case F_UINT:
		return snprintf(out, len, "%s=%u\n", f->key, *(const unsigned *)p);
	case F_INT:
		return snprintf(out, len, "%s=%d\n", f->key, *(const int *)p);
	}
	return -1;
}

static int state_save(struct update *u)
{
	char text[STATE_CAP];
	size_t off = 0;

	for (size_t i = 0; i < NFIELDS; i++) {
		int n = field_fmt(&u->st, &fields[i], text + off, sizeof(text) - off);
		if (n < 0 || (size_t)n >= sizeof(text) - off)
			return -EVE_ETOOBIG;
		off += (size_t)n;
	}
	return fileio_write_atomic(u->state_path, text, off, 0600);
}

static int set_attrs(struct update *u, int slot, struct bootslot_attr a, int other, struct bootslot_attr b)
{
	struct bootslot_attr attr[BOOTSLOT_N];
	int r = u->ops->get(u->b, attr);
	if (r < 0)
		return r;
	attr[slot] = a;
	if (other >= 0)
		attr[other] = b;
	return u->ops->set(u->b, attr);
}

/* Under eve-slot-boot the "machine" to reboot is the supervisor: the dir
 * backend's own reboot (exit code) always, never a caller's seam that
 * might reboot the host. */
static int do_reboot(struct update *u)
{
	if (u->ops->supervised_reboot && getenv("EVE_SLOT_BOOT"))
		return u->ops->reboot(u->b);
	if (u->o.reboot)
		return u->o.reboot(u->o.ctx);
	return u->ops->reboot(u->b);
}

/* Which slot runs: caller's word, $EVE_SLOT, the backend, then the
 * highest-priority successful slot. */
static int find_current(struct update *u, const char *given)
{
	struct bootslot_attr attr[BOOTSLOT_N];
	const char *s = given ? given : getenv("EVE_SLOT");
	int slot = s ? bootslot_parse(s) : -ENOENT;

	if (s && slot < 0)
		return slot;
	if (slot < 0)
		slot = u->ops->booted(u->b);
	if (slot >= 0)
		return slot;
	int r = u->ops->get(u->b, attr);
	if (r < 0)
		return r;
	return attr[1].successful && attr[1].priority > attr[0].priority ? 1 : 0;
}

void update_close(struct update *u)
{
	if (!u)
		return;
	if (u->b)
		u->ops->close(u->b);
	free(u->state_dir);
	free(u->state_path);
	free(u->ca_path);
	free(u->trust_dir);
	free(u);
}

int update_open(const struct update_opts *o, struct update **out)
{
	struct update *u = calloc(1, sizeof(*u));
	int r = -ENOMEM;

	if (!u)
		return -ENOMEM;
	u->o = *o;
	u->ops = bootslot_find(o->backend);
	if (!u->ops || !o->target || !o->state_dir) {
		r = -EINVAL;
		goto out;
	}
	if (asprintf(&u->state_path, "%s/update.state", o->state_dir) < 0 ||
	    !(u->state_dir = strdup(o->state_dir)) || (o->ca_path && !(u->ca_path = strdup(o->ca_path))) ||
	    (o->trust_dir && !(u->trust_dir = strdup(o->trust_dir)))) {
		u->state_path = NULL;
		goto out;
	}
	u->o.backend = u->o.target = u->o.state_dir = u->o.current = u->o.ca_path = u->o.trust_dir = NULL;
	if (!u->o.test_window_s)
		u->o.test_window_s = UPDATE_DEFAULT_TEST_WINDOW_S;
	if (!u->o.max_image_bytes)
		u->o.max_image_bytes = DEFAULT_MAX_IMAGE;
	if ((r = fileio_mkdirs(o->state_dir, 0700)) < 0 || (r = u->ops->open(o->target, &u->b)) < 0)
		goto out;
	if ((r = state_load(u)) < 0 || (r = find_current(u, o->current)) < 0)
		goto out;
	u->cur = r;
	r = 0;
	if (o->running_version && version_ok(o->running_version) && !u->st.ver[u->cur][0])
		clean_copy(u->st.ver[u->cur], UPDATE_VERSION_MAX, o->running_version);
	*out = u;
	u = NULL;
out:
	update_close(u);
	return r;
}

/* The new image gave up (or never came up): back on the old slot now. */
static int finish_fallback(struct update *u, const char *why)
{
	int t = u->st.target;
	int r = set_attrs(u, t, ATTR_UNUSED, u->cur, ATTR_ACTIVE);
	if (r < 0)
		return r;
	clean_copy(u->st.err, sizeof(u->st.err), why);
	snprintf(u->st.failed_version, sizeof(u->st.failed_version), "%s", u->st.version);
	u->st.failed_retry = u->st.retry;
	u->st.status = UPDATE_ST_FALLBACK;
	u->st.phase = PH_NONE;
	u->st.reason[0] = '\0';
	return state_save(u);
}

static int commit(struct update *u)
{
	int other = 1 - u->cur;
	struct bootslot_attr old = u->st.ver[other][0] ? ATTR_INACTIVE : ATTR_UNUSED;
	int r = set_attrs(u, u->cur, ATTR_ACTIVE, other, old);
	if (r < 0)
		return r;
	crashpoint(u, "committed");
	u->st.phase = PH_NONE;
	u->st.status = UPDATE_ST_UPDATED;
	u->st.err[0] = '\0';
	if (strcmp(u->st.failed_version, u->st.version) == 0)
		u->st.failed_version[0] = '\0';
	return state_save(u);
}

static int start_window(struct update *u, time_t now)
{
	u->st.phase = PH_TESTING;
	u->st.status = UPDATE_ST_UPDATING;
	u->win_start = now;
	return state_save(u);
}

/* Running the slot the pending update targeted. */
static int boot_on_target(struct update *u, const struct bootslot_attr *a, time_t now)
{
	if (a->successful)
		return u->st.phase == PH_FALLBACK ? finish_fallback(u, u->st.reason) : commit(u);
	if (u->st.phase == PH_FALLBACK) /* gave up, crashed before switching */
		return update_fail_test(u, u->st.reason);
	return start_window(u, now);
}

/* Running the other slot while an update is pending. */
static int boot_on_other(struct update *u, const struct bootslot_attr *t)
{
	char note[BOOTSLOT_NOTE_MAX] = "", why[UPDATE_REASON_MAX];

	if (u->st.phase == PH_WRITING) { /* cut while writing: just forget it */
		u->st.phase = PH_NONE;
		u->st.status = UPDATE_ST_NONE;
		u->st.ver[u->st.target][0] = '\0';
		u->st.sig[u->st.target][0] = '\0';
		int r = set_attrs(u, u->st.target, ATTR_UNUSED, -1, ATTR_UNUSED);
		return r < 0 ? r : state_save(u);
	}
	if (u->st.phase == PH_ARMED && t->priority && t->tries) /* cut before the reboot */
		return do_reboot(u);
	u->ops->take_note(u->b, note, sizeof(note));
	if (u->st.reason[0])
		snprintf(why, sizeof(why), "%s", u->st.reason);
	else if (note[0])
		snprintf(why, sizeof(why), "%s", note);
	else
		snprintf(why, sizeof(why),
			 "%s %s did not confirm its test window (crash, hang or power loss)",
			 bootslot_label(u->st.target), u->st.version);
	return finish_fallback(u, why);
}

/* Downloads left by a power cut (or for an update since replaced). */
static void drop_stale_downloads(struct update *u)
{
	DIR *d = opendir(u->state_dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "baseos-", 7) == 0)
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

int update_boot_check(struct update *u, time_t now)
{
	struct bootslot_attr attr[BOOTSLOT_N];
	int r = u->ops->get(u->b, attr);

	if (r < 0)
		return r;
	if (u->st.phase == PH_NONE && u->st.status != UPDATE_ST_DOWNLOAD_DONE)
		drop_stale_downloads(u);
	if (u->st.phase == PH_NONE) {
		/* First boot of an installed device: adopt the running slot. */
		if (!attr[u->cur].successful || attr[u->cur].priority == 0)
			r = set_attrs(u, u->cur, ATTR_ACTIVE, -1, ATTR_UNUSED);
		return r;
	}
	if (u->cur == u->st.target)
		return boot_on_target(u, &attr[u->cur], now);
	return boot_on_other(u, &attr[u->st.target]);
}

/* Record a failure. A version whose image could not be installed is not
 * tried again until retry_update grows (a download failure is retried). */
static int fail(struct update *u, int err, const char *what)
{
	if (u->st.phase == PH_WRITING) {
		snprintf(u->st.failed_version, sizeof(u->st.failed_version), "%s", u->st.version);
		u->st.failed_retry = u->st.retry;
	}
	snprintf(u->st.err, sizeof(u->st.err), "%s: %s", what, eve_strerror(err));
	u->st.status = UPDATE_ST_FAILED;
	u->st.phase = PH_NONE;
	state_save(u);
	return err;
}

/* Download (unless a verified copy is already there) and check the hash. */
static int fetch_verified(struct update *u, const struct update_baseos *req, const char *path)
{
	uint8_t want[32], got[32];
	int r = hexstr_decode(req->sha256, want, sizeof(want));

	if (r < 0)
		return r;
	if (update_file_sha256(path, got) == 0 && memcmp(got, want, 32) == 0)
		return 0;
	if (u->o.download)
		r = u->o.download(u->o.ctx, req->url, path, u->o.max_image_bytes);
	else
		r = update_fetch(req->url, path, u->o.max_image_bytes, u->ca_path, u->o.router);
	crashpoint(u, "downloaded");
	if (r == 0)
		r = update_file_sha256(path, got);
	if (r == 0 && memcmp(got, want, 32) != 0)
		r = -EVE_EHASH;
	if (r < 0)
		unlink(path);
	return r;
}

/* A refused signature: like a failed write, not retried until
 * retry_update grows (the image would be downloaded again for nothing). */
static int fail_sig(struct update *u, int err, const char *why)
{
	snprintf(u->st.failed_version, sizeof(u->st.failed_version), "%s", u->st.version);
	u->st.failed_retry = u->st.retry;
	snprintf(u->st.err, sizeof(u->st.err), "signature (images.signatures=require): %.200s", why);
	u->st.status = UPDATE_ST_FAILED;
	u->st.phase = PH_NONE;
	state_save(u);
	return err;
}

/* A certificate named by the signature info, into *pem (NULL url: none). */
static int fetch_cert(struct update *u, const char *url, const char *name, char **pem, size_t *len)
{
	char path[4096];
	uint8_t *data = NULL;
	int r;

	*pem = NULL;
	*len = 0;
	if (!url || !*url)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", u->state_dir, name);
	r = update_fetch(url, path, 64 * 1024, u->ca_path, u->o.router);
	if (r == 0)
		r = fileio_read(path, 64 * 1024, &data, len);
	unlink(path);
	if (r == 0)
		*pem = (char *)data;
	return r;
}

/* The publisher signature of the downloaded image (digest = its sha256):
 * 0 to go on (verified, or allowed by the policy), else refused. */
static int check_signature(struct update *u, const struct update_baseos *req, const uint8_t digest[32])
{
	char *signer = NULL, *inter = NULL, who[128] = "", why[256] = "";
	size_t sl = 0, il = 0;
	int r;

	u->sig_note[0] = '\0';
	if (u->sig_policy == COSIGN_POLICY_OFF)
		return 0;
	if (!req->signature || !req->signature_len) {
		snprintf(why, sizeof(why), "unsigned base OS image");
		r = -EVE_EBADSIG;
	} else if ((r = fetch_cert(u, req->signer_cert_url, "signer.pem", &signer, &sl)) < 0 ||
		   (r = fetch_cert(u, req->inter_cert_url, "inter.pem", &inter, &il)) < 0) {
		snprintf(why, sizeof(why), "signer certificate not fetched: %s", eve_strerror(r));
	} else {
		r = cosign_detached_verify(u->trust_dir ? u->trust_dir : "/nonexistent", digest,
					   req->signature, req->signature_len, signer, sl, inter, il, who,
					   sizeof(who), why, sizeof(why));
	}
	free(signer);
	free(inter);
	if (r == 0) {
		snprintf(u->sig_note, sizeof(u->sig_note), "signed by %.100s", who);
		return 0;
	}
	if (u->sig_policy == COSIGN_POLICY_WARN) {
		snprintf(u->sig_note, sizeof(u->sig_note),
			 "signature not verified (images.signatures=warn): %.150s", why);
		return 0;
	}
	snprintf(u->sig_note, sizeof(u->sig_note), "refused: %.200s", why);
	return fail_sig(u, r < 0 ? r : -EVE_EBADSIG, why);
}

const char *update_sig_note(const struct update *u)
{
	return u ? u->sig_note : "";
}

void update_set_sig_policy(struct update *u, int policy)
{
	if (u)
		u->sig_policy = policy;
}

/* Whether req asks for something to do at all. */
static bool wanted(struct update *u, const struct update_baseos *req)
{
	struct ustate *st = &u->st;

	if (st->phase != PH_NONE) /* one update at a time */
		return false;
	if (strcmp(req->version, st->ver[u->cur]) == 0)
		return false;
	if (strcmp(req->version, st->failed_version) == 0 && req->retry_update <= st->failed_retry)
		return false;
	if (!req->activate && st->status == UPDATE_ST_DOWNLOAD_DONE && strcmp(st->version, req->version) == 0)
		return false;
	return true;
}

/* Write the verified image to the other slot and arm it try-once. */
static int install(struct update *u, const struct update_baseos *req, const char *path)
{
	int t = 1 - u->cur, r;

	u->st.phase = PH_WRITING;
	u->st.target = t;
	u->st.ver[t][0] = '\0';
	u->st.sig[t][0] = '\0';
	u->st.reason[0] = '\0';
	u->st.status = UPDATE_ST_UPDATING;
	if ((r = state_save(u)) < 0)
		return r;
	if ((r = set_attrs(u, t, ATTR_UNUSED, -1, ATTR_UNUSED)) < 0)
		return fail(u, r, "invalidate slot");
	crashpoint(u, "writing");
	if ((r = u->ops->write_image(u->b, t, path)) < 0)
		return fail(u, r, "write image");
	crashpoint(u, "written");
	clean_copy(u->st.ver[t], UPDATE_VERSION_MAX, req->version);
	clean_copy(u->st.sig[t], UPDATE_REASON_MAX, u->sig_note);
	if ((r = set_attrs(u, t, ATTR_UPDATING, u->cur, ATTR_ACTIVE)) < 0)
		return fail(u, r, "arm slot");
	crashpoint(u, "armed");
	u->st.phase = PH_ARMED;
	if ((r = state_save(u)) < 0)
		return r;
	unlink(path);
	crashpoint(u, "rebooting");
	return do_reboot(u);
}

int update_apply_baseos(struct update *u, const struct update_baseos *req)
{
	char path[4096];
	uint8_t digest[32];
	int r;

	if (!version_ok(req->version) || !req->sha256 || strlen(req->sha256) != 64 || !req->url ||
	    hexstr_decode(req->sha256, digest, sizeof(digest)) < 0)
		return -EINVAL;
	if (!wanted(u, req))
		return 0;
	if (snprintf(path, sizeof(path), "%s/baseos-%s.img", u->state_dir, req->sha256) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	clean_copy(u->st.version, sizeof(u->st.version), req->version);
	u->st.retry = req->retry_update;
	u->st.target = 1 - u->cur;
	u->st.status = UPDATE_ST_DOWNLOADING;
	u->st.err[0] = '\0';
	if ((r = state_save(u)) < 0)
		return r;
	crashpoint(u, "downloading");
	if ((r = fetch_verified(u, req, path)) < 0)
		return fail(u, r, "download");
	if ((r = check_signature(u, req, digest)) < 0) {
		unlink(path); /* refused before any byte reaches the other slot */
		return r;
	}
	u->st.status = UPDATE_ST_DOWNLOAD_DONE;
	if (!req->activate)
		return state_save(u);
	return install(u, req, path);
}

int update_controller_reached(struct update *u, time_t now)
{
	char why[UPDATE_REASON_MAX] = "";

	if (u->st.phase != PH_TESTING)
		return 0;
	if (u->o.health && u->o.health(u->o.ctx, why, sizeof(why)) < 0)
		return update_fail_test(u, why[0] ? why : "health check failed");
	return commit(u);
}

int update_fail_test(struct update *u, const char *reason)
{
	int r;

	if (u->st.phase != PH_TESTING && u->st.phase != PH_FALLBACK)
		return -EINVAL;
	u->st.phase = PH_FALLBACK;
	clean_copy(u->st.reason, sizeof(u->st.reason), reason);
	if ((r = state_save(u)) < 0)
		return r;
	crashpoint(u, "falling-back");
	if ((r = set_attrs(u, u->cur, ATTR_UNUSED, 1 - u->cur, ATTR_ACTIVE)) < 0)
		return r;
	return do_reboot(u);
}

int update_tick(struct update *u, time_t now)
{
	char why[UPDATE_REASON_MAX];

	/* Clocks in whole seconds: a window that started late in its second
	 * ends once more than test_window_s seconds have passed, never before
	 * the full window (>= would end it up to 1 s early). */
	if (u->st.phase != PH_TESTING || now - u->win_start <= (time_t)u->o.test_window_s)
		return 0;
	snprintf(why, sizeof(why), "%s %s did not reach the controller within the %u s test window",
		 bootslot_label(u->cur), u->st.version, u->o.test_window_s);
	return update_fail_test(u, why);
}

void update_set_test_window(struct update *u, unsigned seconds)
{
	u->o.test_window_s = seconds ? seconds : UPDATE_DEFAULT_TEST_WINDOW_S;
}

bool update_in_test_window(const struct update *u)
{
	return u->st.phase == PH_TESTING && u->cur == u->st.target;
}

unsigned update_window_left(const struct update *u, time_t now)
{
	if (!update_in_test_window(u))
		return 0;
	time_t used = now - u->win_start;
	return used >= (time_t)u->o.test_window_s ? 0 : (unsigned)(u->o.test_window_s - (unsigned)used);
}

static enum update_part_state part_state(const struct update *u, int i, const struct bootslot_attr *a)
{
	if (i == u->cur)
		return UPDATE_PART_ACTIVE;
	if (i == u->st.target && (u->st.phase == PH_WRITING || u->st.phase == PH_ARMED))
		return UPDATE_PART_UPDATING;
	if (a->priority > 0)
		return UPDATE_PART_INACTIVE;
	return UPDATE_PART_UNUSED;
}

int update_get_info(struct update *u, struct update_slot_info out[2])
{
	struct bootslot_attr attr[BOOTSLOT_N];
	int r = u->ops->get(u->b, attr);

	if (r < 0)
		return r;
	for (int i = 0; i < BOOTSLOT_N; i++) {
		struct update_slot_info *s = &out[i];
		memset(s, 0, sizeof(*s));
		snprintf(s->label, sizeof(s->label), "%s", bootslot_label(i));
		s->state = part_state(u, i, &attr[i]);
		s->activated = i == u->cur && attr[i].successful;
		snprintf(s->version, sizeof(s->version), "%s", u->st.ver[i]);
		snprintf(s->signature, sizeof(s->signature), "%s", u->st.sig[i]);
		if (i == u->st.target) {
			s->status = (enum update_status)u->st.status;
			snprintf(s->err, sizeof(s->err), "%s", u->st.err);
		}
	}
	return 0;
}

enum update_status update_status(const struct update *u, const char **reason)
{
	if (reason)
		*reason = u->st.err;
	return (enum update_status)u->st.status;
}

const char *update_status_name(enum update_status s)
{
	static const char *const names[] = {"NONE",    "DOWNLOADING", "DOWNLOAD_DONE", "UPDATING",
					    "UPDATED", "FALLBACK",    "FAILED"};
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "UNKNOWN";
}

const char *update_part_state_name(enum update_part_state s)
{
	static const char *const names[] = {"unused", "active", "inactive", "updating"};
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}
