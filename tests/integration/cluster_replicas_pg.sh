#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# cluster_replicas_pg PORT: three eve-controller replicas on one PostgreSQL
# 15 database behind HAProxy (issue #22, docs/operations.md "Running 2-3
# replicas with PostgreSQL and HAProxy").
#
# Addresses: HAProxy on 127.0.0.1:PORT (what device-config/server names,
# the replicas' public_port), replica A on 127.0.0.2:PORT+1, B on
# 127.0.0.3:PORT+2, C on 127.0.0.4:PORT+3, PostgreSQL on
# 127.0.0.1:PORT+10000 (tests/lib/pg.sh). A is made by `eve-controller init
# --store`, its controller.conf is examples/controller-replica.conf with
# these addresses; B's and C's directories are copies of A's (keys,
# certificates, tokens) with their own `listen` and their datastore a link
# to A's (the shared directory). HAProxy runs examples/haproxy-replicas.cfg
# with the addresses changed.
#
#  1. propagation: eve-devsim devices poll replica B while devsim deploys an
#     app to them through replica A: every device must get the new config
#     from B within 2 s of A's acknowledgement (measured, printed). A real
#     eve-agent whose `server` is replica B gets a config item set through
#     A, and A (which it never reaches) shows it online. An image uploaded
#     through A is downloaded from B (the shared datastore), and a device's
#     config with it is the same from A and B (public_port).
#  2. failover: eve-devsim devices report (info, metrics, logs) and poll
#     through HAProxy; replica A hangs half-way (SIGSTOP) and is killed (-9)
#     a second later. Only requests in flight may fail (at most one per
#     connection); every report is acknowledged in the end (devsim sends a
#     failed one again) and none that was acknowledged is missing from
#     PostgreSQL (compared per kind with what devsim counted).
#  3. rejoin: A starts again on its directory; HAProxy takes it back; an app
#     deployed through C reaches devices polling A within 2 s; `logs -f` on
#     A shows lines devices send through C within 2 s (it looks in the
#     database every second); a signed report accepted by B and sent again
#     to C and to A (a replay) gets the same status from each and is stored
#     once.
#  4. remote consoles: an eve-agent (libvirt's test driver) polls through
#     HAProxy. A session created on B is held by B (the token in the
#     device's config, the same from every replica, names B's dispatcher,
#     and the agent's tunnel goes there); one created on C for that device
#     is held by B too; a connect on C is refused with 421 naming B; evectl
#     through HAProxy follows connect_url to B and gets the device's own
#     answer through the tunnel; a DELETE on A ends a session B holds.
#     Then C holds a session and is killed: B takes the device over.
#  5. a backup: pg_dump of the live database, pg_restore into a new one.
#
# Environment (ctest): EVE_CONTROLLER, EVE_AGENT, EVECTL, EVE_DEVSIM.
# Without PostgreSQL 15 or HAProxy the test skips (a failure with CI=true).
set -uo pipefail
PORT=$1
: "${EVE_CONTROLLER:?}" "${EVE_AGENT:?}" "${EVECTL:?}" "${EVE_DEVSIM:?}"
HERE=$(cd "$(dirname "$0")/.." && pwd)
SRC=$(cd "$HERE/.." && pwd)
# shellcheck source=../lib/skip.sh
. "$HERE/lib/skip.sh"
# shellcheck source=../lib/pg.sh
. "$HERE/lib/pg.sh"
# shellcheck source=../lib/haproxy.sh
. "$HERE/lib/haproxy.sh"
# shellcheck source=../lib/controller.sh
. "$HERE/lib/controller.sh"

FRONT=127.0.0.1
ADDR_A=127.0.0.2
ADDR_B=127.0.0.3
ADDR_C=127.0.0.4
RA=$ADDR_A:$((PORT + 1)) # replica A
RB=$ADDR_B:$((PORT + 2)) # replica B
RC=$ADDR_C:$((PORT + 3)) # replica C
W=$(mktemp -d /tmp/eve-cluster.XXXXXX)
A=$W/a
B=$W/b
C=$W/c
export HOME=$W/home
mkdir -p "$HOME"
unset XDG_CONFIG_HOME EVECTL_SERVER EVECTL_TOKEN EVECTL_CA EVECTL_CONTEXT
AGENT_PID=
OB2_AGENT_PID=
CS_PID=
DEVSIM_PID=
FOLLOW_PID=

cleanup() {
	local p
	for p in $FOLLOW_PID $DEVSIM_PID $AGENT_PID $OB2_AGENT_PID $CS_PID; do
		kill -TERM "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	haproxy_stop
	ctl_stop "$A"
	ctl_stop "$B"
	ctl_stop "$C"
	pg_stop
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	local f
	echo "FAIL: $*" >&2
	for f in "$A/serve.log" "$B/serve.log" "$C/serve.log" "$W/agent.log" "$W/cs.log" "${HAPROXY_DIR:-/nonexistent}/haproxy.log"; do
		[ -s "$f" ] && { echo "--- $f" >&2; grep -Ev 'config: (requesting|unchanged)' "$f" | tail -n 25 >&2; }
	done
	[ -n "${PG_DIR:-}" ] && [ -s "$PG_DIR/server.log" ] && { echo "--- postgres" >&2; tail -n 15 "$PG_DIR/server.log" >&2; }
	exit 1
}

# SQL on the controller's database
eve_psql() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -At "$STORE_URL" -c "$*"; }
now_s() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now_s)" 'BEGIN { printf "%.2f", b - a }'; }

# evectl against one replica (or HAProxy): ev ADDR:PORT ARGS...
ev() {
	local addr=$1
	shift
	EVECTL_SERVER="https://$addr" EVECTL_CA="$A/certs/root-certificate.pem" \
		EVECTL_TOKEN="$(cat "$A/admin-token")" "$EVECTL" "$@"
}

# rep_start DIR ADDR:PORT: serve (pid in DIR/serve.pid for ctl_stop), wait
# until it answers (bounded).
rep_start() {
	local dir=$1 addr=$2 i
	"$EVE_CONTROLLER" serve --dir "$dir" >>"$dir/serve.log" 2>&1 &
	echo $! >"$dir/serve.pid"
	for ((i = 0; i < 300; i++)); do
		curl -s -o /dev/null --max-time 2 --cacert "$dir/certs/root-certificate.pem" \
			"https://$addr/api/v2/edgedevice/ping" && return 0
		kill -0 "$(cat "$dir/serve.pid")" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# wait_for SECONDS WHAT CMD...: poll CMD every 0.2 s.
wait_for() {
	local end=$(($(date +%s) + $1)) what=$2
	shift 2
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$end" ] || fail "timed out: $what"
		sleep 0.2
	done
}

command -v haproxy >/dev/null 2>&1 || test_skip "haproxy not installed"
command -v jq >/dev/null 2>&1 || test_skip "jq not installed"
pg_start $((PORT + 10000)) || test_skip "PostgreSQL 15 not started: $PG_ERROR"
# as the docs say: a role of its own owning the database, no superuser
pg_psql "CREATE ROLE eve LOGIN" && pg_psql "CREATE DATABASE eve OWNER eve" || fail "role and database"
STORE_URL="postgresql://eve@127.0.0.1:$PG_PORT/eve"

# ---- the replicas: A from init, B a copy of A
# --listen: HAProxy's port goes into device-config/server
"$EVE_CONTROLLER" init --dir "$A" --listen "$ADDR_A:$PORT" --host "$FRONT,localhost,$ADDR_A,$ADDR_B,$ADDR_C" \
	--store "$STORE_URL" >"$W/init.out" 2>&1 || {
	cat "$W/init.out" >&2
	fail "init --store"
}
[ "$(cat "$A/device-config/server")" = "$FRONT:$PORT" ] || fail "device-config/server is not HAProxy's address"
# controller.conf: examples/controller-replica.conf with this test's addresses
sed -e "s|^listen=.*|listen=$RA|" -e "s|^public_port=.*|public_port=$PORT|" \
	-e "s|^host=.*|host=$FRONT,localhost,$ADDR_A,$ADDR_B,$ADDR_C|" \
	-e "s|^store=.*|store=$STORE_URL|" -e "s|^console.dispatcher=.*|console.dispatcher=$RA|" \
	"$SRC/examples/controller-replica.conf" >"$A/controller.conf" || fail "controller.conf from the example"
grep -q "^console.dispatcher=$RA\$" "$A/controller.conf" || fail "no console.dispatcher in the example"
for d in "$B:$RB" "$C:$RC"; do
	cp -a "$A" "${d%%:*}" || fail "copy A to ${d%%:*}"
	sed -i -e "s/^listen=.*/listen=${d#*:}/" -e "s/^console.dispatcher=.*/console.dispatcher=${d#*:}/" \
		"${d%%:*}/controller.conf"
	rm -rf "${d%%:*}/datastore" && ln -s "$A/datastore" "${d%%:*}/datastore" || fail "datastore link"
done
rep_start "$A" "$RA" || fail "replica A did not start"
rep_start "$B" "$RB" || fail "replica B did not start"
rep_start "$C" "$RC" || fail "replica C did not start"
sed -e "s/^\(    bind \).*/\1$FRONT:$PORT/" -e "s|ca-file [^ ]*|ca-file $A/certs/root-certificate.pem|" \
	-e "s/^\(    server r1 \).*/\1$RA/" -e "s/^\(    server r2 \).*/\1$RB/" \
	-e "s/^\(    server r3 \).*/\1$RC/" "$SRC/examples/haproxy-replicas.cfg" >"$W/haproxy.cfg"
haproxy_start_file "$W/haproxy.cfg" "$FRONT:$PORT" || fail "HAProxy: $HAPROXY_ERROR"
readyz() { curl -sf --max-time 5 --cacert "$A/certs/root-certificate.pem" "https://$1/readyz"; }
wait_for 60 "/readyz through HAProxy" readyz "$FRONT:$PORT"
readyz "$RA" >/dev/null || fail "replica A not ready"
readyz "$RB" >/dev/null || fail "replica B not ready"
readyz "$RC" >/dev/null || fail "replica C not ready"
ev "$RA" status >/dev/null || fail "evectl status on replica A"
ev "$RB" status >/dev/null || fail "evectl status on replica B"

# fanout NAME DIR POLLED ADMIN PREFIX: eve-devsim devices poll replica
# POLLED (its directory DIR) while devsim deploys an app to them through
# replica ADMIN; every device must have the new config within 2 s of
# ADMIN's acknowledgement.
fanout() {
	local name=$1 dir=$2 polled=$3 admin=$4 prefix=$5 out="$W/fanout-$5.out" line lat
	"$EVE_DEVSIM" --dir "$A" --connect-to "::$polled" --admin-connect-to "::$admin" \
		--pid "$(cat "$dir/serve.pid")" --serial-prefix "$prefix" --devices 10 --connections 4 --compress 240 \
		--timeout 10 --crypto-seconds 0.05 fanout >"$out" 2>&1 || {
		cat "$out" >&2
		fail "eve-devsim fanout ($name) exited $?"
	}
	grep -q '=> .* 10 of 10 devices have a UUID' "$out" || { cat "$out" >&2; fail "onboarding ($name)"; }
	line=$(grep '=> admin POST /apps took' "$out") || { cat "$out" >&2; fail "no fan-out figures ($name)"; }
	lat=$(sed -n 's/.*all by [0-9.]* s (\([0-9.-]*\) s after the acknowledgement).*/\1/p' <<<"$line")
	[ -n "$lat" ] || { cat "$out" >&2; fail "not every device got the app ($name)"; }
	echo "propagation $name: $line"
	echo "propagation $name: every device had the new config ${lat} s after the change was acknowledged"
	awk -v l="$lat" 'BEGIN { exit !(l <= 2.0) }' || fail "propagation $name took ${lat} s (more than 2 s)"
}

# ---- 1a. propagation to devsim devices polling B; the change through A
fanout "A -> B" "$B" "$RB" "$RA" pr

# ---- 1b. a real eve-agent on B; a config item set through A
mkdir -p "$W/agent.conf" "$W/agent.state"
cp "$A"/device-config/* "$W/agent.conf/"
echo "$RB" >"$W/agent.conf/server"
printf 'timer.config.interval=1\ntimer.metric.interval=3\n' >"$W/agent.conf/config-items"
"$EVE_AGENT" --config "$W/agent.conf" --state "$W/agent.state" --serial cl-agent -v >"$W/agent.log" 2>&1 &
AGENT_PID=$!
wait_for 60 "the agent onboards through replica B" grep -q "onboarded: device UUID" "$W/agent.log"
wait_for 30 "replica A lists the agent's device" ev "$RA" device get cl-agent
wait_for 30 "the agent runs its first config" grep -q "config: applied" "$W/agent.log"
t0=$(now_s)
ev "$RA" device config set cl-agent timer.metric.interval=7 >/dev/null || fail "evectl device config set through A"
wait_for 60 "the agent on B applies the item set through A" grep -q "config: timer.metric.interval = 7 s" "$W/agent.log"
echo "propagation A -> B: the eve-agent polling B (every 1 s) applied the item $(elapsed "$t0") s after A acknowledged it"
# what B saw of the agent (last_seen, written in the background) shows on A
agent_online_on_a() { [ "$(ev "$RA" -o json device get cl-agent | jq -r .state)" = online ]; }
wait_for 60 "replica A (the agent never reaches it) shows the agent online" agent_online_on_a

# ---- 1c. the shared datastore: an image uploaded through A, downloaded from B
head -c 300000 /dev/urandom >"$W/img.raw"
sha=$(sha256sum "$W/img.raw" | cut -c1-64)
ev "$RA" image upload shared "$W/img.raw" --format raw >/dev/null || fail "image upload through A"
got=$(curl -sf --cacert "$A/certs/root-certificate.pem" "https://$RB/datastore/sha256/$sha" | sha256sum | cut -c1-64)
[ "$got" = "$sha" ] || fail "replica B does not serve the image uploaded through A"
echo "datastore: an image uploaded through A is downloaded from B"
# one config whichever replica builds it: the image's URL is HAProxy's
# (public_port), not the replica's own
ev "$RA" app deploy shared-app --image shared --device pr-000000 >/dev/null || fail "app deploy through A"
ev "$RA" device config dump pr-000000 >"$W/cfg.a" || fail "config dump on A"
ev "$RB" device config dump pr-000000 >"$W/cfg.b" || fail "config dump on B"
cmp -s "$W/cfg.a" "$W/cfg.b" || fail "A and B build different configs for one device: $(diff "$W/cfg.a" "$W/cfg.b" | head -5)"
grep -q "https://$FRONT:$PORT" "$W/cfg.a" || fail "the image URL in the config is not HAProxy's: $(grep -m3 fqdn "$W/cfg.a")"
echo "config: replicas A and B build the same config for a device (the image at https://$FRONT:$PORT)"

# ---- 1d. onboarding certificates: one added through A is used on B; once
# removed through A, B refuses it (403) at once: B keeps the list in memory,
# and the cache bus tells it, well before its own 10 s bound
mkdir -p "$W/ob2"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=ob2 -days 2 \
	-keyout "$W/ob2/onboard.key.pem" -out "$W/ob2/onboard.cert.pem" 2>/dev/null || fail "openssl: an onboarding certificate"
cp "$A/device-config/server" "$A/device-config/root-certificate.pem" "$W/ob2/" || fail "device-config for ob2"
ob2=$(ev "$RA" -o json onboard add --cert "$W/ob2/onboard.cert.pem" --serial '*' | jq -r .id)
[ -n "$ob2" ] && [ "$ob2" != null ] || fail "evectl onboard add through A"
t_load=$(now_s)
# devsim adds its onboarding certificate itself: through A here (a 409)
"$EVE_DEVSIM" --dir "$A" --connect-to "::$RB" --admin-connect-to "::$RA" --pid "$(cat "$B/serve.pid")" \
	--onboard-dir "$W/ob2" --serial-prefix ob2a --devices 2 --connections 2 --duration 0.5 --timeout 10 \
	--crypto-seconds 0.05 poll >"$W/ob2a.out" 2>&1
grep -q '=> .* 2 of 2 devices have a UUID' "$W/ob2a.out" || { cat "$W/ob2a.out" >&2; fail "devices register on B with a certificate added through A"; }
ev "$RA" onboard remove "$ob2" >/dev/null || fail "evectl onboard remove through A"
# a real eve-agent with that certificate, on B
refused_on_b() { grep 'msg="request failed"' "$B/serve.log" | grep 'path=[^ ]*/register ' | grep -c 'status=403'; }
refused_before=$(refused_on_b)
mkdir -p "$W/ob2.conf" "$W/ob2.state"
cp "$A"/device-config/* "$W/ob2.conf/" && cp "$W"/ob2/onboard.*.pem "$W/ob2.conf/" || fail "the agent's device-config"
echo "$RB" >"$W/ob2.conf/server"
"$EVE_AGENT" --config "$W/ob2.conf" --state "$W/ob2.state" --serial ob2-agent -v >"$W/ob2-agent.log" 2>&1 &
OB2_AGENT_PID=$!
more_refused() { [ "$(refused_on_b)" -gt "$refused_before" ]; }
wait_for 30 "B refuses the agent's registration (403)" more_refused
since=$(elapsed "$t_load")
kill "$OB2_AGENT_PID" 2>/dev/null
wait "$OB2_AGENT_PID" 2>/dev/null
OB2_AGENT_PID=
! grep -q 'onboarded: device UUID' "$W/ob2-agent.log" || fail "B registered an agent with an onboarding certificate removed through A"
if awk -v s="$since" 'BEGIN { exit !(s < 9) }'; then
	echo "onboarding: a certificate removed through A is refused by B at once (${since} s after B read the list)"
else
	echo "onboarding: refused by B, but ${since} s after B read the list: too late to tell the cache bus from the 10 s bound"
fi

# ---- 2. failover under load through HAProxy: A killed half-way
CONNS=8
DUR=20
"$EVE_DEVSIM" --dir "$A" --connect-to "::$FRONT:$PORT" --pid "$(cat "$B/serve.pid")" --serial-prefix fo \
	--devices 20 --connections $CONNS --compress 60 --duration $DUR --log-entries 5 --timeout 10 \
	--crypto-seconds 0.05 reports >"$W/reports.out" 2>&1 &
DEVSIM_PID=$!
wait_for 120 "devsim's reports phase starts" grep -q '^== reports:' "$W/reports.out"
sleep $((DUR / 2))
# A hangs for a second (requests sent to it stay in flight), then dies
kill -STOP "$(cat "$A/serve.pid")"
sleep 1
kill_s=$(date +%s)
kill -KILL "$(cat "$A/serve.pid")"
wait "$(cat "$A/serve.pid")" 2>/dev/null
rm -f "$A/serve.pid"
echo "failover: replica A stopped (SIGSTOP) $((DUR / 2)) s into the reports, killed (-9) 1 s later at $(date -u +%T)"
wait "$DEVSIM_PID"
rc=$?
DEVSIM_PID=
cat "$W/reports.out"
[ "$rc" = 0 ] || fail "eve-devsim reports exited $rc"
grep -q '=> .* 20 of 20 devices have a UUID' "$W/reports.out" || fail "onboarding through HAProxy"
sum=$(grep '=> acknowledged (2xx):' "$W/reports.out") || fail "no acknowledged counts"
read -r ack_info ack_metrics ack_logs ack_lines resent unacked < <(sed -E \
	's/.*info ([0-9]+), metrics ([0-9]+), newlogs ([0-9]+) \(([0-9]+) lines\); failed attempts sent again ([0-9]+); not acknowledged at the end ([0-9]+).*/\1 \2 \3 \4 \5 \6/' <<<"$sum")
[ -n "$unacked" ] || fail "cannot read: $sum"
# failed requests of every kind (config polls too): those in flight when A died
errors=$(sed -n '/^== reports:/,$p' "$W/reports.out" | awk '/ req in .* errors [0-9]+/ { for (i = 1; i < NF; i++) if ($i == "errors") n += $(i + 1) } END { print n + 0 }')
echo "failover: $errors request(s) failed (at most $CONNS may: one in flight per connection), $resent report(s) sent again, $unacked not acknowledged at the end"
[ "$unacked" = 0 ] || fail "$unacked report(s) never acknowledged"
[ "$errors" -le $CONNS ] || fail "$errors requests failed: more than the $CONNS that can be in flight when a replica dies"
[ "$ack_metrics" -gt 0 ] && [ "$ack_info" -gt 0 ] && [ "$ack_logs" -gt 0 ] || fail "a kind of report was never acknowledged"

fo="JOIN devices d ON d.id = x.device_id WHERE d.serial LIKE 'fo-%'"
st_metrics=$(eve_psql "SELECT count(*) FROM metrics x $fo") || fail "psql"
st_info=$(eve_psql "SELECT count(*) FROM info x $fo") || fail "psql"
st_lines=$(eve_psql "SELECT coalesce(sum(x.n), 0) FROM log_chunks x $fo") || fail "psql"
after=$(eve_psql "SELECT count(*) FROM metrics x $fo AND x.time > $kill_s + 5") || fail "psql"
# a request in flight when A died may have been stored without its answer
# (devsim, or curl on a dead keep-alive connection, sent it again)
slack=$((resent + CONNS))
check_kind() { # NAME ACKED STORED PER-REPORT
	echo "failover: $1: $2 acknowledged, $3 stored in PostgreSQL"
	[ "$3" -ge "$2" ] || fail "$1: $(($2 - $3)) acknowledged but not stored"
	[ "$3" -le $(($2 + slack * $4)) ] || fail "$1: $3 stored, more than the $2 acknowledged and the $slack unanswered"
}
check_kind metrics "$ack_metrics" "$st_metrics" 1
check_kind info "$ack_info" "$st_info" 1
check_kind "log lines" "$ack_lines" "$st_lines" 5
[ "$after" -gt 0 ] || fail "no metrics stored after A died: the devices stopped"
echo "failover: $after metrics records stamped more than 5 s after the kill (through replica B)"
grep -q 'r1 is DOWN' "$HAPROXY_DIR/haproxy.log" || fail "HAProxy did not mark replica A down"
for d in "$B" "$C"; do
	if grep 'status=5' "$d/serve.log" >&2; then fail "replica ${d##*/} answered server errors"; fi
	if grep 'statement prepare failed' "$d/serve.log" >&2; then fail "SQL PostgreSQL does not take"; fi
	kill -0 "$(cat "$d/serve.pid")" || fail "replica ${d##*/} died"
done
ev "$FRONT:$PORT" status >/dev/null || fail "evectl status through HAProxy after the failover"

# ---- 3. rejoin: A starts again on its directory; HAProxy takes it back
rep_start "$A" "$RA" || fail "replica A did not start again"
wait_for 30 "HAProxy takes replica A back" grep -q 'r1 is UP' "$HAPROXY_DIR/haproxy.log"
echo "rejoin: replica A serves again and HAProxy sends it connections"
# 3a. it hears the others: an app deployed through C, devices polling A
fanout "C -> A (rejoined)" "$A" "$RA" "$RC" rj

# 3b. logs -f on A of a device that sends its logs through C. The follow
# starts at a time before the device exists: without `since` it would start
# after the newest stored line, and miss any upload C stored before A listed
# the device (a loaded machine: soak run of 2026-12-05).
lf_since=$(($(date +%s) - 2))
"$EVE_DEVSIM" --dir "$A" --connect-to "::$RC" --pid "$(cat "$C/serve.pid")" --serial-prefix lf --devices 1 \
	--connections 1 --compress 60 --duration 6 --log-entries 5 --timeout 10 --crypto-seconds 0.05 \
	reports >"$W/lf.out" 2>&1 &
DEVSIM_PID=$!
wait_for 60 "replica A lists the device sending logs through C" ev "$RA" device get lf-000000
curl -sN --cacert "$A/certs/root-certificate.pem" -H "Authorization: Bearer $(cat "$A/admin-token")" \
	"https://$RA/api/v1/devices/lf-000000/logs?follow=1&since=$lf_since" >"$W/follow.out" 2>"$W/follow.err" &
FOLLOW_PID=$!
wait "$DEVSIM_PID" || { cat "$W/lf.out" >&2; fail "eve-devsim reports (logs through C) exited $?"; }
DEVSIM_PID=
t0=$(now_s)
lines=$(eve_psql "SELECT coalesce(sum(x.n), 0) FROM log_chunks x JOIN devices d ON d.id = x.device_id
	WHERE d.serial = 'lf-000000'") || fail "psql"
[ "$lines" -gt 0 ] || fail "no log lines stored through C"
followed() { [ "$(grep -c . "$W/follow.out")" -ge "$lines" ]; }
wait_for 10 "logs -f on A shows the $lines lines stored through C" followed
lag=$(elapsed "$t0")
echo "logs -f: a follower on A had the $lines lines stored through C ${lag} s after the device's last upload was acknowledged"
awk -v l="$lag" 'BEGIN { exit !(l <= 2.0) }' || fail "logs -f on A lagged ${lag} s behind C (more than 2 s)"
kill "$FOLLOW_PID" 2>/dev/null
wait "$FOLLOW_PID" 2>/dev/null
FOLLOW_PID=

# 3c. a replay: a signed report accepted by B, sent again to C and to A
"$EVE_DEVSIM" --dir "$A" --connect-to "::$RB" --pid "$(cat "$B/serve.pid")" --serial-prefix rp --devices 1 \
	--connections 1 --timeout 10 --crypto-seconds 0.05 --out-dir "$W/sealed" seal >"$W/seal.out" 2>&1 || {
	cat "$W/seal.out" >&2
	fail "eve-devsim seal exited $?"
}
uuid=$(cat "$W/sealed/rp-000000.uuid") || fail "devsim wrote no UUID"
post() { # REPLICA KIND: the sealed request's status
	curl -s -o /dev/null -w '%{http_code}' --cacert "$A/certs/root-certificate.pem" \
		-H 'Content-Type: application/x-proto-binary' --data-binary "@$W/sealed/rp-000000.$2" \
		"https://$1/api/v2/edgedevice/id/$uuid/$2"
}
for kind in metrics info; do
	first=$(post "$RB" $kind)
	[ "$first" = 201 ] || fail "$kind to B: $first"
	again_c=$(post "$RC" $kind)
	again_a=$(post "$RA" $kind)
	[ "$again_c" = "$first" ] && [ "$again_a" = "$first" ] ||
		fail "$kind replayed: C answered $again_c, A $again_a (B: $first)"
	n=$(eve_psql "SELECT count(*) FROM $kind x JOIN devices d ON d.id = x.device_id WHERE d.serial = 'rp-000000'") ||
		fail "psql"
	[ "$n" = 1 ] || fail "$kind sent to B and replayed to C and A: $n rows stored"
done
grep -q 'a replay of a request already accepted' "$C/serve.log" || fail "C did not note the replay"
grep -q 'a replay of a request already accepted' "$A/serve.log" || fail "A did not note the replay"
echo "replay: metrics and info accepted by B (201) and sent again to C and A: the same status, stored once"

# ---- 4. remote consoles across replicas
# api REPLICA METHOD PATH [JSON]: the body on stdout, the status in $W/status
api() {
	local data=()
	[ $# -ge 4 ] && data=(-H 'Content-Type: application/json' --data "$4")
	curl -s -o "$W/api.out" -w '%{http_code}' --cacert "$A/certs/root-certificate.pem" \
		-H "Authorization: Bearer $(cat "$A/admin-token")" -X "$2" "${data[@]}" "https://$1/api/v1$3" >"$W/status"
	cat "$W/api.out"
}
status_is() { [ "$(cat "$W/status")" = "$1" ] || fail "$2: status $(cat "$W/status"): $(cat "$W/api.out")"; }
token_via() { ev "$1" -o json device config dump cs-agent | jq -r '.edgeview.token // ""'; }
token_dep() { cut -d. -f2 <<<"$1" | tr '_-' '/+' | python3 -c 'import base64, sys; s = sys.stdin.read().strip(); print(base64.b64decode(s + "=" * (-len(s) % 4)).decode())' | jq -r .dep; }
dispatcher_conns() { grep -c "edgeview: connected to the dispatcher $1\"" "$W/cs.log"; }
tunnel_to() { [ "$(dispatcher_conns "$1")" -ge 1 ]; }
mkdir -p "$W/cs.conf" "$W/cs.state"
cp "$A"/device-config/* "$W/cs.conf/"
printf 'timer.config.interval=1\n' >"$W/cs.conf/config-items"
"$EVE_AGENT" --config "$W/cs.conf" --state "$W/cs.state" --serial cs-agent --libvirt test:///default -v \
	>"$W/cs.log" 2>&1 &
CS_PID=$!
wait_for 60 "the console agent onboards through HAProxy" grep -q "onboarded: device UUID" "$W/cs.log"
ev "$RA" app deploy cs-app --image shared --device cs-agent --memory 64M >/dev/null || fail "app deploy cs-app"

s1=$(api "$RB" POST /apps/cs-app/console-sessions '{"kind":"console","ttl":300}' | jq -r .id)
status_is 201 "a session created on B"
[ "$(jq -r .dispatcher "$W/api.out")" = "$RB" ] || fail "a session created on B is not held by B: $(cat "$W/api.out")"
has_token() { [ -n "$(token_via "$1")" ]; }
wait_for 10 "the token in the config built by C" has_token "$RC"
tok=$(token_via "$RB")
[ "$(token_via "$RA")" = "$tok" ] && [ "$(token_via "$RC")" = "$tok" ] || fail "replicas give the device different tokens"
[ "$(token_dep "$tok")" = "$RB" ] || fail "the token's dispatcher is $(token_dep "$tok"), not B's $RB"
wait_for 30 "the agent's tunnel to B" tunnel_to "$RB"
echo "consoles: a session created on B: the same token from A, B and C names B's dispatcher; the agent's tunnel goes to B"

s2=$(api "$RC" POST /apps/cs-app/console-sessions '{"kind":"port","port":80,"ttl":300}' | jq -r .id)
status_is 201 "a session created on C"
[ "$(jq -r .dispatcher "$W/api.out")" = "$RB" ] || fail "a session for B's device created on C is not B's: $(cat "$W/api.out")"
[ "$(jq -r .connect_url "$W/api.out")" = "https://$RB/api/v1/console-sessions/$s2/connect" ] ||
	fail "connect_url: $(jq -r .connect_url "$W/api.out")"
[ "$(api "$RA" GET "/console-sessions/$s2" | jq -r .state)" = waiting ] || fail "A: $(cat "$W/api.out")"
n=$(api "$RA" GET /console-sessions | jq --arg a "$s1" --arg b "$s2" '[.items[] | select(.id == $a or .id == $b)] | length')
[ "$n" = 2 ] || fail "A lists $n of the 2 sessions: $(cat "$W/api.out")"
echo "consoles: a session created on C for that device is B's (connect_url), listed by A"
# a channel asked of C (not the holder) is relayed to B, and B's device answers
probe() { python3 "$SRC/tests/integration/console_probe.py" "$@"; }
refused() { sed -n 's/.*edgeview: channel [0-9]* (port of .*) refused: \(.*\)"$/\1/p' "$W/cs.log" | tail -1; }
out=$(probe "https://$RC/api/v1/console-sessions/$s2/connect" "$A/certs/root-certificate.pem" edgeview \
	"$(cat "$A/admin-token")") || fail "connect on C: $out"
why=$(refused)
[ -n "$why" ] || fail "the device was not asked for the channel relayed by C: $out"
[ "$(sed -n 2p <<<"$out")" = "ERR $why" ] || fail "connect on C: not the device's answer ($why): $out"
echo "consoles: a connect on C was relayed to B; the device answered through it: $why"
# a browser's ticket from C, its WebSocket reaching A: relayed to B too
tk=$(api "$RC" POST "/console-sessions/$s2/ticket" | jq -r .ticket)
status_is 201 "a ticket from C"
n_before=$(grep -c 'edgeview: channel .* refused' "$W/cs.log")
out=$(probe "https://$RA/edgeview/v1/ws/$tk" "$A/certs/root-certificate.pem" ws) || fail "WebSocket on A: $out"
[ "$(grep -c 'edgeview: channel .* refused' "$W/cs.log")" -gt "$n_before" ] || fail "the WebSocket on A did not reach the device: $out"
[ "$(sed -n 2p <<<"$out")" = "TEXT ERR $(refused)" ] || fail "WebSocket on A: not the device's answer: $out"
out=$(probe "https://$RB/edgeview/v1/ws/$tk" "$A/certs/root-certificate.pem" ws) && fail "a ticket used twice: $out"
grep -q " 401 " <<<"$out" || fail "a ticket used twice: $out"
echo "consoles: a ticket from C opened a WebSocket on A, relayed to B (the device's answer came back); used again on B: 401"

# evectl through HAProxy: whichever replica creates it, the channel goes to B
# and the device answers (libvirt's test driver has no console to open)
ev "$FRONT:$PORT" app console cs-app </dev/null >"$W/console.out" 2>"$W/console.err" &&
	fail "evectl app console succeeded on libvirt's test driver"
why=$(sed -n 's/.*edgeview: channel [0-9]* (console of .*) refused: \(.*\)"$/\1/p' "$W/cs.log" | tail -1)
[ -n "$why" ] || fail "the device was not asked for a channel: $(cat "$W/console.err")"
grep -qF "$why" "$W/console.err" || fail "evectl did not get the device's answer ($why): $(cat "$W/console.err")"
echo "consoles: evectl through HAProxy reached the device through B's dispatcher; the device's answer: $why"

api "$RA" DELETE "/console-sessions/$s2" >/dev/null
status_is 200 "DELETE on A of a session B holds"
ended_on_b() { [ "$(api "$RB" GET "/console-sessions/$s2" | jq -r .state)" = ended ]; }
wait_for 5 "B ends the session deleted on A" ended_on_b
[ "$(jq -r .end_reason "$W/api.out")" = "closed by the operator" ] || fail "end reason: $(cat "$W/api.out")"
api "$RC" DELETE "/console-sessions/$s1" >/dev/null
status_is 200 "DELETE on C of a session B holds"
no_token() { [ -z "$(token_via "$1")" ]; }
wait_for 10 "the token leaves the config built by A" no_token "$RA"
wait_for 10 "the token leaves the config built by C" no_token "$RC"
grep -q "console session.*session=$s2" "$B/serve.log" || fail "B did not record session $s2 (its log)"
echo "consoles: DELETE on A and C ended sessions B holds; no replica gives the token any more"

# the holder dies: another replica takes the device over
s3=$(api "$RC" POST /apps/cs-app/console-sessions '{"kind":"console","ttl":300}' | jq -r .id)
status_is 201 "a session created on C"
[ "$(jq -r .dispatcher "$W/api.out")" = "$RC" ] || fail "a session created on C is not C's: $(cat "$W/api.out")"
wait_for 30 "the agent's tunnel to C" tunnel_to "$RC"
before=$(dispatcher_conns "$RB")
kill -KILL "$(cat "$C/serve.pid")"
wait "$(cat "$C/serve.pid")" 2>/dev/null
rm -f "$C/serve.pid"
t0=$(now_s)
taken() { [ "$(api "$RB" POST /apps/cs-app/console-sessions '{"kind":"console","ttl":300}' | jq -r .dispatcher)" = "$RB" ]; }
wait_for 30 "B takes over the device of the killed C" taken
echo "consoles: C killed; B took the device's sessions over $(elapsed "$t0") s later"
[ "$(api "$RA" GET "/console-sessions/$s3" | jq -r .end_reason)" = "its replica stopped" ] ||
	fail "the killed replica's session: $(cat "$W/api.out")"
more_b() { [ "$(dispatcher_conns "$RB")" -gt "$before" ]; }
wait_for 30 "the agent's tunnel back to B" more_b
echo "consoles: the killed replica's session ended (its replica stopped); the agent's tunnel went to B"
kill -TERM "$CS_PID"
wait "$CS_PID" 2>/dev/null
CS_PID=

# ---- 5. a backup as docs/operations.md says: pg_dump while B serves, restored
# (eve-controller backup copies SQLite only, and says what to use instead)
out=$("$EVE_CONTROLLER" backup --dir "$B" "$W/backup" 2>&1) && fail "eve-controller backup of a PostgreSQL store succeeded"
echo "$out" | grep -q pg_dump || fail "eve-controller backup on PostgreSQL does not point at pg_dump: $out"
"$PG_BIN/pg_dump" --format=custom --file="$W/eve.dump" "$STORE_URL" || fail "pg_dump"
pg_psql "CREATE DATABASE eve_restored OWNER eve" || fail "create the database to restore into"
"$PG_BIN/pg_restore" --no-owner --dbname="postgresql://eve@127.0.0.1:$PG_PORT/eve_restored" "$W/eve.dump" ||
	fail "pg_restore"
restored=$("$PG_BIN/psql" -X -At "postgresql://eve@127.0.0.1:$PG_PORT/eve_restored" \
	-c "SELECT count(*) FROM metrics x $fo") || fail "psql on the restored database"
[ "$restored" = "$st_metrics" ] || fail "the restored database has $restored metrics of the devsim devices, not $st_metrics"
echo "backup: pg_dump of the live database restored with pg_restore ($restored metrics of the devsim devices)"
echo "ok: three replicas on PostgreSQL behind HAProxy: propagation, failover, rejoin, logs -f, replays and consoles across replicas"
