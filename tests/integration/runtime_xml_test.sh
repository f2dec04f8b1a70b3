#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Domain XML of every backend (Xen HVM, Xen PV with a kernel and with
# pygrub, QEMU, LXC) validated against libvirt's schema: Xen cannot boot
# here, so libvirt's own grammar (virt-xml-validate) is the judge.
#   runtime_xml_test.sh DRIVER OUTDIR
set -eu
driver=$1
out=$2
rm -rf "$out"
mkdir -p "$out"
trap 'rm -rf "$out"' EXIT
. "$(dirname "$0")/../lib/skip.sh"
command -v virt-xml-validate >/dev/null || test_skip "virt-xml-validate (libvirt-clients) missing"
"$driver" xml "$out"
for f in "$out"/*.xml; do
	virt-xml-validate "$f" domain
done
grep -q "machine='xenfv'>hvm" "$out/xen-hvm.xml"
grep -q "hvmloader" "$out/xen-hvm.xml"
grep -q "machine='xenpv'>linux" "$out/xen-pv.xml"
grep -q "<kernel>" "$out/xen-pv.xml"
grep -q "<bootloader>" "$out/xen-pv-pygrub.xml"
grep -q "<domain type='lxc'>" "$out/lxc.xml"
echo "OK all domain XML validates"
