#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Phased app rollouts with real agents (3, own state dirs) running the
# busybox OCI image under libvirt LXC:
#   a good rollout (new image) passes every phase, the controller restarted
#   in the middle resumes it where it was -> a rollout of an image whose
#   entrypoint exits 1 halts after phase 1 (budget 0), the failed device is
#   rolled back, the others untouched -> manual approval between phases,
#   pause/resume, abort (updated devices keep the new revision).
. "$(dirname "$0")/e2e_lib.sh"
. "$(dirname "$0")/rollouts_lib.sh"

IMAGES=$E2E_BUILD/runtime-images

step "controller on 127.0.0.1:$E2E_PORT, libvirtd, images (good v1, good v2, crashing)"
ctl_init "$CTL" "$E2E_PORT" || fail "eve-controller init"
ctl_start "$CTL" || fail "eve-controller serve"
libvirtd_start || test_skip "libvirtd cannot start here: $LIBVIRTD_ERROR"
command -v jq >/dev/null || test_skip "jq not installed"
mkdir -p "$IMAGES"
(
	flock 9
	sh "$EVE_SRC/tests/images/build-oci-image.sh" "$IMAGES"
) 9>"$IMAGES/.lock" >"$W/images.log" 2>&1 || { cat "$W/images.log"; fail "building the OCI test image"; }
oci_variant "$IMAGES/busybox-oci.tar" "$W/v2.tar" \
	'echo EVE-TEST-OCI: v2 up; while :; do sleep 2; done' || fail "building the v2 image"
oci_variant "$IMAGES/busybox-oci.tar" "$W/crash.tar" 'echo EVE-TEST-OCI: crashing; exit 1' ||
	fail "building the crashing image"
for i in "busybox $IMAGES/busybox-oci.tar" "busybox-v2 $W/v2.tar" "busybox-crash $W/crash.tar"; do
	set -- $i
	ectl image upload "$1" "$2" --format oci >/dev/null || fail "image upload $1"
done
pass "3 images uploaded"

step "3 agents onboard; app web (busybox) on every device labelled fleet=ro"
fleet_agents 3
ectl app deploy web --image busybox --selector fleet=ro --memory 64M >/dev/null || fail "deploy web"
wait_app_state web RUNNING 180
pass "web RUNNING on ro-1, ro-2, ro-3"

step "good rollout to busybox-v2 in phases 1,2,100%; controller restarted during phase 2"
ectl rollout create good --app web --image busybox-v2 --phases 1,2,100% --health 3s --timeout 120s \
	>/dev/null 2>"$W/err" || fail "rollout create good: $(cat "$W/err")"
[ "$(phase_devs good 1)" = ro-1 ] && [ "$(phase_devs good 2)" = ro-2 ] && [ "$(phase_devs good 3)" = ro-3 ] ||
	fail "phases are not ro-1 / ro-2 / ro-3"
wait_for 120 "phase 2 started" ro_has_event good "phase 2/3 started"
inst_is web ro-3 image busybox && inst_is web ro-3 pinned false || fail "ro-3 changed before its phase"
ctl_stop "$CTL"
ctl_start "$CTL" || fail "controller restart"
ectl rollout get good -w >"$W/watch.out" 2>"$W/err" || fail "rollout good did not finish: $(cat "$W/err")"
n=$(ectl -o json rollout get good | jq '[.events[].msg | select(test("phase 2/3 started"))] | length')
[ "$n" = 1 ] || fail "phase 2 started $n times (not resumed where it was)"
ro_field_is good '.devices_count.healthy' 3 || fail "not every device healthy"
[ "$(ectl_json app get web | jq -r '.image + " " + (.version|tostring)')" = "busybox-v2 2" ] ||
	fail "app web is not busybox-v2 version 2 after the rollout"
[ "$(ectl_json app get web | jq -r '[.instances[] | select(.pinned or .version != 2)] | length')" = 0 ] ||
	fail "instances still pinned after the rollout"
wait_app_state web RUNNING 60
wait_for 60 "the v2 image's console line in web's logs" app_log_ge web "EVE-TEST-OCI: v2 up" 3
pass "3 phases passed across a controller restart; web = busybox-v2 v2 everywhere"

step "rollout of the crashing image: halts after phase 1, ro-1 rolled back, the rest untouched"
ectl rollout create bad --app web --image busybox-crash --phases 1,100% --health 3s --timeout 120s \
	>/dev/null 2>"$W/err" || fail "rollout create bad: $(cat "$W/err")"
ectl rollout get bad -w >"$W/watch.out" 2>"$W/err"
rc=$?
[ "$rc" = 3 ] || fail "rollout get bad -w exited $rc, want 3 (halted)"
grep -q "failure budget exceeded" "$W/err" || fail "halt reason: $(cat "$W/err")"
[ "$(ro_dev_state bad ro-1)" = rolled-back ] || fail "ro-1 is $(ro_dev_state bad ro-1), want rolled-back"
ectl -o json rollout get bad | jq -e '.devices[] | select(.name == "ro-1") | .reason | test("ERROR")' >/dev/null ||
	fail "ro-1's failure reason does not name the instance error"
[ "$(ro_dev_state bad ro-2)" = pending ] && [ "$(ro_dev_state bad ro-3)" = pending ] ||
	fail "ro-2/ro-3 are not pending"
for d in ro-2 ro-3; do
	inst_is web $d image busybox-v2 && inst_is web $d pinned false || fail "$d changed by the halted rollout"
done
[ "$(ectl_json app get web | jq -r .image)" = busybox-v2 ] || fail "app web changed by the halted rollout"
inst_is web ro-1 image busybox-v2 && inst_is web ro-1 version 2 || fail "ro-1 not back on busybox-v2 v2"
wait_app_state web RUNNING 120
pass "halted (budget 0), ro-1 back on busybox-v2 and RUNNING, ro-2/ro-3 untouched"

step "manual approval between phases; pause, resume; abort"
ectl rollout create appr --app web -e GREETING=appr --phases 1,100% --health 2s --timeout 120s \
	--pause manual >/dev/null 2>"$W/err" || fail "rollout create appr: $(cat "$W/err")"
wait_for 120 "appr waiting for approval" ro_field_is appr .state paused
ro_field appr .reason | grep -q approval || fail "paused without the approval reason"
[ "$(ro_dev_state appr ro-1)" = healthy ] && [ "$(ro_dev_state appr ro-2)" = pending ] ||
	fail "after phase 1: ro-1 $(ro_dev_state appr ro-1), ro-2 $(ro_dev_state appr ro-2)"
sleep 3
[ "$(ro_dev_state appr ro-2)" = pending ] || fail "phase 2 started without approval"
ectl rollout resume appr >/dev/null || fail "resume appr"
ectl rollout pause appr >/dev/null || fail "pause appr"
ro_field_is appr .state paused || fail "appr not paused"
ectl rollout pause appr >/dev/null 2>&1 && fail "pausing a paused rollout was accepted"
ectl rollout resume appr >/dev/null || fail "resume appr again"
ectl rollout get appr -w >/dev/null 2>"$W/err" || fail "appr did not finish: $(cat "$W/err")"
[ "$(ectl_json app get web | jq -r .env.GREETING)" = appr ] || fail "web's env not updated"
ectl rollout create ab --app web -e GREETING=ab --phases 1,100% --health 2s --timeout 120s --pause manual \
	>/dev/null 2>"$W/err" || fail "rollout create ab: $(cat "$W/err")"
wait_for 120 "ab waiting for approval" ro_field_is ab .state paused
ectl rollout abort ab >/dev/null || fail "abort ab"
ro_field_is ab .state aborted || fail "ab not aborted"
sleep 3
[ "$(ro_dev_state ab ro-2)" = pending ] || fail "aborted rollout moved on"
inst_is web ro-1 pinned true || fail "ro-1 lost the aborted rollout's revision"
inst_is web ro-2 pinned false || fail "ro-2 changed by the aborted rollout"
ectl rollout delete ab >/dev/null || fail "delete ab"
pass "approval, pause/resume, abort"
log "PASS"
