# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# A throw-away PostgreSQL 15 cluster for one test, on 127.0.0.1 only.
# initdb refuses root (/work/shared/RUNTIME.md), so the server runs as an
# unprivileged user (PG_USER, default nobody) with its data and socket in a
# fresh directory under /tmp (root's home is not reachable by that user).
# Authentication is `trust` on loopback: the cluster holds test data only
# and lives as long as the test.
#
#   . tests/lib/pg.sh
#   pg_start 24610 || test_skip "$PG_ERROR"
#   psql "$PG_URL" -c 'select 1'     # PG_URL=postgresql://evetest@127.0.0.1:24610/evetest
#   pg_stop                          # also from a trap: stops the server, removes the directory
#
# PG_BIN: the server's programs (default /usr/lib/postgresql/15/bin).

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_USER=${PG_USER:-nobody}
PG_DIR=
PG_URL=
PG_PORT=
PG_ERROR=

# Run a command as PG_USER (no login shell, no supplementary groups).
_pg_as() {
	local group
	group=$(id -gn "$PG_USER") || return 1
	setpriv --reuid="$PG_USER" --regid="$group" --clear-groups -- "$@"
}

# pg_start PORT [DBNAME]: initdb, start, wait until it accepts connections
# (pg_ctl -w polls, at most 60 s), create DBNAME (default evetest). Sets
# PG_URL, PG_PORT, PG_DIR. 0, or 1 with the reason in PG_ERROR.
pg_start() {
	local port=$1 db=${2:-evetest} f
	for f in initdb pg_ctl; do
		if [ ! -x "$PG_BIN/$f" ]; then
			PG_ERROR="$PG_BIN/$f missing (apt-get install postgresql-15)"
			return 1
		fi
	done
	if ! id "$PG_USER" >/dev/null 2>&1; then
		PG_ERROR="user $PG_USER does not exist"
		return 1
	fi
	PG_DIR=$(mktemp -d /tmp/eve-pg.XXXXXX) || {
		PG_ERROR="mktemp failed"
		return 1
	}
	chmod 0755 "$PG_DIR"
	mkdir "$PG_DIR/data" "$PG_DIR/run"
	chown "$PG_USER" "$PG_DIR/data" "$PG_DIR/run"
	if ! _pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U evetest --auth=trust -E UTF8 --locale=C.UTF-8 \
		>"$PG_DIR/initdb.log" 2>&1; then
		PG_ERROR="initdb failed: $(tail -n 3 "$PG_DIR/initdb.log" | tr '\n' ' ')"
		return 1
	fi
	# Loopback only, the socket in our directory, small for a 2-core machine.
	cat >>"$PG_DIR/data/postgresql.conf" <<-EOF
		listen_addresses = '127.0.0.1'
		port = $port
		unix_socket_directories = '$PG_DIR/run'
		max_connections = 40
		shared_buffers = 16MB
		fsync = on
		logging_collector = off
	EOF
	touch "$PG_DIR/server.log"
	chown "$PG_USER" "$PG_DIR/server.log"
	if ! _pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 start >/dev/null 2>&1; then
		PG_ERROR="postgres did not start on port $port: $(tail -n 3 "$PG_DIR/server.log" | tr '\n' ' ')"
		return 1
	fi
	PG_PORT=$port
	if ! _pg_as "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U evetest "$db" >>"$PG_DIR/server.log" 2>&1; then
		PG_ERROR="createdb $db failed: $(tail -n 3 "$PG_DIR/server.log" | tr '\n' ' ')"
		return 1
	fi
	PG_URL="postgresql://evetest@127.0.0.1:$port/$db"
	return 0
}

# pg_psql SQL...: run SQL on the test database (psql, no psqlrc, stop on error).
pg_psql() {
	"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -At "$PG_URL" -c "$*"
}

# pg_pause / pg_resume: stop the server (fast shutdown: sessions end) and
# start it again on the same data and port (an outage, for the tests).
pg_pause() {
	_pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 60 stop >/dev/null 2>&1
}
pg_resume() {
	_pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 start >/dev/null 2>&1
}

# pg_stop: stop the server (fast shutdown, waits) and remove its directory.
# Safe to call twice or after a failed pg_start.
pg_stop() {
	[ -n "$PG_DIR" ] || return 0
	local pid
	if [ -s "$PG_DIR/data/postmaster.pid" ]; then
		pid=$(head -n 1 "$PG_DIR/data/postmaster.pid")
		# A server that does not stop in 60 s is killed (its pid, from its own file).
		_pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
			{ [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; }
	fi
	rm -rf "$PG_DIR"
	PG_DIR=
	PG_URL=
}
