#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Remote console bench (docs/performance.md "Remote consoles"): the real
# eve-controller, eve-agent (LXC container app on libvirtd) and evectl on
# loopback, through tests/integration/console_e2e.sh with CONSOLE_BENCH=1:
#   * command round trip of `evectl app console` (pty -> evectl -> TLS ->
#     dispatcher -> TLS -> agent -> container console pty and back), 100
#     commands, median / p95 / max;
#   * `evectl app port-forward` throughput: an 8 MiB file (CONSOLE_BENCH_MB) from the app's
#     busybox httpd through the controller, and directly for reference.
# Runs it twice, side by side: the dispatcher on libmicrohttpd's own
# upgrade forwarding (EVE_CONSOLE_MHD_UPGRADE=1: "before") and on its own
# TLS forwarder (controller/tlsfwd.c, the default: "after"), with the
# machine's load average at each start.
# usage: bench/console/run.sh [BUILD_DIR]   (as root; figures on stdout)
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$src/build}
one() { # label, then env assignments
	local label=$1 out
	shift
	out=$(mktemp)
	echo "== $label (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
	env "$@" EVE_CONTROLLER="$build/controller/eve-controller" EVE_AGENT="$build/device/eve-agent" \
		EVECTL="$build/cli/evectl" EVE_SRC="$src" E2E_BUILD="$build" E2E_PORT=21450 CONSOLE_BENCH=1 \
		CONSOLE_BENCH_OUT="$out" bash "$src/tests/integration/console_e2e.sh" >"$out.log" 2>&1 ||
		{ grep -E "FAIL|^\[e2e" "$out.log" | tail -8; tail -5 "$out.log"; exit 1; }
	cat "$out"
	rm -f "$out" "$out.log"
}
one "before: libmicrohttpd's upgrade forwarding" EVE_CONSOLE_MHD_UPGRADE=1
one "after: the dispatcher's own TLS forwarding (tlsfwd.c)" EVE_CONSOLE_FWD=tlsfwd
