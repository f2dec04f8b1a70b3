#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# eve-controller certs status | renew | rotate-signing with real agents
# polling throughout: the TLS certificate is renewed and the controller
# reloads gracefully (same process, same listening socket, no refused
# connection); the signing certificate is rotated with an overlap in which
# /certs lists both; after the switch a running agent applies the next
# config change, restarts offline on its own checkpoint, and an agent that
# was stopped before the rotation and started after it recovers. No config
# request of any agent fails because of it. Port 19970.
. "$(dirname "$0")/agent_lib.sh"

controller_up 19970
ev_cfg() { ctl_api "$CTL" PUT "/devices/$1/config-items" "{\"timer.metric.interval\": \"$2\"}" >/dev/null; }
bad_lines() { grep -E "config: (controller unreachable|response refused|HTTP [0-9]+)" "$W/$1.log" || true; }
served_cert() {
	openssl s_client -connect "127.0.0.1:19970" -servername localhost </dev/null 2>/dev/null |
		openssl x509 -noout "$@"
}

echo "== two agents onboarded; b is stopped before the rotation"
agent_start a
agent_start b
wait_for 60 "a onboarded" test -s "$W/a.state/uuid"
wait_for 60 "b onboarded" test -s "$W/b.state/uuid"
A=$(agent_uuid a) B=$(agent_uuid b)
wait_for 30 "b applied a config" log_has b "applied [0-9a-f]+ from controller"
agent_stop b

echo "== certs status"
"$EVE_CONTROLLER" certs status --dir "$CTL" >"$W/status.out" || fail "certs status"
for c in root-certificate.pem server.cert.pem signing.cert.pem ecdh.cert.pem; do
	grep -q "^$c .* [0-9]* days$" "$W/status.out" || fail "certs status does not show $c: $(cat "$W/status.out")"
done

echo "== renew the TLS certificate: graceful reload"
pid=$(cat "$CTL/serve.pid")
old_serial=$(served_cert -serial)
"$EVE_CONTROLLER" certs renew --dir "$CTL" --days 100 >"$W/renew.out" || fail "certs renew: $(cat "$W/renew.out")"
grep -q "pid $pid" "$W/renew.out" || fail "renew did not signal the running controller: $(cat "$W/renew.out")"
wait_for 20 "new certificate served" sh -c "[ \"\$(openssl s_client -connect 127.0.0.1:19970 -servername localhost </dev/null 2>/dev/null | openssl x509 -noout -serial)\" != '$old_serial' ]"
days=$(($(date -d "$(served_cert -enddate | cut -d= -f2)" +%s) / 86400 - $(date +%s) / 86400))
[ "$days" -ge 99 ] && [ "$days" -le 100 ] || fail "served certificate ends in $days days, not 100"
[ "$(cat "$CTL/serve.pid")" = "$pid" ] && kill -0 "$pid" || fail "the controller is not the same process after the reload"
openssl verify -CAfile "$CTL/certs/root-certificate.pem" "$CTL/certs/server.cert.pem" >/dev/null || fail "renewed certificate does not chain"
ev_cfg "$A" 4 || fail "config change after renew"
wait_for 30 "a applies a change after the renewal" log_has a "timer.metric.interval = 4 s"

echo "== rotate the signing certificate with a 6 s overlap"
old_sig=$(sha256sum <"$CTL/certs/signing.cert.pem")
"$EVE_CONTROLLER" certs rotate-signing --dir "$CTL" --overlap 6 >"$W/rotate.out" || fail "rotate: $(cat "$W/rotate.out")"
"$EVE_CONTROLLER" certs rotate-signing --dir "$CTL" >/dev/null 2>&1 && fail "a second rotation during the first accepted"
wait_for 60 "next certificate served by /certs" sh -c "curl -s --cacert '$CTL/certs/root-certificate.pem' \
	'$(ctl_url "$CTL")/api/v2/edgedevice/certs' | grep -ac 'BEGIN CERTIFICATE' | grep -qx 3"
"$EVE_CONTROLLER" certs status --dir "$CTL" | grep -q "signing rotation" || fail "status does not show the rotation"
wait_for 30 "the switch" sh -c "[ ! -e '$CTL/certs/signing-next.cert.pem' ] && [ -e '$CTL/certs/signing-prev.cert.pem' ]"
[ "$(sha256sum <"$CTL/certs/signing.cert.pem")" != "$old_sig" ] || fail "signing.cert.pem did not change"
cmp -s <(sha256sum <"$CTL/certs/signing-prev.cert.pem") <(echo "$old_sig") || fail "the old certificate was not kept"
[ "$(cat "$CTL/serve.pid")" = "$pid" ] || fail "the controller is not the same process after the switch"
grep -q "now signing with the next signing certificate" "$CTL/serve.log" || fail "the switch is not logged"

echo "== a keeps working, then restarts offline on its checkpoint"
ev_cfg "$A" 5 || fail "config change after the rotation"
wait_for 30 "a applies a change signed by the new certificate" log_has a "timer.metric.interval = 5 s"
sleep 5 # a few more polls (the whole config is taken again under the new certificate)
agent_stop a
controller_stop
agent_start a
wait_for 30 "a restarts offline from its checkpoint" log_has a "applied [0-9a-f]+ from lastconfig"
log_has a "lastconfig: .*not applied" && fail "a rejected its own checkpoint after the rotation"
agent_stop a
controller_start

echo "== b, stopped through the whole rotation, recovers"
agent_start b
wait_for 30 "b starts from its checkpoint" log_has b "applied [0-9a-f]+ from lastconfig"
ev_cfg "$B" 6 || fail "config change for b"
wait_for 40 "b applies a change signed by the new certificate" log_has b "timer.metric.interval = 6 s"
agent_start a
wait_for 30 "a polls again" log_has a "config: (unchanged|applied)"

for n in a b; do
	bl=$(bad_lines "$n")
	[ -z "$bl" ] || fail "agent $n had failed config requests: $bl"
	for f in "$W/$n".log.*; do
		[ -f "$f" ] && grep -E "config: (response refused|HTTP [0-9]+)" "$f" && fail "agent $n ($f): refused responses"
	done
done
echo PASS
