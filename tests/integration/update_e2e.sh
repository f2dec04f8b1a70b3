#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End to end: a real controller and the real eve-agent installed in dir
# slots under eve-slot-boot. Base images (tarballs of the agent) are
# uploaded to the controller and served from its datastore over HTTPS.
# A good update commits and device info shows it active; an image that
# crashes at start falls back with the reason and is not retried until
# --retry; kill -9 at steps of the flow and a power cut leave a device that
# boots and reports.
#
# The agent runs with --record-devops, so a reboot it asks for through its
# devops seam is recorded, never executed on this host; the test performs
# it (kill -9 of the agent: eve-slot-boot boots again). An agent that leaves
# rebooting to the update library exits with code 75 instead.
# Env: EVE_AGENT, EVE_CONTROLLER, EVE_TEST_DIR, EVE_SLOT_BOOT. Port 18500.
. "$(dirname "$0")/agent_lib.sh"
BOOT=${EVE_SLOT_BOOT:?}
SLOTS=$W/slots
IMG=$W/img
LPID=
REXPID=
U=

device_off() {
	[ -n "$LPID" ] || return 0
	kill -TERM "$LPID" 2>/dev/null
	local i
	for ((i = 0; i < 100; i++)); do kill -0 "$LPID" 2>/dev/null || break; sleep 0.1; done
	kill -9 -- "-$LPID" 2>/dev/null
	wait "$LPID" 2>/dev/null
	LPID=
}

upd_cleanup() {
	local rc=$?
	[ -n "$REXPID" ] && kill "$REXPID" 2>/dev/null && wait "$REXPID" 2>/dev/null
	device_off
	if [ $rc -ne 0 ]; then
		echo "---- slots.state"; cat "$SLOTS/slots.state" 2>/dev/null
		echo "---- update.state"; cat "$W/dev.state/update/update.state" 2>/dev/null
		echo "---- dev.log (tail)"; tail -n 80 "$W/dev.log" 2>/dev/null
		[ -n "$U" ] && ctl_api "$CTL" GET "/devices/$U" 2>/dev/null | jq '.info.swList'
	fi
	agent_cleanup
	exit $rc
}
trap upd_cleanup EXIT

# mk_image NAME good|crash [VERSION]: a base image tarball, the real agent
# inside (and VERSION, which the agent reports as the slot's version).
mk_image() {
	local d=$IMG/$1.d
	mkdir -p "$d"
	[ -n "${3:-}" ] && echo "$3" >"$d/VERSION"
	cp "$EVE_AGENT" "$d/eve-agent.bin"
	if [ "$2" = crash ]; then
		printf '#!/bin/sh\necho "bad image: crashing at start" >&2\nexit 3\n' >"$d/eve-agent"
	else
		printf '#!/bin/sh\nexec "$(dirname "$0")/eve-agent.bin" "$@"\n' >"$d/eve-agent"
	fi
	chmod +x "$d/eve-agent"
	tar -C "$d" -czf "$IMG/$1.tgz" .
}

# upload NAME VERSION IMAGE: register a baseos image and upload its bytes.
upload() {
	local f=$IMG/$3.tgz sha size
	sha=$(sha256sum "$f" | cut -d' ' -f1)
	size=$(stat -c %s "$f")
	ctl_api "$CTL" POST /images "$(jq -n --arg n "$1" --arg s "$sha" --arg v "$2" --argjson z "$size" \
		'{name: $n, sha256: $s, format: "baseos", size: $z, version: $v}')" >/dev/null || fail "POST /images $1"
	local code
	code=$(curl -s -o "$W/upload.out" -w '%{http_code}' -X PUT --max-time 60 \
		--cacert "$CTL/certs/root-certificate.pem" -H "Authorization: Bearer $(ctl_token "$CTL")" \
		-H 'Content-Type: application/octet-stream' --data-binary "@$f" "$(ctl_url "$CTL")/api/v1/images/$1/data")
	[ "$code" = 200 ] || fail "upload $1: HTTP $code $(cat "$W/upload.out")"
}

device_on() {
	env ${START_ENV:-} setsid "$BOOT" --watchdog 300 --max-boots 40 "$SLOTS" -- \
		--config "$W/dev.conf" --state "$W/dev.state" --serial serial-dev \
		--record-devops "$W/dev.devops" -v --update "dir:$SLOTS" >>"$W/dev.log" 2>&1 &
	LPID=$!
	echo "$LPID" >"$W/loader.pid"
}

power_cut() {
	kill -9 -- "-$LPID" 2>/dev/null
	wait "$LPID" 2>/dev/null
	LPID=
}

# Performs the reboots the agent records: kill -9 the running agent (the
# current loader's child; the loader boots again).
reboot_executor() {
	local seen=0 n kid lp
	while sleep 0.2; do
		n=$(wc -l <"$W/dev.devops" 2>/dev/null || echo 0)
		[ "$n" -gt "$seen" ] || continue
		seen=$n
		lp=$(cat "$W/loader.pid" 2>/dev/null) || continue
		for kid in $(cat /proc/"$lp"/task/*/children 2>/dev/null); do kill -9 "$kid"; done
	done
}

# sw LABEL JQ-CONDITION: the controller's latest device info has slot LABEL
# matching the condition (on its ZInfoDevSW JSON).
sw() {
	ctl_api "$CTL" GET "/devices/$U" 2>/dev/null |
		jq -e --arg l "$1" "[.info.swList[]? | select(.partitionLabel == \$l) | select($2)] | length == 1" \
			>/dev/null
}

boots() { grep -c "booting $1" "$W/dev.log" || true; }
fetches() { grep -c "config: " "$W/dev.log" || true; }

controller_up 18500
mk_image v1 good 1.0
# The good update is the build's own base-OS image (cmake target
# baseos-image: the agent + VERSION), registered with the version inside it.
V2=2.0
if [ -n "${EVE_BASEOS_IMAGE:-}" ]; then
	[ -s "$EVE_BASEOS_IMAGE" ] || fail "base-OS image $EVE_BASEOS_IMAGE not built"
	cp "$EVE_BASEOS_IMAGE" "$IMG/v2.tgz"
	V2=$(tar -xzOf "$IMG/v2.tgz" VERSION) ||
		fail "no VERSION in $EVE_BASEOS_IMAGE"
else
	mk_image v2 good
fi
mk_image v3 crash
mk_image v4 good
mkdir -p "$SLOTS/A" "$IMG"
tar -C "$SLOTS/A" -xzf "$IMG/v1.tgz"
agent_confdir dev
touch "$W/dev.devops"
device_on
REXPID=
reboot_executor &
REXPID=$!
wait_for 60 "agent onboarded" test -s "$W/dev.state/uuid"
U=$(agent_uuid dev)
ctl_api "$CTL" PUT "/devices/$U/config-items" \
	'{"timer.config.interval": "2", "timer.deviceinfo.interval": "2", "timer.test.baseimage.update": "60"}' \
	>/dev/null || fail "PUT config-items"
wait_for 60 "IMGA active in device info" sw IMGA '.partitionState == "active" and .activated == true'

echo "== good update $V2 commits"
upload eve-2.0 "$V2" v2
ctl_api "$CTL" POST "/devices/$U/baseos" '{"image": "eve-2.0", "activate": true}' >/dev/null || fail "POST baseos"
wait_for 120 "$V2 committed on IMGB" sw IMGB \
	'.partitionState == "active" and .activated == true and .shortVersion == "'"$V2"'" and .userStatus == "UPDATED"'
wait_for 30 "IMGA inactive" sw IMGA '.partitionState == "inactive" and .activated != true'
grep -q "^B.successful=1" "$SLOTS/slots.state" || fail "IMGB not marked successful"

echo "== 3.0 crashes at start: FALLBACK with the reason, not retried until retry"
upload eve-3.0 3.0 v3
n0=$(boots IMGA)
ctl_api "$CTL" POST "/devices/$U/baseos" '{"image": "eve-3.0", "activate": true}' >/dev/null || fail "POST baseos"
wait_for 120 "3.0 fell back" sw IMGA \
	'.shortVersion == "3.0" and .userStatus == "FALLBACK" and (.swErr.description | test("exited with status 3"))'
wait_for 30 "IMGB still active" sw IMGB '.activated == true and .shortVersion == "'"$V2"'"'
if [ -n "${EVECTL:-}" ]; then
	# What an operator sees: both partitions, the fallback and its reason.
	EVECTL_SERVER="https://127.0.0.1:$(ctl_port "$CTL")" EVECTL_CA="$CTL/certs/root-certificate.pem" \
		EVECTL_TOKEN="$(ctl_token "$CTL")" "$EVECTL" device get "$U" >"$W/evectl-get.out" ||
		fail "evectl device get"
	grep -Eq "^IMGA +[a-z]+ +3\.0 .*FALLBACK .*exited with status 3" "$W/evectl-get.out" ||
		{ cat "$W/evectl-get.out" >&2; fail "evectl device get shows IMGA FALLBACK with its reason"; }
	grep -Eq "^IMGB +active +$(printf '%s' "$V2" | sed 's/[.+]/\\&/g') +true " "$W/evectl-get.out" ||
		{ cat "$W/evectl-get.out" >&2; fail "evectl device get shows IMGB active"; }
fi
[ "$(boots IMGA)" = $((n0 + 1)) ] || fail "3.0 booted $(( $(boots IMGA) - n0 )) times"
c0=$(fetches)
wait_for 60 "five more config fetches" bash -c "[ \$(grep -c 'config: ' '$W/dev.log') -ge $((c0 + 5)) ]"
[ "$(boots IMGA)" = $((n0 + 1)) ] || fail "3.0 retried without retry_update"
ctl_api "$CTL" POST "/devices/$U/baseos" '{"image": "eve-3.0", "activate": true, "retry": true}' >/dev/null ||
	fail "POST baseos retry"
wait_for 120 "3.0 tried again after retry" bash -c "[ \$(grep -c 'booting IMGA' '$W/dev.log') -ge $((n0 + 2)) ]"
wait_for 120 "3.0 fell back again" sw IMGA '.userStatus == "FALLBACK"'
wait_for 60 "IMGB active again" sw IMGB '.activated == true and .partitionState == "active"'

echo "== kill -9 of the agent right after writing 4.0"
device_off
rm -f "$W/dev.state/update/crashed-"*
START_ENV="EVE_UPDATE_CRASH_AT=written" device_on
upload eve-4.0 4.0 v4
ctl_api "$CTL" POST "/devices/$U/baseos" '{"image": "eve-4.0", "activate": true}' >/dev/null || fail "POST baseos"
wait_for 120 "4.0 committed on IMGA" sw IMGA '.activated == true and .shortVersion == "4.0" and .userStatus == "UPDATED"'
test -e "$W/dev.state/update/crashed-written" || fail "crash point not reached"

echo "== power cut: the device boots IMGA again and reports"
power_cut
device_on
c0=$(fetches)
wait_for 60 "config fetched after the power cut" bash -c "[ \$(grep -c 'config: ' '$W/dev.log') -gt $c0 ]"
wait_for 60 "device online" device_online "$U"
wait_for 30 "IMGA still active" sw IMGA '.activated == true and .shortVersion == "4.0"'
echo PASS
