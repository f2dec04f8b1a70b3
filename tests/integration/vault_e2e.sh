#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck disable=SC2015 # "[ a ] && [ b ] || fail" is meant
# The sealed volume vault end to end (issue 15, docs/security.md "Sealed
# vault"): eve-controller under attestation=enforce, eve-agent with its keys
# in a real swtpm and `--vault`, a container app on the machine's libvirt
# LXC whose environment (user data) travels encrypted.
#  1. the app writes a random marker into its volume: it is there through
#     the vault's mount, and absent from the raw vault image, from the rest
#     of the agent's state and from the controller's database and logs
#  2. a "reboot" (domain gone, agent stopped, every vault mount removed)
#     with the device's ECDH key replaced: the checkpointed CipherBlock does
#     not open, the app reports ERROR with the reason; the agent unseals
#     the vault key from the TPM again, and once the controller encrypts to
#     the new certificate the app runs and reads its marker back
#  3. a changed boot (PCR 15 extended) under enforce: the key is not
#     released, the app does not start and reports why; `evectl device
#     attest accept` releases it and the app reads its marker again
# Ports 22400-22409 (tests/vault.cmake).
. "$(dirname "$0")/e2e_lib.sh"

SERIAL=vault-serial-1
IMAGES=$E2E_BUILD/runtime-images
TPMPORT=$((E2E_PORT + 2))
. "$(dirname "$0")/vault_lib.sh"
vault_need
trap vault_cleanup EXIT

app_error() { ectl -o json app get "$1" 2>/dev/null | jq -r '.instances[0].error // ""'; }
app_error_has() { app_error "$1" | grep -q "$2"; }
# the app's VAULTTEST lines (for failure messages)
vault_lines() { ectl -o json app logs vt --limit 1000 2>/dev/null | jq -r '.items[].msg' | grep VAULTTEST | tr '\n' ';'; }
# last_boot: the highest boot number the app printed (0: none)
last_boot() {
	ectl -o json app logs vt --limit 1000 2>/dev/null | jq -r '.items[].msg' |
		sed -n 's/.*VAULTTEST: .* boot \([0-9]*\).*/\1/p' | sort -n | tail -n1 | grep . || echo 0
}
# wait_read_ok N: a boot numbered N or later read the marker back
# (generous: loaded CI)
wait_read_ok() {
	local end=$(($(date +%s) + 150))
	while :; do
		ectl -o json app logs vt --limit 1000 2>/dev/null | jq -r '.items[].msg' |
			sed -n 's/.*VAULTTEST: read ok boot \([0-9]*\).*/\1/p' | awk -v n="$1" '$1 >= n {f = 1} END {exit !f}' &&
			return 0
		[ "$(date +%s)" -ge "$end" ] && fail "no boot >= $1 read the marker back: $(vault_lines)"
		sleep 1
	done
}
# Stop the app's domain and the agent, and unmount the vault. REBOOT_INFO:
# the newest info record the controller held then; REBOOT_T: the time.
reboot_device() {
	remove_test_domains
	agent_stop dev
	vault_unmount || fail "the vault is still mounted"
	REBOOT_INFO=$(last_info_id "$SERIAL")
	REBOOT_T=$(date +%s)
}
# running_since_reboot: the device reported the app RUNNING after the last
# reboot_device, in a record stored after REBOOT_INFO, of a boot at or after
# REBOOT_T. The controller's state of the app still says RUNNING from
# before the reboot until a report replaces it: it proves nothing alone.
running_since_reboot() {
	ectl -o json device info "$SERIAL" --type app --limit 1000 2>/dev/null |
		jq -e --arg id "$INST" --argjson min "$REBOOT_INFO" --argjson t "$REBOOT_T" '[.items[] |
			select(((.object == $id) or (.info.ainfo.AppID == $id)) and .id > $min and
				.info.ainfo.state == "RUNNING" and
				((.info.ainfo.bootTime.seconds // 0) | tonumber) >= $t)] | length > 0' >/dev/null
}
# wait_running_since_reboot: that report, then the controller's state agrees
wait_running_since_reboot() {
	wait_for 180 "a RUNNING report of vt's boot after the reboot" running_since_reboot
	wait_app_state vt RUNNING 60
}

# ------------------------------------------------------------------ setup
step "controller (attestation=enforce), libvirtd, swtpm, test image"
vault_setup "attestation=enforce"
pass "controller, libvirtd, swtpm :$TPMPORT"

step "agent with --vault: onboarded, attested, volume store open"
agent_dirs dev
vagent_start
wait_for 90 "device online" device_field_is "$SERIAL" .state online
DEV=$(device_field "$SERIAL" .id)
wait_for 60 "quote accepted" grep -q "attest: quote accepted" "$W/agent-dev.log"
wait_for 30 "volume store open" grep -q "vault: volume store .* open" "$W/agent-dev.log"
# short config polls (attestation retries follow them too); a restart
# picks the items up at once
ectl device config set "$SERIAL" timer.config.interval=2 >/dev/null || fail "evectl device config set"
agent_stop dev
vagent_start
wait_for 60 "timer.config.interval applied" grep -q "timer.config.interval = 2 s" "$W/agent-dev.log"
mountpoint -q "$ST/vault" || fail "$ST/vault is not mounted"
[ "$(stat -c %d "$ST/volumes")" = "$(stat -c %d "$ST/vault")" ] || fail "$ST/volumes is not in the vault"
[ -s "$ST/vault.img" ] || fail "no vault.img"
# the measurement log, replayed by the controller against the quoted PCR 15
wait_for 30 "event log replayed" sh -c "'$EVECTL' -o json device attest show '$DEV' | jq -e '.event_log_check | test(\"replays to the quoted PCR 15\")'"
ectl -o json device attest show "$DEV" | jq -e '[.event_log[] | select(.pcr == 15)] | length == 2' >/dev/null ||
	fail "the event log does not hold the two PCR 15 measurements"
ectl device attest show "$DEV" | grep -q "eve-agent-binary" || fail "evectl device attest show prints no event log"
pass "vault.img mounted, volumes/ and apps/ in it; event log replayed"

# ------------------------------------------------------------------ 1. marker
step "a container app writes a random marker into its volume"
A="vm$RANDOM$RANDOM"
B="$RANDOM$RANDOM-mark"
MARK="$A$B" # never in the config, the logs or the console: only in the volume
# Each boot counts itself in the volume (/data/n) and repeats its verdict
# on the console (a line printed before the console is attached is not lost)
SCRIPT='n=$(cat /data/n 2>/dev/null || echo 0); n=$((n + 1)); echo $n >/data/n; if [ -f /data/m ]; then if [ "$(cat /data/m)" = "$A$B" ]; then v="read ok"; else v="read bad"; fi; else echo "$A$B" >/data/m; v=wrote; fi; sync; while :; do echo "VAULTTEST: $v boot $n"; sleep 3; done'
ectl image upload voloci "$IMAGES/vol-oci-v1.tar" --format oci >/dev/null || fail "image upload"
# user data (a secret: it travels as a CipherBlock): the container's
# environment, KEY=VALUE lines
printf 'A=%s\nB=%s\nSCRIPT=%s\n' "$A" "$B" "$SCRIPT" >"$W/ud"
ectl app deploy vt --image voloci --device "$SERIAL" --memory 64M --user-data "$W/ud" >/dev/null ||
	fail "deploy vt"
rm -f "$W/ud"
# registry credentials: a password marker that must never be on disk in clear
PW="vault-pw-$RANDOM$RANDOM"
printf '%s' "$PW" >"$W/pw"
ectl image add regimg --url "docker://127.0.0.1:$((E2E_PORT + 5))/vault/none:1" --format oci \
	--username vaultuser --password-file "$W/pw" >/dev/null || fail "image add (registry with credentials)"
rm -f "$W/pw"
ectl app deploy rc --image regimg --device "$SERIAL" --memory 64M >/dev/null || fail "deploy rc"
wait_app_state vt RUNNING 180
wait_for 150 "the app wrote its marker" app_log_ge vt "VAULTTEST: wrote boot 1" 1
wait_for 60 "registry credentials opened" grep -q "datastore .*: encrypted credentials opened in memory" \
	"$W/agent-dev.log"
grep -q "app vt: encrypted user data opened in memory" "$W/agent-dev.log" || fail "user data not encrypted"
grep -rlq "$MARK" "$ST/volumes" || fail "the marker is not in the volume (through the vault's mount)"
sync
grep -aq "lost+found" "$ST/vault.img" || fail "control: the raw image shows no file name at all"
grep -aq "$MARK" "$ST/vault.img" && fail "the marker is in clear in the raw vault image"
grep -raq -e "$MARK" -e "$A" --exclude=vault.img --exclude-dir=vault --exclude-dir=volumes --exclude-dir=apps "$ST" &&
	fail "the marker or the user data is in clear in the agent's state outside the vault"
for f in "$CTL"/controller.db* "$CTL"/serve.log "$W"/agent-dev.log; do
	grep -aq -e "$MARK" -e "$A" -e "$PW" "$f" && fail "marker, user data or registry password in clear in $f"
done
grep -raq "$PW" "$ST" && fail "the registry password is in clear in the agent's state (vault included)"
ectl app delete rc >/dev/null || fail "app delete rc"
pass "marker in the volume, not in vault.img nor outside the vault; no user data or registry password in clear on disk or in logs"

# ------------------------------------------------------------------ 2. reboot
step "reboot with a new ECDH key: the block does not open (ERROR with why); key unsealed from the TPM; marker read"
INST=$(app_instance vt)
reboot_device
# the device's ECDH key replaced: the checkpointed config's CipherBlock is
# for the old certificate until the controller encrypts to the new one.
# The controller is away while the agent starts from its checkpoint: with
# it up, a block re-encrypted within milliseconds may replace the refusal
# before the runtime acts on it (an ordering load changes).
rm -f "$ST/ecdh.tpmkey" "$ST/ecdh.cert.pem" "$ST/ecdh.key.pem"
ctl_stop "$CTL"
vagent_start
wait_for 120 "key unsealed again" agent_log_ge "vault: key unsealed" 2
wait_for 30 "volume store open again" agent_log_ge "vault: volume store .* open" 2
wait_for 120 "the agent refused the block" grep -q "app vt: its encrypted user data cannot be opened" "$W/agent-dev.log"
# the device's report of the app (its info queue: the newest state per
# object, sent once the controller answers) is ERROR with the reason
queued() { grep -qaF "CipherBlock) cannot be opened" "$ST/infoqueue/app-$INST"; }
wait_for 150 "ERROR with the reason in the device's report of the app" queued
ctl_start "$CTL" || fail "eve-controller serve (again)"
wait_running_since_reboot
wait_read_ok 2
pass "ERROR with the reason in the app's report, RUNNING once the controller encrypts to the new certificate; marker read back"

# ------------------------------------------------------------------ 3. locked
step "a changed boot under enforce: no key, the app does not start and says why"
BOOT4=$(last_boot)
reboot_device
TPM2TOOLS_TCTI="swtpm:port=$TPMPORT" tpm2_pcrextend 15:sha256="$(printf '%064d' 1)" >/dev/null ||
	fail "tpm2_pcrextend"
vagent_start
wait_for 60 "quote refused" grep -q "attest: attestation: quote refused" "$W/agent-dev.log"
wait_for 60 "the app reports the locked vault" app_error_has vt "volume vault is locked"
app_state_is vt ERROR || fail "vt is $(app_state vt), want ERROR"
[ -z "$(test_domains | xargs -r -n1 sh -c 'virsh -q -c lxc:///system domstate "$0" 2>/dev/null' | grep running)" ] ||
	fail "a domain runs with the vault locked"
mountpoint -q "$ST/vault" && fail "the vault is mounted without a key"
grep -q "vault: key released" "$W/agent-dev.log" && fail "the key was released to a failed device"
ectl -o json device attest show "$DEV" | jq -e '.event_log_check | test("PCR 15 does not replay")' >/dev/null ||
	fail "an extend outside the log not shown: $(ectl -o json device attest show "$DEV" | jq -r .event_log_check)"
ectl device attest accept "$DEV" >/dev/null || fail "evectl device attest accept"
wait_for 60 "key released" grep -q "vault: key released by the controller" "$W/agent-dev.log"
wait_running_since_reboot
wait_read_ok $((BOOT4 + 1))
pass "held with the reason while locked; released after accept; marker read"

echo PASS
