#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Signed base OS updates (issue #31), end to end: a real controller and the
# real eve-agent in dir slots under eve-slot-boot (as update_e2e). The
# device's config dir holds the publisher's release key (image-trust/) and
# the local policy require. A base image uploaded with a signature of
# another file is refused after the download and before a byte reaches
# the other slot (slot B is never created, the device reports FAILED with
# the reason, the agent never reboots); the same image signed with the
# release key (openssl dgst -sha256 -sign, evectl image upload --signature)
# is installed and committed, and the device reports who signed it
# (ZInfoDevSW.swErr, severity NOTICE), shown by evectl device get.
# Env: EVE_AGENT, EVE_CONTROLLER, EVECTL, EVE_TEST_DIR, EVE_SLOT_BOOT. Ports 21720.
. "$(dirname "$0")/agent_lib.sh"
BOOT=${EVE_SLOT_BOOT:?}
SLOTS=$W/slots
IMG=$W/img
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

sb_cleanup() {
	local rc=$?
	[ -n "${REXPID:-}" ] && kill "$REXPID" 2>/dev/null && wait "$REXPID" 2>/dev/null
	device_off
	if [ $rc -ne 0 ]; then
		echo "---- update.state"; cat "$W/dev.state/update/update.state" 2>/dev/null
		echo "---- dev.log (tail)"; tail -n 60 "$W/dev.log" 2>/dev/null
		[ -n "$U" ] && ctl_api "$CTL" GET "/devices/$U" 2>/dev/null | jq '.info.swList'
	fi
	agent_cleanup
	exit $rc
}
trap sb_cleanup EXIT

mk_image() {
	local d=$IMG/$1.d
	mkdir -p "$d"
	echo "$2" >"$d/VERSION"
	cp "$EVE_AGENT" "$d/eve-agent.bin"
	printf '#!/bin/sh\nexec "$(dirname "$0")/eve-agent.bin" "$@"\n' >"$d/eve-agent"
	chmod +x "$d/eve-agent"
	tar -C "$d" -czf "$IMG/$1.tgz" .
}

ectl() {
	EVECTL_SERVER="https://127.0.0.1:$(ctl_port "$CTL")" EVECTL_CA="$CTL/certs/root-certificate.pem" \
		EVECTL_TOKEN="$(ctl_token "$CTL")" "$EVECTL" "$@"
}

device_on() {
	setsid "$BOOT" --watchdog 300 --max-boots 40 "$SLOTS" -- \
		--config "$W/dev.conf" --state "$W/dev.state" --serial serial-dev \
		--record-devops "$W/dev.devops" -v --update "dir:$SLOTS" >>"$W/dev.log" 2>&1 &
	LPID=$!
	echo "$LPID" >"$W/loader.pid"
}

# Performs the reboots the agent records (kill -9 of the running agent).
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

sw() {
	ctl_api "$CTL" GET "/devices/$U" 2>/dev/null |
		jq -e --arg l "$1" "[.info.swList[]? | select(.partitionLabel == \$l) | select($2)] | length == 1" \
			>/dev/null
}

[ -n "${EVECTL:-}" ] || fail "EVECTL not set"
controller_up 21720
mkdir -p "$SLOTS/A" "$IMG"
mk_image v1 1.0
mk_image v2 2.0
tar -C "$SLOTS/A" -xzf "$IMG/v1.tgz"
# the publisher's release key: its public half on the device
openssl ecparam -name prime256v1 -genkey -noout -out "$W/release.key" 2>/dev/null || fail "openssl key"
agent_confdir dev
mkdir -p "$W/dev.conf/image-trust"
openssl ec -in "$W/release.key" -pubout -out "$W/dev.conf/image-trust/release.pem" 2>/dev/null || fail "openssl pub"
echo require >"$W/dev.conf/image-trust/policy"
touch "$W/dev.devops"
device_on
reboot_executor &
REXPID=$!
wait_for 60 "agent onboarded" test -s "$W/dev.state/uuid"
U=$(agent_uuid dev)
ctl_api "$CTL" PUT "/devices/$U/config-items" \
	'{"timer.config.interval": "2", "timer.deviceinfo.interval": "2", "timer.test.baseimage.update": "60"}' \
	>/dev/null || fail "PUT config-items"
wait_for 60 "IMGA active in device info" sw IMGA '.partitionState == "active" and .activated == true'

echo "== a signature of another file: refused before writing slot B"
openssl dgst -sha256 -sign "$W/release.key" -out "$W/wrong.sig" "$IMG/v1.tgz" || fail "openssl sign"
ectl image upload eve-2.0-bad "$IMG/v2.tgz" --format baseos --version 2.0 --signature "$W/wrong.sig" \
	>/dev/null || fail "evectl image upload --signature"
ectl -o json image get eve-2.0-bad | jq -e '.signature.signature | length > 60' >/dev/null ||
	fail "image get shows no signature: $(ectl -o json image get eve-2.0-bad)"
ectl device update-os "$U" --image eve-2.0-bad >/dev/null || fail "evectl device update-os"
wait_for 120 "2.0 refused (FAILED, signature)" sw IMGB \
	'.userStatus == "FAILED" and (.swErr.description | test("signature"))'
[ ! -e "$SLOTS/B" ] || fail "slot B was written: $(ls -la "$SLOTS/B")"
[ ! -s "$W/dev.devops" ] || fail "the agent asked for a reboot: $(cat "$W/dev.devops")"
grep -q "base OS update: .*refused" "$W/dev.log" || fail "no refusal in the agent log"
pass_msg=$(ctl_api "$CTL" GET "/devices/$U" | jq -r '.info.swList[] | select(.partitionLabel == "IMGB") | .swErr.description')
echo "ok: refused: $pass_msg"

echo "== the same image signed with the release key: installed and committed"
openssl dgst -sha256 -sign "$W/release.key" -out "$W/v2.sig" "$IMG/v2.tgz" || fail "openssl sign"
ectl image upload eve-2.0 "$IMG/v2.tgz" --format baseos --version 2.0 --signature "$W/v2.sig" >/dev/null ||
	fail "evectl image upload --signature (good)"
# (the failed version is tried again only with --retry)
ectl device update-os "$U" --image eve-2.0 --retry >/dev/null || fail "evectl device update-os --retry (good)"
wait_for 120 "2.0 committed on IMGB" sw IMGB \
	'.partitionState == "active" and .activated == true and .shortVersion == "2.0" and .userStatus == "UPDATED"'

echo "== the running base OS's signer in device info and evectl device get"
# ZInfoDevSW.swErr of severity NOTICE: the image's publisher signature
wait_for 60 "IMGB reports its signer" sw IMGB \
	'.swErr.severity == "SEVERITY_NOTICE" and (.swErr.description | test("^signed by release \\(key [0-9a-f]{16}\\)"))'
dev=$(ectl device get "$U") || fail "evectl device get"
grep -q "^OS_SIGNATURE  signed by release" <<<"$dev" || fail "evectl device get shows no OS signer: $dev"
grep -q "^OS_UPDATE_ERROR" <<<"$dev" && fail "the signer shown as an error: $dev"
[ "$(ctl_api "$CTL" GET "/devices/$U" | jq -r '.os_update.signature.verified')" = true ] ||
	fail "os_update.signature: $(ctl_api "$CTL" GET "/devices/$U" | jq -c .os_update)"
echo "ok: $(grep '^OS_SIGNATURE' <<<"$dev")"
echo PASS
