#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Device connectivity (issue 29) with real components in network namespaces:
# the agent in its own netns with three veth ports to a router netns
# (dnsmasq: DHCP + DNS; tinyproxy), the controller in a third netns.
#  1. the agent configures e1 by DHCP (udhcpc) and e2/e3 statically from its
#     bootstrap config and reaches the controller over e1 (cost 0);
#  2. e1's path cut: it fails over to e2 (cost 1), reported in its info;
#     restored: back on e1 by cost (timer.port.testbetterinterval);
#  3. a bad static config for e2 from the controller (e1 cut) is tried,
#     rolled back, and not retried after an agent restart; a new one is;
#  4. `eve-agent diag` names the failing step: e3's wrong DNS server, a
#     proxy that refuses CONNECT, a root certificate the controller's
#     certificate does not chain to; and e1's link when it is cut.
# Ports: 21600 controller, 21602 tinyproxy.
. "$(dirname "$0")/../lib/skip.sh"
[ "$(id -u)" = 0 ] || test_skip "needs root (network namespaces)"
command -v dnsmasq >/dev/null 2>&1 || test_skip "dnsmasq not installed (Debian: dnsmasq-base)"
command -v tinyproxy >/dev/null 2>&1 || test_skip "tinyproxy not installed"
busybox udhcpc --help >/dev/null 2>&1 || command -v udhcpc >/dev/null 2>&1 ||
	test_skip "no udhcpc (Debian: busybox-static or udhcpc)"
ip netns add "c29probe$$" 2>/dev/null || test_skip "cannot create network namespaces"
ip netns del "c29probe$$"

NSA=c29a$$
NSR=c29r$$
NSC=c29c$$
CTL_PORT=21600
PROXY_PORT=21602
. "$(dirname "$0")/agent_lib.sh"
# The controller and the agent run in their namespaces (wrappers exec into
# them, so the pids the helpers keep are the real processes'); the admin
# API is reached inside the controller's namespace.
. "$(dirname "$0")/conn_lib.sh"

# ---- topology -------------------------------------------------------------
for i in 1 2 3; do
	ip -n "$NSA" link add "e$i" type veth peer name "r$i" netns "$NSR" || fail "veth e$i"
	ip -n "$NSR" addr add "10.61.$i.1/24" dev "r$i"
	ip -n "$NSR" link set "r$i" up
done
ip -n "$NSC" link add c0 type veth peer name r9 netns "$NSR" || fail "veth c0"
ip -n "$NSR" addr add 10.61.9.1/24 dev r9
ip -n "$NSR" link set r9 up
ip -n "$NSC" addr add 10.61.9.2/24 dev c0
ip -n "$NSC" link set c0 up
ip -n "$NSC" route add default via 10.61.9.1
inr sysctl -qw net.ipv4.ip_forward=1 || fail "ip_forward"

# DHCP on r1 only; DNS on r1 and r2 (not r3: e3's DNS server is wrong).
ip netns exec "$NSR" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --user=root \
	--bind-interfaces --interface=r1 --interface=r2 --except-interface=lo \
	--dhcp-range=10.61.1.50,10.61.1.99,255.255.255.0,1h --dhcp-option=option:router,10.61.1.1 \
	--dhcp-option=option:dns-server,10.61.1.1 --dhcp-leasefile="$W/dnsmasq.leases" \
	--host-record=ctl.test,10.61.9.2 --pid-file="$W/dnsmasq.pid" >"$W/dnsmasq.log" 2>&1 &
CONN_PIDS="$CONN_PIDS $!"

# tinyproxy that allows CONNECT to port 443 only: it refuses the controller.
cat >"$W/tinyproxy.conf" <<EOF
Port $PROXY_PORT
Listen 10.61.2.1
Timeout 60
LogFile "$W/tinyproxy.log"
LogLevel Info
PidFile "$W/tinyproxy.pid"
MaxClients 10
Allow 10.61.0.0/16
ConnectPort 443
EOF
ip netns exec "$NSR" tinyproxy -d -c "$W/tinyproxy.conf" >"$W/tinyproxy.out" 2>&1 &
CONN_PIDS="$CONN_PIDS $!"

# ---- controller -----------------------------------------------------------
"$EVE_CONTROLLER" init --dir "$CTL" --listen "0.0.0.0:$CTL_PORT" --host ctl.test,10.61.9.2,127.0.0.1 \
	>"$W/ctl.init.out" 2>&1 || fail "controller init: $(cat "$W/ctl.init.out")"
controller_start
ctl_api "$CTL" POST /onboard "$(jq -n --rawfile c "$CTL/device-config/onboard.cert.pem" \
	'{cert: $c, serials: ["*"]}')" >/dev/null || [ "${CTL_STATUS:-}" = 409 ] || fail "POST /onboard"
[ "$(cat "$CTL/device-config/server")" = "ctl.test:$CTL_PORT" ] || fail "server is not ctl.test:$CTL_PORT"

# ---- agent: three managed ports from its bootstrap config -----------------
agent_confdir a
printf 'e1\ne2\ne3\n' >"$W/a.conf/managed-ports"
cat >>"$W/a.conf/config-items" <<EOF
timer.port.testduration=12
timer.port.testbetterinterval=4
timer.send.timeout=8
EOF
io() { # LABEL IFNAME
	echo "{\"ptype\": \"PhyIoNetEth\", \"phylabel\": \"$1\", \"logicallabel\": \"$1\", \"phyaddrs\": [{\"key\": \"ifname\", \"value\": \"$2\"}], \"usage\": \"PhyIoUsageMgmtAndApps\"}"
}
BOOT=$(
	cat <<EOF
{"deviceIoList": [$(io eth0 e1), $(io eth1 e2), $(io eth2 e3)],
 "systemAdapterList": [
  {"name": "eth0", "uplink": true, "lowerLayerName": "eth0", "networkUUID": "n1", "cost": 0},
  {"name": "eth1", "uplink": true, "lowerLayerName": "eth1", "networkUUID": "n2", "cost": 1, "addr": "10.61.2.10"},
  {"name": "eth2", "uplink": true, "lowerLayerName": "eth2", "networkUUID": "n3", "cost": 5, "addr": "10.61.3.10"}],
 "networks": [
  {"id": "n1", "type": "V4", "ip": {"dhcp": "Client"}},
  {"id": "n2", "type": "V4", "ip": {"dhcp": "Static", "subnet": "10.61.2.0/24", "gateway": "10.61.2.1", "dns": ["10.61.2.1"]}},
  {"id": "n3", "type": "V4", "ip": {"dhcp": "Static", "subnet": "10.61.3.0/24", "gateway": "10.61.3.1", "dns": ["10.61.3.99"]}}]}
EOF
)
"$EVE_MKBOOTSTRAP" "$CTL/certs/signing.key.pem" "$CTL/certs/signing.cert.pem" "$BOOT" \
	"$W/a.conf/bootstrap-config.pb" || fail "mkbootstrap"

log_count() { grep -Ec -- "$2" "$W/$1.log"; }
log_count_gt() { [ "$(log_count "$1" "$2")" -gt "$3" ]; }
reached_via() { # NAME PORT: count of "reached via PORT" lines
	grep -c "controller reached via management port $2\"" "$W/$1.log"
}
reached_gt() { [ "$(reached_via "$1" "$2")" -gt "$3" ]; }
has_addr() { ina ip -4 -o addr show dev "$1" | grep -q "inet $2"; }
dev_json() { ctl_api "$CTL" GET "/devices/$U"; }
# PORT FIELD: a field of a port of the reported current setting
port_field() {
	dev_json | jq -r --arg p "$1" ".info.systemAdapter.status[0].ports[] | select(.ifname == \$p) | .$2"
}
# the port in use: the last "controller reached via" line of the agent's
# log, which the agent also ships to the controller (newlogs)
port_in_use() { [ "$(grep -o 'controller reached via management port e[0-9]' "$W/a.log" | tail -n1 | cut -d' ' -f6)" = "$1" ]; }

agent_start a
wait_for 60 "DHCP lease on e1" has_addr e1 "10.61.1."
has_addr e2 10.61.2.10/24 || fail "e2 has not its static address"
has_addr e3 10.61.3.10/24 || fail "e3 has not its static address"
ina ip route show default | grep -q "via 10.61.1.1 dev e1 .*metric 100" || fail "no default route on e1: $(ina ip route)"
ina ip route show default | grep -q "via 10.61.2.1 dev e2 .*metric 117" || fail "no default route on e2: $(ina ip route)"
wait_for 90 "onboarded" log_has a "onboarded: device UUID"
U=$(agent_uuid a)
wait_for 30 "online" device_online "$U"
wait_for 30 "reached over e1 (the cheapest port)" reached_gt a e1 0
log_has a "diag \(start\)" || fail "no diagnosis at start"
wait_for 30 "e1 reported in use" port_in_use e1
[ "$(port_field e1 'IPAddrs[0]' | cut -d. -f1-3)" = 10.61.1 ] || fail "e1's address not reported"
[ "$(port_field e3 'err.description')" != null ] || fail "e3's failure not reported"

# evectl device get shows the ports (EVECTL from tests/connectivity.cmake)
evectl_get() {
	ip netns exec "$NSC" env EVECTL_SERVER="https://127.0.0.1:$CTL_PORT" EVECTL_TOKEN="$(ctl_token "$CTL")" \
		EVECTL_CA="$CTL/certs/root-certificate.pem" HOME="$W" "$EVECTL" device get "$U" >"$W/get.out" 2>&1 ||
		fail "evectl device get: $(cat "$W/get.out")"
	grep -Eq "^e1 +eth0 +0 +dhcp +10\.61\.1\.[0-9]+ +yes +yes +- *$" "$W/get.out" &&
		grep -Eq "^e3 +eth2 +5 +static .*FAILED at DNS: ctl.test" "$W/get.out"
}
if [ -n "${EVECTL:-}" ]; then
	wait_for 30 "evectl device get shows e1 working and e3's DNS failure" evectl_get
	cat "$W/get.out"
else
	test_not_run "EVECTL not set: evectl device get not checked"
fi

# ---- 2. failover and return by cost ----------------------------------------
n=$(reached_via a e2)
ip -n "$NSR" link set r1 down
t0=$SECONDS
wait_for 40 "failover to e2" reached_gt a e2 "$n"
echo "failover e1 -> e2 in $((SECONDS - t0)) s"
wait_for 30 "e2 reported in use" port_in_use e2
log_has a "diag \(connectivity changed\)" || fail "no diagnosis on the change"
log_has a "diag: .*controller ctl.test:$CTL_PORT: FAILED at link" || fail "diagnosis does not name e1's link"
n=$(reached_via a e1)
ip -n "$NSR" link set r1 up
wait_for 60 "back on e1" reached_gt a e1 "$n"
wait_for 30 "e1 reported in use again" port_in_use e1

# ---- 3. a bad static config is rolled back, not retried after restart ------
ip -n "$NSR" link set r1 down
n=$(reached_via a e2)
wait_for 40 "on e2" reached_gt a e2 "$n"
wait_for 60 "the controller learned eth1" bash -c "ip netns exec $NSC curl -s --cacert $CTL/certs/root-certificate.pem -H 'Authorization: Bearer $(ctl_token "$CTL")' https://127.0.0.1:$CTL_PORT/api/v1/devices/$U/io | jq -e '.items[] | select(.logicallabel == \"eth1\")' >/dev/null"
tries=$(log_count a "network: trying 3 management port")
backs=$(log_count a "rolled back to the last working one")
ctl_api "$CTL" PUT "/devices/$U/io/eth1" '{"ip": "10.61.7.10/24", "gateway": "10.61.7.1"}' >/dev/null ||
	fail "PUT io eth1: $CTL_STATUS"
wait_for 60 "bad setting tried" log_count_gt a "network: trying 3 management port" "$tries"
wait_for 30 "bad address on e2" has_addr e2 10.61.7.10/24
wait_for 60 "rolled back" log_count_gt a "rolled back to the last working one" "$backs"
wait_for 30 "e2's address back" has_addr e2 10.61.2.10/24
n=$(log_count a "config: unchanged")
wait_for 40 "the controller reached after the rollback" log_count_gt a "config: unchanged" "$n"
wait_for 30 "rolled-back setting reported" bash -c "[ \"\$(ip netns exec $NSC curl -s --cacert $CTL/certs/root-certificate.pem -H 'Authorization: Bearer $(ctl_token "$CTL")' https://127.0.0.1:$CTL_PORT/api/v1/devices/$U | jq -r '.info.systemAdapter.status[1].key')\" = rolled-back ]"
agent_stop a
agent_start a
wait_for 60 "rolled-back setting remembered" log_has a "rolled back before: not retried"
wait_for 60 "reached after restart" reached_gt a e2 0
log_has a "network: trying" && fail "the rolled-back setting was tried again after the restart"
has_addr e2 10.61.2.10/24 || fail "e2 lost its working address after the restart"
ctl_api "$CTL" PUT "/devices/$U/io/eth1" '{"ip": "10.61.2.11/24", "gateway": "10.61.2.1"}' >/dev/null ||
	fail "PUT io eth1 (new): $CTL_STATUS"
wait_for 60 "the new setting tried" log_has a "network: trying 3 management port"
wait_for 60 "the new setting kept" log_has a "the new setting reached the controller: kept"
has_addr e2 10.61.2.11/24 || fail "e2 does not have the new address"

# ---- 4. eve-agent diag --------------------------------------------------------
"$EVE_AGENT" diag --config "$W/a.conf" --state "$W/a.state" >"$W/diag1.out" 2>&1
cat "$W/diag1.out"
grep -A1 "^port e1" "$W/diag1.out" | grep -q "FAILED at link" || fail "diag: e1's link not named"
grep -A1 "^port e2" "$W/diag1.out" | grep -q "reached (HTTP 200)" || fail "diag: e2 not reaching"
grep -A1 "^port e3" "$W/diag1.out" | grep -q "FAILED at DNS: ctl.test: .*10.61.3.99" ||
	fail "diag: e3's wrong DNS server not named"

mkdir -p "$W/p.conf" "$W/p.state"
cp "$W/a.conf/root-certificate.pem" "$W/a.conf/server" "$W/p.conf/"
echo e2 >"$W/p.conf/ports"
echo "http://10.61.2.1:$PROXY_PORT" >"$W/p.conf/proxy"
"$EVE_AGENT" diag --config "$W/p.conf" --state "$W/p.state" >"$W/diag2.out" 2>&1 && fail "diag: success through a refusing proxy"
cat "$W/diag2.out"
grep -q "FAILED at proxy: CONNECT ctl.test:$CTL_PORT via 10.61.2.1:$PROXY_PORT: HTTP 403" "$W/diag2.out" ||
	fail "diag: the refusing proxy not named"

mkdir -p "$W/c.conf" "$W/c.state"
echo "10.61.9.2:$CTL_PORT" >"$W/c.conf/server"
echo e2 >"$W/c.conf/ports"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=other-root \
	-keyout "$W/other.key" -out "$W/c.conf/root-certificate.pem" >/dev/null 2>&1 || fail "openssl"
"$EVE_AGENT" diag --config "$W/c.conf" --state "$W/c.state" >"$W/diag3.out" 2>&1 && fail "diag: success with a foreign root"
cat "$W/diag3.out"
grep -q "FAILED at TLS: certificate .*: unable to get local issuer certificate" "$W/diag3.out" ||
	fail "diag: the certificate problem not named"
agent_stop a
echo "PASS"
