#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# haproxy_smoke PORT: HAProxy (tests/lib/haproxy.sh) on 127.0.0.1:PORT in
# front of two trivial TCP backends on PORT+1 and PORT+2, each answering
# every connection with its name. Through HAProxy both names come back
# (round robin); with one backend stopped, every connection still gets
# the other (health checks take the dead one out).
set -u
PORT=$1
HERE=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../lib/skip.sh
. "$HERE/lib/skip.sh"
# shellcheck source=../lib/haproxy.sh
. "$HERE/lib/haproxy.sh"
command -v python3 >/dev/null 2>&1 || test_skip "python3 not installed"

PIDS=()
cleanup() {
	haproxy_stop
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
}
trap cleanup EXIT

# A backend: every connection reads the name, one line. HAProxy's health
# checks connect and close at once: a reset peer is not an error.
backend() {
	python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
while True:
    c, _ = s.accept()
    try:
        c.sendall((sys.argv[2] + "\n").encode())
    except OSError:
        pass
    c.close()
' "$1" "$2" &
	PIDS+=($!)
}

# One connection through HAProxy: the line it reads ("" on failure).
through() {
	local line=
	exec 3<>"/dev/tcp/127.0.0.1/$PORT" || return 0
	read -r -t 10 line <&3
	exec 3<&-
	echo "$line"
}

# Poll (60 s at most) until FN succeeds.
poll() {
	local i
	for i in $(seq 1 300); do
		"$@" && return 0
		sleep 0.2
	done
	return 1
}

backend $((PORT + 1)) alpha
backend $((PORT + 2)) beta
poll haproxy_port_open $((PORT + 1)) || { echo "FAIL: backend alpha did not listen"; exit 1; }
poll haproxy_port_open $((PORT + 2)) || { echo "FAIL: backend beta did not listen"; exit 1; }
haproxy_start "$PORT" $((PORT + 1)) $((PORT + 2)) || test_skip "$HAPROXY_ERROR"

SEEN=" "
both_seen() {
	local got
	got=$(through)
	case "$SEEN" in *" $got "*) ;; *) [ -n "$got" ] && SEEN+="$got " ;; esac
	[[ $SEEN == *" alpha "* && $SEEN == *" beta "* ]]
}
poll both_seen || { echo "FAIL: through HAProxy saw only:$SEEN"; exit 1; }
echo "ok: round robin reached:$SEEN"

# Stop alpha: after the health check notices, every connection gets beta.
kill "${PIDS[0]}"
wait "${PIDS[0]}" 2>/dev/null
only_beta() {
	local i
	for i in 1 2 3 4; do [ "$(through)" = beta ] || return 1; done
}
poll only_beta || { echo "FAIL: connections still fail with alpha down"; exit 1; }
echo "ok: with alpha down, 4 connections in a row reached beta"
