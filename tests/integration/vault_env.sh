#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck disable=SC2015 # "[ a ] && [ b ] || fail" is meant
# A container app's encrypted environment on a device with the sealed
# vault (issue 15, docs/security.md "Sealed vault"): eve-controller,
# eve-agent with its keys in a real swtpm and `--vault`, the machine's
# libvirtd running the app on LXC.
#  1. the controller encrypts the user data (KEY=VALUE lines: the
#     container's environment) to the device; the agent opens it in memory
#     and writes the environment file into the app's init directory, in the
#     vault; the app's init shim (eve-init) sets it and runs the image's
#     entrypoint: the app prints what proves it has the secret value (its
#     tail, never the value itself), a value with '<', '&' and '>' (which
#     <initenv> could not carry) and its image's own Env; the shim detached
#     the mount of the file: the app does not see it
#  2. the secret value is in the environment file inside the vault and
#     nowhere else: not in libvirt's LXC log or its domain XML in /run, not
#     in `virsh dumpxml --security-info`, the agent's log, the raw vault
#     image, the agent's state outside the vault, the controller's
#     directory, nor in any file written since the test began under /run,
#     /var/log, /var/lib/libvirt, /etc/libvirt, /tmp or /var/tmp
# Ports 24200-24209 (tests/vault5.cmake).
. "$(dirname "$0")/e2e_lib.sh"

SERIAL=vault-env-serial-1
IMAGES=$E2E_BUILD/runtime-images
TPMPORT=$((E2E_PORT + 2))
. "$(dirname "$0")/vault_lib.sh"
vault_need
trap vault_cleanup EXIT

# leaks_under DIR...: files written since the test began, on DIR's own file
# system (-xdev: the vault's mounts are other file systems), that hold the
# secret
leaks_under() {
	find "$@" -xdev -type f -newer "$W/t0" -print0 2>/dev/null | xargs -0 -r grep -laF -e "$SECRET" 2>/dev/null
}

# ------------------------------------------------------------------ setup
step "controller, libvirtd, swtpm, test image"
touch "$W/t0"
vault_setup
pass "controller, libvirtd, swtpm :$TPMPORT"

step "agent with --vault: onboarded, attested, vault open"
agent_dirs dev
vagent_start
wait_for 90 "device online" device_field_is "$SERIAL" .state online
wait_for 60 "quote accepted" grep -q "attest: quote accepted" "$W/agent-dev.log"
wait_for 60 "volume store open" grep -q "vault: volume store .* open" "$W/agent-dev.log"
mountpoint -q "$ST/vault" || fail "$ST/vault is not mounted"
[ "$(stat -c %d "$ST/apps")" = "$(stat -c %d "$ST/vault")" ] || fail "$ST/apps is not in the vault"
pass "vault mounted, apps/ in it"

# ------------------------------------------------------------------ 1. app
step "a container with an encrypted environment: the app has it"
TAIL=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
SECRET=envsecret$TAIL # the whole value: only in the vault and in memory
SPECIAL="a<b&c>d'e"
# the app prints the secret's tail (the prefix stripped by the shell: it
# had the whole value), never the value itself
# shellcheck disable=SC2016 # expanded by the app's shell
SCRIPT='f=hidden; [ -e /.eve-init/env ] && f=visible; echo "VAULTENV: tail ${S#envsecret} special $SPECIAL image $IMAGE_VERSION file $f"'
# the user data goes to evectl through a pipe: never in a file here
# (printf, not a here-document: bash may spool those in TMPDIR)
user_data() { printf '%s\n' "S=$SECRET" "SPECIAL=$SPECIAL" "SCRIPT=$SCRIPT"; }
ectl image upload voloci "$IMAGES/vol-oci-v1.tar" --format oci >/dev/null || fail "image upload"
ectl app deploy ve --image voloci --device "$SERIAL" --memory 64M --user-data <(user_data) >/dev/null ||
	fail "deploy ve"
wait_app_state ve RUNNING 180
wait_for 60 "user data opened in memory" grep -q "app ve: encrypted user data opened in memory" "$W/agent-dev.log"
wait_for 90 "the app's environment on its console" \
	app_log_ge ve "VAULTENV: tail $TAIL special a<b&c>d'e image 1 file" 1
app_log_ge ve "VAULTENV: .* file hidden" 1 || fail "the app sees its environment file (the shim did not detach it)"
pass "the app has the secret, a value with < & > and its image's Env; its environment file is not in its view"

# ------------------------------------------------------------------ 2. where
step "the secret is in the environment file in the vault, nowhere else"
DOM=$(test_domains | head -n1)
[ -n "$DOM" ] || fail "no domain"
ENVF=$ST/apps/${DOM#eve-}/init/env
[ -f "$ENVF" ] || fail "no environment file $ENVF"
[ "$(stat -c %d "$ENVF")" = "$(stat -c %d "$ST/vault")" ] || fail "$ENVF is not in the vault"
[ "$(stat -c %a "$ENVF")" = 600 ] || fail "$ENVF is mode $(stat -c %a "$ENVF"), want 600"
grep -qaF "$SECRET" "$ENVF" || fail "control: the environment file does not hold the secret"
# libvirt: the container's log (it logs the init's command and environment),
# the live XML in /run, and the definition as virsh shows it
LXCLOG=/var/log/libvirt/lxc/$DOM.log
[ -s "$LXCLOG" ] || fail "control: no LXC log $LXCLOG"
grep -qF "eve-init" "$LXCLOG" || fail "control: $LXCLOG does not name the init"
grep -qaF "$SECRET" "$LXCLOG" && fail "the secret is in libvirt's LXC log"
[ -s "/run/libvirt/lxc/$DOM.xml" ] || fail "control: no /run/libvirt/lxc/$DOM.xml"
grep -qaF -e "$SECRET" -e "initenv" "/run/libvirt/lxc/$DOM.xml" && fail "an environment in /run/libvirt/lxc/$DOM.xml"
virsh -q -c lxc:///system dumpxml --security-info "$DOM" >"$W/dom.xml" || fail "virsh dumpxml"
grep -qF "/.eve-init/eve-init" "$W/dom.xml" || fail "control: the domain's init is not the shim"
grep -qF -e "$SECRET" -e "initenv" "$W/dom.xml" && fail "an environment in the domain XML"
grep -qaF "$SECRET" "$W/agent-dev.log" && fail "the secret is in the agent's log"
sync
grep -aqF "$SECRET" "$ST/vault.img" && fail "the secret is in clear in the raw vault image"
out=$(find "$ST" -xdev -type f ! -name vault.img -print0 | xargs -0 -r grep -laF "$SECRET" 2>/dev/null)
[ -z "$out" ] || fail "the secret is in clear in the agent's state outside the vault: $out"
out=$(find "$CTL" -type f -print0 | xargs -0 -r grep -laF "$SECRET" 2>/dev/null)
[ -z "$out" ] || fail "the secret is in clear in the controller's directory: $out"
out=$(leaks_under /run /var/log /var/lib/libvirt /etc/libvirt /tmp /var/tmp)
[ -z "$out" ] || fail "the secret is in clear in: $out"
pass "only in $ENVF (0600, in the vault); not in libvirt's log, XML or dumpxml, the agent's log or state, vault.img, the controller, /run, /var/log, /tmp"
log PASS
