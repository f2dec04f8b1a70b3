#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# eve-agent with its key in a (software) TPM: onboarding, signed exchanges
# and a restart that reuses the TPM key blob. No private key on disk.
. "$(dirname "$0")/agent_lib.sh"

controller_up 18210
swtpm_start 18212
# Management ports tried in turn: the first does not exist, the second works.
agent_confdir t1
printf 'nosuch0\nlo\n' >"$W/t1.conf/ports"
agent_start t1 --tpm swtpm:port=18212
wait_for 60 "agent onboarded" log_has t1 "onboarded: device UUID"
U=$(agent_uuid t1)
log_has t1 "device key in the tpm key store" || fail "TPM key store not used"
[ -s "$W/t1.state/device.tpmkey" ] || fail "no TPM key blob"
[ ! -e "$W/t1.state/device.key.pem" ] || fail "a file key exists with --tpm"
log_has t1 "controller reached via management port lo" || fail "port lo not used"
wait_for 30 "device online" device_online "$U"
wait_for 30 "device info stored" api_count_ge "/devices/$U/info?type=device" 1

# Restart: the same TPM key (blob re-loaded) keeps the identity.
agent_stop t1
agent_start t1 --tpm swtpm:port=18212
wait_for 30 "config fetched after restart" log_has t1 "config: (unchanged \(304\)|applied)"
[ "$(agent_uuid t1)" = "$U" ] || fail "uuid changed"
log_has t1 "controller reached via management port lo" || fail "port lo not used after restart"
echo PASS
