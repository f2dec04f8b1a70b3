#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Pull throughput of a ~200 MB container image with the agent's pull client
# (bench_registry_pull: registry_pull into an empty blob store, digests
# verified) from the controller's registry (/v2/, HTTPS) and from Debian's
# docker-registry (HTTPS) on the same machine, after skopeo pushed the same
# image to both. Prints each run, the medians and their ratio.
#   bench/registry/run.sh BUILD_DIR [PORT_BASE=19450] [RUNS=3] [MB=200]
set -eu
build=$(cd "$1" && pwd)
base=${2:-19450}
runs=${3:-3}
mb=${4:-200}
src=$(cd "$(dirname "$0")/../.." && pwd)
w=$(mktemp -d /var/tmp/bench-registry.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$w"
}
trap cleanup EXIT
cport=$((base + 1))
rport=$((base + 2))

# The image: busybox (tests/images) + one incompressible layer of $mb MB.
sh "$src/tests/images/build-oci-image.sh" "$build/runtime-images" >/dev/null
skopeo copy -q oci-archive:"$build/runtime-images/busybox-oci.tar" "oci:$w/img:latest"
python3 - "$w/img" "$mb" <<'PY'
import hashlib, io, json, os, sys, tarfile
lay, mb = sys.argv[1], int(sys.argv[2])
blobs = os.path.join(lay, "blobs", "sha256")
def put(data):
    h = hashlib.sha256(data).hexdigest()
    open(os.path.join(blobs, h), "wb").write(data)
    return h
payload = os.urandom(mb * 1000 * 1000)
raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w") as t:
    ti = tarfile.TarInfo("payload"); ti.size = len(payload)
    t.addfile(ti, io.BytesIO(payload))
raw = raw.getvalue()
idx = json.load(open(os.path.join(lay, "index.json")))
man = json.load(open(os.path.join(blobs, idx["manifests"][0]["digest"][7:])))
cfg = json.load(open(os.path.join(blobs, man["config"]["digest"][7:])))
cfg["rootfs"]["diff_ids"].append("sha256:" + hashlib.sha256(raw).hexdigest())
cb = json.dumps(cfg).encode()
man["config"] = {"mediaType": man["config"]["mediaType"], "digest": "sha256:" + put(cb), "size": len(cb)}
man["layers"].append({"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:" + put(raw), "size": len(raw)})
mbytes = json.dumps(man).encode()
idx["manifests"][0].update({"digest": "sha256:" + put(mbytes), "size": len(mbytes)})
json.dump(idx, open(os.path.join(lay, "index.json"), "w"))
PY

# The controller (its /v2/) and docker-registry, both HTTPS on loopback.
"$build/controller/eve-controller" init --dir "$w/ctl" --listen "127.0.0.1:$cport" --host localhost,127.0.0.1 >/dev/null
"$build/controller/eve-controller" serve --dir "$w/ctl" >"$w/ctl.log" 2>&1 &
pids+=($!)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$w/reg.key" -out "$w/reg.pem" >/dev/null 2>&1
cat >"$w/reg.yml" <<YML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $w/regdata}}
http: {addr: 127.0.0.1:$rport, tls: {certificate: $w/reg.pem, key: $w/reg.key}}
YML
docker-registry serve "$w/reg.yml" >"$w/reg.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
	curl -sk -o /dev/null "https://127.0.0.1:$rport/v2/" && curl -sk -o /dev/null "https://127.0.0.1:$cport/v2/" && break
	sleep 0.1
done
mkdir -p "$w/cc" && cp "$w/ctl/certs/root-certificate.pem" "$w/cc/ca.crt"
t0=$(date +%s.%N)
skopeo copy -q --dest-cert-dir "$w/cc" --dest-creds "admin:$(cat "$w/ctl/admin-token")" "oci:$w/img:latest" \
	"docker://localhost:$cport/big:1"
t1=$(date +%s.%N)
skopeo copy -q --dest-tls-verify=false "oci:$w/img:latest" "docker://127.0.0.1:$rport/big:1"
t2=$(date +%s.%N)
printf 'skopeo push: controller %.2f s, docker-registry %.2f s\n' "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)"

echo "== pull from the controller (/v2/)"
"$build/bench/bench_registry_pull" "docker://localhost:$cport/big:1" "$w/ctl/certs/root-certificate.pem" "$runs" | tee "$w/c.out"
echo "== pull from docker-registry"
"$build/bench/bench_registry_pull" "docker://127.0.0.1:$rport/big:1" "$w/reg.pem" "$runs" | tee "$w/r.out"
c=$(sed -n 's/^median: .* = \(.*\) MB\/s$/\1/p' "$w/c.out")
r=$(sed -n 's/^median: .* = \(.*\) MB\/s$/\1/p' "$w/r.out")
printf 'ratio controller / docker-registry (median MB/s): %s / %s = %.2f\n' "$c" "$r" "$(echo "$c / $r" | bc -l)"
