#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A phased base OS rollout with 3 real agents, each installed in its own
# dir slots under eve-slot-boot (as in update_e2e.sh). The new image (2.0)
# crashes at start on one device only (EVE_TEST_OS_CRASH in that device's
# environment): phase 1 (os-2) commits 2.0; phase 2 (os-1) falls back to
# 1.0 after its failed try, the rollout halts (budget 0) and re-points os-1
# to its previous base OS; os-3 (phase 3) is never touched.
# Env: EVE_AGENT, EVE_CONTROLLER, EVECTL, EVE_TEST_DIR, EVE_SLOT_BOOT. Port 19801.
. "$(dirname "$0")/agent_lib.sh"
BOOT=${EVE_SLOT_BOOT:?}
[ -x "${EVECTL:-}" ] || test_skip "evectl (WITH_CLI) not built"
command -v jq >/dev/null || test_skip "jq not installed"
IMG=$W/img
LPIDS=""
REXPIDS=""

os_cleanup() {
	local rc=$? p
	for p in $REXPIDS; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	for p in $LPIDS; do
		kill -TERM "$p" 2>/dev/null
		sleep 0.5
		kill -9 -- "-$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	if [ $rc -ne 0 ]; then
		for p in 1 2 3; do echo "---- os$p.log (tail)"; tail -n 30 "$W/os$p.log" 2>/dev/null; done
		"$EVECTL" rollout get os 2>/dev/null
	fi
	agent_cleanup
	exit $rc
}
trap os_cleanup EXIT

ectl() {
	EVECTL_SERVER="https://127.0.0.1:$(ctl_port "$CTL")" EVECTL_CA="$CTL/certs/root-certificate.pem" \
		EVECTL_TOKEN="$(ctl_token "$CTL")" "$EVECTL" "$@"
}

# mk_image NAME VERSION: the real agent; the wrapper exits 3 at start when
# EVE_TEST_OS_CRASH is set (only in the 2.0 image).
mk_image() {
	local d=$IMG/$1.d
	mkdir -p "$d"
	echo "$2" >"$d/VERSION"
	cp "$EVE_AGENT" "$d/eve-agent.bin"
	if [ "$2" = 2.0 ]; then
		printf '#!/bin/sh\n[ -n "$EVE_TEST_OS_CRASH" ] && { echo "bad image on this device" >&2; exit 3; }\nexec "$(dirname "$0")/eve-agent.bin" "$@"\n' >"$d/eve-agent"
	else
		printf '#!/bin/sh\nexec "$(dirname "$0")/eve-agent.bin" "$@"\n' >"$d/eve-agent"
	fi
	chmod +x "$d/eve-agent"
	tar -C "$d" -czf "$IMG/$1.tgz" .
}

upload() {
	local f=$IMG/$1.tgz sha size code
	sha=$(sha256sum "$f" | cut -d' ' -f1)
	size=$(stat -c %s "$f")
	ctl_api "$CTL" POST /images "$(jq -n --arg n "eve-$2" --arg s "$sha" --arg v "$2" --argjson z "$size" \
		'{name: $n, sha256: $s, format: "baseos", size: $z, version: $v}')" >/dev/null || fail "POST /images"
	code=$(curl -s -o "$W/upload.out" -w '%{http_code}' -X PUT --max-time 60 \
		--cacert "$CTL/certs/root-certificate.pem" -H "Authorization: Bearer $(ctl_token "$CTL")" \
		-H 'Content-Type: application/octet-stream' --data-binary "@$f" \
		"$(ctl_url "$CTL")/api/v1/images/eve-$2/data")
	[ "$code" = 200 ] || fail "upload eve-$2: HTTP $code $(cat "$W/upload.out")"
}

# device_on N [ENV...]: device osN booted by eve-slot-boot from its slots,
# with a reboot executor (kills the agent when it records a reboot).
device_on() {
	local n=$1 lp
	shift
	mkdir -p "$W/slots$n/A"
	tar -C "$W/slots$n/A" -xzf "$IMG/v1.tgz"
	agent_confdir "os$n"
	touch "$W/os$n.devops"
	env "$@" setsid "$BOOT" --watchdog 300 --max-boots 40 "$W/slots$n" -- \
		--config "$W/os$n.conf" --state "$W/os$n.state" --serial "os-$n" \
		--record-devops "$W/os$n.devops" -v --update "dir:$W/slots$n" >>"$W/os$n.log" 2>&1 &
	lp=$!
	LPIDS="$LPIDS $lp"
	(
		seen=0
		while sleep 0.2; do
			c=$(wc -l <"$W/os$n.devops" 2>/dev/null || echo 0)
			[ "$c" -gt "$seen" ] || continue
			seen=$c
			for kid in $(cat /proc/"$lp"/task/*/children 2>/dev/null); do kill -9 "$kid"; done
		done
	) &
	REXPIDS="$REXPIDS $!"
}

os_of() { ctl_api "$CTL" GET "/devices/$1" 2>/dev/null | jq -r .os_version; }
os_is() { [ "$(os_of "$1")" = "$2" ]; }
ro_state() { ectl -o json rollout get os 2>/dev/null | jq -r --arg d "$1" '.devices[] | select(.id == $d) | .state'; }

controller_up 19801
mkdir -p "$IMG"
mk_image v1 1.0
mk_image v2 2.0
device_on 1 EVE_TEST_OS_CRASH=1
device_on 2 EVE_TEST_OS_CRASH=
device_on 3 EVE_TEST_OS_CRASH=
for n in 1 2 3; do
	wait_for 60 "os$n onboarded" test -s "$W/os$n.state/uuid"
	eval "U$n=$(agent_uuid "os$n")"
done
for u in "$U1" "$U2" "$U3"; do
	ctl_api "$CTL" PUT "/devices/$u/config-items" \
		'{"timer.config.interval": "2", "timer.deviceinfo.interval": "2", "timer.test.baseimage.update": "60"}' \
		>/dev/null || fail "PUT config-items"
done
for u in "$U1" "$U2" "$U3"; do wait_for 60 "$u reports 1.0" os_is "$u" 1.0; done
upload v2 2.0
echo "== rollout of eve-2.0: phase 1 os-2, phase 2 os-1 (crashes), phase 3 os-3"
ectl rollout create os --os eve-2.0 --phase-devices "$U2" --phase-devices "$U1" --phase-devices "$U3" \
	--health 2s --timeout 180s >/dev/null 2>"$W/err" || fail "rollout create: $(cat "$W/err")"
ectl rollout get os -w >"$W/watch.out" 2>"$W/err"
rc=$?
cat "$W/watch.out"
[ "$rc" = 3 ] || fail "rollout get -w exited $rc, want 3 (halted): $(cat "$W/err")"
grep -q "failure budget exceeded" "$W/err" || fail "halt reason: $(cat "$W/err")"
[ "$(ro_state "$U2")" = healthy ] || fail "os-2 is $(ro_state "$U2"), want healthy"
os_is "$U2" 2.0 || fail "os-2 runs $(os_of "$U2"), want 2.0"
[ "$(ro_state "$U1")" = rolled-back ] || fail "os-1 is $(ro_state "$U1"), want rolled-back"
ectl -o json rollout get os | jq -e --arg d "$U1" \
	'.devices[] | select(.id == $d) | .reason | test("2.0 failed, the device fell back")' >/dev/null ||
	fail "os-1's reason does not say it fell back"
wait_for 60 "os-1 back on 1.0" os_is "$U1" 1.0
[ "$(ro_state "$U3")" = pending ] || fail "os-3 is $(ro_state "$U3"), want pending"
os_is "$U3" 1.0 || fail "os-3 runs $(os_of "$U3")"
grep -q "booting IMGB" "$W/os3.log" && fail "os-3 booted the other slot"
grep -q "booting IMGB" "$W/os2.log" || fail "os-2 never booted the new slot"
echo PASS
