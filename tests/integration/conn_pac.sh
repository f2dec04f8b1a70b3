#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Proxy auto-config (issue 29) with real components in network namespaces:
# the agent's netns has three veth ports to a router netns (tinyproxy;
# nftables drops what e1 sends straight to the controller), the controller
# is in a third netns. Each phase is a new agent (device) whose bootstrap
# config gives its ports a PAC file (ProxyConfig.pacfile, base64):
#  A. the PAC sends the controller through tinyproxy (only on e1, whose
#     direct path is dropped): the agent onboards through it, tinyproxy's
#     log shows the CONNECT;
#  B. the PAC says DIRECT: the agent onboards, tinyproxy sees nothing new;
#  C. e1's PAC loops forever, e2's allocates without end, e3's says DIRECT:
#     both are killed by the limits, named as the ports' failures by the
#     diagnosis at start, and the agent reaches the controller over e3 by
#     its failover rules and keeps running.
# (The controller's own config, which replaces the bootstrap setting once
# the device is online, has no PAC file: the checks use the time before.)
# Ports: 23400 controller, 23402 tinyproxy.
. "$(dirname "$0")/../lib/skip.sh"
[ "$(id -u)" = 0 ] || test_skip "needs root (network namespaces)"
command -v tinyproxy >/dev/null 2>&1 || test_skip "tinyproxy not installed"
command -v nft >/dev/null 2>&1 || test_skip "nft not installed (Debian: nftables)"
ip netns add "c29pprobe$$" 2>/dev/null || test_skip "cannot create network namespaces"
ip netns del "c29pprobe$$"

NSA=c29pa$$
NSR=c29pr$$
NSC=c29pc$$
CTL_PORT=23400
PROXY_PORT=23402
CTL_IP=10.64.9.2
. "$(dirname "$0")/agent_lib.sh"
. "$(dirname "$0")/conn_lib.sh"

# ---- topology -------------------------------------------------------------
for i in 1 2 3; do
	ip -n "$NSA" link add "e$i" type veth peer name "r$i" netns "$NSR" || fail "veth e$i"
	ip -n "$NSR" addr add "10.64.$i.1/24" dev "r$i"
	ip -n "$NSR" link set "r$i" up
done
ip -n "$NSC" link add c0 type veth peer name r9 netns "$NSR" || fail "veth c0"
ip -n "$NSR" addr add 10.64.9.1/24 dev r9
ip -n "$NSR" link set r9 up
ip -n "$NSC" addr add "$CTL_IP/24" dev c0
ip -n "$NSC" link set c0 up
ip -n "$NSC" route add default via 10.64.9.1
ip netns exec "$NSR" sysctl -qw net.ipv4.ip_forward=1 || fail "ip_forward"
# e1 reaches the controller only through the proxy (the router's own
# connection is not forwarded traffic)
ip netns exec "$NSR" nft -f - <<EOF || fail "nft"
table inet c29pac {
	chain pacfwd {
		type filter hook forward priority 0; policy accept;
		ip saddr 10.64.1.0/24 ip daddr $CTL_IP counter drop
	}
}
EOF
direct_drops() { ip netns exec "$NSR" nft list table inet c29pac | grep -o 'packets [0-9]*' | cut -d' ' -f2; }

cat >"$W/tinyproxy.conf" <<EOF
Port $PROXY_PORT
Listen 10.64.1.1
Timeout 60
LogFile "$W/tinyproxy.log"
LogLevel Info
PidFile "$W/tinyproxy.pid"
MaxClients 10
Allow 10.64.0.0/16
ConnectPort $CTL_PORT
EOF
ip netns exec "$NSR" tinyproxy -d -c "$W/tinyproxy.conf" >"$W/tinyproxy.out" 2>&1 &
PROXY_PID=$!
CONN_PIDS="$CONN_PIDS $PROXY_PID"
wait_for 60 "tinyproxy listening" ip netns exec "$NSR" bash -c "exec 3<>/dev/tcp/10.64.1.1/$PROXY_PORT" 2>/dev/null
kill -0 "$PROXY_PID" 2>/dev/null || fail "tinyproxy exited: $(tail -n 3 "$W/tinyproxy.out")"
proxy_connects() { grep -Ec "CONNECT $CTL_IP:$CTL_PORT HTTP" "$W/tinyproxy.log" 2>/dev/null; }
proxy_connects_gt() { [ "$(proxy_connects)" -gt "$1" ]; }

# ---- controller -----------------------------------------------------------
"$EVE_CONTROLLER" init --dir "$CTL" --listen "0.0.0.0:$CTL_PORT" --host "$CTL_IP,127.0.0.1" \
	>"$W/ctl.init.out" 2>&1 || fail "controller init: $(cat "$W/ctl.init.out")"
controller_start
ctl_api "$CTL" POST /onboard "$(jq -n --rawfile c "$CTL/device-config/onboard.cert.pem" \
	'{cert: $c, serials: ["*"]}')" >/dev/null || [ "${CTL_STATUS:-}" = 409 ] || fail "POST /onboard"
[ "$(cat "$CTL/device-config/server")" = "$CTL_IP:$CTL_PORT" ] || fail "server is not $CTL_IP:$CTL_PORT"

io() { # LABEL IFNAME
	echo "{\"ptype\": \"PhyIoNetEth\", \"phylabel\": \"$1\", \"logicallabel\": \"$1\", \"phyaddrs\": [{\"key\": \"ifname\", \"value\": \"$2\"}], \"usage\": \"PhyIoUsageMgmtAndApps\"}"
}
sa() { # LABEL NET COST ADDR
	echo "{\"name\": \"$1\", \"uplink\": true, \"lowerLayerName\": \"$1\", \"networkUUID\": \"$2\", \"cost\": $3, \"addr\": \"$4\"}"
}
net() { # ID SUBNET(10.64.X.0/24) PAC-SCRIPT
	echo "{\"id\": \"$1\", \"type\": \"V4\", \"ip\": {\"dhcp\": \"Static\", \"subnet\": \"10.64.$2.0/24\", \"gateway\": \"10.64.$2.1\"}, \"entProxy\": {\"pacfile\": \"$(printf '%s' "$3" | base64 -w0)\"}}"
}
# NAME IFNAMES BOOTSTRAP-JSON: a new agent (device) with these managed ports
agent_new() {
	agent_confdir "$1"
	printf '%s\n' $2 >"$W/$1.conf/managed-ports"
	printf 'timer.port.testduration=120\ntimer.send.timeout=8\n' >>"$W/$1.conf/config-items"
	"$EVE_MKBOOTSTRAP" "$CTL/certs/signing.key.pem" "$CTL/certs/signing.cert.pem" "$3" \
		"$W/$1.conf/bootstrap-config.pb" || fail "mkbootstrap $1"
}
dev_json() { ctl_api "$CTL" GET "/devices/$1"; }
port_err() { # UUID PORT: the port's reported failure
	dev_json "$1" | jq -r --arg p "$2" '.info.systemAdapter.status[0].ports[] | select(.ifname == $p) | .err.description // empty'
}
port_err_has() { port_err "$1" "$2" | grep -Eq -- "$3"; }
flush_ports() { for i in 1 2 3; do ina ip addr flush dev "e$i"; done; }

# ---- A. the PAC sends the controller through tinyproxy ---------------------
PAC_A="function FindProxyForURL(url, host) {
  if (isInNet(host, '10.64.9.0', '255.255.255.0') && shExpMatch(url, 'https://*') &&
      isInNet(myIpAddress(), '10.64.1.0', '255.255.255.0'))
    return 'PROXY 10.64.1.1:$PROXY_PORT; DIRECT';
  return 'DIRECT';
}"
agent_new a e1 "{\"deviceIoList\": [$(io eth0 e1)], \"systemAdapterList\": [$(sa eth0 n1 0 10.64.1.10)],
 \"networks\": [$(net n1 1 "$PAC_A")]}"
agent_start a
wait_for 90 "A: onboarded" log_has a "onboarded: device UUID"
UA=$(agent_uuid a)
wait_for 60 "A: online" device_online "$UA"
proxy_connects_gt 0 || fail "A: no CONNECT to the controller in tinyproxy's log"
echo "A: $(proxy_connects) CONNECT(s) through tinyproxy, $(direct_drops) direct packet(s) dropped"
wait_for 60 "A: the diagnosis names the PAC's choice" log_has a "proxy auto-config chose PROXY 10.64.1.1:$PROXY_PORT"
agent_stop a

# ---- B. the PAC says DIRECT --------------------------------------------------
flush_ports
before=$(proxy_connects)
agent_new b e2 "{\"deviceIoList\": [$(io eth1 e2)], \"systemAdapterList\": [$(sa eth1 n2 0 10.64.2.10)],
 \"networks\": [$(net n2 2 "function FindProxyForURL(url, host) { return 'DIRECT'; }")]}"
agent_start b
wait_for 90 "B: onboarded" log_has b "onboarded: device UUID"
UB=$(agent_uuid b)
wait_for 60 "B: online" device_online "$UB"
wait_for 60 "B: the diagnosis names the PAC's choice" log_has b "proxy auto-config chose DIRECT"
[ "$(proxy_connects)" = "$before" ] || fail "B: the agent used the proxy although its PAC said DIRECT"
agent_stop b

# ---- C. PAC scripts that never end are killed; the agent goes on ----------
flush_ports
agent_new c "e1 e2 e3" "{\"deviceIoList\": [$(io eth0 e1), $(io eth1 e2), $(io eth2 e3)],
 \"systemAdapterList\": [$(sa eth0 n1 0 10.64.1.10), $(sa eth1 n2 1 10.64.2.10), $(sa eth2 n3 2 10.64.3.10)],
 \"networks\": [$(net n1 1 'function FindProxyForURL(url, host) { for (;;) {} }'),
  $(net n2 2 "function FindProxyForURL(url, host) { var a = [], s = 'x'; for (;;) { s = s + s; a.push(s); } }"),
  $(net n3 3 "function FindProxyForURL(url, host) { return 'DIRECT'; }")]}"
agent_start c
# the diagnosis at start (with the bootstrap setting) names each port's PAC outcome
pac_diag() { # PORT REGEX: the line after "diag: port PORT: proxy auto-config" matches
	grep -A1 "diag: port $1: proxy auto-config\"" "$W/c.log" | grep -Eq -- "$2"
}
wait_for 120 "C: e1's PAC killed (diagnosis)" pac_diag e1 "FAILED at proxy: PAC: (killed at the CPU time limit|no answer within [0-9]+ ms: evaluation killed)"
wait_for 60 "C: e2's PAC stopped (diagnosis)" pac_diag e2 "FAILED at proxy: PAC: (stopped at the memory limit|killed at the CPU time limit|no answer within [0-9]+ ms: evaluation killed)"
wait_for 60 "C: e3's PAC chose DIRECT (diagnosis)" log_has c "diag: port e3: proxy auto-config chose DIRECT"
grep -E "diag: port e[12]: proxy auto-config\"" -A1 "$W/c.log" | sed 's/.*msg=//'
# requests: e1 and e2 fail at their PAC, e3 reaches the controller
wait_for 150 "C: onboarded" log_has c "onboarded: device UUID"
log_has c "network: next management port e2" || fail "C: e1 was not left for e2"
log_has c "network: next management port e3" || fail "C: e2 was not left for e3"
log_has c "controller reached via management port e3" || fail "C: not onboarded over e3"
UC=$(agent_uuid c)
wait_for 60 "C: online" device_online "$UC"
kill -0 "$(cat "$W/c.pid")" || fail "C: the agent died"
n=$(grep -c "config: unchanged" "$W/c.log")
wait_for 60 "C: the agent keeps polling" bash -c "[ \$(grep -c 'config: unchanged' '$W/c.log') -gt $n ]"
agent_stop c
# (ASan builds) no sanitizer report from any agent, the forked PAC children included
grep -l "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:" "$W"/[abc].log &&
	fail "a sanitizer report in an agent's log"
echo "PASS"
