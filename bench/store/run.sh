#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The store's cost per statement on SQLite and on a throw-away PostgreSQL 15
# (tests/lib/pg.sh, loopback, port PORT): prints eve-storebench's figures.
#   bench/store/run.sh BUILD_DIR [N] [PORT]
set -eu
BUILD=$1
N=${2:-2000}
PORT=${3:-24650}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRC/tests/lib/pg.sh"
trap pg_stop EXIT
DIR=$(mktemp -d /tmp/eve-storebench.XXXXXX)
trap 'pg_stop; rm -rf "$DIR"' EXIT
echo "load: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
"$BUILD/bench/eve-storebench" "sqlite:$DIR/bench.db" "$N"
pg_start "$PORT" || { echo "PostgreSQL: $PG_ERROR"; exit 1; }
"$BUILD/bench/eve-storebench" "$PG_URL" "$N"
