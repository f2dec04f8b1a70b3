// SPDX-License-Identifier: Apache-2.0
/* Onboarding: controller certificates, registration with the onboarding
 * certificate and the UUID lookup, retried with exponential backoff. */
#include "agent_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentlog.h"
#include "b64.h"
#include "err.h"
#include "eveuuid/eveuuid.pb-c.h"
#include "register/register.pb-c.h"

int onboard_ensure_certs(struct agent *a)
{
	int r;

	if (ctlclient_has_certs(a->cc))
		return 0;
	ctlclient_set_api(a->cc, netmgr_api(a->nm));
	r = ctlclient_fetch_certs(a->cc);
	/* Any failure moves on to the next management port, if there is one. */
	agent_reached(a, r == 0);
	if (r == 0)
		alog(ALOG_INFO, "controller certificates fetched and verified");
	return r;
}

static int do_register(struct agent *a)
{
	Org__Lfedge__Eve__Register__ZRegisterMsg m = ORG__LFEDGE__EVE__REGISTER__ZREGISTER_MSG__INIT;
	uint8_t body[8192];
	struct ctlclient_xchg x = {
	    .signer = &a->onb_signer, .with_cert = true, .path = "/register", .payload = body};
	size_t len;
	long status;
	int r;
	/* pemCert is the base64 of the PEM: what EVE sends and every EVE
	 * controller decodes (docs/device-api.md, "What the agent assumes"). */
	char *pem_b64 = b64_encode((const uint8_t *)a->dev_signer.cert_pem, strlen(a->dev_signer.cert_pem));

	if (!pem_b64)
		return -ENOMEM;
	m.pemcert.data = (uint8_t *)pem_b64;
	m.pemcert.len = strlen(pem_b64);
	m.serial = a->serial;
	len = org__lfedge__eve__register__zregister_msg__get_packed_size(&m);
	if (len > sizeof(body)) {
		free(pem_b64);
		return -EVE_ETOOBIG;
	}
	org__lfedge__eve__register__zregister_msg__pack(&m, body);
	free(pem_b64);
	x.len = len;
	r = agent_post(a, &x);
	status = x.status;
	if (r < 0)
		return r;
	if (status == 200 || status == 201) {
		alog(ALOG_INFO, "registered with the onboarding certificate (serial %s)", a->serial);
		return 0;
	}
	if (status == 409)
		alog(ALOG_WARN,
		     "register: 409 conflict: the device certificate or serial %s is already "
		     "registered differently",
		     a->serial);
	else if (status == 403 || status == 401)
		alog(ALOG_WARN,
		     "register: %ld: onboarding certificate or serial %s not accepted by the controller",
		     status, a->serial);
	else if (status == 400)
		alog(ALOG_WARN, "register: 400: the controller refused the registration message");
	else
		alog(ALOG_WARN, "register: HTTP %ld", status);
	return status == 409 || status == 403 ? -EACCES : -EVE_EHTTP;
}

static int do_uuid(struct agent *a)
{
	Org__Lfedge__Eve__Uuid__UuidRequest req = ORG__LFEDGE__EVE__UUID__UUID_REQUEST__INIT;
	Org__Lfedge__Eve__Uuid__UuidResponse *resp = NULL;
	uint8_t body[16], *payload = NULL;
	struct ctlclient_xchg x = {
	    .signer = &a->dev_signer, .path = "/uuid", .payload = body, .want_resp = true};
	size_t len, plen = 0;
	long status;
	int r;

	len = org__lfedge__eve__uuid__uuid_request__pack(&req, body);
	x.len = len;
	r = agent_post(a, &x);
	status = x.status;
	payload = x.resp;
	plen = x.resp_len;
	if (r < 0)
		return r;
	if (status != 200) {
		alog(a->have_uuid ? ALOG_DEBUG : ALOG_WARN,
		     "uuid: HTTP %ld (device not known to the controller yet?)", status);
		return -EVE_EHTTP;
	}
	resp = org__lfedge__eve__uuid__uuid_response__unpack(NULL, plen, payload);
	r = resp && resp->uuid && uuidgen_valid(resp->uuid) ? 0 : -EVE_EPROTO;
	if (r == 0 && (!a->have_uuid || strcmp(a->uuid, resp->uuid))) {
		r = identity_uuid_save(a->o->state_dir, resp->uuid);
		if (r == 0) {
			snprintf(a->uuid, sizeof(a->uuid), "%s", resp->uuid);
			alog(ALOG_INFO, "onboarded: device UUID %s", a->uuid);
		}
	}
	if (r == 0) {
		a->have_uuid = true;
		logship_set_meta(a->ls, a->uuid, AGENT_VERSION);
	}
	if (resp)
		org__lfedge__eve__uuid__uuid_response__free_unpacked(resp, NULL);
	free(payload);
	return r;
}

/* One onboarding attempt: certs, register (until it worked once this
 * start), uuid. A refused registration (403/409) needs a person to act
 * on the controller, so it is retried slowly. */
void onboard_step(struct agent *a)
{
	bool slow = false;
	uint64_t delay;
	int r;

	r = onboard_ensure_certs(a);
	if (r == 0 && a->have_onb && !a->registered) {
		int rr = do_register(a);

		a->registered = rr == 0;
		slow = rr == -EACCES;
		if (rr < 0 && !slow)
			r = rr;
	}
	if (r == 0)
		r = do_uuid(a);
	if (r == 0) {
		a->need_uuid = false;
		backoff_reset(&a->onboard_bo);
		a->next_config = now_ms();
		return;
	}
	delay = backoff_next(&a->onboard_bo, backoff_random());
	if (slow && delay < ONBOARD_SLOW_MS)
		delay = ONBOARD_SLOW_MS;
	alog(a->have_uuid ? ALOG_DEBUG : ALOG_WARN, "onboarding: %s; retry in %" PRIu64 " ms",
	     eve_strerror(r), delay);
	a->next_onboard = now_ms() + delay;
}
