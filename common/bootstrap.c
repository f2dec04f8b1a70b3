// SPDX-License-Identifier: Apache-2.0
/* BootstrapConfig sealing (the verifying side is the device's, which
 * checks the certificates against its root: device/ctlclient.c). */
#include "bootstrap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.pb-c.h"
#include "config/devconfig.pb-c.h"
#include "crypto.h"
#include "pbpack.h"

int bootstrap_seal(const struct eve_signer *s, const uint8_t *cfg, size_t len, uint8_t **out, size_t *out_len)
{
	Org__Lfedge__Eve__Config__BootstrapConfig bc = ORG__LFEDGE__EVE__CONFIG__BOOTSTRAP_CONFIG__INIT;
	Org__Lfedge__Eve__Certs__ZCert z = ORG__LFEDGE__EVE__CERTS__ZCERT__INIT, *zp = &z;
	Org__Lfedge__Eve__Auth__AuthContainer *ac = NULL;
	uint8_t *env = NULL, hash[CRYPTO_SHA256_LEN];
	size_t env_len = 0;
	int r;

	if (!s->cert_pem)
		return -EINVAL;
	r = envelope_seal(s, cfg, len, false, &env, &env_len);
	if (r < 0)
		goto out;
	ac = org__lfedge__eve__auth__auth_container__unpack(NULL, env_len, env);
	r = ac ? crypto_sha256(s->cert_pem, strlen(s->cert_pem), hash) : -ENOMEM;
	if (r < 0)
		goto out;
	z.hashalgo = ORG__LFEDGE__EVE__COMMON__HASH_ALGORITHM__HASH_ALGORITHM_SHA256_32BYTES;
	z.certhash.data = hash;
	z.certhash.len = sizeof(hash);
	z.type = ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_CONTROLLER_SIGNING;
	z.cert.data = (uint8_t *)s->cert_pem;
	z.cert.len = strlen(s->cert_pem);
	bc.signed_config = ac;
	bc.n_controller_certs = 1;
	bc.controller_certs = &zp;
	r = pbpack(&bc.base, 0, out, out_len);
out:
	if (ac)
		org__lfedge__eve__auth__auth_container__free_unpacked(ac, NULL);
	free(env);
	return r;
}
