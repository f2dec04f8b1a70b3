#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Anti-rollback (issue 12, defect 6c): eve-agent refuses a config whose
# EdgeDevConfig.id.version is older than the one it has applied and
# checkpointed, keeps running the newer config, says so in its device info
# (configItemStatus "EdgeDevConfig.id.version" with the error) and in its
# log, also after a restart from its checkpoint; a newer version is applied
# again and clears the report.
# The older config comes from the real controller, its database set back
# (as a restore of an old backup, or a replayed old config, would do).
# Port 19003.
. "$(dirname "$0")/agent_lib.sh"
command -v sqlite3 >/dev/null || test_skip "sqlite3 (Debian package sqlite3) not installed"

cfg_version() {
	sqlite3 "$CTL/controller.db" "SELECT config_version FROM devices WHERE id = '$U'"
}

controller_up 19003
agent_confdir r1
agent_start r1
wait_for 60 "agent onboarded" log_has r1 "onboarded: device UUID"
U=$(agent_uuid r1)
for v in 3 4 5; do
	ctl_api "$CTL" PUT "/devices/$U/config-items" "{\"timer.metric.interval\": \"$v\"}" >/dev/null ||
		fail "PUT config-items"
	wait_for 30 "metric interval $v applied" log_has r1 "timer.metric.interval = $v s"
done
NEW=$(ctl_api "$CTL" GET "/devices/$U/config" | jq -r .id.version)
[[ $NEW =~ ^[0-9]+$ ]] && [ "$NEW" -ge 4 ] || fail "config version after three changes: '$NEW'"
wait_for 30 "a 304 answer (version $NEW checkpointed)" log_has r1 "config: unchanged \(304\)"

# The controller goes back to version 2 with other content.
controller_stop
sqlite3 "$CTL/controller.db" "UPDATE devices SET config_version = 2,
	config_items = json_set(config_items, '\$.\"timer.metric.interval\"', '7') WHERE id = '$U'" ||
	fail "setting the controller back"
[ "$(cfg_version)" = 2 ] || fail "config_version not set back"
controller_start
wait_for 60 "old config refused" log_has r1 "config version 2 is older than the checkpointed version $NEW: refused \(rollback\)"
log_has r1 "timer.metric.interval = 7 s" && fail "the older config was applied"
wait_for 60 "device info reports the refusal" bash -c \
	". '$EVE_TEST_DIR/lib/controller.sh'; ctl_api '$CTL' GET '/devices/$U' |
	jq -e '.info.configItemStatus.configItems[] | select(.key == \"EdgeDevConfig.id.version\") |
	.value.value == \"2\" and (.value.error | test(\"older than the checkpointed version $NEW\"))'" >/dev/null
echo "ok older config refused, reported in device info"

# After a restart (checkpoint: version $NEW) it is still refused.
agent_stop r1
agent_start r1
wait_for 60 "old config refused after a restart" log_has r1 "config version 2 is older than the checkpointed version $NEW"
log_has r1 "timer.metric.interval = 7 s" && fail "the older config was applied after a restart"
echo "ok still refused after a restart from the checkpoint"

# A newer version is applied and the report clears.
controller_stop
sqlite3 "$CTL/controller.db" "UPDATE devices SET config_version = $((NEW + 5)) WHERE id = '$U'" ||
	fail "moving the controller ahead"
controller_start
wait_for 60 "newer config applied" log_has r1 "timer.metric.interval = 7 s"
wait_for 60 "device info without the refusal" bash -c \
	". '$EVE_TEST_DIR/lib/controller.sh'; ctl_api '$CTL' GET '/devices/$U' |
	jq -e '(.info.configItemStatus.configItems // []) | map(select(.key == \"EdgeDevConfig.id.version\")) | length == 0'" >/dev/null
echo "ok a newer version is applied; the report clears"
echo PASS
