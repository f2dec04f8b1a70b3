# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# HAProxy on 127.0.0.1 in front of N loopback backends, for one test: a
# generated config (TCP mode, round robin, health checks every second) in
# a fresh directory under /tmp, the process in the background under our
# own pid file, stopped by that pid only.
#
#   . tests/lib/haproxy.sh
#   haproxy_start 24620 24621 24622 || test_skip "$HAPROXY_ERROR"
#   curl http://127.0.0.1:24620/ ...     # reaches 24621 or 24622
#   haproxy_stop
#
# HAPROXY_MODE=http makes an HTTP proxy instead (X-Forwarded-For added).
# A port may be ADDR:PORT (another loopback address) instead. A config of
# one's own (e.g. examples/haproxy-replicas.cfg edited for the test):
#   haproxy_start_file CONFIG 127.0.0.1:24620

HAPROXY_DIR=
HAPROXY_PID=
HAPROXY_ERROR=

# [ADDR:]PORT -> ADDR:PORT (127.0.0.1 by default).
_haproxy_addr() {
	case $1 in
	*:*) echo "$1" ;;
	*) echo "127.0.0.1:$1" ;;
	esac
}

# haproxy_config FRONT_PORT BACKEND_PORT...: the config on stdout. A
# connection a dead backend refuses is tried again on another one
# (retries, redispatch) until the health checks take it out.
haproxy_config() {
	local front port i=0
	front=$(_haproxy_addr "$1")
	shift
	cat <<-EOF
		global
		    maxconn 256
		defaults
		    mode ${HAPROXY_MODE:-tcp}
		    timeout connect 5s
		    timeout client 60s
		    timeout server 60s
		    timeout check 2s
		    retries 3
		    option redispatch
		frontend front
		    bind $front
		    default_backend replicas
		backend replicas
		    balance roundrobin
	EOF
	[ "${HAPROXY_MODE:-tcp}" = http ] && echo "    option forwardfor"
	for port in "$@"; do
		i=$((i + 1))
		echo "    server r$i $(_haproxy_addr "$port") check inter 1s fall 2 rise 1"
	done
}

# True when something accepts TCP connections on [ADDR:]PORT.
haproxy_port_open() {
	local a
	a=$(_haproxy_addr "$1")
	(exec 3<>"/dev/tcp/${a%:*}/${a##*:}") 2>/dev/null
}

# haproxy_start FRONT_PORT BACKEND_PORT...: start, wait (at most 60 s)
# until the front port accepts. 0, or 1 with the reason in HAPROXY_ERROR.
haproxy_start() {
	_haproxy_dir || return 1
	haproxy_config "$@" >"$HAPROXY_DIR/haproxy.cfg"
	_haproxy_run "$1"
}

# haproxy_start_file CONFIG FRONT: the same with a config of one's own
# (copied) whose frontend listens on FRONT ([ADDR:]PORT).
haproxy_start_file() {
	_haproxy_dir || return 1
	cp "$1" "$HAPROXY_DIR/haproxy.cfg" || {
		HAPROXY_ERROR="cannot copy $1"
		return 1
	}
	_haproxy_run "$2"
}

_haproxy_dir() {
	if ! command -v haproxy >/dev/null 2>&1; then
		HAPROXY_ERROR="haproxy not installed (apt-get install haproxy)"
		return 1
	fi
	HAPROXY_DIR=$(mktemp -d /tmp/eve-haproxy.XXXXXX) || {
		HAPROXY_ERROR="mktemp failed"
		return 1
	}
}

_haproxy_run() {
	local front=$1 i
	if ! haproxy -c -q -f "$HAPROXY_DIR/haproxy.cfg" >"$HAPROXY_DIR/check.log" 2>&1; then
		HAPROXY_ERROR="haproxy rejects its config: $(head -n 3 "$HAPROXY_DIR/check.log" | tr '\n' ' ')"
		return 1
	fi
	# -db: stay in the foreground (our child, our pid), logs to a file.
	haproxy -db -f "$HAPROXY_DIR/haproxy.cfg" >"$HAPROXY_DIR/haproxy.log" 2>&1 &
	HAPROXY_PID=$!
	for i in $(seq 1 300); do
		haproxy_port_open "$front" && return 0
		kill -0 "$HAPROXY_PID" 2>/dev/null || break
		sleep 0.2
	done
	HAPROXY_ERROR="haproxy did not listen on $front: $(tail -n 3 "$HAPROXY_DIR/haproxy.log" | tr '\n' ' ')"
	return 1
}

# haproxy_stop: stop our HAProxy (by its pid) and remove its directory.
haproxy_stop() {
	if [ -n "$HAPROXY_PID" ]; then
		kill -TERM "$HAPROXY_PID" 2>/dev/null
		wait "$HAPROXY_PID" 2>/dev/null
		HAPROXY_PID=
	fi
	[ -n "$HAPROXY_DIR" ] && rm -rf "$HAPROXY_DIR"
	HAPROXY_DIR=
}
