#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Remote VNC and VM serial console end to end (docs/console.md): a VM app
# with VNC on the real agent and libvirtd (QEMU TCG), `evectl app vnc
# --listen`, and a client on that port reads the RFB handshake the VM's
# VNC server sends, through the controller's dispatcher; then `evectl app
# console` on a pty types a command into the VM's serial console (a shell
# in the guest) and reads its output, while the console still goes to the
# app's log; the dashboard's VNC page (noVNC in chromium) connects to the
# VM's display. Boots a VM guest: label slow.
. "$(dirname "$0")/e2e_lib.sh"

SERIAL=console-vnc-1
IMAGES=$E2E_BUILD/runtime-images
VNC_PID=""
trap 'kill -9 $VNC_PID 2>/dev/null; cleanup' EXIT

step "controller, libvirtd, VM image"
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

step "device online, polling every 2 s; a VM app with VNC"
ectl onboard add --cert "$CTL/device-config/onboard.cert.pem" --serial "$SERIAL" >/dev/null || fail "onboard add"
agent_dirs dev
agent_start dev "$SERIAL"
wait_for 60 "device $SERIAL online" device_field_is "$SERIAL" .state online
ectl device config set "$SERIAL" timer.config.interval=2 >/dev/null || fail "config set"
agent_stop dev
agent_start dev "$SERIAL"
ectl image upload tiny-vm "$IMAGES/vm-shell.iso" --format iso >/dev/null || fail "image upload"
ectl app deploy vv1 --image tiny-vm --device "$SERIAL" --memory 128M --vnc \
	--kernel /boot/vmlinuz --ramdisk /boot/initrd.img >/dev/null || fail "deploy"
wait_app_state vv1 RUNNING 180
pass "vv1 RUNNING"

step "evectl app vnc --listen: the RFB handshake through the controller"
"$EVECTL" app vnc vv1 --listen 127.0.0.1:21490 >"$W/vnc.log" 2>&1 &
VNC_PID=$!
wait_for 30 "vnc forwarder listening" grep -q "Forwarding 127.0.0.1:21490" "$W/vnc.log"
rfb() {
	python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", 21490), timeout=150)
s.settimeout(150)
b = b""
while len(b) < 12:
    d = s.recv(12 - len(b))
    if not d:
        break
    b += d
print(b.decode(errors="replace").strip())
sys.exit(0 if b.startswith(b"RFB 003.") else 1)
'
}
# The first connection gets the greeting (the forwarder waits for the
# device's channel; bytes the TLS layer holds must not wait for the client).
rfb >/dev/null || fail "no RFB greeting on the first connection"
got=$(rfb) || fail "RFB again"
grep -q "edgeview: channel .* open: vnc of app" "$W/agent-dev.log" || fail "no vnc channel in the agent's log"
kill -INT "$VNC_PID"
wait "$VNC_PID" || fail "evectl app vnc exit $? on SIGINT"
VNC_PID=""
pass "server greeting: $got"
step "the dashboard's VNC page: noVNC in chromium connects to the VM's display"
/usr/bin/python3 "$EVE_SRC/tests/dashboard/console_vnc_browser.py" "$E2E_PORT" "$EVECTL_TOKEN" vv1 \
	"$E2E_BUILD/tests/dashboard-screenshots" >"$W/vnc-browser.log" 2>&1
rc=$?
[ "$rc" = 77 ] && [ "${CI:-}" != true ] && log "  skipped: $(tail -1 "$W/vnc-browser.log")"
[ "$rc" = 0 ] || [ "$rc" = 77 ] || { cat "$W/vnc-browser.log"; fail "noVNC in the browser"; }
[ "$rc" = 77 ] || pass "$(grep -E 'VNC connected' "$W/vnc-browser.log" | tail -1)"

step "evectl app console of the VM: type into its serial console (a shell), read the output"
wait_for 120 "the guest's shell on its console" app_log_ge vv1 "EVE-TEST-VM: shell on the console" 1
python3 "$EVE_SRC/tests/integration/console_pty.py" type "$EVECTL" vv1 >"$W/vmcon.out" 2>&1 ||
	{ cat "$W/vmcon.out"; fail "VM console session"; }
grep -q "edgeview: channel .* open: console of app" "$W/agent-dev.log" || fail "no console channel in the agent's log"
wait_for 30 "the typed command in the app's log too" app_log_ge vv1 "CONSOLE-42-OK" 1
pass "round trip through the VM's serial console; the log still gets it"
log PASS
