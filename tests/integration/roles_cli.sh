#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# evectl whoami, token, user, project and audit against a real controller
# (issue 19): a scoped operator token made with the CLI works in its
# project only, token list never prints secrets, revoke is immediate, the
# last admin stays, users log in, and the audit shows who did what.
. "$(dirname "$0")/cli_lib.bash"

start_controller
A=(--server "$SERVER" --ca "$CA" --token "$TOKEN")

expect 0 "${A[@]}" -o json whoami
want admin "$(json .role)" "init token role"
want admin "$(json .token)" "init token name"

expect 0 "${A[@]}" project create site-a
expect 0 "${A[@]}" project create site-b
expect 3 "${A[@]}" project create 'Bad Name'
expect 0 "${A[@]}" project list
grep -q site-a "$OUT" && grep -q default "$OUT" || fail "project list"

# usage errors are caught before the server
expect 1 "${A[@]}" token create --name ci --role operator
expect 1 "${A[@]}" token create --name ci --role admin --project site-a
expect 1 "${A[@]}" token create --name ci --role root --project site-a

expect 0 "${A[@]}" -o json token create --role operator --project site-a --expires 30d --name ci
CI=$(json .token)
want operator "$(json .role)" "ci role"
want site-a "$(json .projects[0])" "ci project"
expect 0 "${A[@]}" -o json token create --role viewer --project '*' --name look
LOOK=$(json .token)

expect 0 "${A[@]}" token list
grep -q "ci .*operator.*site-a" "$OUT" || fail "token list shows ci"
grep -q "eve_" "$OUT" && fail "token list prints a secret"
expect 0 "${A[@]}" -o json token list
grep -q "eve_" "$OUT" && fail "token list -o json prints a secret"

C=(--server "$SERVER" --ca "$CA" --token "$CI")
expect 0 "${C[@]}" -o json whoami
want site-a "$(json .projects[0])" "whoami projects"
# the operator creates in its project; site-b is refused; admin routes are 403
mkcert dev1
expect 0 "${C[@]}" -o json device add dev1 --cert "$WORK/dev1.pem" --serial S1
want site-a "$(json .project)" "device project"
mkcert dev2
expect 3 "${C[@]}" device add dev2 --cert "$WORK/dev2.pem" --serial S2 --project site-b
grep -q "HTTP 403" "$ERR" || fail "site-b refused with 403"
expect 0 "${A[@]}" device add dev2 --cert "$WORK/dev2.pem" --serial S2 --project site-b
expect 0 "${C[@]}" device list
grep -q dev1 "$OUT" || fail "operator lists dev1"
grep -q dev2 "$OUT" && fail "operator lists dev2 of site-b"
expect 2 "${C[@]}" device get dev2
expect 0 "${A[@]}" -o wide device list
grep -q "dev2 .*site-b" "$OUT" || fail "-o wide shows the project"
expect 3 "${C[@]}" token list
expect 3 "${C[@]}" user list
# the viewer reads everything, changes nothing
V=(--server "$SERVER" --ca "$CA" --token "$LOOK")
expect 0 "${V[@]}" device list
grep -q dev2 "$OUT" || fail "viewer lists dev2"
expect 3 "${V[@]}" device delete dev2
grep -q "HTTP 403" "$ERR" || fail "viewer delete is 403"
expect 0 "${V[@]}" device get dev2

# users: the password from standard input
echo "correct horse" | "$EVECTL" "${A[@]}" user create alice --role operator --project site-a >"$OUT" 2>"$ERR" ||
	fail "user create"
expect 0 "${A[@]}" user list
grep -q "alice .*operator" "$OUT" || fail "user list"
code=$(curl -s -o "$WORK/login" -w '%{http_code}' --cacert "$CA" -d '{"user":"alice","password":"correct horse"}' \
	"$SERVER/api/v1/login")
want 200 "$code" "login"
SESSION=$("$JSONQ" .token <"$WORK/login")
expect 0 --server "$SERVER" --ca "$CA" --token "$SESSION" -o json whoami
want alice "$(json .user)" "session whoami"
echo "battery staple" | "$EVECTL" "${A[@]}" user passwd alice >"$OUT" 2>"$ERR" || fail "user passwd"
expect 3 --server "$SERVER" --ca "$CA" --token "$SESSION" whoami # a new password ends sessions
grep -q "HTTP 401" "$ERR" || fail "old session is 401"

# revoke: 401 at once; the last admin token stays
expect 0 "${A[@]}" token revoke ci
expect 3 "${C[@]}" device list
grep -q "HTTP 401" "$ERR" || fail "revoked token is 401"
expect 3 "${A[@]}" token revoke admin
grep -q "HTTP 409" "$ERR" || fail "the last admin stays"
expect 2 "${A[@]}" token revoke nosuch

# the audit: who did what
expect 0 "${A[@]}" audit --user token:ci
grep -q "POST /api/v1/devices .*201" "$OUT" || fail "audit shows ci's device add"
grep -q "403" "$OUT" || fail "audit shows ci's refusal"
expect 0 "${A[@]}" -o json audit --since 1h --limit 5
json .items[4].id >/dev/null
"$JSONQ" .items[5].id <"$OUT" >/dev/null 2>&1 && fail "audit --limit 5 gave more"
# -f prints new events as they happen
"$EVECTL" "${A[@]}" audit -f --limit 1 >"$WORK/follow" 2>&1 &
FPID=$!
BG_PIDS="$FPID"
sleep 1
expect 0 "${A[@]}" project create site-c
for _ in $(seq 1 50); do grep -q "site-c" "$WORK/follow" && break; sleep 0.2; done
grep -q "site-c" "$WORK/follow" || fail "audit -f shows the new project"
kill "$FPID" 2>/dev/null

expect 0 "${A[@]}" project delete site-c
expect 3 "${A[@]}" project delete site-b
grep -q "HTTP 409" "$ERR" || fail "a project with devices stays"
echo "ok"
