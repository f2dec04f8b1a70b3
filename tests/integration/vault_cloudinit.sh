#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck disable=SC2015 # "[ a ] && [ b ] || fail" is meant
# A VM app with encrypted cloud-init user data on a device with the sealed
# vault (issue 15, docs/security.md "Sealed vault"): eve-controller,
# eve-agent with its keys in a real swtpm and `--vault`, the machine's
# libvirtd running QEMU (TCG), and a Debian guest with the real cloud-init
# (tests/images/build-cloudinit-image.sh, as anyapp_cloudinit).
#  1. the controller encrypts the user data to the device (CipherBlock);
#     the agent opens it in memory and writes the NoCloud seed (cidata ISO)
#     into the app's dir, which is in the vault; the guest's cloud-init runs
#     its runcmd, which prints a transform of a random marker (upper case):
#     the console shows it, so cloud-init applied the user data
#  2. the marker itself (lower case) and a second tag of the user data are
#     in the seed inside the mounted vault (also as libvirtd sees it), and
#     nowhere else: not in the raw vault image, the agent's state outside
#     the vault, the controller's directory (database, logs), libvirt's
#     domain XML, state, config and qemu log, QEMU's command line and
#     environment, nor in any file written under /tmp or /var/tmp since the
#     test began. Every temporary file the agent made (O_TMPFILE, traced
#     with strace) was made inside the vault: libarchive spools the ISO's
#     contents in TMPDIR, which --vault points into the vault
#  3. after a "reboot" (domain gone, agent stopped, vault unmounted) the
#     seed is gone from <state>/apps, and the vault image mounted without
#     the key shows neither its name nor its contents
# Ports 23300-23309 (tests/vault4.cmake).
. "$(dirname "$0")/e2e_lib.sh"

SERIAL=vault-ci-serial-1
IMAGES=$E2E_BUILD/anyapp-images
TPMPORT=$((E2E_PORT + 2))
# shellcheck disable=SC2034 # read by vault_lib.sh's vagent_start
VAULT_SIZE=1G # the guest's disk (~220 MiB) is a volume: in the vault
STRACE_PID=
LOOPS=
. "$(dirname "$0")/vault_lib.sh"
vault_need
need strace "strace"

vci_cleanup() {
	[ -n "$STRACE_PID" ] && kill "$STRACE_PID" 2>/dev/null
	mountpoint -q "$W/locked" 2>/dev/null && umount "$W/locked"
	[ -n "$LOOPS" ] && losetup -d "$LOOPS" 2>/dev/null
	vault_cleanup
}
trap vci_cleanup EXIT

# strace_agent: trace the running agent's (and its children's) opens, to
# see where it makes temporary files
strace_agent() {
	strace -f -e trace=openat,open,creat -o "$W/agent.strace" -p "$(agent_pid dev)" 2>"$W/strace.err" &
	STRACE_PID=$!
	wait_for 60 "strace attached to the agent" grep -q "attached" "$W/strace.err"
}
strace_stop() {
	kill "$STRACE_PID" 2>/dev/null
	wait "$STRACE_PID" 2>/dev/null
	STRACE_PID=
}
# leaks FILE...: the files among FILE... that hold the marker or the tag
leaks() {
	grep -laF -e "$MARK" -e "$TAG" "$@" 2>/dev/null
}
# leaks_under DIR...: files written since the test began, on DIR's own file
# system (-xdev: the vault's mounts are other file systems), that hold the
# marker or the tag
leaks_under() {
	find "$@" -xdev -type f -newer "$W/t0" -print0 2>/dev/null | xargs -0 -r grep -laF -e "$MARK" -e "$TAG" 2>/dev/null
}

# ------------------------------------------------------------------ setup
step "controller, libvirtd, swtpm, the cloud-init guest image"
touch "$W/t0"
ctl_init "$CTL" "$E2E_PORT" || fail "eve-controller init"
ctl_start "$CTL" || fail "eve-controller serve"
libvirtd_start || test_skip "libvirtd cannot start here: $LIBVIRTD_ERROR"
mkdir -p "$IMAGES"
(
	flock 9
	sh "$EVE_SRC/tests/images/build-cloudinit-image.sh" "$IMAGES"
) 9>"$IMAGES/.ci-lock" >"$W/images.log" 2>&1
rc=$?
if [ "$rc" = 3 ]; then
	test_skip "$(tail -n 1 "$W/images.log")"
elif [ "$rc" != 0 ]; then
	tail -n 20 "$W/images.log"
	fail "building the cloud-init guest"
fi
swtpm_start
ectl onboard add --cert "$CTL/device-config/onboard.cert.pem" --serial "$SERIAL" >/dev/null ||
	fail "evectl onboard add"
pass "controller, libvirtd, swtpm :$TPMPORT, cloudinit.qcow2"

step "agent with --vault: onboarded, attested, vault open"
agent_dirs dev
vagent_start
wait_for 90 "device online" device_field_is "$SERIAL" .state online
wait_for 60 "quote accepted" grep -q "attest: quote accepted" "$W/agent-dev.log"
wait_for 60 "volume store open" grep -q "vault: volume store .* open" "$W/agent-dev.log"
ectl device config set "$SERIAL" timer.config.interval=2 >/dev/null || fail "evectl device config set"
agent_stop dev
vagent_start
wait_for 60 "timer.config.interval applied" grep -q "timer.config.interval = 2 s" "$W/agent-dev.log"
wait_for 60 "volume store open again" agent_log_ge "vault: volume store .* open" 2
mountpoint -q "$ST/vault" || fail "$ST/vault is not mounted"
[ "$(stat -c %d "$ST/apps")" = "$(stat -c %d "$ST/vault")" ] || fail "$ST/apps is not in the vault"
[ -d "$ST/vault/data/tmp" ] || fail "no $ST/vault/data/tmp (the agent's TMPDIR with --vault)"
strace_agent
pass "vault mounted, apps/ and tmp/ in it; agent traced"

# ------------------------------------------------------------------ 1. boot
step "deploy the guest with encrypted user data; cloud-init runs it"
# lower-case letters only: the guest prints them upper-cased
MARK=vaultci$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr 0-9 g-p)
TAG=vault-ud-tag-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')
UMARK=$(printf '%s' "$MARK" | tr '[:lower:]' '[:upper:]')
# the user data goes to evectl through a pipe: never in a file here
# (printf, not a here-document: bash may spool those in TMPDIR)
user_data() {
	printf '%s\n' "#cloud-config" "# $TAG" "runcmd:" \
		" - [ sh, -c, \"mkdir -p /var/lib/eve-ci && echo $MARK | tr a-z A-Z > /var/lib/eve-ci/vaultmark\" ]"
}
ectl image upload vaultci "$IMAGES/cloudinit.qcow2" --format qcow2 >/dev/null || fail "upload cloudinit.qcow2"
ectl app deploy vci --image vaultci --device "$SERIAL" --memory 512M --user-data <(user_data) >/dev/null ||
	fail "deploy vci"
wait_app_state vci RUNNING 240
wait_for 60 "user data opened in memory" grep -q "app vci: encrypted user data opened in memory" "$W/agent-dev.log"
wait_for 400 "cloud-init's final stage on the console" app_log_ge vci "CIGUEST: cloud-init modules --mode=final done" 1
wait_for 60 "the runcmd's output on the console" app_log_ge vci "CIGUEST: file /var/lib/eve-ci/vaultmark $UMARK" 1
app_log_ge vci "$MARK" 1 && fail "the marker itself is on the console"
pass "RUNNING; cloud-init ran the user data's runcmd"

# ------------------------------------------------------------------ 2. where
step "the user data is in the seed inside the vault and nowhere else"
DOM=$(test_domains | head -n1)
[ -n "$DOM" ] || fail "no domain"
SEED=$(find "$ST/apps/" -mindepth 2 -maxdepth 2 -name cidata.iso | head -n1)
[ -n "$SEED" ] || fail "no cidata.iso in $ST/apps"
[ "$(stat -c %d "$SEED")" = "$(stat -c %d "$ST/vault")" ] || fail "$SEED is not in the vault"
leaks "$SEED" >/dev/null || fail "control: the seed in the vault does not hold the user data"
# QEMU reads the seed in libvirtd's mount namespace: the vault's file there too
LVP=$(libvirtd_pid)
[ -n "$LVP" ] && nsenter -t "$LVP" -m grep -qaF "$MARK" "$SEED" ||
	fail "libvirtd's namespace does not see the seed in the vault"
virsh -q -c qemu:///system dumpxml "$DOM" | grep -qF "$SEED" || fail "the domain does not attach $SEED"
QPID=$(cat "/run/libvirt/qemu/$DOM.pid" 2>/dev/null)
[ -n "$QPID" ] && [ -r "/proc/$QPID/cmdline" ] || fail "no QEMU process for $DOM"
tr '\0' '\n' <"/proc/$QPID/cmdline" | grep -qF "$SEED" || fail "control: QEMU's command line does not name the seed"
# the app's strings: where every place below is searched
tr '\0' '\n' <"/proc/$QPID/cmdline" | grep -qF -e "$MARK" -e "$TAG" && fail "the user data is on QEMU's command line"
tr '\0' '\n' <"/proc/$QPID/environ" | grep -qF -e "$MARK" -e "$TAG" && fail "the user data is in QEMU's environment"
virsh -q -c qemu:///system dumpxml --security-info "$DOM" | grep -qF -e "$MARK" -e "$TAG" &&
	fail "the user data is in the domain XML"
strace_stop
sync
grep -aqF "$MARK" "$ST/vault.img" && fail "the marker is in clear in the raw vault image"
grep -aqF "$TAG" "$ST/vault.img" && fail "the user data is in clear in the raw vault image"
out=$(find "$ST" -xdev -type f ! -name vault.img -print0 | xargs -0 -r grep -laF -e "$MARK" -e "$TAG" 2>/dev/null)
[ -z "$out" ] || fail "the user data is in clear in the agent's state outside the vault: $out"
out=$(find "$CTL" -type f -print0 | xargs -0 -r grep -laF -e "$MARK" -e "$TAG" 2>/dev/null)
[ -z "$out" ] || fail "the user data is in clear in the controller's directory: $out"
out=$(leaks "$W/agent-dev.log" "$W/agent.strace" "/var/log/libvirt/qemu/$DOM.log" "$LIBVIRTD_LOG")
[ -z "$out" ] || fail "the user data is in a log: $out"
[ -s "/var/log/libvirt/qemu/$DOM.log" ] || fail "control: no qemu log /var/log/libvirt/qemu/$DOM.log"
out=$(leaks_under /run/libvirt /etc/libvirt /var/lib/libvirt /var/log/libvirt /tmp /var/tmp)
[ -z "$out" ] || fail "the user data is in clear in: $out"
# every temporary file the agent (or a child) made was inside the vault;
# the ISO writer made at least one (control)
grep -F O_TMPFILE "$W/agent.strace" >"$W/tmpfiles"
[ -s "$W/tmpfiles" ] || fail "control: no O_TMPFILE traced (was the seed made while traced?)"
out=$(grep -vF "\"$ST/vault/data/tmp" "$W/tmpfiles" | head -n 3)
[ -z "$out" ] || fail "a temporary file outside the vault: $out"
pass "seed in the vault (as libvirtd sees it); absent from vault.img, agent state, controller, libvirt, QEMU, logs, /tmp; $(wc -l <"$W/tmpfiles") temporary file(s), all in the vault"

# ------------------------------------------------------------------ 3. locked
step "a reboot: the seed is unreadable without the key"
remove_test_domains
agent_stop dev
vault_unmount || fail "the vault is still mounted"
[ -z "$(ls -A "$ST/apps" 2>/dev/null)" ] || fail "$ST/apps holds files with the vault unmounted"
leaks "$ST/vault.img" >/dev/null && fail "the user data is in clear in the raw vault image after unmount"
# a loop device of our own: a mount namespace made while the vault was
# mounted in libvirtd's (another test's domain) may still hold the old one,
# with the key; a new block device is a new file system instance, keyless
mkdir -p "$W/locked"
LOOP=$(losetup -r -f --show "$ST/vault.img") || fail "losetup -r vault.img"
LOOPS="$LOOP"
mount -o ro,noload "$LOOP" "$W/locked" 2>"$W/locked.err" || fail "mounting vault.img read-only: $(cat "$W/locked.err")"
[ -d "$W/locked/data" ] || fail "control: no data/ in vault.img"
find "$W/locked/data" -maxdepth 1 -name apps | grep -q . && fail "the vault's file names are in clear without the key"
[ -z "$(find "$W/locked" -name cidata.iso)" ] || fail "cidata.iso is named in clear without the key"
out=$(find "$W/locked" -type f -print0 | xargs -0 -r grep -laF -e "$MARK" -e "$TAG" 2>/dev/null)
[ -z "$out" ] || fail "the user data is readable without the key: $out"
umount "$W/locked"
losetup -d "$LOOP"
LOOPS=
pass "no seed in $ST/apps; vault.img without the key: names and contents encrypted"
log PASS
