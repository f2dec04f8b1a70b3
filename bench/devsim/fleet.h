// SPDX-License-Identifier: Apache-2.0
/* The simulated devices: one P-256 key and self-signed certificate each,
 * derived from the serial (devkey.h: the same serial gives the same
 * identity on every run, ~0.1 ms each), plus what each learns from the
 * controller (its UUID, its current config hash). */
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
	struct eve_signer signer;         /* signs with priv; signer.cert_pem owned */
	uint8_t priv[32];                 /* the device's private scalar */
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

/* Make devices first..first+n-1 on `threads` threads (1-64). serial_prefix
 * names serials "<prefix>-NNNNNN" (a new prefix: new identities, as the
 * register storm wants). onboard_dir holds onboard.cert.pem and
 * onboard.key.pem. Free with fleet_free. */
int fleet_load(struct fleet *f, unsigned first, size_t n, const char *serial_prefix, const char *onboard_dir,
	       unsigned threads);
void fleet_free(struct fleet *f);

/* What the devices learnt from one controller (UUID, config hash), kept in
 * a file so a rerun of the same fleet against the same controller skips
 * onboarding. The file is bound to the onboarding certificate (one per
 * controller), the serial prefix, first and n: any other file is ignored
 * (-ESTALE); so is a malformed one (-EINVAL). Load before onboarding
 * (*known: devices with a UUID), save after it (written atomically). */
int fleet_state_load(struct fleet *f, const char *path, const char *serial_prefix, size_t *known);
int fleet_state_save(const struct fleet *f, const char *path, const char *serial_prefix);

#endif
