#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Issue 18 against a real controller and a real eve-agent whose apps run on
# libvirt's built-in test driver (test:///default, no daemon): app wait
# after restart / purge waits for the new generation and fails fast on
# ERROR; update-os on an agent that cannot update says why; top columns;
# logs -f --limit (tail, then follow) with device/app/source on each line.
. "$(dirname "$0")/cli_lib.bash"
: "${EVE_AGENT:?}"
if ! "$EVE_AGENT" --help 2>&1 | grep -q libvirt || ! command -v virsh >/dev/null 2>&1; then
	[ "${CI:-}" = true ] && fail "eve-agent or libvirt clients missing"
	echo "SKIP: libvirt clients not installed"
	exit 77
fi
errtext() { grep -Eq -- "$1" "$ERR" || fail "stderr does not match /$1/"; }
jget() { "$EVECTL" -o json "$@" 2>/dev/null >"$WORK/j.out" && "$JSONQ" "${*: -1}" <"$WORK/j.out"; }
# wait_until SECONDS DESC CMD...
wait_until() {
	local end=$((SECONDS + $1)) d=$2
	shift 2
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -ge "$end" ] && fail "timed out: $d (agent log: $(tail -n 5 "$WORK/agent.log"))"
		sleep 0.5
	done
}

start_controller
expect 0 login --server "$SERVER" --ca "$CA" --token "$TOKEN"
mkdir -p "$WORK/a.conf" "$WORK/a.state"
cp "$CTL_DIR"/device-config/* "$WORK/a.conf/"
echo "timer.config.interval=2" >"$WORK/a.conf/config-items"
echo "timer.metric.interval=2" >>"$WORK/a.conf/config-items"
"$EVE_AGENT" --config "$WORK/a.conf" --state "$WORK/a.state" --serial ux-1 --libvirt test:///default -v \
	>"$WORK/agent.log" 2>&1 &
APID=$!
BG_PIDS="$BG_PIDS $APID"
dev_online() { [ "$("$EVECTL" -o json device get ux-1 2>/dev/null | "$JSONQ" .state)" = online ]; }
wait_until 60 "device ux-1 online" dev_online

# ---- update-os on an agent started without --update: the device says why
expect 0 device get ux-1
grep -q "^OS_RUNNING" "$OUT" || fail "device get shows the running OS"
has_note() { "$EVECTL" device get ux-1 | grep -q "OS_UPDATE_NOTE  cannot update: started without --update"; }
wait_until 30 "the device reports it cannot update" has_note
sha=$(printf 'os' | sha256sum | cut -d' ' -f1)
expect 0 image add os-9 --url https://images.invalid/os.img --sha256 "$sha" --format baseos --version 9.9
expect 0 device update-os ux-1 --image os-9
update_failed() { "$EVECTL" -o json device get ux-1 | "$JSONQ" .os_update.error | grep -q "base OS 9.9 requested, but this agent cannot update"; }
wait_until 30 "the device reports the update as impossible" update_failed
expect 0 device get ux-1
grep -q "^OS_REQUESTED  9.9 (image os-9)" "$OUT" || fail "device get shows the requested version"
grep -q "^OS_UPDATE  FAILED" "$OUT" || fail "device get shows the update state"
grep -q "^OS_UPDATE_ERROR  base OS 9.9 requested" "$OUT" || fail "device get shows the update error"

# ---- an app: RUNNING, then restart / purge wait for the new generation
head -c 200000 /dev/urandom >"$WORK/disk.img"
expect 0 image upload disk "$WORK/disk.img" --format raw
expect 0 app deploy v1 --image disk --device ux-1 --memory 64M
expect 0 app wait v1 --state RUNNING --timeout 90s
expect 0 -o json app get v1
g0=$(json .instances[0].generation)
want "$g0" "$(json .instances[0].reported_generation)" "reported generation once RUNNING"
for verb in restart purge stop start; do
	expect 0 app $verb v1
	expect 0 -o json app get v1
	g1=$(json .instances[0].generation)
	[ "$g1" != "$g0" ] || fail "$verb did not make a new generation"
	st=RUNNING
	[ $verb = stop ] && st=HALTED
	expect 0 app wait v1 --state $st --timeout 90s
	expect 0 -o json app get v1
	want "$g1" "$(json .instances[0].reported_generation)" "app wait after $verb returned on the new generation"
	want $st "$(json .instances[0].state)" "state after $verb"
	g0=$g1
done
# the generation is what the device itself reported (ZInfoApp.appVersion)
expect 0 -o json device info ux-1 --type app --limit 1
want "$g0" "$(json .items[0].info.ainfo.appVersion)" "appVersion of the device's last app report"
expect 0 device info ux-1 --type app --limit 5
grep -Eq "^[0-9T:-]+Z +app +[0-9a-f-]{36} +v1 +RUNNING" "$OUT" || fail "device info table: OBJECT, NAME and STATE"

# ---- apply -f with a changed env: the instances restart and the wait covers it
cat >"$WORK/m.json" <<JSON
{"acKind": "VMManifest", "name": "m1", "device": "ux-1", "images": [{"imagename": "disk"}],
 "resources": [{"name": "memory", "value": "64M"}], "env": {"A": "1"}}
JSON
expect 0 apply -f "$WORK/m.json"
expect 0 app wait m1 --state RUNNING --timeout 90s
sed 's/"A": "1"/"A": "2"/' "$WORK/m.json" >"$WORK/m2.json"
expect 0 apply -f "$WORK/m2.json"
grep -q "env changed: instances restarted" "$OUT" || fail "apply of a new env restarts"
expect 0 -o json app get m1
gm=$(json .instances[0].generation)
want 1 "$(json .instances[0].restart_counter)" "restart counter after the env change"
expect 0 app wait m1 --state RUNNING --timeout 90s
expect 0 -o json app get m1
want "$gm" "$(json .instances[0].reported_generation)" "the device acted on the changed manifest"
expect 0 app delete m1

# ---- ERROR ends the wait at once with the device's error (exit 3)
expect 0 app deploy bad --image disk --device ux-1 --kernel /boot/nope
t0=$SECONDS
expect 3 app wait bad --state RUNNING --timeout 100s
errtext "app/bad on ux-1 is ERROR: .+"
[ $((SECONDS - t0)) -lt 90 ] || fail "app wait on an ERROR instance ran to its timeout"
expect 0 app wait bad --state ERROR --timeout 30s

# ---- top: device and app columns with numbers
two_metrics() { [ "$("$EVECTL" -o json device metrics ux-1 --limit 2 | "$JSONQ" '.items|length')" = 2 ]; }
wait_until 60 "two metrics records" two_metrics
has_app_metrics() { "$EVECTL" -o json top ux-1 | "$JSONQ" '.apps|length' | grep -qv '^0$'; }
wait_until 60 "app metrics in top" has_app_metrics
expect 0 top ux-1
head -1 "$OUT" | grep -Eq '^DEVICE +CPU% +MEMORY +DISK +NET-RX +NET-TX$' || fail "top device columns"
grep -Eq '^ux-1 +[0-9.]+% +[0-9.]+[KMGT]?/[0-9.]+[KMGT] +[0-9.]+[KMGT]?/[0-9.]+[KMGT] +[0-9.]+[KMGTB]*/s' "$OUT" ||
	fail "top device row has CPU %, memory, disk and network"
grep -Eq '^APP +DEVICE +CPU% +MEMORY +DISK-IO +NET-RX +NET-TX$' "$OUT" || fail "top app columns"
grep -Eq '^v1 +ux-1 ' "$OUT" || fail "top lists app v1"
expect 0 device metrics ux-1 --limit 1
head -1 "$OUT" | grep -Eq '^TIME +CPU-TIME +MEMORY +DISK +NET-RX +NET-TX +APPS$' || fail "device metrics columns"
grep -q '{' "$OUT" && fail "device metrics table prints raw JSON"

# ---- logs: oldest first; --limit N with -f prints N, then follows
expect 0 device logs ux-1 --limit 20
grep -q "^[0-9T:-]*Z ux-1 - eve-agent INFO: " "$OUT" || fail "log lines show device, app and source"
cut -c1-20 "$OUT" | sort -c || fail "device logs are not oldest first"
"$EVECTL" -o json device logs ux-1 --limit 20 |
	jq -e '[.items[].time_ms] as $t | ($t | length) > 1 and $t == ($t | sort)' >/dev/null ||
	fail "device logs -o json are not oldest first"
expect 0 device logs ux-1 --limit 5 --source nosuchsource
[ -s "$OUT" ] && fail "--source filters lines"
"$EVECTL" device logs ux-1 -f --limit 3 >"$WORK/follow.out" 2>"$WORK/follow.err" &
fpid=$!
BG_PIDS="$BG_PIDS $fpid"
sleep 2
[ "$(wc -l <"$WORK/follow.out")" -ge 3 ] || fail "logs -f --limit 3 printed no tail: $(cat "$WORK/follow.err")"
n0=$(wc -l <"$WORK/follow.out")
expect 0 app restart v1 # the agent logs the config it applies
grow() { [ "$(wc -l <"$WORK/follow.out")" -gt "$n0" ]; }
wait_until 60 "logs -f printing new lines after the tail" grow
kill "$fpid"
head -3 "$WORK/follow.out" | cut -c1-20 | sort -c || fail "the tail is not oldest first"

# the agent and the controller stop cleanly (a sanitizer report would not)
kill -TERM "$APID"
wait "$APID"
want 0 $? "eve-agent exit status on SIGTERM"
ctl_stop "$CTL_DIR"
if grep -A40 -E "AddressSanitizer|LeakSanitizer|runtime error:" "$WORK/agent.log" "$CTL_DIR/serve.log" >&2; then
	fail "sanitizer report"
fi
echo "PASS"
