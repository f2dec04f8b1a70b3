#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# app.allow.vnc on a running device (issue #32): a VM app with VNC on the
# real agent and libvirtd (QEMU TCG). With the default (false) the VM's VNC
# server listens on 127.0.0.1 only: `ss -ltn` shows it there, and a client
# in a network namespace of this test, connecting over a veth pair to the
# host's address 10.231.232.1, is refused. With app.allow.vnc=true set from
# the controller (the device reports it applied) and the app restarted, the
# VNC server listens on every address (0.0.0.0) and the same client reads
# the RFB greeting over the non-loopback address. Boots a VM: label slow.
# Port 23210 (controller); netns/veth names carry this shell's PID.
. "$(dirname "$0")/e2e_lib.sh"

SERIAL=props-vnc-1
APP=p4vnc-app
IMAGES=$E2E_BUILD/runtime-images
NS=p4vnc-$$
VH=p4vh$$
VP=p4vp$$
HOST_IP=10.231.232.1
NS_IP=10.231.232.2
trap 'ip netns del "$NS" 2>/dev/null; ip link del "$VH" 2>/dev/null; cleanup' EXIT

command -v ip >/dev/null && command -v ss >/dev/null || test_skip "iproute2 (ip, ss) not installed"
ip netns add "$NS" 2>/dev/null || test_skip "cannot create a network namespace here"

step "controller, libvirtd, VM image; a client namespace on a veth pair"
ip link add "$VH" type veth peer name "$VP" || fail "veth pair"
ip link set "$VP" netns "$NS" || fail "veth into $NS"
ip addr add "$HOST_IP/30" dev "$VH" && ip link set "$VH" up || fail "host end of the veth"
ip -n "$NS" addr add "$NS_IP/30" dev "$VP" && ip -n "$NS" link set "$VP" up && ip -n "$NS" link set lo up ||
	fail "namespace end of the veth"
ctl_init "$CTL" "$E2E_PORT" || fail "eve-controller init"
ctl_start "$CTL" || fail "eve-controller serve"
EVECTL_TOKEN=$(ctl_token "$CTL")
export EVECTL_TOKEN
libvirtd_start || test_skip "libvirtd cannot start here: $LIBVIRTD_ERROR"
[ -n "${E2E_MKISO:-}" ] || test_skip "no mkiso (libarchive-dev missing)"
mkdir -p "$IMAGES"
(
	flock 9
	sh "$EVE_SRC/tests/images/build-vm-image.sh" "$IMAGES" "$E2E_MKISO" shell
) 9>"$IMAGES/.lock" >"$W/images.log" 2>&1 || { tail -5 "$W/images.log"; test_skip "building the VM image failed"; }
pass "ready"

# rfb_from_ns HOST PORT: connect from the namespace; prints the server's
# first 12 bytes, or the error. Exit 0 only for an RFB greeting.
rfb_from_ns() {
	ip netns exec "$NS" python3 -c '
import socket, sys
try:
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
except OSError as e:
    print("connect: %s" % e)
    sys.exit(2)
s.settimeout(60)
b = b""
try:
    while len(b) < 12:
        d = s.recv(12 - len(b))
        if not d:
            break
        b += d
except OSError as e:
    print("recv: %s" % e)
print(b.decode(errors="replace").strip())
sys.exit(0 if b.startswith(b"RFB 003.") else 1)
' "$1" "$2"
}

# The app's libvirt domain and its VNC port and listen address from the
# live XML (the port libvirt chose: autoport).
app_domain() { test_domains | head -1; }
vnc_attr() {
	virsh -q -c qemu:///system dumpxml "$(app_domain)" 2>/dev/null |
		grep -o "<graphics type='vnc'[^>]*" | grep -o "$1='[^']*'" | head -1 | cut -d"'" -f2
}
vnc_port_known() { [ -n "$(vnc_attr port)" ] && [ "$(vnc_attr port)" != -1 ]; }
# listens_on ADDR PORT: ss shows a TCP listener on exactly ADDR:PORT.
listens_on() { ss -ltnH | awk '{ print $4 }' | grep -qx "$1:$2"; }
prop_state() {
	ectl -o json device config get "$SERIAL" 2>/dev/null |
		jq -r --arg n "$1" '.items[] | select(.name == $n) | "\(.state) \(.value)"'
}
prop_is() { [ "$(prop_state "$1")" = "$2" ]; }

step "device online; a VM app with VNC, app.allow.vnc not set (default false)"
ectl onboard add --cert "$CTL/device-config/onboard.cert.pem" --serial "$SERIAL" >/dev/null || fail "onboard add"
agent_dirs dev
agent_start dev "$SERIAL"
wait_for 60 "device $SERIAL online" device_field_is "$SERIAL" .state online
ectl device config set "$SERIAL" timer.config.interval=2 >/dev/null || fail "config set"
ectl image upload p4vnc-vm "$IMAGES/vm-shell.iso" --format iso >/dev/null || fail "image upload"
ectl app deploy "$APP" --image p4vnc-vm --device "$SERIAL" --memory 128M --vnc \
	--kernel /boot/vmlinuz --ramdisk /boot/initrd.img >/dev/null || fail "deploy"
wait_app_state "$APP" RUNNING 180
wait_for 30 "the VM's VNC port in its live XML" vnc_port_known
P1=$(vnc_attr port)
L1=$(vnc_attr listen)
[ "$L1" = 127.0.0.1 ] || fail "VNC listen address '$L1' with app.allow.vnc unset (want 127.0.0.1)"
wait_for 30 "ss: VNC on 127.0.0.1:$P1" listens_on 127.0.0.1 "$P1"
listens_on 0.0.0.0 "$P1" && fail "ss: VNC also on 0.0.0.0:$P1 with app.allow.vnc unset"
# The greeting is there on loopback (the server works) ...
python3 -c 'import socket, sys; s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10); s.settimeout(60)
b = s.recv(12); sys.exit(0 if b.startswith(b"RFB 003.") else 1)' "$P1" || fail "no RFB greeting on 127.0.0.1:$P1"
# ... and not over the non-loopback address.
out=$(rfb_from_ns "$HOST_IP" "$P1")
rc=$?
[ "$rc" = 2 ] || fail "from the namespace to $HOST_IP:$P1 with app.allow.vnc unset: rc $rc, '$out' (want refused)"
pass "VNC on 127.0.0.1:$P1 only; from $NS_IP to $HOST_IP:$P1: $out"

step "app.allow.vnc=true from the controller, app restarted: VNC on every address"
ectl device config set "$SERIAL" app.allow.vnc=true >/dev/null || fail "config set app.allow.vnc=true"
wait_for 60 "the device applied app.allow.vnc=true" prop_is app.allow.vnc "applied true"
D1=$(domain_id "$(app_domain)")
ectl app restart "$APP" >/dev/null || fail "app restart"
vnc_all() { [ "$(vnc_attr listen)" = 0.0.0.0 ] && vnc_port_known && domain_running "$(app_domain)"; }
wait_for 180 "the restarted VM's VNC listening on 0.0.0.0" vnc_all
D2=$(domain_id "$(app_domain)")
[ "$D1" != "$D2" ] || fail "domain id $D1 unchanged: the VM was not restarted"
wait_app_state "$APP" RUNNING 180
P2=$(vnc_attr port)
wait_for 30 "ss: VNC on 0.0.0.0:$P2" listens_on 0.0.0.0 "$P2"
listens_on 127.0.0.1 "$P2" && fail "ss: a loopback-only listener on $P2 too"
got=
for _ in $(seq 1 10); do
	got=$(rfb_from_ns "$HOST_IP" "$P2") && break
	sleep 2
done
case $got in "RFB 003."*) ;; *) fail "from the namespace to $HOST_IP:$P2: '$got' (want the RFB greeting)" ;; esac
pass "VNC on 0.0.0.0:$P2; from $NS_IP to $HOST_IP:$P2 the server sent '$got'"
log PASS
