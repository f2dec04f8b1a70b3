#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# evectl rollout and /api/v1/rollouts against a real controller, without
# agents (devices never come online): validation, phase assignment, the
# offline setting (skipped: the rollout passes; failed: budget, halt and
# rollback), approval, pause/resume/abort/rollback/delete, a controller
# restart keeping every rollout's state, the app locked while a rollout runs.
. "$(dirname "$0")/cli_lib.bash"
. "$EVE_SRC/tests/lib/skip.sh"
command -v jq >/dev/null || test_skip "jq not installed"
# jq for the selections below (cli_jsonq only follows plain paths)
json() { jq -r "$1" <"$OUT" || fail "not JSON or no $1 in output of the last command"; }

start_controller
expect 0 login --server "$SERVER" --ca "$CA" --token "$TOKEN"
for i in 1 2 3 4; do
	mkcert "d$i"
	expect 0 device add "edge-$i" --cert "$WORK/d$i.pem" --serial "SN$i" -l fleet=a
done
head -c 1000 /dev/urandom >"$WORK/a.img"
head -c 1000 /dev/urandom >"$WORK/b.img"
expect 0 image upload img1 "$WORK/a.img"
expect 0 image upload img2 "$WORK/b.img"
expect 0 app deploy web --image img1 --selector fleet=a
api() { curl -s -o "$OUT" -w '%{http_code}' --cacert "$CA" -H "Authorization: Bearer $TOKEN" -X "$1" \
	-H 'Content-Type: application/json' ${3:+--data-binary "$3"} "$SERVER/api/v1$2"; }
ro() { "$EVECTL" -o json rollout get "$1" >"$OUT" 2>"$ERR" || fail "rollout get $1"; }
devstate() { ro "$1" && json "[.devices[] | select(.name == \"$2\") | .state][0]"; }
inst() { "$EVECTL" -o json app get web >"$OUT" && json "[.instances[] | select(.device_name == \"$1\") | .$2][0]"; }
# wait_event ROLLOUT REGEX: until one of its recorded decisions matches.
wait_event() {
	local i
	for i in $(seq 1 60); do
		ro "$1"
		jq -e --arg re "$2" '[.events[].msg | select(test($re))] | length > 0' <"$OUT" >/dev/null && return 0
		sleep 0.5
	done
	fail "rollout $1: no event matching $2"
}
wait_state() {
	local i
	for i in $(seq 1 60); do
		ro "$1"
		[ "$(json .state)" = "$2" ] && return 0
		sleep 0.5
	done
	fail "rollout $1 not $2 (is $(json .state))"
}

# ---- validation
expect 1 rollout create x --app web --os img1
expect 1 rollout create x --app web
expect 1 rollout create x --app web --image img2 --phases 1,x
expect 1 rollout create x --app web --image img2 --pause never
expect 2 rollout create x --app nope --image img2
expect 2 rollout create x --app web --image nope
expect 3 rollout create x --app web --image img1
expect 3 rollout create x --app web --image img2 --phases 3,1,100%
expect 3 rollout create x --app web --image img2 --phases 1,2
expect 3 rollout create x --app web --image img2 --selector fleet=b
expect 2 rollout create x --app web --image img2 --device nope
expect 2 rollout create x --os img2 --device edge-1
want 400 "$(api POST /rollouts '{"name":"x","app":"web","update":{"image":"img2"},"typo":1}')" "unknown field"
want 400 "$(api POST /rollouts '{"name":"x","app":"web","update":{"device":"edge-1"}}')" "update of the target"
want 400 "$(api POST /rollouts '{"name":"x","app":"web","update":{"image":"img2"},"phases":[["edge-1"],["edge-1"]]}')" \
	"a device in two phases"
expect 0 rollout list
want "" "$(sed 1d "$OUT")" "no rollout created by the refused requests"

# ---- offline devices counted as skipped: every phase passes, the app is updated
expect 0 rollout create s1 --app web --image img2 --phases 1,50%,100% --timeout 3s --health 1s --offline skipped
wait_event s1 "phase 1/3 started"
expect 0 -o json rollout get s1
want "edge-1" "$(json '[.devices[] | select(.phase == 1) | .name] | join(",")')" "phase 1"
want "edge-2" "$(json '[.devices[] | select(.phase == 2) | .name] | join(",")')" "phase 2 (50% of 4 = 2)"
want "edge-3,edge-4" "$(json '[.devices[] | select(.phase == 3) | .name] | join(",")')" "phase 3"
expect 3 rollout create s2 --app web -e A=1
want 409 "$(api PUT /apps/web '{"image":"img1","selector":{"fleet":"a"}}')" "PUT of an app in a rollout"
want 409 "$(api DELETE /apps/web)" "DELETE of an app in a rollout"
want true "$(inst edge-1 pinned)" "phase-1 instance pinned"
want img1 "$(inst edge-4 image)" "phase-3 instance before its phase"
expect 0 rollout get s1 -w
grep -q "phase 3/3 passed" "$OUT" || fail "watch output lacks the last phase"
expect 0 -o json app get web
want "img2 2" "$(json '.image + " " + (.version|tostring)')" "app after the rollout"
want 0 "$(json '[.instances[] | select(.pinned or .image != "img2")] | length')" "instances after the rollout"

# ---- offline counted as failed: budget 1 of 4 (25%), halt in phase 2, rollback of phase 2
expect 0 rollout create f1 --app web -e V=2 --phases 1,100% --timeout 1s --max-failures 25% --offline failed
expect 3 rollout get f1 -w
grep -q "failure budget exceeded: 4 failed, at most 1 allowed" "$ERR" || fail "halt reason"
want failed "$(devstate f1 edge-1)" "phase-1 device (within the budget)"
want rolled-back "$(devstate f1 edge-3)" "phase-2 device rolled back"
want true "$(inst edge-1 pinned)" "edge-1 keeps the new revision (its phase passed)"
want false "$(inst edge-3 pinned)" "edge-3 back on the app's revision"
expect 0 -o json app get web
want "{}" "$(json .env)" "app env unchanged by a halted rollout"
expect 3 rollout resume f1
expect 0 rollout rollback f1
want rolled-back "$(devstate f1 edge-1)" "rollback of the rest"
want false "$(inst edge-1 pinned)" "edge-1 back"
expect 3 rollout rollback f1
expect 0 rollout delete f1
expect 2 rollout get f1

# ---- manual approval, pause/resume, a controller restart keeps the state
expect 0 rollout create m1 --app web -e V=3 --phase-devices edge-2 --phase-devices edge-1,edge-3,edge-4 \
	--timeout 1s --offline skipped --pause manual
wait_state m1 paused
json .reason | grep -q approval || fail "paused for approval"
want pending "$(devstate m1 edge-1)" "phase 2 waits for the approval"
ctl_stop "$CTL_DIR"
ctl_start "$CTL_DIR" || fail "controller restart"
wait_state m1 paused
want 2 "$(json .phase)" "phase after the restart"
want skipped "$(devstate m1 edge-2)" "phase-1 decision kept across the restart"
expect 3 rollout pause m1
expect 0 rollout resume m1
expect 0 rollout pause m1
expect 0 rollout resume m1
expect 0 rollout get m1 -w
expect 0 -o json app get web
want 3 "$(json .env.V)" "app env after m1"

# ---- abort: the updated devices keep the new revision, the rest never change
expect 0 rollout create a1 --app web -e V=4 --phases 1,100% --timeout 1s --offline skipped --pause manual
wait_state a1 paused
expect 0 rollout abort a1
expect 3 rollout get a1 -w
ro a1
want aborted "$(json .state)" "a1 state"
want pending "$(devstate a1 edge-2)" "aborted rollout left edge-2"
want true "$(inst edge-1 pinned)" "edge-1 keeps a1's revision"
expect 3 rollout abort a1
# the next revision is numbered above the aborted one still pinned on edge-1
ro a1
v1=$(json .version)
expect 0 -o json rollout create a2 --app web -e V=5 --timeout 1s --offline skipped
[ "$(json .version)" -gt "$v1" ] || fail "rollout a2 reuses revision $(json .version) (a1 had $v1)"
expect 0 rollout get a2 -w
want false "$(inst edge-1 pinned)" "edge-1 follows the app after a2"
expect 0 -o wide rollout list
grep -q "^a1 " "$OUT" || fail "rollout list"
echo "PASS"
