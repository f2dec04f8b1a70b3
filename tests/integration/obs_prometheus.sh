#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Observability end to end: a real eve-controller and a real eve-agent (apps
# on libvirt's in-process test driver, test:///default), scraped by Debian's
# prometheus with a config generated from examples/prometheus/prometheus.yml
# (token auth: metrics.allow is emptied). Asserts through Prometheus's HTTP
# API that the series exist and move: device requests increase, an app's
# state change (RUNNING -> HALTED) shows, a device that stops shows offline
# (metrics.offline_after=8). Also: promtool check metrics on /metrics and
# /metrics/fleet, promtool check rules on the example alert rules,
# /healthz and /readyz, 401 without the scrape token, and one JSON log line
# per failed request with no token text in it.
#
# Every query of the example Grafana dashboard is run against it too.
#
# Ports: 19510 (controller), 19511 (prometheus).
set -u
EVE_SRC=$(cd "$(dirname "$0")/../.." && pwd)
CTL_PORT=19510
PROM_PORT=19511

need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ "${CI:-}" = true ]; then
		echo "FAIL: $1 missing (CI has every package: scripts/install-deps)"
		exit 1
	fi
	echo "SKIP: $1 not installed (scripts/install-deps: METRICS_PKGS)"
	exit 77
}
need prometheus
need promtool
need jq
need curl

. "$EVE_TEST_DIR/integration/agent_lib.sh"

PROM_PID=""
obs_cleanup() {
	if [ -n "$PROM_PID" ]; then
		kill -TERM "$PROM_PID" 2>/dev/null && wait "$PROM_PID" 2>/dev/null
	fi
	agent_cleanup
}
trap obs_cleanup EXIT

step() { echo "== $*"; }

CURL=(curl -s --max-time 20 --cacert "$CTL/certs/root-certificate.pem")
URL="https://127.0.0.1:$CTL_PORT"

# ---------------------------------------------------------------- controller
step "controller on 127.0.0.1:$CTL_PORT: log.format=json, no allow-list, offline after 8 s"
ctl_init "$CTL" "$CTL_PORT" >/dev/null || fail "ctl_init"
[ -s "$CTL/metrics-token" ] || fail "init wrote no metrics-token"
[ "$(stat -c %a "$CTL/metrics-token")" = 600 ] || fail "metrics-token is not 0600"
sed -i -e 's/^log.format=.*/log.format=json/' -e 's/^metrics.allow=.*/metrics.allow=/' \
	-e 's/^metrics.offline_after=.*/metrics.offline_after=8/' "$CTL/controller.conf"
grep -q '^metrics.offline_after=8$' "$CTL/controller.conf" || fail "controller.conf has no metrics.offline_after"
controller_start
ctl_api "$CTL" POST /onboard "$(jq -n --rawfile c "$CTL/device-config/onboard.cert.pem" \
	'{cert: $c, serials: ["*"]}')" >/dev/null || [ "${CTL_STATUS:-}" = 409 ] || fail "POST /onboard"

TOKEN_HDR="Authorization: Bearer $(head -n1 "$CTL/metrics-token")"
[ "$("${CURL[@]}" "$URL/healthz")" = ok ] || fail "/healthz"
[ "$("${CURL[@]}" "$URL/readyz" | jq -r .status)" = ready ] || fail "/readyz: $("${CURL[@]}" "$URL/readyz")"
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$URL/metrics")
[ "$code" = 401 ] || fail "/metrics without the token (allow-list empty): $code, want 401"
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(ctl_token "$CTL")" "$URL/metrics")
[ "$code" = 401 ] || fail "/metrics with an admin token: $code (only the scrape token reads it)"
"${CURL[@]}" -H "$TOKEN_HDR" "$URL/metrics" >"$W/m0.prom" || fail "/metrics with the token"
grep -q '^eve_controller_devices{state="online"} 0$' "$W/m0.prom" || fail "no devices gauge"

# ---------------------------------------------------------------- agent
step "agent a1 (libvirt test:///default)"
agent_confdir a1
agent_start a1 --libvirt test:///default
wait_for 60 "a1 onboarded" log_has a1 "onboarded: device UUID"
grep -q '^ts=[0-9T:.-]*Z level=info prog=eve-agent msg=' "$W/a1.log" || fail "agent lines are not key=value"
ctl_api "$CTL" PUT "/devices/serial-a1/config-items" \
	'{"timer.config.interval": "2", "timer.metric.interval": "2"}' >/dev/null || fail "config-items"

# ---------------------------------------------------------------- prometheus
step "prometheus on 127.0.0.1:$PROM_PORT, config generated from the example"
cp "$CTL/metrics-token" "$W/prom-token"
sed -e "s#ctl.example.org:8443#127.0.0.1:$CTL_PORT#" \
	-e "s#/etc/prometheus/eve-ca.pem#$CTL/certs/root-certificate.pem#" \
	-e "s#/etc/prometheus/eve-metrics-token#$W/prom-token#" \
	-e "s#/etc/prometheus/eve-alerts.yml#$EVE_SRC/examples/prometheus/eve-alerts.yml#" \
	-e 's#\(scrape_interval\|evaluation_interval\|scrape_timeout\): [0-9]*s#\1: 1s#' \
	"$EVE_SRC/examples/prometheus/prometheus.yml" >"$W/prometheus.yml"
grep -q "127.0.0.1:$CTL_PORT" "$W/prometheus.yml" || fail "config not generated"
promtool check config "$W/prometheus.yml" >"$W/promtool-config.log" 2>&1 || {
	cat "$W/promtool-config.log"
	fail "promtool check config"
}
promtool check rules "$EVE_SRC/examples/prometheus/eve-alerts.yml" >"$W/promtool-rules.log" 2>&1 || {
	cat "$W/promtool-rules.log"
	fail "promtool check rules on examples/prometheus/eve-alerts.yml"
}
prometheus --config.file="$W/prometheus.yml" --storage.tsdb.path="$W/tsdb" \
	--web.listen-address="127.0.0.1:$PROM_PORT" >"$W/prometheus.log" 2>&1 &
PROM_PID=$!
PROM="http://127.0.0.1:$PROM_PORT"
wait_for 60 "prometheus ready" curl -sf -o /dev/null "$PROM/-/ready"

# q EXPR: the value of the first sample of an instant query ("" if none).
q() {
	curl -s --max-time 10 "$PROM/api/v1/query" --data-urlencode "query=$1" |
		jq -r '.data.result[0].value[1] // empty' 2>/dev/null
}
# q_is EXPR VALUE / q_ge EXPR N / q_gt EXPR N
q_is() { [ "$(q "$1")" = "$2" ]; }
q_ge() { local v; v=$(q "$1"); [ -n "$v" ] && awk -v a="$v" -v b="$2" 'BEGIN{exit !(a+0 >= b+0)}'; }
q_gt() { local v; v=$(q "$1"); [ -n "$v" ] && awk -v a="$v" -v b="$2" 'BEGIN{exit !(a+0 > b+0)}'; }

step "series exist"
wait_for 60 "controller target up" q_is 'up{job="eve-controller"}' 1
wait_for 60 "fleet target up" q_is 'up{job="eve-fleet"}' 1
wait_for 60 "a1 online in the fleet series" q_is 'eve_device_online{device="serial-a1"}' 1
wait_for 60 "controller counts a1 online" q_is 'eve_controller_devices{state="online"}' 1
wait_for 60 "a1's memory" q_gt 'eve_device_memory_used_bytes{device="serial-a1"}' 0
wait_for 60 "a1's disk" q_gt 'eve_device_disk_total_bytes{device="serial-a1"}' 0
wait_for 60 "a1's network interfaces" q_ge 'count(eve_device_network_receive_bytes_total{device="serial-a1"})' 1
wait_for 30 "a1's OS version" q_is 'sum(eve_controller_devices_by_os_version)' 1
for s in eve_controller_tls_handshakes_total eve_controller_sqlite_size_bytes process_resident_memory_bytes \
	process_open_fds process_cpu_seconds_total eve_controller_certificate_expiry_timestamp_seconds; do
	wait_for 30 "$s > 0" q_gt "$s" 0
done
wait_for 30 "SQLite writes timed" q_gt 'eve_controller_sqlite_write_duration_seconds_count' 0
wait_for 30 "example alert rules loaded" bash -c \
	"curl -s '$PROM/api/v1/rules' | jq -e '[.data.groups[].rules[].name] | index(\"EveDeviceOffline\")' >/dev/null"

step "every query of examples/grafana/eve-fleet-dashboard.json is valid PromQL"
jq -r '[.panels[].targets[]?.expr, .templating.list[].definition?] | .[] | select(. != null)' \
	"$EVE_SRC/examples/grafana/eve-fleet-dashboard.json" >"$W/dash-exprs" || fail "dashboard JSON"
[ "$(wc -l <"$W/dash-exprs")" -ge 20 ] || fail "dashboard has too few queries"
while IFS= read -r e; do
	e=${e//\$project/.*}
	e=${e//\$device/.*}
	e=${e//\$app/.*}
	case $e in label_values*) continue ;; esac
	st=$(curl -s --max-time 10 "$PROM/api/v1/query" --data-urlencode "query=$e" | jq -r .status)
	[ "$st" = success ] || fail "dashboard query refused by Prometheus: $e"
done <"$W/dash-exprs"

step "requests increase"
expr='sum(eve_controller_http_requests_total{api="device",route="/api/v2/edgedevice/id/{id}/config"})'
wait_for 30 "config polls counted" q_gt "$expr" 0
n1=$(q "$expr")
wait_for 30 "config polls increase past $n1" q_gt "$expr" "$n1"
wait_for 30 "poll latency histogram" q_gt \
	'sum(eve_controller_http_request_duration_seconds_count{api="device",route="/api/v2/edgedevice/id/{id}/config"})' 0

step "an app's state change shows"
head -c 1048576 /dev/urandom >"$W/img.raw"
sha=$(sha256sum "$W/img.raw" | cut -d' ' -f1)
ctl_api "$CTL" POST /images "{\"name\":\"img1\",\"format\":\"raw\",\"sha256\":\"$sha\",\"size\":1048576}" >/dev/null ||
	fail "POST /images"
curl -s --max-time 60 --cacert "$CTL/certs/root-certificate.pem" -H "Authorization: Bearer $(ctl_token "$CTL")" \
	-X PUT -H 'Content-Type: application/octet-stream' --data-binary @"$W/img.raw" \
	"$URL/api/v1/images/img1/data" >/dev/null || fail "image upload"
ctl_api "$CTL" POST /apps '{"name":"web","image":"img1","device":"serial-a1","memory_mb":64}' >/dev/null ||
	fail "POST /apps"
wait_for 90 "web RUNNING in Prometheus" q_is 'eve_app_state{device="serial-a1",app="web",state="RUNNING"}' 1
wait_for 30 "eve_app_running 1" q_is 'eve_app_running{app="web"}' 1
wait_for 30 "controller counts a RUNNING instance" q_is 'eve_controller_app_instances{state="RUNNING"}' 1
wait_for 30 "fan-out lag observed" q_gt 'eve_controller_config_fanout_seconds_count' 0
wait_for 30 "datastore bytes served" q_ge 'eve_controller_datastore_bytes_served_total' 1048576
wait_for 60 "web's memory" q_gt 'eve_app_memory_allocated_bytes{app="web"}' 0
ctl_api "$CTL" POST /apps/web/stop >/dev/null || fail "stop web"
wait_for 60 "web HALTED in Prometheus" q_is 'eve_app_state{device="serial-a1",app="web",state="HALTED"}' 1
wait_for 30 "eve_app_running 0" q_is 'eve_app_running{app="web"}' 0
wait_for 30 "RUNNING series gone" q_is 'count(eve_app_state{app="web",state="RUNNING"}) or vector(0)' 0

step "exposition passes promtool check metrics"
"${CURL[@]}" -H "$TOKEN_HDR" "$URL/metrics" >"$W/m1.prom" || fail "/metrics"
"${CURL[@]}" -H "$TOKEN_HDR" "$URL/metrics/fleet" >"$W/f1.prom" || fail "/metrics/fleet"
grep -q '^eve_app_state{' "$W/f1.prom" || fail "fleet exposition has no app series"
promtool check metrics <"$W/m1.prom" >"$W/check-m.log" 2>&1 || { cat "$W/check-m.log"; fail "promtool check metrics /metrics"; }
promtool check metrics <"$W/f1.prom" >"$W/check-f.log" 2>&1 || { cat "$W/check-f.log"; fail "promtool check metrics /metrics/fleet"; }

step "a device that stops shows offline"
agent_stop a1
wait_for 60 "a1 offline in the fleet series" q_is 'eve_device_online{device="serial-a1"}' 0
wait_for 30 "controller counts a1 offline" q_is 'eve_controller_devices{state="offline"}' 1
q_is 'eve_controller_devices{state="online"}' 0 || fail "a1 still counted online"

step "failed requests: one JSON line each, no secrets"
curl -s -o /dev/null --cacert "$CTL/certs/root-certificate.pem" -H "Authorization: Bearer eve_notatoken" "$URL/api/v1/apps"
ctl_api "$CTL" GET /apps/no-such-app >/dev/null && fail "GET /apps/no-such-app succeeded"
sleep 0.5
# (stdout's "listening on" ready line shares the file)
grep -v '^listening on ' "$CTL/serve.log" | jq -c 'select(.msg == "request failed")' >"$W/failed.json" 2>/dev/null ||
	fail "serve.log is not one JSON object per line: $(head -c 300 "$CTL/serve.log")"
jq -se 'any(.status == "401" and .route == "/api/v1/apps" and .client == "127.0.0.1" and .level == "warning")' \
	"$W/failed.json" >/dev/null || fail "no line for the 401: $(cat "$W/failed.json")"
jq -se 'any(.status == "404" and .token_id == "1" and (.ts | test("Z$")))' "$W/failed.json" >/dev/null ||
	fail "no line naming the token id of the 404: $(cat "$W/failed.json")"
grep -qF "$(ctl_token "$CTL")" "$CTL/serve.log" && fail "the admin token appears in the log"
grep -qF "$(head -n1 "$CTL/metrics-token")" "$CTL/serve.log" && fail "the scrape token appears in the log"
grep -q "eve_notatoken" "$CTL/serve.log" && fail "a presented token appears in the log"

echo "PASS: obs_prometheus"
