// SPDX-License-Identifier: Apache-2.0
/* Remote attestation: the agent's side of EVE's /attest exchange and its
 * own measurements (attest.c; the TPM work is in attest_tpm.c). Main loop
 * thread only. */
#ifndef EVE_ATTEST_H
#define EVE_ATTEST_H

struct agent;

/* Before first contact: extend the agent binary's and the config
 * directory's digests into ATTEST_TPM_AGENT_PCR, once per TPM reset. No-op
 * without a TPM. */
void attest_measure(struct agent *a);
/* Run the CERT / NONCE / QUOTE exchange: a->itoken on success; otherwise
 * a->attest_err says why and a->attest_due / next_attest schedule a retry. */
void attest_step(struct agent *a);

#endif
