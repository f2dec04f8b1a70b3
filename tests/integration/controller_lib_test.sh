#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# tests/lib/controller.sh end to end: init, start, admin API, restart
# keeps state, init refuses an existing directory, stop.
# usage: controller_lib_test.sh WORKDIR PORT   (EVE_CONTROLLER set by ctest)
set -euo pipefail
WORK=$1
PORT=$2
source "$(dirname "$0")/../lib/controller.sh"
rm -rf "$WORK" "$WORK.init.out"
trap 'ctl_stop "$WORK"' EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

ctl_init "$WORK" "$PORT"
[ "$(stat -c %a "$WORK")" = 700 ] || fail "dir mode"
[ "$(stat -c %a "$WORK/admin-token")" = 600 ] || fail "token mode"
[ "$(stat -c %a "$WORK/device-config/onboard.key.pem")" = 600 ] || fail "onboard key mode"
grep -qx "localhost:$PORT" "$WORK/device-config/server" || fail "server file"
for f in root-certificate.pem onboard.cert.pem; do
	[ -s "$WORK/device-config/$f" ] || fail "device-config/$f"
done
if "$EVE_CONTROLLER" init --dir "$WORK" --listen "127.0.0.1:$PORT" 2>/dev/null; then
	fail "init on an existing directory must refuse"
fi

ctl_start "$WORK"
[ -s "$WORK/controller.pid" ] || fail "pid file"
grep -q "listening on 127.0.0.1:$PORT" "$WORK/serve.log" || fail "ready line"
ctl_api "$WORK" GET /status >/dev/null || fail "status $CTL_STATUS"
ctl_api "$WORK" POST /images '{"name":"img","sha256":"'"$(printf 'hello' | sha256sum | cut -c1-64)"'","format":"raw"}' >/dev/null ||
	fail "image $CTL_STATUS"
[ "$CTL_STATUS" = 201 ] || fail "image status $CTL_STATUS"
if ctl_api "$WORK" GET /images/nope >/dev/null; then fail "404 expected"; fi
[ "$CTL_STATUS" = 404 ] || fail "404 expected, got $CTL_STATUS"
ctl_stop "$WORK"
[ ! -e "$WORK/controller.pid" ] || fail "pid file left behind"

ctl_start "$WORK"
ctl_api "$WORK" GET /images/img | grep -q '"state":"pending"' || fail "image lost over restart"
ctl_stop "$WORK"
echo "ok controller.sh: init, start, api, restart, stop"
