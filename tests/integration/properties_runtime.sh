#!/usr/bin/env bash
# Runtime configuration properties of the app runtime (issue #32) on a real
# running eve-agent (its apps on libvirt's in-process test driver,
# test:///default) against a real eve-controller, driven with evectl: each
# change made on the running device changes what the device does, as the
# controller sees it (app and volume states and errors, requests to an
# image server):
#   runtime.oci.unpack.max.bytes (uint64): evectl and the admin API refuse
#     bad values; a value above 2^32 is applied; a forced bad value is
#     rejected by the device and reported; 65536 refuses a container image
#     that unpacks to more, removing it lets the same image through;
#   memory.apps.ignore.check: a 1 TiB app is refused for memory, then runs;
#   timer.boot.retry: the refused app's retry wait drops to 1 s;
#   storage.apps.ignore.disk.check: an 8 TiB volume is refused, then not;
#   storage.dom0.disk.minusage.percent: a volume that fits the apps' share
#     at 20 % is refused at 80 % (the volumes' filesystem is a 128 MiB
#     tmpfs in the agent's own mount namespace);
#   timer.download.retry: the spacing of download attempts seen by an HTTP
#     server drops to ~1 s once set.
# Ports 22100 (controller), 22101 (image server).
. "$(dirname "$0")/agent_lib.sh"

need() {
	[ "${CI:-}" = true ] && fail "$1"
	echo "SKIP: $1"
	exit 77
}
[ -n "${EVECTL:-}" ] && [ -x "${EVECTL:-}" ] || need "evectl not built"
"$EVE_AGENT" --help 2>&1 | grep -q libvirt || need "eve-agent built without libvirt"
command -v python3 >/dev/null || need "python3 not installed"
command -v busybox >/dev/null || need "busybox not installed (busybox-static)"
[ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null || need "needs root and mount namespaces"

SRV_PID=""
props_cleanup() {
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
	agent_cleanup
}
trap props_cleanup EXIT

controller_up 22100
export EVECTL_SERVER EVECTL_TOKEN EVECTL_CA
EVECTL_SERVER=$(ctl_url "$CTL")
EVECTL_TOKEN=$(ctl_token "$CTL")
EVECTL_CA=$CTL/certs/root-certificate.pem
unset EVECTL_CONTEXT
export HOME=$W/home XDG_CONFIG_HOME=$W/home/.config
mkdir -p "$HOME"

# The agent in its own mount namespace, its volumes on a 128 MiB tmpfs,
# and without the host's libvirt sockets: its apps go to test:///default
# only, never to a libvirtd other tests share (a container app cannot
# start, which is fine: its volume is built first).
mkdir -p "$W/r1.state/volumes"
cat >"$W/agent-ns" <<EOF
#!/bin/sh
exec unshare -m --propagation private sh -c 'mount -t tmpfs -o size=128m props3 "\$0" &&
	{ [ ! -d /run/libvirt ] || mount -t tmpfs -o size=1m props3run /run/libvirt; } && exec "\$@"' "$W/r1.state/volumes" "$EVE_AGENT" "\$@"
EOF
chmod 755 "$W/agent-ns"
REAL_AGENT=$EVE_AGENT
EVE_AGENT=$W/agent-ns
agent_confdir r1
printf 'timer.config.interval=1\n' >"$W/r1.conf/config-items"
agent_start r1 --libvirt test:///default
EVE_AGENT=$REAL_AGENT
wait_for 60 "agent onboarded" log_has r1 "onboarded: device UUID"
U=$(agent_uuid r1)
D=serial-r1

prop() {
	"$EVECTL" -o json device config get "$U" 2>/dev/null |
		jq -r --arg n "$1" ".items[] | select(.name == \$n) | .$2"
}
prop_is() { [ "$(prop "$1" "$2")" = "$3" ]; }
set_props() {
	local kv
	"$EVECTL" device config set "$U" "$@" >"$W/set.out" 2>"$W/set.err" ||
		fail "evectl device config set $*: $(cat "$W/set.err")"
	for kv in "$@"; do
		wait_for 30 "${kv%%=*}=${kv#*=} applied by the device" prop_is "${kv%%=*}" state applied
	done
}
unset_props() {
	local k
	"$EVECTL" device config set "$U" "${@/%/-}" >/dev/null 2>"$W/set.err" || fail "unset $*: $(cat "$W/set.err")"
	for k in "$@"; do
		wait_for 30 "$k back to its default" prop_is "$k" state default
	done
}
# app_err NAME / app_state NAME: the instance's error and state at the controller.
app_field() { "$EVECTL" -o json app get "$1" 2>/dev/null | jq -r ".instances[0].$2 // \"\""; }
app_err_has() { app_field "$1" error | grep -q -- "$2"; }
app_state_is() { [ "$(app_field "$1" state)" = "$2" ]; }
vol_field() { "$EVECTL" -o json volume get "$1" 2>/dev/null | jq -r ".info.$2 // \"\""; }
vol_err_has() { vol_field "$1" volumeErr.description | grep -q -- "$2"; }
vol_ok() { [ -n "$(vol_field "$1" state)" ] && [ "$(vol_field "$1" state)" != ERROR ] && ! vol_err_has "$1" .; }

# ---- runtime.oci.unpack.max.bytes: a uint64 property -------------------------
"$EVECTL" device config set "$U" runtime.oci.unpack.max.bytes=0 >/dev/null 2>"$W/e.err"
[ $? = 3 ] || fail "evectl accepted runtime.oci.unpack.max.bytes=0 (want exit 3)"
grep -q "runtime.oci.unpack.max.bytes: '0' is out of range 1..18446744073709551615" "$W/e.err" ||
	fail "message: $(cat "$W/e.err")"
"$EVECTL" device config set "$U" runtime.oci.unpack.max.bytes=16G >/dev/null 2>"$W/e.err"
[ $? = 3 ] || fail "evectl accepted runtime.oci.unpack.max.bytes=16G"
grep -q "'16G' is not a valid unsigned integer" "$W/e.err" || fail "message: $(cat "$W/e.err")"
"$EVECTL" device config set "$U" runtime.oci.unpack.max.bytes=18446744073709551616 >/dev/null 2>"$W/e.err"
[ $? = 3 ] || fail "evectl accepted 2^64"
ctl_api "$CTL" PUT "/devices/$U/config-items" '{"runtime.oci.unpack.max.bytes": "-1"}' >/dev/null &&
	fail "admin API accepted runtime.oci.unpack.max.bytes=-1"
[ "${CTL_STATUS:-}" = 400 ] || fail "admin API: HTTP ${CTL_STATUS:-none}, want 400"
prop_is runtime.oci.unpack.max.bytes configured null || fail "a refused value reached the controller"
prop_is runtime.oci.unpack.max.bytes type uint64 || fail "type: $(prop runtime.oci.unpack.max.bytes type)"
wait_for 30 "the device reports the default" prop_is runtime.oci.unpack.max.bytes value 17179869184
"$EVECTL" device config set "$U" runtime.oci.unpack.max.bytes=8796093022208 |
	grep -q "runtime.oci.unpack.max.bytes=8796093022208 (default 17179869184, 1..18446744073709551615)" ||
	fail "set does not show the default and range"
wait_for 30 "8 TiB (above 2^32) applied" prop_is runtime.oci.unpack.max.bytes state applied
prop_is runtime.oci.unpack.max.bytes value 8796093022208 || fail "value: $(prop runtime.oci.unpack.max.bytes value)"
ctl_api "$CTL" PUT "/devices/$U/config-items?force=1" '{"runtime.oci.unpack.max.bytes": "lots"}' >/dev/null ||
	fail "forced PUT: ${CTL_STATUS:-}"
wait_for 30 "the device rejects runtime.oci.unpack.max.bytes=lots" prop_is runtime.oci.unpack.max.bytes state rejected
prop runtime.oci.unpack.max.bytes error | grep -q "'lots' is not a valid unsigned integer (1..18446744073709551615): using 17179869184" ||
	fail "rejection reason: $(prop runtime.oci.unpack.max.bytes error)"
"$EVECTL" device config get "$U" | grep -E "^runtime.oci.unpack.max.bytes +rejected +17179869184 " >/dev/null ||
	fail "table: $("$EVECTL" device config get "$U" | grep runtime.oci)"

# Its effect: a container image (busybox, ~2 MB unpacked) in a volume
# without a size is refused at 65536 bytes, and goes through without the cap.
sh "$EVE_TEST_DIR/images/build-oci-image.sh" "$W/img" || fail "build-oci-image.sh"
"$EVECTL" image upload bb "$W/img/busybox-oci.tar" --format oci >/dev/null || fail "image upload bb"
set_props runtime.oci.unpack.max.bytes=65536
"$EVECTL" app deploy ct --image bb --device "$D" >/dev/null || fail "app deploy ct"
wait_for 60 "the unpack over 65536 bytes refused" app_err_has ct "larger than the unpack cap"
# The agent's files as it sees them (its own mount namespace).
AROOT=/proc/$(cat "$W/r1.pid")/root
ct_rootfs() { [ -n "$(find "$AROOT$W/r1.state/volumes" -path '*/rootfs/bin/busybox' 2>/dev/null | head -n1)" ]; }
ct_rootfs && fail "a rootfs was unpacked under the 65536-byte cap"
unset_props runtime.oci.unpack.max.bytes
wait_for 60 "the image unpacked once the cap is gone" ct_rootfs
ct_uncapped() { ! app_err_has ct "unpack cap"; }
wait_for 30 "the controller sees the cap error gone" ct_uncapped
"$EVECTL" app delete ct >/dev/null || fail "app delete ct"
echo "OK runtime.oci.unpack.max.bytes"
