#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# store_test BINARY PORT: start a throw-away PostgreSQL 15 on 127.0.0.1:PORT
# (tests/lib/pg.sh) and run the store's test body against it and SQLite.
# Without PostgreSQL the SQLite half still runs and the test skips (a
# failure with CI=true).
set -u
BIN=$1
PORT=$2
HERE=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../lib/skip.sh
. "$HERE/lib/skip.sh"
# shellcheck source=../lib/pg.sh
. "$HERE/lib/pg.sh"
trap pg_stop EXIT

if pg_start "$PORT"; then
	export EVE_TEST_PG_URL=$PG_URL
else
	echo "PostgreSQL not started: $PG_ERROR"
	unset EVE_TEST_PG_URL
fi
"$BIN"
rc=$?
if [ "$rc" -ne 0 ] && [ -n "${PG_DIR:-}" ] && [ -s "$PG_DIR/server.log" ]; then
	echo "--- PostgreSQL server log (last 20 lines)"
	tail -n 20 "$PG_DIR/server.log"
fi
exit "$rc"
