#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# store_controller_pg PG_PORT CTL_PORT WORKDIR [EVE_DEVSIM]: the controller on
# PostgreSQL 15 (issue #22). A throw-away cluster (tests/lib/pg.sh) on
# 127.0.0.1:PG_PORT; `eve-controller init --store postgresql://...` writes the
# URL into controller.conf and migrates the database; `serve` runs on it:
# admin API reads and writes (an image, a project, a token); with eve-devsim
# 20 simulated devices onboard, poll their config, send info, metrics and
# logs, live a fleet day and get a phased rollout of an app; the state is
# kept over a restart, there is no controller.db, no statement PostgreSQL
# refuses and no server error. Then an outage: with PostgreSQL stopped the
# controller answers errors and stays up; once it is back, requests work
# again without a restart. Without PostgreSQL the test skips (a failure
# with CI=true). EVE_CONTROLLER is set by ctest.
set -uo pipefail
DB_PORT=$1
CTL_PORT=$2
WORK=$3
DEVSIM=${4:-}
HERE=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../lib/skip.sh
. "$HERE/lib/skip.sh"
# shellcheck source=../lib/pg.sh
. "$HERE/lib/pg.sh"
# shellcheck source=../lib/controller.sh
. "$HERE/lib/controller.sh"

cleanup() {
	ctl_stop "$WORK"
	pg_stop
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	[ -s "$WORK/serve.log" ] && tail -n 30 "$WORK/serve.log" >&2
	[ -n "${PG_DIR:-}" ] && [ -s "$PG_DIR/server.log" ] && tail -n 20 "$PG_DIR/server.log" >&2
	exit 1
}

pg_start "$DB_PORT" || test_skip "PostgreSQL not started: $PG_ERROR"
rm -rf "$WORK" "$WORK.init.out"
"$EVE_CONTROLLER" init --dir "$WORK" --listen "127.0.0.1:$CTL_PORT" --host localhost,127.0.0.1 \
	--store "$PG_URL" >"$WORK.init.out" 2>&1 || {
	cat "$WORK.init.out" >&2
	fail "init --store"
}
grep -qx "store=$PG_URL" "$WORK/controller.conf" || fail "controller.conf has no store= line"
[ ! -e "$WORK/controller.db" ] || fail "init made a controller.db"
[ "$(pg_psql 'SELECT version FROM store_schema_version')" -gt 1 ] || fail "schema version"

ctl_start "$WORK" || fail "start"
ctl_api "$WORK" GET /status >/dev/null || fail "status $CTL_STATUS"
sha=$(printf 'hello' | sha256sum | cut -c1-64)
ctl_api "$WORK" POST /images '{"name":"img","sha256":"'"$sha"'","format":"raw"}' >/dev/null ||
	fail "image create $CTL_STATUS"
[ "$CTL_STATUS" = 201 ] || fail "image status $CTL_STATUS"
if ctl_api "$WORK" GET /images/nope >/dev/null; then fail "404 expected"; fi
[ "$CTL_STATUS" = 404 ] || fail "404 expected, got $CTL_STATUS"
ctl_api "$WORK" GET /images | grep -q '"name":"img"' || fail "image list $CTL_STATUS"
ctl_api "$WORK" POST /projects '{"name":"lab"}' >/dev/null || fail "project create $CTL_STATUS"
ctl_api "$WORK" GET /projects | grep -q '"lab"' || fail "project list $CTL_STATUS"
ctl_api "$WORK" POST /tokens '{"name":"ci","role":"viewer"}' >/dev/null || fail "token create $CTL_STATUS"
ctl_api "$WORK" GET /tokens | grep -q '"ci"' || fail "token list $CTL_STATUS"
ctl_api "$WORK" GET /audit >/dev/null || fail "audit $CTL_STATUS"
[ "$(pg_psql "SELECT count(*) FROM images WHERE name = 'img'")" = 1 ] || fail "the image is not in PostgreSQL"

# devices: onboarding (the commit queue), config polls, info, metrics, logs
if [ -n "$DEVSIM" ]; then
	"$DEVSIM" --dir "$WORK" --pid "$(cat "$WORK/serve.pid")" --devices 20 --connections 4 --threads 2 \
		--duration 2 --crypto-seconds 0.05 poll,ingest,fleet,rollout >"$WORK/devsim.out" 2>&1 ||
		{ cat "$WORK/devsim.out" >&2; fail "eve-devsim exited $?"; }
	grep -q '=> .* 20 of 20 devices have a UUID' "$WORK/devsim.out" || { cat "$WORK/devsim.out" >&2; fail "onboarding"; }
	bad=$(awk '/ req in .* errors [0-9]+$/ && $NF != "0"' "$WORK/devsim.out")
	[ -z "$bad" ] || { cat "$WORK/devsim.out" >&2; fail "device requests failed: $bad"; }
	[ "$(pg_psql 'SELECT count(*) FROM devices')" = 20 ] || fail "devices in PostgreSQL"
	[ "$(pg_psql 'SELECT count(*) > 0 FROM metrics')" = t ] || fail "no metrics in PostgreSQL"
	ctl_api "$WORK" GET /devices | grep -q '"name"' || fail "device list $CTL_STATUS"
fi
ctl_stop "$WORK"

ctl_start "$WORK" || fail "restart"
ctl_api "$WORK" GET /images/img | grep -q '"state":"pending"' || fail "image lost over restart"
if [ -n "$DEVSIM" ]; then
	[ "$(ctl_api "$WORK" GET /status | grep -o '"devices":[0-9]*')" = '"devices":20' ] ||
		fail "devices after the restart"
fi
ctl_stop "$WORK"
[ ! -e "$WORK/controller.db" ] || fail "serve made a controller.db"
# every statement the run used prepared on PostgreSQL
if grep 'statement prepare failed' "$WORK/serve.log" >&2; then fail "SQL PostgreSQL does not take"; fi
if grep 'status=5' "$WORK/serve.log" >&2; then fail "server errors"; fi

# an outage of PostgreSQL: errors, no crash; back without a restart
ctl_start "$WORK" || fail "start before the outage"
pg_pause || fail "pg_ctl stop"
if ctl_api "$WORK" GET /images >/dev/null; then fail "a read succeeded with PostgreSQL down"; fi
[[ $CTL_STATUS == 5* ]] || fail "status $CTL_STATUS with PostgreSQL down (a 5xx expected)"
if ctl_api "$WORK" POST /projects '{"name":"during"}' >/dev/null; then fail "a write succeeded with PostgreSQL down"; fi
kill -0 "$(cat "$WORK/serve.pid")" 2>/dev/null || fail "the controller died with PostgreSQL down"
pg_resume || fail "pg_ctl start"
back=false
for _ in $(seq 120); do
	if ctl_api "$WORK" GET /images 2>/dev/null | grep -q '"name":"img"'; then back=true; break; fi
	sleep 0.5
done
$back || fail "requests do not work again once PostgreSQL is back (last status $CTL_STATUS)"
ctl_api "$WORK" POST /projects '{"name":"after"}' >/dev/null || fail "write after the outage $CTL_STATUS"
[ "$(pg_psql "SELECT count(*) FROM projects WHERE name IN ('during', 'after')")" = 1 ] ||
	fail "projects written during/after the outage"
ctl_stop "$WORK"
echo "ok: eve-controller init and serve on PostgreSQL"
