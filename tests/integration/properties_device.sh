#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
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
#     server drops to ~1 s once set;
#   timer.download.stalled: a download that stops sending is cancelled
#     after 2 s and tried again; at the default it is left waiting;
#   timer.send.timeout: a stopped controller is given up on after 2 s, not
#     within 5 s at 30 s;
#   newlog.gzipfiles.ondisk.maxmegabytes: the log spool is trimmed to it;
#   debug.default.loglevel: what the agent writes to its own log;
#   timer.port.testbetterinterval: an agent on any route (its only port
#     does not exist) tries the port again every 2 s once set, never at
#     the default during the test.
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
	[ -n "${CPID:-}" ] && kill -CONT "$CPID" 2>/dev/null
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
# without -v (agent_start adds it), which would pin the log level to debug
for a; do shift; [ "\$a" = -v ] || set -- "\$@" "\$a"; done
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
# A second agent whose only management port does not exist: it reaches
# the controller through any route (network.fallback.any.eth, config dir);
# timer.port.testbetterinterval is measured on it at the end.
agent_confdir p2
printf 'nosuch0\n' >"$W/p2.conf/ports"
printf 'timer.config.interval=1\nnetwork.fallback.any.eth=enabled\n' >"$W/p2.conf/config-items"
agent_start p2 --libvirt test:///default

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
	# The controller says "default" as soon as nothing is configured; the
	# device runs its old value until it applies the new config, and
	# reports the value it runs: wait for that one.
	for k in "$@"; do
		wait_for 30 "$k back to its default" prop_is "$k" state default
		wait_for 30 "$k back to its default on the device" prop_runs_default "$k"
	done
}
prop_runs_default() {
	"$EVECTL" -o json device config get "$U" 2>/dev/null |
		jq -e --arg n "$1" '.items[] | select(.name == $n) | select(.value == .default)' >/dev/null
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
"$EVECTL" project config set default runtime.oci.unpack.max.bytes=lots >/dev/null 2>"$W/e.err"
[ $? = 3 ] || fail "evectl accepted a project's runtime.oci.unpack.max.bytes=lots"
ctl_api "$CTL" PUT "/projects/default/config-items" '{"runtime.oci.unpack.max.bytes": "0"}' >/dev/null &&
	fail "admin API accepted a project's runtime.oci.unpack.max.bytes=0"
[ "${CTL_STATUS:-}" = 400 ] || fail "admin API (project): HTTP ${CTL_STATUS:-none}, want 400"
ctl_api "$CTL" PUT "/devices/$U/config-items" '{"runtime.oci.unpack.max.bytes": "-1"}' >"$W/api.out" &&
	fail "admin API accepted runtime.oci.unpack.max.bytes=-1"
[ "${CTL_STATUS:-}" = 400 ] || fail "admin API: HTTP ${CTL_STATUS:-none}, want 400"
grep -q "runtime.oci.unpack.max.bytes: '-1' is not a valid unsigned integer (1..18446744073709551615)" "$W/api.out" ||
	fail "admin API message: $(cat "$W/api.out")"
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
echo "$SECONDS s: OK runtime.oci.unpack.max.bytes"

# ---- timer.download.retry (measured below, while the other steps run):
# attempts at an image server that answers 404.
cat >"$W/srv.py" <<'PY'
import http.server, sys, time
log = open(sys.argv[2], "a", buffering=1)
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        log.write("%d %s\n" % (int(time.time() * 1000), self.path))
        if self.path != "/stall.img":
            self.send_error(404)
            return
        # a download that stalls: the headers of a large body, then nothing
        self.send_response(200)
        self.send_header("Content-Length", "1000000")
        self.end_headers()
        self.wfile.flush()
        time.sleep(60)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer.daemon_threads = True
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
: >"$W/srv.log"
python3 "$W/srv.py" 22101 "$W/srv.log" &
SRV_PID=$!
sleep 0.5
kill -0 "$SRV_PID" 2>/dev/null || fail "image server did not start (port 22101 in use?)"
gaps() { awk 'NR > 1 { print $1 - p } { p = $1 }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : -1) }'; }
# req_times PATH: the times (ms) of the server's requests for PATH
req_times() { awk -v p="$1" '$2 == p { print $1 }' "$W/srv.log"; }
reqs_after() { [ "$(req_times "${3:-/gone.img}" | awk -v t="$1" '$1 > t' | wc -l)" -ge "$2" ]; }
set_props timer.download.retry=4
"$EVECTL" image add gone --url http://127.0.0.1:22101/gone.img --format raw \
	--sha256 "$(printf gone | sha256sum | cut -d' ' -f1)" >/dev/null || fail "image add gone"
"$EVECTL" app deploy dl --image gone --device "$D" --memory 64M >/dev/null || fail "app deploy dl"

# ---- memory.apps.ignore.check and timer.boot.retry -----------------------------
head -c 200000 /dev/urandom >"$W/disk.img"
"$EVECTL" image upload disk "$W/disk.img" --format raw >/dev/null || fail "image upload disk"
"$EVECTL" app deploy big --image disk --device "$D" --memory 1T >/dev/null || fail "app deploy big"
wait_for 60 "the 1 TiB app refused for memory" app_err_has big "not enough memory"
# Refused again and again, each wait twice the last (from 1 s) up to
# timer.boot.retry (600 s by default): the wait is in the error text.
retry_wait() { app_field big error | sed -n 's/.*retrying in \([0-9]*\) s.*/\1/p'; }
waits_grew() { [ "$(retry_wait)" -ge 4 ] 2>/dev/null; }
wait_for 60 "the refused app's retry wait grows to 4 s" waits_grew
set_props timer.boot.retry=1
waits_one() { [ "$(retry_wait)" = 1 ]; }
wait_for 30 "timer.boot.retry=1: the refused app retries every second" waits_one
app_state_is big RUNNING && fail "the 1 TiB app runs with the memory check on"
set_props memory.apps.ignore.check=true
wait_for 30 "memory.apps.ignore.check=true: the 1 TiB app runs" app_state_is big RUNNING
"$EVECTL" app delete big >/dev/null || fail "app delete big"
unset_props memory.apps.ignore.check timer.boot.retry
echo "$SECONDS s: OK memory.apps.ignore.check, timer.boot.retry"

# ---- storage.apps.ignore.disk.check, storage.dom0.disk.minusage.percent ---------
# The volumes' filesystem is 128 MiB; a blank volume declares its size.
"$EVECTL" volume create huge --device "$D" --size 8T >/dev/null || fail "volume create huge"
wait_for 60 "the 8 TiB volume refused for disk" vol_err_has huge "not enough disk"
set_props storage.apps.ignore.disk.check=true
wait_for 30 "storage.apps.ignore.disk.check=true: the 8 TiB volume goes ahead" vol_ok huge
"$EVECTL" volume delete huge >/dev/null || fail "volume delete huge"
unset_props storage.apps.ignore.disk.check
# 40 MiB fits the apps' share at 20 % kept (~102 MiB); at 80 % (~25 MiB) a
# second one does not; back at 20 % it does (~62 MiB left).
"$EVECTL" volume create v40a --device "$D" --size 40M >/dev/null || fail "volume create v40a"
wait_for 30 "v40a created at 20 %" vol_ok v40a
set_props storage.dom0.disk.minusage.percent=80
"$EVECTL" volume create v40b --device "$D" --size 40M >/dev/null || fail "volume create v40b"
wait_for 60 "v40b refused at 80 %" vol_err_has v40b "80% kept by storage.dom0.disk.minusage.percent"
unset_props storage.dom0.disk.minusage.percent
wait_for 30 "v40b goes ahead at 20 %" vol_ok v40b
"$EVECTL" volume delete v40a >/dev/null && "$EVECTL" volume delete v40b >/dev/null || fail "volume delete"
echo "$SECONDS s: OK storage.apps.ignore.disk.check, storage.dom0.disk.minusage.percent"

# ---- timer.download.retry: from 4 s to 1 s -----------------------------------
wait_for 60 "4 download attempts at timer.download.retry=4" reqs_after 0 4
slow=$(req_times /gone.img | gaps | sort -n | tail -n1)
set_props timer.download.retry=1
t=$(date +%s%3N)
wait_for 30 "4 download attempts at timer.download.retry=1" reqs_after "$t" 4
fast=$(req_times /gone.img | awk -v t="$t" '$1 > t' | gaps | median)
# (the wait, then the worker's next look: about 0.6 s more)
[ "$slow" -ge 3600 ] || fail "timer.download.retry=4: longest gap $slow ms"
[ "$fast" -le 3000 ] || fail "timer.download.retry=1: median gap $fast ms"
echo "download attempts: longest gap $slow ms at 4 s, median $fast ms at 1 s"
"$EVECTL" app delete dl >/dev/null || fail "app delete dl"
echo "$SECONDS s: OK timer.download.retry"

# ---- timer.download.stalled: a download that stops sending is cancelled --------
# (retried after timer.download.retry, 1 s here); the value applies from
# the next attempt.
set_props timer.download.stalled=2
"$EVECTL" image add slow --url http://127.0.0.1:22101/stall.img --format raw \
	--sha256 "$(printf slow | sha256sum | cut -d' ' -f1)" >/dev/null || fail "image add slow"
"$EVECTL" app deploy st --image slow --device "$D" --memory 64M >/dev/null || fail "app deploy st"
wait_for 60 "2 stalled downloads cancelled and retried at timer.download.stalled=2" reqs_after 0 2 /stall.img
wait_for 30 "the stall reported" app_err_has st "too slow. Less than 1 bytes/sec transferred the last 2 seconds"
st=$(req_times /stall.img | gaps | median)
[ "$st" -le 6000 ] || fail "timer.download.stalled=2: attempts $st ms apart"
t=$(date +%s%3N)
unset_props timer.download.stalled
# The device runs the default now. An attempt it started before (2 s)
# stalls out and is retried within about 3 s: that retry, and every
# attempt after it, waits for 600 s. So after 6 s the last attempt is
# one under the default, and none may follow it.
wait_for 20 "an attempt since the change" reqs_after "$t" 1 /stall.img
sleep 6
t=$(req_times /stall.img | tail -n1)
sleep 7
n=$(req_times /stall.img | awk -v t="$t" '$1 > t' | wc -l)
[ "$n" = 0 ] || fail "timer.download.stalled=600: $n attempts within 7 s of the last"
echo "stalled downloads: retried every $st ms at 2 s; none for 7 s at the default"
"$EVECTL" app delete st >/dev/null || fail "app delete st"
echo "$SECONDS s: OK timer.download.stalled"

# ---- timer.send.timeout: a controller that stops answering (SIGSTOP) -----------
CPID=$(cat "$CTL/serve.pid")
unreachable() { grep -c "config: controller unreachable" "$W/r1.log"; }
set_props timer.send.timeout=30
n=$(unreachable)
kill -STOP "$CPID"
sleep 5
kill -CONT "$CPID"
[ "$(unreachable)" = "$n" ] || fail "timer.send.timeout=30: a request gave up within 5 s"
set_props timer.send.timeout=2
n=$(unreachable)
t=$SECONDS
kill -STOP "$CPID"
gave_up() { [ "$(unreachable)" -gt "$n" ]; }
wait_for 20 "timer.send.timeout=2: the agent gives up on the stopped controller" gave_up
kill -CONT "$CPID"
echo "gave up after $((SECONDS - t)) s with timer.send.timeout=2; not within 5 s at 30"
unset_props timer.send.timeout
echo "$SECONDS s: OK timer.send.timeout"

# ---- newlog.gzipfiles.ondisk.maxmegabytes: the log spool's size ----------------
# 14 files of ~1 MB, oldest names first; not gzip, so the controller refuses
# them and they stay (under newlog.persist.quota.mb's 64 MB default).
for i in 10 11 12 13 14 15 16 17 18 19 20 21 22 23; do
	head -c $((1024 * 1024 - 4096)) /dev/urandom >"$W/r1.state/newlogs/00000000000000000${i}000000-dev.gz"
done
spool() { find "$W/r1.state/newlogs" -type f -name '*.gz' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'; }
spool_le() { [ "$(spool)" -le $(($1 * 1024 * 1024)) ]; }
sleep 2
[ "$(spool)" -gt $((12 * 1024 * 1024)) ] || fail "spool not filled: $(spool) bytes"
set_props newlog.gzipfiles.ondisk.maxmegabytes=10
wait_for 60 "spool within 10 MB" spool_le 10
[ -e "$W/r1.state/newlogs/0000000000000000023000000-dev.gz" ] || fail "the newest file was dropped"
echo "$SECONDS s: OK newlog.gzipfiles.ondisk.maxmegabytes"

# ---- debug.default.loglevel: what the agent writes to its own log ---------------
level_lines() { awk -v t="$1" -v l="level=$2" 'index($0, l) && substr($1, 4) > t' "$W/r1.log" | wc -l; }
now_ts() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
[ "$(level_lines 0 debug)" = 0 ] || fail "debug lines at the default level info"
set_props debug.default.loglevel=debug
t=$(now_ts)
debug_lines() { [ "$(level_lines "$t" debug)" -ge 2 ]; }
wait_for 20 "debug lines at debug.default.loglevel=debug" debug_lines
set_props debug.default.loglevel=error
t=$(now_ts)
# an info line's occasion: a config change ("config: applied", info)
set_props timer.metric.interval=30
sleep 2
for l in debug info warning; do
	[ "$(level_lines "$t" $l)" = 0 ] || fail "$l lines with debug.default.loglevel=error: $(level_lines "$t" $l)"
done
set_props debug.default.loglevel=info
t=$(now_ts)
set_props timer.metric.interval=31
info_lines() { [ "$(level_lines "$t" info)" -ge 1 ]; }
wait_for 20 "info lines again at info" info_lines
echo "$SECONDS s: OK debug.default.loglevel"

# ---- timer.port.testbetterinterval: p2 (on any route) tries its port again ------
wait_for 60 "p2 onboarded through any route" log_has p2 "onboarded: device UUID"
U2=$(agent_uuid p2)
retests() { grep -c "no management port reached the controller: trying any route" "$W/p2.log"; }
n=$(retests)
[ "$n" -le 1 ] || fail "p2 tried its port again $n times at the default (600 s)"
"$EVECTL" device config set "$U2" timer.port.testbetterinterval=2 >/dev/null || fail "set p2's testbetterinterval"
more_retests() { [ "$(retests)" -ge $((n + 3)) ]; }
wait_for 30 "p2 tries its port again every 2 s" more_retests
echo "$SECONDS s: OK timer.port.testbetterinterval ($n retest(s) at 600 s since start, $(retests) after 2 s)"
agent_stop p2

agent_running r1 || fail "agent died"
# Both stop cleanly, without a sanitizer report (ASan/UBSan builds).
agent_stop r1
controller_stop
if grep -E -A30 "AddressSanitizer|LeakSanitizer|runtime error:" "$W/r1.log" "$W/p2.log" "$CTL/serve.log" >&2; then
	fail "sanitizer report"
fi
echo "PASS"
