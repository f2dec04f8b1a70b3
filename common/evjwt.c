// SPDX-License-Identifier: Apache-2.0
/* ES256 JWTs for edge-view (evjwt.h). */
#include "evjwt.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "crypto.h"

#define JWT_HEADER "{\"alg\":\"ES256\",\"typ\":\"JWT\"}"

/* base64url without padding; caller frees. */
static char *b64url_encode(const uint8_t *in, size_t len)
{
	char *s = b64_encode(in, len);
	if (!s)
		return NULL;
	size_t n = 0;
	for (char *p = s; *p && *p != '='; p++, n++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	s[n] = 0;
	return s;
}

static int b64url_decode(const char *in, size_t len, uint8_t **out, size_t *out_len)
{
	if (len > EVJWT_MAX)
		return -EINVAL;
	char tmp[EVJWT_MAX + 4];
	size_t i;
	for (i = 0; i < len; i++) {
		char ch = in[i];
		if (ch == '+' || ch == '/' || ch == '=')
			return -EINVAL;
		tmp[i] = ch == '-' ? '+' : ch == '_' ? '/' : ch;
	}
	while (i % 4)
		tmp[i++] = '=';
	return b64_decode(tmp, i, out, out_len);
}

static void copy_claim(json_t *o, const char *k, char *dst, size_t cap)
{
	const char *v = json_string_value(json_object_get(o, k));
	dst[0] = 0;
	if (v && strlen(v) < cap)
		strcpy(dst, v);
}

static int claims_from_json(const uint8_t *p, size_t n, struct evjwt_claims *c)
{
	json_t *o = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, NULL);
	int r = -EINVAL;
	if (!json_is_object(o))
		goto out;
	memset(c, 0, sizeof(*c));
	copy_claim(o, "dep", c->dep, sizeof(c->dep));
	copy_claim(o, "sub", c->sub, sizeof(c->sub));
	copy_claim(o, "key", c->key, sizeof(c->key));
	json_t *exp = json_object_get(o, "exp"), *iat = json_object_get(o, "iat");
	if (!json_is_integer(exp) || !c->sub[0] || !c->dep[0])
		goto out;
	c->exp = json_integer_value(exp);
	c->iat = json_is_integer(iat) ? json_integer_value(iat) : 0;
	r = 0;
out:
	json_decref(o);
	return r;
}

int evjwt_sign(const struct evjwt_claims *c, evjwt_sign_fn sign, void *ctx, char **out)
{
	char *hdr = NULL, *pay = NULL, *sig64 = NULL, *input = NULL, *tok = NULL, *js = NULL;
	uint8_t digest[CRYPTO_SHA256_LEN], sig[CRYPTO_SIG_LEN];
	int r = -ENOMEM;
	json_t *o = json_pack("{s:s,s:s,s:s,s:I,s:I}", "dep", c->dep, "sub", c->sub, "key", c->key, "exp",
			      (json_int_t)c->exp, "iat", (json_int_t)c->iat);
	if (!o || !(js = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS)))
		goto out;
	hdr = b64url_encode((const uint8_t *)JWT_HEADER, strlen(JWT_HEADER));
	pay = b64url_encode((const uint8_t *)js, strlen(js));
	if (!hdr || !pay)
		goto out;
	size_t in_len = strlen(hdr) + 1 + strlen(pay);
	input = malloc(in_len + 1);
	if (!input)
		goto out;
	snprintf(input, in_len + 1, "%s.%s", hdr, pay);
	if ((r = crypto_sha256(input, in_len, digest)) < 0 || (r = sign(ctx, digest, sig)) < 0)
		goto out;
	r = -ENOMEM;
	if (!(sig64 = b64url_encode(sig, sizeof(sig))))
		goto out;
	size_t tl = in_len + 1 + strlen(sig64);
	if (!(tok = malloc(tl + 1)))
		goto out;
	snprintf(tok, tl + 1, "%s.%s", input, sig64);
	*out = tok;
	tok = NULL;
	r = 0;
out:
	json_decref(o);
	free(js);
	free(hdr);
	free(pay);
	free(sig64);
	free(input);
	free(tok);
	return r;
}

/* Split "h.p.s": lengths of the header and payload parts; -EINVAL. */
static int split(const char *tok, size_t *hl, size_t *pl, const char **sigp)
{
	size_t n = strnlen(tok, EVJWT_MAX + 1);
	if (n > EVJWT_MAX)
		return -EINVAL;
	const char *d1 = memchr(tok, '.', n);
	const char *d2 = d1 ? memchr(d1 + 1, '.', n - (size_t)(d1 + 1 - tok)) : NULL;
	if (!d1 || !d2 || strchr(d2 + 1, '.'))
		return -EINVAL;
	*hl = (size_t)(d1 - tok);
	*pl = (size_t)(d2 - d1 - 1);
	*sigp = d2 + 1;
	return 0;
}

static int decode_payload(const char *tok, size_t hl, size_t pl, struct evjwt_claims *c)
{
	uint8_t *p = NULL, *h = NULL;
	size_t n, hn;
	int r = b64url_decode(tok, hl, &h, &hn);
	if (r == 0 && (hn != strlen(JWT_HEADER) || memcmp(h, JWT_HEADER, hn)))
		r = -EINVAL; /* only our exact header: no "alg" games */
	if (r == 0)
		r = b64url_decode(tok + hl + 1, pl, &p, &n);
	if (r == 0)
		r = claims_from_json(p, n, c);
	free(h);
	free(p);
	return r < 0 ? -EINVAL : 0;
}

int evjwt_parse(const char *tok, struct evjwt_claims *c)
{
	size_t hl, pl;
	const char *sig;
	int r = split(tok, &hl, &pl, &sig);
	return r < 0 ? r : decode_payload(tok, hl, pl, c);
}

int evjwt_verify(const char *tok, EVP_PKEY *pub, struct evjwt_claims *c)
{
	size_t hl, pl, sn;
	const char *sig;
	uint8_t *raw = NULL, digest[CRYPTO_SHA256_LEN];
	int r = split(tok, &hl, &pl, &sig);
	if (r < 0)
		return r;
	r = b64url_decode(sig, strlen(sig), &raw, &sn);
	if (r < 0 || sn != CRYPTO_SIG_LEN) {
		r = -EINVAL;
		goto out;
	}
	if ((r = crypto_sha256(tok, hl + 1 + pl, digest)) < 0)
		goto out;
	if (crypto_ecdsa_verify(pub, digest, raw, sn) != 0) {
		r = -EACCES;
		goto out;
	}
	r = decode_payload(tok, hl, pl, c);
out:
	free(raw);
	return r;
}
