#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Refusals: a corrupted or foreign-signed checkpoint is not applied (the
# .bak is), a config dir with a bad file is refused naming the file.
. "$(dirname "$0")/agent_lib.sh"

controller_up 18220
agent_start x1
wait_for 60 "agent onboarded" log_has x1 "onboarded: device UUID"
U=$(agent_uuid x1)
ctl_api "$CTL" PUT "/devices/$U/config-items" '{"timer.metric.interval": "3"}' >/dev/null || fail "PUT"
wait_for 30 "config item applied" log_has x1 "timer.metric.interval = 3 s"
wait_for 30 "lastconfig.bak after a stable run" test -s "$W/x1.state/checkpoint/lastconfig.bak"
agent_stop x1
controller_stop

# Flip bytes inside the signed checkpoint: the signature no longer holds.
cp "$W/x1.state/checkpoint/lastconfig" "$W/lastconfig.good"
size=$(stat -c %s "$W/x1.state/checkpoint/lastconfig")
printf '\xff\xfe\xfd\xfc' | dd of="$W/x1.state/checkpoint/lastconfig" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
agent_start x1
wait_for 30 "tampered checkpoint refused" log_has x1 "checkpoint/lastconfig: .*not applied"
wait_for 30 "fallback to lastconfig.bak" log_has x1 "applied [0-9a-f]+ from lastconfig.bak"
agent_stop x1

# Truncated and garbage checkpoints, and no .bak: nothing applied, no crash.
head -c $((size / 3)) "$W/lastconfig.good" >"$W/x1.state/checkpoint/lastconfig"
head -c 4096 /dev/urandom >"$W/x1.state/checkpoint/lastconfig.bak"
agent_start x1
wait_for 30 "truncated checkpoint refused" log_has x1 "checkpoint/lastconfig: .*not applied"
wait_for 30 "garbage .bak refused" log_has x1 "checkpoint/lastconfig.bak: .*not applied"
agent_running x1 || fail "agent died on a bad checkpoint"
# The controller comes back: the agent gets a fresh signed config.
controller_start
wait_for 60 "fresh config from the controller" log_has x1 "applied [0-9a-f]+ from controller"
agent_stop x1

# Config dir errors name the file.
agent_confdir bad
rm "$W/bad.conf/root-certificate.pem"
if "$EVE_AGENT" --config "$W/bad.conf" --state "$W/bad.state" 2>"$W/bad.err"; then fail "agent ran without a root cert"; fi
grep -q "root-certificate.pem" "$W/bad.err" || fail "error does not name root-certificate.pem: $(cat "$W/bad.err")"
cp "$CTL/device-config/root-certificate.pem" "$W/bad.conf/"
echo "garbage" >"$W/bad.conf/server"
if "$EVE_AGENT" --config "$W/bad.conf" --state "$W/bad.state" 2>"$W/bad.err"; then fail "agent ran with a bad server"; fi
grep -q "bad.conf/server" "$W/bad.err" || fail "error does not name server: $(cat "$W/bad.err")"
echo PASS
