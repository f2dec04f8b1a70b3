#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# eve-agent against a controller that behaves like other EVE controllers
# (issue 13), the real eve-controller with its interoperability switches:
#  1. register.strict_pem: only the base64 of the PEM is accepted as
#     ZRegisterMsg.pemCert (the reference controller's rule): the agent
#     must onboard;
#  2. config.require_integrity_token: /config answers 403 (a controller
#     requiring attestation). The agent logs why, reports it in its device
#     info (ZInfoDevice.attestation_info), keeps polling with backoff, and
#     recovers when the controller answers config again;
#  3. the controller's hardware model (deviceIoList, systemAdapterList,
#     networks) reaches the agent, which applies the config and keeps going.
# Ports: 19220.
. "$(dirname "$0")/agent_lib.sh"

command -v jq >/dev/null || {
	[ "${CI:-}" = true ] && fail "jq missing"
	echo "SKIP: jq missing"
	exit 77
}

ctl_init "$CTL" 19220 >/dev/null || fail "ctl_init"
printf 'register.strict_pem=true\nconfig.require_integrity_token=true\n' >>"$CTL/controller.conf"
controller_start
ctl_api "$CTL" POST /onboard "$(jq -n --rawfile c "$CTL/device-config/onboard.cert.pem" \
	'{cert: $c, serials: ["*"]}')" >/dev/null || [ "${CTL_STATUS:-}" = 409 ] || fail "POST /onboard"

# 1. Registration against a base64-only controller.
agent_start a1
wait_for 60 "agent onboarded (strict base64 pemCert)" log_has a1 "onboarded: device UUID"
U=$(agent_uuid a1)
log_has a1 "register: 400" && fail "the strict controller refused the agent's pemCert"
grep -q 'pemCert' "$CTL/serve.log" && fail "controller complained about pemCert"

# 2. Config refused with 403: a clear log line and the reason in the info.
wait_for 60 "config 403 logged" log_has a1 "config: 403 from the controller: it requires remote attestation"
attest() {
	ctl_api "$CTL" GET "/devices/$U/info?type=device&limit=1" | jq -c '.items[0].info.dinfo.attestation_info'
}
attest_reported() {
	local a
	a=$(attest) || return 1
	echo "$a" | jq -e '.state == "ATTESTATION_STATE_RESTART_WAIT" and
		(.error.description | test("integrity token")) and .error.severity == "SEVERITY_ERROR"' >/dev/null
}
wait_for 60 "attestation_info reported in the device info" attest_reported
# ... and polls again with a growing delay (backoff from the config interval).
wait_for 60 "three config polls refused" bash -c "[ \$(grep -c 'config: refused (403), next request in' '$W/a1.log') -ge 3 ]"
delays=$(sed -n 's/.*config: refused (403), next request in \([0-9]*\) ms.*/\1/p' "$W/a1.log" | head -3 | tr '\n' ' ')
set -- $delays
[ "$3" -gt "$1" ] || fail "no backoff between 403s: $delays ms"
log_has a1 "config: applied [0-9a-f]+ from controller" && fail "a config was applied despite the 403"
agent_running a1 || fail "agent died on the 403"

# The agent keeps polling (with backoff): once the controller answers
# config again, it gets its config and clears the reported error.
controller_stop
sed -i '/^config.require_integrity_token=/d' "$CTL/controller.conf"
controller_start
wait_for 90 "config polled again after the 403 spell" log_has a1 "the controller answers config again"
wait_for 30 "config applied" log_has a1 "config: applied [0-9a-f]+ from controller"
attest_cleared() {
	local a
	a=$(attest) || return 1
	[ "$a" = null ]
}
wait_for 60 "attestation error cleared from the device info" attest_cleared

# 3. The hardware model reaches the agent, edited with evectl: an
# app-shared port (not a management port, so the agent's connectivity is
# untouched) and a USB adapter; the config carries deviceIoList +
# systemAdapterList + networks.
[ -x "${EVECTL:-}" ] || fail "EVECTL not set"
export HOME="$W/home"
mkdir -p "$HOME"
"$EVECTL" login --server "$(ctl_url "$CTL")" --ca "$CTL/certs/root-certificate.pem" \
	--token "$(ctl_token "$CTL")" >/dev/null || fail "evectl login"
n_applied=$(grep -c "config: applied" "$W/a1.log")
"$EVECTL" device io set "$U" eth9 --usage shared --dhcp none >/dev/null || fail "evectl device io set eth9"
"$EVECTL" device io set "$U" USB1 --type usb --usb 1:2 --assigngrp USB1 >/dev/null || fail "evectl device io set USB1"
"$EVECTL" device io set "$U" USB2 --type usb --usage mgmt >/dev/null 2>&1
[ $? = 3 ] || fail "evectl accepted a management USB adapter (want exit 3)"
"$EVECTL" -o json device io list "$U" | jq -e '[.items[].phylabel] == ["USB1", "eth9"]' >/dev/null ||
	fail "evectl device io list: $("$EVECTL" -o json device io list "$U")"
"$EVECTL" device io list "$U" | grep -q '^eth9 *eth *eth9 *shared' || fail "evectl device io list table"
ctl_api "$CTL" GET "/devices/$U/config" | jq -e '(.deviceIoList | length) == 2 and
	(.systemAdapterList | length) == 1 and .systemAdapterList[0].lowerLayerName == "eth9" and
	(.networks | length) == 1 and (.controllercert_confighash | length) == 64' >/dev/null ||
	fail "config lacks the hardware model: $(ctl_api "$CTL" GET "/devices/$U/config")"
more_applied() {
	[ "$(grep -c "config: applied" "$W/a1.log")" -gt "$n_applied" ]
}
wait_for 60 "config with the hardware model applied" more_applied
wait_for 30 "the agent keeps polling (304)" log_has a1 "config: unchanged \(304\)"
log_has a1 "network: trying" && fail "a shared (non-management) port changed the management ports"
agent_running a1 || fail "agent died on the hardware model"
"$EVECTL" device io delete "$U" USB1 >/dev/null || fail "evectl device io delete"
"$EVECTL" device io delete "$U" USB1 >/dev/null 2>&1
[ $? = 2 ] || fail "deleting a missing port: want exit 2"
agent_stop a1
echo "PASS: interop_agent"
