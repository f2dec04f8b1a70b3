#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck disable=SC2015 # "[ a ] && [ b ] || fail" is meant
# The dispatcher authenticates the device, not only its token
# (docs/console.md, common/evproof.h): eve-controller + two eve-agents
# (libvirt's test driver, no daemon) over real TLS on 127.0.0.1:E2E_PORT.
#   the real device's tunnels (with its proof) are accepted
#   the device's token alone (no proof) is refused
#   the token with a proof by another registered device is refused
#   the token with a proof by an unregistered key is refused
#   a proof signed for another path, or replayed, is refused
#   a token two renewals old is still accepted (the device uses it until
#   its next config poll); once the grant ends, no token of it is
. "$(dirname "$0")/e2e_lib.sh"
: "${EVE_DEVPROOF:?}"

api() { ctl_api "$CTL" "$@"; }
# client URLPATH [KEY CERT [PROOF_PATH] [twice]]
client() {
	local p=$1
	shift
	"$EVE_DEVPROOF" "$EVECTL_SERVER$p" "$EVECTL_CA" "$TOKEN" "$@" 2>&1
}
want_refused() { # what output pattern
	echo "$2" | grep -q "^REFUSED .*$3" || fail "$1: $2"
	pass "$1: $(echo "$2" | grep REFUSED | head -1)"
}
start_agent() { # name serial
	agent_dirs "$1"
	printf 'timer.config.interval=2\n' >"$W/$1.config/config-items"
	printf '=== %s start\n' "$(date -u +%T)" >>"$W/agent-$1.log"
	"$EVE_AGENT" --config "$W/$1.config" --state "$W/$1.state" --serial "$2" --libvirt test:///default -v \
		>>"$W/agent-$1.log" 2>&1 &
	echo $! >"$W/$1.pid"
	AGENT_PIDS="$AGENT_PIDS $!"
}

step "controller and two devices (a, b) online"
ctl_init "$CTL" "$E2E_PORT" || fail "eve-controller init"
ctl_start "$CTL" || fail "eve-controller serve"
ectl onboard add --cert "$CTL/device-config/onboard.cert.pem" --serial devproof-a,devproof-b >/dev/null ||
	fail "onboard add"
start_agent a devproof-a
start_agent b devproof-b
wait_for 60 "device a online" device_field_is devproof-a .state online
wait_for 60 "device b online" device_field_is devproof-b .state online
head -c 100000 /dev/urandom >"$W/disk.img"
ectl image upload dpdisk "$W/disk.img" --format raw >/dev/null || fail "image upload"
ectl app deploy dp1 --image dpdisk --device devproof-a --memory 64M >/dev/null || fail "deploy"
pass "online"

step "a session: the real device connects its tunnel (token + its own proof)"
api POST /apps/dp1/console-sessions '{"kind":"console","ttl":300}' >"$W/s.json" || fail "create: $CTL_STATUS $(cat "$W/s.json")"
has_token() { ectl -o json device config dump devproof-a | jq -e .edgeview.token >/dev/null; }
wait_for 30 "the token in device a's config" has_token
TOKEN=$(ectl -o json device config dump devproof-a | jq -r .edgeview.token)
wait_for 30 "device a connected to the dispatcher" grep -q "edgeview: connected to the dispatcher" "$W/agent-a.log"
pass "accepted"

CTLP=/edgeview/v1/device
A_KEY=$W/a.state/device.key.pem
A_CERT=$W/a.state/device.cert.pem
[ -f "$A_KEY" ] && [ -f "$W/b.state/device.key.pem" ] || fail "no file keys in the agents' state dirs"

step "the token alone (no device proof) is refused"
want_refused "token alone" "$(client $CTLP)" "missing device proof"

step "the token with another registered device's proof is refused"
want_refused "device b's key" "$(client $CTLP "$W/b.state/device.key.pem" "$W/b.state/device.cert.pem")" \
	"token was issued to another device"

step "the token with an unregistered key's proof is refused"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=intruder -days 1 \
	-keyout "$W/x.key" -out "$W/x.crt" 2>/dev/null || fail "openssl req"
want_refused "unregistered key" "$(client $CTLP "$W/x.key" "$W/x.crt")" "unknown device certificate"
grep -q "Authorization: Bearer" "$CTL/serve.log" && fail "a token in the controller's log"

step "a proof signed for another path, or replayed, is refused"
want_refused "proof for another path" "$(client $CTLP "$A_KEY" "$A_CERT" /edgeview/v1/device/chan/1)" \
	"signature does not verify"
out=$(client $CTLP "$A_KEY" "$A_CERT" twice)
echo "$out" | head -1 | grep -q '^OPEN$' || fail "device a's own proof: $out"
want_refused "the same proof again" "$(echo "$out" | tail -1)" "device proof replayed"

step "a token two renewals old is the grant's; after the grant, none is"
T1=$TOKEN
for ttl in 400 500; do # each a longer session: the grant gets a new token
	api POST /apps/dp1/console-sessions "{\"kind\":\"console\",\"ttl\":$ttl}" >"$W/s$ttl.json" ||
		fail "create ($ttl s): $CTL_STATUS $(cat "$W/s$ttl.json")"
done
T3=$(ectl -o json device config dump devproof-a | jq -r .edgeview.token)
[ "$T3" != "$T1" ] || fail "longer sessions did not renew the token"
out=$(client $CTLP "$A_KEY" "$A_CERT")
echo "$out" | head -1 | grep -q '^OPEN$' || fail "the first token after two renewals: $out"
pass "two renewals old: accepted"
for f in s.json s400.json s500.json; do
	api DELETE "/console-sessions/$(jq -r .id "$W/$f")" >/dev/null || fail "end session: $CTL_STATUS"
done
no_token() { ! ectl -o json device config dump devproof-a | jq -e .edgeview.token >/dev/null; }
wait_for 30 "the grant withdrawn from device a's config" no_token
want_refused "a token of an ended grant" "$(client $CTLP "$A_KEY" "$A_CERT")" "no longer granted"
api POST /apps/dp1/console-sessions '{"kind":"console","ttl":300}' >"$W/s2.json" || fail "create: $CTL_STATUS"
wait_for 30 "a new token in device a's config" has_token
want_refused "an old grant's token under a new grant" "$(client $CTLP "$A_KEY" "$A_CERT")" "no longer granted"

step "device a reconnects with fresh proofs; clean stops"
wait_for 30 "device a connected again" sh -c "[ \$(grep -c 'edgeview: connected to the dispatcher' '$W/agent-a.log') -ge 2 ]"
agent_stop a
agent_stop b
ctl_stop "$CTL"
if grep -lE "Sanitizer|runtime error" "$CTL/serve.log" "$W"/agent-*.log; then
	fail "sanitizer report (above files)"
fi
pass "stopped cleanly"
log PASS
