#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Downloads through the management port's proxy, and the controller's own
# proxy settings (issue 29), with real components in network namespaces:
# the agent's netns has one port e1 to a router netns (tinyproxy; nftables
# drops what e1 sends straight to the controller's host and refuses, with
# a TCP reset, what it sends straight to the image server on that host);
# the controller and a plain HTTP image server are in a third netns. The
# agent runs its apps on libvirt's in-process test driver.
#  A. a bootstrap config gives e1 an explicit proxy (entProxy.proxies):
#     the agent onboards through tinyproxy;
#  B. the controller learns the port from the device's report with its
#     proxy (DevicePort.proxy), so its config keeps the device's setting:
#     nothing is tried or rolled back;
#  C. `evectl device io set --no-proxy` changes the controller's setting:
#     it is tried and kept, through the proxy;
#  D. an app whose image is on the image server: the image comes through
#     tinyproxy (its log shows the GET), the app reaches RUNNING, no
#     direct attempt;
#  E. `evectl device io set --pac`: a PAC that sends the controller to the
#     proxy and says "DIRECT; PROXY" for the image server: the setting is
#     kept, a second app's image is tried DIRECT first (refused: the
#     router counts it) and then comes through tinyproxy; RUNNING;
#  F. the controller's config without proxy or PAC (which would cut the
#     device off) is tried and rolled back: the device stays online, its
#     apps keep running;
#     bad PAC input is refused by evectl and the admin API.
# Ports: 24100 controller, 24101 image server, 24102 tinyproxy.
. "$(dirname "$0")/../lib/skip.sh"
[ "$(id -u)" = 0 ] || test_skip "needs root (network namespaces)"
command -v tinyproxy >/dev/null 2>&1 || test_skip "tinyproxy not installed"
command -v nft >/dev/null 2>&1 || test_skip "nft not installed (Debian: nftables)"
command -v python3 >/dev/null 2>&1 || test_skip "python3 not installed"
[ -n "${EVECTL:-}" ] && [ -x "${EVECTL:-}" ] || test_skip "evectl not built"
"${EVE_AGENT:?}" --help 2>&1 | grep -q libvirt || test_skip "eve-agent built without libvirt"
ip netns add "c29dprobe$$" 2>/dev/null || test_skip "cannot create network namespaces"
ip netns del "c29dprobe$$"

NSA=c29da$$
NSR=c29dr$$
NSC=c29dc$$
CTL_PORT=24100
IMG_PORT=24101
PROXY_PORT=24102
CTL_IP=10.66.9.2
PROXY=10.66.1.1:$PROXY_PORT
. "$(dirname "$0")/agent_lib.sh"
. "$(dirname "$0")/conn_lib.sh"
ev() { # evectl against the controller (in its netns)
	ip netns exec "$NSC" env EVECTL_SERVER="https://127.0.0.1:$CTL_PORT" EVECTL_TOKEN="$(ctl_token "$CTL")" \
		EVECTL_CA="$CTL/certs/root-certificate.pem" HOME="$W" "$EVECTL" "$@"
}

# ---- topology -------------------------------------------------------------
ip -n "$NSA" link add e1 type veth peer name r1 netns "$NSR" || fail "veth e1"
ip -n "$NSR" addr add 10.66.1.1/24 dev r1
ip -n "$NSR" link set r1 up
ip -n "$NSC" link add c0 type veth peer name r9 netns "$NSR" || fail "veth c0"
ip -n "$NSR" addr add 10.66.9.1/24 dev r9
ip -n "$NSR" link set r9 up
ip -n "$NSC" addr add "$CTL_IP/24" dev c0
ip -n "$NSC" link set c0 up
ip -n "$NSC" route add default via 10.66.9.1
ip netns exec "$NSR" sysctl -qw net.ipv4.ip_forward=1 || fail "ip_forward"
# e1 reaches the controller's host only through the proxy (the router's
# own connections are not forwarded traffic); a direct try at the image
# server is refused at once and counted
ip netns exec "$NSR" nft -f - <<EOF || fail "nft"
table inet c29dl {
	chain dlfwd {
		type filter hook forward priority 0; policy accept;
		ip saddr 10.66.1.0/24 ip daddr $CTL_IP tcp dport $IMG_PORT counter reject with tcp reset
		ip saddr 10.66.1.0/24 ip daddr $CTL_IP counter drop
	}
}
EOF
direct_img() { ip netns exec "$NSR" nft list table inet c29dl | grep "dport $IMG_PORT" | grep -o 'packets [0-9]*' | cut -d' ' -f2; }

cat >"$W/tinyproxy.conf" <<EOF
Port $PROXY_PORT
Listen 10.66.1.1
Timeout 60
LogFile "$W/tinyproxy.log"
LogLevel Info
PidFile "$W/tinyproxy.pid"
MaxClients 20
Allow 10.66.0.0/16
ConnectPort $CTL_PORT
EOF
ip netns exec "$NSR" tinyproxy -d -c "$W/tinyproxy.conf" >"$W/tinyproxy.out" 2>&1 &
PROXY_PID=$!
CONN_PIDS="$CONN_PIDS $PROXY_PID"
wait_for 60 "tinyproxy listening" ip netns exec "$NSR" bash -c "exec 3<>/dev/tcp/10.66.1.1/$PROXY_PORT" 2>/dev/null
kill -0 "$PROXY_PID" 2>/dev/null || fail "tinyproxy exited: $(tail -n 3 "$W/tinyproxy.out")"
proxy_connects() { grep -Ec "CONNECT $CTL_IP:$CTL_PORT HTTP" "$W/tinyproxy.log" 2>/dev/null; }
proxy_got() { grep -Eq "GET http://$CTL_IP:$IMG_PORT/$1 HTTP" "$W/tinyproxy.log" 2>/dev/null; }

# the image server (its log names each client)
mkdir -p "$W/img"
ip netns exec "$NSC" python3 -m http.server "$IMG_PORT" --bind "$CTL_IP" --directory "$W/img" \
	>"$W/img.log" 2>&1 &
CONN_PIDS="$CONN_PIDS $!"
wait_for 60 "image server listening" ip netns exec "$NSC" bash -c "exec 3<>/dev/tcp/$CTL_IP/$IMG_PORT" 2>/dev/null

# ---- controller -----------------------------------------------------------
"$EVE_CONTROLLER" init --dir "$CTL" --listen "0.0.0.0:$CTL_PORT" --host "$CTL_IP,127.0.0.1" \
	>"$W/ctl.init.out" 2>&1 || fail "controller init: $(cat "$W/ctl.init.out")"
controller_start
ctl_api "$CTL" POST /onboard "$(jq -n --rawfile c "$CTL/device-config/onboard.cert.pem" \
	'{cert: $c, serials: ["*"]}')" >/dev/null || [ "${CTL_STATUS:-}" = 409 ] || fail "POST /onboard"

# ---- A. onboarding through the bootstrap config's proxy --------------------
agent_confdir d
echo e1 >"$W/d.conf/managed-ports"
printf 'timer.port.testduration=20\ntimer.send.timeout=8\ntimer.download.retry=2\n' >>"$W/d.conf/config-items"
conn_bootstrap1 "$W/d.conf/bootstrap-config.pb" 10.66.1.10 10.66.1.0/24 10.66.1.1 V4 \
	"{\"proxies\": [{\"proto\": \"PROXY_HTTPS\", \"server\": \"10.66.1.1\", \"port\": $PROXY_PORT}]}"
agent_start d --libvirt test:///default
wait_for 90 "A: onboarded" log_has d "onboarded: device UUID"
U=$(agent_uuid d)
wait_for 60 "A: online" device_online "$U"
[ "$(proxy_connects)" -gt 0 ] || fail "A: no CONNECT to the controller in tinyproxy's log"
echo "A: onboarded through tinyproxy ($(proxy_connects) CONNECT(s))"

# ---- B. the controller learns the port with its proxy ------------------------
rollbacks() { grep -c "rolled back to the last working one" "$W/d.log"; }
polls() { grep -c "config: unchanged" "$W/d.log"; }
polls_gt() { [ "$(polls)" -gt "$1" ]; }
rollbacks_ge() { [ "$(rollbacks)" -ge "$1" ]; }
learned() {
	ev -o json device io list "$U" 2>/dev/null |
		jq -e ".items[] | select(.phylabel == \"eth0\" and .source == \"device\" and .proxy == \"http://$PROXY\")" >/dev/null
}
wait_for 60 "B: the controller learns eth0 with the device's proxy" learned
n=$(polls)
wait_for 60 "B: the device keeps polling" polls_gt $((n + 3))
[ "$(rollbacks)" = 0 ] || fail "B: a setting was rolled back: the learned port lost the proxy"
device_online "$U" || fail "B: the device is not online"
echo "B: the controller learned eth0 with its proxy; its config keeps the device online"

# ---- C. the proxy in the controller's model ---------------------------------
kept() { grep -c "the new setting reached the controller: kept" "$W/d.log"; }
kept_gt() { [ "$(kept)" -gt "$1" ]; }
k=$(kept)
rb=$(rollbacks)
ev device io set "$U" eth0 --proxy "http://$PROXY" --no-proxy localhost >"$W/set.out" 2>&1 ||
	fail "evectl device io set --no-proxy: $(cat "$W/set.out")"
wait_for 90 "C: the controller's setting with the proxy kept" kept_gt "$k"
[ "$(rollbacks)" = "$rb" ] || fail "C: the setting with the proxy was rolled back"
ev -o json device io list "$U" | jq -e ".items[] | select(.phylabel == \"eth0\") | select(.proxy == \"http://$PROXY\")" \
	>/dev/null || fail "C: evectl does not show the proxy"
echo "C: the controller's own setting (proxy, exceptions) replaced the bootstrap one"

# ---- D. an app's image through the explicit proxy ---------------------------
app_running() { ev -o json app get "$1" 2>/dev/null | jq -e '.instances[0].state == "RUNNING"' >/dev/null; }
add_image() { # NAME: a 300 kB raw disk on the image server
	head -c 300000 /dev/urandom >"$W/img/$1.img"
	ev image add "$1" --url "http://$CTL_IP:$IMG_PORT/$1.img" \
		--sha256 "$(sha256sum "$W/img/$1.img" | cut -d' ' -f1)" --format raw >"$W/ev.out" 2>&1 ||
		fail "image add $1: $(cat "$W/ev.out")"
}
add_image disk1
ev app deploy v1 --image disk1 --device serial-d --memory 64M >"$W/ev.out" 2>&1 ||
	fail "app deploy v1: $(cat "$W/ev.out")"
wait_for 150 "D: v1 RUNNING" app_running v1
proxy_got disk1.img || fail "D: tinyproxy's log has no GET of disk1.img"
grep -q "^10.66.9.1 .*GET /disk1.img" "$W/img.log" || fail "D: the image server did not see tinyproxy fetch disk1.img"
[ "$(direct_img)" = 0 ] || fail "D: the agent tried the image server directly with an explicit proxy"
echo "D: disk1.img through tinyproxy ($(grep -c "GET http://$CTL_IP:$IMG_PORT/disk1.img" "$W/tinyproxy.log") GET(s)), v1 RUNNING"

# ---- E. PAC: evaluated for the image's URL, its entries in order ----------
cat >"$W/pac.js" <<EOF
function FindProxyForURL(url, host) {
  if (shExpMatch(url, 'http://$CTL_IP:$IMG_PORT/*'))
    return 'DIRECT; PROXY $PROXY';
  return 'PROXY $PROXY';
}
EOF
k=$(kept)
rb=$(rollbacks)
ev device io set "$U" eth0 --proxy "" --no-proxy "" --pac "$W/pac.js" >"$W/set.out" 2>&1 ||
	fail "evectl device io set --pac: $(cat "$W/set.out")"
wait_for 90 "E: the controller's setting with the PAC kept" kept_gt "$k"
[ "$(rollbacks)" = "$rb" ] || fail "E: the setting with the PAC was rolled back"
ev -o json device io list "$U" |
	jq -e '.items[] | select(.phylabel == "eth0") | select(.proxy == "" and (.pacfile | length) > 0)' >/dev/null ||
	fail "E: evectl does not show the PAC file"
add_image disk2
ev app deploy v2 --image disk2 --device serial-d --memory 64M >"$W/ev.out" 2>&1 ||
	fail "app deploy v2: $(cat "$W/ev.out")"
wait_for 150 "E: v2 RUNNING" app_running v2
proxy_got disk2.img || fail "E: tinyproxy's log has no GET of disk2.img"
[ "$(direct_img)" -gt 0 ] || fail "E: the PAC's DIRECT entry was not tried first"
echo "E: disk2.img: DIRECT refused ($(direct_img) packet(s)), then through tinyproxy; v2 RUNNING"

# ---- F. a controller config that would cut the device off -----------------
rb=$(rollbacks)
ev device io set "$U" eth0 --pac "" >"$W/set.out" 2>&1 || fail "evectl device io set --pac '': $(cat "$W/set.out")"
wait_for 120 "F: the setting without proxy rolled back" rollbacks_ge $((rb + 1))
n=$(polls)
wait_for 60 "F: the device keeps polling" polls_gt "$n"
device_online "$U" || fail "F: the device is not online"
app_running v1 && app_running v2 || fail "F: the apps are not running"
echo "F: the setting without proxy was rolled back; the device and its apps kept working"
# refused input: a PAC file that is not text, a pacfile that is not base64,
# a proxy and a PAC together
printf 'a\0b' >"$W/bad.pac"
ev device io set "$U" eth0 --pac "$W/bad.pac" >"$W/set.out" 2>&1 && fail "evectl took a PAC file with a NUL byte"
ctl_api "$CTL" PUT "/devices/$U/io/eth0" '{"pacfile": "not base64!"}' >/dev/null &&
	fail "the API took a pacfile that is not base64"
[ "${CTL_STATUS:-}" = 400 ] || fail "pacfile not base64: HTTP ${CTL_STATUS:-none}, want 400"
ctl_api "$CTL" PUT "/devices/$U/io/eth0" \
	"{\"proxy\": \"http://$PROXY\", \"pacfile\": \"$(base64 -w0 "$W/pac.js")\"}" >"$W/api.out" &&
	fail "the API took a proxy and a pacfile together"
grep -q "one or the other" "$W/api.out" || fail "proxy + pacfile: $(cat "$W/api.out")"
agent_stop d
grep -l "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:" "$W"/d.log* &&
	fail "a sanitizer report in the agent's log"
echo "PASS"
