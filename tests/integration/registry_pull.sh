#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Device pull from real OCI registries (Debian's docker-registry, the CNCF
# distribution registry), images pushed with skopeo:
#   registry_pull.sh DRIVER BUILDDIR PORTBASE
# Starts two docker-registry instances on loopback (PORTBASE+1: HTTPS with
# htpasswd basic auth; PORTBASE+2: plain HTTP, anonymous), builds test images
# as OCI layouts (busybox from tests/images/build-oci-image.sh, a second
# image sharing its layer plus one more, a multi-platform index, an image
# whose layer is then tampered with in the registry's storage, an image with
# a 3 MB incompressible layer for the resume test), pushes them with skopeo
# and runs registry_driver, which deploys them to libvirt LXC through the
# runtime. Everything it starts is stopped by pid on exit.
set -u
driver=$1
build=$2
base=$3
here=$(cd "$(dirname "$0")" && pwd)
images=$build/runtime-images
work=$build/registry-tests/pull
pids=()
tls_port=$((base + 1))
http_port=$((base + 2))
proxy_port=$((base + 3))
tok_port=$((base + 4))    # docker-registry with token auth
tsrv_port=$((base + 5))   # its token server (registry_tokensrv.py)

need() {
	command -v "$1" >/dev/null && return 0
	if [ "${CI:-}" = true ]; then
		echo "FAIL: $1 is missing (CI has every package)"
		exit 1
	fi
	echo "SKIP: $1 not installed (scripts/install-deps: REGISTRY_PKGS)"
	exit 77
}
need docker-registry
need skopeo
need htpasswd
need python3

. "$here/../lib/libvirtd.sh"

cleanup() {
	local p d uri
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	for uri in lxc:///system; do
		for d in $(virsh -q -c $uri list --all --name 2>/dev/null | grep '^eve-a0000160-' || true); do
			virsh -q -c $uri destroy "$d" >/dev/null 2>&1
			virsh -q -c $uri undefine "$d" >/dev/null 2>&1
		done
	done
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

if ! libvirtd_start; then
	[ "${CI:-}" = true ] && { echo "FAIL: libvirtd: $LIBVIRTD_ERROR"; exit 1; }
	echo "SKIP: libvirtd cannot start here: $LIBVIRTD_ERROR"
	exit 77
fi
rm -rf "$work"
mkdir -p "$images" "$work/state" "$work/reg1" "$work/reg2" "$work/reg3"
(
	flock 9
	"$here/../images/build-oci-image.sh" "$images"
) 9>"$images/.lock" || { echo "FAIL: building the busybox image"; exit 1; }

# ---- images (OCI layouts) -------------------------------------------------
cd "$work" || exit 1
sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { wc -c <"$1" | tr -d ' '; }
man_of() { sed -n 's/.*"digest":"sha256:\([0-9a-f]*\)".*/\1/p' "$1/index.json" | head -1; }
skopeo copy -q oci-archive:"$images/busybox-oci.tar" oci:base:latest || { echo "FAIL: skopeo oci-archive"; exit 1; }
# add_layer LAYOUT DIR: a new gzip layer with DIR's files on top of the
# layout's image (config diff_ids, manifest and index.json rewritten).
add_layer() {
	python3 - "$1" "$2" <<'PY' || { echo "FAIL: add_layer $1"; exit 1; }
import gzip, hashlib, io, json, os, sys, tarfile
lay, src = sys.argv[1], sys.argv[2]
blobs = os.path.join(lay, "blobs", "sha256")
def put(data):
    h = hashlib.sha256(data).hexdigest()
    open(os.path.join(blobs, h), "wb").write(data)
    return h
raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
    for name in sorted(os.listdir(src)):
        t.add(os.path.join(src, name), arcname=name, filter=lambda i: (setattr(i, "uid", 0), setattr(i, "gid", 0), i)[-1])
raw = raw.getvalue()
layer = gzip.compress(raw, mtime=0)
idx = json.load(open(os.path.join(lay, "index.json")))
mdesc = idx["manifests"][0]
man = json.load(open(os.path.join(blobs, mdesc["digest"][7:])))
cfg = json.load(open(os.path.join(blobs, man["config"]["digest"][7:])))
cfg["rootfs"]["diff_ids"].append("sha256:" + hashlib.sha256(raw).hexdigest())
cb = json.dumps(cfg).encode()
man["config"]["digest"] = "sha256:" + put(cb)
man["config"]["size"] = len(cb)
man["layers"].append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                      "digest": "sha256:" + put(layer), "size": len(layer)})
mb = json.dumps(man).encode()
mdesc["digest"] = "sha256:" + put(mb)
mdesc["size"] = len(mb)
json.dump(idx, open(os.path.join(lay, "index.json"), "w"))
PY
}
# img2 = base + one small layer (shares the busybox layer)
cp -r base img2 && mkdir -p l2/etc && echo "second image" >l2/etc/extra && add_layer img2 l2
# tamper = base + a layer of its own (corrupted later in the registry)
cp -r base tamper && mkdir -p l3/etc && echo "to be tampered with" >l3/etc/t1 && add_layer tamper l3
# tok = base + a layer of its own (pulled through the Bearer token flow)
cp -r base tok && mkdir -p l5/etc && echo "token image" >l5/etc/tok && add_layer tok l5
# big = base + 3 MB of random bytes (the pull that is cut and resumed)
cp -r base big && mkdir -p l4 && head -c 3000000 /dev/urandom >l4/bigfile && add_layer big l4

# multi: an index whose first entry is an arm64 manifest (a config that
# prints WRONG-PLATFORM), the second the amd64 busybox manifest.
mkdir -p multi/blobs/sha256 && cp base/blobs/sha256/* multi/blobs/sha256/ && cp base/oci-layout multi/
bman=$(man_of base)
bcfg=$(sed -n 's/.*"config":{[^}]*"digest":"sha256:\([0-9a-f]*\)".*/\1/p' "base/blobs/sha256/$bman")
sed -e 's/"amd64"/"arm64"/' -e 's/hello/WRONG-PLATFORM/' "base/blobs/sha256/$bcfg" >armcfg
acfg=$(sha armcfg) && cp armcfg "multi/blobs/sha256/$acfg"
sed -e "s/$bcfg/$acfg/" -e "s/\"size\":$(size "base/blobs/sha256/$bcfg")/\"size\":$(size armcfg)/" \
	"base/blobs/sha256/$bman" >armman
aman=$(sha armman) && cp armman "multi/blobs/sha256/$aman"
cat >multi/index.json <<JSON
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
 {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:$aman","size":$(size armman),
  "platform":{"architecture":"arm64","os":"linux","variant":"v8"},"annotations":{"org.opencontainers.image.ref.name":"latest"}},
 {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:$bman","size":$(size "base/blobs/sha256/$bman"),
  "platform":{"architecture":"amd64","os":"linux"}}]}
JSON
# A layout with an index as its one entry, so skopeo --all pushes the index.
midx=$(sha multi/index.json)
mkdir -p multiwrap && cp -r multi/blobs multi/oci-layout multiwrap/ && cp multi/index.json "multiwrap/blobs/sha256/$midx"
cat >multiwrap/index.json <<JSON
{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:$midx",
 "size":$(size multi/index.json),"annotations":{"org.opencontainers.image.ref.name":"latest"}}]}
JSON

# ---- registries ---------------------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout key.pem -out cert.pem >/dev/null 2>&1 ||
	{ echo "FAIL: openssl"; exit 1; }
htpasswd -Bbn regtest 's3cret-pw' >htpasswd 2>/dev/null || { echo "FAIL: htpasswd"; exit 1; }
cat >reg1.yml <<YML
version: 0.1
log: {level: warn}
storage: {filesystem: {rootdirectory: $work/reg1}}
http: {addr: 127.0.0.1:$tls_port, tls: {certificate: $work/cert.pem, key: $work/key.pem}}
auth: {htpasswd: {realm: regtest, path: $work/htpasswd}}
YML
cat >reg2.yml <<YML
version: 0.1
log: {level: warn}
storage: {filesystem: {rootdirectory: $work/reg2}}
http: {addr: 127.0.0.1:$http_port}
YML
# Token auth: the registry trusts tok.pem's key; the token server signs with it.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=regtest-token \
	-keyout tokkey.pem -out tok.pem >/dev/null 2>&1 || { echo "FAIL: openssl"; exit 1; }
cat >reg3.yml <<YML
version: 0.1
log: {level: warn}
storage: {filesystem: {rootdirectory: $work/reg3}}
http: {addr: 127.0.0.1:$tok_port, tls: {certificate: $work/cert.pem, key: $work/key.pem}}
auth: {token: {realm: "https://127.0.0.1:$tsrv_port/token", service: regtest, issuer: regtest-issuer,
  rootcertbundle: $work/tok.pem}}
YML
python3 "$here/registry_tokensrv.py" "$tsrv_port" cert.pem key.pem tok.pem tokkey.pem regtok tok-pw >tokensrv.log 2>&1 &
pids+=($!)
docker-registry serve reg3.yml >reg3.log 2>&1 &
pids+=($!)
docker-registry serve reg1.yml >reg1.log 2>&1 &
pids+=($!)
docker-registry serve reg2.yml >reg2.log 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
	curl -sk -o /dev/null https://127.0.0.1:$tls_port/v2/ && curl -s -o /dev/null http://127.0.0.1:$http_port/v2/ &&
		curl -sk -o /dev/null https://127.0.0.1:$tok_port/v2/ && curl -sk -o /dev/null https://127.0.0.1:$tsrv_port/token && break
	sleep 0.1
done

push() { # LAYOUT DEST [extra skopeo args]
	local src=$1 dst=$2
	shift 2
	skopeo copy -q --dest-tls-verify=false "$@" "oci:$src:latest" "docker://$dst" ||
		{ echo "FAIL: skopeo copy $src -> $dst"; cat reg1.log reg2.log; exit 1; }
}
creds=(--dest-creds 'regtest:s3cret-pw')
push base "127.0.0.1:$tls_port/test/busybox:1.0" "${creds[@]}"
push img2 "127.0.0.1:$tls_port/test/second:1.0" "${creds[@]}"
push multiwrap "127.0.0.1:$tls_port/test/multi:1.0" "${creds[@]}" --all
push tamper "127.0.0.1:$http_port/test/tamper:1.0"
push base "127.0.0.1:$tok_port/test/pub:1.0" --dest-creds regtok:tok-pw
push tok "127.0.0.1:$tok_port/test/priv:1.0" --dest-creds regtok:tok-pw
push big "127.0.0.1:$http_port/test/big:1.0"
echo "OK images pushed with skopeo"

# Tamper: flip bytes of the tamper image's own layer in reg2's storage.
tlayer=$(skopeo inspect --raw --tls-verify=false "docker://127.0.0.1:$http_port/test/tamper:1.0" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][-1]["digest"][7:])')
tdata=$work/reg2/docker/registry/v2/blobs/sha256/${tlayer:0:2}/$tlayer/data
[ -f "$tdata" ] || { echo "FAIL: tampered layer not found in the registry storage ($tdata)"; exit 1; }
printf 'XXXX' | dd of="$tdata" bs=1 seek=20 conv=notrunc 2>/dev/null

# Sizes and digests the driver checks, from the manifests as the registry
# holds them (skopeo may rewrite what it pushes).
raw() { skopeo inspect --raw --tls-verify=false "$@"; }
raw --creds 'regtest:s3cret-pw' "docker://127.0.0.1:$tls_port/test/second:1.0" >second.json &&
	raw "docker://127.0.0.1:$http_port/test/big:1.0" >big.json || { echo "FAIL: skopeo inspect"; exit 1; }
jq_py() { python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print($2)" "$1"; }
export REG_SECOND_NEW=$(jq_py second.json 'm["config"]["size"] + m["layers"][-1]["size"]')
export REG_BIG_NEW=$(jq_py big.json 'm["config"]["size"] + m["layers"][-1]["size"]')
export REG_SECOND_LAYER=$(jq_py second.json 'm["layers"][-1]["digest"][7:]')
export REG_BASE_LAYER=$(jq_py second.json 'm["layers"][0]["digest"][7:]')

timeout 200 "$driver" --state "$work/state" --ca "$work/cert.pem" --tls-port "$tls_port" \
	--http-port "$http_port" --proxy-port "$proxy_port" --token-port "$tok_port"
rc=$?
echo "--- token server"; cat tokensrv.log
[ $rc -ne 0 ] && { echo "--- reg1.log"; tail -20 reg1.log; echo "--- reg2.log"; tail -20 reg2.log; echo "--- reg3.log"; tail -20 reg3.log; }
exit $rc
