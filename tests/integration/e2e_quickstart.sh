#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck disable=SC2015 # "[ a ] && [ b ] || fail" is meant
# scripts/quickstart itself, against this build (no apt-get, no build), in a
# temporary RUN_DIR on 127.0.0.1:$E2E_PORT: the first run ends with the app
# RUNNING, a second run reuses everything (same PIDs, same app), status
# reports, stop ends exactly what was started and removes the app's domain.
# Environment (tests/e2e.cmake): EVE_SRC E2E_BUILD E2E_PORT.
set -u
: "${EVE_SRC:?}" "${E2E_BUILD:?}" "${E2E_PORT:?}"

W=$(mktemp -d /tmp/e2e-qs.XXXXXX)
export RUN_DIR=$W/run BUILD_DIR=$E2E_BUILD QS_PORT=$E2E_PORT QS_LISTEN=127.0.0.1:$E2E_PORT
export QS_SKIP_DEPS=1 QS_SKIP_BUILD=1 QS_SERIAL=e2e-quickstart QS_TIMEOUT=180
export HOME=$W/home
mkdir -p "$HOME"
QS=$EVE_SRC/scripts/quickstart
T0=$(date +%s)

log() { printf '[e2e-qs %4ss] %s\n' "$(($(date +%s) - T0))" "$*"; }
fail() {
	log "FAIL: $*" >&2
	for f in "$W"/out.* "$RUN_DIR"/agent.log "$RUN_DIR"/controller.log; do
		[ -s "$f" ] || continue
		echo "--- last lines of $f ---" >&2
		grep -v 'config: unchanged (304)' "$f" | tail -n 30 >&2
	done
	exit 1
}
cleanup() {
	[ -d "$RUN_DIR/pids" ] && "$QS" stop >/dev/null 2>&1
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# libvirtd is shared with the other tests: start it here (tests/lib), so the
# quickstart finds it running and neither starts nor stops its own.
# shellcheck source=/dev/null
. "$EVE_SRC/tests/lib/libvirtd.sh"
# shellcheck source=/dev/null
. "$EVE_SRC/tests/lib/skip.sh"
libvirtd_start || test_skip "libvirtd cannot start here: $LIBVIRTD_ERROR"

pid_of() { cat "$RUN_DIR/pids/$1.pid" 2>/dev/null; }
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

log "first run"
"$QS" >"$W/out.1" 2>&1 || fail "first run exited $?"
grep -Eq '^hello +busybox +e2e-quickstart +1/1' "$W/out.1" || fail "first run: no RUNNING hello row in 'evectl app list'"
grep -q 'EVE-TEST-OCI: hello from e2e-quickstart' "$W/out.1" || fail "first run: the app's console line is not shown"
ctl=$(pid_of controller)
agent=$(pid_of agent)
alive "$ctl" && alive "$agent" || fail "controller ($ctl) or agent ($agent) not running after the first run"
[ -s "$RUN_DIR/env" ] && [ "$(stat -c %a "$RUN_DIR/env")" = 600 ] || fail "run/env missing or not 0600"
# shellcheck source=/dev/null
. "$RUN_DIR/env"
inst=$(evectl -o json app get hello | jq -r '.instances[0].id')
[ -n "$inst" ] && [ "$inst" != null ] || fail "no instance for app hello"
log "  ok: hello RUNNING (instance $inst), controller $ctl, agent $agent"

log "second run reuses everything"
"$QS" >"$W/out.2" 2>&1 || fail "second run exited $?"
grep -q "exists: reusing its certificates" "$W/out.2" || fail "second run did not reuse the controller directory"
grep -q "running (pid $ctl)" "$W/out.2" || fail "second run did not reuse the controller (pid $ctl)"
grep -q "running (pid $agent)" "$W/out.2" || fail "second run did not reuse the agent (pid $agent)"
grep -q "app hello exists: kept" "$W/out.2" || fail "second run did not keep the app"
[ "$(evectl -o json app get hello | jq -r '.instances[0].id')" = "$inst" ] || fail "app instance changed"
[ "$(evectl -o json device list | jq '.items | length')" = 1 ] || fail "not exactly one device after two runs"
log "  ok: same PIDs, same app, one device"

log "status"
"$QS" status >"$W/out.3" 2>&1 || fail "status exited $? while everything runs"
grep -q "^controller running (pid $ctl)" "$W/out.3" || fail "status does not show the controller"
grep -q "^agent      running (pid $agent)" "$W/out.3" || fail "status does not show the agent"

log "stop"
"$QS" stop >"$W/out.4" 2>&1 || fail "stop exited $?"
alive "$ctl" && fail "controller $ctl still running after stop"
alive "$agent" && fail "agent $agent still running after stop"
for uri in qemu:///system lxc:///system; do
	virsh -q -c "$uri" domuuid "eve-$inst" >/dev/null 2>&1 && fail "domain eve-$inst left after stop ($uri)"
done
"$QS" status >"$W/out.5" 2>&1 && fail "status exits 0 with nothing running"
libvirtd_ready || fail "stop took down the shared libvirtd"
log "  ok: controller, agent and the app's domain gone; libvirtd untouched"
log "PASS"
