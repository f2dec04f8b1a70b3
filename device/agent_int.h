// SPDX-License-Identifier: Apache-2.0
/* Private to the agent's control plane (agent.c, onboard.c, config_poll.c,
 * reporter.c): the one agent state they share. Only the main loop thread
 * touches it, except where a field says otherwise. */
#ifndef EVE_AGENT_INT_H
#define EVE_AGENT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <limits.h>
#include <openssl/x509.h>

#include "agent.h"
#include "appruntime.h"
#include "backoff.h"
#include "baseos.h"
#include "configdir.h"
#include "ctlclient.h"
#include "devops.h"
#include "envelope.h"
#include "identity.h"
#include "infoqueue.h"
#include "keystore.h"
#include "logship.h"
#include "dlroute.h"
#include "netmgr.h"
#include "settings.h"
#include "info/info.pb-c.h"

#define ONBOARD_MIN_MS 1000
#define ONBOARD_MAX_MS (10 * 60 * 1000)
#define ONBOARD_SLOW_MS (60 * 1000) /* 403/409: a person must act first */
#define FLUSH_MS 2000
#define LOG_BATCH_AGE_MS 10000 /* newlog batching: upload lines at most this late */
#define INFO_CHECK_MS 10000    /* how often device info is checked for changes */
#define MEDIA_SCAN_MS 3000     /* how often block devices are probed for EVE-CONFIG media */
#define CONFIG_HASH_MAX 128

struct agent {
	const struct agent_opts *o;
	struct configdir cd;
	struct keystore ks;
	X509 *devcert;
	struct eve_signer dev_signer;
	struct eve_signer onb_signer;
	bool have_onb;
	char serial[IDENTITY_SERIAL_MAX];
	char uuid[UUID_STR_LEN];
	bool have_uuid;  /* onboarded (uuid known) */
	bool need_uuid;  /* ask /uuid once per start */
	bool registered; /* registered during this start */
	struct ctlclient *cc;
	struct netmgr *nm;
	struct dlroute *dl;          /* the downloads' routes (from nm's plan) */
	struct dlroute_plan *dlplan; /* the plan last published to dl */
	struct infoqueue *iq;
	struct logship *ls;
	struct appruntime *rt;
	struct edgeview *ev; /* remote consoles (edgeview.c), may be NULL */
	struct baseos *bo;
	char bo_why[128];     /* without an updater: why this agent cannot update */
	struct media *media;  /* removable media with configuration (may be NULL) */
	struct devops devops; /* reboot / shutdown backend */
	char *trust_ctl_dir;  /* publisher keys from the signed config (trustkeys.h) */
	char *trust_path;     /* "<config dir>/image-trust:<trust_ctl_dir>" (cosign.h) */
	int trust_ctl_keys;   /* keys kept from the last config, -1 before */
	struct settings base; /* defaults + the config dir's config-items */
	struct settings set;
	char config_hash[CONFIG_HASH_MAX];
	/* Anti-rollback: EdgeDevConfig.id of the config applied from the
	 * checkpoint or the controller; a config for the same id with an
	 * older (numeric) version is refused. */
	char cfg_id[40];
	uint64_t cfg_version;
	bool cfg_version_known;
	char rollback_err[200];                       /* why the last controller config was refused, "" */
	char rollback_version[24];                    /* its version */
	Org__Lfedge__Eve__Config__EdgeDevConfig *cfg; /* owned: from a ConfigResponse or EdgeDevConfig */
	ProtobufCMessage *cfg_owner;                  /* what to free for cfg */
	uint32_t reboot_counter, shutdown_counter;
	bool devops_known;
	uint32_t restart_counter;
	bool promoted; /* lastconfig already copied to .bak */
	/* The controller certs generation lastconfig was verified under: after
	 * a rotation the config is fetched whole again, so that the checkpoint
	 * is signed by a certificate the device still trusts. */
	unsigned ckpt_certs_gen;
	char certs_confighash[80]; /* controllercert_confighash last seen */
	bool online;
	char last_ok_port[NETMGR_NAME_MAX + 1]; /* "" before any success / no ports */
	bool diag_due;                          /* connectivity changed: diagnosis to print */
	bool diag_done;                         /* the start's diagnosis was printed */
	bool info_dirty;
	int last_config_err; /* to log state changes once */
	bool logs_unsaved;   /* log files cannot be written (full disk): logged once */
	struct backoff onboard_bo;
	/* The controller refuses config with 403 (it requires remote
	 * attestation: an integrity token). Reported in the device info
	 * (attestation_info); config is polled with config_bo meanwhile. */
	bool itoken_refused;
	int64_t itoken_since; /* wall clock of the first 403 of this spell */
	struct backoff config_bo;
	char certs_cfghash[CONFIG_HASH_MAX]; /* last controllercert_confighash */
	uint8_t info_digest[32];             /* of the device info last queued */
	uint8_t hw_digest[32];               /* of the hardware inventory last queued */
	uint64_t next_onboard, next_config, next_info, next_metrics, next_flush, next_info_check;
	uint64_t next_media;
	/* Remote attestation (attest.c): the integrity token of the last good
	 * quote goes into every ConfigRequest. */
	uint8_t itoken[64];
	size_t itoken_len;
	bool attest_due; /* run the exchange at next_attest */
	uint64_t next_attest, last_attest;
	int attest_state;        /* ZInfoDevice AttestationState */
	char attest_err[256];    /* why the last exchange failed, "" */
	bool attest_notsup_said; /* "no TPM" logged once */
				 /* The vault key (vault.c): unsealed, or locked until released. */
#define VAULT_KEY_LEN 32
	uint8_t vault_key[VAULT_KEY_LEN];
	bool vault_have, vault_locked, vault_escrow_done;
	/* The encrypted volume store (--vault, vault_fs.h): open, or why not
	 * (then the runtime holds every app with that text). */
	bool vault_store_open;
	char vault_store_err[300];
	/* Apps of the current config the runtime must not start (their
	 * encrypted user data cannot be opened: secrets.c), and why. */
#define AGENT_REFUSE_MAX 64
	struct agent_refusal {
		char uuid[40];
		char why[256];
	} app_refused[AGENT_REFUSE_MAX];
	size_t n_app_refused;
};

static inline uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The base OS updater's clock: monotonic seconds (a wall clock step must
 * not cut or stretch a test window). */
static inline time_t now_mono_s(void)
{
	return (time_t)(now_ms() / 1000);
}

/* link.c: state files and the device-API link (below every other file
 * of the agent: it calls none of them). */
#define AGENT_PORT_FILE "mgmtport" /* state file: the management port that worked last */
int agent_state_path(const struct agent *a, const char *name, char out[PATH_MAX]);
int agent_counters_save(struct agent *a);
/* ctlclient_post over the current management port (x as there: the
 * caller frees x->resp and x->raw); reports reachability to netmgr. */
int agent_post(struct agent *a, struct ctlclient_xchg *x);

/* Record whether the controller answered through the current network
 * setting (moves to the next management port when it did not). */
void agent_reached(struct agent *a, bool reached);

/* onboard.c: controller certs, registration and UUID (with backoff). */
int onboard_ensure_certs(struct agent *a);
void onboard_step(struct agent *a);

/* config_poll.c: the config loop, its checkpoint and config application. */
void config_poll_apply_checkpoint(struct agent *a);
/* Verify and apply the BootstrapConfig file PATH; SOURCE names it in logs. */
int config_poll_apply_bootstrap(struct agent *a, const char *path, const char *source);
void config_poll_run(struct agent *a);
/* Milliseconds until the next config request: the jittered
 * timer.config.interval, or the backoff while config is refused (403). */
uint64_t config_poll_delay(struct agent *a);
/* Replace the current config (takes owner; NULL frees it). */
void config_poll_set(struct agent *a, Org__Lfedge__Eve__Config__EdgeDevConfig *cfg, ProtobufCMessage *owner);

/* reporter.c: device info, metrics, queue uploads, runtime callbacks. */
void reporter_device_info(struct agent *a, bool force);
void reporter_metrics(struct agent *a);
void reporter_flush(struct agent *a);
void reporter_on_info(void *ctx, const Org__Lfedge__Eve__Info__ZInfoMsg *msg);
void reporter_on_app_log(void *ctx, const char *app_uuid, const char *line);

#endif
