# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Helpers for the end-to-end tests (sourced; not a test itself).
# Environment (tests/e2e.cmake): EVE_CONTROLLER EVE_AGENT EVECTL EVE_SRC
# E2E_BUILD E2E_PORT, optional E2E_MKISO. Everything a test starts is
# stopped by PID on every exit path (trap), and its libvirt domains removed.
set -u
: "${EVE_CONTROLLER:?}" "${EVE_AGENT:?}" "${EVECTL:?}" "${EVE_SRC:?}" "${E2E_BUILD:?}" "${E2E_PORT:?}"

W=$(mktemp -d /tmp/e2e.XXXXXX)
CTL=$W/ctl
export HOME=$W/home
mkdir -p "$HOME"
unset XDG_CONFIG_HOME EVECTL_CONTEXT
export EVECTL_SERVER=https://localhost:$E2E_PORT
export EVECTL_CA=$CTL/certs/root-certificate.pem
T0=$(date +%s)
STEP=0
AGENT_PIDS=""

# shellcheck source=/dev/null
. "$EVE_SRC/tests/lib/controller.sh"
# shellcheck source=/dev/null
. "$EVE_SRC/tests/lib/libvirtd.sh"
# shellcheck source=/dev/null
. "$EVE_SRC/tests/lib/skip.sh"

log() { printf '[e2e %4ss] %s\n' "$(($(date +%s) - T0))" "$*"; }

# step TEXT: start a numbered step; pass prints its result.
step() {
	STEP=$((STEP + 1))
	log "STEP $STEP: $*"
}
pass() { log "  ok: $*"; }

dump_logs() {
	local f
	for f in "$CTL/serve.log" "$W"/agent-*.log; do
		[ -s "$f" ] || continue
		echo "--- last lines of $(basename "$f") (without 304 polls) ---" >&2
		grep -v -e 'config: unchanged (304)' -e 'config: requesting' "$f" | tail -n 40 >&2
		# A warning scrolled out of the tail is often the cause.
		grep -E 'level=(warning|error)' "$f" | tail -n 15 | sed 's/^/  [warn] /' >&2
	done
	# Network instances as the device reports them (an app waits for its).
	if [ -s "$CTL/serve.log" ]; then
		echo "--- network instances (controller's view of the device's info) ---" >&2
		ectl -o json network list 2>/dev/null | jq -c '.items[]? | {name, info}' >&2 || true
	fi
}

fail() {
	log "FAIL (step $STEP): $*" >&2
	dump_logs
	exit 1
}

# wait_for SECONDS DESCRIPTION CMD...: poll CMD every 0.5 s (bounded).
wait_for() {
	local secs=$1 what=$2 end
	shift 2
	end=$(($(date +%s) + secs))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(date +%s)" -ge "$end" ] && fail "timed out after ${secs}s waiting for: $what"
		sleep 0.5
	done
}

ectl() { EVECTL_TOKEN=$(ctl_token "$CTL") "$EVECTL" "$@"; }
# ectl_json ARGS... -> JSON on stdout, or fail with evectl's message.
ectl_json() {
	local out
	out=$(ectl -o json "$@" 2>"$W/evectl.err") || fail "evectl $* failed: $(cat "$W/evectl.err")"
	printf '%s\n' "$out"
}

# ---------------------------------------------------------------- agent

# agent_dirs NAME: config dir from the controller's device-config/.
agent_dirs() {
	local n=$1
	mkdir -p "$W/$n.state"
	cp -a "$CTL/device-config" "$W/$n.config" || fail "copying device-config"
	echo "localhost:$E2E_PORT" >"$W/$n.config/server"
}

# agent_start NAME SERIAL
agent_start() {
	local n=$1 serial=$2
	printf '=== %s start\n' "$(date -u +%T)" >>"$W/agent-$n.log"
	"$EVE_AGENT" --config "$W/$n.config" --state "$W/$n.state" --serial "$serial" -v \
		>>"$W/agent-$n.log" 2>&1 &
	echo $! >"$W/$n.pid"
	AGENT_PIDS="$AGENT_PIDS $!"
}

agent_pid() { cat "$W/$1.pid"; }
agent_running() { kill -0 "$(agent_pid "$1")" 2>/dev/null; }

# agent_stop NAME [SIGNAL]: default SIGTERM and a bounded wait.
agent_stop() {
	local n=$1 sig=${2:-TERM} pid _ rc
	pid=$(agent_pid "$n")
	kill -"$sig" "$pid" 2>/dev/null
	for _ in $(seq 1 300); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && { kill -9 "$pid"; fail "agent $n ignored SIG$sig for 30 s"; }
	wait "$pid" 2>/dev/null
	rc=$?
	# A clean stop exits 0 (a sanitizer report would not).
	[ "$sig" != TERM ] || [ "$rc" = 0 ] || fail "agent $n exited $rc on SIGTERM"
	return 0
}

# ---------------------------------------------------------------- libvirt

# Domains of this test's agents: one eve-<uuid> per dir in <state>/apps.
test_domains() {
	local d
	for d in "$W"/*.state/apps/*/; do
		[ -d "$d" ] && echo "eve-$(basename "$d")"
	done
}

# A lookup only: libvirt 9.0 can lose its connection to a container's
# controller as it starts; the container runs, but `virsh dominfo` then
# fails ("Init pid is not yet available").
domain_uri() {
	local dom=$1 uri
	for uri in qemu:///system lxc:///system; do
		virsh -q -c "$uri" domuuid "$dom" >/dev/null 2>&1 && { echo "$uri"; return 0; }
	done
	return 1
}

domain_running() {
	local uri
	uri=$(domain_uri "$1") || return 1
	[ "$(virsh -q -c "$uri" domstate "$1" 2>/dev/null)" = running ]
}

# What virsh says of domain $1 under each driver (for failure messages).
domain_says() {
	local uri
	for uri in qemu:///system lxc:///system; do
		printf '%s: %s; ' "$uri" "$(timeout 30 virsh -q -c "$uri" domstate --reason "$1" 2>&1 | head -2 | tr '\n' ' ')"
	done
}

domain_id() {
	local uri
	uri=$(domain_uri "$1") || return 1
	virsh -q -c "$uri" domid "$1" 2>/dev/null
}

remove_test_domains() {
	local dom uri
	for dom in $(test_domains); do
		uri=$(domain_uri "$dom") || continue
		virsh -q -c "$uri" destroy "$dom" >/dev/null 2>&1
		virsh -q -c "$uri" undefine "$dom" >/dev/null 2>&1
	done
}

# remove_nets_on PREFIX: libvirt networks "eve-ni-*" whose gateway is
# PREFIX.x ("10.250.41"). A run killed before its trap (a test timeout, a
# killed soak) leaves its network, and libvirtd restarts it: the next run's
# network on that subnet then cannot start ("already in use by interface").
# Give each test its own subnet and call this before making the network.
remove_nets_on() {
	local n
	for n in $(virsh -q -c qemu:///system net-list --all --name 2>/dev/null | grep '^eve-ni-'); do
		virsh -q -c qemu:///system net-dumpxml "$n" 2>/dev/null | grep -q "address='$1\." || continue
		virsh -q -c qemu:///system net-destroy "$n" >/dev/null 2>&1
		virsh -q -c qemu:///system net-undefine "$n" >/dev/null 2>&1
	done
}

# What this test's agents made besides domains: their firewall tables,
# DNS servers and networks (an agent killed with -9 removes none of them).
remove_agent_leftovers() {
	local f p n
	for f in "$W"/*.state/firewall/*.nft; do
		[ -e "$f" ] && nft delete table bridge "eve-fw-$(basename "$f" .nft)" 2>/dev/null
	done
	for f in "$W"/*.state/dns/*.pid; do
		[ -e "$f" ] || continue
		p=$(cat "$f")
		grep -q dnsmasq "/proc/$p/cmdline" 2>/dev/null || continue
		kill "$p" 2>/dev/null
		sleep 1
		kill -9 "$p" 2>/dev/null
	done
	for f in "$W"/*.state/nets/*; do
		[ -e "$f" ] || continue
		n=eve-ni-$(basename "$f")
		virsh -q -c qemu:///system net-destroy "$n" >/dev/null 2>&1
		virsh -q -c qemu:///system net-undefine "$n" >/dev/null 2>&1
	done
}

cleanup() {
	local p
	for p in $AGENT_PIDS; do kill -9 "$p" 2>/dev/null; done
	[ -d "$CTL" ] && ctl_stop "$CTL"
	remove_test_domains
	remove_agent_leftovers
	if [ "${E2E_KEEP:-0}" = 1 ]; then
		echo "kept $W"
	else
		rm -rf "$W"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ---------------------------------------------------------------- controller queries

device_field() { ectl -o json device get "$1" 2>/dev/null | jq -r "$2"; }
# app_state APP: state of its first instance.
app_state() { ectl -o json app get "$1" 2>/dev/null | jq -r '.instances[0].state // "NONE"'; }
app_state_is() { [ "$(app_state "$1")" = "$2" ]; }
app_instance() { ectl -o json app get "$1" 2>/dev/null | jq -r '.instances[0].id // empty'; }

# app_log_count APP REGEX: number of the app's log lines matching REGEX.
app_log_count() {
	ectl -o json app logs "$1" --limit 1000 2>/dev/null |
		jq --arg re "$2" '[.items[] | select(.msg | test($re))] | length'
}
app_log_ge() { [ "$(app_log_count "$1" "$2")" -ge "$3" ] 2>/dev/null; }

# info_states DEVICE INSTANCE: the app info states stored for an instance,
# oldest first, as one line.
info_states() {
	ectl -o json device info "$1" --type app --limit 1000 2>/dev/null |
		jq -r --arg id "$2" '[.items[] | select((.object == $id) or (.info.ainfo.AppID == $id)) |
			.info.ainfo.state // empty] | reverse | join(" ")'
}
# info_has_after DEVICE INSTANCE STATE MIN_ID: an app info record with STATE
# stored after record MIN_ID.
info_has_after() {
	ectl -o json device info "$1" --type app --limit 1000 2>/dev/null |
		jq -e --arg id "$2" --arg st "$3" --argjson min "$4" '[.items[] |
			select(((.object == $id) or (.info.ainfo.AppID == $id)) and .info.ainfo.state == $st and .id > $min)] |
			length > 0' >/dev/null
}
last_info_id() {
	ectl -o json device info "$1" --limit 1 2>/dev/null | jq -r '.items[0].id // 0'
}
device_field_is() { [ "$(device_field "$1" "$2")" = "$3" ]; }
metrics_count() { ectl -o json device metrics "$1" --limit 1000 2>/dev/null | jq '.items | length'; }
metrics_count_gt() { [ "$(metrics_count "$1")" -gt "$2" ] 2>/dev/null; }
last_info_id_gt() { [ "$(last_info_id "$1")" -gt "$2" ] 2>/dev/null; }
domain_gone() { ! domain_uri "$1" >/dev/null; }
domain_not_running() { ! domain_running "$1"; }
dir_gone() { [ ! -d "$1" ]; }

# wait_app_state APP STATE SECONDS: until the controller reports STATE for
# every instance of APP; an ERROR that lasts 30 s fails at once with its
# message (errors can be transient: downloads retry).
wait_app_state() {
	local app=$1 want=$2 end err_since=0 j st
	end=$(($(date +%s) + $3))
	while :; do
		j=$(ectl -o json app get "$app" 2>/dev/null)
		st=$(printf '%s' "$j" | jq -r '[.instances[].state] | unique | join(",")' 2>/dev/null)
		[ "$st" = "$want" ] && return 0
		if [ "$st" = ERROR ]; then
			[ "$err_since" = 0 ] && err_since=$(date +%s)
			[ $(($(date +%s) - err_since)) -ge 30 ] &&
				fail "$app in ERROR (want $want): $(printf '%s' "$j" | jq -r '[.instances[].error] | join("; ")')"
		else
			err_since=0
		fi
		[ "$(date +%s)" -ge "$end" ] &&
			fail "$app not $want after $3 s (state: ${st:-none}; $(printf '%s' "$j" | jq -r '[.instances[].error] | join("; ")' 2>/dev/null))"
		sleep 0.5
	done
}
