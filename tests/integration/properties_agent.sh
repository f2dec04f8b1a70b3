#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runtime configuration properties (issue #32) with a real eve-agent, a
# real eve-controller and evectl: each property the agent honours changes
# its behaviour on a running device within one config interval, measured
# in what the controller records (metrics and info record times, uploaded
# log lines and their times, the size of the agent's log spool); a value
# of the wrong range is refused by evectl, and when forced through the
# admin API the device rejects it and reports why; a property the agent
# does not implement shows as unsupported in `evectl device config get`;
# a project's properties reach its device under the device's own.
. "$(dirname "$0")/agent_lib.sh"

if [ -z "${EVECTL:-}" ] || [ ! -x "${EVECTL:-}" ]; then
	[ "${CI:-}" = true ] && fail "evectl not built"
	echo "SKIP: evectl not built"
	exit 77
fi

controller_up 19600
export EVECTL_SERVER EVECTL_TOKEN EVECTL_CA
EVECTL_SERVER=$(ctl_url "$CTL")
EVECTL_TOKEN=$(ctl_token "$CTL")
EVECTL_CA=$CTL/certs/root-certificate.pem
unset EVECTL_CONTEXT
export HOME=$W/home XDG_CONFIG_HOME=$W/home/.config
mkdir -p "$HOME"

agent_confdir p1
agent_start p1
wait_for 60 "agent onboarded" log_has p1 "onboarded: device UUID"
U=$(agent_uuid p1)

# prop NAME FIELD: FIELD of property NAME in `evectl -o json device config get`.
prop() {
	"$EVECTL" -o json device config get "$U" 2>/dev/null |
		jq -r --arg n "$1" ".items[] | select(.name == \$n) | .$2"
}
prop_is() { [ "$(prop "$1" "$2")" = "$3" ]; }

# set_props K=V...: through evectl, then wait until the device applied them.
set_props() {
	local kv
	"$EVECTL" device config set "$U" "$@" >"$W/set.out" 2>"$W/set.err" ||
		fail "evectl device config set $*: $(cat "$W/set.err")"
	for kv in "$@"; do
		wait_for 30 "${kv%%=*} applied by the device" prop_is "${kv%%=*}" state applied
	done
}

# gaps_ms LIST: differences between consecutive numbers (one a line).
gaps() { awk 'NR > 1 { print $1 - p } { p = $1 }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : -1) }'; }

# --- evectl refuses a bad value at once, warns on a name EVE does not define.
"$EVECTL" device config set "$U" timer.config.interval=0 >/dev/null 2>"$W/e.err"
[ $? = 3 ] || fail "evectl accepted timer.config.interval=0 (want exit 3)"
grep -q "timer.config.interval: '0' is out of range 1..3600" "$W/e.err" || fail "message: $(cat "$W/e.err")"
"$EVECTL" device config set "$U" app.allow.vnc=maybe >/dev/null 2>"$W/e.err"
[ $? = 3 ] || fail "evectl accepted app.allow.vnc=maybe"
grep -q "is not a valid bool" "$W/e.err" || fail "message: $(cat "$W/e.err")"
prop_is timer.config.interval configured null || fail "a refused value reached the controller"
# The admin API refuses it too.
ctl_api "$CTL" PUT "/devices/$U/config-items" '{"timer.metric.interval": "x"}' >/dev/null &&
	fail "admin API accepted timer.metric.interval=x"
[ "${CTL_STATUS:-}" = 400 ] || fail "admin API: HTTP ${CTL_STATUS:-none}, want 400"
"$EVECTL" device config set "$U" made.up.name=1 >"$W/set.out" 2>"$W/e.err" || fail "unknown name refused"
grep -q "warning: made.up.name is not a property EVE defines" "$W/e.err" || fail "no warning: $(cat "$W/e.err")"
grep -q "timer.config.interval=" "$W/set.out" && fail "set printed items it did not set"
"$EVECTL" device config set "$U" timer.metric.interval=4 | grep -q "timer.metric.interval=4 (default 60, 1..3600)" ||
	fail "set does not show the default and range"

# --- log level: with the remote level at debug, every config poll's debug
# line is uploaded; that also gives the config poll times as the controller
# records them.
set_props debug.default.remote.loglevel=debug timer.config.interval=1
polls() {
	ctl_api "$CTL" GET "/devices/$U/logs?limit=1000" |
		jq -r '.items[] | select(.msg | test("config: unchanged")) | .time_ms' | sort -n
}
polls_after() { [ "$(polls | awk -v t="$1" '$1 > t' | wc -l)" -ge "$2" ]; }
t1=$(date +%s%3N)
wait_for 60 "8 config polls uploaded" polls_after "$t1" 8
m1=$(polls | awk -v t="$t1" '$1 > t' | gaps | median)
[ "$m1" -lt 1500 ] || fail "timer.config.interval=1: median poll gap $m1 ms"

# timer.config.interval=6: each poll waits 30..100% of it, so no two polls
# are less than 1.8 s apart.
set_props timer.config.interval=6
t2=$(date +%s%3N)
wait_for 90 "4 config polls uploaded" polls_after "$t2" 4
g=$(polls | awk -v t="$t2" '$1 > t' | gaps | sort -n | head -n1)
[ "$g" -ge 1800 ] || fail "timer.config.interval=6: polls $g ms apart"
echo "config poll gap: median $m1 ms at 1 s; shortest $g ms at 6 s"
set_props timer.config.interval=1

# --- timer.metric.interval: metrics record times at the controller.
metric_times() {
	ctl_api "$CTL" GET "/devices/$U/metrics?limit=50" | jq -r '.items[].time' |
		while read -r t; do date -d "$t" +%s; done | sort -n
}
metrics_after() { [ "$(metric_times | awk -v t="$1" '$1 > t' | wc -l)" -ge "$2" ]; }
set_props timer.metric.interval=1
t3=$(date +%s)
wait_for 60 "5 metrics at 1 s" metrics_after "$t3" 5
mm1=$(metric_times | awk -v t="$t3" '$1 > t' | gaps | median)
[ "$mm1" -le 1 ] || fail "timer.metric.interval=1: median gap $mm1 s"
set_props timer.metric.interval=5
t4=$(date +%s)
wait_for 60 "3 metrics at 5 s" metrics_after "$((t4 + 1))" 3
mm5=$(metric_times | awk -v t="$((t4 + 1))" '$1 > t' | gaps | sort -n | head -n1)
[ "$mm5" -ge 4 ] || fail "timer.metric.interval=5: metrics $mm5 s apart"
echo "metrics gap: median $mm1 s at 1 s; shortest $mm5 s at 5 s"

# --- timer.deviceinfo.interval: device info records (sent on change and
# at least every interval).
info_times() {
	ctl_api "$CTL" GET "/devices/$U/info?type=device&limit=50" | jq -r '.items[].time' |
		while read -r t; do date -d "$t" +%s; done | sort -n
}
info_after() { [ "$(info_times | awk -v t="$1" '$1 > t' | wc -l)" -ge "$2" ]; }
set_props timer.deviceinfo.interval=2
t5=$(date +%s)
wait_for 60 "4 device infos at 2 s" info_after "$((t5 + 1))" 4
mi=$(info_times | awk -v t="$((t5 + 1))" '$1 > t' | gaps | median)
[ "$mi" -le 3 ] || fail "timer.deviceinfo.interval=2: median gap $mi s"

# --- a bad value forced through the admin API: the device keeps the
# previous value, and reports the rejection.
ctl_api "$CTL" PUT "/devices/$U/config-items?force=1" '{"timer.metric.interval": "0"}' >/dev/null ||
	fail "forced PUT: ${CTL_STATUS:-}"
wait_for 30 "device rejects timer.metric.interval=0" prop_is timer.metric.interval state rejected
prop timer.metric.interval error | grep -q "'0' is out of range 1..3600: using 60" ||
	fail "rejection reason: $(prop timer.metric.interval error)"
wait_for 30 "rejection in the agent log" log_has p1 "bad config item value.*timer.metric.interval"
"$EVECTL" device config get "$U" | grep -E "^timer.metric.interval +rejected +60 " >/dev/null ||
	fail "table: $("$EVECTL" device config get "$U" | grep timer.metric.interval)"

# --- properties the app runtime applies are reported by the agent.
set_props app.allow.vnc=true timer.download.retry=30

# --- project-level properties (the device is in project "default"): they
# reach every device of the project, under the device's own items.
"$EVECTL" project config set default timer.boot.retry=0 >/dev/null 2>"$W/e.err"
[ $? = 3 ] || fail "evectl accepted a project's timer.boot.retry=0 (want exit 3)"
"$EVECTL" project config set default timer.boot.retry=120 >/dev/null || fail "project config set"
"$EVECTL" project config get default | grep -q "^timer.boot.retry=120 (default 600" ||
	fail "project config get: $("$EVECTL" project config get default)"
wait_for 30 "the project's timer.boot.retry applied" prop_is timer.boot.retry configured 120
wait_for 30 "the project's timer.boot.retry applied by the device" prop_is timer.boot.retry state applied
prop_is timer.boot.retry source project || fail "source: $(prop timer.boot.retry source), want project"
set_props timer.boot.retry=90
prop_is timer.boot.retry source device || fail "source: $(prop timer.boot.retry source), want device"
"$EVECTL" device config set "$U" timer.boot.retry- >/dev/null || fail "device config remove"
wait_for 30 "back to the project's value" prop_is timer.boot.retry configured 120
wait_for 30 "the project's value applied again" prop_is timer.boot.retry state applied
"$EVECTL" project config set default timer.boot.retry- >/dev/null || fail "project config remove"
ctl_api "$CTL" PUT "/projects/default/config-items" '{"timer.metric.interval": "x"}' >/dev/null &&
	fail "admin API accepted a project's timer.metric.interval=x"
[ "${CTL_STATUS:-}" = 400 ] || fail "admin API (project): HTTP ${CTL_STATUS:-none}, want 400"

# --- a property the agent does not implement, and a name EVE does not define.
"$EVECTL" device config set "$U" "debug.enable.ssh=ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA test" >/dev/null ||
	fail "set debug.enable.ssh"
wait_for 30 "debug.enable.ssh unsupported" prop_is debug.enable.ssh state unsupported
prop debug.enable.ssh error | grep -q "not supported by eve-agent" || fail "unsupported reason"
wait_for 30 "made.up.name unknown" prop_is made.up.name state unknown
"$EVECTL" device config get "$U" | grep -E "^debug.enable.ssh +unsupported" >/dev/null || fail "table lacks unsupported"
"$EVECTL" device config get "$U" | grep -E "^timer.gc.vdisk +default +- +3600 " >/dev/null ||
	fail "table lacks the default of an unset property"
"$EVECTL" device config get "$U" | grep -E "^newlog.gzipfiles.ondisk.maxmegabytes +default +2048 +2048 " >/dev/null ||
	fail "table lacks the reported value of an unset property"
# This agent runs with -v, which pins its own log level to debug: the
# device says so instead of claiming the configured level.
"$EVECTL" device config set "$U" debug.default.loglevel=warning >/dev/null || fail "set debug.default.loglevel"
wait_for 30 "debug.default.loglevel shown overridden by -v" prop_is debug.default.loglevel state rejected
prop debug.default.loglevel error | grep -q "runs with -v (verbose): debug is in force" ||
	fail "reason: $(prop debug.default.loglevel error)"
prop_is debug.default.loglevel value debug || fail "value: $(prop debug.default.loglevel value)"
"$EVECTL" device config set "$U" debug.default.loglevel- >/dev/null || fail "unset debug.default.loglevel"

# --- remote log level: once it is warning, no info/debug line of the agent
# made after the change is uploaded; a warning still is.
set_props debug.default.remote.loglevel=warning
t6=$(date +%s%3N)
sleep 3
ctl_api "$CTL" PUT "/devices/$U/config-items?force=1" '{"timer.deviceinfo.interval": "abc"}' >/dev/null ||
	fail "forced PUT"
warned() {
	ctl_api "$CTL" GET "/devices/$U/logs?limit=1000" |
		jq -e --argjson t "$t6" '[.items[] | select(.time_ms > $t and (.msg | test("timer.deviceinfo.interval")))] | length > 0' >/dev/null
}
wait_for 60 "warning uploaded after the level change" warned
low=$(ctl_api "$CTL" GET "/devices/$U/logs?limit=1000" |
	jq --argjson t "$((t6 + 1000))" '[.items[] | select(.time_ms > $t and .source == "eve-agent" and (.severity == "DEBUG" or .severity == "INFO"))] | length')
[ "$low" = 0 ] || fail "$low info/debug lines uploaded with remote level warning"
before=$(ctl_api "$CTL" GET "/devices/$U/logs?limit=1000" |
	jq --argjson t "$t6" '[.items[] | select(.time_ms < $t and .severity == "DEBUG")] | length')
[ "$before" -gt 0 ] || fail "no debug line uploaded before (the check above proves nothing)"
ctl_api "$CTL" PUT "/devices/$U/config-items" '{"timer.deviceinfo.interval": null}' >/dev/null || fail "PUT"

# --- network.fallback.any.eth: an agent whose only management port does
# not exist reaches the controller through any route while the property is
# enabled (its config dir), and loses it as soon as the controller disables
# it: its metrics stop arriving.
agent_confdir p2
printf 'nosuch0\n' >"$W/p2.conf/ports"
printf 'timer.config.interval=1\ntimer.metric.interval=1\nnetwork.fallback.any.eth=enabled\n' \
	>"$W/p2.conf/config-items"
agent_start p2
wait_for 60 "p2 onboarded through any route" log_has p2 "onboarded: device UUID"
log_has p2 "trying any route" || fail "p2 did not fall back to any route"
U2=$(agent_uuid p2)
p2_metrics() { ctl_api "$CTL" GET "/devices/$U2/metrics?limit=1000" | jq '.items | length'; }
p2_has_metrics() { [ "$(p2_metrics)" -ge 2 ]; }
wait_for 30 "p2 metrics" p2_has_metrics
"$EVECTL" device config set "$U2" network.fallback.any.eth=disabled >/dev/null || fail "set fallback on p2"
wait_for 30 "p2 applies network.fallback.any.eth=disabled" log_has p2 "fallback to any route disabled"
sleep 2
m_before=$(p2_metrics)
sleep 5
m_after=$(p2_metrics)
[ "$m_after" = "$m_before" ] || fail "p2 still reports after disabling the fallback ($m_before -> $m_after metrics)"
wait_for 30 "p2 unreachable" log_has p2 "controller unreachable"
agent_stop p2

# --- newlog.persist.quota.mb: the log spool's size. First at start: the
# quota comes from the checkpoint even while the controller is down.
set_props newlog.persist.quota.mb=3
agent_stop p1
controller_stop
for i in 1 2 3 4 5 6 7 8; do
	# Oldest names first; not gzip, so the controller refuses them (they stay).
	head -c $((1024 * 1024 - 4096)) /dev/urandom >"$W/p1.state/newlogs/000000000000000000${i}000000-dev.gz"
done
spool() { find "$W/p1.state/newlogs" -type f -name '*.gz' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'; }
spool_le() { [ "$(spool)" -le $(($1 * 1024 * 1024)) ]; }
[ "$(spool)" -gt $((7 * 1024 * 1024)) ] || fail "spool not filled"
agent_start p1
wait_for 30 "spool within 3 MB from the checkpoint at start" spool_le 3
# Then on a running device.
controller_start
wait_for 30 "device online again" prop_is newlog.persist.quota.mb state applied
[ "$(spool)" -gt $((1024 * 1024)) ] || fail "spool drained (the test of the next quota proves nothing)"
set_props newlog.persist.quota.mb=1
wait_for 60 "spool within 1 MB" spool_le 1
agent_running p1 || fail "agent died"
echo "PASS"
