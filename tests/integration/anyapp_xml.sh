#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# any-app domain XML (UEFI + NVRAM, vCPU pinning, unikernel, Xen pinning)
# validated against libvirt's own schema with virt-xml-validate.
#   anyapp_xml.sh UNIT_TEST OUTDIR
set -eu
unit=$1
out=$2
rm -rf "$out"
mkdir -p "$out"
trap 'rm -rf "$out"' EXIT
. "$(dirname "$0")/../lib/skip.sh"
command -v virt-xml-validate >/dev/null || test_skip "virt-xml-validate (libvirt-clients) missing"
ANYAPP_XML_OUT=$out "$unit" >/dev/null
n=0
for f in "$out"/*.xml; do
	virt-xml-validate "$f" domain
	n=$((n + 1))
done
[ "$n" -ge 5 ] || { echo "FAIL: want 5 documents, got $n"; exit 1; }
echo "OK $n any-app domain documents validate"
