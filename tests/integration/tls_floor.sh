#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The device's HTTPS clients refuse anything below TLS 1.2 (issue 12,
# defect 3): the device API client, the runtime's downloader and the base-OS
# fetcher, driven by tls_floor_probe, answer a TLS 1.2 `openssl s_server`
# (control: the same certificate, the same probe) and refuse a TLS 1.1 one,
# with an OpenSSL policy that would allow TLS 1.1 (OPENSSL_CONF at security
# level 0), so that the refusal is the clients' own.
#   tls_floor.sh PROBE WORKDIR PORT     (PORT and PORT+1 are used)
set -u
here=$(dirname "$0")
. "$here/../lib/skip.sh"
PROBE=$1
W=$2
PORT=$3
command -v openssl >/dev/null || test_skip "openssl (Debian package openssl) not installed"
rm -rf "$W"
mkdir -p "$W"
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$W"' EXIT
FAILED=0
fail() {
	echo "FAIL: $*"
	FAILED=1
}

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/key.pem" \
	-out "$W/cert.pem" -days 2 -subj /CN=localhost \
	-addext subjectAltName=IP:127.0.0.1,DNS:localhost 2>/dev/null || { echo "FAIL: openssl req"; exit 1; }
cat >"$W/weak.cnf" <<-'CNF'
	openssl_conf = openssl_init
	[openssl_init]
	ssl_conf = ssl_sect
	[ssl_sect]
	system_default = system_default_sect
	[system_default_sect]
	MinProtocol = TLSv1
	CipherString = DEFAULT:@SECLEVEL=0
CNF
export OPENSSL_CONF=$W/weak.cnf

# serve PORT VERSION-FLAG: an s_server answering every GET with 200.
serve() {
	openssl s_server -accept "$1" "$2" -cert "$W/cert.pem" -key "$W/key.pem" \
		-cipher 'DEFAULT:@SECLEVEL=0' -www >"$W/s_server$2.log" 2>&1 &
	PIDS+=($!)
}
# wait_up PORT VERSION: a permissive curl of that version gets an answer.
wait_up() {
	local i
	for ((i = 0; i < 100; i++)); do
		curl -s -o /dev/null --cacert "$W/cert.pem" "$2" --tls-max "${2#--tlsv}" \
			"https://127.0.0.1:$1/" && return 0
		sleep 0.1
	done
	return 1
}
serve "$PORT" -tls1_2
serve $((PORT + 1)) -tls1_1
wait_up "$PORT" --tlsv1.2 || fail "the TLS 1.2 server does not answer"
wait_up $((PORT + 1)) --tlsv1.1 || fail "the TLS 1.1 server does not answer a permissive curl"

out=$("$PROBE" "127.0.0.1:$PORT" "$W/cert.pem" "$W" 2>&1)
rc=$?
echo "$out" | sed 's/^/  TLS 1.2: /'
[ "$rc" = 0 ] || fail "a client could not use a TLS 1.2 server ($rc failed)"

out=$("$PROBE" "127.0.0.1:$((PORT + 1))" "$W/cert.pem" "$W" 2>&1)
rc=$?
echo "$out" | sed 's/^/  TLS 1.1: /'
[ "$rc" = 3 ] || fail "$((3 - rc)) client(s) accepted a TLS 1.1 server"
[ "$(grep -c ': ok' <<<"$out")" = 0 ] || fail "a client answered ok over TLS 1.1"

[ "$FAILED" = 0 ] && echo "tls_floor: all checks passed"
exit "$FAILED"
