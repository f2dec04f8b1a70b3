#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Distributed firewall against real components: nftables, libvirt LXC, a
# busybox container on a local network instance, and two HTTP servers in
# network namespaces (targets X and Y, reached through the host's routing).
#   fw_test.sh PORT DRIVER MKISO BUILDDIR
# runtime_driver firewall-start: allow ip:X reaches X not Y; allow-all both;
# limit caps a download (measured); allow host:allowed.test reaches X only
# after the app resolved www.allowed.test through the network instance's
# DNS server (ours, filling the nft set), never Y. Then kill -9 of the runtime: the rules
# stay (checked here from the container's namespace), and runtime_driver
# firewall-check on the same state finds `nft list` identical, then removes
# the app and its table. (Rules are compared without counters and set
# elements: -s -t; the flow-log sets change with traffic.)
set -u
port=$1
driver=$2
mkiso=$3
build=$4
here=$(cd "$(dirname "$0")" && pwd)
images=$build/runtime-images
work=$build/runtime-tests/firewall
app=a00000f1-0000-4000-8000-0000000000f1
pid=
srv=()

need() {
	if [ "${CI:-}" = true ]; then echo "FAIL: $1"; exit 1; fi
	echo "SKIP: $1"; exit 77
}
for t in nft nsenter curl busybox ip virsh dnsmasq; do
	command -v $t >/dev/null 2>&1 || [ -x /usr/sbin/$t ] || need "no $t command"
done
. "$here/../lib/libvirtd.sh"

cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	for p in "${srv[@]}"; do kill "$p" 2>/dev/null; done
	virsh -q -c lxc:///system destroy eve-$app >/dev/null 2>&1
	virsh -q -c lxc:///system undefine eve-$app >/dev/null 2>&1
	virsh -q -c qemu:///system net-destroy eve-ni-e00000f1-0000-4000-8000-0000000000f1 >/dev/null 2>&1
	virsh -q -c qemu:///system net-undefine eve-ni-e00000f1-0000-4000-8000-0000000000f1 >/dev/null 2>&1
	nft delete table bridge eve-fw-$app 2>/dev/null
	dp=$(cat "$work/state/dns/e00000f1-0000-4000-8000-0000000000f1.pid" 2>/dev/null)
	[ -n "$dp" ] && grep -q dnsmasq /proc/$dp/cmdline 2>/dev/null && { kill "$dp"; sleep 1; kill -9 "$dp" 2>/dev/null; }
	for n in fwx31 fwy31; do
		ip link del ${n}h 2>/dev/null
		ip netns del $n 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

libvirtd_start || need "libvirtd cannot start here: $LIBVIRTD_ERROR"
rm -rf "$work"
mkdir -p "$images" "$work/state" "$work/www-x" "$work/www-y"
(
	flock 9
	"$here/../images/build-vm-image.sh" "$images" "$mkiso" &&
		"$here/../images/build-oci-image.sh" "$images"
) 9>"$images/.lock" || { echo "FAIL: building test images"; exit 1; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
	-addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
	-keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1 || { echo "FAIL: openssl"; exit 1; }

# Targets: X = 10.251.31.2, Y = 10.251.32.2, each behind a veth pair.
i=31
for n in fwx31 fwy31; do
	ip link del ${n}h 2>/dev/null
	ip netns del $n 2>/dev/null
	{ ip netns add $n &&
		ip link add ${n}h type veth peer name ${n}c netns $n &&
		ip addr add 10.251.$i.1/30 dev ${n}h && ip link set ${n}h up &&
		ip -n $n link set lo up &&
		ip -n $n addr add 10.251.$i.2/30 dev ${n}c && ip -n $n link set ${n}c up &&
		ip -n $n route add default via 10.251.$i.1; } || { echo "FAIL: network namespace $n"; exit 1; }
	i=$((i + 1))
done
echo fw-target-x >"$work/www-x/index.html"
echo fw-target-y >"$work/www-y/index.html"
head -c 600000 /dev/urandom >"$work/www-x/big"
ip netns exec fwx31 busybox httpd -f -p 8000 -h "$work/www-x" &
srv+=($!)
ip netns exec fwy31 busybox httpd -f -p 8000 -h "$work/www-y" &
srv+=($!)
# The upstream DNS server of the network instance's DNS: in X's namespace,
# allowed.test (and subdomains) -> X, other.test -> Y.
ip netns exec fwx31 dnsmasq -k --conf-file=/dev/null --listen-address=10.251.31.2 --bind-interfaces \
	--no-resolv --no-hosts --pid-file= --address=/allowed.test/10.251.31.2 --address=/other.test/10.251.32.2 &
srv+=($!)
echo "nameserver 10.251.31.2" >"$work/resolv.conf"
export EVE_DNS_RESOLV=$work/resolv.conf
export FW_X=10.251.31.2 FW_Y=10.251.32.2 FW_PORT=8000 FW_LIMIT_PPS=100
args=(--state "$work/state" --images "$images" --port "$port" --cert "$work/cert.pem" --key "$work/key.pem")

# 1. Rules enforced; then the runtime dies with kill -9.
"$driver" "${args[@]}" firewall-start >"$work/start.log" 2>&1 &
pid=$!
for _ in $(seq 1 1800); do
	grep -q '^READY' "$work/start.log" && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
cat "$work/start.log"
grep -q '^READY' "$work/start.log" || { echo "FAIL: firewall-start"; exit 1; }
nft -s -t list table bridge eve-fw-$app >"$work/before.nft" || { echo "FAIL: no table"; exit 1; }
kill -9 "$pid"
wait "$pid" 2>/dev/null
pid=

# 2. No agent: the rules stay and still hold.
nft -s -t list table bridge eve-fw-$app >"$work/dead.nft" 2>&1 || { echo "FAIL: table gone with the agent"; exit 1; }
cmp -s "$work/before.nft" "$work/dead.nft" || { echo "FAIL: rules changed without an agent"; exit 1; }
init=
ctl=$(cat /run/libvirt/lxc/eve-$app.pid 2>/dev/null)
[ -n "$ctl" ] && init=$(ps -o pid= --ppid "$ctl" | head -1 | tr -d ' ')
[ -n "$init" ] || { echo "FAIL: container gone with the agent"; exit 1; }
nsenter -t "$init" -n curl -sS -m 3 http://$FW_X:8000/ | grep -q fw-target-x ||
	{ echo "FAIL: without the agent X does not answer"; exit 1; }
if nsenter -t "$init" -n curl -sS -m 3 http://$FW_Y:8000/ 2>/dev/null | grep -q fw-target-y; then
	echo "FAIL: without the agent Y answers (rules gone)"; exit 1
fi
echo "OK agent killed with -9: rules unchanged and enforced (X yes, Y no)"

# 3. Restart on the same state: identical rules, then removal.
FW_DUMP_BEFORE=$work/before.nft timeout 150 "$driver" "${args[@]}" firewall-check
