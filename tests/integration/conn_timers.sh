#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Device connectivity (issue 29), part 2, with real components in network
# namespaces: the agent in its own netns with two static veth ports of equal
# cost to a router netns (nftables counters per port), the controller in a
# third netns.
#  1. load spreading: requests of the running agent go over both ports
#     (counted per port by the router), evectl shows both in use;
#  2. timer.port.testinterval / timer.port.timeout set by the controller:
#     e1's path silently dropped: the port test runs every interval and fails
#     after the port timeout; a longer interval stops it, a longer timeout
#     shows in the next failures; evectl shows e2 alone in use;
#  3. a bad static setting from the controller (e1's link down) is rolled
#     back; with timer.port.testbetterinterval 0 it is not retried; with 4 s
#     it is retried in the same run, and kept once the network has its
#     gateway (conditions changed; repeated rollbacks: conn_netmgr_test).
# Ports: 22500 controller.
. "$(dirname "$0")/../lib/skip.sh"
[ "$(id -u)" = 0 ] || test_skip "needs root (network namespaces)"
command -v nft >/dev/null 2>&1 || test_skip "nft not installed (Debian: nftables)"
ip netns add "c29probe$$" 2>/dev/null || test_skip "cannot create network namespaces"
ip netns del "c29probe$$"

NSA=c29ta$$
NSR=c29tr$$
NSC=c29tc$$
CTL_PORT=22500
CTL_IP=10.62.9.2
. "$(dirname "$0")/agent_lib.sh"
. "$(dirname "$0")/conn_lib.sh"

# ---- topology -------------------------------------------------------------
for i in 1 2; do
	ip -n "$NSA" link add "e$i" type veth peer name "r$i" netns "$NSR" || fail "veth e$i"
	ip -n "$NSR" addr add "10.62.$i.1/24" dev "r$i"
	ip -n "$NSR" link set "r$i" up
done
ip -n "$NSC" link add c0 type veth peer name r9 netns "$NSR" || fail "veth c0"
ip -n "$NSR" addr add 10.62.9.1/24 dev r9
ip -n "$NSR" link set r9 up
ip -n "$NSC" addr add "$CTL_IP/24" dev c0
ip -n "$NSC" link set c0 up
ip -n "$NSC" route add default via 10.62.9.1
inr sysctl -qw net.ipv4.ip_forward=1 || fail "ip_forward"
# per-port counters of the agent's connections to the controller (TCP SYNs
# the router forwards); "drop1" silently drops e1's when a rule is added to it
inr nft -f - <<EOF || fail "nft"
table inet c29t {
	counter p1 { }
	counter p2 { }
	chain drop1 { }
	chain through {
		type filter hook forward priority 0; policy accept;
		iifname "r1" tcp dport $CTL_PORT tcp flags & (syn | ack) == syn counter name "p1"
		iifname "r2" tcp dport $CTL_PORT tcp flags & (syn | ack) == syn counter name "p2"
		iifname "r1" tcp dport $CTL_PORT jump drop1
	}
}
EOF
pkts() { inr nft list counter inet c29t "$1" | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }

# ---- controller -----------------------------------------------------------
"$EVE_CONTROLLER" init --dir "$CTL" --listen "0.0.0.0:$CTL_PORT" --host "$CTL_IP,127.0.0.1" \
	>"$W/ctl.init.out" 2>&1 || fail "controller init: $(cat "$W/ctl.init.out")"
controller_start
ctl_api "$CTL" POST /onboard "$(jq -n --rawfile c "$CTL/device-config/onboard.cert.pem" \
	'{cert: $c, serials: ["*"]}')" >/dev/null || [ "${CTL_STATUS:-}" = 409 ] || fail "POST /onboard"

# ---- agent: two static ports of cost 0 ---------------------------------------
agent_confdir a
printf 'e1\ne2\n' >"$W/a.conf/managed-ports"
cat >>"$W/a.conf/config-items" <<EOF
timer.config.interval=1
timer.port.testduration=6
timer.port.testbetterinterval=0
timer.send.timeout=4
EOF
io() { # LABEL IFNAME
	echo "{\"ptype\": \"PhyIoNetEth\", \"phylabel\": \"$1\", \"logicallabel\": \"$1\", \"phyaddrs\": [{\"key\": \"ifname\", \"value\": \"$2\"}], \"usage\": \"PhyIoUsageMgmtAndApps\"}"
}
BOOT=$(
	cat <<EOF
{"deviceIoList": [$(io eth0 e1), $(io eth1 e2)],
 "systemAdapterList": [
  {"name": "eth0", "uplink": true, "lowerLayerName": "eth0", "networkUUID": "n1", "cost": 0, "addr": "10.62.1.10"},
  {"name": "eth1", "uplink": true, "lowerLayerName": "eth1", "networkUUID": "n2", "cost": 0, "addr": "10.62.2.10"}],
 "networks": [
  {"id": "n1", "type": "V4", "ip": {"dhcp": "Static", "subnet": "10.62.1.0/24", "gateway": "10.62.1.1"}},
  {"id": "n2", "type": "V4", "ip": {"dhcp": "Static", "subnet": "10.62.2.0/24", "gateway": "10.62.2.1"}}]}
EOF
)
"$EVE_MKBOOTSTRAP" "$CTL/certs/signing.key.pem" "$CTL/certs/signing.cert.pem" "$BOOT" \
	"$W/a.conf/bootstrap-config.pb" || fail "mkbootstrap"

log_count() { grep -Ec -- "$2" "$W/$1.log"; }
log_count_gt() { [ "$(log_count "$1" "$2")" -gt "$3" ]; }
has_addr() { ina ip -4 -o addr show dev "$1" | grep -q "inet $2"; }
items() { ctl_api "$CTL" PUT "/devices/$U/config-items" "$1" >/dev/null || fail "PUT config-items $1: $CTL_STATUS"; }
# the agent applied a config with these port timers
timers_are() { log_has a "port test every $1 s with timeout $2 s"; }
evectl_get() {
	ip netns exec "$NSC" env EVECTL_SERVER="https://127.0.0.1:$CTL_PORT" EVECTL_TOKEN="$(ctl_token "$CTL")" \
		EVECTL_CA="$CTL/certs/root-certificate.pem" HOME="$W" "$EVECTL" device get "$U" >"$W/get.out" 2>&1 ||
		fail "evectl device get: $(cat "$W/get.out")"
}
# in_use E1 E2: evectl's IN_USE column for e1 and e2 (after UP)
in_use() {
	evectl_get
	grep -Eq "^e1 +eth0 +0 +static +[0-9.]* *(yes|no) +$1( |$)" "$W/get.out" &&
		grep -Eq "^e2 +eth1 +0 +static +[0-9.]* *(yes|no) +$2( |$)" "$W/get.out"
}

agent_start a
wait_for 30 "static addresses" has_addr e2 10.62.2.10/24
has_addr e1 10.62.1.10/24 || fail "e1 has not its static address"
wait_for 90 "onboarded" log_has a "onboarded: device UUID"
U=$(agent_uuid a)
wait_for 30 "online" device_online "$U"

# ---- 1. load spreading over the two cost-0 ports ------------------------------
a1=$(pkts p1) a2=$(pkts p2)
conns_ge() { [ $(($(pkts p1) - a1 + $(pkts p2) - a2)) -ge "$1" ]; }
wait_for 40 "10 connections to the controller" conns_ge 10
d1=$(($(pkts p1) - a1)) d2=$(($(pkts p2) - a2))
echo "connections to the controller: e1 $d1, e2 $d2"
[ "$d1" -ge 3 ] && [ "$d2" -ge 3 ] || fail "the load is not spread: e1 $d1, e2 $d2 connections"
[ $((d1 * 3)) -ge "$d2" ] && [ $((d2 * 3)) -ge "$d1" ] || fail "the load is lopsided: e1 $d1, e2 $d2"
if [ -n "${EVECTL:-}" ]; then
	wait_for 30 "evectl shows e1 and e2 in use" in_use yes yes
	cat "$W/get.out"
else
	test_not_run "EVECTL not set: evectl device get not checked"
fi

# ---- 2. port test timers from the controller ---------------------------------
items '{"timer.port.testinterval": "2", "timer.port.timeout": "2"}'
wait_for 30 "timers applied" timers_are 2 2
inr nft add rule inet c29t drop1 drop || fail "nft drop"
wait_for 30 "e1 fails its port test after 2 s" log_has a "port test e1: FAILED after 2\.[0-9] s"
log_has a "port test e2: reached" || fail "no port test reached through e2"
if [ -n "${EVECTL:-}" ]; then
	wait_for 30 "evectl shows e2 alone in use" in_use no yes
	cat "$W/get.out"
fi
n=$(log_count a "port test e1: FAILED")
wait_for 30 "3 more port tests with timer.port.testinterval=2" log_count_gt a "port test e1: FAILED" $((n + 2))
items '{"timer.port.testinterval": "3600", "timer.port.timeout": "2"}'
wait_for 30 "interval 3600 applied" timers_are 3600 2
n=$(log_count a "port test e1: FAILED")
sleep 6
m=$(log_count a "port test e1: FAILED")
echo "port tests of e1 in 6 s with timer.port.testinterval=3600: $((m - n))"
[ $((m - n)) -le 1 ] || fail "the port test still runs ($((m - n)) in 6 s)"
items '{"timer.port.testinterval": "2", "timer.port.timeout": "4"}'
wait_for 30 "timeout 4 applied" timers_are 2 4
wait_for 30 "e1 fails its port test after 4 s" log_has a "port test e1: FAILED after 4\.[0-9] s"
items '{"timer.port.testinterval": "3600", "timer.port.timeout": "4"}'
wait_for 30 "interval 3600 applied" timers_are 3600 4
inr nft flush chain inet c29t drop1 || fail "nft flush"

# ---- 3. a rolled-back setting retried in the same run ---------------------------
ip -n "$NSR" link set r1 down
wait_for 60 "the controller learned eth1" bash -c "ip netns exec $NSC curl -s --cacert $CTL/certs/root-certificate.pem -H 'Authorization: Bearer $(ctl_token "$CTL")' https://127.0.0.1:$CTL_PORT/api/v1/devices/$U/io | jq -e '.items[] | select(.logicallabel == \"eth1\")' >/dev/null"
backs=$(log_count a "rolled back to the last working one")
# timer.port.testduration from the controller (6 s in the config dir): the
# trial of the bad setting lasts 5 s
duration_applied() {
	ctl_api "$CTL" GET "/devices/$U/properties" | jq -e '.items[] |
		select(.name == "timer.port.testduration" and .value == "5" and .state == "applied")' >/dev/null
}
items '{"timer.port.testduration": "5"}'
wait_for 30 "timer.port.testduration=5 applied by the device" duration_applied
ctl_api "$CTL" PUT "/devices/$U/io/eth1" '{"ip": "10.62.7.10/24", "gateway": "10.62.7.1"}' >/dev/null ||
	fail "PUT io eth1: $CTL_STATUS"
wait_for 60 "bad setting tried" log_has a "network: trying 2 management port"
wait_for 30 "bad address on e2" has_addr e2 10.62.7.10/24
wait_for 60 "rolled back" log_count_gt a "rolled back to the last working one" "$backs"
log_has a "did not reach the controller in 5 s: rolled back" ||
	fail "the trial did not last timer.port.testduration (5 s): $(grep 'rolled back to' "$W/a.log" | tail -n 1)"
wait_for 30 "e2's address back" has_addr e2 10.62.2.10/24
sleep 6
log_has a "retrying the rolled-back setting" && fail "retried with timer.port.testbetterinterval=0"
items '{"timer.port.testbetterinterval": "4"}'
wait_for 60 "retried after 4 s" log_has a "retrying the rolled-back setting"
kept=$(log_count a "the new setting reached the controller: kept")
ip -n "$NSR" addr add 10.62.7.1/24 dev r2 || fail "gateway"
wait_for 90 "retried and kept once the gateway exists" log_count_gt a "the new setting reached the controller: kept" "$kept"
has_addr e2 10.62.7.10/24 || fail "e2 does not keep the retried address"
no_rolled_back() {
	[ "$(ctl_api "$CTL" GET "/devices/$U" | jq -r '.info.systemAdapter.status | length')" = 1 ]
}
wait_for 60 "no rolled-back setting reported any more" no_rolled_back
agent_stop a
echo "PASS"
