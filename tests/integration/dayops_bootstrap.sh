#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Out-of-band configuration (docs/agent.md "Bootstrap config and removable
# media"): `evectl device bootstrap-config` writes the signed BootstrapConfig
# of a pre-registered device; a fresh agent that cannot reach its controller
# takes it from its config directory; later a loop-device filesystem
# labelled EVE-CONFIG is "inserted" while it runs and its config applied;
# a tampered one on the same kind of medium is refused.
# Ports 19965 (controller), 19966 (nothing listens: the unreachable one).
. "$(dirname "$0")/agent_lib.sh"
: "${EVECTL:?}"

skip_or_fail() {
	if [ "${CI:-}" = true ]; then fail "$* (CI=true: nothing may be skipped)"; fi
	echo "SKIP: $*"
	exit 77
}
[ "$(id -u)" = 0 ] || skip_or_fail "needs root (loop devices, mount)"
for t in losetup mkfs.ext4; do
	command -v "$t" >/dev/null || skip_or_fail "$t not installed"
done

LOOPS=""
media_cleanup() {
	for l in $LOOPS; do losetup -d "$l" 2>/dev/null; done
	agent_cleanup
}
trap media_cleanup EXIT

ev() {
	EVECTL_SERVER="$(ctl_url "$CTL")" EVECTL_CA="$CTL/certs/root-certificate.pem" \
		EVECTL_TOKEN="$(ctl_token "$CTL")" "$EVECTL" "$@"
}

controller_up 19965

echo "== a fresh device: identity made offline, pre-registered by certificate"
agent_confdir d1
echo "localhost:19966" >"$W/d1.conf/server" # no controller there
agent_start d1
wait_for 30 "device certificate made" test -s "$W/d1.state/device.cert.pem"
agent_stop d1
ev device add d1 --cert "$W/d1.state/device.cert.pem" --serial serial-d1 >/dev/null || fail "device add"
ev device config set d1 timer.metric.interval=7 >/dev/null || fail "config set"

echo "== evectl device bootstrap-config, taken from the config directory with no controller"
ev device bootstrap-config d1 -o "$W/d1.conf/bootstrap-config.pb" >"$W/bs.out" || fail "bootstrap-config d1"
grep -q "bootstrap config for d1" "$W/bs.out" || fail "no confirmation: $(cat "$W/bs.out")"
ev device bootstrap-config --serial serial-d1 -o "$W/by-serial.pb" >/dev/null || fail "bootstrap-config --serial"
[ -s "$W/by-serial.pb" ] || fail "--serial wrote nothing"
ev device bootstrap-config --serial nosuch -o "$W/none.pb" >/dev/null 2>&1 && fail "unknown serial accepted"
[ -e "$W/none.pb" ] && fail "a refused bootstrap-config wrote a file"
agent_start d1
wait_for 30 "bootstrap applied" log_has d1 "applied - from bootstrap-config.pb"
wait_for 60 "its config items" log_has d1 "timer.metric.interval = 7 s"
log_has d1 "onboarded: device UUID" && fail "the device reached a controller it cannot reach"

echo "== an EVE-CONFIG medium inserted while the agent runs"
ev device config set d1 timer.metric.interval=9 >/dev/null || fail "config set 9"
mkdir -p "$W/media"
ev device bootstrap-config d1 -o "$W/media/bootstrap-config.pb" >/dev/null || fail "bootstrap-config for media"
mkfs.ext4 -q -F -L EVE-CONFIG -d "$W/media" "$W/media.img" 4M || fail "mkfs.ext4"
loop=$(losetup -f --show "$W/media.img") || skip_or_fail "no loop device available"
LOOPS="$LOOPS $loop"
wait_for 30 "medium seen" log_has d1 "removable media $loop \\(ext4\\) labelled EVE-CONFIG: applying"
wait_for 60 "medium applied" log_has d1 "applied - from removable media $loop"
wait_for 60 "its config items" log_has d1 "timer.metric.interval = 9 s"
grep -q " $W/d1.state/media " /proc/mounts && fail "the medium is still mounted"
losetup -d "$loop" && LOOPS=${LOOPS/ $loop/}

echo "== a tampered medium is refused"
mkdir -p "$W/bad"
cp "$W/media/bootstrap-config.pb" "$W/bad/"
ev device config set d1 timer.metric.interval=11 >/dev/null || fail "config set 11"
ev device bootstrap-config d1 -o "$W/good11.pb" >/dev/null || fail "bootstrap-config 11"
# Another config's payload under the first one's signature.
python3 - "$W/good11.pb" "$W/bad/bootstrap-config.pb" <<'EOF' || fail "tampering"
import sys
data = bytearray(open(sys.argv[1], "rb").read())
i = data.find(b"timer.metric.interval")
assert i > 0
j = data.index(b"11", i)
data[j:j + 2] = b"13"
open(sys.argv[2], "wb").write(data)
EOF
mkfs.ext4 -q -F -L EVE-CONFIG -d "$W/bad" "$W/bad.img" 4M || fail "mkfs.ext4 bad"
loop=$(losetup -f --show "$W/bad.img") || fail "losetup bad"
LOOPS="$LOOPS $loop"
wait_for 30 "tampered medium refused" log_has d1 "media-config.pb: .*not applied"
log_has d1 "timer.metric.interval = 13 s" && fail "a tampered medium was applied"
echo PASS
