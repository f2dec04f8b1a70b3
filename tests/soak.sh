#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Stability soak: run ctest N times in a build tree while busy loops load
# every core, and count the runs that passed and failed.
#   tests/soak.sh [-c] [-b BUILD-DIR] [-j JOBS] [-n LOAD-PROCS] N [CTEST-ARGS...]
#   tests/soak.sh -c 5                   clean up first, then the whole suite 5 times
#   tests/soak.sh 5                      the whole suite 5 times (build/)
#   tests/soak.sh -b build-asan 3 -LE slow
#   tests/soak.sh 2 -R '^controller_'    a subset
# Prints one line per run and ends with "N passed, M failed"; the exit
# status is 1 when a run failed. Each failed run's ctest output is kept in
# BUILD-DIR/soak/run-K.log. The load processes are ended by PID on exit.
# -c runs tests/cleanup.sh first (what killed runs left behind).
set -u

usage() { sed -n '3,13s/^# \{0,1\}//p' "$0"; }

BUILD=build
JOBS=2
LOAD=$(nproc 2>/dev/null || echo 2)
CLEAN=false
while getopts cb:j:n:h o; do
	case $o in
	c) CLEAN=true ;;
	b) BUILD=$OPTARG ;;
	j) JOBS=$OPTARG ;;
	n) LOAD=$OPTARG ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] && [[ $1 =~ ^[1-9][0-9]*$ ]] || { usage >&2; exit 2; }
RUNS=$1
shift
cd "$(dirname "$0")/.." || exit 2
[ -f "$BUILD/CTestTestfile.cmake" ] || { echo "soak: $BUILD is not a configured build tree" >&2; exit 2; }
mkdir -p "$BUILD/soak"
if $CLEAN; then
	tests/cleanup.sh || exit 2
fi

LOAD_PIDS=()
stop_load() {
	local p
	for p in "${LOAD_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${LOAD_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	LOAD_PIDS=()
}
trap stop_load EXIT
trap 'exit 130' INT TERM

# One busy loop per core (nice 0, like a competing build).
for ((i = 0; i < LOAD; i++)); do
	(while :; do :; done) &
	LOAD_PIDS+=($!)
done

passed=0 failed=0
for ((k = 1; k <= RUNS; k++)); do
	log=$BUILD/soak/run-$k.log
	t0=$(date +%s)
	if (cd "$BUILD" && ctest -j"$JOBS" --output-on-failure "$@") >"$log" 2>&1; then
		passed=$((passed + 1))
		echo "soak run $k/$RUNS: passed ($(($(date +%s) - t0)) s)"
		rm -f "$log"
	else
		failed=$((failed + 1))
		echo "soak run $k/$RUNS: FAILED ($(($(date +%s) - t0)) s), output in $log:"
		grep -E '^[[:space:]]+[0-9]+ - ' "$log" | sed 's/^/  /'
	fi
done
stop_load
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
