#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# evectl image upload (multi-MB, sha256 confirmed by the controller, no
# progress bar off a terminal), app commands, apply/delete -f idempotence.
. "$(dirname "$0")/cli_lib.bash"

start_controller
expect 0 login --server "$SERVER" --ca "$CA" --token "$TOKEN"
mkcert dev1
expect 0 device add edge-1 --cert "$WORK/dev1.pem" --serial SN1 -l site=factory-3

# ---- upload: 6 MiB of pseudo-random bytes
head -c $((6 * 1024 * 1024)) /dev/urandom >"$WORK/disk.img"
sha=$(sha256sum "$WORK/disk.img" | cut -d' ' -f1)
"$EVECTL" -o json image upload xenial-amd64-docker-20180725 "$WORK/disk.img" >"$OUT" 2>"$ERR" ||
	fail "image upload"
want "$sha" "$(json .sha256)" "uploaded sha256"
want ready "$(json .state)" "uploaded image state"
want $((6 * 1024 * 1024)) "$(json .size)" "uploaded size"
# stderr is a file here: no progress bar, no carriage returns
[ -s "$ERR" ] && fail "upload wrote to stderr off a terminal"
# the controller serves the same bytes back
curl -s --cacert "$CA" "$SERVER/datastore/sha256/$sha" | sha256sum | grep -q "$sha" ||
	fail "datastore returns the uploaded bytes"
# uploading the same file again is a no-op
expect 0 -q image upload xenial-amd64-docker-20180725 "$WORK/disk.img"
want xenial-amd64-docker-20180725 "$(cat "$OUT")" "re-upload -q"
# a different file under the same name is refused
head -c 1000 /dev/urandom >"$WORK/other.img"
expect 3 image upload xenial-amd64-docker-20180725 "$WORK/other.img"
expect 1 image upload x "$WORK/missing.img"
# on a terminal the bar is drawn on stderr (when script(1) is available)
if command -v script >/dev/null 2>&1; then
	script -qec "$EVECTL image upload tty-img $WORK/other.img" /dev/null >"$WORK/tty.out" 2>&1 ||
		fail "upload on a pty"
	grep -q "100%" "$WORK/tty.out" || fail "no progress bar on a terminal"
else
	# shellcheck source=/dev/null
	. "$EVE_SRC/tests/lib/skip.sh"
	test_not_run "the progress bar on a terminal: script(1) (util-linux) missing"
fi

# ---- app deploy and friends
expect 0 network create fwlan --device edge-1 --type local --subnet 10.9.0.0/24
# a port map needs a network (it maps to the app's address on it)
expect 1 app deploy web --image xenial-amd64-docker-20180725 --device edge-1 -p 8080:80
grep -q "needs --network" "$ERR" || fail "-p without --network: no clear error"
expect 0 -o json app deploy web --image xenial-amd64-docker-20180725 --device edge-1 --cpus 2 \
	--memory 512M --disk 1G -p 8080:80 -e A=1 --vnc --network fwlan
want web "$(json .name)" "app name"
want 512 "$(json .memory_mb)" "memory_mb"
want 1024 "$(json .disk_mb)" "disk_mb"
want 8080 "$(json .ports[0].host)" "port"
appid=$(json .id)
# the host port is the device's: another app mapping it is refused (409)
expect 3 app deploy web3 --image xenial-amd64-docker-20180725 --device edge-1 -p 8080:81 --network fwlan
grep -q "8080" "$ERR" || fail "taken host port: no reason given"
# eight deploys of one host port at once (on PostgreSQL their transactions
# run side by side): exactly one is stored, the others are refused
pids=()
for i in 1 2 3 4 5 6 7 8; do
	"$EVECTL" app deploy race$i --image xenial-amd64-docker-20180725 --device edge-1 -p 9090:80 \
		--network fwlan >/dev/null 2>"$WORK/race$i.err" &
	pids+=($!)
done
wait_all "${pids[@]}"
[ "$ok" = 1 ] && [ "$refused" = 7 ] || fail "8 deploys of host port 9090 at once: $ok stored, $refused refused"
grep -l "9090" "$WORK"/race*.err | wc -l | grep -qx 7 || fail "refused deploys do not name the port"
for i in 1 2 3 4 5 6 7 8; do [ -s "$WORK/race$i.err" ] || expect 0 app delete race$i; done
# --allow: one ACL entry per rule and network
expect 0 -o json app deploy fwallow --image xenial-amd64-docker-20180725 --device edge-1 --network fwlan \
	--allow host:example.org --allow ip:10.0.0.0/8 --allow tcp:443
want host "$(json .acls[0].matches[0].type)" "allow host: type"
want example.org "$(json .acls[0].matches[0].value)" "allow host: value"
want ip "$(json .acls[1].matches[0].type)" "allow ip: type"
want 10.0.0.0/8 "$(json .acls[1].matches[0].value)" "allow ip: value"
want tcp "$(json .acls[2].matches[0].value)" "allow tcp: protocol"
want 443 "$(json .acls[2].matches[1].value)" "allow tcp: port"
want fwlan "$(json .acls[0].network)" "allow: network"
expect 1 app deploy fwbad --image xenial-amd64-docker-20180725 --device edge-1 --allow ip:10.0.0.0/8
expect 1 app deploy fwbad --image xenial-amd64-docker-20180725 --device edge-1 --network fwlan --allow port:80
expect 3 app deploy fwbad --image xenial-amd64-docker-20180725 --device edge-1 --network fwlan --allow ip:10.0.0.0/33
expect 0 app delete fwallow
expect 3 app deploy web --image xenial-amd64-docker-20180725 --device edge-1
expect 1 app deploy web2 --image x --device edge-1 -p 80
expect 1 app deploy web2 --image x --device edge-1 --selector a=b
expect 0 app list
grep -q "^web " "$OUT" || fail "app list"
expect 0 -q app list
want "$appid" "$(cat "$OUT")" "app list -q"
expect 0 -o json app list --device edge-1
want 1 "$(json '.items|length')" "apps on edge-1"
expect 0 app get web
expect 0 -o json app get web
want 1 "$(json '.instances|length')" "one instance"
expect 2 app get nope
for verb in stop start restart purge; do
	expect 0 app $verb web
	expect 2 app $verb nope
done
expect 0 -o json app get web
want true "$(json .activate)" "activated after start"
expect 0 app logs web --since 10m
expect 2 app logs nope
# no agent reports here: the instance stays UNKNOWN
expect 0 app wait web --state UNKNOWN --timeout 30s
expect 5 app wait web --state RUNNING --timeout 2s
expect 2 app wait nope --state RUNNING --timeout 2s
# follow: the stream stays open until we hang up
"$EVECTL" app logs web -f >"$WORK/follow.out" 2>"$WORK/follow.err" &
fpid=$!
BG_PIDS="$BG_PIDS $fpid"
sleep 1
kill -0 "$fpid" 2>/dev/null || { cat "$WORK/follow.err" >&2; fail "app logs -f ended by itself"; }
kill "$fpid"
wait "$fpid" 2>/dev/null
expect 0 app delete web
expect 2 app delete web

# ---- apply -f / delete -f
cp "$EVE_SRC/examples/xenial2intf.json" "$WORK/m.json"
expect 0 network create indirect --device edge-1 --type local --subnet 10.1.0.0/24
expect 0 network create direct --device edge-1 --type local --subnet 10.2.0.0/24
expect 0 apply -f "$WORK/m.json"
grep -q "created" "$OUT" || fail "first apply creates"
expect 0 -o json device get edge-1
v1=$(json .config_version)
expect 0 apply -f "$WORK/m.json"
grep -q "unchanged" "$OUT" || fail "second apply changes nothing"
expect 0 -o json device get edge-1
want "$v1" "$(json .config_version)" "config version after re-apply"
expect 0 -o json app get xenial2intf
want 2 "$(json .cpus)" "cpus from manifest"
want 500 "$(json .memory_mb)" "memory from manifest (KiB)"
want true "$(json .vnc)" "vnc from manifest"
# a changed manifest is configured in place
sed 's/"value": 2}/"value": 1}/; s/"name": "cpus", "value": 2/"name": "cpus", "value": 1/' "$WORK/m.json" >"$WORK/m2.json"
expect 0 apply -f "$WORK/m2.json"
grep -q "configured" "$OUT" || fail "changed apply configures"
expect 0 -o json app get xenial2intf
want 1 "$(json .cpus)" "cpus after change"
# the selector example validates and deploys to the labelled device
expect 0 image upload nginx-alpine "$WORK/other.img"
expect 0 network create default --device edge-1 --type local --subnet 10.3.0.0/24
expect 0 apply -f "$EVE_SRC/examples/nginx-by-label.json"
expect 0 -o json app get nginx
want edge-1 "$(json .instances[0].device_name)" "selector placed on edge-1"
# broken manifests are refused before anything is sent
echo '{"name": "x"}' >"$WORK/bad.json"
expect 1 apply -f "$WORK/bad.json"
expect 1 apply -f "$WORK/missing.json"
expect 0 delete -f "$WORK/m.json"
expect 2 delete -f "$WORK/m.json"
expect 0 delete -f "$WORK/m.json" --ignore-not-found
expect 0 delete -f "$EVE_SRC/examples/nginx-by-label.json"

# the example script deploys by label; with no agent here nothing runs, so
# its final wait times out (5) after the app was created
EVECTL="$EVECTL" sh "$EVE_SRC/examples/deploy-to-label.sh" lbl nginx-alpine site=factory-3 2s \
	>"$OUT" 2>"$ERR"
want 5 $? "deploy-to-label.sh exit status"
expect 0 -o json app get lbl
want factory-3 "$(json .selector.site)" "deploy-to-label.sh selector"
echo "PASS"
