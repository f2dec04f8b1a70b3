#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Remote attestation end to end: a real controller under the `enforce`
# policy (and config.require_integrity_token), eve-agents with their keys in
# a real swtpm and one without a TPM.
#  1. onboard -> measure into PCR 15 -> CERT/NONCE/QUOTE -> integrity token
#     -> config flows (a config item reaches the agent)
#  2. a changed boot (PCR 15 extended while the agent is down): the quote
#     fails naming PCR 15, the device's config is frozen (a new item does
#     not reach it), evectl device attest accept -> ok, the item arrives
#  3. a replayed quote (its nonce already used) is refused (attest_replay)
#  4. no TPM: not-supported, config refused under enforce until
#     `evectl device attest allow-no-tpm DEVICE on`
# Ports 21000-21009.
. "$(dirname "$0")/agent_lib.sh"

for b in swtpm tpm2_pcrextend jq; do
	command -v "$b" >/dev/null || test_skip "$b not installed"
done
P=21000
ctl_init "$CTL" $P >/dev/null || fail "ctl_init"
printf 'attestation=enforce\nconfig.require_integrity_token=true\n' >>"$CTL/controller.conf"
controller_start
ctl_api "$CTL" POST /onboard "$(jq -n --rawfile c "$CTL/device-config/onboard.cert.pem" \
	'{cert: $c, serials: ["*"]}')" >/dev/null || [ "${CTL_STATUS:-}" = 409 ] || fail "POST /onboard"
swtpm_start $((P + 2))
TCTI="swtpm:port=$((P + 2))"

evectl() {
	"$EVECTL" --server "$(ctl_url "$CTL")" --token "$(ctl_token "$CTL")" --ca "$CTL/certs/root-certificate.pem" "$@"
}
attest_state() {
	ctl_api "$CTL" GET "/devices/$1/attest" | jq -r .state
}
state_is() {
	[ "$(attest_state "$1" 2>/dev/null)" = "$2" ]
}

# 1. good attestation -> token -> config
agent_start t1 --tpm "$TCTI"
wait_for 60 "agent onboarded" log_has t1 "onboarded: device UUID"
U=$(agent_uuid t1)
log_has t1 "measure: agent binary and config directory extended into PCR 15" || fail "no measurement"
wait_for 60 "quote accepted" log_has t1 "attest: quote accepted, integrity token received"
wait_for 30 "attestation ok" state_is "$U" ok
ctl_api "$CTL" PUT "/devices/$U/config-items" '{"timer.metric.interval":"41"}' >/dev/null || fail "config-items"
wait_for 60 "config item applied" log_has t1 "timer.metric.interval = 41 s"
evectl device attest show "$U" | grep -q "ok" || fail "evectl device attest show"
[ "$(ctl_api "$CTL" GET "/devices/$U/attest" | jq '[.pcrs[] | select(.index == 15 and .value != ("0" * 64))] | length')" = 1 ] ||
	fail "PCR 15 not measured"
# the vault key: sealed in the TPM, escrowed after the good quote
log_has t1 "vault: new key sealed in the TPM to PCRs 0-15" || fail "no sealed vault key"
wait_for 30 "vault key escrowed" log_has t1 "vault: key escrowed to the controller"
[ "$(ctl_api "$CTL" GET "/devices/$U/attest" | jq -r .vault_key_escrowed)" = true ] || fail "escrow not shown"
[ -s "$W/t1.state/vault.tpmkey" ] || fail "no sealed blob"

# Encrypted secrets: an app's user_data travels as a CipherBlock and is
# stored sealed; its plaintext (and its base64) is nowhere on disk or in logs.
MARK="eve-secret-$RANDOM$RANDOM-marker"
MARK64=$(printf '%s' "$MARK" | base64 -w0)
ctl_api "$CTL" POST /images "{\"name\":\"img1\",\"format\":\"qcow2\",\"url\":\"https://127.0.0.1:$((P + 9))/x.qcow2\",
	\"sha256\":\"$(printf 'a%.0s' $(seq 64))\",\"size\":1024}" >/dev/null || fail "POST /images: $CTL_STATUS"
ctl_api "$CTL" POST /apps "$(jq -n --arg u "$MARK" --arg d "$U" '{name:"vm1",image:"img1",device:$d,memory_mb:64,user_data:$u}')" \
	>/dev/null || fail "POST /apps: $CTL_STATUS"
wait_for 60 "user data opened by the agent" log_has t1 "app vm1: encrypted user data opened in memory"
CFG=$(ctl_api "$CTL" GET "/devices/$U/config") || fail "GET config"
echo "$CFG" | jq -e '[.. | objects | select(has("cipherData"))] | length >= 1' >/dev/null || fail "no cipherData in the config"
echo "$CFG" | jq -e '[.. | objects | select(has("cipherContexts"))] | length >= 1' >/dev/null || fail "no cipherContexts"
[ "$(ctl_api "$CTL" GET /apps/vm1 | jq -r .user_data)" = "(secret: set)" ] || fail "user_data printed back"
evectl app get vm1 -o json | grep -q "$MARK" && fail "evectl prints the secret"
for f in "$CTL"/controller.db* "$CTL"/serve.log "$W"/t1.log*; do
	grep -aq -e "$MARK" -e "$MARK64" "$f" && fail "secret found in $f"
done
grep -raq -e "$MARK" -e "$MARK64" "$W/t1.state" && fail "secret found in the agent's state"
grep -q . "$CTL/secrets.key" 2>/dev/null || [ -s "$CTL/secrets.key" ] || fail "no secrets.key"
[ "$(stat -c %a "$CTL/secrets.key")" = 600 ] || fail "secrets.key not 0600"

# 3. replay: the helper quotes once (accepted) and sends the same quote
#    again in a fresh envelope: its nonce is spent.
agent_stop t1
[ -x "${EVE_ATTEST_REPLAY:-}" ] || fail "EVE_ATTEST_REPLAY (the attest_replay helper) not set"
"$EVE_ATTEST_REPLAY" "$W/t1.conf" "$W/t1.state" "$TCTI" >"$W/replay.out" 2>&1 || {
	cat "$W/replay.out"
	fail "replayed quote not refused"
}
grep -q "replay refused: nonce mismatch" "$W/replay.out" || fail "replay helper output"
grep -q "the quote is not over the current nonce" "$CTL/serve.log" || fail "controller did not log the replay"

# 2. a changed boot: PCR 15 extended while the agent is down
TPM2TOOLS_TCTI="$TCTI" tpm2_pcrextend 15:sha256=$(printf '%064d' 1) || fail "tpm2_pcrextend"
agent_start t1 --tpm "$TCTI"
wait_for 60 "quote refused" log_has t1 "attest: attestation: quote refused"
log_has t1 "vault: the sealed key does not open \(PCRs changed\)" || fail "vault opened with changed PCRs"
log_has t1 "vault: key released" && fail "vault key released to a failed device"
wait_for 30 "attestation failed" state_is "$U" failed
ctl_api "$CTL" GET "/devices/$U/attest" | jq -r .detail | grep -q "PCR 15 differs" || fail "PCR 15 not named"
[ "$(ctl_api "$CTL" GET "/devices/$U/attest" | jq -r .frozen)" = true ] || fail "not shown as frozen"
ctl_api "$CTL" PUT "/devices/$U/config-items" '{"timer.metric.interval":"43"}' >/dev/null || fail "config-items"
sleep 8
log_has t1 "timer.metric.interval = 43 s" && fail "a failed device got a config change under enforce"
evectl device attest accept "$U" >/dev/null || fail "evectl device attest accept"
wait_for 30 "attestation ok again" state_is "$U" ok
wait_for 60 "vault key released after accept" log_has t1 "vault: key released by the controller after attestation"
# resealed to the new PCRs: the next start opens it from the TPM alone
agent_stop t1
agent_start t1 --tpm "$TCTI"
wait_for 30 "vault reopened" log_has t1 "vault: key unsealed"
log_has t1 "vault: new key" && fail "a new vault key instead of the resealed one"
wait_for 60 "config flows again" log_has t1 "timer.metric.interval = 43 s"

# 4. no TPM: not-supported, refused under enforce unless allowed by name
agent_start t2
wait_for 60 "t2 onboarded" log_has t2 "onboarded: device UUID"
U2=$(agent_uuid t2)
wait_for 30 "t2 not supported" state_is "$U2" not-supported
wait_for 30 "t2 config refused" log_has t2 "config: 403 from the controller"
evectl device attest allow-no-tpm "$U2" on >/dev/null || fail "allow-no-tpm"
ctl_api "$CTL" PUT "/devices/$U2/config-items" '{"timer.metric.interval":"47"}' >/dev/null || fail "config-items t2"
wait_for 60 "t2 gets config" log_has t2 "timer.metric.interval = 47 s"
echo PASS
