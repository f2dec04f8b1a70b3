#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# eve-agent with the file key store against a real controller: onboarding,
# config items reaching the agent, the 304 path, info/metrics/logs through
# the admin API, a reboot command, restart on the checkpoint while the
# controller is down, offline reports delivered later, kill -9 resume.
. "$(dirname "$0")/agent_lib.sh"

controller_up 18200
agent_confdir a1
agent_start a1
wait_for 60 "agent onboarded" log_has a1 "onboarded: device UUID"
U=$(agent_uuid a1)
log_has a1 "device key in the file key store" || fail "file key store not used"
[ "$(stat -c %a "$W/a1.state/device.key.pem")" = 600 ] || fail "device key not 0600"

# Config items reach the agent (applied without restart).
ctl_api "$CTL" PUT "/devices/$U/config-items" '{"timer.metric.interval": "2"}' >/dev/null ||
	fail "PUT config-items"
wait_for 30 "metric interval item applied within an interval" log_has a1 "timer.metric.interval = 2 s"
ctl_api "$CTL" PUT "/devices/$U/config-items" '{"timer.deviceinfo.interval": "5"}' >/dev/null ||
	fail "PUT config-items"
wait_for 30 "device info interval item applied within an interval" log_has a1 "timer.deviceinfo.interval = 5 s"
wait_for 30 "a 304 answer" log_has a1 "config: unchanged \(304\)"
wait_for 30 "lastconfig.bak after a stable run" test -s "$W/a1.state/checkpoint/lastconfig.bak"

# Reports show through the admin API.
wait_for 30 "device online" device_online "$U"
wait_for 30 "device info stored" api_count_ge "/devices/$U/info?type=device" 1
wait_for 30 "metrics stored" api_count_ge "/devices/$U/metrics" 1
wait_for 30 "agent logs stored" api_count_ge "/devices/$U/logs" 1
ctl_api "$CTL" GET "/devices/$U/logs?limit=1000" | jq -e '[.items[] | select(.msg | test("onboarded"))] | length > 0' \
	>/dev/null || fail "agent log line not found through the admin API"
ctl_api "$CTL" GET "/devices/$U" | jq -e '.info.ncpu > 0' >/dev/null || fail "device info lacks ncpu"

# Reboot command through the devops seam.
ctl_api "$CTL" POST "/devices/$U/reboot" '{}' >/dev/null || fail "POST reboot"
wait_for 30 "reboot request recorded" grep -qs "^reboot" "$W/a1.devops"

# Restart with the controller stopped: the checkpoint is applied.
agent_stop a1
controller_stop
n_info=$(ls "$W/a1.state/infoqueue" | wc -l)
agent_start a1
wait_for 30 "checkpoint applied at start" log_has a1 "applied [0-9a-f]+ from lastconfig "
log_has a1 "timer.metric.interval = 2 s" || fail "checkpointed config items not applied"
wait_for 30 "controller unreachable noticed" log_has a1 "controller unreachable"
agent_running a1 || fail "agent died while the controller was down"
# Reports made while offline wait on disk.
wait_for 30 "device info queued offline" test -s "$W/a1.state/infoqueue/device"
before=$(ls "$W/a1.state/newlogs" | wc -l)
controller_start
wait_for 60 "offline info delivered" bash -c "[ -z \"\$(ls '$W/a1.state/infoqueue')\" ]"
# Lines are batched (up to LOG_BATCH_AGE_MS) before they become files.
offline_line_delivered() {
	ctl_api "$CTL" GET "/devices/$U/logs?limit=1000" |
		jq -e '[.items[] | select(.msg | test("controller unreachable"))] | length > 0' >/dev/null
}
wait_for 60 "log line written while offline delivered" offline_line_delivered
wait_for 60 "offline log files uploaded" bash -c "[ \$(ls '$W/a1.state/newlogs' | wc -l) -eq 0 ]"

# kill -9 at any point: restart resumes from the state dir (same identity).
agent_kill9 a1
agent_start a1
wait_for 30 "resumed after kill -9" log_has a1 "starting: serial serial-a1, controller .*, $U"
wait_for 30 "config in sync after kill -9 (304)" log_has a1 "config: unchanged \(304\)"
[ "$(agent_uuid a1)" = "$U" ] || fail "uuid changed across kill -9"
echo "PASS (offline queue had $n_info/$before items)"
