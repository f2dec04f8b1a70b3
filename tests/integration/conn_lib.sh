# SPDX-License-Identifier: Apache-2.0
# Network-namespace plumbing of the connectivity tests (sourced after
# agent_lib.sh; NSA, NSR and NSC name the agent's, the router's and the
# controller's namespaces): the namespaces are created (loopback up), the
# controller and the agent run in theirs through wrapper scripts, curl (so
# ctl_api) runs in the controller's, `ina CMD` in the agent's. A helper
# started in the background is stopped on exit when its pid is added to
# CONN_PIDS; the namespaces go with the test.
REAL_CTL=${EVE_CONTROLLER:?}
REAL_AGENT=${EVE_AGENT:?}
CONN_PIDS=""
conn_cleanup() {
	local p
	for p in $CONN_PIDS; do
		kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	agent_cleanup
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSR" 2>/dev/null
	ip netns del "$NSC" 2>/dev/null
}
trap conn_cleanup EXIT

printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$NSC" "$REAL_CTL" >"$W/ctl.sh"
printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$NSA" "$REAL_AGENT" >"$W/agent.sh"
chmod +x "$W/ctl.sh" "$W/agent.sh"
EVE_CONTROLLER=$W/ctl.sh
EVE_AGENT=$W/agent.sh
curl() { ip netns exec "$NSC" curl "$@"; }
ina() { ip netns exec "$NSA" "$@"; }
for n in "$NSA" "$NSR" "$NSC"; do
	ip netns add "$n" || fail "netns add $n"
	ip -n "$n" link set lo up
done
inr() { ip netns exec "$NSR" "$@"; }

# conn_bootstrap1 FILE ADDR SUBNET GATEWAY TYPE [ENTPROXY]: a bootstrap
# config (signed by the controller in $CTL) with one static management port,
# eth0 on e1, of network type TYPE (V4, V6) and the ProxyConfig JSON ENTPROXY.
conn_bootstrap1() {
	"$EVE_MKBOOTSTRAP" "$CTL/certs/signing.key.pem" "$CTL/certs/signing.cert.pem" "{
 \"deviceIoList\": [{\"ptype\": \"PhyIoNetEth\", \"phylabel\": \"eth0\", \"logicallabel\": \"eth0\",
   \"phyaddrs\": [{\"key\": \"ifname\", \"value\": \"e1\"}], \"usage\": \"PhyIoUsageMgmtAndApps\"}],
 \"systemAdapterList\": [{\"name\": \"eth0\", \"uplink\": true, \"lowerLayerName\": \"eth0\",
   \"networkUUID\": \"n1\", \"cost\": 0, \"addr\": \"$2\"}],
 \"networks\": [{\"id\": \"n1\", \"type\": \"$5\", \"ip\": {\"dhcp\": \"Static\", \"subnet\": \"$3\",
   \"gateway\": \"$4\"}${6:+, \"entProxy\": $6}}]}" "$1" || fail "mkbootstrap $1"
}
