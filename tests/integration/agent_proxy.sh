#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# eve-agent behind an HTTP proxy (a real tinyproxy started here):
#  1. the config dir's `proxy`: onboarding and the config loop go through it
#     (tinyproxy logs CONNECT to the controller's port, the device comes
#     online in the admin API, and while the proxy is down the controller is
#     unreachable for the agent although it is up);
#  2. the management port that worked (`ports`: nosuch0, lo) is persisted
#     and a restart starts with it;
#  3. a bootstrap config's network setting: a working proxy (entProxy) is
#     used; a dead proxy, or a management port (uplink system adapter) that
#     does not exist, is rolled back to the config dir's setting after
#     timer.port.testduration, and the device onboards and stays online.
# Ports: 18900 controller, 18902 tinyproxy, 18903 a proxy nobody serves.
. "$(dirname "$0")/../lib/skip.sh"
command -v tinyproxy >/dev/null 2>&1 || test_skip "tinyproxy not installed (Debian package: tinyproxy)"
. "$(dirname "$0")/agent_lib.sh"
: "${EVE_MKBOOTSTRAP:?}"

CTL_PORT=18900
PROXY_PORT=18902
DEAD_PROXY=http://127.0.0.1:18903
PROXY=http://127.0.0.1:$PROXY_PORT
PROXY_PID=""

proxy_stop() {
	[ -n "$PROXY_PID" ] || return 0
	kill -TERM "$PROXY_PID" 2>/dev/null
	wait "$PROXY_PID" 2>/dev/null
	PROXY_PID=""
}
trap 'proxy_stop; agent_cleanup' EXIT

# tinyproxy in the foreground with its own config; CONNECT only to the
# controller's port. Its log is tinyproxy.log (appended across restarts).
proxy_start() {
	cat >"$W/tinyproxy.conf" <<-EOF
		Port $PROXY_PORT
		Listen 127.0.0.1
		Timeout 600
		LogFile "$W/tinyproxy.log"
		LogLevel Info
		PidFile "$W/tinyproxy.pid"
		MaxClients 20
		Allow 127.0.0.1
		ConnectPort $CTL_PORT
	EOF
	tinyproxy -d -c "$W/tinyproxy.conf" >>"$W/tinyproxy.out" 2>&1 &
	PROXY_PID=$!
	wait_for 60 "tinyproxy listening on $PROXY_PORT" bash -c "exec 3<>/dev/tcp/127.0.0.1/$PROXY_PORT" 2>/dev/null
	sleep 0.3
	kill -0 "$PROXY_PID" 2>/dev/null || fail "tinyproxy exited (port $PROXY_PORT in use?): $(tail -n 3 "$W/tinyproxy.out")"
}

# Tunnels tinyproxy opened to the controller.
proxy_connects() {
	grep -Ec "CONNECT [^ ]+:$CTL_PORT HTTP" "$W/tinyproxy.log" 2>/dev/null
}

proxy_connects_gt() {
	[ "$(proxy_connects)" -gt "$1" ]
}

# log_count NAME REGEX: lines of the agent's current log matching REGEX.
log_count() {
	grep -Ec -- "$2" "$W/$1.log"
}

log_count_gt() {
	[ "$(log_count "$1" "$2")" -gt "$3" ]
}

# line_of NAME REGEX: line number of the first match (0: none).
line_of() {
	local n
	n=$(grep -En -m1 -- "$2" "$W/$1.log" | cut -d: -f1)
	echo "${n:-0}"
}

# bootstrap NAME JSON: NAME's config dir gets a bootstrap config (an
# EdgeDevConfig in JSON) signed by the controller's signing cert.
bootstrap() {
	"$EVE_MKBOOTSTRAP" "$CTL/certs/signing.key.pem" "$CTL/certs/signing.cert.pem" "$2" \
		"$W/$1.conf/bootstrap-config.pb" || fail "mkbootstrap"
}

# proxy_setting URL: a network setting that is only that proxy.
proxy_setting() {
	echo "{\"networks\": [{\"id\": \"uplink\", \"entProxy\": {\"networkProxyEnable\": true, \"networkProxyURL\": \"$1\"}}]}"
}

controller_up $CTL_PORT
proxy_start

# ---- 1. the config dir's proxy, ports tried in turn ----------------------
agent_confdir p1
echo "$PROXY" >"$W/p1.conf/proxy"
printf 'nosuch0\nlo\n' >"$W/p1.conf/ports"
agent_start p1
wait_for 60 "p1 onboarded through the proxy" log_has p1 "onboarded: device UUID"
U1=$(agent_uuid p1)
wait_for 30 "p1 online" device_online "$U1"
proxy_connects_gt 0 || fail "no CONNECT to the controller's port in tinyproxy's log"
wait_for 30 "p1 config poll" log_has p1 "config: unchanged \(304\)"
log_has p1 "controller reached via management port lo" || fail "p1 did not settle on port lo"

# The proxy down: the (running) controller is unreachable for the agent.
n=$(log_count p1 "config: controller unreachable")
proxy_stop
wait_for 30 "p1 unreachable without its proxy" log_count_gt p1 "config: controller unreachable" "$n"
c=$(proxy_connects)
proxy_start
n=$(log_count p1 "config: unchanged \(304\)")
wait_for 60 "p1 back through the proxy" log_count_gt p1 "config: unchanged \(304\)" "$n"
proxy_connects_gt "$c" || fail "p1 reconnected without the proxy"

# ---- 2. the working port survives a restart ------------------------------
[ "$(cat "$W/p1.state/mgmtport" 2>/dev/null)" = lo ] || fail "working port not persisted in mgmtport"
agent_stop p1
agent_start p1
wait_for 30 "p1 config after restart" log_has p1 "config: (unchanged \(304\)|applied)"
log_has p1 "starting with management port lo \(it worked last\)" || fail "restart did not start with port lo"
log_has p1 "next management port" && fail "restart tried another management port first"
log_has p1 "controller reached via management port lo" || fail "port lo not used after restart"
[ "$(agent_uuid p1)" = "$U1" ] || fail "uuid changed"
agent_stop p1

# ---- 3a. a bootstrap config's proxy is used ------------------------------
agent_confdir p3
echo "timer.port.testduration=3" >>"$W/p3.conf/config-items"
bootstrap p3 "$(proxy_setting "$PROXY")"
c=$(proxy_connects)
agent_start p3
wait_for 30 "p3 tries the bootstrap proxy" log_has p3 "network: trying 0 management port\(s\) via proxy $PROXY "
wait_for 30 "p3 keeps the bootstrap proxy" log_has p3 "network: the new setting reached the controller: kept"
wait_for 60 "p3 onboarded" log_has p3 "onboarded: device UUID"
wait_for 30 "p3 online" device_online "$(agent_uuid p3)"
proxy_connects_gt "$c" || fail "p3 did not go through the bootstrap config's proxy"
agent_stop p3
log_has p3 "rolled back" && fail "p3: a working proxy was rolled back"

# ---- 3b. a dead proxy is rolled back, the device stays online ------------
agent_confdir p2
echo "timer.port.testduration=3" >>"$W/p2.conf/config-items"
bootstrap p2 "$(proxy_setting "$DEAD_PROXY")"
agent_start p2
wait_for 30 "p2 tries the dead proxy" log_has p2 "network: trying 0 management port\(s\) via proxy $DEAD_PROXY "
wait_for 30 "p2 rolls back" log_has p2 "rolled back to the last working one"
wait_for 60 "p2 onboarded" log_has p2 "onboarded: device UUID"
[ "$(line_of p2 "onboarded: device UUID")" -gt "$(line_of p2 "rolled back")" ] ||
	fail "p2 onboarded before the rollback (through a dead proxy?)"
U2=$(agent_uuid p2)
wait_for 30 "p2 online" device_online "$U2"
n=$(log_count p2 "config: unchanged \(304\)")
wait_for 30 "p2 keeps polling" log_count_gt p2 "config: unchanged \(304\)" $((n + 2))
device_online "$U2" || fail "p2 went offline"
[ "$(log_count p2 "network: trying")" = 1 ] || fail "p2 tried the rolled-back setting again"
agent_stop p2

# ---- 3c. a management port that does not exist is rolled back ------------
agent_confdir p4
echo lo >"$W/p4.conf/ports"
echo "timer.port.testduration=3" >>"$W/p4.conf/config-items"
bootstrap p4 '{"systemAdapterList": [{"name": "nosuch9", "uplink": true}]}'
agent_start p4
wait_for 30 "p4 tries port nosuch9" log_has p4 "network: trying 1 management port\(s\) for 3 s"
wait_for 30 "p4 rolls back" log_has p4 "rolled back to the last working one"
wait_for 60 "p4 onboarded" log_has p4 "onboarded: device UUID"
[ "$(line_of p4 "onboarded: device UUID")" -gt "$(line_of p4 "rolled back")" ] ||
	fail "p4 onboarded before the rollback (through port nosuch9?)"
log_has p4 "controller reached via management port lo" || fail "p4 not back on port lo"
wait_for 30 "p4 online" device_online "$(agent_uuid p4)"
[ "$(cat "$W/p4.state/mgmtport" 2>/dev/null)" = lo ] || fail "p4: working port not persisted"
agent_stop p4
echo PASS
