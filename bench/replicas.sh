#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Replicas on PostgreSQL against one controller on SQLite (issue #22): the
# same eve-devsim scenario against three configurations, each started fresh
# on loopback in a temporary directory, rounds alternating the order
# (S P1 P2, P2 P1 S, ...). Prints figures; asserts nothing.
#   S   one controller on SQLite                       PORT_BASE
#   P1  one controller on PostgreSQL 15                PORT_BASE+1, PG PORT_BASE+10000
#   P2  replicas A and B on one PostgreSQL database     A PORT_BASE+2, B PORT_BASE+3,
#       behind HAProxy (TCP, round robin)               HAProxy PORT_BASE+4, PG PORT_BASE+10001
# Each configuration has a PostgreSQL cluster of its own (tests/lib/pg.sh).
# Server CPU of a block = all server-side processes of the configuration
# (controllers; the postmaster's utime+stime+cutime+cstime and its live
# children's utime+stime; HAProxy) from /proc, from the block's header line
# to devsim's "devsim itself" line. devsim reaches P2 through HAProxy, its
# admin requests too (labels, POST /apps): each replica's /metrics says
# which one took them. Round 1 onboards the fleet; later rounds reuse it
# (devsim --state). CTL=, DEVSIM= use other binaries.
# usage: replicas.sh BUILD_DIR PORT_BASE ROUNDS OUT_DIR poll|fanout [DEVSIM-ARGS...]
#   (DEVSIM-ARGS come after the defaults --devices 2000 --duration 10 --threads 2)
#   e.g. replicas.sh build 26000 5 /tmp/rep-poll poll --duration 20
#        replicas.sh build 26000 3 /tmp/rep-fanout fanout --devices 10000 --compress 10
set -u
[ $# -ge 5 ] || { sed -n '2,22p' "$0" >&2; exit 2; }
build=$1 port=$2 rounds=$3 out=$4 scen=$5
shift 5
case $scen in poll | fanout) ;; *) { sed -n '2,22p' "$0" >&2; exit 2; } ;; esac
ctl_bin=${CTL:-$build/controller/eve-controller}
devsim=${DEVSIM:-$build/bench/eve-devsim}
for b in "$ctl_bin" "$devsim"; do [ -x "$b" ] || { echo "replicas.sh: $b missing" >&2; exit 2; }; done
devsim_args=(--devices 2000 --duration 10 --threads 2 "$@")
src=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../tests/lib/pg.sh
. "$src/tests/lib/pg.sh"
# shellcheck source=../tests/lib/haproxy.sh
. "$src/tests/lib/haproxy.sh"

work=$(mktemp -d /tmp/bench-replicas.XXXXXX)
declare -A pid=() port_of=() pgdir=()
cleanup() {
	local k
	for k in "${!pid[@]}"; do
		kill "${pid[$k]}" 2>/dev/null
		for _ in $(seq 100); do kill -0 "${pid[$k]}" 2>/dev/null || break; sleep 0.1; done
		kill -0 "${pid[$k]}" 2>/dev/null && kill -KILL "${pid[$k]}" 2>/dev/null
	done
	haproxy_stop
	for k in "${!pgdir[@]}"; do
		[ -s "${pgdir[$k]}/server.log" ] && cp "${pgdir[$k]}/server.log" "$out/$k-postgres.log" 2>/dev/null
		PG_DIR=${pgdir[$k]}
		pg_stop
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$out"

die() {
	echo "replicas.sh: $*" >&2
	exit 1
}

# pg NAME PORT: a throw-away cluster of its own (tests/lib/pg.sh), so that
# its postmaster and backends serve one configuration only; URL in PG_URL.
pg() {
	PG_DIR=
	pg_start "$2" bench
	local r=$?
	[ -n "$PG_DIR" ] && pgdir[$1]=$PG_DIR
	[ $r -eq 0 ] || die "PostgreSQL for $1: $PG_ERROR"
}

postmaster() { # NAME: the postmaster's pid
	head -n 1 "${pgdir[$1]}/data/postmaster.pid"
}

init() { # NAME PORT [STORE_URL]
	local store=()
	[ $# -ge 3 ] && store=(--store "$3")
	"$ctl_bin" init --dir "$work/$1" --listen "127.0.0.1:$2" --host localhost,127.0.0.1 "${store[@]}" \
		>"$out/$1.init.log" 2>&1 || die "init $1 failed: $(tail -n 3 "$out/$1.init.log")"
	port_of[$1]=$2
}

ping_ok() { # DIR PORT
	curl -s -o /dev/null --max-time 2 --cacert "$1/certs/root-certificate.pem" \
		"https://127.0.0.1:$2/api/v2/edgedevice/ping"
}

serve() { # NAME
	local n=$1
	"$ctl_bin" serve --dir "$work/$n" >"$out/$n.log" 2>&1 &
	pid[$n]=$!
	for _ in $(seq 300); do
		ping_ok "$work/$n" "${port_of[$n]}" && return 0
		kill -0 "${pid[$n]}" 2>/dev/null || break
		sleep 0.1
	done
	die "controller $n did not start: $(tail -n 5 "$out/$n.log")"
}

echo "replicas.sh: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), work dir $work, out $out"
pg P1 $((port + 10000))
url_p1=$PG_URL
pg P2 $((port + 10001))
url_p2=$PG_URL

init S "$port"
init P1 $((port + 1)) "$url_p1"
init P2A $((port + 2)) "$url_p2"
# both replicas give devices the balancer's address (the same configs)
sed -i "s/^public_port *=.*/public_port=$((port + 4))/" "$work/P2A/controller.conf"
# replica B: A's directory (certificates, keys, admin token, store URL)
# with its own listen address; the datastore is A's, by a symlink
mkdir -m 0700 "$work/P2A/datastore"
cp -a "$work/P2A" "$work/P2B"
rm -rf "$work/P2B/datastore"
ln -s "$work/P2A/datastore" "$work/P2B/datastore"
sed -i "s/^listen=.*/listen=127.0.0.1:$((port + 3))/" "$work/P2B/controller.conf"
port_of[P2B]=$((port + 3))
for n in S P1 P2A P2B; do serve "$n"; done
haproxy_start $((port + 4)) $((port + 2)) $((port + 3)) || die "HAProxy: $HAPROXY_ERROR"
pid[haproxy]=$HAPROXY_PID
for _ in $(seq 100); do ping_ok "$work/P2A" $((port + 4)) && break; sleep 0.1; done
ping_ok "$work/P2A" $((port + 4)) || die "no answer through HAProxy"

# Server-side processes of a configuration, tagged: c controller,
# p postmaster (its own and reaped children's CPU, plus its live
# children's), h HAProxy.
procs() { # CONFIG
	case $1 in
	S) echo "c:${pid[S]}" ;;
	P1) echo "c:${pid[P1]} p:$(postmaster P1)" ;;
	P2) echo "c:${pid[P2A]} c:${pid[P2B]} p:$(postmaster P2) h:${pid[haproxy]}" ;;
	esac
}

# CPU ticks so far: "wall_s controllers postgres haproxy" (ticks of CLK_TCK).
snap() { # TAGGED-PIDS...
	local t
	t=$(date +%s.%N)
	# cat: processes that end between the glob and the read are skipped
	# (mawk would stop at the first file it cannot open)
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v want="$*" -v t="$t" '
		BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) { split(w[i], kv, ":"); tag[kv[2]] = kv[1] } }
		{
			pid = $1; s = $0; sub(/^.*\) /, "", s); split(s, f, " ")
			# after the command: f[1] state, f[2] ppid, f[12..15] utime stime cutime cstime
			if (pid in tag) {
				sum[tag[pid]] += f[12] + f[13] + f[14] + f[15]
			} else if ((f[2] in tag) && tag[f[2]] == "p") {
				sum["p"] += f[12] + f[13]
			}
		}
		END { printf "%s %d %d %d\n", t, sum["c"], sum["p"], sum["h"] }
	'
}

# Requests each controller counted (its /metrics, from 127.0.0.1 without
# a token): "device_requests post_apps patch_devices tls_connections"
# (connections that carried a request: HAProxy's health checks do not).
scrape() { # NAME
	curl -s --max-time 10 --cacert "$work/$1/certs/root-certificate.pem" \
		"https://127.0.0.1:${port_of[$1]}/metrics" |
		awk '/^eve_controller_http_requests_total\{/ {
			v = $NF
			if ($0 ~ /api="device"/) d += v
			if ($0 ~ /route="\/api\/v1\/apps",method="POST"/) a += v
			if ($0 ~ /route="\/api\/v1\/devices\/\{id\}",method="PATCH"/) l += v
		}
		/^eve_controller_tls_handshakes_total / { k = $NF }
		END { printf "%d %d %d %d\n", d, a, l, k }'
}

replicas_of() { # CONFIG
	case $1 in S) echo S ;; P1) echo P1 ;; P2) echo P2A P2B ;; esac
}

run() { # CONFIG ROUND
	local cfg=$1 f="$out/$1-$2.txt" dir=$1 p pids n
	case $cfg in
	S) p=$port ;;
	P1) p=$((port + 1)) ;;
	P2) p=$((port + 4)) dir=P2A ;;
	esac
	pids=$(procs "$cfg")
	for n in $(replicas_of "$cfg"); do scrape "$n" >"$f.$n.m0"; done
	echo "### $cfg round $2: load $(cut -d' ' -f1-3 /proc/loadavg): eve-devsim ${devsim_args[*]} $scen" >"$f"
	echo "### server processes: $pids" >>"$f"
	# devsim's own controller figures are for --pid (replica A in P2); ours
	# are taken at the block's header line and at its "devsim itself" line
	"$devsim" --dir "$work/$dir" --pid "${pid[$dir]}" --connect-to "::127.0.0.1:$p" \
		--state "$work/$cfg.state" "${devsim_args[@]}" "$scen" 2>&1 |
		{
			state=0
			while IFS= read -r line; do
				printf '%s\n' "$line"
				case $state:$line in
				"0:== $scen:"*)
					# shellcheck disable=SC2086
					snap $pids >"$f.cpu0"
					state=1
					;;
				"1:  devsim itself:"*)
					# shellcheck disable=SC2086
					snap $pids >"$f.cpu1"
					state=2
					;;
				esac
			done
		} >>"$f"
	echo "devsim exit status ${PIPESTATUS[0]}" >>"$f"
	echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$f"
	for n in $(replicas_of "$cfg"); do scrape "$n" >"$f.$n.m1"; done
	summarize "$cfg" "$2" | tee -a "$out/runs.txt"
}

# One line for a block from its file: rates, errors, server CPU.
summarize() { # CONFIG ROUND
	local cfg=$1 f="$out/$1-$2.txt" tck n split="" admin="" d0 a0 l0 k0 d1 a1 l1 k1
	tck=$(getconf CLK_TCK)
	for n in $(replicas_of "$cfg"); do
		if [ -s "$f.$n.m0" ] && [ -s "$f.$n.m1" ]; then
			read -r d0 a0 l0 k0 <"$f.$n.m0"
			read -r d1 a1 l1 k1 <"$f.$n.m1"
			split+=" $n $((d1 - d0)) on $((k1 - k0)) connections;"
			admin+=" $n: POST /apps $((a1 - a0)), PATCH /devices/{id} $((l1 - l0));"
		fi
	done
	awk -v cfg="$cfg" -v round="$2" -v scen="$scen" -v tck="$tck" -v repl="${split%;}" -v admin="${admin%;}" \
		-v cpu0="$(cat "$f.cpu0" 2>/dev/null)" -v cpu1="$(cat "$f.cpu1" 2>/dev/null)" '
		/^### [A-Z0-9]+ round/ { lb = $6 " " $7 " " $8; sub(/:$/, "", lb) }
		/^crypto floor \(OpenSSL/ { for (i = 1; i <= NF; i++) if ($i == "verify") fl = $(i + 1) + 0 }
		index($0, "== " scen ":") == 1 { inb = 1 }
		inb && / req in / {
			reqs += $2; rate += $8; if ($1 == "config") prate = $8
			e = $0; sub(/.*errors /, "", e); errs += e + 0
		}
		inb && /=> admin POST \/apps took/ { fo = $0; sub(/^ *=> /, "", fo) }
		/^load average after/ { la = $4 " " $5 " " $6 }
		/^devsim exit status/ { ex = $4 }
		END {
			split(cpu0, a, " "); split(cpu1, b, " ")
			ok = cpu0 != "" && cpu1 != ""
			wall = b[1] - a[1]
			c = (b[2] - a[2]) / tck; p = (b[3] - a[3]) / tck; h = (b[4] - a[4]) / tck
			tot = c + p + h
			printf "%-2s round %s:", cfg, round
			if (scen == "poll")
				printf " %.1f polls/s, errors %d,", prate, errs
			else
				printf " %d device requests (%.1f req/s), errors %d,", reqs, rate, errs
			if (ok && scen != "poll") {
				# the block labels every device and creates the app too:
				# its CPU is not per poll
				printf " server CPU in the block %.2f s (controllers %.2f, postgres %.2f, haproxy %.2f s; %.0f%% of one core over %.1f s; labelling, POST /apps and the polls)",
					tot, c, p, h, (wall > 0 ? 100 * tot / wall : 0), wall
			} else if (ok && reqs > 0) {
				us = tot * 1e6 / reqs
				printf " server CPU %.1f us/%s = %.2f P-256 verifies (controllers %.1f, postgres %.1f, haproxy %.1f us; %.0f%% of one core over %.1f s)",
					us, "poll", (fl > 0 ? us / fl : 0),
					c * 1e6 / reqs, p * 1e6 / reqs, h * 1e6 / reqs, (wall > 0 ? 100 * tot / wall : 0), wall
			} else {
				printf " server CPU unknown"
			}
			printf "; floor verify %.1f us; load before %s, after %s", fl, lb, la
			if (cfg == "P2") printf "\n      device requests per replica over the whole devsim run (its /metrics):%s", repl
			if (fo != "") printf "\n      fan-out: %s", fo
			if (scen == "fanout" && cfg == "P2") printf "\n      admin requests through HAProxy, per replica:%s", admin
			if (ex != "0") printf "\n      devsim exit status %s", ex
			printf "\n"
		}' "$f"
}

: >"$out/runs.txt"
for r in $(seq "$rounds"); do
	if [ $((r % 2)) -eq 1 ]; then order="S P1 P2"; else order="P2 P1 S"; fi
	for x in $order; do run "$x" "$r"; done
done

median() { # numbers on stdin
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
{
	echo "== medians over $rounds round(s), eve-devsim ${devsim_args[*]} $scen"
	echo "   (S: SQLite; P1: PostgreSQL, 1 controller; P2: PostgreSQL, 2 replicas behind HAProxy)"
	for cfg in S P1 P2; do
		rl=$(grep "^$cfg  *round" "$out/runs.txt")
		us=$(sed -n 's/.*server CPU \([0-9.]*\) us.*/\1/p' <<<"$rl" | median)
		ver=$(sed -n 's/.* = \([0-9.]*\) P-256 verifies.*/\1/p' <<<"$rl" | median)
		errs=$(sed -n 's/.*errors \([0-9]*\),.*/\1/p' <<<"$rl" | awk '{ s += $1 } END { print s + 0 }')
		if [ "$scen" = poll ]; then
			rate=$(sed -n 's/.*: \([0-9.]*\) polls\/s.*/\1/p' <<<"$rl" | median)
			printf '%-2s %s polls/s, server CPU %s us/poll = %s P-256 verifies/poll, errors (all rounds) %s\n' \
				"$cfg" "$rate" "$us" "$ver" "$errs"
		else
			fl=$(awk -v c="$cfg" '/^[A-Z0-9]+ +round/ { cur = $1 } cur == c && /fan-out:/' "$out/runs.txt")
			cpu=$(sed -n 's/.*server CPU in the block \([0-9.]*\) s.*/\1/p' <<<"$rl" | median)
			all=$(sed -n 's/.*all by \([0-9.]*\) s.*/\1/p' <<<"$fl" | median)
			p50=$(sed -n 's/.*50% by \([0-9.]*\) s.*/\1/p' <<<"$fl" | median)
			p99=$(sed -n 's/.*99% by \([0-9.]*\) s.*/\1/p' <<<"$fl" | median)
			adm=$(sed -n 's/.*POST \/apps took \([0-9.]*\) s.*/\1/p' <<<"$fl" | median)
			notall=$(grep -c 'NOT ALL' <<<"$fl")
			printf '%-2s fan-out: all devices by %s s (50%% by %s s, 99%% by %s s), POST /apps %s s; runs not complete: %s; server CPU in the block %s s; errors (all rounds) %s\n' \
				"$cfg" "$all" "$p50" "$p99" "$adm" "$notall" "$cpu" "$errs"
		fi
	done
	echo "server log lines at level=error: S $(grep -c 'level=error' "$out/S.log") P1 $(grep -c 'level=error' "$out/P1.log")" \
		"P2A $(grep -c 'level=error' "$out/P2A.log") P2B $(grep -c 'level=error' "$out/P2B.log")"
} | tee "$out/summary.txt"
