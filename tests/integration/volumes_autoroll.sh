#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck disable=SC2015 # "[ a ] && [ b ] || fail" is meant
# The device rolls an app update back by itself (issue 17), end to end:
# eve-controller + eve-agent (runtime on the machine's libvirt LXC) + evectl.
#   a container app with a 64 MiB data volume writes "v1" to /data/log ->
#   its image is changed to one that appends "crash" and exits -> the
#   controller is stopped: the device alone, with timer.app.update.rollback,
#   restores image v1 and the data snapshot ("v1", then v1 appends again),
#   and stays there (also across a restart of the agent) while its config
#   still names the failed update -> the controller comes back, sees the
#   device's report and makes the rollback the app's next revision
#   (ROLLED_BACK, app history with the device's reason).
. "$(dirname "$0")/e2e_lib.sh"

SERIAL=autoroll-serial-1
IMAGES=$E2E_BUILD/runtime-images # shared with the runtime tests (same builder, flock)
TRIAL_S=10

step "controller on 127.0.0.1:$E2E_PORT, libvirtd, test images"
ctl_init "$CTL" "$E2E_PORT" || fail "eve-controller init"
ctl_start "$CTL" || fail "eve-controller serve"
libvirtd_start || test_skip "libvirtd cannot start here: $LIBVIRTD_ERROR"
export PATH="$PATH:/usr/sbin:/sbin"
command -v debugfs >/dev/null 2>&1 && command -v mkfs.ext4 >/dev/null 2>&1 ||
	test_skip "e2fsprogs (mkfs.ext4, debugfs) missing"
mkdir -p "$IMAGES"
(
	flock 9
	sh "$EVE_SRC/tests/images/build-oci-volimage.sh" "$IMAGES"
) 9>"$IMAGES/.lock" >"$W/images.log" 2>&1 || { cat "$W/images.log"; fail "building the volume test images"; }
pass "controller up, images in $IMAGES"

step "device onboarded, short config interval, device-side rollback after ${TRIAL_S}s"
ectl onboard add --cert "$CTL/device-config/onboard.cert.pem" --serial "$SERIAL" >/dev/null ||
	fail "evectl onboard add"
agent_dirs dev
agent_start dev "$SERIAL"
wait_for 60 "device $SERIAL online" device_field_is "$SERIAL" .state online
ectl device config set "$SERIAL" timer.config.interval=2 "timer.app.update.rollback=$TRIAL_S" >/dev/null ||
	fail "evectl device config set"
agent_stop dev
agent_start dev "$SERIAL"
wait_for 60 "agent applied timer.config.interval" grep -q "timer.config.interval = 2 s" "$W/agent-dev.log"
pass "timer.app.update.rollback=$TRIAL_S on $SERIAL"

step "app web (image v1) with data volume 'data' at /data writes v1"
ectl image upload volv1 "$IMAGES/vol-oci-v1.tar" --format oci >/dev/null || fail "upload volv1"
ectl image upload volcrash "$IMAGES/vol-oci-vcrash.tar" --format oci >/dev/null || fail "upload volcrash"
ectl volume create data --device "$SERIAL" --size 64M >/dev/null || fail "volume create data"
VOL=$(ectl_json volume get data | jq -r .id)
# shellcheck disable=SC2016 # $IMAGE_VERSION is the container's
SCRIPT='echo v$IMAGE_VERSION | dd of=/data/log oflag=append conv=notrunc; sync'
ectl app deploy web --image volv1 --device "$SERIAL" --memory 64M --disk 48M --volume data:/data -e "SCRIPT=$SCRIPT" \
	>/dev/null || fail "deploy web"
APP=$(app_instance web)
wait_app_state web RUNNING 120

# data_log: /data/log of the data volume, lines joined by spaces (read
# from its ext4 image on the device beside the running app).
data_log() {
	local img
	img=$(find "$W/dev.state" -path "*/volumes/$VOL/fs.img" 2>/dev/null | head -n1)
	[ -n "$img" ] || return 1
	debugfs -R 'cat /log' "$img" 2>/dev/null | tr '\n' ' ' | sed 's/ *$//'
}
data_log_is() { [ "$(data_log)" = "$1" ]; }
data_log_has() { data_log | grep -q -- "$1"; }
wait_for 60 "v1 in /data/log" data_log_is v1
root_img=$(find "$W/dev.state" -path "*/volumes/*/root.img" | head -n1)
[ -n "$root_img" ] && [ "$(stat -c %s "$root_img")" = $((48 << 20)) ] ||
	fail "web's root is not a 48 MiB filesystem image (--disk 48M)"
pass "web RUNNING on v1 (root: 48 MiB image), /data/log = '$(data_log)'"

step "update web to an image that crashes; the controller goes away"
# only the image changes (the device rolls back the image and the data;
# the rest of the app's config is the controller's)
body=$(jq -nc --arg dev "$SERIAL" --arg script "$SCRIPT" \
	'{image: "volcrash", device: $dev, memory_mb: 64, disk_mb: 48, env: {SCRIPT: $script},
	  volumes: [{name: "data", mount: "/data"}]}')
ctl_api "$CTL" PUT /apps/web "$body" >/dev/null || fail "PUT web with image volcrash ($CTL_STATUS)"
wait_for 90 "the crashing update running on the device (crash in /data/log)" data_log_has crash
ctl_stop "$CTL"
pass "update applied, it crashed ('$(data_log)'); controller stopped"

step "the device rolls back alone: image v1 with its data snapshot"
wait_for 90 "/data/log back to the snapshot + a new v1 run" data_log_is "v1 v1"
rolled=$(find "$W/dev.state" -path "*/rollback/*/rolled" | head -n1)
[ -n "$rolled" ] || fail "no rollback record on the device"
grep -q "^why rolled back on the device to version 1" "$rolled" || fail "rollback record: $(cat "$rolled")"
domain_running "eve-$APP" || fail "web's domain is not running after the rollback"
pass "rolled back: /data/log = '$(data_log)'; $(sed -n 's/^why //p' "$rolled")"

step "no flapping back to the failed update (timer passes, agent restarts) while the config names it"
id1=$(domain_id "eve-$APP")
sleep $((TRIAL_S + 2))
agent_stop dev
agent_start dev "$SERIAL"
sleep 6
data_log_is "v1 v1" || fail "the data changed after the rollback: '$(data_log)'"
domain_running "eve-$APP" && [ "$(domain_id "eve-$APP")" = "$id1" ] ||
	fail "web's domain restarted or stopped after the rollback"
pass "still v1 with '$(data_log)', same domain"

step "the controller comes back: it takes the device's rollback as the app's next revision"
ctl_start "$CTL" || fail "controller restart"
rb_state() { ectl -o json app get web 2>/dev/null | jq -r '.rollback.state // "none"'; }
wait_for 60 "ROLLED_BACK on the controller" eval '[ "$(rb_state)" = ROLLED_BACK ]'
H=$(ectl_json app history web)
r2=$(jq -r '.revisions[] | select(.version == 2) | .outcome' <<<"$H")
r3=$(jq -r '.revisions[] | select(.version == 3) | .reason' <<<"$H")
case $r2 in "rolled back by the device: on $SERIAL: rolled back on the device to version 1"*) ;; *)
	fail "v2's outcome: '$r2'" ;;
esac
[ "$r3" = "auto-rollback to v1" ] || fail "v3's reason: '$r3'"
[ "$(jq -r '.rollback.from, .rollback.to' <<<"$(ectl_json app get web)" | tr '\n' ' ')" = "2 1 " ] ||
	fail "rollback from/to: $(ectl_json app get web | jq -c .rollback)"
ectl app history web >"$W/history.txt" 2>&1 || fail "evectl app history"
grep -q "rolled back by the device" "$W/history.txt" || fail "app history lacks the reason: $(cat "$W/history.txt")"
inst_ok() {
	ectl -o json app get web 2>/dev/null |
		jq -e '.instances[0] | .state == "RUNNING" and (.reported_generation | startswith("3."))' >/dev/null
}
wait_for 60 "the device runs v3 (= v1's spec) with no rollback error" inst_ok
data_log_has crash && fail "the failed update's data came back: '$(data_log)'"
pass "ROLLED_BACK v2->v1; history: $(tr -s ' ' <"$W/history.txt" | tail -n +2 | head -n 3 | tr '\n' '|')"
log "PASS"
