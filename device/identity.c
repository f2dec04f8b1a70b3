// SPDX-License-Identifier: Apache-2.0
/* Device identity.
 *
 * The certificate is built generically over any key store: OpenSSL cannot
 * sign with a key it does not hold (short of writing a provider), so we let
 * OpenSSL encode the certificate once with a throwaway key (which fills in
 * the algorithm identifiers and the TBS encoding), then have the key store
 * sign SHA-256(TBS) and assemble Certificate ::= SEQUENCE { tbs, alg, sig }
 * ourselves. The result is parsed back and verified against the store's
 * public key before it is used. */
#include "identity.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "crypto.h"
#include "err.h"
#include "fileio.h"

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok;

	if (!ext)
		return -EVE_ECRYPTO;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -EVE_ECRYPTO;
}

/* Subject CN=cn, issuer = subject (issuer NULL) or issuer's subject,
 * random serial, validity from an hour ago, pub and its key identifiers. */
static int tbs_fill(X509 *x, EVP_PKEY *pub, const char *cn, int days, X509 *issuer)
{
	X509_NAME *name = X509_get_subject_name(x);
	unsigned char serial[16];
	ASN1_INTEGER *sn = NULL;
	BIGNUM *bn = NULL;
	X509V3_CTX ctx;
	int r = -EVE_ECRYPTO;

	if (RAND_bytes(serial, sizeof(serial)) != 1)
		return r;
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	sn = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	if (!sn || X509_set_version(x, 2) != 1 || X509_set_serialNumber(x, sn) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) !=
		1 ||
	    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) != 1 ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), days, 0, NULL) || X509_set_pubkey(x, pub) != 1)
		goto out;
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	r = add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE");
	if (r == 0)
		r = add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature");
	if (r == 0)
		r = add_ext(x, &ctx, NID_subject_key_identifier, "hash");
	if (r == 0)
		r = add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always");
out:
	ASN1_INTEGER_free(sn);
	BN_free(bn);
	return r;
}

/* The certificate signed once with a throwaway key, so OpenSSL writes the
 * algorithm identifiers and encodes the TBS. */
static int tbs_template(EVP_PKEY *pub, const char *cn, int days, X509 *issuer, X509 **out)
{
	EVP_PKEY *tmp = NULL;
	X509 *x = X509_new();
	int r = -ENOMEM;

	if (!x)
		return r;
	r = crypto_ec_generate(&tmp);
	if (r == 0)
		r = tbs_fill(x, pub, cn, days, issuer);
	if (r == 0 && !X509_sign(x, tmp, EVP_sha256()))
		r = -EVE_ECRYPTO;
	if (r < 0)
		goto out;
	*out = x;
	x = NULL;
out:
	ERR_clear_error();
	X509_free(x);
	EVP_PKEY_free(tmp);
	return r;
}

/* DER length octets for n; returns how many were written into p. */
static size_t der_len(uint8_t *p, size_t n)
{
	if (n < 0x80) {
		p[0] = (uint8_t)n;
		return 1;
	}
	if (n < 0x100) {
		p[0] = 0x81;
		p[1] = (uint8_t)n;
		return 2;
	}
	p[0] = 0x82;
	p[1] = (uint8_t)(n >> 8);
	p[2] = (uint8_t)n;
	return 3;
}

static int assemble(const uint8_t *tbs, size_t tbs_len, const X509_ALGOR *alg, const uint8_t *sigder,
		    size_t sig_len, X509 **out)
{
	ASN1_BIT_STRING *bs = ASN1_BIT_STRING_new();
	uint8_t *algder = NULL, *bsder = NULL, *der = NULL;
	const uint8_t *p;
	int alg_len, bs_len, r = -EVE_ECRYPTO;
	size_t body, off = 0;

	if (!bs || !ASN1_BIT_STRING_set(bs, (unsigned char *)sigder, (int)sig_len))
		goto out;
	/* No unused bits in a signature. */
	bs->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
	bs->flags |= ASN1_STRING_FLAG_BITS_LEFT;
	alg_len = i2d_X509_ALGOR(alg, &algder);
	bs_len = i2d_ASN1_BIT_STRING(bs, &bsder);
	if (alg_len <= 0 || bs_len <= 0)
		goto out;
	body = tbs_len + (size_t)alg_len + (size_t)bs_len;
	if (body > 0xffff)
		goto out;
	der = malloc(body + 4);
	if (!der) {
		r = -ENOMEM;
		goto out;
	}
	der[off++] = 0x30;
	off += der_len(der + off, body);
	memcpy(der + off, tbs, tbs_len);
	memcpy(der + off + tbs_len, algder, (size_t)alg_len);
	memcpy(der + off + tbs_len + alg_len, bsder, (size_t)bs_len);
	p = der;
	*out = d2i_X509(NULL, &p, (long)(off + body));
	r = *out ? 0 : -EVE_ECRYPTO;
out:
	ASN1_BIT_STRING_free(bs);
	OPENSSL_free(algder);
	OPENSSL_free(bsder);
	free(der);
	return r;
}

static int sign_tbs(struct keystore *ks, X509 *tmpl, X509 **out)
{
	const ASN1_BIT_STRING *oldsig;
	const X509_ALGOR *alg;
	uint8_t *tbs = NULL, *sigder = NULL;
	uint8_t digest[CRYPTO_SHA256_LEN], sig[CRYPTO_SIG_LEN];
	size_t sig_len = 0;
	int tbs_len, r;

	tbs_len = i2d_re_X509_tbs(tmpl, &tbs);
	if (tbs_len <= 0)
		return -EVE_ECRYPTO;
	r = crypto_sha256(tbs, (size_t)tbs_len, digest);
	if (r == 0)
		r = keystore_sign(ks, digest, sig);
	if (r == 0)
		r = crypto_sig_raw_to_der(sig, &sigder, &sig_len);
	if (r < 0)
		goto out;
	X509_get0_signature(&oldsig, &alg, tmpl);
	r = assemble(tbs, (size_t)tbs_len, alg, sigder, sig_len, out);
out:
	OPENSSL_free(tbs);
	free(sigder);
	return r;
}

int identity_cert_build(struct keystore *ks, const char *cn, int days, X509 **out)
{
	EVP_PKEY *pub = NULL;
	X509 *tmpl = NULL, *x = NULL;
	int r;

	r = keystore_pubkey(ks, &pub);
	if (r < 0)
		return r;
	r = tbs_template(pub, cn, days, NULL, &tmpl);
	if (r == 0)
		r = sign_tbs(ks, tmpl, &x);
	if (r == 0 && X509_verify(x, pub) != 1)
		r = -EVE_EBADSIG;
	if (r < 0)
		goto out;
	*out = x;
	x = NULL;
out:
	X509_free(x);
	X509_free(tmpl);
	EVP_PKEY_free(pub);
	return r;
}

int identity_cert_issue(struct keystore *ks, X509 *issuer, EVP_PKEY *subject, const char *cn, int days,
			X509 **out)
{
	X509 *tmpl = NULL, *x = NULL;
	int r = tbs_template(subject, cn, days, issuer, &tmpl);

	if (r == 0)
		r = sign_tbs(ks, tmpl, &x);
	if (r == 0 && X509_verify(x, X509_get0_pubkey(issuer)) != 1)
		r = -EVE_EBADSIG;
	if (r < 0)
		goto out;
	*out = x;
	x = NULL;
out:
	X509_free(x);
	X509_free(tmpl);
	return r;
}

static int cert_matches_store(struct keystore *ks, X509 *x)
{
	EVP_PKEY *pub = NULL;
	int r;

	r = keystore_pubkey(ks, &pub);
	if (r < 0)
		return r;
	r = EVP_PKEY_eq(X509_get0_pubkey(x), pub) == 1 ? 0 : -EVE_EBADCERT;
	EVP_PKEY_free(pub);
	return r;
}

int identity_cert_load_or_create(struct keystore *ks, const char *state_dir, X509 **out)
{
	char path[PATH_MAX];
	X509 *x = NULL;
	int r;

	if (snprintf(path, sizeof(path), "%s/device.cert.pem", state_dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	r = crypto_cert_load_pem(path, &x);
	if (r == 0) {
		r = cert_matches_store(ks, x);
	} else if (r == -ENOENT) {
		r = identity_cert_build(ks, "eve-device", IDENTITY_CERT_DAYS, &x);
		if (r == 0)
			r = crypto_cert_save_pem(path, x);
	}
	if (r < 0)
		goto out;
	*out = x;
	x = NULL;
out:
	X509_free(x);
	return r;
}

/* First line of a small file, trimmed and limited to printable characters. */
static int read_token(const char *path, char out[IDENTITY_SERIAL_MAX])
{
	uint8_t *data = NULL;
	size_t len = 0, n = 0;

	if (fileio_read(path, 4096, &data, &len) < 0)
		return -ENOENT;
	for (size_t i = 0; i < len && n + 1 < IDENTITY_SERIAL_MAX; i++) {
		if (data[i] == '\n')
			break;
		if (isgraph(data[i]))
			out[n++] = (char)data[i];
	}
	out[n] = '\0';
	free(data);
	return n ? 0 : -ENOENT;
}

void identity_serial(const char *override, char out[IDENTITY_SERIAL_MAX])
{
	static const char *const sources[] = {
	    "/sys/class/dmi/id/product_serial",
	    "/sys/class/dmi/id/board_serial",
	    "/etc/machine-id",
	};

	if (override && *override) {
		snprintf(out, IDENTITY_SERIAL_MAX, "%s", override);
		return;
	}
	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
		if (read_token(sources[i], out) == 0)
			return;
	snprintf(out, IDENTITY_SERIAL_MAX, "unknown");
}

int identity_uuid_load(const char *state_dir, char out[UUID_STR_LEN])
{
	char path[PATH_MAX], tok[IDENTITY_SERIAL_MAX];

	if (snprintf(path, sizeof(path), "%s/uuid", state_dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if (read_token(path, tok) < 0)
		return -ENOENT;
	if (!uuidgen_valid(tok))
		return -EVE_EPROTO;
	memcpy(out, tok, UUID_STR_LEN);
	return 0;
}

int identity_uuid_save(const char *state_dir, const char *uuid)
{
	char path[PATH_MAX], line[UUID_STR_LEN + 1];

	if (!uuidgen_valid(uuid))
		return -EINVAL;
	if (snprintf(path, sizeof(path), "%s/uuid", state_dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	snprintf(line, sizeof(line), "%s\n", uuid);
	return fileio_write_atomic(path, line, strlen(line), 0644);
}
