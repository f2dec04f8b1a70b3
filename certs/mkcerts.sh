#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Make the certificates an EVE-style controller and its devices need, with the
# openssl CLI, into one directory:
#   root-certificate.pem root.key.pem      root CA (EC P-256), the only root
#                                          devices trust
#   server.cert.pem      server.key.pem    controller TLS server cert, SANs
#                                          from --host (names and IPs)
#   signing.cert.pem     signing.key.pem   controller signing cert (by root)
#   ecdh.cert.pem        ecdh.key.pem      controller ECDH cert (by root)
#   onboard.cert.pem     onboard.key.pem   device onboarding cert,
#                                          self-signed with a random UUID as
#                                          CN, as EVE's generate-onboard.sh
# Keys are 0600, certificates 0644. Existing keys are never overwritten
# without --force; on any failure nothing in the directory changes.
set -euo pipefail

ROOT_DAYS=7300 # 20 years
LEAF_DAYS=3650
KEYS=(root.key.pem server.key.pem signing.key.pem ecdh.key.pem onboard.key.pem)
CERTS=(root-certificate.pem server.cert.pem signing.cert.pem ecdh.cert.pem onboard.cert.pem)

usage() {
	cat <<USAGE
usage: $(basename "$0") --dir DIR --host NAME[,NAME|IP...] [--force] [--days N]
  --dir DIR     directory to write the certificates and keys into
  --host LIST   comma-separated DNS names and IP addresses of the controller;
                all become subjectAltNames of server.cert.pem, the first is
                its CN
  --force       replace existing keys and certificates
  --days N      validity of the non-root certificates (default $LEAF_DAYS)
USAGE
}

die() {
	echo "mkcerts: $*" >&2
	exit 1
}

DIR=
HOSTS=
FORCE=0
while [ $# -gt 0 ]; do
	case "$1" in
	--dir) [ $# -ge 2 ] || die "--dir needs a value"; DIR=$2; shift 2 ;;
	--host) [ $# -ge 2 ] || die "--host needs a value"; HOSTS=$2; shift 2 ;;
	--days) [ $# -ge 2 ] || die "--days needs a value"; LEAF_DAYS=$2; shift 2 ;;
	--force) FORCE=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument: $1" ;;
	esac
done
[ -n "$DIR" ] || { usage >&2; die "--dir is required"; }
[ -n "$HOSTS" ] || { usage >&2; die "--host is required"; }
[[ "$LEAF_DAYS" =~ ^[1-9][0-9]{0,4}$ ]] || die "--days must be a positive number"
command -v openssl >/dev/null || die "the openssl command is not installed"

# subjectAltName entries: IPv4/IPv6 literals as IP:, everything else DNS:.
SAN=
CN=
IFS=',' read -r -a HOST_LIST <<<"$HOSTS"
for h in "${HOST_LIST[@]}"; do
	[ -n "$h" ] || continue
	[[ "$h" =~ ^[A-Za-z0-9.:_-]+$ ]] || die "bad host name or address: '$h'"
	if [[ "$h" =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ || "$h" == *:* ]]; then
		SAN="${SAN:+$SAN,}IP:$h"
	else
		SAN="${SAN:+$SAN,}DNS:$h"
	fi
	[ -n "$CN" ] || CN=$h
done
[ -n "$SAN" ] || die "--host names no host"

mkdir -p "$DIR"
if [ "$FORCE" -eq 0 ]; then
	existing=()
	for k in "${KEYS[@]}"; do
		[ ! -e "$DIR/$k" ] || existing+=("$DIR/$k")
	done
	if [ ${#existing[@]} -gt 0 ]; then
		die "refusing to overwrite existing key(s): ${existing[*]} (use --force to replace them)"
	fi
fi

# Build everything in a private scratch directory next to the target, then
# move into place: a failure half-way leaves DIR as it was.
TMP=$(mktemp -d "$DIR/.mkcerts.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
umask 077

cat >"$TMP/openssl.cnf" <<CNF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[v3_root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[v3_server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyAgreement
extendedKeyUsage = serverAuth
subjectAltName = $SAN
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[v3_signing]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[v3_ecdh]
basicConstraints = critical,CA:FALSE
keyUsage = critical,keyAgreement
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[v3_onboard]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
CNF

ossl() {
	local out
	if ! out=$(openssl "$@" 2>&1); then
		echo "$out" >&2
		die "openssl $1 failed"
	fi
}

newkey() {
	ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TMP/$1"
}

# selfsigned KEY CERT CN EXT DAYS
selfsigned() {
	ossl req -new -x509 -config "$TMP/openssl.cnf" -key "$TMP/$1" -out "$TMP/$2" \
		-subj "/CN=$3" -extensions "$4" -days "$5" -sha256
}

# issue KEY CERT CN EXT: a certificate signed by the root.
issue() {
	ossl req -new -config "$TMP/openssl.cnf" -key "$TMP/$1" -out "$TMP/$1.csr" -subj "/CN=$3"
	ossl x509 -req -in "$TMP/$1.csr" -CA "$TMP/root-certificate.pem" -CAkey "$TMP/root.key.pem" \
		-CAcreateserial -CAserial "$TMP/root.srl" -out "$TMP/$2" -days "$LEAF_DAYS" -sha256 \
		-extfile "$TMP/openssl.cnf" -extensions "$4"
}

for k in "${KEYS[@]}"; do
	newkey "$k"
done
selfsigned root.key.pem root-certificate.pem "EVE Controller Root CA" v3_root "$ROOT_DAYS"
issue server.key.pem server.cert.pem "$CN" v3_server
issue signing.key.pem signing.cert.pem "EVE Controller Signing" v3_signing
issue ecdh.key.pem ecdh.cert.pem "EVE Controller ECDH" v3_ecdh
# Like EVE's onboarding certificates: self-signed, CN a random UUID.
ONBOARD_CN=$(cat /proc/sys/kernel/random/uuid 2>/dev/null) ||
	ONBOARD_CN=$(openssl rand -hex 16 | sed -E 's/(.{8})(.{4})(.{4})(.{4})(.{12})/\1-\2-\3-\4-\5/')
selfsigned onboard.key.pem onboard.cert.pem "$ONBOARD_CN" v3_onboard "$LEAF_DAYS"

for c in server.cert.pem signing.cert.pem ecdh.cert.pem; do
	ossl verify -CAfile "$TMP/root-certificate.pem" "$TMP/$c"
done

chmod 0600 "${KEYS[@]/#/$TMP/}"
chmod 0644 "${CERTS[@]/#/$TMP/}"
# Certificates first, keys last: the key files are what marks "made".
for f in "${CERTS[@]}" "${KEYS[@]}"; do
	mv -f "$TMP/$f" "$DIR/$f"
done
echo "mkcerts: wrote root, server ($SAN), signing, ecdh and onboarding certificates to $DIR"
