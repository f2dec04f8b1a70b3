# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Helpers for the sealed-vault tests (sourced after e2e_lib.sh; not a test
# itself): the agent with a real swtpm and --vault, and the "reboot" that
# removes every vault mount. Callers set SERIAL, TPMPORT, VAULT_SIZE (and
# IMAGES for vault_setup).
# The agent's state dir is $ST; the vault is mounted at $ST/vault with
# $ST/volumes and $ST/apps bind-mounted from it (docs/security.md).

ST=$W/dev.state
SWTPM_PID=
export PATH="$PATH:/usr/sbin:/sbin"

need() {
	command -v "$1" >/dev/null 2>&1 || test_skip "$1 not installed ($2)"
}
# vault_need: what every vault test needs on the machine
vault_need() {
	need swtpm "swtpm"
	need tpm2_pcrextend "tpm2-tools"
	need jq "jq"
	need mkfs.ext4 "e2fsprogs"
	need nsenter "util-linux"
	[ -e /sys/fs/ext4/features/encryption ] || test_skip "the kernel's ext4 has no encryption (fscrypt)"
	[ -e /dev/loop-control ] || test_skip "no loop devices (/dev/loop-control)"
}

libvirtd_pid() { cat "$LIBVIRTD_PIDFILE" 2>/dev/null; }
# Remove the vault's mounts in our namespace and in libvirtd's: what a
# reboot does (the key goes with the file system).
vault_unmount() {
	local p ns
	p=$(libvirtd_pid)
	for d in apps volumes vault; do
		umount "$ST/$d" 2>/dev/null
		[ -n "$p" ] && nsenter -t "$p" -m umount "$ST/$d" 2>/dev/null
	done
	if mountpoint -q "$ST/vault" || mountpoint -q "$ST/volumes"; then
		return 1
	fi
	ns=0
	[ -n "$p" ] && nsenter -t "$p" -m mountpoint -q "$ST/vault" && ns=1
	[ "$ns" = 0 ]
}
vault_cleanup() {
	# the agents first: one left running would start the app again
	for p in $AGENT_PIDS; do kill -9 "$p" 2>/dev/null; done
	remove_test_domains
	AGENT_PIDS=
	vault_unmount
	[ -n "$SWTPM_PID" ] && kill "$SWTPM_PID" 2>/dev/null
	cleanup
}

# swtpm_start: a TPM simulator on $TPMPORT (control on +1), state in $W/swtpm
swtpm_start() {
	mkdir -p "$W/swtpm"
	swtpm socket --tpm2 --server type=tcp,port="$TPMPORT" --ctrl type=tcp,port=$((TPMPORT + 1)) \
		--tpmstate dir="$W/swtpm" --flags not-need-init,startup-clear >"$W/swtpm.out" 2>&1 &
	SWTPM_PID=$!
	wait_for 60 "swtpm on $TPMPORT" bash -c "exec 3<>/dev/tcp/127.0.0.1/$TPMPORT"
}

# vault_setup [CONF_LINE]: the controller (CONF_LINE added to its
# controller.conf), libvirtd, the busybox volume images in $IMAGES
# (tests/images/build-oci-volimage.sh), swtpm and the device's onboarding
vault_setup() {
	ctl_init "$CTL" "$E2E_PORT" || fail "eve-controller init"
	[ -z "${1:-}" ] || echo "$1" >>"$CTL/controller.conf"
	ctl_start "$CTL" || fail "eve-controller serve"
	libvirtd_start || test_skip "libvirtd cannot start here: $LIBVIRTD_ERROR"
	mkdir -p "$IMAGES"
	(
		flock 9
		"$EVE_SRC/tests/images/build-oci-volimage.sh" "$IMAGES"
	) 9>"$IMAGES/.lock" >"$W/images.log" 2>&1 || { cat "$W/images.log"; fail "building the test image"; }
	swtpm_start
	ectl onboard add --cert "$CTL/device-config/onboard.cert.pem" --serial "$SERIAL" >/dev/null ||
		fail "evectl onboard add"
}

vagent_start() {
	printf '=== %s start\n' "$(date -u +%T)" >>"$W/agent-dev.log"
	"$EVE_AGENT" --config "$W/dev.config" --state "$ST" --serial "$SERIAL" -v \
		--tpm "swtpm:port=$TPMPORT" --vault "${VAULT_SIZE:-256M}" >>"$W/agent-dev.log" 2>&1 &
	echo $! >"$W/dev.pid"
	AGENT_PIDS="$AGENT_PIDS $!"
}
agent_log_count() { grep -c "$1" "$W/agent-dev.log"; }
agent_log_ge() { [ "$(agent_log_count "$1")" -ge "$2" ]; }
