#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# kill -9 at arbitrary points (key creation, certificate, registration,
# first config, checkpoint writes): every restart resumes from the state
# dir, the device keeps one identity and ends up in sync with the controller.
. "$(dirname "$0")/agent_lib.sh"

controller_up 18230
for i in 1 2 3 4 5 6 7 8 9 10; do
	agent_start k1
	sleep "0.$((RANDOM % 10))$((RANDOM % 10))"
	agent_kill9 k1
done
agent_start k1
wait_for 60 "onboarded after the kills" test -s "$W/k1.state/uuid"
U=$(agent_uuid k1)
wait_for 60 "config applied" log_has k1 "config: applied"
ctl_api "$CTL" PUT "/devices/$U/config-items" '{"timer.config.interval": "1"}' >/dev/null || fail "PUT"
wait_for 30 "config item applied" log_has k1 "timer.config.interval = 1 s"
for i in 1 2 3 4 5 6; do
	sleep "0.$((RANDOM % 10))"
	agent_kill9 k1
	agent_start k1
	wait_for 30 "restart $i applies the checkpoint" log_has k1 "applied [0-9a-f]+ from lastconfig"
done
wait_for 30 "in sync (304)" log_has k1 "config: unchanged \(304\)"
[ "$(agent_uuid k1)" = "$U" ] || fail "uuid changed"
n=$(ctl_api "$CTL" GET /devices | jq '[.items[] | select(.serial == "serial-k1")] | length')
[ "$n" = 1 ] || fail "$n devices with serial-k1 on the controller"
openssl verify -CAfile "$W/k1.state/device.cert.pem" -partial_chain "$W/k1.state/device.cert.pem" >/dev/null ||
	fail "device certificate damaged"
echo PASS
