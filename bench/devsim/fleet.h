// SPDX-License-Identifier: Apache-2.0
/* The simulated devices: one P-256 key and self-signed certificate each,
 * cached in a directory (dev-NNNNNN.pem, key then certificate, mode 0600) so
 * reruns skip key generation, plus what each learns from the controller
 * (its UUID, its current config hash). */
#ifndef DEVSIM_FLEET_H
#define DEVSIM_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "confighash.h"
#include "envelope.h"
#include "uuidgen.h"

struct simdev {
	unsigned idx;
	char serial[48];
	char uuid[UUID_STR_LEN];          /* empty until /uuid answered */
	char config_hash[CONFIGHASH_LEN]; /* last hash the controller sent */
	struct eve_signer signer;         /* device key; signer.cert_pem owned */
	/* scenario scratch */
	char app_inst[UUID_STR_LEN]; /* rollout: the app instance configured */
	char app_ver[24];            /* and its version (reported back) */
	int state;
	uint64_t t_mark_ns;
	uint64_t seq;
	unsigned retries;
	bool busy;
};

struct fleet {
	struct simdev *devs; /* owned, n entries */
	size_t n;
	struct eve_signer onboard; /* onboarding key + cert (register) */
	char *onboard_pem;         /* owned: PEM of the onboarding cert */
};

/* Load or create devices first..first+n-1. cache_dir NULL = keys in memory
 * only (a fresh identity per run: the register storm). serial_prefix names
 * serials "<prefix>-NNNNNN". onboard_dir holds onboard.cert.pem and
 * onboard.key.pem. Free with fleet_free. */
int fleet_load(struct fleet *f, const char *cache_dir, unsigned first, size_t n, const char *serial_prefix,
	       const char *onboard_dir);
void fleet_free(struct fleet *f);

#endif
