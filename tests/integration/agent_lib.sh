# SPDX-License-Identifier: Apache-2.0
# Helpers for the eve-agent integration tests (sourced). Each test gets a
# work dir, a real controller (tests/lib/controller.sh), and agents started
# from config dirs made from the controller's device-config bundle. All
# processes started here are stopped on every exit path.
#
# Env (set by tests/device.cmake): EVE_AGENT, EVE_CONTROLLER, EVE_TEST_DIR.
set -u
. "$EVE_TEST_DIR/lib/skip.sh"

if [ -z "${EVE_CONTROLLER:-}" ] || [ ! -x "${EVE_CONTROLLER:-}" ] || [ ! -f "$EVE_TEST_DIR/lib/controller.sh" ]; then
	test_skip "eve-controller (WITH_CONTROLLER) or tests/lib/controller.sh not available"
fi
. "$EVE_TEST_DIR/lib/controller.sh"

W=$(mktemp -d /tmp/agent_it.XXXXXX)
CTL="$W/ctl"
AGENTS=""
SWTPM_PIDS=""
CTL_STARTED=0

agent_cleanup() {
	local n p
	for n in $AGENTS; do
		p=$(cat "$W/$n.pid" 2>/dev/null) || continue
		kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	for p in $SWTPM_PIDS; do
		kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	[ "$CTL_STARTED" = 1 ] && ctl_stop "$CTL" >/dev/null 2>&1
	if [ "${KEEP:-0}" = 1 ]; then echo "kept $W"; else rm -rf "$W"; fi
}
trap agent_cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	local f
	echo "FAIL: $*"
	for f in "$W"/*.log; do
		[ -f "$f" ] || continue
		echo "---- $f (tail)"
		tail -n 40 "$f"
	done
	exit 1
}

# wait_for SECONDS DESCRIPTION CMD...: poll CMD (bounded), fail on timeout.
wait_for() {
	local t=$1 d=$2 end
	shift 2
	end=$((SECONDS + t))
	until "$@"; do
		[ "$SECONDS" -ge "$end" ] && fail "timed out after $t s: $d"
		sleep 0.5
	done
}

# log_has NAME REGEX: the agent's current run logged REGEX.
log_has() {
	grep -Eqs -- "$2" "$W/$1.log"
}

controller_up() {
	ctl_init "$CTL" "$1" >/dev/null || fail "ctl_init"
	controller_start
	# Onboarding cert valid for any serial (init may have added it: 409).
	ctl_api "$CTL" POST /onboard "$(jq -n --rawfile c "$CTL/device-config/onboard.cert.pem" \
		'{cert: $c, serials: ["*"]}')" >/dev/null || [ "${CTL_STATUS:-}" = 409 ] || fail "POST /onboard: ${CTL_STATUS:-no answer}"
}

controller_start() {
	ctl_start "$CTL" || fail "ctl_start"
	CTL_STARTED=1
	# A controller of another run on the same port would answer the ping
	# while ours failed to bind: make sure ours is the one serving.
	sleep 0.3
	kill -0 "$(cat "$CTL/serve.pid")" 2>/dev/null ||
		fail "eve-controller exited (port in use by another test run?): $(tail -n 3 "$CTL/serve.log")"
}

controller_stop() {
	ctl_stop "$CTL" || fail "ctl_stop"
	CTL_STARTED=0
}

# agent_confdir NAME: a config dir from the controller's bundle, with a
# 2 s config interval as local default (config-items) to keep tests short.
agent_confdir() {
	mkdir -p "$W/$1.conf"
	cp "$CTL"/device-config/* "$W/$1.conf/"
	echo "timer.config.interval=2" >"$W/$1.conf/config-items"
}

# agent_start NAME [ARGS...]: start in the background, log to NAME.log
# (the previous run's log is kept as NAME.log.N).
agent_start() {
	local n=$1 runs
	shift
	[ -d "$W/$n.conf" ] || agent_confdir "$n"
	case " $AGENTS " in *" $n "*) ;; *) AGENTS="$AGENTS $n" ;; esac
	if [ -f "$W/$n.log" ]; then
		runs=$(ls "$W/$n".log.* 2>/dev/null | wc -l)
		mv "$W/$n.log" "$W/$n.log.$runs"
	fi
	"$EVE_AGENT" --config "$W/$n.conf" --state "$W/$n.state" --serial "serial-$n" \
		--record-devops "$W/$n.devops" -v "$@" >"$W/$n.log" 2>&1 &
	echo $! >"$W/$n.pid"
}

agent_running() {
	kill -0 "$(cat "$W/$1.pid")" 2>/dev/null
}

agent_stop() {
	local p
	p=$(cat "$W/$1.pid")
	kill -TERM "$p" 2>/dev/null
	wait "$p"
	local rc=$?
	[ "$rc" = 0 ] || fail "agent $1 exited with $rc on SIGTERM"
}

agent_kill9() {
	local p
	p=$(cat "$W/$1.pid")
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	return 0
}

agent_uuid() {
	cat "$W/$1.state/uuid"
}

# api_count PATH: number of items in an admin API list.
api_count() {
	ctl_api "$CTL" GET "$1" | jq '.items | length'
}

api_count_ge() {
	local n
	n=$(api_count "$1" 2>/dev/null) || return 1
	[ -n "$n" ] && [ "$n" -ge "$2" ]
}

device_online() {
	[ "$(ctl_api "$CTL" GET "/devices/$1" 2>/dev/null | jq -r .state)" = online ]
}

# swtpm_start PORT: a fresh swtpm on PORT (ctrl PORT+1); TCTI swtpm:port=PORT.
swtpm_start() {
	local port=$1
	mkdir -p "$W/swtpm.$port"
	swtpm socket --tpm2 --server type=tcp,port="$port" --ctrl type=tcp,port=$((port + 1)) \
		--tpmstate dir="$W/swtpm.$port" --flags not-need-init,startup-clear \
		>"$W/swtpm.$port.out" 2>&1 &
	SWTPM_PIDS="$SWTPM_PIDS $!"
	wait_for 60 "swtpm listening on $port" bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null
}
