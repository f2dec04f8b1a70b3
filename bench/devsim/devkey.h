// SPDX-License-Identifier: Apache-2.0
/* Deterministic, cheap device identities for the simulator: the private
 * scalar is SHA-256 of a label and the serial (mod the P-256 order), the
 * certificate a minimal self-signed X.509 v3 DER written by hand (CN = the
 * serial, ecdsa-with-SHA256). The same serial always gives the same
 * identity, so a rerun against the same controller needs no key cache, and
 * one identity costs a point multiplication and a sign (~0.1 ms) instead of
 * OpenSSL 3's key generation, X509 building, PEM files and decoders
 * (~4 ms). Benchmark keys only: anyone who knows a serial knows its key. */
#ifndef DEVSIM_DEVKEY_H
#define DEVSIM_DEVKEY_H

#include <stddef.h>
#include <stdint.h>

#define DEVKEY_PRIV_LEN 32
#define DEVKEY_CERT_MAX 640

/* Derive the identity of serial: priv (the scalar, big-endian) and a
 * self-signed certificate's DER in cert (*cert_len bytes). 0 or -errno. */
int devkey_derive(const char *serial, uint8_t priv[DEVKEY_PRIV_LEN], uint8_t cert[DEVKEY_CERT_MAX],
		  size_t *cert_len);
/* Sign a SHA-256 digest with priv: raw r||s in sig. 0 or -EVE_ECRYPTO. */
int devkey_sign(const uint8_t priv[DEVKEY_PRIV_LEN], const uint8_t digest[32], uint8_t sig[64]);

#endif
