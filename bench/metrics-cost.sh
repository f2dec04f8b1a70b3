#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# What observability costs (issue 21; figures in docs/performance.md).
#   1. eve-obsbench: ns to record one request's metrics (1 and 2 threads).
#   2. poll before/after: eve-devsim's 304 poll against the controller of
#      BASE_BUILD (no metrics) and of BUILD, alternated ROUNDS times each on
#      fresh controllers; compare "ctl µs/req".
#   3. /metrics and /metrics/fleet at N devices: devsim onboards N devices
#      and runs `fleet` for FLEET_S seconds (so every device has a metrics
#      row), then each endpoint is fetched SCRAPES times with curl.
# Prints figures only.
# usage: metrics-cost.sh BUILD [BASE_BUILD] [PORT] [DEVICES]
#   env: ROUNDS (2), POLL_DEVICES (1000), POLL_S (20), FLEET_S (30), SCRAPES (10)
set -u
build=${1:?usage: metrics-cost.sh BUILD [BASE_BUILD] [PORT] [DEVICES]}
base=${2:-}
port=${3:-19590}
devices=${4:-10000}
rounds=${ROUNDS:-2}
work=$(mktemp -d /tmp/metrics-cost.XXXXXX)
ctl_pid=
stop_ctl() {
	[ -n "$ctl_pid" ] || return 0
	kill "$ctl_pid" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$ctl_pid" 2>/dev/null || break; sleep 0.1; done
	ctl_pid=
}
trap 'stop_ctl; rm -rf "$work"' EXIT INT TERM

start_ctl() { # BUILD_DIR
	stop_ctl
	rm -rf "$work/ctl"
	"$1/controller/eve-controller" init --dir "$work/ctl" --listen "127.0.0.1:$port" >/dev/null 2>&1 || {
		echo "init failed" >&2
		exit 1
	}
	"$1/controller/eve-controller" serve --dir "$work/ctl" >>"$work/controller.log" 2>&1 &
	ctl_pid=$!
	for _ in $(seq 100); do
		curl -s -o /dev/null --cacert "$work/ctl/certs/root-certificate.pem" \
			"https://127.0.0.1:$port/api/v2/edgedevice/ping" && return 0
		sleep 0.1
	done
	echo "controller did not start" >&2
	exit 1
}

devsim() { # BUILD_DIR ARGS...
	local b=$1
	shift
	"$b/bench/eve-devsim" --dir "$work/ctl" --pid "$ctl_pid" --connect-to "::127.0.0.1:$port" "$@"
}

echo "### 1. eve-obsbench"
"$build/bench/eve-obsbench" 10000000 2

if [ -n "$base" ]; then
	echo "### 2. poll, ${POLL_DEVICES:-1000} devices, ${POLL_S:-20} s, $rounds rounds (ctl µs/req: before = $base, after = $build)"
	for r in $(seq "$rounds"); do
		for b in "$base" "$build"; do
			start_ctl "$b"
			devsim "$b" --devices "${POLL_DEVICES:-1000}" --connections 64 --duration "${POLL_S:-20}" poll \
				>"$work/poll.out" 2>&1
			[ "$b" = "$base" ] && tag=before || tag=after
			echo "round $r $tag: $(grep -E '^ +config ' "$work/poll.out" | tail -n 1 | tr -s ' ')"
			echo "round $r $tag: $(grep 'us/request' "$work/poll.out" | tail -n 1 | tr -s ' ')" \
				"(load $(cut -d' ' -f1 /proc/loadavg))"
		done
	done
fi

echo "### 3. scrape at $devices devices (fleet for ${FLEET_S:-30} s first)"
start_ctl "$build"
devsim "$build" --devices "$devices" --connections 64 --compress 10 --duration "${FLEET_S:-30}" fleet >"$work/fleet.out" 2>&1 ||
	{ tail -n 20 "$work/fleet.out"; exit 1; }
for path in /metrics /metrics/fleet; do
	times=()
	for _ in $(seq "${SCRAPES:-10}"); do
		t=$(curl -s -o "$work/out.prom" -w '%{time_total}' --cacert "$work/ctl/certs/root-certificate.pem" \
			"https://127.0.0.1:$port$path")
		times+=("$t")
	done
	sorted=$(printf '%s\n' "${times[@]}" | sort -n)
	echo "$path: $(wc -c <"$work/out.prom") bytes, $(grep -vc '^#' "$work/out.prom") samples;" \
		"curl time_total median $(echo "$sorted" | sed -n "$(((${#times[@]} + 1) / 2))p") s," \
		"max $(echo "$sorted" | tail -n 1) s over ${#times[@]} fetches"
done
curl -s --cacert "$work/ctl/certs/root-certificate.pem" "https://127.0.0.1:$port/metrics" |
	grep -E '^eve_controller_metrics_scrape_duration_seconds_(sum|count)|^eve_controller_devices'
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
