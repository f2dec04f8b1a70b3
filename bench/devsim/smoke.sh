#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Smoke test for eve-devsim (ctest bench_devsim_smoke): start a real
# controller on 127.0.0.1:PORT in a temporary directory, run a tiny scenario
# (20 devices, 2 s of polling) and check that devsim exits 0 having printed its
# figures, requests made and no errors; then a second run of the same fleet
# (identities derived from the serials: the same certificates) must onboard
# again without errors, and a third with --state must skip onboarding and
# poll. Asserts nothing about speed.
# usage: smoke.sh EVE-CONTROLLER EVE-DEVSIM PORT
set -u
ctl_bin=$1 devsim_bin=$2 port=$3
work=$(mktemp -d /tmp/bench-smoke.XXXXXX)
ctl_pid=

cleanup() {
	if [ -n "$ctl_pid" ] && kill -0 "$ctl_pid" 2>/dev/null; then
		kill "$ctl_pid" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$ctl_pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$ctl_pid" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

fail() { echo "bench smoke: $*" >&2; [ -f "$work/ctl.log" ] && tail -20 "$work/ctl.log" >&2; exit 1; }

"$ctl_bin" init --dir "$work/ctl" --listen "127.0.0.1:$port" >"$work/init.log" 2>&1 || fail "controller init failed: $(cat "$work/init.log")"
"$ctl_bin" serve --dir "$work/ctl" >"$work/ctl.log" 2>&1 &
ctl_pid=$!

# wait (bounded) until the controller answers TLS on its port
server=$(tr -d '\n' <"$work/ctl/device-config/server")
for _ in $(seq 100); do
	kill -0 "$ctl_pid" 2>/dev/null || fail "controller exited"
	curl -s -o /dev/null --cacert "$work/ctl/device-config/root-certificate.pem" \
		--connect-to "::127.0.0.1:$port" "https://$server/api/v1/status" && break
	sleep 0.1
done

"$devsim_bin" --dir "$work/ctl" --pid "$ctl_pid" --connect-to "::127.0.0.1:$port" \
	--devices 20 --connections 4 --duration 2 --crypto-seconds 0.05 --state "$work/state" \
	poll >"$work/devsim.out" 2>&1
rc=$?
cat "$work/devsim.out"
[ $rc -eq 0 ] || fail "eve-devsim exited $rc"
grep -q 'config .* req/s' "$work/devsim.out" || fail "no poll figures printed"
grep -q 'controller: .*CPU' "$work/devsim.out" || fail "no controller figures printed"

# The figures must be sane: every request kind it printed made requests and
# none failed; register, uuid and config were all measured; every device
# onboarded.
bad=$(awk '/ req in .* errors [0-9]+$/ {
	n++; seen[$1] = 1
	if ($2 + 0 <= 0 || $NF != "0") print "  " $0
} END {
	if (n == 0) print "  no request lines"
	split("register uuid config", k, " ")
	for (i in k) if (!(k[i] in seen)) print "  no " k[i] " figures"
}' "$work/devsim.out")
[ -z "$bad" ] || fail "insane figures (zero requests or errors):"$'\n'"$bad"
grep -q '=> .* 20 of 20 devices have a UUID' "$work/devsim.out" || fail "not every device onboarded"
echo "bench smoke: figures sane (requests > 0, errors 0)"

"$devsim_bin" --dir "$work/ctl" --pid "$ctl_pid" --connect-to "::127.0.0.1:$port" \
	--devices 20 --connections 4 --duration 1 --crypto-seconds 0.05 poll >"$work/devsim2.out" 2>&1 ||
	{ cat "$work/devsim2.out"; fail "second eve-devsim run exited non-zero"; }
grep -q '=> .* 20 of 20 devices have a UUID' "$work/devsim2.out" ||
	{ cat "$work/devsim2.out"; fail "the same fleet did not onboard again (certificates not reproduced?)"; }
grep -E '^  (register|uuid) .* errors [1-9]' "$work/devsim2.out" &&
	fail "the same fleet's second onboarding had errors"
echo "bench smoke: a second run of the same fleet onboards again"

"$devsim_bin" --dir "$work/ctl" --pid "$ctl_pid" --connect-to "::127.0.0.1:$port" \
	--devices 20 --connections 4 --duration 1 --crypto-seconds 0.05 --state "$work/state" \
	poll >"$work/devsim3.out" 2>&1 || { cat "$work/devsim3.out"; fail "third eve-devsim run exited non-zero"; }
grep -q 'state: 20 of 20 devices onboarded by an earlier run' "$work/devsim3.out" ||
	{ cat "$work/devsim3.out"; fail "--state did not give back the onboarded fleet"; }
grep -Eq '^  register ' "$work/devsim3.out" && { cat "$work/devsim3.out"; fail "--state: onboarded again"; }
grep -Eq '^  config .* req in .* errors 0$' "$work/devsim3.out" ||
	{ cat "$work/devsim3.out"; fail "--state: polls failed"; }
echo "bench smoke: --state skips onboarding and the devices poll"
exit 0
