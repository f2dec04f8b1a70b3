#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Side-by-side (A/B) runs of one eve-devsim scenario against two controller
# binaries on the same machine in the same minutes: each gets a fresh
# directory and port, rounds alternate the order (A B, B A, ...), and every
# devsim block (with its own crypto floor and the controller's CPU per
# request) is kept. Prints each round's figures and the medians; asserts
# nothing. Used for docs/performance.md ("round 2").
# usage: ab.sh CTL_A CTL_B DEVSIM PORT_BASE ROUNDS OUT_DIR DEVSIM-ARGS...
#   e.g. ab.sh /tmp/ctl-before build/controller/eve-controller \
#        build/bench/eve-devsim 21810 5 /tmp/ab-poll --devices 1000 poll
set -u
[ $# -ge 7 ] || { sed -n '2,11p' "$0" >&2; exit 2; }
bin_a=$1 bin_b=$2 devsim=$3 port=$4 rounds=$5 out=$6
shift 6
work=$(mktemp -d /tmp/bench-ab.XXXXXX)
declare -A pid=()
cleanup() {
	for k in "${!pid[@]}"; do
		kill "${pid[$k]}" 2>/dev/null
		for _ in $(seq 50); do kill -0 "${pid[$k]}" 2>/dev/null || break; sleep 0.1; done
	done
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
mkdir -p "$out"

start() { # NAME BIN PORT
	"$2" init --dir "$work/$1" --listen "127.0.0.1:$3" >/dev/null 2>&1 || { echo "init $1 failed" >&2; exit 1; }
	"$2" serve --dir "$work/$1" >"$out/$1.log" 2>&1 &
	pid[$1]=$!
}
start A "$bin_a" "$port"
start B "$bin_b" $((port + 1))
sleep 1

run() { # NAME PORT ROUND DEVSIM-ARGS...
	local name=$1 p=$2 f="$out/$1-$3.txt"
	shift 3
	echo "### $name round: load $(cut -d' ' -f1-3 /proc/loadavg): eve-devsim $*" >"$f"
	"$devsim" --dir "$work/$name" --pid "${pid[$name]}" --connect-to "::127.0.0.1:$p" \
		"$@" >>"$f" 2>&1
	echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$f"
}

for r in $(seq "$rounds"); do
	if [ $((r % 2)) -eq 1 ]; then order="A B"; else order="B A"; fi
	for x in $order; do
		if [ "$x" = A ]; then p=$port; else p=$((port + 1)); fi
		run "$x" "$p" "$r" "$@"
	done
done

# One line per block: controller CPU per request and in verifies, the crypto
# floor of that run, and the rates devsim printed.
summary() { # NAME
	for f in "$out/$1"-*.txt; do
		awk -v n="$(basename "$f" .txt)" '
			/^### / { load = $5 " " $6 " " $7; sub(/:$/, "", load) }
			/registrations\/s/ { print n, blk, "registrations/s", $2 }
			/ req in / { print n, blk, $1, $8 " req/s", "p50", $11, "p99", $17 }
			/^== / { blk = $2 }
			/controller: +CPU/ {
				for (i = 1; i <= NF; i++) {
					if ($i ~ /us\/request/) us = $(i - 1) + 0
					if ($i == "P-256") ver = $(i - 1) + 0
				}
				printf "%s %-8s us/req %.1f verifies/req %.2f (load before the run %s)\n", n, blk, us, ver, load
			}
		' "$f"
	done
}
{
	echo "A = $bin_a"
	echo "B = $bin_b"
	summary A
	summary B
	echo "crypto floor lines (first of each run):"
	grep -h -m1 -i 'verify' "$out"/[AB]-*.txt
} | tee "$out/summary.txt"
