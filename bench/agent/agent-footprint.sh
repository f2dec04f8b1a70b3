#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# eve-agent footprint benchmark (issue 9): start a real controller and an
# onboarded agent, then over a fixed window print the agent's RSS, CPU %,
# wake-ups/s and bytes sent to the controller per hour; optionally deploy N
# container apps and print deploy-to-RUNNING time split by the states the
# agent reports. Prints figures; asserts nothing.
#
# usage: agent-footprint.sh --agent BIN --controller BIN [--port 18750]
#          [--window 60] [--settle 20] [--apps 0|N --image OCI.tar]
#          [--agent-args "..."] [--workdir DIR] [--keep]
set -u

agent_bin= ctl_bin= port=18750 window=60 settle=20 napps=0 image= agent_args= work= keep=0
while [ $# -gt 0 ]; do
	case $1 in
	--agent) agent_bin=$2; shift ;;
	--controller) ctl_bin=$2; shift ;;
	--port) port=$2; shift ;;
	--window) window=$2; shift ;;
	--settle) settle=$2; shift ;;
	--apps) napps=$2; shift ;;
	--image) image=$2; shift ;;
	--agent-args) agent_args=$2; shift ;;
	--workdir) work=$2; shift ;;
	--keep) keep=1 ;;
	-h|--help) sed -n '2,12p' "$0"; exit 0 ;;
	*) echo "unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
[ -x "$agent_bin" ] && [ -x "$ctl_bin" ] || { echo "need --agent and --controller binaries" >&2; exit 2; }
[ "$napps" -eq 0 ] || [ -f "$image" ] || { echo "--apps needs --image OCI.tar" >&2; exit 2; }
[ -n "$work" ] || work=$(mktemp -d /tmp/agent-footprint.XXXXXX)
mkdir -p "$work"
work=$(cd "$work" && pwd)
ctl_pid= agent_pid=

src=$(cd "$(dirname "$0")/../.." && pwd)

# libvirt domains the agent made: those whose definition names our work dir.
remove_domains() {
	local uri dom
	command -v virsh >/dev/null 2>&1 || return 0
	for uri in lxc:///system qemu:///system; do
		for dom in $(timeout 30 virsh -q -c "$uri" list --all --name 2>/dev/null); do
			timeout 10 virsh -c "$uri" dumpxml "$dom" 2>/dev/null | grep -qF "$work/" || continue
			timeout 30 virsh -q -c "$uri" destroy "$dom" >/dev/null 2>&1
			timeout 30 virsh -q -c "$uri" undefine "$dom" >/dev/null 2>&1
		done
	done
}

stop_pid() {
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$1" 2>/dev/null
}

# The agent first (it would restart its apps), then its domains, then the
# controller.
cleanup() {
	stop_pid "$agent_pid"
	[ "$napps" -gt 0 ] && remove_domains
	stop_pid "$ctl_pid"
	[ "$keep" -eq 1 ] || rm -rf "$work"
}
trap cleanup EXIT INT TERM
die() { echo "agent-footprint: $*" >&2; exit 1; }

# ---- controller ----
"$ctl_bin" init --dir "$work/ctl" --listen "127.0.0.1:$port" >"$work/init.log" 2>&1 || die "controller init: $(cat "$work/init.log")"
"$ctl_bin" serve --dir "$work/ctl" >"$work/ctl.log" 2>&1 &
ctl_pid=$!
dc=$work/ctl/device-config
server=$(tr -d '\n' <"$dc/server")
token=$(tr -d '\n' <"$work/ctl/admin-token")
api() { # METHOD PATH [curl args...]
	local m=$1 p=$2; shift 2
	curl -s --cacert "$dc/root-certificate.pem" --connect-to "::127.0.0.1:$port" \
		-H "Authorization: Bearer $token" -X "$m" "https://$server/api/v1$p" "$@"
}
for _ in $(seq 100); do api GET /status -o /dev/null -f && break; sleep 0.1; done
code=$(api POST /onboard -H 'Content-Type: application/json' -o /dev/null -w '%{http_code}' \
	-d "$(jq -n --rawfile c "$dc/onboard.cert.pem" '{cert: $c, serials: ["*"]}')")
case $code in 2*|409) ;; *) die "POST /onboard failed (HTTP $code)" ;; esac # 409: init already added it

# ---- libvirt (the apps' runtime), only when apps are deployed ----
if [ "$napps" -gt 0 ]; then
	. "$src/tests/lib/libvirtd.sh"
	libvirtd_start || die "libvirtd: $LIBVIRTD_ERROR"
fi

# ---- agent ----
mkdir -p "$work/config" "$work/state"
cp "$dc"/server "$dc"/root-certificate.pem "$dc"/onboard.cert.pem "$dc"/onboard.key.pem "$work/config/"
# shellcheck disable=SC2086
"$agent_bin" --config "$work/config" --state "$work/state" $agent_args >"$work/agent.log" 2>&1 &
agent_pid=$!
dev=
for _ in $(seq 600); do
	kill -0 "$agent_pid" 2>/dev/null || die "agent exited: $(tail -5 "$work/agent.log")"
	dev=$(api GET /devices | jq -r '.items[0].id // empty' 2>/dev/null)
	[ -n "$dev" ] && [ "$(api GET "/devices/$dev" | jq -r .state)" = online ] && break
	sleep 0.1
done
[ -n "$dev" ] || die "agent never onboarded: $(tail -5 "$work/agent.log")"
echo "agent pid $agent_pid onboarded as device $dev; settling ${settle}s"

# ---- sampling helpers ----
cpu_ticks() { awk '{ s = $0; sub(/^.*\) /, "", s); split(s, f, " "); print f[12] + f[13] }' "/proc/$1/stat"; }
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
ctx_switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ { s += $2 } END { print s + 0 }'; }
# Bytes the agent writes to its sockets to the controller, over a second
# window of the same length: strace -yy names each fd's TCP endpoints. (ss
# cannot be used: this kernel has no inet_diag, and strace would disturb the
# CPU and wake-up figures, hence a window of its own.)
bytes_per_hour() {
	local out=$work/strace.out spid
	strace -f -qq -yy -e trace=write,writev,sendto,sendmsg -e signal=none -p "$agent_pid" -o "$out" 2>/dev/null &
	spid=$!
	sleep "$window"
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	awk -v port=":$port]" -v w="$window" 'index($0, port) && match($0, /= [0-9]+$/) {
		s += substr($0, RSTART + 2) } END { printf "%.1f", s / w * 3600 / 1024 }' "$out"
}

# Measure a window; print one line of figures. $1 = label
measure() {
	local label=$1 hz t0 t1 c0 c1 x0 x1 rss hwm anon file pss uss threads kib
	hz=$(getconf CLK_TCK)
	sleep "$settle"
	t0=$(date +%s.%N); c0=$(cpu_ticks "$agent_pid"); x0=$(ctx_switches "$agent_pid")
	sleep "$window"
	t1=$(date +%s.%N); c1=$(cpu_ticks "$agent_pid"); x1=$(ctx_switches "$agent_pid")
	rss=$(status_kb "$agent_pid" VmRSS); hwm=$(status_kb "$agent_pid" VmHWM)
	anon=$(status_kb "$agent_pid" RssAnon); file=$(status_kb "$agent_pid" RssFile)
	pss=$(awk '$1 == "Pss:" { print $2 }' "/proc/$agent_pid/smaps_rollup" 2>/dev/null)
	# USS: pages only this process maps (what stopping it would free)
	uss=$(awk '$1 ~ /^Private_(Clean|Dirty|Hugetlb):$/ { s += $2 } END { print s + 0 }' \
		"/proc/$agent_pid/smaps_rollup" 2>/dev/null)
	threads=$(status_kb "$agent_pid" Threads)
	kib=$(bytes_per_hour)
	awk -v l="$label" -v dc="$((c1 - c0))" -v hz="$hz" -v dx="$((x1 - x0))" \
		-v rss="$rss" -v hwm="$hwm" -v t0="$t0" -v t1="$t1" -v kib="$kib" \
		-v anon="$anon" -v file="$file" -v th="$threads" -v pss="${pss:-0}" -v uss="${uss:-0}" 'BEGIN {
		el = t1 - t0
		printf "%s over %.0f s: USS %.2f MiB, PSS %.2f MiB, RSS %.2f MiB (anon %.2f, file-backed %.2f; peak %.2f MiB), %d threads, CPU %.3f%% of one core, %.1f wake-ups/s; %s KiB/h written to controller sockets (next %.0f s, under strace)\n",
			l, el, uss / 1024, pss / 1024, rss / 1024, anon / 1024, file / 1024, hwm / 1024, th, 100 * dc / hz / el, dx / el, kib, el }'
}

measure "idle agent (onboarded, no apps)"

[ "$napps" -gt 0 ] || exit 0

# ---- apps: deploy N container apps, time each to RUNNING by reported state ----
sha=$(sha256sum "$image" | cut -d' ' -f1)
size=$(stat -c %s "$image")
api POST /images -H 'Content-Type: application/json' -f -o /dev/null \
	-d "{\"name\":\"bench-img\",\"sha256\":\"$sha\",\"format\":\"oci\",\"size\":$size}" || die "POST /images"
api PUT /images/bench-img/data -H 'Content-Type: application/octet-stream' -f -o /dev/null \
	--data-binary @"$image" || die "image upload"
declare -A t_post seen errs
for i in $(seq "$napps"); do
	t_post[$i]=$(date +%s.%N)
	api POST /apps -H 'Content-Type: application/json' -f -o /dev/null \
		-d "{\"name\":\"bench-app-$i\",\"image\":\"bench-img\",\"device\":\"$dev\",\"cpus\":1,\"memory_mb\":64,\"activate\":true}" ||
		die "POST /apps bench-app-$i"
done
# poll states every 0.1 s for up to 300 s; remember when each state was first seen
deadline=$(($(date +%s) + 300))
running=0
while [ "$running" -lt "$napps" ] && [ "$(date +%s)" -lt "$deadline" ]; do
	running=0
	now=$(date +%s.%N)
	for i in $(seq "$napps"); do
		obj=$(api GET "/apps/bench-app-$i")
		st=$(jq -r '.instances[0].state // "UNKNOWN"' <<<"$obj" 2>/dev/null)
		[ -n "${seen[$i,$st]:-}" ] || seen[$i,$st]=$now
		[ "$st" = ERROR ] && [ -z "${errs[$i]:-}" ] && errs[$i]=$(jq -r '.instances[0].error // ""' <<<"$obj")
		[ "$st" = RUNNING ] && running=$((running + 1))
	done
	sleep 0.1
done
echo "deploy -> state first seen (s after POST /apps; states sampled every ~0.1 s x $napps apps):"
for i in $(seq "$napps"); do
	line=
	for key in "${!seen[@]}"; do
		[ "${key%%,*}" = "$i" ] || continue
		line+="${seen[$key]} ${key#*,}"$'\n'
	done
	echo "  bench-app-$i:$(sort -n <<<"$line" | awk -v a="${t_post[$i]}" 'NF == 2 { printf " %s %.2f", $2, $1 - a }')"
	[ -n "${errs[$i]:-}" ] && echo "    error: ${errs[$i]}"
done
[ "$running" -eq "$napps" ] || echo "  only $running of $napps apps reached RUNNING in 300 s"
applied=$(grep -m1 'config: applied .*'"$napps"' apps' "$work/agent.log" | cut -c1-23)
[ -n "$applied" ] && echo "  fetch: the agent applied the config at $applied UTC ($(awk -v a="${t_post[1]}" -v b="$(date -d "$applied" +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s after the first POST /apps)"
# The states the agent reported, from the controller's info history (1 s
# resolution): content tree (download, verify), volume (unpack), app (boot).
echo "  reported states (s after the first POST /apps, first report of each state):"
for type in content volume app; do
	api GET "/devices/$dev/info?type=$type&limit=1000" | jq -r --argjson t0 "${t_post[1]}" '
		.items | reverse | map({t: ((.time | sub("\\.[0-9]+"; "") | fromdateiso8601) - $t0),
			o: .object, s: ((.info.ainfo // .info.vinfo // .info.cinfo // {}) | .state // "?")})
		| unique_by([.o, .s]) | sort_by(.t) | .[] | "    \(.t | floor) s  \(.o | .[0:8])  \(.s)"' 2>/dev/null |
		sed "s/^/  $type/"
done
measure "agent with $running running container apps"
