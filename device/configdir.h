// SPDX-License-Identifier: Apache-2.0
/* The configuration directory (EVE's /config): what a device is shipped
 * with. Files:
 *   server                host:port of the controller (required)
 *   root-certificate.pem  the only TLS / signing root trusted (required)
 *   onboard.cert.pem, onboard.key.pem   onboarding identity (both or none)
 *   bootstrap-config.pb   signed EdgeDevConfig used before first contact
 *   ports                 management interfaces to try, one per line
 *   managed-ports         interfaces the agent may configure (addresses,
 *                         routes, DHCP client) from the controller's port
 *                         config, one per line, or "*" for any; absent:
 *                         none (the host's addressing is used as is)
 *   proxy                 HTTP(S) proxy URL for the controller
 *   config-items          local defaults for config items, "key=value" lines
 *                         (the controller's items override them)
 *   image-trust/          publishers trusted to sign images and base OS
 *                         updates: *.pem (P-256 public keys or
 *                         certificates) and `policy`, one word
 *                         off|warn|require: the floor of images.signatures
 *                         that a controller cannot relax; and
 *                         `controller-keys`, one word allow|deny: whether
 *                         the signed config may add publisher keys
 *                         (config items images.trust.key.NAME, see
 *                         trustkeys.h); absent: allow
 * Every error message names the offending file. */
#ifndef EVE_CONFIGDIR_H
#define EVE_CONFIGDIR_H

#include <stdbool.h>
#include <stddef.h>

#define CONFIGDIR_MAX_PORTS 8

struct configdir {
	char *dir;
	char *server;            /* "host:port" */
	char *root_ca_path;      /* path of root-certificate.pem */
	char *onboard_cert_path; /* NULL when no onboarding files */
	char *onboard_key_path;
	char *bootstrap_path; /* NULL when absent */
	char *ports[CONFIGDIR_MAX_PORTS];
	size_t n_ports;
	char *managed[CONFIGDIR_MAX_PORTS]; /* managed-ports */
	size_t n_managed;
	char *proxy;               /* NULL when absent */
	char *config_items;        /* text of config-items, NULL when absent */
	char *image_trust_dir;     /* <dir>/image-trust (may not exist) */
	int image_sig_floor;       /* enum cosign_policy from image-trust/policy, 0 (off) when absent */
	bool image_trust_ctl_deny; /* image-trust/controller-keys says deny */
};

/* Read and validate dir into cd (freed with configdir_free). On error, err
 * holds a one-line message naming the file. */
int configdir_load(const char *dir, struct configdir *cd, char *err, size_t errlen);
void configdir_free(struct configdir *cd);

#endif
