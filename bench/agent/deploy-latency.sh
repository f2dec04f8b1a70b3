#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Deploy latency with the image already on the device: admin change (POST
# /apps) -> container app RUNNING on the device, split with the agent's own
# log (eve-agent -v: millisecond timestamps on "config: requesting",
# "config: applied" and every "runtime: app|vol|ct UUID STATE" report):
#   poll wait  POST /apps -> the agent's next config request
#   fetch      that request -> config applied
#   verify     config applied -> content tree LOADED (0 when the image is
#              already loaded: no content-tree report in between)
#   unpack     -> the app's volume CREATED_VOLUME
#   start      -> the app RUNNING
# An anchor app keeps the image's content tree on the device; the measured
# app is deployed and deleted RUNS times. Prints every run and the medians;
# asserts nothing. Needs libvirt (tests/lib/libvirtd.sh), jq, curl.
#   bench/agent/deploy-latency.sh --agent BIN --controller BIN --image OCI.tar
#       [--port 23560] [--runs 5] [--interval 10] [--keep --workdir DIR]
set -u
agent_bin= ctl_bin= image= port=23560 runs=5 interval=10 work= keep=0
while [ $# -gt 0 ]; do
	case $1 in
	--agent) agent_bin=$2; shift ;;
	--controller) ctl_bin=$2; shift ;;
	--image) image=$2; shift ;;
	--port) port=$2; shift ;;
	--runs) runs=$2; shift ;;
	--interval) interval=$2; shift ;;
	--workdir) work=$2; shift ;;
	--keep) keep=1 ;;
	-h|--help) sed -n '2,17p' "$0"; exit 0 ;;
	*) echo "unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
[ -x "$agent_bin" ] && [ -x "$ctl_bin" ] && [ -f "$image" ] || { sed -n '2,17p' "$0" >&2; exit 2; }
[ -n "$work" ] || work=$(mktemp -d /tmp/deploy-latency.XXXXXX)
mkdir -p "$work"
work=$(cd "$work" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
ctl_pid= agent_pid=

remove_domains() {
	local uri dom
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
cleanup() {
	stop_pid "$agent_pid"
	remove_domains
	stop_pid "$ctl_pid"
	[ "$keep" -eq 1 ] || rm -rf "$work"
}
trap cleanup EXIT INT TERM
die() { echo "deploy-latency: $*" >&2; exit 1; }

"$ctl_bin" init --dir "$work/ctl" --listen "127.0.0.1:$port" >"$work/init.log" 2>&1 || die "controller init: $(cat "$work/init.log")"
"$ctl_bin" serve --dir "$work/ctl" >"$work/ctl.log" 2>&1 &
ctl_pid=$!
dc=$work/ctl/device-config
server=$(tr -d '\n' <"$dc/server")
token=$(tr -d '\n' <"$work/ctl/admin-token")
api() { # METHOD PATH [curl args...]
	local m=$1 p=$2
	shift 2
	curl -s --cacert "$dc/root-certificate.pem" --connect-to "::127.0.0.1:$port" \
		-H "Authorization: Bearer $token" -X "$m" "https://$server/api/v1$p" "$@"
}
for _ in $(seq 100); do api GET /status -o /dev/null -f && break; sleep 0.1; done
code=$(api POST /onboard -H 'Content-Type: application/json' -o /dev/null -w '%{http_code}' \
	-d "$(jq -n --rawfile c "$dc/onboard.cert.pem" '{cert: $c, serials: ["*"]}')")
case $code in 2*|409) ;; *) die "POST /onboard failed (HTTP $code)" ;; esac

. "$src/tests/lib/libvirtd.sh"
libvirtd_start || die "libvirtd: $LIBVIRTD_ERROR"

mkdir -p "$work/config" "$work/state"
cp "$dc"/server "$dc"/root-certificate.pem "$dc"/onboard.cert.pem "$dc"/onboard.key.pem "$work/config/"
"$agent_bin" -v --config "$work/config" --state "$work/state" >"$work/agent.log" 2>&1 &
agent_pid=$!
dev=
for _ in $(seq 600); do
	kill -0 "$agent_pid" 2>/dev/null || die "agent exited: $(tail -5 "$work/agent.log")"
	dev=$(api GET /devices | jq -r '.items[0].id // empty' 2>/dev/null)
	[ -n "$dev" ] && [ "$(api GET "/devices/$dev" | jq -r .state)" = online ] && break
	sleep 0.1
done
[ -n "$dev" ] || die "agent never onboarded"
api PUT "/devices/$dev/config-items" -H 'Content-Type: application/json' -f -o /dev/null \
	-d "{\"timer.config.interval\": \"$interval\"}" || die "config-items"

sha=$(sha256sum "$image" | cut -d' ' -f1)
api POST /images -H 'Content-Type: application/json' -f -o /dev/null \
	-d "{\"name\":\"dl-img\",\"sha256\":\"$sha\",\"format\":\"oci\",\"size\":$(stat -c %s "$image")}" || die "POST /images"
api PUT /images/dl-img/data -H 'Content-Type: application/octet-stream' -f -o /dev/null \
	--data-binary @"$image" || die "image upload"

deploy() { # NAME
	api POST /apps -H 'Content-Type: application/json' -f -o /dev/null \
		-d "{\"name\":\"$1\",\"image\":\"dl-img\",\"device\":\"$dev\",\"cpus\":1,\"memory_mb\":64,\"activate\":true}"
}
# The app's UUID once the agent reported it RUNNING (its own log), in 180 s.
wait_running() { # NAME
	local id
	id=$(api GET "/apps/$1" | jq -r ".instances[0].id // empty")
	for _ in $(seq 1800); do
		grep -q "runtime: app $id RUNNING" "$work/agent.log" && { echo "$id"; return 0; }
		sleep 0.1
	done
	return 1
}
ms() { date -d "$1" +%s%3N; } # ISO time -> ms

deploy dl-anchor || die "POST /apps dl-anchor"
wait_running dl-anchor >/dev/null || die "anchor app never RUNNING: $(grep -i error "$work/agent.log" | tail -3)"
echo "device $dev: image $(basename "$image") local (anchor app RUNNING), timer.config.interval $interval s, $runs runs"
printf '%-4s %9s %7s %7s %7s %7s %9s %9s  (ms)\n' run poll-wait fetch verify unpack start after-fetch total
for i in $(seq "$runs"); do
	lines0=$(wc -l <"$work/agent.log")
	old=$(grep -oE 'runtime: (vol|app|ct) [0-9a-f-]+' "$work/agent.log" | awk '{print $3}' | sort -u | tr '\n' ' ')
	t0=$(date +%s%3N)
	deploy "dl-$i" || die "POST /apps dl-$i"
	id=$(wait_running "dl-$i") || die "dl-$i never RUNNING: $(grep -i error "$work/agent.log" | tail -3)"
	tail -n +"$((lines0 + 1))" "$work/agent.log" >"$work/run-$i.log"
	t_app=$(grep -m1 'config: applied' "$work/run-$i.log" | sed 's/^ts=\([^ ]*\).*/\1/')
	[ -n "$t_app" ] || die "run $i: no 'config: applied' line"
	t_req=$(awk -v a="$t_app" '/config: requesting/ { t = substr($1, 4) } index($0, "ts=" a) == 1 && /config: applied/ { print t; exit }' "$work/run-$i.log")
	# the first report after the config applied of an object not seen before this run (not the anchor's)
	after() {
		awk -v a="$t_app" -v p="$1" -v old="$old" '
			BEGIN { n = split(old, o, " "); for (k = 1; k <= n; k++) seen[o[k]] = 1 }
			substr($1, 4) >= a && $0 ~ p {
				u = ""
				if (match($0, /runtime: [a-z]+ [0-9a-f-]+/)) { split(substr($0, RSTART, RLENGTH), w, " "); u = w[3] }
				if (!(u in seen)) { print substr($1, 4); exit }
			}' \
			"$work/run-$i.log"
	}
	t_ct=$(after 'runtime: ct .* LOADED')
	t_vol=$(after 'runtime: vol .* CREATED_VOLUME')
	t_run=$(after "runtime: app $id RUNNING")
	a=$(ms "$t_app") q=$(ms "${t_req:-$t_app}") r=$(ms "$t_run")
	c=$([ -n "$t_ct" ] && ms "$t_ct" || echo "$a")
	v=$([ -n "$t_vol" ] && ms "$t_vol" || echo "$c")
	printf '%-4s %9d %7d %7d %7d %7d %9d %9d\n' "$i" $((q - t0)) $((a - q)) $((c - a)) $((v - c)) $((r - v)) $((r - a)) $((r - t0)) |
		tee -a "$work/results"
	api DELETE "/apps/dl-$i" -f -o /dev/null || die "DELETE dl-$i"
	# gone from the device: the agent applied a config without it and the domain is away
	for _ in $(seq 1800); do
		[ "$(grep -c 'config: applied' "$work/agent.log")" -gt "$(grep -c 'config: applied' "$work/run-$i.log")" ] &&
			! timeout 10 virsh -q -c lxc:///system list --name 2>/dev/null | grep -q "$id" && break
		sleep 0.1
	done
done
awk '
	function med(c,  n, i, j, t, a) {
		n = 0
		for (i = 1; i <= NR; i++) a[++n] = v[i, c]
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	{ for (c = 2; c <= 8; c++) v[NR, c] = $c + 0 }
	END { printf "%-4s %9d %7d %7d %7d %7d %9d %9d\n", "med", med(2), med(3), med(4), med(5), med(6), med(7), med(8) }' "$work/results"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
