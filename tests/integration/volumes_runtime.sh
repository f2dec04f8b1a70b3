#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Volumes on the device (issue 17) against a real libvirt LXC:
#   volumes_runtime.sh SCENARIO PORT DRIVER BUILDDIR [MKISO]
# Builds the volume test images (cached), makes a throwaway TLS cert for the
# driver's HTTPS file server and runs runtime_driver SCENARIO; removes the
# scenario's domains (eve-a0000017-*; volume-vm: eve-a0001717-*) on every
# exit path. volume-vm boots a VM (vm-vol.iso, built with MKISO).
set -u
scenario=$1
port=$2
driver=$3
build=$4
mkiso=${5:-}
prefix=eve-a0000017-
[ "$scenario" = volume-vm ] && prefix=eve-a0001717-
here=$(cd "$(dirname "$0")" && pwd)
images=$build/runtime-images
work=$build/runtime-tests/volumes-$scenario

. "$here/../lib/libvirtd.sh"
. "$here/../lib/skip.sh"

cleanup() {
	for uri in qemu:///system lxc:///system; do
		for d in $(virsh -q -c $uri list --all --name 2>/dev/null | grep "^$prefix" || true); do
			virsh -q -c $uri destroy "$d" >/dev/null 2>&1
			virsh -q -c $uri undefine "$d" >/dev/null 2>&1
		done
	done
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

libvirtd_start || test_skip "libvirtd cannot start here: $LIBVIRTD_ERROR"
command -v mkfs.ext4 >/dev/null 2>&1 || [ -x /usr/sbin/mkfs.ext4 ] || test_skip "mkfs.ext4 (e2fsprogs) missing"
export PATH="$PATH:/usr/sbin:/sbin"
rm -rf "$work"
mkdir -p "$images" "$work/state"
(
	flock 9
	"$here/../images/build-oci-volimage.sh" "$images" &&
		if [ "$scenario" = volume-vm ]; then "$here/../images/build-vm-volimage.sh" "$images" "$mkiso"; fi
) 9>"$images/.lock" || {
	# the VM image needs the Debian kernel package (apt-get download)
	[ "$scenario" = volume-vm ] && test_skip "cannot build the VM test image (Debian cloud kernel package)"
	echo "FAIL: building test images"
	exit 1
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
	-addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
	-keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1 || { echo "FAIL: openssl"; exit 1; }
args=(--state "$work/state" --images "$images" --port "$port" --cert "$work/cert.pem" --key "$work/key.pem")
if [ "$scenario" != kill ]; then
	timeout 200 "$driver" "${args[@]}" "$scenario"
	exit $?
fi

# kill -9 of the runtime at each step of a data volume's snapshot/restore
# (EVE_VOLUME_CRASH_AT), then a fresh runtime on the same state: the app
# runs the image last applied with the data that goes with it.
for point in snapshotted restoring restored; do
	echo "== killed at '$point'"
	rm -rf "$work/state"
	mkdir -p "$work/state"
	EVE_VOLUME_CRASH_AT=$point timeout 300 "$driver" "${args[@]}" volume-kill-run >"$work/run.log" 2>&1
	rc=$?
	grep -E "VOLTEST|FAIL" "$work/run.log"
	[ "$rc" = 137 ] || { echo "FAIL: runtime not killed at '$point' (exit $rc)"; exit 1; }
	ls "$work"/state/volumes/*/crashed-"$point" >/dev/null 2>&1 ||
		{ echo "FAIL: crash point '$point' not reached"; exit 1; }
	timeout 200 "$driver" "${args[@]}" volume-kill-check || exit 1
done
echo PASS
