#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck disable=SC2015 # "a && b || fail" is meant
# eve-controller backup / restore with a real controller under load:
# eve-devsim devices post metrics and logs while `eve-controller backup`
# copies the live directory; the backup is restored into a fresh directory
# and a second controller serves it with the same devices, apps, images and
# reports as the snapshot. Refusals change nothing: a backup over an
# existing directory, a restore into a non-empty one, a tampered backup, and
# a database whose schema is newer than the controller.
# usage: dayops_backup.sh EVE-CONTROLLER EVE-DEVSIM PORT (uses PORT and PORT+1)
set -u
EVE_CONTROLLER=$1 devsim=$2 port=$3
export EVE_CONTROLLER
W=$(mktemp -d /tmp/dayops-backup.XXXXXX)
A=$W/a R=$W/restored B=$W/backup
DEVSIM_PID=

fail() {
	echo "dayops_backup: FAIL: $*" >&2
	for f in "$A/serve.log" "$R/serve.log" "$W/devsim.out"; do
		[ -s "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }
	done
	exit 1
}
cleanup() {
	[ -n "$DEVSIM_PID" ] && kill "$DEVSIM_PID" 2>/dev/null
	ctl_stop "$A" 2>/dev/null
	ctl_stop "$R" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
# shellcheck source=/dev/null
. "$(dirname "$0")/../lib/controller.sh"

count() { sqlite3 "$1/controller.db" "SELECT count(*) FROM $2"; }

ctl_init "$A" "$port" || fail "init"
ctl_start "$A" || fail "start"
ctl_api "$A" POST /images '{"name": "web", "format": "qcow2", "url": "https://images.example.org/web.qcow2",
	"sha256": "'"$(printf 'a%.0s' $(seq 64))"'", "size": 1024}' >/dev/null || fail "POST /images: $CTL_STATUS"
ctl_api "$A" POST /apps '{"name": "web", "image": "web", "selector": {"site": "nowhere"}, "memory_mb": 64}' \
	>/dev/null || fail "POST /apps: $CTL_STATUS"

echo "== backup while devsim devices post metrics and logs"
"$devsim" --dir "$A" --connect-to "::127.0.0.1:$port" --devices 30 --connections 4 \
	--duration 8 --crypto-seconds 0.05 ingest >"$W/devsim.out" 2>&1 &
DEVSIM_PID=$!
for _ in $(seq 1 200); do
	[ "$(count "$A" metrics 2>/dev/null || echo 0)" -gt 0 ] && break
	sleep 0.1
done
[ "$(count "$A" metrics)" -gt 0 ] || fail "devsim stored no metrics before the backup"
before_devices=$(count "$A" devices) before_metrics=$(count "$A" metrics)
"$EVE_CONTROLLER" backup --dir "$A" "$B" >"$W/backup.out" 2>&1 || fail "backup: $(cat "$W/backup.out")"
wait "$DEVSIM_PID" || fail "devsim exited $?"
DEVSIM_PID=
after_metrics=$(count "$A" metrics)
[ "$after_metrics" -gt "$(count "$B" metrics)" ] || fail "the load did not go on during the backup"
[ "$(count "$B" devices)" -ge "$before_devices" ] && [ "$(count "$B" metrics)" -ge "$before_metrics" ] ||
	fail "the backup lost rows acknowledged before it started"
[ "$(sqlite3 "$B/controller.db" 'PRAGMA integrity_check')" = ok ] || fail "backup database not intact"
for f in certs/root.key.pem certs/signing.key.pem certs/server.key.pem admin-token; do
	[ "$(stat -c %a "$B/$f")" = 600 ] || fail "$f is not 0600 in the backup"
done
[ "$(stat -c %a "$B")" = 700 ] || fail "the backup directory is not 0700"
echo "   ok: $(count "$B" devices) devices, $(count "$B" metrics) metrics, $(count "$B" logs) logs in the snapshot"

echo "== refusals change nothing"
"$EVE_CONTROLLER" backup --dir "$A" "$B" >/dev/null 2>&1 && fail "backup over an existing directory accepted"
mkdir -p "$W/notempty" && touch "$W/notempty/x"
"$EVE_CONTROLLER" restore --dir "$W/notempty" "$B" >/dev/null 2>&1 && fail "restore into a non-empty directory accepted"
cp -a "$B" "$W/tampered" && echo junk >>"$W/tampered/certs/root-certificate.pem"
"$EVE_CONTROLLER" restore --dir "$W/t" "$W/tampered" >"$W/t.out" 2>&1 && fail "tampered backup restored"
grep -q 'root-certificate.pem does not match' "$W/t.out" || fail "tampered backup: no reason given: $(cat "$W/t.out")"
[ -e "$W/t" ] && fail "a refused restore left $W/t"
ls -a "$W" | grep -q '^\.t\.' && fail "a refused restore left a temporary directory"

echo "== restore into a fresh directory and serve it"
"$EVE_CONTROLLER" restore --dir "$R" "$B" >"$W/restore.out" 2>&1 || fail "restore: $(cat "$W/restore.out")"
for t in devices apps images metrics logs info onboard tokens; do
	[ "$(count "$R" "$t")" = "$(count "$B" "$t")" ] || fail "restored $t: $(count "$R" "$t") rows, snapshot $(count "$B" "$t")"
done
cmp -s "$A/certs/root.key.pem" "$R/certs/root.key.pem" || fail "root key not restored"
sed -i "s/^listen=.*/listen=127.0.0.1:$((port + 1))/" "$R/controller.conf"
ctl_start "$R" || fail "the restored controller does not start"
n=$(ctl_api "$R" GET /devices | jq '.items | length') || fail "GET /devices on the restored controller"
[ "$n" = "$(count "$B" devices)" ] || fail "restored controller lists $n devices, snapshot $(count "$B" devices)"
ctl_api "$R" GET /apps/web >/dev/null || fail "app web missing after restore"
ctl_api "$R" GET /images/web >/dev/null || fail "image web missing after restore"
[ "$(ctl_token "$R")" = "$(ctl_token "$A")" ] || fail "admin token differs after restore"
echo "   ok: the restored controller serves $n devices, app web, image web"

echo "== a database newer than the controller is refused"
ctl_stop "$R"
sqlite3 "$R/controller.db" "PRAGMA user_version=999"
"$EVE_CONTROLLER" serve --dir "$R" >"$W/newer.out" 2>&1 && fail "serve accepted a newer schema"
grep -q 'schema version 999 is newer' "$W/newer.out" || fail "no reason for the newer schema: $(cat "$W/newer.out")"
[ "$(sqlite3 "$R/controller.db" 'PRAGMA user_version')" = 999 ] || fail "the refused database was changed"
echo "dayops_backup: PASS"
