#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# timer.test.baseimage.update on a running device: the real controller and
# the real eve-agent in dir slots under eve-slot-boot (like update_e2e).
# The controller sets the base-OS test window to 10 s and sends 2.0, an
# image that crashes at start (the device falls back to 1.0), then 3.0, an
# image whose agent starts but cannot reach the controller (its config dir
# names a closed port). The new image's own agent ends the test
# window: the device must be back on the old slot within the window plus
# slack (not before the window), report the failed update with its reason
# to the controller, and stay there (no further boots).
# Env: EVE_AGENT, EVE_CONTROLLER, EVE_TEST_DIR, EVE_SLOT_BOOT. Ports 23200 (controller), 23201 (closed).
. "$(dirname "$0")/agent_lib.sh"
BOOT=${EVE_SLOT_BOOT:?}
SLOTS=$W/slots
IMG=$W/img
WINDOW=10
LPID=
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

win_cleanup() {
	local rc=$?
	device_off
	if [ $rc -ne 0 ]; then
		echo "---- slots.state"; cat "$SLOTS/slots.state" 2>/dev/null
		echo "---- update.state"; cat "$W/dev.state/update/update.state" 2>/dev/null
		echo "---- dev.log (tail)"; tail -n 120 "$W/dev.log" 2>/dev/null
		[ -n "$U" ] && ctl_api "$CTL" GET "/devices/$U" 2>/dev/null | jq '.info.swList'
	fi
	agent_cleanup
	exit $rc
}
trap win_cleanup EXIT

# mk_image NAME VERSION good|crash|unreachable: a base image tarball with
# the real agent inside. "unreachable": the image's agent runs with a copy
# of its config dir whose server is a closed port on loopback; "crash": it
# exits with status 3 at start.
mk_image() {
	local d=$IMG/$1.d
	mkdir -p "$d"
	echo "$2" >"$d/VERSION"
	cp "$EVE_AGENT" "$d/eve-agent.bin"
	if [ "$3" = unreachable ]; then
		cat >"$d/eve-agent" <<'SH'
#!/bin/bash
a=("$@")
for ((i = 0; i + 1 < ${#a[@]}; i++)); do
	[ "${a[i]}" = --config ] || continue
	c=${a[i + 1]%/}
	rm -rf "$c.unreachable" && cp -r "$c" "$c.unreachable" || exit 4
	echo "127.0.0.1:23201" >"$c.unreachable/server"
	a[i + 1]=$c.unreachable
done
exec "$(dirname "$0")/eve-agent.bin" "${a[@]}"
SH
	elif [ "$3" = crash ]; then
		printf '#!/bin/sh\necho "bad image: crashing at start" >&2\nexit 3\n' >"$d/eve-agent"
	else
		printf '#!/bin/sh\nexec "$(dirname "$0")/eve-agent.bin" "$@"\n' >"$d/eve-agent"
	fi
	chmod +x "$d/eve-agent"
	tar -C "$d" -czf "$IMG/$1.tgz" .
}

upload() {
	local f=$IMG/$3.tgz sha size code
	sha=$(sha256sum "$f" | cut -d' ' -f1)
	size=$(stat -c %s "$f")
	ctl_api "$CTL" POST /images "$(jq -n --arg n "$1" --arg s "$sha" --arg v "$2" --argjson z "$size" \
		'{name: $n, sha256: $s, format: "baseos", size: $z, version: $v}')" >/dev/null || fail "POST /images $1"
	code=$(curl -s -o "$W/upload.out" -w '%{http_code}' -X PUT --max-time 60 \
		--cacert "$CTL/certs/root-certificate.pem" -H "Authorization: Bearer $(ctl_token "$CTL")" \
		-H 'Content-Type: application/octet-stream' --data-binary "@$f" "$(ctl_url "$CTL")/api/v1/images/$1/data")
	[ "$code" = 200 ] || fail "upload $1: HTTP $code $(cat "$W/upload.out")"
}

device_on() {
	setsid "$BOOT" --watchdog 300 --max-boots 40 "$SLOTS" -- \
		--config "$W/dev.conf" --state "$W/dev.state" --serial serial-win \
		--record-devops "$W/dev.devops" -v --update "dir:$SLOTS" >>"$W/dev.log" 2>&1 &
	LPID=$!
}

sw() {
	ctl_api "$CTL" GET "/devices/$U" 2>/dev/null |
		jq -e --arg l "$1" "[.info.swList[]? | select(.partitionLabel == \$l) | select($2)] | length == 1" \
			>/dev/null
}

nboots() { grep -c "eve-slot-boot: booting" "$W/dev.log" || true; }
fetches() { grep -c "config: " "$W/dev.log" || true; }
# started_after N: the time (epoch seconds) of the first line an agent
# logged after the loader's Nth boot (the loader prints no time; the agent's
# lines carry ts=, and it starts its test window as it starts).
started_after() {
	awk -v n="$1" '/^eve-slot-boot: booting/ { b++; next }
		b == n && match($0, /^ts=[0-9T:.-]+Z/) { print substr($0, 4, RLENGTH - 4); exit }' "$W/dev.log" |
		{ read -r t && date -u -d "$(echo "$t" | tr T ' ')" +%s.%N; }
}
has_started_after() { [ -n "$(started_after "$1")" ]; }

controller_up 23200
mk_image v1 1.0 good
mk_image v2 2.0 crash
mk_image v3 3.0 unreachable
mkdir -p "$SLOTS/A"
tar -C "$SLOTS/A" -xzf "$IMG/v1.tgz"
agent_confdir dev
touch "$W/dev.devops"
device_on
wait_for 60 "agent onboarded" test -s "$W/dev.state/uuid"
U=$(agent_uuid dev)
ctl_api "$CTL" PUT "/devices/$U/config-items" \
	'{"timer.config.interval": "2", "timer.deviceinfo.interval": "2", "timer.test.baseimage.update": "'$WINDOW'"}' \
	>/dev/null || fail "PUT config-items"
wait_for 60 "IMGA 1.0 active in device info" sw IMGA '.partitionState == "active" and .activated == true and .shortVersion == "1.0"'
# The device runs the window the controller set (its own report of it).
prop_applied() {
	ctl_api "$CTL" GET "/devices/$U/properties" 2>/dev/null |
		jq -e --arg n "$1" '[.items[] | select(.name == $n and .state == "applied")] | length == 1' >/dev/null
}
wait_for 60 "the device applied timer.test.baseimage.update=$WINDOW" prop_applied timer.test.baseimage.update

# A first failed update: the device remembers 2.0 failed. (The device used
# to checkpoint the config that asked for the next update only after the
# update's reboot, i.e. never: back on 1.0 after 3.0 failed, it started
# from the checkpoint naming 2.0, installed 2.0 again, fell back, fetched
# 3.0, ... a boot loop.)
echo "== 2.0 crashes at start: back on 1.0"
upload eve-2.0 2.0 v2
ctl_api "$CTL" POST "/devices/$U/baseos" '{"image": "eve-2.0", "activate": true}' >/dev/null || fail "POST baseos 2.0"
wait_for 120 "2.0 fell back" sw IMGB \
	'.shortVersion == "2.0" and .userStatus == "FALLBACK" and (.swErr.description | test("exited with status 3"))'
wait_for 60 "IMGA 1.0 active" sw IMGA '.partitionState == "active" and .activated == true and .shortVersion == "1.0"'

echo "== 3.0 cannot reach the controller: its agent ends the $WINDOW s window, back on 1.0"
upload eve-3.0 3.0 v3
n0=$(nboots)
ctl_api "$CTL" POST "/devices/$U/baseos" '{"image": "eve-3.0", "activate": true}' >/dev/null || fail "POST baseos 3.0"
wait_for 120 "IMGB booted" bash -c "[ \$(grep -c 'eve-slot-boot: booting' '$W/dev.log') -ge $((n0 + 1)) ]"
wait_for $((WINDOW + 120)) "a boot after IMGB's" bash -c "[ \$(grep -c 'eve-slot-boot: booting' '$W/dev.log') -ge $((n0 + 2)) ]"
grep 'eve-slot-boot: booting' "$W/dev.log" | sed -n "$((n0 + 1)),$((n0 + 2))p" | tr '\n' ' ' | grep -q 'IMGB.*IMGA' ||
	fail "not IMGB then IMGA: $(grep 'eve-slot-boot: booting' "$W/dev.log" | tail -2 | tr '\n' ' ')"
wait_for 30 "the agent on IMGA logged" has_started_after $((n0 + 2))
tb=$(started_after $((n0 + 1)))
ta=$(started_after $((n0 + 2)))
took=$(awk -v a="$ta" -v b="$tb" 'BEGIN { printf "%.1f", a - b }')
echo "the agent on IMGB started at $tb, on IMGA again at $ta: the test window ran $took s (window $WINDOW s)"
# Not before the window; within it plus slack for a loaded machine.
awk -v t="$took" -v w=$WINDOW 'BEGIN { exit !(t >= w) }' || fail "fell back after $took s, before the $WINDOW s window"
awk -v t="$took" -v w=$WINDOW 'BEGIN { exit !(t <= w + 30) }' || fail "fell back after $took s, window $WINDOW s"
grep -q "watchdog" "$W/dev.log" && fail "the loader's watchdog ended IMGB, not the agent"
wait_for 120 "the controller shows IMGB 3.0 FALLBACK with the reason" sw IMGB \
	'.shortVersion == "3.0" and .userStatus == "FALLBACK" and (.swErr.description | test("did not reach the controller within the '$WINDOW' s test window"))'
wait_for 60 "IMGA 1.0 active again" sw IMGA '.partitionState == "active" and .activated == true and .shortVersion == "1.0"'

echo "== the device stays on 1.0"
n0=$(nboots)
c0=$(fetches)
t0=$SECONDS
# Eight more config fetches (the agent on 1.0 gets the config that names
# 3.0 each time) and longer than a whole window: a retried update or a
# boot loop would show as a boot.
wait_for 90 "eight more config fetches" bash -c "[ \$(grep -c 'config: ' '$W/dev.log') -ge $((c0 + 8)) ]"
while [ $((SECONDS - t0)) -lt $((WINDOW + 10)) ]; do sleep 1; done
[ "$(nboots)" = "$n0" ] || { grep "eve-slot-boot" "$W/dev.log"; fail "booted $(( $(nboots) - n0 )) more times after the fallback"; }
sw IMGA '.activated == true and .shortVersion == "1.0"' || fail "IMGA no longer active"
sw IMGB '.userStatus == "FALLBACK"' || fail "IMGB no longer reported FALLBACK"
echo PASS
