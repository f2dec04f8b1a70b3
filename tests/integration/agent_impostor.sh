#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A controller impostor that has the TLS server key but not the signing key:
# (a) the genuine signing certificate with a wrong key, (b) its own signing
# certificate from another CA. The agent refuses both configs, keeps its
# own, and takes the genuine controller's next config. (c) The genuine
# controller rotates its signing certificate (same root): the agent fetches
# /certs again on the unknown senderCertHash and accepts it.
. "$(dirname "$0")/agent_lib.sh"

controller_up 18240
agent_start i1
wait_for 60 "agent onboarded" log_has i1 "onboarded: device UUID"
U=$(agent_uuid i1)
wait_for 30 "in sync (304)" log_has i1 "config: unchanged \(304\)"
controller_stop
cp -a "$CTL" "$W/ctl.genuine"
certs_before=$(sha256sum <"$W/i1.state/checkpoint/controllercerts")

# (a) Genuine certificate, wrong key.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$CTL/certs/signing.key.pem" 2>/dev/null ||
	fail "openssl genpkey"
controller_start
ctl_api "$CTL" PUT "/devices/$U/config-items" '{"timer.metric.interval": "7"}' >/dev/null || fail "PUT"
wait_for 30 "wrongly signed config refused" log_has i1 "config: response refused \(signature"
log_has i1 "timer.metric.interval = 7 s" && fail "a wrongly signed config was applied"
controller_stop

# (b) A signing certificate of another CA (the agent re-fetches /certs on
# the unknown senderCertHash, and the chain check fails).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/rogue.key" -out "$W/rogue.pem" \
	-days 2 -subj "/CN=EVE Controller Root CA" 2>/dev/null || fail "openssl rogue CA"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$CTL/certs/signing.key.pem" \
	-out "$W/signing.csr" -subj "/CN=EVE Controller Signing" 2>/dev/null || fail "openssl csr"
openssl x509 -req -in "$W/signing.csr" -CA "$W/rogue.pem" -CAkey "$W/rogue.key" -CAcreateserial -days 2 \
	-out "$CTL/certs/signing.cert.pem" 2>/dev/null || fail "openssl sign"
controller_start
wait_for 30 "foreign signing certificate refused" log_has i1 "config: response refused \((certificate|Certificate)"
log_has i1 "timer.metric.interval = 7 s" && fail "a config signed by a foreign certificate was applied"
[ "$(sha256sum <"$W/i1.state/checkpoint/controllercerts")" = "$certs_before" ] ||
	fail "the trusted controller certificates were replaced"
agent_running i1 || fail "agent died"
controller_stop

# The genuine controller is back: its configs are taken again.
rm -rf "$CTL"
mv "$W/ctl.genuine" "$CTL"
controller_start
ctl_api "$CTL" PUT "/devices/$U/config-items" '{"timer.metric.interval": "9"}' >/dev/null || fail "PUT"
wait_for 30 "genuine config applied" log_has i1 "timer.metric.interval = 9 s"
controller_stop

# (c) Legitimate rotation: a new signing key and certificate from the root.
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$CTL/certs/signing.key.pem" \
	-out "$W/signing2.csr" -subj "/CN=EVE Controller Signing 2" 2>/dev/null || fail "openssl csr"
openssl x509 -req -in "$W/signing2.csr" -CA "$CTL/certs/root-certificate.pem" -CAkey "$CTL/certs/root.key.pem" \
	-CAcreateserial -days 30 -out "$CTL/certs/signing.cert.pem" 2>/dev/null || fail "openssl sign"
controller_start
ctl_api "$CTL" PUT "/devices/$U/config-items" '{"timer.metric.interval": "11"}' >/dev/null || fail "PUT"
wait_for 30 "config signed by the rotated certificate applied" log_has i1 "timer.metric.interval = 11 s"
[ "$(sha256sum <"$W/i1.state/checkpoint/controllercerts")" != "$certs_before" ] ||
	fail "the rotated controller certificates were not checkpointed"
echo PASS
