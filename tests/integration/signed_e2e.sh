#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck disable=SC2015
# Publisher signatures of images (issue #31), end to end: eve-controller +
# eve-agent (LXC apps on libvirt) + evectl, Debian's docker-registry (HTTPS)
# holding images pushed with skopeo and cosign-format signatures made with
# OpenSSL and pushed over the registry's HTTP API with curl:
#   test/signed      signed by the trusted publisher key "acme"
#   test/unsigned    the same image re-pushed without a signature
#   test/otherdig    another digest (docker v2s2 manifest) carrying the
#                    signature of test/signed's digest
#   test/untrusted   signed by a key the device does not trust
# Phase 1: the device's local policy (config dir image-trust/policy) is
# require: the signed app runs and shows its signer, the other three are
# ERROR with the reason; the controller setting images.signatures=off is
# refused and reported (evectl device config get). Phase 2: the local
# policy removed (agent restarted), the controller sets warn: the three
# run, each with its warning. Phase 3: apps already running follow the
# policy and the trust store (see there). Phase 4: signed VM disks over
# HTTPS from the controller's datastore (see there).
. "$(dirname "$0")/e2e_lib.sh"

SERIAL=signed-e2e-1
IMAGES=$E2E_BUILD/runtime-images
REG_PORT=$((E2E_PORT + 1))
REG_PID=
REG=127.0.0.1:$REG_PORT

for t in docker-registry skopeo jq openssl curl; do
	command -v $t >/dev/null && continue
	[ "${CI:-}" = true ] && fail "$t missing (CI has every package)"
	log "SKIP: $t not installed (scripts/install-deps REGISTRY_PKGS)"
	exit 77
done
stop_registry() { [ -n "$REG_PID" ] && kill "$REG_PID" 2>/dev/null && wait "$REG_PID" 2>/dev/null; }
trap 'stop_registry; cleanup' EXIT

# push_blob REPO FILE: monolithic upload; prints the digest.
push_blob() {
	local repo=$1 f=$2 d loc
	d=sha256:$(sha256sum "$f" | cut -d' ' -f1)
	loc=$(curl -fsS --cacert "$W/reg.pem" -X POST -D - -o /dev/null "https://$REG/v2/$repo/blobs/uploads/" |
		tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
	[ -n "$loc" ] || fail "no upload location from the registry for $repo"
	case $loc in /*) loc="https://$REG$loc" ;; esac
	case $loc in *\?*) loc="$loc&digest=$d" ;; *) loc="$loc?digest=$d" ;; esac
	curl -fsS --cacert "$W/reg.pem" -X PUT -H 'Content-Type: application/octet-stream' \
		--data-binary @"$f" "$loc" >/dev/null || fail "blob upload to $repo"
	echo "$d"
}

# sign REPO IMAGE_DIGEST_HEX KEY: a cosign key-based signature of the
# digest (simple-signing payload, ECDSA P-256 DER, base64), stored as the
# OCI manifest tagged sha256-<hex>.sig in REPO.
sign() {
	local repo=$1 hex=$2 key=$3 pay="$W/payload-$1-$2" sig cfg pd cd
	pay=${pay//\//_}
	pay="$W/$(basename "$pay")"
	printf '{"critical":{"identity":{"docker-reference":"%s/%s"},"image":{"docker-manifest-digest":"sha256:%s"},"type":"cosign container image signature"},"optional":null}' \
		"$REG" "$repo" "$hex" >"$pay"
	sig=$(openssl dgst -sha256 -sign "$key" "$pay" | base64 -w0) || fail "openssl sign"
	printf '{}' >"$W/sigcfg.json"
	cd=$(push_blob "$repo" "$W/sigcfg.json")
	pd=$(push_blob "$repo" "$pay")
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,"digest":"%s"},"layers":[{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","size":%s,"digest":"%s","annotations":{"dev.cosignproject.cosign/signature":"%s"}}]}' \
		"$cd" "$(wc -c <"$pay")" "$pd" "$sig" >"$W/sigman.json"
	curl -fsS --cacert "$W/reg.pem" -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
		--data-binary @"$W/sigman.json" "https://$REG/v2/$repo/manifests/sha256-$hex.sig" >/dev/null ||
		fail "signature manifest PUT to $repo"
}

digest_of() { skopeo inspect --cert-dir "$W/regcerts" --format '{{.Digest}}' "docker://$REG/$1:1.0" | sed 's/^sha256://'; }

sig_of() { ectl_json app get "$1" | jq -c '.instances[0].download.signature // empty'; }
err_of() { ectl_json app get "$1" | jq -r '.instances[0].error // ""'; }
err_has() { grep -q "$2" <<<"$(err_of "$1")"; }
prop_of() { ectl_json device config get "$SERIAL" | jq -c '.items[] | select(.name == "images.signatures")'; }
# sig_unverified APP: the app's image reported as used without a verified signature
sig_unverified() { [ "$(sig_of "$1" | jq -r '.verified')" = false ]; }

step "controller on 127.0.0.1:$E2E_PORT, libvirtd, docker-registry (HTTPS) on $REG"
ctl_init "$CTL" "$E2E_PORT" || fail "eve-controller init"
ctl_start "$CTL" || fail "eve-controller serve"
if ! libvirtd_start; then
	[ "${CI:-}" = true ] && fail "libvirtd: $LIBVIRTD_ERROR"
	log "SKIP: libvirtd cannot start here: $LIBVIRTD_ERROR"
	exit 77
fi
mkdir -p "$IMAGES"
(
	flock 9
	sh "$EVE_SRC/tests/images/build-oci-image.sh" "$IMAGES"
) 9>"$IMAGES/.lock" >"$W/images.log" 2>&1 || { cat "$W/images.log"; fail "building the OCI test image"; }
skopeo copy -q oci-archive:"$IMAGES/busybox-oci.tar" "oci:$W/base:latest" || fail "skopeo oci-archive -> layout"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$W/reg.key" -out "$W/reg.pem" >/dev/null 2>&1 || fail openssl
mkdir -p "$W/regcerts" && cp "$W/reg.pem" "$W/regcerts/ca.crt"
cat >"$W/reg.yml" <<YML
version: 0.1
log: {level: warn}
storage: {filesystem: {rootdirectory: $W/regdata}}
http: {addr: $REG, tls: {certificate: $W/reg.pem, key: $W/reg.key}}
YML
docker-registry serve "$W/reg.yml" >"$W/registry.log" 2>&1 &
REG_PID=$!
wait_for 20 "docker-registry answering" curl -s --cacert "$W/reg.pem" -o /dev/null "https://$REG/v2/"
pass "controller and registry up"

step "images and signatures (keys made with openssl)"
openssl ecparam -name prime256v1 -genkey -noout -out "$W/acme.key" 2>/dev/null || fail "openssl key"
openssl ecparam -name prime256v1 -genkey -noout -out "$W/rogue.key" 2>/dev/null || fail "openssl key"
for r in signed unsigned untrusted; do
	skopeo copy -q --dest-cert-dir "$W/regcerts" "oci:$W/base:latest" "docker://$REG/test/$r:1.0" ||
		fail "skopeo copy test/$r"
done
skopeo copy -q --format v2s2 --dest-cert-dir "$W/regcerts" "oci:$W/base:latest" "docker://$REG/test/otherdig:1.0" ||
	fail "skopeo copy test/otherdig"
D_SIGNED=$(digest_of test/signed)
D_OTHER=$(digest_of test/otherdig)
[ ${#D_SIGNED} = 64 ] && [ ${#D_OTHER} = 64 ] && [ "$D_SIGNED" != "$D_OTHER" ] ||
	fail "digests: signed=$D_SIGNED otherdig=$D_OTHER"
[ "$(digest_of test/unsigned)" = "$D_SIGNED" ] || fail "test/unsigned is not the same image"
sign test/signed "$D_SIGNED" "$W/acme.key"
sign test/untrusted "$D_SIGNED" "$W/rogue.key"
# the signature of test/signed's digest, stored as otherdig's
sign test/otherdig "$D_SIGNED" "$W/acme.key"
curl -fsS --cacert "$W/reg.pem" -o /dev/null -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
	"https://$REG/v2/test/otherdig/manifests/sha256-$D_SIGNED.sig" || fail "signature not in the registry"
# otherdig's own tag must name its digest: move the signature to it
curl -fsS --cacert "$W/reg.pem" -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
	--data-binary @"$W/sigman.json" "https://$REG/v2/test/otherdig/manifests/sha256-$D_OTHER.sig" >/dev/null ||
	fail "signature manifest for otherdig"
pass "test/signed (acme), test/unsigned, test/otherdig (signature of ${D_SIGNED:0:12}), test/untrusted (rogue key)"

step "evectl image push + evectl image sign (the controller's registry); openssl verifies it"
ectl image push cimg "$W/base" --tag v1 >"$W/push.out" 2>&1 || { cat "$W/push.out"; fail "evectl image push"; }
D_CIMG=$(ectl_json image get cimg | jq -r .sha256)
ectl image sign cimg --key "$W/rogue.key" --identity nothing >/dev/null 2>&1 || fail "evectl image sign (rogue)"
ectl image sign cimg --key "$W/acme.key" >"$W/sign.out" 2>&1 || { cat "$W/sign.out"; fail "evectl image sign"; }
ectl image sign cimg --key "$W/reg.pem" >/dev/null 2>&1 && fail "a certificate accepted as a signing key"
ectl image sign nosuch --key "$W/acme.key" >/dev/null 2>&1 && fail "signing a missing image succeeded"
img=$(ectl_json image get cimg)
[ "$(jq -r .sha256 <<<"$img")" = "$D_CIMG" ] && [ "$(jq -r .url <<<"$img")" = /v2/cimg:v1 ] ||
	fail "the signature moved image cimg: $img"
mkdir -p "$W/ctlcerts" && cp "$CTL/certs/root-certificate.pem" "$W/ctlcerts/ca.crt"
curl -fsS --cacert "$CTL/certs/root-certificate.pem" -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
	"https://localhost:$E2E_PORT/v2/cimg/manifests/sha256-$D_CIMG.sig" >"$W/csig.json" || fail "no signature manifest"
pd=$(jq -r '.layers[0].digest' "$W/csig.json")
jq -r '.layers[0].annotations["dev.cosignproject.cosign/signature"]' "$W/csig.json" | base64 -d >"$W/csig.der"
curl -fsSL --cacert "$CTL/certs/root-certificate.pem" "https://localhost:$E2E_PORT/v2/cimg/blobs/$pd" >"$W/cpayload" ||
	fail "no payload blob"
[ "$(jq -r '.critical.image["docker-manifest-digest"]' "$W/cpayload")" = "sha256:$D_CIMG" ] || fail "payload: $(cat "$W/cpayload")"
openssl ec -in "$W/acme.key" -pubout -out "$W/acme.pub" 2>/dev/null
openssl dgst -sha256 -verify "$W/acme.pub" -signature "$W/csig.der" "$W/cpayload" >/dev/null ||
	fail "openssl does not verify the evectl signature"
pass "cimg sha256:${D_CIMG:0:12} signed by evectl; openssl verifies the cosign payload"

step "agent with the publisher key and local policy require in its config dir"
ectl onboard add --cert "$CTL/device-config/onboard.cert.pem" --serial "$SERIAL" >/dev/null || fail "onboard add"
agent_dirs dev
mkdir -p "$W/dev.config/image-trust"
openssl ec -in "$W/acme.key" -pubout -out "$W/dev.config/image-trust/acme.pem" 2>/dev/null || fail "openssl pub"
echo require >"$W/dev.config/image-trust/policy"
agent_start dev "$SERIAL"
wait_for 60 "device online" device_field_is "$SERIAL" .state online
ectl device config set "$SERIAL" timer.config.interval=2 >/dev/null || fail "config set"
for r in signed unsigned otherdig untrusted; do
	ectl image add "i$r" --url "docker://$REG/test/$r:1.0" --registry-ca "$W/reg.pem" >/dev/null ||
		fail "evectl image add $r"
	ectl app deploy "s$r" --image "i$r" --device "$SERIAL" --memory 64M >/dev/null || fail "deploy $r"
done
ectl app deploy scimg --image cimg --device "$SERIAL" --memory 64M >/dev/null || fail "deploy cimg"
wait_app_state ssigned RUNNING 180
wait_app_state scimg RUNNING 180
[ "$(sig_of scimg | jq -r .verified)" = true ] || fail "scimg signature: $(sig_of scimg)"
ectl device get "$SERIAL" | grep -q "signed by acme" || fail "evectl device get shows no signer: $(ectl device get "$SERIAL")"
pass "scimg (evectl image sign) RUNNING: $(sig_of scimg)"
sig=$(sig_of ssigned)
[ "$(jq -r '(.verified | tostring) + " " + (.detail | test("signed by acme") | tostring)' <<<"$sig")" = "true true" ] ||
	fail "ssigned signature: $sig"
ectl app get ssigned | grep -q "signed by acme" || fail "evectl app get ssigned shows no signer: $(ectl app get ssigned)"
pass "ssigned RUNNING: $sig"
for r in unsigned:unsigned otherdig:"another image" untrusted:"not made by a trusted publisher key"; do
	a=s${r%%:*}
	wait_for 120 "$a in ERROR" app_state_is "$a" ERROR
	# (the state and its reason may come in two reports)
	wait_for 60 "$a's reason" err_has "$a" "images.signatures=require"
	e=$(err_of "$a")
	grep -q "images.signatures=require" <<<"$e" && grep -q "${r#*:}" <<<"$e" || fail "$a error: $e"
	virsh -c lxc:///system list --name 2>/dev/null | grep -q "$(ectl_json app get "$a" | jq -r '.instances[0].id')" &&
		fail "$a has a domain"
	pass "$a refused: $e"
done

step "the controller cannot relax the local policy"
ectl device config set "$SERIAL" images.signatures=off >/dev/null || fail "config set images.signatures=off"
prop_rejected() { [ "$(prop_of | jq -r .state)" = rejected ]; }
wait_for 60 "images.signatures reported rejected" prop_rejected
p=$(prop_of)
[ "$(jq -r '.state + " " + .value + " " + (.error // "" | test("cannot relax") | tostring)' <<<"$p")" = "rejected require true" ] ||
	fail "images.signatures after the controller set off: $p"
ectl device config get "$SERIAL" | grep -q "cannot relax" || fail "evectl device config get shows no refusal"
# (a refused image is retried with backoff, so its state moves between
# ERROR and the pull states: what matters is that it never runs)
for _ in $(seq 1 10); do
	st=$(ectl_json app get sunsigned | jq -r '.instances[0].state')
	[ "$st" != RUNNING ] || fail "sunsigned RUNNING after the controller set 'off'"
	virsh -c lxc:///system list --name 2>/dev/null | grep -q "$(ectl_json app get sunsigned | jq -r '.instances[0].id')" &&
		fail "sunsigned has a domain after 'off'"
	sleep 0.5
done
pass "off refused and reported: $(jq -r .error <<<"$p")"

step "local policy removed (agent restarted), controller sets warn: the others run with a warning"
agent_stop dev
rm -f "$W/dev.config/image-trust/policy"
ectl device config set "$SERIAL" images.signatures=warn >/dev/null || fail "config set warn"
agent_start dev "$SERIAL"
for r in unsigned otherdig untrusted; do
	wait_app_state "s$r" RUNNING 180
	# (the checkpointed config, still "off", may run first: wait for the
	# controller's "warn" to be judged)
	wait_for 60 "s$r reported unverified" sig_unverified "s$r"
	sig=$(sig_of "s$r")
	pass "s$r RUNNING with: $(jq -r .detail <<<"$sig")"
done
ectl app get suntrusted | grep -q "UNVERIFIED" || fail "evectl app get suntrusted shows no warning"

# Phase 3: what the operator configures is what the device does, also for
# apps already running: the policy tightened to require stops the three
# (ERROR, with the reason); a publisher key the controller adds (evectl
# image trust add) lets suntrusted run again under require, and taking it
# away stops it again; a key removed from the device's own image-trust/
# stops the apps it signed, without a restart of the agent.
app_dom() { echo "eve-$(ectl_json app get "$1" | jq -r '.instances[0].id')"; }
# app_stopped APP WHY: ERROR, the reason says it was refused, no domain runs
app_stopped() {
	app_state_is "$1" ERROR && err_has "$1" "images.signatures=require" && err_has "$1" "$2" &&
		! domain_running "$(app_dom "$1")"
}
step "running apps when the controller tightens the policy to require"
# (bounded wait: RUNNING is reported once libvirt started the domain; a
# container that died at once under load is started again by the runtime)
for r in unsigned otherdig untrusted; do
	dom=$(app_dom "s$r")
	wait_for 60 "s$r has a running domain before the change" domain_running "$dom"
done
ectl device config set "$SERIAL" images.signatures=require >/dev/null || fail "config set require"
for r in unsigned:unsigned otherdig:"another image" untrusted:"not made by a trusted publisher key"; do
	a=s${r%%:*}
	wait_for 120 "$a stopped with the reason" app_stopped "$a" "${r#*:}"
	pass "$a stopped: $(err_of "$a")"
done
app_state_is ssigned RUNNING && domain_running "$(app_dom ssigned)" || fail "ssigned stopped under require"

step "a publisher key from the controller (evectl image trust add)"
openssl ec -in "$W/rogue.key" -pubout -out "$W/rogue.pub" 2>/dev/null || fail "openssl pub"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null | openssl pkey -pubout -out "$W/rsa.pub" 2>/dev/null ||
	fail "openssl rsa"
ectl image trust add rogue --key "$W/rsa.pub" >/dev/null 2>&1 && fail "an RSA key accepted as a publisher key"
ectl image trust add 'bad name' --key "$W/rogue.pub" >/dev/null 2>&1 && fail "a bad key name accepted"
ectl image trust add rogue --key "$W/acme.key" >/dev/null 2>&1 && fail "a private key accepted as a publisher key"
# (a key is the fleet's, set by an admin: never a device's config item)
ectl device config set "$SERIAL" "images.trust.key.rogue=$(sed '1d;$d' "$W/rogue.pub" | tr -d '\n')" >"$W/set.out" 2>&1 &&
	fail "a publisher key accepted as a device config item"
grep -q "evectl image trust add" "$W/set.out" || fail "refusal of images.trust.key as an item: $(cat "$W/set.out")"
ectl image trust add rogue --key "$W/rogue.pub" >"$W/trust.out" 2>&1 || { cat "$W/trust.out"; fail "image trust add"; }
ectl image trust list | grep -q "images.trust.key.rogue" || fail "image trust list: $(ectl image trust list)"
wait_app_state suntrusted RUNNING 180
verified_by_ctl() { sig_of suntrusted | jq -e '.verified == true and (.detail | test("signed by ctl.rogue"))' >/dev/null; }
wait_for 60 "suntrusted verified by the controller's key" verified_by_ctl
item_ok() {
	ectl_json device config get "$SERIAL" |
		jq -e '.items[] | select(.name == "images.trust.key.rogue") | select(.state == "applied" and .source == "image-trust-keys")' >/dev/null
}
wait_for 60 "images.trust.key.rogue reported taken" item_ok
app_state_is sunsigned ERROR || fail "sunsigned runs after a key was added: $(app_state sunsigned)"
pass "suntrusted RUNNING: $(sig_of suntrusted | jq -r .detail)"
ectl image trust remove rogue >/dev/null || fail "image trust remove"
wait_for 120 "suntrusted stopped again" app_stopped suntrusted "not made by a trusted publisher key"
pass "rogue removed: suntrusted $(err_of suntrusted)"

step "a key removed from the device's own image-trust/ (no agent restart)"
rm -f "$W/dev.config/image-trust/acme.pem"
wait_for 120 "ssigned stopped" app_stopped ssigned "trusted publisher key"
pass "ssigned stopped: $(err_of ssigned)"

# Phase 4: VM disks over HTTPS from the controller's datastore, with EVE's
# SignatureInfo (evectl image upload --signature: ECDSA over the image's
# sha256, openssl dgst -sha256 -sign), checked against a publisher key the
# controller distributes: the signed disk runs as a VM; the same signature
# on another disk, and a disk without one, are refused under require.
step "signed VM disks (raw) from the controller's datastore"
openssl ecparam -name prime256v1 -genkey -noout -out "$W/vendor.key" 2>/dev/null || fail "openssl key"
openssl ec -in "$W/vendor.key" -pubout -out "$W/vendor.pub" 2>/dev/null || fail "openssl pub"
ectl image trust add vendor --key "$W/vendor.pub" >/dev/null || fail "image trust add vendor"
for v in signed tampered unsigned; do
	{ echo "signed-e2e VM disk $v"; head -c 1048576 /dev/zero; } >"$W/vm-$v.raw"
done
openssl dgst -sha256 -sign "$W/vendor.key" -out "$W/vm.sig" "$W/vm-signed.raw" || fail "openssl sign"
ectl image upload vmsigned "$W/vm-signed.raw" --format raw --signature "$W/vm.sig" >/dev/null || fail "upload vmsigned"
ectl image upload vmtampered "$W/vm-tampered.raw" --format raw --signature "$W/vm.sig" >/dev/null ||
	fail "upload vmtampered"
ectl image upload vmunsigned "$W/vm-unsigned.raw" --format raw >/dev/null || fail "upload vmunsigned"
for v in signed tampered unsigned; do
	ectl app deploy "v$v" --image "vm$v" --device "$SERIAL" --memory 64M >/dev/null || fail "deploy v$v"
done
wait_app_state vsigned RUNNING 180
domain_running "$(app_dom vsigned)" || fail "vsigned has no running domain"
sig=$(sig_of vsigned)
[ "$(jq -r '(.verified | tostring) + " " + (.detail | test("signed by ctl.vendor") | tostring)' <<<"$sig")" = "true true" ] ||
	fail "vsigned signature: $sig"
ectl app get vsigned | grep -q "signed by ctl.vendor" || fail "evectl app get vsigned shows no signer"
pass "vsigned (raw VM over HTTPS) RUNNING: $(jq -r .detail <<<"$sig")"
wait_for 120 "vtampered refused" app_stopped vtampered "not signed by a trusted publisher key"
wait_for 120 "vunsigned refused" app_stopped vunsigned "unsigned"
for v in vtampered vunsigned; do
	domain_uri "$(app_dom "$v")" >/dev/null && fail "$v has a domain"
	pass "$v refused: $(err_of "$v")"
done
agent_stop dev # a clean stop exits 0: no sanitizer report from the phases above
log "PASS"
