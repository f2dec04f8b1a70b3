#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck disable=SC2015 # "[ a ] && [ b ] || fail" is meant
# (OVMF + GRUB need more than 128 MiB to load the kernel and initramfs: vu has 256.)
# Any app end to end (issue 28): eve-controller + eve-agent + evectl over
# real TLS on 127.0.0.1, QEMU (TCG) under the machine's libvirtd.
#   - a qcow2 disk with its own bootloader (SYSLINUX) boots under BIOS,
#     pinned to a host CPU (virsh vcpupin shows it), with env vars and
#     cloud-init user data on the same app: the NoCloud seed carries the
#     user's #cloud-config intact (no K=V in front), meta-data's
#     instance-id changes on purge;
#   - a raw GPT disk with an EFI system partition (GRUB) boots under OVMF
#     (evectl app deploy --boot uefi) with the app's own NVRAM file;
#   - a multiboot unikernel (the image is the kernel: --kernel /) runs and
#     its console line reaches the app logs;
#   - refusals: a pin set past the device's CPUs, an unknown boot mode.
. "$(dirname "$0")/e2e_lib.sh"

SERIAL=anyapp-serial-1
COM=/dev/ttyANYAPP$$ # the COM adapter: a link to a pty made by anyapp_pty.py
anyapp_cleanup() {
	rm -f "$COM"
	cleanup
}
trap anyapp_cleanup EXIT
# A UEFI domain keeps its NVRAM: undefine needs --keep-nvram (e2e_lib's
# cleanup would leave it defined otherwise).
remove_test_domains() {
	local dom
	for dom in $(test_domains); do
		virsh -q -c qemu:///system destroy "$dom" >/dev/null 2>&1
		virsh -q -c qemu:///system undefine --keep-nvram "$dom" >/dev/null 2>&1
	done
}
IMAGES=$E2E_BUILD/anyapp-images

step "controller on 127.0.0.1:$E2E_PORT, libvirtd, any-app test images"
ctl_init "$CTL" "$E2E_PORT" || fail "eve-controller init"
ctl_start "$CTL" || fail "eve-controller serve"
libvirtd_start || test_skip "libvirtd cannot start here: $LIBVIRTD_ERROR"
mkdir -p "$IMAGES"
(
	flock 9
	sh "$EVE_SRC/tests/images/build-anyapp-images.sh" "$IMAGES"
) 9>"$IMAGES/.lock" >"$W/images.log" 2>&1
rc=$?
if [ "$rc" = 3 ]; then
	test_skip "$(tail -n 1 "$W/images.log")"
elif [ "$rc" != 0 ]; then
	tail -n 20 "$W/images.log"
	fail "building the any-app images"
fi
pass "images: $(cd "$IMAGES" && echo bios.qcow2 uefi.raw unikernel.elf)"

step "device onboards and reports its CPUs"
ectl onboard add --cert "$CTL/device-config/onboard.cert.pem" --serial "$SERIAL" >/dev/null ||
	fail "evectl onboard add"
agent_dirs dev
agent_start dev "$SERIAL"
wait_for 60 "device $SERIAL online" device_field_is "$SERIAL" .state online
# Short config polls (the agent reads them at start): changes land in seconds.
ectl device config set "$SERIAL" timer.config.interval=2 >/dev/null || fail "evectl device config set"
agent_stop dev
agent_start dev "$SERIAL"
ncpu_known() { [ "$(ectl -o json device get "$SERIAL" | jq -r '.info.ncpu // 0')" -gt 0 ] 2>/dev/null; }
wait_for 60 "the device's hardware info (ncpu)" ncpu_known
NCPU=$(ectl -o json device get "$SERIAL" | jq -r '.info.ncpu')
[ "$NCPU" = "$(nproc)" ] || fail "device reports ncpu $NCPU, the host has $(nproc)"
# Its hardware inventory (ZInfoHardware): every CPU with its place in the
# topology, as this machine's sysfs has it.
hw_known() { [ "$(ectl -o json device get "$SERIAL" | jq '.hardware.inventory.cpu_info.cpus // [] | length')" -gt 0 ] 2>/dev/null; }
wait_for 60 "the device's hardware inventory (ZInfoHardware)" hw_known
HW=$(ectl -o json device get "$SERIAL" | jq -c .hardware.inventory)
hw_misc() { jq -r --arg k "$1" '.misc[] | select(.key == $k) | .value' <<<"$HW"; }
NALL=$(nproc --all)
SOCKETS=$(cat /sys/devices/system/cpu/cpu[0-9]*/topology/physical_package_id | sort -u | wc -l)
CORES=$(for c in /sys/devices/system/cpu/cpu[0-9]*/topology; do echo "$(cat "$c/physical_package_id"):$(cat "$c/core_id")"; done | sort -u | wc -l)
[ "$(jq '.cpu_info.cpus | length' <<<"$HW")" = "$NALL" ] || fail "hardware: $(jq '.cpu_info.cpus | length' <<<"$HW") CPUs, the host has $NALL"
[ "$(hw_misc cpu.sockets)" = "$SOCKETS" ] && [ "$(hw_misc cpu.cores)" = "$CORES" ] ||
	fail "hardware: sockets '$(hw_misc cpu.sockets)' cores '$(hw_misc cpu.cores)', sysfs has $SOCKETS and $CORES"
ectl device get "$SERIAL" | grep -q "^HARDWARE  $NALL CPUs: $SOCKETS sockets, $CORES cores" ||
	fail "evectl device get: $(ectl device get "$SERIAL" | grep HARDWARE)"
PIN=$((NCPU - 1)) # the last CPU: not what an unpinned vCPU would show alone
# Its I/O adapters from sysfs: every serial port with a UART is there.
adapters=$(ectl -o json device get "$SERIAL" | jq -c '[.info.assignableAdapters[]? | {name, members}]')
ncom=0
for t in /sys/class/tty/ttyS*; do
	[ -r "$t/type" ] && [ "$(cat "$t/type")" -gt 0 ] 2>/dev/null || continue
	n=${t##*/ttyS}
	ncom=$((ncom + 1))
	printf '%s' "$adapters" | jq -e --arg name "COM$((n + 1))" --arg dev "/dev/ttyS$n" \
		'any(.[]; .name == $name and .members == [$dev])' >/dev/null ||
		fail "ttyS$n (a UART) not among the device's adapters: $adapters"
done
pass "ncpu $NCPU; $NALL CPUs in $SOCKETS sockets, $CORES cores; pinning to CPU $PIN; adapters reported: $adapters ($ncom UARTs in sysfs)"

step "uploads; refusals: a pin set past the device's CPUs, an unknown boot mode"
ectl image upload anyapp-bios "$IMAGES/bios.qcow2" --format qcow2 >/dev/null || fail "upload bios.qcow2"
ectl image upload anyapp-uefi "$IMAGES/uefi.raw" --format raw >/dev/null || fail "upload uefi.raw"
ectl image upload anyapp-uk "$IMAGES/unikernel.elf" --format raw >/dev/null || fail "upload unikernel.elf"
if ectl app deploy bad --image anyapp-bios --device "$SERIAL" --cpus-pinned "0-$NCPU" >"$W/bad.out" 2>&1; then
	fail "a pin set with CPU $NCPU (device has $NCPU) was accepted"
fi
grep -q "does not exist: the device has $NCPU CPUs" "$W/bad.out" || fail "refusal text: $(cat "$W/bad.out")"
if ectl app deploy bad --image anyapp-bios --device "$SERIAL" --boot efi >"$W/bad.out" 2>&1; then
	fail "--boot efi was accepted"
fi
grep -q "boot: bios or uefi" "$W/bad.out" || fail "refusal text: $(cat "$W/bad.out")"
ectl app get bad >/dev/null 2>&1 && fail "a refused app exists"
pass "refused with reasons"

step "a COM adapter (a pty pair on the host) in the device's I/O model"
python3 "$EVE_SRC/tests/integration/anyapp_pty.py" "$COM" "$W/pty.result" 400 &
PTY_PID=$!
AGENT_PIDS="$AGENT_PIDS $PTY_PID" # stopped by e2e_lib's cleanup
wait_for 60 "pty link $COM" test -L "$COM"
ectl device io set "$SERIAL" com1 --type com --usage app --assigngrp com1 --serial-port "$COM" --create \
	>/dev/null || fail "evectl device io set com1"
ectl device io set "$SERIAL" gpu0 --type hdmi --usage app --assigngrp gpu0 --pci 0000:7f:1f.7 --create \
	>/dev/null || fail "evectl device io set gpu0"
pass "com1 = $COM -> $(readlink "$COM"); gpu0 = a PCI address this machine lacks"

step "deploy: BIOS qcow2 (pinned, env + user data, COM adapter), UEFI raw, unikernel"
printf '#cloud-config\nruncmd:\n - echo anyapp-user-data\n' >"$W/user-data"
ectl app deploy vb --image anyapp-bios --device "$SERIAL" --memory 128M --cpus-pinned "$PIN" \
	-e GREETING=hi -e MODE=test --user-data "$W/user-data" --io com1 >/dev/null || fail "deploy vb"
ectl app deploy vu --image anyapp-uefi --device "$SERIAL" --memory 256M --boot uefi >/dev/null ||
	fail "deploy vu"
ectl app deploy uk --image anyapp-uk --device "$SERIAL" --memory 32M --kernel / >/dev/null ||
	fail "deploy uk"
cfg=$(ectl_json device config dump "$SERIAL")
vm_field() { printf '%s' "$cfg" | jq -r --arg n "$1" ".apps[] | select(.displayname == \$n) | $2"; }
app_error_has() { ectl -o json app get "$1" 2>/dev/null | jq -e --arg s "$2" '.instances[0].error // "" | contains($s)' >/dev/null; }
[ "$(vm_field vb .fixedresources.cpus)" = "$PIN" ] && [ "$(vm_field vb .fixedresources.pin_cpu)" = true ] ||
	fail "VmConfig of vb: cpus '$(vm_field vb .fixedresources.cpus)' pin_cpu '$(vm_field vb .fixedresources.pin_cpu)'"
[ "$(vm_field vu .fixedresources.boot_mode)" = VM_BOOT_MODE_UEFI ] ||
	fail "VmConfig of vu: boot_mode '$(vm_field vu .fixedresources.boot_mode)'"
[ "$(vm_field uk .fixedresources.kernel)" = / ] || fail "VmConfig of uk: kernel '$(vm_field uk .fixedresources.kernel)'"
# User data is a secret (docs/security.md): sent as a CipherBlock to a
# device with an ECDH certificate, so its form is checked in the seed the
# device made (below); in clear otherwise.
if [ "$(vm_field vb '.cipherData != null')" = true ]; then
	[ -z "$(vm_field vb '.userData // ""')" ] || fail "vb's user data in clear beside its CipherBlock"
	UD_WHERE="encrypted (cipherData)"
else
	vm_field vb .userData | base64 -d >"$W/ud.sent"
	head -n 1 "$W/ud.sent" | grep -q '^Content-Type: multipart/mixed' || fail "vb's userData: $(head -n 3 "$W/ud.sent")"
	grep -q '^GREETING=' "$W/ud.sent" && fail "env lines in vb's userData"
	grep -q 'echo anyapp-user-data' "$W/ud.sent" || fail "user data lost"
	UD_WHERE="multipart without K=V lines"
fi
pass "VmConfig: cpus=$PIN pinCpu, bootMode UEFI, kernel /; userData $UD_WHERE"

step "adapters: com1 refused to a second app (409), gpu0 reaches the device and is refused there"
ectl app deploy vb2 --image anyapp-uk --device "$SERIAL" --memory 32M --kernel / --io com1 >"$W/bad.out" 2>&1 &&
	fail "com1 assigned to a second app"
grep -q "assigned to app vb" "$W/bad.out" || fail "refusal text: $(cat "$W/bad.out")"
[ "$(vm_field vb '.adapters[0].name')" = com1 ] && [ "$(vm_field vb '.adapters[0].type')" = PhyIoCOM ] ||
	fail "vb's adapters in the config: $(vm_field vb .adapters)"
ectl app deploy vg --image anyapp-uk --device "$SERIAL" --memory 32M --kernel / --io gpu0 >/dev/null ||
	fail "deploy vg"
wait_for 120 "vg in ERROR: no such PCI device here" app_error_has vg "PCI device 0000:7f:1f.7 is not present"
vg_err=$(ectl -o json app get vg | jq -r '.instances[0].error')
ectl app delete vg >/dev/null || fail "delete vg"
pass "409 for com1; vg: $vg_err"

step "all three RUNNING, each console line in its app logs"
for a in vb vu uk; do wait_app_state "$a" RUNNING 240; done
wait_for 120 "vb: booted by SYSLINUX under BIOS" app_log_ge vb "ANYAPP-GUEST: booted anyapp=bios" 1
wait_for 180 "vu: booted by GRUB under OVMF" app_log_ge vu "ANYAPP-GUEST: booted anyapp=uefi" 1
wait_for 60 "uk: the unikernel's line" app_log_ge uk "UNIKERNEL: hello from a multiboot kernel" 1
VB=$(app_instance vb)
VU=$(app_instance vu)
UK=$(app_instance uk)
pass "consoles: bios, uefi, unikernel"

step "the COM adapter carries bytes: host pty -> guest ttyS1 -> host pty"
wait_for 120 "the pty helper's result" test -s "$W/pty.result"
[ "$(cat "$W/pty.result")" = ok ] || fail "no echo from the guest through com1 ($(cat "$W/pty.result"))"
grep -q "<serial type='dev'>" <(virsh -q -c qemu:///system dumpxml "eve-$VB") || fail "vb has no serial type='dev'"
pass "echo:ping-anyapp came back through $COM"

step "libvirt's view: vcpupin, firmware, NVRAM, direct kernel, no disk for the unikernel"
virsh -q -c qemu:///system vcpupin "eve-$VB" >"$W/vcpupin"
awk -v p="$PIN" '$1 == "0" && $2 == p { ok = 1 } END { exit !ok }' "$W/vcpupin" ||
	fail "virsh vcpupin eve-$VB: $(cat "$W/vcpupin") (want vCPU 0 on CPU $PIN)"
virsh -q -c qemu:///system dumpxml "eve-$VU" >"$W/vu.xml"
grep -q "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>" "$W/vu.xml" ||
	fail "vu's domain has no OVMF loader"
[ -s "$W/dev.state/apps/$VU/nvram.fd" ] || fail "no NVRAM kept with app vu"
grep -q "<loader" <(virsh -q -c qemu:///system dumpxml "eve-$VB") && fail "vb (BIOS) got a UEFI loader"
virsh -q -c qemu:///system dumpxml "eve-$UK" >"$W/uk.xml"
grep -q "<kernel>" "$W/uk.xml" || fail "uk is not booted as a kernel"
grep -q "<disk" "$W/uk.xml" && fail "uk got a disk: $(grep -A3 '<disk' "$W/uk.xml")"
pass "$(tr -s ' ' <"$W/vcpupin" | head -n1); OVMF + nvram.fd; unikernel as <kernel>"

step "NoCloud seed of vb: the user data as sent, instance-id changes on purge"
seed=$W/dev.state/apps/$VB/cidata.iso
[ -s "$seed" ] || fail "no cidata.iso for vb"
grep -aq "instance-id: $VB-0" "$seed" || fail "meta-data instance-id $VB-0 missing"
grep -aq "echo anyapp-user-data" "$seed" || fail "user-data missing in the seed"
grep -aq "Content-Type: multipart/mixed" "$seed" || fail "the seed's user-data is not the multipart"
grep -aq "^GREETING=" "$seed" && fail "env lines in the seed's user-data"
ectl app purge vb >/dev/null || fail "evectl app purge vb"
wait_for 120 "instance-id $VB-1 after the purge" grep -aq "instance-id: $VB-1" "$seed"
wait_app_state vb RUNNING 120
pass "instance-id $VB-0 -> $VB-1"

step "delete the UEFI app: its domain (with NVRAM) is undefined"
ectl app delete vu >/dev/null || fail "delete vu"
wait_for 120 "domain eve-$VU removed" domain_gone "eve-$VU"
pass "deleted"
log "PASS"
