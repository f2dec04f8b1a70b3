#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The series of devsim runs behind docs/performance.md: a fresh controller on
# 127.0.0.1:PORT in a temporary directory, then poll at 100 / 1,000 / 10,000
# devices, fleet, storm, fanout and ingest at the sizes the doc reports.
# Prints figures only. usage: run-series.sh BUILD_DIR [PORT] [OUT_DIR]
set -u
build=${1:?usage: run-series.sh BUILD_DIR [PORT] [OUT_DIR]}
port=${2:-18710}
out=${3:-/tmp/bench-series}
ctl_bin=$build/controller/eve-controller
devsim=$build/bench/eve-devsim
work=$(mktemp -d /tmp/bench-series-ctl.XXXXXX)
ctl_pid=
cleanup() {
	if [ -n "$ctl_pid" ]; then
		kill "$ctl_pid" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$ctl_pid" 2>/dev/null || break; sleep 0.1; done
	fi
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
mkdir -p "$out"
"$ctl_bin" init --dir "$work/ctl" --listen "127.0.0.1:$port" >/dev/null 2>&1 || { echo "init failed" >&2; exit 1; }
"$ctl_bin" serve --dir "$work/ctl" >"$out/controller.log" 2>&1 &
ctl_pid=$!
sleep 1
run() { # NAME ARGS...
	local name=$1; shift
	echo "### $name: eve-devsim $*" | tee "$out/$name.txt"
	"$devsim" --dir "$work/ctl" --pid "$ctl_pid" --connect-to "::127.0.0.1:$port" "$@" 2>&1 | tee -a "$out/$name.txt"
	echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/$name.txt"
}
run poll-100 --devices 100 --connections 64 --duration 20 poll
run poll-1k --devices 1000 --connections 64 --duration 20 poll
run poll-10k --devices 10000 --connections 64 --duration 20 poll
run fleet-10k --devices 10000 --connections 64 --compress 10 --duration 60 fleet
run storm-10k --devices 10000 --connections 64 storm
run fanout-10k --devices 10000 --connections 64 --compress 10 fanout
run ingest-1k --devices 1000 --connections 64 --duration 30 ingest
