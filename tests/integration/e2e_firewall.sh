#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck disable=SC2015 # "[ a ] && [ b ] || fail" is meant
# End-to-end firewall: eve-controller + eve-agent + evectl, a busybox
# container under libvirt LXC on a local network, two HTTP servers in
# network namespaces (X and Y, behind veth pairs).
#   evectl app deploy --network lan --allow ip:X  ->  the controller sends
#   that ACE, the agent enforces it (nftables): X answers, Y does not ->
#   the agent's flow log (conntrack + the firewall's drop sets) reaches the
#   controller: `evectl app flows` shows the accepted connection to X (its
#   ACE) and the dropped one to Y; `-f` prints a new one as it comes; the
#   agent killed with -9 leaves the rules in force, restarted it keeps them
#   identical (`nft -s -t list`) ->
#   deleting the app removes its rules.
. "$(dirname "$0")/e2e_lib.sh"

SERIAL=e2e-fw-serial
IMAGES=$E2E_BUILD/runtime-images
X=10.251.41.2
Y=10.251.42.2
SUBNET=10.250.41 # the app's network (lan)
SRV_PIDS=""

need() {
	if [ "${CI:-}" = true ]; then fail "$1"; fi
	log "SKIP: $1"
	exit 77
}
for t in nft nsenter curl busybox jq conntrack; do
	command -v $t >/dev/null 2>&1 || [ -x /usr/sbin/$t ] || need "no $t command"
done

fw_cleanup() {
	local p n
	for p in $SRV_PIDS; do kill "$p" 2>/dev/null; done
	for n in fwx41 fwy41; do
		ip link del ${n}h 2>/dev/null
		ip netns del $n 2>/dev/null
	done
	cleanup
	remove_nets_on $SUBNET
}
trap fw_cleanup EXIT

# The container's init (host pid), to run probes in its network namespace.
app_init() {
	local ctl
	ctl=$(cat "/run/libvirt/lxc/eve-$1.pid" 2>/dev/null) || return 1
	ps -o pid= --ppid "$ctl" | head -1 | tr -d ' '
}
# in_app INSTANCE URL: fetch URL from inside the app
in_app() {
	local pid
	pid=$(app_init "$1") && [ -n "$pid" ] || return 1
	nsenter -t "$pid" -n curl -sS -m 3 "$2" 2>/dev/null
}
reaches() { in_app "$1" "http://$2:8000/" | grep -q "fw-target"; }

step "controller, libvirtd, test image, targets X=$X and Y=$Y in network namespaces"
ctl_init "$CTL" "$E2E_PORT" || fail "eve-controller init"
ctl_start "$CTL" || fail "eve-controller serve"
libvirtd_start || need "libvirtd cannot start here: $LIBVIRTD_ERROR"
remove_nets_on $SUBNET
mkdir -p "$IMAGES"
(
	flock 9
	sh "$EVE_SRC/tests/images/build-oci-image.sh" "$IMAGES"
) 9>"$IMAGES/.lock" >"$W/images.log" 2>&1 || { cat "$W/images.log"; fail "building the OCI test image"; }
i=41
for n in fwx41 fwy41; do
	ip link del ${n}h 2>/dev/null
	ip netns del $n 2>/dev/null
	{ ip netns add $n &&
		ip link add ${n}h type veth peer name ${n}c netns $n &&
		ip addr add 10.251.$i.1/30 dev ${n}h && ip link set ${n}h up &&
		ip -n $n link set lo up &&
		ip -n $n addr add 10.251.$i.2/30 dev ${n}c && ip -n $n link set ${n}c up &&
		ip -n $n route add default via 10.251.$i.1; } || fail "network namespace $n"
	mkdir -p "$W/www-$n"
	echo "fw-target $n" >"$W/www-$n/index.html"
	ip netns exec $n busybox httpd -f -p 8000 -h "$W/www-$n" &
	SRV_PIDS="$SRV_PIDS $!"
	i=$((i + 1))
done
pass "ready"

step "device onboarded, online, polling every 2 s"
ectl onboard add --cert "$CTL/device-config/onboard.cert.pem" --serial "$SERIAL" >/dev/null || fail "onboard add"
agent_dirs dev
agent_start dev "$SERIAL"
wait_for 60 "device $SERIAL online" device_field_is "$SERIAL" .state online
ectl device config set "$SERIAL" timer.config.interval=2 >/dev/null || fail "config set"
pass "online"

step "deploy with --network lan --allow ip:$X"
ectl image upload busybox "$IMAGES/busybox-oci.tar" --format oci >/dev/null || fail "image upload"
ectl network create lan --device "$SERIAL" --type local --subnet $SUBNET.0/24 >/dev/null || fail "network create"
ectl app deploy fwapp --image busybox --device "$SERIAL" --memory 64M --network lan --allow "ip:$X" \
	-e DHCP=1 -e GREETING=fw >/dev/null || fail "deploy"
acl=$(ectl_json device config dump "$SERIAL" | jq -r '.apps[0].interfaces[0].acls[0].matches[0] | .type + " " + .value')
[ "$acl" = "ip $X" ] || fail "the device config's ACE is '$acl', want 'ip $X'"
wait_app_state fwapp RUNNING 180
INST=$(app_instance fwapp)
pass "RUNNING ($INST), its ACE in the device config: $acl"

step "the agent enforces it: X answers, Y does not"
wait_for 60 "X reachable from the app" reaches "$INST" $X
reaches "$INST" $Y && fail "Y answers the app though only ip:$X is allowed"
nft list table bridge "eve-fw-$INST" >/dev/null 2>&1 || fail "no nft table for the app"
pass "X yes, Y no"

step "kill -9 the agent: the rules stay and hold; restarted, the rules are identical"
nft -s -t list table bridge "eve-fw-$INST" >"$W/before.nft" || fail "nft list"
agent_stop dev KILL
nft -s -t list table bridge "eve-fw-$INST" >"$W/dead.nft" 2>&1 || fail "the table went with the agent"
cmp -s "$W/before.nft" "$W/dead.nft" || fail "rules changed without an agent"
reaches "$INST" $X || fail "without the agent X does not answer"
reaches "$INST" $Y && fail "without the agent Y answers: rules gone"
agent_start dev "$SERIAL"
restarted() { awk '/^=== /{n++} n==2 && /runtime: hypervisors/{f=1} END{exit !f}' "$W/agent-dev.log"; }
wait_for 60 "the agent restarted with its runtime" restarted
sleep 6 # a few runtime passes on the checkpointed config
wait_app_state fwapp RUNNING 60
nft -s -t list table bridge "eve-fw-$INST" >"$W/after.nft" || fail "no table after the restart"
diff -u "$W/before.nft" "$W/after.nft" >&2 || fail "rules differ after the agent restart"
reaches "$INST" $X && ! reaches "$INST" $Y || fail "after the restart: want X yes, Y no"
pass "rules kept through kill -9 and identical after the restart ($(grep -c . "$W/after.nft") lines)"

step "flow log: evectl app flows shows the accepted and the dropped connection"
has_flows() {
	local j
	j=$(ectl -o json app flows fwapp --limit 200 2>/dev/null) || return 1
	printf '%s' "$j" | jq -e --arg x $X '.items[] | select(.action == "accept" and .dst == $x and .dport == 8000 and .ace == 1)' >/dev/null &&
		printf '%s' "$j" | jq -e --arg y $Y '.items[] | select(.action == "drop" and .dst == $y and .dport == 8000)' >/dev/null
}
reaches "$INST" $Y # another try: a drop to report
wait_for 60 "accepted (X, ACE 1) and dropped (Y) flows in evectl app flows" has_flows
ectl app flows fwapp --limit 200 | grep -E "TIME|8000" | head -8
pass "both reported"

step "evectl app flows -f prints a new connection as it is reported"
ectl app flows fwapp -f --limit 1 >"$W/follow.out" 2>&1 &
fpid=$!
sleep 3
lines=$(wc -l <"$W/follow.out")
in_app "$INST" "http://$X:8000/?new" >/dev/null
follow_new() { [ "$(wc -l <"$W/follow.out")" -gt "$lines" ] && tail -n +$((lines + 1)) "$W/follow.out" | grep -q "$X:8000"; }
wait_for 45 "a new flow line from -f" follow_new
kill "$fpid" 2>/dev/null
wait "$fpid" 2>/dev/null
pass "followed: $(tail -n +$((lines + 1)) "$W/follow.out" | grep "$X:8000" | head -1)"

step "delete the app: its rules go"
ectl app delete fwapp >/dev/null || fail "app delete"
gone() { ! nft list table bridge "eve-fw-$INST" >/dev/null 2>&1; }
wait_for 60 "the app's nft table removed" gone
ectl network delete lan --device "$SERIAL" >/dev/null || fail "network delete"
dns_gone() { ! ls "$W"/dev.state/dns/*.pid >/dev/null 2>&1; }
wait_for 60 "the network's DNS server stopped" dns_gone
pass "removed"

step "the agent stops cleanly (exit 0: no sanitizer report)"
agent_stop dev
pass "stopped"
log "PASS"
