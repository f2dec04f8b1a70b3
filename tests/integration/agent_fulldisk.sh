#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# eve-agent with its state dir on a small tmpfs that the test fills up: the
# agent keeps running and polling, reports the full disk, never leaves a
# state file truncated or half-written, keeps a config change made while
# full in memory (or checkpoints it whole), and once space is back delivers
# what it held, checkpoints that config and restarts from its intact state.
. "$(dirname "$0")/agent_lib.sh"

S="$W/a1.state"
MOUNTED=0

fd_cleanup() {
	local p
	# The agent must be gone before its state dir can be unmounted.
	p=$(cat "$W/a1.pid" 2>/dev/null) && kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
	[ "$MOUNTED" = 1 ] && umount "$S" 2>/dev/null
	agent_cleanup
}
trap fd_cleanup EXIT

mkdir -p "$S"
if ! mount -t tmpfs -o size=4m,mode=0700 tmpfs "$S" 2>"$W/mount.err"; then
	test_skip "cannot mount a tmpfs for the state dir (needs root): $(cat "$W/mount.err")"
fi
MOUNTED=1

# fill: take every free byte of the tmpfs (each call adds a filler file, so
# space the agent freed meanwhile is taken as well).
NFILL=0
fill() {
	NFILL=$((NFILL + 1))
	dd if=/dev/zero of="$S/filler.$NFILL" bs=64k status=none 2>/dev/null
	[ "$(stat -f -c %a "$S")" = 0 ] || fail "tmpfs not full after filling"
}

# state_sums: checksums of the state files that must never be damaged.
state_sums() {
	(cd "$S" && sha256sum device.cert.pem device.key.pem uuid checkpoint/lastconfig \
		checkpoint/lastconfig.bak)
}

# no_temp_files: no half-written temporary left behind by a failed write.
no_temp_files() {
	[ -z "$(find "$S" -name '*.tmp.*' -print -quit)" ]
}

count_304() {
	grep -Ec "config: unchanged \(304\)" "$W/a1.log"
}

last_seen() {
	ctl_api "$CTL" GET "/devices/$U" | jq -r .last_seen
}

controller_up 18950
agent_confdir a1
cat >"$W/a1.conf/config-items" <<EOF
timer.config.interval=2
timer.metric.interval=2
timer.deviceinfo.interval=2
EOF
agent_start a1
wait_for 60 "agent onboarded" log_has a1 "onboarded: device UUID"
U=$(agent_uuid a1)
ctl_api "$CTL" PUT "/devices/$U/config-items" '{"timer.metric.interval": "2"}' >/dev/null ||
	fail "PUT config-items"
wait_for 30 "first config checkpointed" test -s "$S/checkpoint/lastconfig"
wait_for 30 "lastconfig.bak after a stable run" test -s "$S/checkpoint/lastconfig.bak"
wait_for 30 "device online" device_online "$U"
wait_for 30 "agent logs stored" api_count_ge "/devices/$U/logs" 1
# Let the queues drain first so the agent has nothing on disk to delete
# (and so space to reuse) while the disk is full.
dir_empty() {
	[ -z "$(ls "$1")" ]
}
wait_for 30 "info queue drained" dir_empty "$S/infoqueue"
wait_for 30 "log files uploaded" dir_empty "$S/newlogs"
before=$(state_sums) || fail "state files missing before filling"

# ---- the disk is full ---------------------------------------------------
fill
mark=$(wc -l <"$W/a1.log")
seen0=$(last_seen)
n304=$(count_304)
fill
full_reported() {
	tail -n +"$mark" "$W/a1.log" | grep -q "No space left on device"
}
polls_go_on() {
	[ "$(count_304)" -gt $((n304 + 1)) ]
}
last_seen_advanced() {
	[ "$(last_seen)" != "$seen0" ]
}
wait_for 30 "full disk reported" full_reported
wait_for 30 "polling goes on (304s)" polls_go_on
wait_for 30 "controller sees the device (last_seen advances)" last_seen_advanced
agent_running a1 || fail "agent died on a full disk"

# A config change while full: applied, and either kept in memory with an
# error or checkpointed whole; the old checkpoint is never damaged.
fill
ctl_api "$CTL" PUT "/devices/$U/config-items" '{"timer.metric.interval": "3"}' >/dev/null ||
	fail "PUT config-items"
wait_for 30 "config change applied while full" log_has a1 "timer.metric.interval = 3 s"
if log_has a1 "checkpoint/lastconfig: No space left on device: config applied but not checkpointed"; then
	[ "$(state_sums)" = "$before" ] || fail "state files changed on a full disk: $(state_sums)"
	kept=memory
else
	# Space freed by the agent itself let the checkpoint through: only
	# the checkpoint may have changed, and it is whole (checked at restart).
	diff <(echo "$before" | grep -v lastconfig$) <(state_sums | grep -v lastconfig$) >/dev/null ||
		fail "identity files changed on a full disk"
	kept=checkpoint
fi
no_temp_files || fail "temporary files left on a full disk: $(find "$S" -name '*.tmp.*')"
# A reboot asked for while full: its counter cannot be persisted, so it is
# postponed (never run unrecorded, which could repeat it after the reboot).
ctl_api "$CTL" POST "/devices/$U/reboot" '{}' >/dev/null || fail "POST reboot"
reboot_seen() {
	log_has a1 "counters: No space left on device: device op counters not saved, device op postponed" ||
		grep -qs "^reboot" "$W/a1.devops"
}
wait_for 30 "reboot request seen while full" reboot_seen
if ! grep -qs "^reboot" "$W/a1.devops"; then
	reboot_while_full=postponed
else
	reboot_while_full=run
fi
# Log lines are batched for a while before they become files: wait for a
# batch that cannot be written.
wait_for 30 "log files that cannot be written reported" \
	log_has a1 "newlogs: No space left on device: log lines kept in memory until they can be saved"
agent_running a1 || fail "agent died on a full disk"
[ "$(state_sums | grep -v lastconfig$)" = "$(echo "$before" | grep -v lastconfig$)" ] ||
	fail "identity files changed on a full disk"
no_temp_files || fail "temporary files left on a full disk"

# ---- space is back ------------------------------------------------------
latest_info() {
	ctl_api "$CTL" GET "/devices/$U/info?type=device&limit=1" | jq -r '.items[0].time'
}
info0=$(latest_info)
rm -f "$S"/filler.*
after_full=$(wc -l <"$W/a1.log")
checkpoint_changed() {
	[ "$(cd "$S" && sha256sum checkpoint/lastconfig)" != "$(echo "$before" | grep 'lastconfig$')" ]
}
wait_for 30 "config change checkpointed after the disk was freed" checkpoint_changed
# Lines logged while full were kept in memory and reach the controller.
full_line_delivered() {
	ctl_api "$CTL" GET "/devices/$U/logs?limit=1000" |
		jq -e '[.items[] | select(.msg | test("No space left on device"))] | length > 0' >/dev/null
}
wait_for 60 "log lines written while full delivered" full_line_delivered
wait_for 30 "reboot asked for while full done once space is back" grep -qs "^reboot" "$W/a1.devops"
info_flows() {
	local t
	t=$(latest_info) && [ "$t" != "$info0" ] && dir_empty "$S/infoqueue"
}
wait_for 30 "device info flows again" info_flows
in_sync_again() {
	tail -n +"$after_full" "$W/a1.log" | grep -Eq "config: unchanged \(304\)"
}
wait_for 30 "polling in sync after the disk was freed" in_sync_again
no_temp_files || fail "temporary files left after the disk was freed"

# ---- restart from the intact state (controller down: state dir only) ----
agent_stop a1
controller_stop
agent_start a1
wait_for 30 "checkpoint applied at restart" log_has a1 "applied [0-9a-f]+ from lastconfig "
log_has a1 "timer.metric.interval = 3 s" || fail "config change made while full not in the checkpoint"
log_has a1 "not applied" && fail "a state file did not load at restart"
[ "$(agent_uuid a1)" = "$U" ] || fail "uuid changed across the full disk"
controller_start
wait_for 30 "in sync with the controller after restart (304)" log_has a1 "config: unchanged \(304\)"
agent_running a1 || fail "agent died after restart"
[ "$(grep -c "^reboot" "$W/a1.devops")" = 1 ] || fail "reboot not done exactly once: $(cat "$W/a1.devops")"
log_has a1 "counters: .*not saved" && fail "counters not loaded at restart"
echo "PASS (config change while full kept in $kept, reboot while full $reboot_while_full)"
