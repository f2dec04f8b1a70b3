# SPDX-License-Identifier: Apache-2.0
# Sourceable helpers to run a real eve-controller in tests.
#   EVE_CONTROLLER  path of the eve-controller binary (or pass the build dir
#                   as EVE_BUILD_DIR / first found on PATH)
# Functions:
#   ctl_init DIR PORT     init with --listen 127.0.0.1:PORT (host localhost,127.0.0.1)
#   ctl_start DIR         serve in the background; waits (bounded) until ready
#   ctl_stop DIR          SIGTERM, wait for exit (bounded), SIGKILL as last resort
#   ctl_token DIR         print the admin token
#   ctl_url DIR           print https://127.0.0.1:PORT
#   ctl_api DIR METHOD PATH [JSON]   curl the admin API; prints the body,
#                         returns 0 on 2xx; the status is in $CTL_STATUS
# Logs go to DIR/serve.log.

: "${EVE_CONTROLLER:=}"
if [ -z "$EVE_CONTROLLER" ]; then
	if [ -n "${EVE_BUILD_DIR:-}" ] && [ -x "$EVE_BUILD_DIR/controller/eve-controller" ]; then
		EVE_CONTROLLER=$EVE_BUILD_DIR/controller/eve-controller
	else
		EVE_CONTROLLER=$(command -v eve-controller || true)
	fi
fi
export EVE_CONTROLLER

CTL_START_TIMEOUT=${CTL_START_TIMEOUT:-30}

# EVE_TEST_STORE=postgresql: each controller a test inits gets a database
# of its own in one throw-away PostgreSQL 15 per test (tests/lib/pg.sh) on
# the first controller's port + 10000, so that the same test runs on both
# back ends (issue #22). The test's cleanup calls ctl_store_stop.
CTL_PG_N=0
if [ "${EVE_TEST_STORE:-}" = postgresql ]; then
	# shellcheck source=pg.sh
	. "$(dirname "${BASH_SOURCE[0]}")/pg.sh"
	# shellcheck source=skip.sh
	. "$(dirname "${BASH_SOURCE[0]}")/skip.sh"
fi

# ctl_pg_db PORT: a new database (its URL in CTL_PG_URL), starting the
# cluster on PORT + 10000 first if needed (the test skips without it).
ctl_pg_db() {
	if [ -z "$PG_DIR" ] && ! pg_start $(($1 + 10000)); then
		test_skip "PostgreSQL 15 not started: $PG_ERROR" # a failure when CI=true
	fi
	CTL_PG_N=$((CTL_PG_N + 1))
	pg_psql "CREATE DATABASE ctl$CTL_PG_N" || return 1
	CTL_PG_URL="postgresql://evetest@127.0.0.1:$PG_PORT/ctl$CTL_PG_N"
}

ctl_store_stop() {
	if declare -F pg_stop >/dev/null; then pg_stop; fi
}

ctl_init() {
	local dir=$1 port=$2 store=()
	if [ "${EVE_TEST_STORE:-}" = postgresql ]; then
		ctl_pg_db "$port" || return 1
		store=(--store "$CTL_PG_URL")
	fi
	"$EVE_CONTROLLER" init --dir "$dir" --listen "127.0.0.1:$port" --host localhost,127.0.0.1 "${store[@]}" \
		>"$dir.init.out" 2>&1 || {
		cat "$dir.init.out" >&2
		return 1
	}
}

ctl_port() {
	sed -n 's/^listen=.*:\([0-9]*\)$/\1/p' "$1/controller.conf"
}

ctl_url() {
	echo "https://127.0.0.1:$(ctl_port "$1")"
}

ctl_token() {
	head -n1 "$1/admin-token"
}

ctl_start() {
	local dir=$1 i
	"$EVE_CONTROLLER" serve --dir "$dir" >>"$dir/serve.log" 2>&1 &
	echo $! >"$dir/serve.pid"
	for ((i = 0; i < CTL_START_TIMEOUT * 10; i++)); do
		if curl -s -o /dev/null --max-time 2 --cacert "$dir/certs/root-certificate.pem" \
			"$(ctl_url "$dir")/api/v2/edgedevice/ping"; then
			return 0
		fi
		if ! kill -0 "$(cat "$dir/serve.pid")" 2>/dev/null; then
			echo "ctl_start: eve-controller exited:" >&2
			tail -n 20 "$dir/serve.log" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "ctl_start: not ready after ${CTL_START_TIMEOUT}s" >&2
	tail -n 20 "$dir/serve.log" >&2
	return 1
}

ctl_stop() {
	local dir=$1 pid i
	[ -f "$dir/serve.pid" ] || return 0
	pid=$(cat "$dir/serve.pid")
	kill -TERM "$pid" 2>/dev/null || {
		rm -f "$dir/serve.pid"
		return 0
	}
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "ctl_stop: SIGKILL $pid" >&2
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	rm -f "$dir/serve.pid"
	return 0
}

ctl_api() {
	local dir=$1 method=$2 path=$3 body=${4:-} out
	local args=(-s -X "$method" --max-time 60 --cacert "$dir/certs/root-certificate.pem"
		-H "Authorization: Bearer $(ctl_token "$dir")" -w '\n%{http_code}')
	if [ -n "$body" ]; then
		args+=(-H 'Content-Type: application/json' --data-binary "$body")
	fi
	out=$(curl "${args[@]}" "$(ctl_url "$dir")/api/v1$path") || return 1
	CTL_STATUS=${out##*$'\n'}
	out=${out%$'\n'*}
	out=${out%$'\n'}
	[ -n "$out" ] && printf '%s\n' "$out"
	[[ $CTL_STATUS == 2* ]]
}
