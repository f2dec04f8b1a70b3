// SPDX-License-Identifier: Apache-2.0
/* The running controller: everything a request handler may need. */
#ifndef CTL_CTL_H
#define CTL_CTL_H

#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "conf.h"
#include "store.h"
#include "devcache.h"
#include "envelope.h"
#include <openssl/evp.h>

struct follow_hub;
struct replay;
struct commitq;
struct ctlmetrics;
struct scrapeauth;
struct ratelimit;
struct http_req;
struct console_hub;
struct console_record;

struct ctl {
	char dir[PATH_MAX];
	struct ctl_conf conf;
	struct store_pool *db;
	struct devcache *cache;
	struct eve_signer signer; /* signing.key.pem / signing.cert.pem */
	char *ecdh_pem;           /* ecdh.cert.pem as served by /certs */
	char *next_signing_pem;   /* signing-next.cert.pem during a rotation, else NULL */
	uint8_t *certs_env;       /* signed ZControllerCert, built at start */
	size_t certs_len;
	char base_url[300]; /* https://host:port of this controller */
	char fqdn[256];     /* host:port for DatastoreConfig.fqdn */
	time_t started;
	struct follow_hub *follow;
	struct replay *replay;         /* accepted device requests (replay.h) */
	struct commitq *commitq;       /* group commit of registrations (commitq.h), or NULL */
	struct cluster *cluster;       /* the other replicas' changes (cluster.h), or NULL */
	struct onboard_cache *onboard; /* the onboarding certificates (onboard.h) */
	/* Called with a note about what a device sent (the program logs it). */
	void (*log_device)(const char *uuid, const char *msg);
	/* Called for every reply with a 4xx or 5xx status (the program logs it). */
	void (*log_failure)(struct http_req *r);
	/* Admin routes: authenticate and authorize r before its body is read;
	 * 0 to go on, else a reply is set (access.c). NULL refuses them all. */
	int (*authorize)(struct http_req *r);
	/* Called with the reply of every state-changing admin request (audit). */
	void (*audit)(struct http_req *r);
	/* Called with libmicrohttpd's own error messages (TLS, sockets). */
	void (*log_http)(const char *msg);
	struct ctlmetrics *metrics;   /* request counters (ctlmetrics.h) */
	struct scrapeauth *scrape;    /* who may read /metrics */
	struct ratelimit *login_user; /* failed logins per user name */
	struct ratelimit *login_addr; /* failed logins per client address */
	int64_t cert_not_after;       /* earliest expiry of server/signing certs */
	int64_t cert_not_before;      /* latest start of their validity */
	int attest_overrides;         /* devices with their own attestation policy (atomic; attest.c) */
	EVP_PKEY *ecdh_key;           /* certs/ecdh.key.pem: encrypts CipherBlocks to devices */
	uint8_t secrets_key[32];      /* secrets.key: secrets at rest (secrets.c) */
	uint8_t secrets_nonce_key[32];
	/* Remote consoles (console.c): sessions and the edge-view dispatcher. */
	struct console_hub *console;
	/* Called once per console session when it ends (the program records
	 * it in its log and the audit trail). */
	void (*log_console)(struct ctl *c, const struct console_record *rec);
	/* The device's edge-view token while it has a console session
	 * (console_device_token; set by the program, so that config_build.c
	 * does not call into console.c, which calls back into devices). */
	int (*edgeview_token)(struct ctl *c, struct store *d, const char *uuid, char **token,
			      uint32_t *generation);
};

/* Paths under ctl->dir. */
#define CTL_DB_FILE "controller.db"
#define CTL_CONF_FILE "controller.conf"
#define CTL_TOKEN_FILE "admin-token"
#define CTL_METRICS_TOKEN_FILE "metrics-token" /* metrics.token_file default */
#define CTL_PID_FILE "controller.pid"
#define CTL_CERTS_DIR "certs"
#define CTL_DEVCFG_DIR "device-config"
#define CTL_DATASTORE_DIR "datastore"

/* A device's config changed: bump its version and drop the cached
 * config. db may be NULL (one is borrowed). */
void ctl_device_changed(struct ctl *c, struct store *db, const char *uuid); /* devcache.c */
/* ctl_device_changed for n devices at once: after the change committed,
 * the bumps and messages in one transaction of their own (one commit for
 * a fleet, not one per device). */
void ctl_devices_changed(struct ctl *c, struct store *db, char (*ids)[UUID_STR_LEN],
			 size_t n); /* devcache.c */
/* Every device's config is built from something that changed (an image,
 * a publisher key): drop them all, here and in the other replicas. db as
 * above, after the change committed. */
void ctl_configs_changed(struct ctl *c, struct store *db); /* devcache.c */

#endif
