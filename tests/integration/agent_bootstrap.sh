#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bootstrap-config.pb: used before the controller was ever reached when it
# is signed by a certificate chaining to the root; refused otherwise; the
# controller's config replaces it once onboarded.
. "$(dirname "$0")/agent_lib.sh"
: "${EVE_MKBOOTSTRAP:?}"

ctl_init "$CTL" 18250 >/dev/null || fail "ctl_init"
cfg='{"configItems": [{"key": "timer.metric.interval", "value": "4"}]}'

# Signed by a certificate that does not chain to the root: refused.
agent_confdir b1
"$EVE_MKBOOTSTRAP" "$CTL/certs/onboard.key.pem" "$CTL/certs/onboard.cert.pem" "$cfg" \
	"$W/b1.conf/bootstrap-config.pb" || fail "mkbootstrap"
agent_start b1
wait_for 30 "foreign bootstrap refused" log_has b1 "bootstrap-config.pb: .*not applied"
log_has b1 "timer.metric.interval = 4 s" && fail "foreign bootstrap config applied"
agent_stop b1

# Signed by the controller's signing certificate: applied, offline.
"$EVE_MKBOOTSTRAP" "$CTL/certs/signing.key.pem" "$CTL/certs/signing.cert.pem" "$cfg" \
	"$W/b1.conf/bootstrap-config.pb" || fail "mkbootstrap"
agent_start b1
wait_for 30 "bootstrap applied" log_has b1 "applied - from bootstrap-config.pb"
log_has b1 "timer.metric.interval = 4 s" || fail "bootstrap config items not applied"

# The controller's own config takes over once it answers.
controller_start
wait_for 60 "onboarded" log_has b1 "onboarded: device UUID"
wait_for 30 "controller config replaces bootstrap" log_has b1 "timer.metric.interval = 60 s"
echo PASS
