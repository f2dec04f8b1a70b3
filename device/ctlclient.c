// SPDX-License-Identifier: Apache-2.0
/* Controller client: certificate trust and signed exchanges. */
#include "ctlclient.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.pb-c.h"
#include "certs/certs.pb-c.h"
#include "config/devconfig.pb-c.h"
#include "checkpoint.h"
#include "crypto.h"
#include "err.h"
#include "pbpack.h"

#define MAX_INTERMEDIATES 4
#define MAX_SIGNING 4

/* The controller's signing certificates (more than one during a rotation:
 * /certs lists the next one before it signs), each with its PEM hash. */
struct signing_set {
	X509 *cert[MAX_SIGNING];
	uint8_t hash[MAX_SIGNING][CRYPTO_SHA256_LEN];
	size_t n;
	X509 *ecdh; /* CERT_TYPE_CONTROLLER_ECDH_EXCHANGE chained to the root, or NULL */
};

struct ctlclient {
	char *state_dir;
	struct devapi *api; /* borrowed */
	X509 *root;
	struct signing_set set;
	unsigned generation; /* bumped when the set changes */
	struct buf resp;
};

static void set_clear(struct signing_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		X509_free(s->cert[i]);
	s->n = 0;
	X509_free(s->ecdh);
	s->ecdh = NULL;
}

/* The certificate of s that hash names (envelope rules), or NULL. */
static X509 *set_find(const struct signing_set *s, const struct envelope *env)
{
	for (size_t i = 0; i < s->n; i++)
		if (envelope_cert_hash_matches(env, s->hash[i]))
			return s->cert[i];
	return NULL;
}

int ctlclient_new(const char *state_dir, const char *root_ca_path, struct ctlclient **out)
{
	struct ctlclient *cc = calloc(1, sizeof(*cc));
	int r;

	if (!cc)
		return -ENOMEM;
	buf_init(&cc->resp, CTLCLIENT_RESP_MAX);
	cc->state_dir = strdup(state_dir);
	if (!cc->state_dir) {
		r = -ENOMEM;
		goto out;
	}
	r = crypto_cert_load_pem(root_ca_path, &cc->root);
	if (r < 0)
		goto out;
	*out = cc;
	cc = NULL;
out:
	ctlclient_free(cc);
	return r;
}

void ctlclient_free(struct ctlclient *cc)
{
	if (!cc)
		return;
	X509_free(cc->root);
	set_clear(&cc->set);
	buf_free(&cc->resp);
	free(cc->state_dir);
	free(cc);
}

void ctlclient_set_api(struct ctlclient *cc, struct devapi *api)
{
	cc->api = api;
}

bool ctlclient_has_certs(const struct ctlclient *cc)
{
	return cc->set.n > 0;
}

X509 *ctlclient_ecdh_cert(const struct ctlclient *cc)
{
	return cc->set.ecdh;
}

unsigned ctlclient_certs_generation(const struct ctlclient *cc)
{
	return cc->generation;
}

/* Collect the signing certs and intermediates of a ZControllerCert and
 * verify each signing cert's chain to the root. */
static int certs_pick(struct ctlclient *cc, const Org__Lfedge__Eve__Certs__ZControllerCert *zc,
		      struct signing_set *out)
{
	X509 *inter[MAX_INTERMEDIATES] = {0};
	size_t n_inter = 0;
	struct signing_set s = {.n = 0};
	int r = -EVE_EBADCERT;

	for (size_t i = 0; i < zc->n_certs; i++) {
		const Org__Lfedge__Eve__Certs__ZCert *c = zc->certs[i];
		X509 *x = NULL;

		if (c->type == ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_CONTROLLER_ECDH_EXCHANGE &&
		    !s.ecdh) {
			if (crypto_cert_from_pem((const char *)c->cert.data, c->cert.len, &s.ecdh) < 0)
				s.ecdh = NULL; /* unusable: config secrets cannot be opened */
			continue;
		}
		if (c->type != ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_CONTROLLER_SIGNING &&
		    c->type != ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_CONTROLLER_INTERMEDIATE)
			continue;
		if (crypto_cert_from_pem((const char *)c->cert.data, c->cert.len, &x) < 0)
			goto out;
		if (c->type == ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_CONTROLLER_SIGNING &&
		    s.n < MAX_SIGNING) {
			s.cert[s.n] = x;
			r = crypto_sha256(c->cert.data, c->cert.len, s.hash[s.n++]);
			if (r < 0)
				goto out;
			r = -EVE_EBADCERT;
		} else if (c->type ==
			       ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_CONTROLLER_INTERMEDIATE &&
			   n_inter < MAX_INTERMEDIATES) {
			inter[n_inter++] = x;
		} else {
			X509_free(x);
		}
	}
	if (!s.n)
		goto out;
	for (size_t i = 0; i < s.n; i++)
		if ((r = crypto_chain_verify(s.cert[i], inter, n_inter, cc->root)) < 0)
			goto out;
	if (s.ecdh && crypto_chain_verify(s.ecdh, inter, n_inter, cc->root) < 0) {
		X509_free(s.ecdh);
		s.ecdh = NULL;
	}
	*out = s;
	s.n = 0;
	s.ecdh = NULL;
	r = 0;
out:
	set_clear(&s);
	for (size_t i = 0; i < n_inter; i++)
		X509_free(inter[i]);
	return r;
}

static bool set_same(const struct signing_set *a, const struct signing_set *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (memcmp(a->hash[i], b->hash[i], CRYPTO_SHA256_LEN))
			return false;
	return true;
}

/* Accept a /certs body: an envelope signed by a signing cert it carries,
 * or (older controllers) a bare ZControllerCert. */
static int certs_accept(struct ctlclient *cc, const uint8_t *body, size_t len)
{
	Org__Lfedge__Eve__Certs__ZControllerCert *zc = NULL;
	struct envelope env = {0};
	struct signing_set s = {.n = 0};
	const uint8_t *p = body;
	size_t plen = len;
	bool sealed;
	int r;

	sealed = envelope_parse(body, len, &env) == 0;
	if (sealed) {
		p = env.payload;
		plen = env.payload_len;
	}
	zc = org__lfedge__eve__certs__zcontroller_cert__unpack(NULL, plen, p);
	if (!zc) {
		r = -EVE_EPROTO;
		goto out;
	}
	r = certs_pick(cc, zc, &s);
	if (r == 0 && sealed) {
		X509 *by = set_find(&s, &env);
		r = by ? envelope_verify(&env, X509_get0_pubkey(by)) : -EVE_EBADCERT;
	}
	if (r < 0)
		goto out;
	if (cc->set.n && !set_same(&cc->set, &s))
		cc->generation++;
	set_clear(&cc->set);
	cc->set = s;
	s.n = 0;
	s.ecdh = NULL;
out:
	set_clear(&s);
	if (zc)
		org__lfedge__eve__certs__zcontroller_cert__free_unpacked(zc, NULL);
	envelope_clear(&env);
	return r;
}

int ctlclient_load_certs(struct ctlclient *cc)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	r = checkpoint_load(cc->state_dir, CHECKPOINT_CERTS, &data, &len);
	if (r == 0)
		r = certs_accept(cc, data, len);
	free(data);
	return r;
}

int ctlclient_fetch_certs(struct ctlclient *cc)
{
	long status = 0;
	int r;

	if (!cc->api)
		return -ENETUNREACH;
	buf_reset(&cc->resp);
	r = devapi_call(cc->api, "GET", "/certs", NULL, 0, &status, &cc->resp);
	if (r < 0)
		return r;
	if (status != 200)
		return -EVE_EHTTP;
	r = certs_accept(cc, cc->resp.data, cc->resp.len);
	if (r < 0)
		return r;
	return checkpoint_save(cc->state_dir, CHECKPOINT_CERTS, cc->resp.data, cc->resp.len);
}

static int copy_out(const uint8_t *p, size_t len, uint8_t **out, size_t *out_len)
{
	uint8_t *c = malloc(len ? len : 1);

	if (!c)
		return -ENOMEM;
	if (len)
		memcpy(c, p, len);
	*out = c;
	*out_len = len;
	return 0;
}

/* Verify env with a trusted signing cert. -EAGAIN on a cert hash miss. */
static int verify_env(struct ctlclient *cc, const struct envelope *env)
{
	X509 *by;

	if (!cc->set.n)
		return -EVE_EBADCERT;
	by = set_find(&cc->set, env);
	if (!by)
		return -EAGAIN;
	return envelope_verify(env, X509_get0_pubkey(by));
}

int ctlclient_verify(struct ctlclient *cc, const uint8_t *raw, size_t len, uint8_t **payload, size_t *plen)
{
	struct envelope env = {0};
	int r;

	r = envelope_parse(raw, len, &env);
	if (r == 0)
		r = verify_env(cc, &env);
	if (r == -EAGAIN)
		r = -EVE_EBADCERT;
	if (r == 0)
		r = copy_out(env.payload, env.payload_len, payload, plen);
	envelope_clear(&env);
	return r;
}

int ctlclient_verify_bootstrap(struct ctlclient *cc, const uint8_t *raw, size_t len, uint8_t **payload,
			       size_t *plen)
{
	Org__Lfedge__Eve__Config__BootstrapConfig *bc = NULL;
	Org__Lfedge__Eve__Certs__ZControllerCert zc = ORG__LFEDGE__EVE__CERTS__ZCONTROLLER_CERT__INIT;
	struct envelope env = {0};
	struct signing_set set = {.n = 0};
	uint8_t *ac = NULL;
	size_t ac_len;
	X509 *by;
	int r = -EVE_EPROTO;

	if (len > ENVELOPE_MAX)
		return -EVE_ETOOBIG;
	bc = org__lfedge__eve__config__bootstrap_config__unpack(NULL, len, raw);
	if (!bc || !bc->signed_config)
		goto out;
	/* The certificates travel beside the envelope: they must chain to our
	 * root, and the envelope must name and be signed by the signing one. */
	zc.n_certs = bc->n_controller_certs;
	zc.certs = bc->controller_certs;
	r = certs_pick(cc, &zc, &set);
	if (r < 0)
		goto out;
	r = pbpack(&bc->signed_config->base, 0, &ac, &ac_len);
	if (r < 0)
		goto out;
	r = envelope_parse(ac, ac_len, &env);
	by = r == 0 ? set_find(&set, &env) : NULL;
	if (r == 0 && !by)
		r = -EVE_EBADCERT;
	if (r == 0)
		r = envelope_verify(&env, X509_get0_pubkey(by));
	if (r == 0)
		r = copy_out(env.payload, env.payload_len, payload, plen);
out:
	set_clear(&set);
	free(ac);
	envelope_clear(&env);
	if (bc)
		org__lfedge__eve__config__bootstrap_config__free_unpacked(bc, NULL);
	return r;
}

/* Verify a response body (already copied out of cc->resp, which a
 * re-fetch of /certs reuses). */
static int verify_resp(struct ctlclient *cc, const uint8_t *raw, size_t raw_len, uint8_t **resp,
		       size_t *resp_len)
{
	struct envelope env = {0};
	int r;

	r = envelope_parse(raw, raw_len, &env);
	if (r == 0)
		r = verify_env(cc, &env);
	if (r == -EAGAIN) {
		/* The controller may have rotated its signing cert: ask once. */
		r = ctlclient_fetch_certs(cc);
		if (r == 0)
			r = verify_env(cc, &env);
		if (r == -EAGAIN)
			r = -EVE_EBADCERT;
	}
	if (r == 0)
		r = copy_out(env.payload, env.payload_len, resp, resp_len);
	envelope_clear(&env);
	return r;
}

int ctlclient_post(struct ctlclient *cc, struct ctlclient_xchg *x)
{
	uint8_t *sealed = NULL, *body = NULL;
	size_t sealed_len = 0, body_len = 0;
	int r;

	x->status = 0;
	if (!cc->api)
		return -ENETUNREACH;
	r = envelope_seal(x->signer, x->payload, x->len, x->with_cert, &sealed, &sealed_len);
	if (r < 0)
		return r;
	buf_reset(&cc->resp);
	r = devapi_call(cc->api, "POST", x->path, sealed, sealed_len, &x->status, &cc->resp);
	if (r < 0 || !x->want_resp || x->status != 200)
		goto out;
	body = buf_steal(&cc->resp, &body_len);
	if (!body) {
		r = -EVE_EPROTO;
		goto out;
	}
	r = verify_resp(cc, body, body_len, &x->resp, &x->resp_len);
	if (r == 0 && x->want_raw) {
		x->raw = body;
		x->raw_len = body_len;
		body = NULL;
	}
out:
	free(body);
	free(sealed);
	return r;
}
