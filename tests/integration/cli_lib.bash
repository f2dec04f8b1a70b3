# Shared by the cli_*.sh integration tests (sourced; not a test itself).
# Environment from tests/cli.cmake: EVECTL, EVE_CONTROLLER, JSONQ, CLI_PORT,
# EVE_SRC. Each test runs its own controller on CLI_PORT (18300-18399) in a
# private temporary directory, and removes both on every exit path.
set -u
: "${EVECTL:?}" "${EVE_CONTROLLER:?}" "${JSONQ:?}" "${CLI_PORT:?}" "${EVE_SRC:?}"

WORK=$(mktemp -d /tmp/cli-test.XXXXXX)
CTL_DIR=$WORK/ctl
OUT=$WORK/out
ERR=$WORK/err
export HOME=$WORK/home
mkdir -p "$HOME"
unset XDG_CONFIG_HOME EVECTL_SERVER EVECTL_TOKEN EVECTL_CA EVECTL_CONTEXT

if [ -f "$EVE_SRC/tests/lib/controller.sh" ]; then
	# shellcheck source=/dev/null
	. "$EVE_SRC/tests/lib/controller.sh"
fi
# Fallbacks with the same names as tests/lib/controller.sh.
if ! command -v ctl_init >/dev/null 2>&1; then
	ctl_init() { "$EVE_CONTROLLER" init --dir "$1" --listen "127.0.0.1:$2" >/dev/null; }
	ctl_token() { cat "$1/admin-token"; }
	ctl_start() {
		"$EVE_CONTROLLER" serve --dir "$1" >"$1/serve.log" 2>&1 &
		echo $! >"$1/cli-test.pid"
		local i
		for i in $(seq 1 100); do
			if curl -s -o /dev/null --cacert "$1/certs/root-certificate.pem" \
				-H "Authorization: Bearer $(ctl_token "$1")" \
				"https://127.0.0.1:$CLI_PORT/api/v1/status"; then
				return 0
			fi
			sleep 0.2
		done
		echo "controller did not come up:" >&2
		cat "$1/serve.log" >&2
		return 1
	}
	ctl_stop() {
		[ -f "$1/cli-test.pid" ] || return 0
		kill "$(cat "$1/cli-test.pid")" 2>/dev/null
		wait "$(cat "$1/cli-test.pid")" 2>/dev/null
		rm -f "$1/cli-test.pid"
	}
fi

BG_PIDS=""
cleanup() {
	local p
	for p in $BG_PIDS; do kill "$p" 2>/dev/null; done
	[ -d "$CTL_DIR" ] && ctl_stop "$CTL_DIR"
	ctl_store_stop
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "FAIL: $*" >&2
	[ -s "$ERR" ] && sed 's/^/  stderr: /' "$ERR" >&2
	[ -s "$OUT" ] && sed 's/^/  stdout: /' "$OUT" | head -20 >&2
	exit 1
}

# expect CODE evectl-args...: run evectl, stdout to $OUT, stderr to $ERR,
# and require exit code CODE.
expect() {
	local want=$1 rc
	shift
	"$EVECTL" "$@" >"$OUT" 2>"$ERR"
	rc=$?
	[ "$rc" = "$want" ] || fail "evectl $* exited $rc, want $want"
	# errors are one line on stderr
	if [ "$want" != 0 ] && [ "$(wc -l <"$ERR")" != 1 ]; then
		fail "evectl $*: stderr is not one line"
	fi
	return 0
}

# json EXPR: what EXPR selects from $OUT (which must be JSON).
json() { "$JSONQ" "$1" <"$OUT" || fail "not JSON or no $1 in output of the last command"; }

# want VALUE ACTUAL MESSAGE
want() { [ "$1" = "$2" ] || fail "$3: got '$2', want '$1'"; }
# wait_all PID...: wait for commands started at once; sets ok (how many
# exited 0) and refused (the others)
wait_all() {
	local pid
	ok=0 refused=0
	for pid in "$@"; do
		if wait "$pid"; then ok=$((ok + 1)); else refused=$((refused + 1)); fi
	done
}

start_controller() {
	ctl_init "$CTL_DIR" "$CLI_PORT" || fail "controller init"
	ctl_start "$CTL_DIR" || fail "controller start"
	TOKEN=$(ctl_token "$CTL_DIR")
	CA=$CTL_DIR/certs/root-certificate.pem
	SERVER=https://127.0.0.1:$CLI_PORT
	[ -n "$TOKEN" ] && [ -f "$CA" ] || fail "controller dir lacks admin-token or root-certificate.pem"
}

# A self-signed P-256 certificate: mkcert NAME -> $WORK/NAME.pem
mkcert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=$1" -keyout "$WORK/$1.key" -out "$WORK/$1.pem" 2>/dev/null || fail "openssl req"
}
