#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Registrations through the commit queue (controller/commitq.c): a real
# controller on 127.0.0.1:PORT, eve-devsim onboards 300 devices at once on
# 24 connections and 4 threads (so registrations share transactions), every
# device must get its UUID with no error; the same devices registering again
# get 200 (found, not created twice); after a restart (SIGTERM drains the
# queue) the controller loads every device from its DER certificate (p256.c)
# and serves their signed polls. Asserts nothing about speed.
# usage: register_batch.sh EVE-CONTROLLER EVE-DEVSIM PORT
set -u
ctl_bin=$1 devsim_bin=$2 port=$3
for tool in curl jq; do
	if ! command -v "$tool" >/dev/null; then
		[ "${CI:-}" = true ] && { echo "register_batch: $tool missing (CI has every package)" >&2; exit 1; }
		echo "register_batch: $tool missing, skipped"
		exit 77
	fi
done
work=$(mktemp -d /tmp/register-batch.XXXXXX)
ctl_pid=

stop_ctl() {
	if [ -n "$ctl_pid" ] && kill -0 "$ctl_pid" 2>/dev/null; then
		kill "$ctl_pid" 2>/dev/null
		for _ in $(seq 100); do kill -0 "$ctl_pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$ctl_pid" 2>/dev/null
	fi
	ctl_pid=
}
cleanup() {
	stop_ctl
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

fail() {
	echo "register_batch: $*" >&2
	[ -f "$work/ctl.log" ] && tail -20 "$work/ctl.log" >&2
	exit 1
}

start_ctl() {
	"$ctl_bin" serve --dir "$work/ctl" >>"$work/ctl.log" 2>&1 &
	ctl_pid=$!
	local server
	server=$(tr -d '\n' <"$work/ctl/device-config/server")
	for _ in $(seq 300); do
		kill -0 "$ctl_pid" 2>/dev/null || fail "controller exited"
		curl -s -o /dev/null --cacert "$work/ctl/device-config/root-certificate.pem" \
			--connect-to "::127.0.0.1:$port" "https://$server/api/v1/status" && return 0
		sleep 0.1
	done
	fail "controller does not answer"
}

devsim() { # OUT SCENARIO
	"$devsim_bin" --dir "$work/ctl" --pid "$ctl_pid" --connect-to "::127.0.0.1:$port" \
		--devices 300 --connections 24 --threads 4 --duration 2 \
		--crypto-seconds 0.05 "$2" >"$work/$1" 2>&1 || { cat "$work/$1"; fail "eve-devsim $2 exited $?"; }
}

errors() { # OUT: request lines with errors, or no request lines at all
	awk '/ req in .* errors [0-9]+$/ { n++; if ($NF != "0") print "  " $0 }
	     END { if (n == 0) print "  no request lines" }' "$work/$1"
}

"$ctl_bin" init --dir "$work/ctl" --listen "127.0.0.1:$port" >"$work/init.log" 2>&1 ||
	fail "controller init failed: $(cat "$work/init.log")"
start_ctl

devsim first.out poll
cat "$work/first.out"
[ -z "$(errors first.out)" ] || fail "errors while onboarding:"$'\n'"$(errors first.out)"
grep -q '=> .* 300 of 300 devices have a UUID' "$work/first.out" || fail "not every device onboarded"
grep -q 'crypto floor spread: verify min' "$work/first.out" || fail "no crypto floor spread printed"

token=$(cat "$work/ctl/admin-token")
server=$(tr -d '\n' <"$work/ctl/device-config/server")
count() {
	curl -s --cacert "$work/ctl/device-config/root-certificate.pem" --connect-to "::127.0.0.1:$port" \
		-H "Authorization: Bearer $token" "https://$server/api/v1/status" | jq .devices
}
n=$(count)
[ "$n" = 300 ] || fail "the controller lists $n devices, not 300"

# Restart: the queue drains on SIGTERM; the devices come back from the
# database and onboard again as already registered (200), then poll.
stop_ctl
start_ctl
devsim second.out poll
cat "$work/second.out"
[ -z "$(errors second.out)" ] || fail "errors after the restart:"$'\n'"$(errors second.out)"
grep -q '=> .* 300 of 300 devices have a UUID' "$work/second.out" || fail "devices lost by the restart"
grep -q 'config .* req/s' "$work/second.out" || fail "no polls after the restart"
n=$(count)
[ "$n" = 300 ] || fail "after the restart the controller lists $n devices, not 300"
echo "register_batch: 300 concurrent registrations, all durable across a restart"
exit 0
