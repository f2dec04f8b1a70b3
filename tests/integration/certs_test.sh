#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# "check && ok || fail" is safe here: ok and fail always succeed.
# shellcheck disable=SC2015
# certs/mkcerts.sh: the chain verifies, SANs are there, keys are 0600,
# existing keys are not overwritten without --force.
# usage: certs_test.sh PATH/TO/mkcerts.sh
set -euo pipefail

MKCERTS=${1:?usage: certs_test.sh mkcerts.sh}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
FAILS=0

fail() {
	echo "FAIL: $*" >&2
	FAILS=$((FAILS + 1))
}

ok() {
	echo "ok: $*"
}

D=$WORK/certs
"$MKCERTS" --dir "$D" --host ctl.example.org,localhost,127.0.0.1,::1 >/dev/null

# Chain: signing, ecdh and server certs verify against the root only.
for c in server signing ecdh; do
	if openssl verify -CAfile "$D/root-certificate.pem" "$D/$c.cert.pem" >/dev/null; then
		ok "$c chains to the root"
	else
		fail "$c does not chain to the root"
	fi
done
if openssl verify -CAfile "$D/onboard.cert.pem" "$D/onboard.cert.pem" >/dev/null; then
	ok "onboarding cert is self-signed"
else
	fail "onboarding cert is not self-signed"
fi
# Every cert carries the key it was made with.
for c in server signing ecdh onboard; do
	if [ "$(openssl x509 -in "$D/$c.cert.pem" -noout -pubkey)" = "$(openssl pkey -in "$D/$c.key.pem" -pubout)" ]; then
		ok "$c cert matches its key"
	else
		fail "$c cert does not match $c.key.pem"
	fi
done
openssl x509 -in "$D/onboard.cert.pem" -noout -subject | grep -qE 'CN *= *[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$' &&
	ok "onboarding CN is a UUID" || fail "onboarding CN is not a UUID"
[ "$(openssl x509 -in "$D/root-certificate.pem" -noout -ext basicConstraints | grep -c 'CA:TRUE')" = 1 ] &&
	ok "root is a CA" || fail "root is not CA:TRUE"
openssl pkey -in "$D/root.key.pem" -noout -text | grep -q 'NIST CURVE: P-256' &&
	ok "root key is P-256" || fail "root key is not P-256"

# A different root must not verify our server cert.
D2=$WORK/other
"$MKCERTS" --dir "$D2" --host localhost >/dev/null
if openssl verify -CAfile "$D2/root-certificate.pem" "$D/server.cert.pem" >/dev/null 2>&1; then
	fail "server cert verifies against a foreign root"
else
	ok "foreign root refused"
fi

# SANs: DNS names as DNS:, addresses as IP.
SANS=$(openssl x509 -in "$D/server.cert.pem" -noout -ext subjectAltName)
for want in "DNS:ctl.example.org" "DNS:localhost" "IP Address:127.0.0.1" "IP Address:0:0:0:0:0:0:0:1"; do
	if grep -qF "$want" <<<"$SANS"; then ok "SAN $want"; else fail "SAN $want missing: $SANS"; fi
done
openssl x509 -in "$D/server.cert.pem" -noout -subject | grep -q 'CN *= *ctl.example.org' &&
	ok "server CN is the first host" || fail "server CN is not the first host"

# Modes: keys 0600, certs 0644.
for k in "$D"/*.key.pem; do
	[ "$(stat -c %a "$k")" = 600 ] && ok "$(basename "$k") is 0600" || fail "$k mode $(stat -c %a "$k")"
done
for c in "$D"/*cert*.pem; do
	[ "$(stat -c %a "$c")" = 644 ] || fail "$c mode $(stat -c %a "$c")"
done

# Refuse to overwrite: non-zero exit, a message, nothing changed.
before=$(cd "$D" && sha256sum ./* | sort)
if "$MKCERTS" --dir "$D" --host other >"$WORK/out" 2>&1; then
	fail "second run without --force succeeded"
else
	grep -q "refusing to overwrite" "$WORK/out" && ok "refuses to overwrite keys" ||
		fail "no clear refusal message: $(cat "$WORK/out")"
fi
after=$(cd "$D" && sha256sum ./* | sort)
[ "$before" = "$after" ] && ok "nothing changed after refusal" || fail "files changed after refusal"
[ -z "$(find "$D" -name '.mkcerts.*')" ] && ok "no scratch dir left" || fail "scratch dir left behind"

# One existing key is enough to refuse.
D3=$WORK/partial
mkdir -p "$D3" && echo keep >"$D3/onboard.key.pem"
if "$MKCERTS" --dir "$D3" --host localhost >/dev/null 2>&1; then
	fail "overwrote a lone existing key"
elif [ "$(cat "$D3/onboard.key.pem")" = keep ] && [ ! -e "$D3/root.key.pem" ]; then
	ok "a lone existing key is kept and nothing is made"
else
	fail "refusal left changes in $D3"
fi

# --force replaces everything with a fresh, valid chain.
"$MKCERTS" --dir "$D" --host localhost --force >/dev/null
after_force=$(cd "$D" && sha256sum ./* | sort)
[ "$before" != "$after_force" ] && ok "--force replaced the files" || fail "--force changed nothing"
openssl verify -CAfile "$D/root-certificate.pem" "$D/server.cert.pem" "$D/signing.cert.pem" >/dev/null &&
	ok "chain valid after --force" || fail "chain invalid after --force"

# Bad arguments fail cleanly.
"$MKCERTS" --dir "$WORK/x" >/dev/null 2>&1 && fail "missing --host accepted" || ok "missing --host refused"
"$MKCERTS" --dir "$WORK/x" --host 'bad host' >/dev/null 2>&1 && fail "bad host accepted" || ok "bad host refused"

if [ "$FAILS" -ne 0 ]; then
	echo "$FAILS check(s) failed" >&2
	exit 1
fi
echo "all certs checks passed"
