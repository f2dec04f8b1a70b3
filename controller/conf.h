// SPDX-License-Identifier: Apache-2.0
/* controller.conf: key=value lines, one table of known keys with defaults.
 * Unknown keys and out-of-range values are errors so typos do not pass. */
#ifndef CTL_CONF_H
#define CTL_CONF_H

#include <stddef.h>
#include <stdint.h>

struct ctl_conf {
	char listen[128];     /* ADDR:PORT */
	char host[256];       /* NAME[,IP...] the certificates were made for */
	int64_t public_port;  /* port in the URLs given out; 0: the listen port */
	int64_t threads;      /* HTTP worker threads */
	int64_t db_conns;     /* connections in the store's pool */
	char store[512];      /* "" (SQLite: DIR/controller.db) or postgresql://... */
	int64_t metrics_days; /* retention by age */
	int64_t metrics_max;  /* retention by count, per device */
	int64_t logs_days;
	int64_t logs_max;
	int64_t info_max; /* info history rows per device */
	int64_t flowlog_max;
	int64_t cap_body;         /* device API body cap (bytes) */
	int64_t cap_logs;         /* inflated newlogs cap (bytes) */
	int64_t cap_image;        /* largest image upload (bytes) */
	int64_t max_followers;    /* concurrent follow=1 log streams */
	char tls_priorities[512]; /* GnuTLS priority string of the HTTPS server */
	/* observability (docs/operations.md "Monitoring") */
	char log_format[16];          /* kv | json */
	char log_level[16];           /* error | warning | info | debug */
	char metrics_allow[512];      /* CIDRs that may scrape without the token */
	char metrics_token_file[256]; /* scrape token file (relative: to the dir) */
	int64_t offline_after;        /* seconds without contact = offline */
	int64_t fleet_max_devices;    /* /metrics/fleet exports at most this many */
	int64_t health_min_free_mb;   /* /readyz: free disk space floor */
	/* interoperability (docs/device-api.md) */
	int64_t strict_pem;     /* register: pemCert only as base64 of the PEM (EVE's form) */
	int64_t require_itoken; /* config: 403 without an integrity token */
	char attestation[16];   /* off | report | enforce (attest.c) */
	char
	    console_dispatcher[256]; /* host:port of this replica's console dispatcher ("": the public one) */
};

/* The default tls.priorities: TLS 1.3, and TLS 1.2 with ECDHE key exchange
 * and AEAD ciphers only (no TLS 1.0/1.1, no CBC, no static RSA). */
#define CONF_TLS_DEFAULT                                                                                     \
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:+CHACHA20-"        \
	"POLY1305:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA"

/* Fill c with the defaults. */
void conf_defaults(struct ctl_conf *c);
/* Parse a file over the current values. err receives "line N: ..." text.
 * 0, -ENOENT, -EINVAL. */
int conf_load(struct ctl_conf *c, const char *path, char *err, size_t errlen);
/* Write every key (atomically, 0600). */
int conf_save(const struct ctl_conf *c, const char *path);

#endif
