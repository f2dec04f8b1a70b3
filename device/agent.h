// SPDX-License-Identifier: Apache-2.0
/* The agent's control plane: identity, onboarding, the config loop with
 * its checkpoint, connectivity, and reporting (info, metrics, logs). */
#ifndef EVE_AGENT_H
#define EVE_AGENT_H

#include "eve_version.h"

/* The build's version (CMake EVE_VERSION). */
#define AGENT_VERSION EVE_VERSION

struct agent_opts {
	const char *config_dir;     /* EVE's /config (required) */
	const char *state_dir;      /* EVE's /persist (required) */
	const char *serial;         /* NULL: the machine's DMI serial */
	const char *tcti;           /* TPM TCTI; NULL: /dev/tpmrm0 if present, else file keys */
	const char *libvirt_uri;    /* runtime's hypervisor URI, NULL = default */
	const char *devops_record;  /* NULL: really reboot; else record requests in this file */
	const char *update_backend; /* "dir" / "gpt"; NULL: no A/B update */
	const char *update_target;
	const char *vault; /* size of the encrypted volume store (vault_fs.h), e.g. "1G";
			    * NULL: app volumes are not kept in a vault */
	int verbose;       /* 0 info, 1+ debug on stderr */
};

/* Run until stop_fd becomes readable (a signalfd or pipe). 0 on a clean
 * stop, negative errno when start-up failed (already logged). */
int agent_run(const struct agent_opts *o, int stop_fd);

/* `eve-agent diag`: print the connectivity diagnosis of every management
 * port (the running agent's setting and leases, read from the state dir;
 * nothing is configured) on stdout. Exit status: 0 when some port reaches
 * the controller, 1 when none does, 2 on bad config. */
int agent_diag(const struct agent_opts *o);

#endif
