// SPDX-License-Identifier: Apache-2.0
/* The vault key: 32 random bytes sealed in the TPM to SHA-256 PCRs 0..15
 * (<state>/vault.tpmkey), escrowed to the controller after a good
 * attestation (EVE's AttestVolumeKey, Z_ATTEST_REQ_TYPE_STORE_KEYS) and
 * handed back by it with a later good quote when the PCRs changed for a
 * legitimate reason (the key is then sealed again to the new PCRs). A disk
 * alone opens nothing: the sealed blob needs this TPM with these PCRs, and
 * the escrowed copy is released only after attestation. Main loop thread. */
#ifndef EVE_VAULT_H
#define EVE_VAULT_H

#include <stddef.h>
#include <stdint.h>

#include "attest/attest.pb-c.h"

struct agent;

/* At start, after the measurements: unseal, or make and seal a new key, or
 * stay locked (the PCRs differ) until the controller releases the key; with
 * --vault, then open the encrypted volume store (vault_fs.h) with it. */
void vault_open(struct agent *a);
/* The key to escrow, packed into *k (its key field points into *buf, which
 * the caller frees): 0, or -EALREADY when escrowed in this run or there is
 * no key. */
int vault_escrow_key(struct agent *a, Org__Lfedge__Eve__Attest__AttestVolumeKey *k, uint8_t **buf);
/* The escrow was stored by the controller. */
void vault_escrowed(struct agent *a);
/* A good quote's answer: when locked, open and reseal the released key. */
void vault_release(struct agent *a, const Org__Lfedge__Eve__Attest__ZAttestQuoteResp *q);

/* Tell the runtime which apps not to start: all of them while the volume
 * vault (--vault) is not open, else those whose encrypted user data did not
 * open (a->app_refused). */
void vault_push_refusals(struct agent *a);
/* The same, plus n_more other apps (at most AGENT_REFUSE_MAX). */
void vault_push_refusals_with(struct agent *a, const struct agent_refusal *more, size_t n_more);

#endif
