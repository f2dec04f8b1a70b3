#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Runtime integration tests against a real libvirt (qemu TCG + LXC).
#   runtime_test.sh SCENARIO PORT DRIVER MKISO BUILDDIR
# Starts (or reuses) the machine's libvirtd via tests/lib/libvirtd.sh, builds
# the test images once per build dir (cached), makes a throwaway TLS cert for
# the driver's HTTPS file server, runs runtime_driver SCENARIO and cleans up
# the domains and files of the test on every exit path.
set -u
scenario=$1
port=$2
driver=$3
mkiso=$4
build=$5
here=$(cd "$(dirname "$0")" && pwd)
images=$build/runtime-images
work=$build/runtime-tests/$scenario
pid=

. "$here/../lib/libvirtd.sh"
. "$here/../lib/skip.sh"

cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	# Domains of this scenario (named eve-<uuid> with the scenario's ids).
	for uri in qemu:///system lxc:///system; do
		for d in $(virsh -q -c $uri list --all --name 2>/dev/null | grep "^eve-a000000$idx-" || true); do
			virsh -q -c $uri destroy "$d" >/dev/null 2>&1
			virsh -q -c $uri undefine "$d" >/dev/null 2>&1
		done
	done
	for n in $(virsh -q -c qemu:///system net-list --all --name 2>/dev/null | grep "^eve-ni-e000000$idx-" || true); do
		virsh -q -c qemu:///system net-destroy "$n" >/dev/null 2>&1
		virsh -q -c qemu:///system net-undefine "$n" >/dev/null 2>&1
	done
	# Port-map rules of the scenario's apps (rt_portmap.c names them).
	for t in $(nft list tables 2>/dev/null | grep -o "eve-pm-a000000$idx-[0-9a-f-]*" || true); do
		nft delete table ip "$t" 2>/dev/null
		ch=EVEPM-$(printf %s "${t#eve-pm-}" | sha256sum | cut -c1-16)
		while iptables -w -D FORWARD -j "$ch" 2>/dev/null; do :; done
		iptables -w -F "$ch" 2>/dev/null
		iptables -w -X "$ch" 2>/dev/null
	done
	# Firewall tables and DNS servers (rt_firewall.c, rt_dns.c) the runtime
	# left when the scenario failed half-way.
	for t in $(nft list tables 2>/dev/null | grep -o "eve-fw-a000000$idx-[0-9a-f-]*" || true); do
		nft delete table bridge "$t" 2>/dev/null
	done
	for f in "$work"/state/dns/*.pid; do
		[ -e "$f" ] || continue
		p=$(cat "$f")
		grep -q dnsmasq "/proc/$p/cmdline" 2>/dev/null && { kill "$p"; sleep 1; kill -9 "$p" 2>/dev/null; }
	done
	if [ "$scenario" = portmap ]; then
		ip link del evepm7h 2>/dev/null
		ip netns del evepm7 2>/dev/null
	fi
	rm -rf "$work"
}
case $scenario in
vm) idx=1 ;; oci) idx=2 ;; badsha) idx=3 ;; resume) idx=4 ;; adopt) idx=5 ;; net) idx=6 ;; portmap) idx=7 ;; crash) idx=8 ;; *) idx=9 ;;
esac
trap cleanup EXIT INT TERM

if ! libvirtd_start; then
	test_skip "libvirtd cannot start here: $LIBVIRTD_ERROR"
fi
mkdir -p "$images" "$work/state"
# One builder at a time (tests run in parallel); later runs hit the cache.
(
	flock 9
	"$here/../images/build-vm-image.sh" "$images" "$mkiso" &&
		"$here/../images/build-oci-image.sh" "$images"
) 9>"$images/.lock" || { echo "FAIL: building test images"; exit 1; }

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
	-addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
	-keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1 || { echo "FAIL: openssl"; exit 1; }
args=(--state "$work/state" --images "$images" --port "$port" --cert "$work/cert.pem" --key "$work/key.pem")

if [ "$scenario" = portmap ]; then
	# An outside client: a network namespace behind a veth pair, so the
	# port map is also tried through PREROUTING and FORWARD.
	ip link del evepm7h 2>/dev/null
	ip netns del evepm7 2>/dev/null
	{ ip netns add evepm7 &&
		ip link add evepm7h type veth peer name evepm7c netns evepm7 &&
		ip addr add 10.251.7.1/30 dev evepm7h && ip link set evepm7h up &&
		ip -n evepm7 link set lo up &&
		ip -n evepm7 addr add 10.251.7.2/30 dev evepm7c && ip -n evepm7 link set evepm7c up &&
		ip -n evepm7 route add default via 10.251.7.1; } || { echo "FAIL: test network namespace"; exit 1; }
	export EVE_PM_NETNS=evepm7 EVE_PM_HOSTIP=10.251.7.1
fi
if [ "$scenario" != adopt ]; then
	timeout 200 "$driver" "${args[@]}" "$scenario"
	exit $?
fi

# adopt: run, kill -9 while the app runs, run again on the same state.
"$driver" "${args[@]}" adopt-start >"$work/first.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
	grep -q '^READY' "$work/first.log" && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
cat "$work/first.log"
grep -q '^READY' "$work/first.log" || { echo "FAIL: first runtime did not get the app running"; exit 1; }
kill -9 "$pid"
wait "$pid" 2>/dev/null
pid=
timeout 120 "$driver" "${args[@]}" adopt-check
