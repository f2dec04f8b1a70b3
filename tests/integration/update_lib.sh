# SPDX-License-Identifier: Apache-2.0
# Shared helpers for the dir-backend update tests: slot images made of the
# fake agent, an eve-slot-boot "device" in its own process group, and a
# file-based "controller" (see update_fakeagent.c). Sourced, with
# $BOOT (eve-slot-boot) and $AGENT (update_fakeagent) set.
set -eu
T=$(mktemp -d /tmp/update_it.XXXXXX)
SLOTS=$T/slots
PERSIST=$T/persist
CTL=$T/ctl
LPID=
mkdir -p "$SLOTS/A" "$PERSIST" "$CTL"

cleanup() {
	local rc=$?
	stop_device
	if [ $rc -ne 0 ]; then
		echo "---- info"; cat "$PERSIST/info" 2>/dev/null || true
		echo "---- slots.state"; cat "$SLOTS/slots.state" 2>/dev/null || true
		echo "---- update.state"; cat "$PERSIST/update.state" 2>/dev/null || true
		echo "---- boot.log"; tail -n 60 "$T/boot.log" 2>/dev/null || true
	fi
	rm -rf "$T"
	exit $rc
}
trap cleanup EXIT INT TERM

# mk_image VERSION [BEHAVIOR]: $T/img-VERSION.tgz, its sha256 in $T/img-VERSION.sha
mk_image() {
	local d=$T/img-$1.d
	mkdir -p "$d"
	cp "$AGENT" "$d/eve-agent"
	echo "$1" > "$d/VERSION"
	echo "${2:-good}" > "$d/BEHAVIOR"
	tar -C "$d" -czf "$T/img-$1.tgz" .
	sha256sum "$T/img-$1.tgz" | cut -d' ' -f1 > "$T/img-$1.sha"
}

# install_a VERSION: the factory install of IMGA
install_a() {
	mk_image "$1"
	tar -C "$SLOTS/A" -xzf "$T/img-$1.tgz"
}

# offer VERSION [RETRY]: the controller's base OS config
offer() {
	echo "$1 file://$T/img-$1.tgz $(cat "$T/img-$1.sha") ${2:-0}" > "$CTL/baseos.tmp"
	mv "$CTL/baseos.tmp" "$CTL/baseos"
}

# start_device [WATCHDOG_S] [WINDOW_S]: power on (extra env via START_ENV)
start_device() {
	rm -f "$CTL/stop"
	env FAKE_CTL="$CTL" FAKE_PERSIST="$PERSIST" FAKE_WINDOW="${2:-600}" ${START_ENV:-} \
		setsid "$BOOT" --watchdog "${1:-60}" --max-boots 30 "$SLOTS" >> "$T/boot.log" 2>&1 &
	LPID=$!
}

# power_cut / stop_device: kill -9 the whole device (loader + agent)
power_cut() {
	[ -n "$LPID" ] || return 0
	kill -9 -- "-$LPID" 2>/dev/null || true
	wait "$LPID" 2>/dev/null || true
	LPID=
}

stop_device() {
	[ -n "$LPID" ] || return 0
	touch "$CTL/stop"
	local i=0
	while kill -0 "$LPID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	power_cut
}

# wait_info REGEX [TIMEOUT_S]: until the running agent's info matches
wait_info() {
	local i=0 max=$(( ${2:-60} * 10 ))
	while ! grep -Eq -- "$1" "$PERSIST/info" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -ge $max ]; then
			echo "FAIL: info never matched: $1"
			return 1
		fi
		sleep 0.1
	done
}

# turn: the running agent's loop counter
turn() {
	sed -n 's/.*turn=\([0-9]*\).*/\1/p' "$PERSIST/info" 2>/dev/null | head -n1
}

# wait_turns N: until the agent went N more turns (offered the config N times)
wait_turns() {
	local t0
	t0=$(turn)
	wait_info "turn=" 30
	local i=0
	while [ "$(turn)" -lt $(( ${t0:-0} + $1 )) ] 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 600 ] || { echo "FAIL: agent stopped turning"; return 1; }
		sleep 0.1
	done
}

boots_of() { grep -c "booting $1" "$T/boot.log" || true; }

say() { echo "== $*"; }
