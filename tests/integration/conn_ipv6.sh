#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A management port with a static IPv6 address and a controller reached
# over IPv6 (issue 29), in network namespaces: the agent's e1 to a router
# (IPv6 forwarding), the controller in a third netns at fd66:9::2 only
# (no IPv4 route between the agent and the controller).
#  - `controller init --host fd66:9::2` writes the device's server as
#    [fd66:9::2]:24110 (brackets);
#  - the bootstrap config gives e1 fd66:1::10/64, gateway fd66:1::1: the
#    agent puts them on e1 (rtnetlink), onboards over IPv6, stays online;
#  - the device reports the port (address, subnet), the controller learns
#    it as a static IPv6 port, and its config keeps the device online;
#  - `eve-agent diag` walks the steps to the controller over IPv6.
# Ports: 24110 controller.
. "$(dirname "$0")/../lib/skip.sh"
[ "$(id -u)" = 0 ] || test_skip "needs root (network namespaces)"
ip netns add "c29sprobe$$" 2>/dev/null || test_skip "cannot create network namespaces"
ip netns del "c29sprobe$$"

NSA=c29sa$$
NSR=c29sr$$
NSC=c29sc$$
CTL_PORT=24110
CTL_IP=fd66:9::2
. "$(dirname "$0")/agent_lib.sh"
. "$(dirname "$0")/conn_lib.sh"
# the controller listens on [::] (IPv6 only): the tests' own requests go to
# its IPv6 address (in its certificate) from its netns
ctl_url() { echo "https://[$CTL_IP]:$(ctl_port "$1")"; }

# ---- topology (IPv6 only between the agent and the controller) -------------
ip -n "$NSA" link add e1 type veth peer name r1 netns "$NSR" || fail "veth e1"
ip -n "$NSR" addr add fd66:1::1/64 dev r1 nodad
ip -n "$NSR" link set r1 up
ip -n "$NSC" link add c0 type veth peer name r9 netns "$NSR" || fail "veth c0"
ip -n "$NSR" addr add fd66:9::1/64 dev r9 nodad
ip -n "$NSR" link set r9 up
ip -n "$NSC" addr add "$CTL_IP/64" dev c0 nodad
ip -n "$NSC" link set c0 up
ip -n "$NSC" -6 route add default via fd66:9::1
ip netns exec "$NSR" sysctl -qw net.ipv6.conf.all.forwarding=1 || fail "IPv6 forwarding"

# ---- controller: a bare IPv6 --host ----------------------------------------
"$EVE_CONTROLLER" init --dir "$CTL" --listen "[::]:$CTL_PORT" --host "$CTL_IP,127.0.0.1" \
	>"$W/ctl.init.out" 2>&1 || fail "controller init: $(cat "$W/ctl.init.out")"
[ "$(cat "$CTL/device-config/server")" = "[$CTL_IP]:$CTL_PORT" ] ||
	fail "device-config/server is '$(cat "$CTL/device-config/server")', want [$CTL_IP]:$CTL_PORT"
controller_start
ctl_api "$CTL" POST /onboard "$(jq -n --rawfile c "$CTL/device-config/onboard.cert.pem" \
	'{cert: $c, serials: ["*"]}')" >/dev/null || [ "${CTL_STATUS:-}" = 409 ] || fail "POST /onboard"

# ---- the agent: a static IPv6 port ----------------------------------------
agent_confdir a
echo e1 >"$W/a.conf/managed-ports"
printf 'timer.port.testduration=20\ntimer.send.timeout=8\n' >>"$W/a.conf/config-items"
conn_bootstrap1 "$W/a.conf/bootstrap-config.pb" fd66:1::10 fd66:1::/64 fd66:1::1 V6
agent_start a
wait_for 90 "onboarded over IPv6" log_has a "onboarded: device UUID"
U=$(agent_uuid a)
wait_for 60 "online" device_online "$U"
ina ip -6 addr show dev e1 | grep -q "inet6 fd66:1::10/64" || fail "e1 has no fd66:1::10/64: $(ina ip -6 addr show dev e1)"
ina ip -6 route show default | grep -q "via fd66:1::1 dev e1" || fail "no IPv6 default route via fd66:1::1: $(ina ip -6 route)"
ina ip -4 addr show dev e1 | grep -q inet && fail "e1 has an IPv4 address"
echo "onboarded over IPv6: e1 $(ina ip -6 addr show dev e1 scope global | grep -o 'inet6 [^ ]*')"

# the device's report and the controller's model of the port
port_json() { ctl_api "$CTL" GET "/devices/$U" | jq -c '.info.systemAdapter.status[0].ports[] | select(.ifname == "e1")'; }
reported() { port_json | jq -e '(.IPAddrs | index("fd66:1::10")) and .subnet == "fd66:1::/64"' >/dev/null; }
wait_for 60 "the device reports e1's IPv6 address and subnet" reported
learned() {
	ctl_api "$CTL" GET "/devices/$U/io" |
		jq -e '.items[] | select(.ifname == "e1" and .dhcp == "static" and .ip == "fd66:1::10/64" and .gateway == "fd66:1::1")' >/dev/null
}
wait_for 60 "the controller learns e1 as a static IPv6 port" learned
# the controller's config for the port keeps the device online (no rollback)
polls() { grep -c "config: unchanged" "$W/a.log"; }
polls_gt() { [ "$(polls)" -gt "$1" ]; }
n=$(polls)
wait_for 60 "the agent keeps polling" polls_gt $((n + 3))
grep -q "rolled back" "$W/a.log" && fail "a setting was rolled back: $(grep "rolled back" "$W/a.log")"
device_online "$U" || fail "not online"
# the admin API refuses a gateway of the other family
ctl_api "$CTL" PUT "/devices/$U/io/eth0" '{"gateway": "10.0.0.1"}' >"$W/api.out" && fail "the API took an IPv4 gateway for an IPv6 address"
grep -q "of the address's family" "$W/api.out" || fail "mixed families: $(cat "$W/api.out")"

# ---- eve-agent diag over IPv6 ---------------------------------------------------
agent_stop a
"$EVE_AGENT" diag --config "$W/a.conf" --state "$W/a.state" >"$W/diag.out" 2>&1 || fail "diag: $(cat "$W/diag.out")"
grep -q "controller \[$CTL_IP\]:$CTL_PORT: reached (HTTP 200)" "$W/diag.out" || fail "diag: $(cat "$W/diag.out")"
sed 's/^/  /' "$W/diag.out"
echo "PASS"
