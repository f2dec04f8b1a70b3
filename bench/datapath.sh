#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Data path (a): one file served from the controller's datastore
# (GET /datastore/sha256/<hex>) and by Debian's nginx (the same file, the
# same server certificate and key, TLS on both: devices only download over
# HTTPS, so plain HTTP would measure a path no device uses) to CONC
# concurrent clients (ab, apache2-utils: a new TLS connection per download,
# as devices do). Rounds alternate the order (nginx, controller / controller,
# nginx). Prints per run: MB/s, the server's CPU seconds per GiB served
# (utime+stime of every server process, from /proc/PID/stat) and its memory
# (RSS before, peak during (VmHWM after a clear_refs reset), after); then the
# medians and the ratio, the load average of each run, and the crypto floor
# measured in the same run (openssl speed: AES-256-GCM on 16 KiB records, the
# TLS record size both servers send, and P-256 verify). Asserts nothing.
#   bench/datapath.sh BUILD_DIR [PORT_BASE=23500] [ROUNDS=3] [MB=16] [REQUESTS=400] [CONC=100]
# CTL=BINARY picks another eve-controller (e.g. a copy of the one before a change).
set -eu
[ $# -ge 1 ] || { sed -n '2,16p' "$0" >&2; exit 2; }
build=$(cd "$1" && pwd)
base=${2:-23500}
rounds=${3:-3}
mb=${4:-16}
nreq=${5:-400}
conc=${6:-100}
for t in ab nginx openssl; do
	command -v "$t" >/dev/null || { echo "datapath: $t missing (scripts/install-deps: PERF_PKGS)" >&2; exit 1; }
done
w=$(mktemp -d /var/tmp/bench-datapath.XXXXXX)
cpid="" npid=""
cleanup() {
	[ -n "$npid" ] && kill "$npid" 2>/dev/null
	[ -n "$cpid" ] && kill "$cpid" 2>/dev/null
	wait 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$w"
}
trap cleanup EXIT INT TERM
cport=$base nport=$((base + 1))

ctl_bin=${CTL:-$build/controller/eve-controller}
"$ctl_bin" init --dir "$w/ctl" --listen "127.0.0.1:$cport" --host localhost,127.0.0.1 >/dev/null
# The file: incompressible, put where the controller's upload would leave it.
head -c $((mb * 1024 * 1024)) /dev/urandom >"$w/blob"
hex=$(sha256sum "$w/blob" | cut -d' ' -f1)
mkdir -p "$w/ctl/datastore/sha256"
mv "$w/blob" "$w/ctl/datastore/sha256/$hex"
"$ctl_bin" serve --dir "$w/ctl" >"$w/ctl.log" 2>&1 &
cpid=$!

# nginx: loopback, temp config, the controller's certificate and key; one
# worker per core (auto), the Debian defaults otherwise (sendfile does not
# apply to TLS; 16 KiB TLS records).
mkdir -p "$w/ngx"
cat >"$w/ngx/nginx.conf" <<NGX
daemon off;
master_process on;
user root;
worker_processes auto;
pid $w/ngx/nginx.pid;
error_log $w/ngx/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $w/ngx/body;
	proxy_temp_path $w/ngx/proxy;
	fastcgi_temp_path $w/ngx/fcgi;
	uwsgi_temp_path $w/ngx/uwsgi;
	scgi_temp_path $w/ngx/scgi;
	sendfile on;
	keepalive_timeout 65;
	server {
		listen 127.0.0.1:$nport ssl;
		ssl_certificate $w/ctl/certs/server.cert.pem;
		ssl_certificate_key $w/ctl/certs/server.key.pem;
		ssl_protocols TLSv1.2 TLSv1.3;
		location /datastore/ { root $w/ctl; default_type application/octet-stream; }
	}
}
NGX
nginx -c "$w/ngx/nginx.conf" -p "$w/ngx" -e "$w/ngx/error.log" &
npid=$!

url_c="https://127.0.0.1:$cport/datastore/sha256/$hex"
url_n="https://127.0.0.1:$nport/datastore/sha256/$hex"
for _ in $(seq 1 100); do
	curl -sk -o /dev/null -r 0-0 "$url_c" && curl -sk -o /dev/null -r 0-0 "$url_n" && break
	sleep 0.2
done
for u in "$url_c" "$url_n"; do
	got=$(curl -sk "$u" | sha256sum | cut -d' ' -f1)
	[ "$got" = "$hex" ] || { echo "datapath: $u does not serve the file" >&2; exit 1; }
done
tls() { # PORT: the protocol and cipher the client gets
	openssl s_client -connect "127.0.0.1:$1" </dev/null 2>/dev/null |
		awk '/^New, /{p=$2 " " $5} END{print p}'
}
echo "file: $mb MiB, $nreq downloads, $conc concurrent (ab, one TLS connection per download)"
echo "TLS: controller $(tls "$cport") | nginx $(tls "$nport")"
echo "servers: controller threads=4 (default), nginx worker_processes auto ($(nproc) cores); machine: $(nproc) cores"

# Every pid of a server: nginx's master and its workers.
pids_of() { [ "$1" = controller ] && echo "$cpid" || echo "$npid $(pgrep -P "$npid" | tr '\n' ' ')"; }
cpu_ticks() { local s=0; for p in $1; do s=$((s + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo $s; }
kib() { local s=0; for p in $1; do s=$((s + $(awk -v k="$2" '$1 == k":" {print $2}' "/proc/$p/status"))); done; echo $s; }
hz=$(getconf CLK_TCK)

run() { # NAME URL ROUND
	local pids t0 t1 rss0 f="$w/$1-$3.ab" load
	pids=$(pids_of "$1")
	for p in $pids; do echo 5 >"/proc/$p/clear_refs"; done
	rss0=$(kib "$pids" VmRSS)
	load=$(cut -d' ' -f1 /proc/loadavg)
	t0=$(cpu_ticks "$pids")
	ab -q -n "$nreq" -c "$conc" -s 120 "$2" >"$f" 2>&1 || { cat "$f" >&2; exit 1; }
	t1=$(cpu_ticks "$pids")
	awk -v n="$1" -v r="$3" -v mb="$mb" -v ticks=$((t1 - t0)) -v hz="$hz" -v load="$load" \
		-v rss0="$rss0" -v hwm="$(kib "$pids" VmHWM)" -v rss1="$(kib "$pids" VmRSS)" '
		/^Time taken for tests/ { secs = $5 }
		/^Complete requests/ { done = $3 }
		/^Failed requests/ { failed = $3 }
		/^Non-2xx responses/ { non2xx = $3 }
		END {
			gib = done * mb / 1024; cpu = ticks / hz
			printf "%-10s round %d: %7.1f MB/s  %6.2f s  cpu %6.2f s = %5.2f s/GiB  rss %5.1f -> peak %5.1f -> %5.1f MiB  failed %d non-2xx %d  load %s\n",
				n, r, done * mb * 1.048576 / secs, secs, cpu, cpu / gib, rss0 / 1024, hwm / 1024, rss1 / 1024,
				failed, non2xx + 0, load
		}' "$f" | tee -a "$w/results"
}

floor() {
	openssl speed -seconds 2 -bytes 16384 -evp aes-256-gcm 2>/dev/null |
		awk 'toupper($1) == "AES-256-GCM" {printf "crypto floor: AES-256-GCM %.0f MB/s on one core (16 KiB blocks)", $2 / 1000}'
	openssl speed -seconds 2 ecdsap256 2>/dev/null |
		awk '/ 256 bits ecdsa/ {printf ", P-256 verify %.1f us (load %s)\n", 1e6 / $NF, l}' l="$(cut -d' ' -f1 /proc/loadavg)"
}
floor
for r in $(seq 1 "$rounds"); do
	if [ $((r % 2)) -eq 1 ]; then order="nginx controller"; else order="controller nginx"; fi
	for x in $order; do
		if [ "$x" = nginx ]; then run nginx "$url_n" "$r"; else run controller "$url_c" "$r"; fi
	done
done
floor
awk '
	{ mbs[$1] = mbs[$1] " " $4; cpg[$1] = cpg[$1] " " $12 }
	function med(s,  a, n, i, j, t) {
		n = split(s, a, " ")
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	END {
		mc = med(mbs["controller"]); mn = med(mbs["nginx"])
		cc = med(cpg["controller"]); cn = med(cpg["nginx"])
		printf "median: controller %.1f MB/s, %.2f CPU s/GiB | nginx %.1f MB/s, %.2f CPU s/GiB\n", mc, cc, mn, cn
		printf "controller/nginx: throughput %.0f %%, CPU per byte %.2fx\n", 100 * mc / mn, cc / cn
	}' "$w/results"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
