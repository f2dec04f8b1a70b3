#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck disable=SC2015 # "[ a ] && [ b ] || fail" is meant
# Remote consoles end to end (docs/console.md): eve-controller + eve-agent
# (runtime on the machine's libvirtd, an LXC container app) + evectl over
# real TLS on 127.0.0.1 (port E2E_PORT, 21400-21499).
#   evectl app console on a pty: type a command, read its output, ^] leaves
#   evectl app port-forward: fetch the app's HTTP page through the controller
#   a session whose token expired is refused (operator and device sides)
#   evectl killed: the device closes its channel, the session is ended;
#   agent killed: evectl's console ends by itself with a message
#   edgeview.allow=false: sessions refused
. "$(dirname "$0")/e2e_lib.sh"

SERIAL=console-serial-1
IMAGES=$E2E_BUILD/runtime-images
PTY="python3 $EVE_SRC/tests/integration/console_pty.py"
FWD_PID=""
HOLD_PID=""
SUBNET=10.250.214
trap 'for p in $FWD_PID $HOLD_PID; do kill -9 "$p" 2>/dev/null; done; cleanup; remove_nets_on $SUBNET' EXIT

need() { test_skip "$1"; }
api() { ctl_api "$CTL" "$@"; }
session_state() { api GET "/console-sessions/$1" | jq -r .state; }
# every channel the agent opened, it closed
chans_balanced() {
	[ "$(grep -c 'edgeview: channel .* open' "$W/agent-dev.log")" = "$(grep -c 'edgeview: channel .* closed' "$W/agent-dev.log")" ]
}
session_state_is() { [ "$(session_state "$1")" = "$2" ]; }

step "controller, libvirtd, test image"
ctl_init "$CTL" "$E2E_PORT" || fail "eve-controller init"
ctl_start "$CTL" || fail "eve-controller serve"
EVECTL_TOKEN=$(ctl_token "$CTL")
export EVECTL_TOKEN
libvirtd_start || need "libvirtd cannot start here: $LIBVIRTD_ERROR"
remove_nets_on $SUBNET
mkdir -p "$IMAGES"
(
	flock 9
	sh "$EVE_SRC/tests/images/build-oci-image.sh" "$IMAGES"
) 9>"$IMAGES/.lock" >"$W/images.log" 2>&1 || { cat "$W/images.log"; fail "building the OCI test image"; }
pass "ready"

step "device online, polling every 2 s; a container app with a shell on its console and httpd on 8080"
ectl onboard add --cert "$CTL/device-config/onboard.cert.pem" --serial "$SERIAL" >/dev/null || fail "onboard add"
agent_dirs dev
agent_start dev "$SERIAL"
wait_for 60 "device $SERIAL online" device_field_is "$SERIAL" .state online
ectl device config set "$SERIAL" timer.config.interval=2 >/dev/null || fail "config set"
agent_stop dev # the agent polls at start: a restart picks the interval up at once
agent_start dev "$SERIAL"
wait_for 60 "agent applied timer.config.interval" grep -q "timer.config.interval = 2 s" "$W/agent-dev.log"
ectl image upload busybox "$IMAGES/busybox-oci.tar" --format oci >/dev/null || fail "image upload"
ectl network create cslan --device "$SERIAL" --type local --subnet $SUBNET.0/24 >/dev/null ||
	fail "network create"
ectl app deploy cs1 --image busybox --device "$SERIAL" --memory 64M --network cslan \
	-e DHCP=1 -e HTTPD_PORT=8080 -e GREETING=cs1 -e CONSOLE_SHELL=1 >/dev/null || fail "deploy"
wait_app_state cs1 RUNNING 180
INST=$(app_instance cs1)
wait_for 90 "cs1's shell on its console" app_log_ge cs1 "EVE-TEST-OCI: shell on the console" 1
pass "cs1 RUNNING ($INST), shell on its console"

step "evectl app console on a pty: type a command, read its output, ^] leaves"
$PTY type "$EVECTL" cs1 >"$W/pty1.out" 2>&1 || { cat "$W/pty1.out"; fail "console session"; }
cat "$W/pty1.out"
grep -q "edgeview: channel 1 open: console of app $INST" "$W/agent-dev.log" || fail "the agent did not log the console channel"
wait_for 60 "the controller recording the session" grep -q 'console session.*app=cs1.*kind=console' "$CTL/serve.log"
grep 'console session' "$CTL/serve.log" | tail -1 | grep -q "reason=" || fail "no end reason recorded"
pass "console round trip; recorded: $(grep 'console session' "$CTL/serve.log" | tail -1 | cut -c1-160)"

step "the device keeps no listening socket for it: the agent listens on nothing"
pid=$(agent_pid dev)
if ss -Hltnp 2>/dev/null | grep -q "pid=$pid,"; then
	fail "eve-agent listens: $(ss -Hltnp | grep "pid=$pid,")"
fi
pass "no listening socket of eve-agent (ss -ltnp)"

step "evectl app port-forward: the app's HTTP page through the controller"
EVECTL_TOKEN=$(ctl_token "$CTL") "$EVECTL" app port-forward cs1 127.0.0.1:21480:8080 >"$W/fwd.log" 2>&1 &
FWD_PID=$!
wait_for 30 "port-forward listening" grep -q "Forwarding 127.0.0.1:21480" "$W/fwd.log"
fetch() { curl -sS -m 20 http://127.0.0.1:21480/ 2>>"$W/curl.err"; }
page_ok() { fetch | grep -q "EVE-TEST-OCI: served by cs1"; }
wait_for 90 "the page through the tunnel" page_ok
for i in 1 2 3; do page_ok || fail "fetch $i through the same session"; done
SID=$(grep -o 'session [0-9a-f-]*' "$W/fwd.log" | head -1 | cut -d' ' -f2)
kill -INT "$FWD_PID"
wait "$FWD_PID" || fail "port-forward exit code $? on SIGINT"
FWD_PID=""
wait_for 60 "session $SID ended" session_state_is "$SID" ended
pass "4 fetches through one session; Ctrl-C ended it"

if [ "${CONSOLE_BENCH:-0}" = 1 ]; then
	step "bench: console keystroke round trip, port-forward throughput (bench/console/run.sh)"
	MB=${CONSOLE_BENCH_MB:-8}
	CONSOLE_BENCH_CMD="dd if=/dev/zero of=/tmp/www/big bs=1M count=$MB 2>/dev/null" \
		$PTY bench "$EVECTL" cs1 | tee -a "$W/bench.txt" || fail "console bench"
	"$EVECTL" app port-forward cs1 127.0.0.1:21481:8080 >"$W/fwd2.log" 2>&1 &
	FWD_PID=$!
	wait_for 30 "port-forward listening" grep -q "Forwarding 127.0.0.1:21481" "$W/fwd2.log"
	APPIP=$(ectl -o json app get cs1 | jq -r '.instances[0].ips[0] // empty')
	for i in 1 2 3; do
		if ! tf=$(curl -sS -o /dev/null -m 120 -w '%{speed_download}' http://127.0.0.1:21481/big 2>"$W/bench-curl.err"); then
			echo "port-forward $MB MiB run $i: failed after 120 s: $(cat "$W/bench-curl.err")" | tee -a "$W/bench.txt"
			continue
		fi
		td=$(curl -sS -o /dev/null -m 120 -w '%{speed_download}' "http://$APPIP:8080/big" 2>/dev/null || echo 0)
		echo "port-forward $MB MiB run $i: $(awk -v b="$tf" 'BEGIN{printf "%.1f", b/1048576}') MiB/s through the controller, $(awk -v b="$td" 'BEGIN{printf "%.1f", b/1048576}') MiB/s direct to $APPIP" | tee -a "$W/bench.txt"
	done
	kill -INT "$FWD_PID"
	wait "$FWD_PID"
	FWD_PID=""
	[ -n "${CONSOLE_BENCH_OUT:-}" ] && cp "$W/bench.txt" "$CONSOLE_BENCH_OUT"
	pass "figures above"
fi

step "an expired session is refused: operator (410) and device token (401)"
api POST "/apps/cs1/console-sessions" '{"kind":"console","ttl":3}' >"$W/exp.json" || fail "create: $CTL_STATUS"
XID=$(jq -r .id "$W/exp.json")
wait_for 20 "the token in the device's config" sh -c "EVECTL_TOKEN=$(ctl_token "$CTL") $EVECTL -o json device config dump $SERIAL | jq -e '.edgeview.token' >/dev/null"
TOKEN=$(EVECTL_TOKEN=$(ctl_token "$CTL") "$EVECTL" -o json device config dump "$SERIAL" | jq -r .edgeview.token)
sleep 4
st=$(curl -s -o "$W/exp-op.json" -w '%{http_code}' --cacert "$EVECTL_CA" -H "Authorization: Bearer $(ctl_token "$CTL")" \
	-H "Connection: Upgrade" -H "Upgrade: eve-edgeview" "$EVECTL_SERVER/api/v1/console-sessions/$XID/connect")
[ "$st" = 410 ] || fail "operator connect to an expired session: HTTP $st, want 410 ($(cat "$W/exp-op.json"))"
st=$(curl -s -o "$W/exp-dev.json" -w '%{http_code}' --cacert "$EVECTL_CA" -H "Authorization: Bearer $TOKEN" \
	-H "Connection: Upgrade" -H "Upgrade: eve-edgeview" "$EVECTL_SERVER/edgeview/v1/device")
[ "$st" = 401 ] && grep -q expired "$W/exp-dev.json" || fail "device tunnel with the expired token: HTTP $st ($(cat "$W/exp-dev.json"))"
wait_for 60 "the expired session recorded" grep -q "session=$XID.*reason=expired" "$CTL/serve.log"
wait_for 20 "the token gone from the device's config" sh -c "EVECTL_TOKEN=$(ctl_token "$CTL") $EVECTL -o json device config dump $SERIAL | jq -e '.edgeview == null' >/dev/null"
pass "410 for the operator, 401 'token expired' for the device, recorded, token withdrawn"

step "evectl killed mid-session: the device closes its channel, the session ends"
$PTY hold "$EVECTL" cs1 >"$W/hold1.out" 2>&1 &
HOLD_PID=$!
wait_for 120 "console attached" grep -q ATTACHED "$W/hold1.out"
EPID=$(sed -n 's/^ATTACHED evectl pid \([0-9]*\)$/\1/p' "$W/hold1.out")
SID=$(api GET /console-sessions | jq -r '[.items[] | select(.state == "connected")][0].id')
[ -n "$SID" ] && [ "$SID" != null ] || fail "no connected session listed"
n_closed=$(grep -c "edgeview: channel .* closed" "$W/agent-dev.log")
kill -9 "$EPID"
wait "$HOLD_PID"
HOLD_PID=""
wait_for 20 "session $SID ended" session_state_is "$SID" ended
wait_for 20 "the agent closing the channel" sh -c "[ \$(grep -c 'edgeview: channel .* closed' '$W/agent-dev.log') -gt $n_closed ]"
$PTY type "$EVECTL" cs1 >"$W/pty2.out" 2>&1 || { cat "$W/pty2.out"; fail "a new console after the kill"; }
wait_for 20 "the agent closing every channel" chans_balanced
pass "ended ($(api GET "/console-sessions/$SID" | jq -r .end_reason)); the console is free again"

step "agent killed mid-session: evectl's console ends by itself"
$PTY hold "$EVECTL" cs1 >"$W/hold2.out" 2>&1 &
HOLD_PID=$!
wait_for 120 "console attached" grep -q ATTACHED "$W/hold2.out"
agent_stop dev KILL
wait_for 30 "evectl exiting" grep -q '^EXIT' "$W/hold2.out"
wait "$HOLD_PID"
HOLD_PID=""
grep -q "^EXIT 3 .*the console session ended" "$W/hold2.out" || fail "evectl after the agent died: $(cat "$W/hold2.out")"
pass "$(grep '^EXIT' "$W/hold2.out")"

step "edgeview.allow=false opts the device out"
agent_start dev "$SERIAL"
ectl device config set "$SERIAL" edgeview.allow=false >/dev/null 2>&1 || fail "config set edgeview.allow=false"
api POST "/apps/cs1/console-sessions" '{"kind":"console"}' >"$W/optout.json" && fail "session created on an opted-out device"
[ "$CTL_STATUS" = 403 ] && grep -q "opted out" "$W/optout.json" || fail "opt-out: HTTP $CTL_STATUS $(cat "$W/optout.json")"
pass "403: $(jq -r .error "$W/optout.json")"

step "every session is in the audit trail (who, app, start, end, why it ended)"
api GET "/audit?limit=1000" >"$W/audit.json" || fail "GET /audit: HTTP $CTL_STATUS"
n=$(jq '[.items[] | select(.action == "console session" and .object == "app/cs1")] | length' "$W/audit.json")
[ "$n" -ge 3 ] || fail "$n console sessions in the audit trail, want >= 3"
jq -e '[.items[] | select(.action == "console session")][0].summary | test(" from .* to .*: ")' \
	"$W/audit.json" >/dev/null || fail "audit summary: $(jq -c '[.items[] | select(.action == "console session")][0]' "$W/audit.json")"
pass "$n sessions recorded"

step "clean stops: agent and controller exit 0 with no sanitizer report"
agent_stop dev
ctl_stop "$CTL"
if grep -lE "Sanitizer|runtime error" "$CTL/serve.log" "$W"/agent-*.log; then
	fail "sanitizer report (above files)"
fi
pass "stopped cleanly"

step "a console.dispatcher that is not one host:port stops the start"
cp "$CTL/controller.conf" "$W/controller.conf.good"
for bad in ctl.example https://ctl.example:8443 'fd00::2:8443' ctl.example:0; do
	cp "$W/controller.conf.good" "$CTL/controller.conf"
	echo "console.dispatcher=$bad" >>"$CTL/controller.conf"
	: >"$CTL/serve.log"
	if CTL_START_TIMEOUT=10 ctl_start "$CTL" 2>/dev/null; then
		ctl_stop "$CTL"
		fail "controller started with console.dispatcher=$bad"
	fi
	grep -q "bad controller.conf value.*console.dispatcher" "$CTL/serve.log" ||
		fail "no message for console.dispatcher=$bad: $(tail -n 3 "$CTL/serve.log")"
done
cp "$W/controller.conf.good" "$CTL/controller.conf"
pass "refused: ctl.example, https://ctl.example:8443, fd00::2:8443, ctl.example:0"
log "PASS"
