// SPDX-License-Identifier: Apache-2.0
/* A/B base image self-update, agent side: download + verify a new base image,
 * write it to the inactive boot slot, switch the boot order "try once",
 * reboot, run the new image in a test window, then commit it or fall back to
 * the old slot. The boot slots are a seam (bootslot.h): a GPT disk with
 * IMGA/IMGB partitions (EVE's grub gptprio attributes) or two directories
 * with a state file (development and tests; see eve-slot-boot).
 *
 * Persistent state lives in state_dir (shared by both slots, like EVE's
 * /persist), written atomically, so a power cut (kill -9) at any step leaves
 * a device that boots a working image. Not thread-safe: call from the
 * agent's main loop. Library code: returns 0 / negative errno, never logs. */
#ifndef EVE_UPDATE_H
#define EVE_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct update;

#define UPDATE_VERSION_MAX 128
#define UPDATE_REASON_MAX 256
#define UPDATE_DEFAULT_TEST_WINDOW_S 600 /* timer.test.baseimage.update */

/* Update status reported to the controller: the values of EVE's public
 * BaseOsStatus enum (proto info.proto), so the agent can copy them. */
enum update_status {
	UPDATE_ST_NONE = 0,
	UPDATE_ST_DOWNLOADING = 1,
	UPDATE_ST_DOWNLOAD_DONE = 2,
	UPDATE_ST_UPDATING = 3, /* written + switched, or testing */
	UPDATE_ST_UPDATED = 4,
	UPDATE_ST_FALLBACK = 5,
	UPDATE_ST_FAILED = 6,
};

/* partitionState of a slot in device info. */
enum update_part_state {
	UPDATE_PART_UNUSED = 0,
	UPDATE_PART_ACTIVE,
	UPDATE_PART_INACTIVE,
	UPDATE_PART_UPDATING,
};

/* Optional download seam: fetch url into the file at path (created/
 * truncated). The library verifies the SHA-256 itself afterwards. When NULL,
 * the library's own libcurl download is used (http, https, file URLs). */
typedef int (*update_download_fn)(void *ctx, const char *url, const char *path, uint64_t max_bytes);

/* Optional health check run before commit; return 0 when healthy, else a
 * negative errno and a reason in why (NUL-terminated, <= why_len). */
typedef int (*update_health_fn)(void *ctx, char *why, size_t why_len);

/* Reboot seam: called instead of the backend's own reboot when set (tests,
 * or a device's own reboot path). Ignored for the dir backend under
 * eve-slot-boot ($EVE_SLOT_BOOT), where a reboot is an exit with
 * UPDATE_EXIT_REBOOT so that the host itself is never rebooted. */
typedef int (*update_reboot_fn)(void *ctx);

struct download_router;

struct update_opts {
	const char *backend;         /* "gpt" or "dir" */
	const char *target;          /* gpt: disk or disk image path; dir: slots dir */
	const char *state_dir;       /* persistent state (created 0700) */
	const char *current;         /* running slot "A"/"B" ("IMGA"/"IMGB" accepted);
					NULL: $EVE_SLOT, then the backend's idea */
	const char *running_version; /* version of this build; NULL: unknown */
	unsigned test_window_s;      /* 0: UPDATE_DEFAULT_TEST_WINDOW_S */
	uint64_t max_image_bytes;    /* 0: 4 GiB */
	const char *ca_path;         /* optional CA file for https downloads */
	const char *trust_dir;       /* publisher roots / keys (*.pem) for image signatures */
	/* how images are fetched (ports, proxies; download.h), NULL: default
	 * route. Borrowed: outlives the updater. */
	const struct download_router *router;
	update_download_fn download;
	update_health_fn health;
	update_reboot_fn reboot;
	void *ctx; /* passed to the three callbacks above */
};

/* What the controller asked for (EVE BaseOSConfig + its content tree). */
struct update_baseos {
	const char *version;   /* base_os_version, required */
	const char *url;       /* where the image (gpt: raw; dir: tarball) is */
	const char *sha256;    /* 64 hex characters, required */
	uint32_t retry_update; /* retry counter: bump to retry a failed version */
	bool activate;         /* false: download only (DOWNLOAD_DONE) */
	/* EVE's SignatureInfo: an ECDSA (DER) signature over the image's
	 * SHA-256 digest, and where the signer's (and an intermediate)
	 * certificate are (URLs; NULL/"" when none: a key of trust_dir must
	 * verify it) */
	const uint8_t *signature;
	size_t signature_len;
	const char *signer_cert_url, *inter_cert_url;
};

/* One partition/slot as shown in device info (ZInfoDevSW). */
struct update_slot_info {
	char label[8]; /* "IMGA" / "IMGB" */
	enum update_part_state state;
	bool activated;                   /* the running, committed slot */
	enum update_status status;        /* BaseOsStatus for this slot's version */
	char version[UPDATE_VERSION_MAX]; /* shortVersion, "" when unknown */
	char err[UPDATE_REASON_MAX];      /* errInfo description, "" if none */
	/* the publisher signature of the image written here: "signed by ..."
	 * (verified), "signature not verified ..." (used under warn), "" when
	 * not checked (policy off, or the image the device came with) */
	char signature[UPDATE_REASON_MAX];
};

/* images.signatures for base OS images (enum cosign_policy: 0 off, 1
 * warn, 2 require): checked after the download and before any byte is
 * written to the other slot; a refused image is FAILED with the reason and
 * not retried until retry_update grows. */
void update_set_sig_policy(struct update *u, int policy);
/* The last base OS image's signature verdict ("signed by ...", "signature
 * not verified ...", "refused: ..."; "" when not checked). Owned by u. */
const char *update_sig_note(const struct update *u);

/* Open the backend and load the persistent state. *out owned by the caller,
 * freed with update_close. */
int update_open(const struct update_opts *o, struct update **out);
void update_close(struct update *u);

/* Call once at agent start, after update_open: works out which slot runs,
 * whether this boot is a test window (starts its timer at now), or whether
 * the boot loader fell back from a failed new image (records FALLBACK and
 * its reason). May call the reboot seam when an armed update was never
 * booted. */
int update_boot_check(struct update *u, time_t now);

/* Offer the controller's current base OS config (each accepted config).
 * Idempotent: the running/committed version or an update in progress is a
 * no-op; a version that failed is only retried when retry_update grows.
 * Otherwise downloads (blocking) + verifies, writes the inactive slot,
 * arms it try-once and reboots through the seam (returns 0 after the seam
 * when it returns, e.g. in tests). Errors leave status FAILED with a reason. */
int update_apply_baseos(struct update *u, const struct update_baseos *req);

/* Call after every successful config fetch from the controller. In a test
 * window it runs the health check and, when healthy, commits: marks the
 * slot successful, status UPDATED. */
int update_controller_reached(struct update *u, time_t now);

/* Call periodically (e.g. each loop turn): when the test window ran out
 * (more than test_window_s seconds since update_boot_check's now, on the
 * same clock: callers pass a monotonic clock, so a wall clock step neither
 * cuts nor stretches it) without a commit, records the reason, switches
 * back to the old slot and reboots through the seam. */
int update_tick(struct update *u, time_t now);

/* Give up the test window now (e.g. own health check failed): like an
 * expired window with this reason. */
int update_fail_test(struct update *u, const char *reason);

/* Change the test window length (config property
 * timer.test.baseimage.update); 0 restores the default. Applies to a window
 * already running too. */
void update_set_test_window(struct update *u, unsigned seconds);

/* True while running a new image in its test window. */
bool update_in_test_window(const struct update *u);
/* Seconds until the test window expires (0 when none). */
unsigned update_window_left(const struct update *u, time_t now);

/* Both slots, [0] = IMGA, [1] = IMGB. */
int update_get_info(struct update *u, struct update_slot_info out[2]);
/* Overall status and reason of the last/ongoing update. */
enum update_status update_status(const struct update *u, const char **reason);

/* Static names: "DOWNLOADING", ..., "active", ... Never NULL. */
const char *update_status_name(enum update_status s);
const char *update_part_state_name(enum update_part_state s);

/* Exit code the dir backend's agent uses to ask eve-slot-boot for a
 * "reboot" (run the boot decision again). */
#define UPDATE_EXIT_REBOOT 75

#endif
