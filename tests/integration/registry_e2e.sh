#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck disable=SC2015
# End-to-end with OCI registries: eve-controller + eve-agent + evectl, a
# Debian docker-registry (HTTPS, htpasswd basic auth) as the external
# registry, skopeo pushing to both.
#   skopeo copy -> the controller's /v2/ (admin token through the Bearer
#   challenge) -> image cbusybox; skopeo copy -> docker-registry;
#   evectl image add ext --url docker://... --username --password-file --ca;
#   evectl image push (an OCI layout dir, and a docker save tar);
#   apps from each reach RUNNING; evectl app get shows the pull (100 %,
#   bytes); wrong credentials give ERROR with the reason.
. "$(dirname "$0")/e2e_lib.sh"

SERIAL=reg-e2e-1
IMAGES=$E2E_BUILD/runtime-images
REG_PORT=$((E2E_PORT + 1))
REG_PID=

for t in docker-registry skopeo htpasswd jq; do
	command -v $t >/dev/null && continue
	[ "${CI:-}" = true ] && fail "$t missing (CI has every package)"
	log "SKIP: $t not installed (scripts/install-deps REGISTRY_PKGS)"
	exit 77
done
stop_registry() { [ -n "$REG_PID" ] && kill "$REG_PID" 2>/dev/null && wait "$REG_PID" 2>/dev/null; }
trap 'stop_registry; cleanup' EXIT

step "controller on 127.0.0.1:$E2E_PORT, libvirtd, busybox image as an OCI layout"
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
TOKEN=$(ctl_token "$CTL")
pass "controller up"

step "docker-registry (HTTPS + basic auth) on 127.0.0.1:$REG_PORT"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$W/reg.key" -out "$W/reg.pem" >/dev/null 2>&1 || fail openssl
htpasswd -Bbn regtest 'e2e-pw' >"$W/htpasswd" 2>/dev/null || fail htpasswd
cat >"$W/reg.yml" <<YML
version: 0.1
log: {level: warn}
storage: {filesystem: {rootdirectory: $W/regdata}}
http: {addr: 127.0.0.1:$REG_PORT, tls: {certificate: $W/reg.pem, key: $W/reg.key}}
auth: {htpasswd: {realm: rege2e, path: $W/htpasswd}}
YML
docker-registry serve "$W/reg.yml" >"$W/registry.log" 2>&1 &
REG_PID=$!
wait_for 20 "docker-registry answering" curl -sk -o /dev/null "https://127.0.0.1:$REG_PORT/v2/"
skopeo copy -q --dest-tls-verify=false --dest-creds regtest:e2e-pw "oci:$W/base:latest" \
	"docker://127.0.0.1:$REG_PORT/test/busybox:1.0" || fail "skopeo copy to docker-registry"
pass "pushed test/busybox:1.0 to docker-registry"

step "skopeo copy to the controller's /v2/ (admin token through the Bearer challenge)"
mkdir -p "$W/ctlcerts" && cp "$CTL/certs/root-certificate.pem" "$W/ctlcerts/ca.crt"
skopeo copy -q --dest-cert-dir "$W/ctlcerts" --dest-creds "admin:$TOKEN" "oci:$W/base:latest" \
	"docker://localhost:$E2E_PORT/cbusybox:1.0" >"$W/skopeo.log" 2>&1 || { cat "$W/skopeo.log"; fail "skopeo copy to the controller"; }
skopeo copy -q --dest-cert-dir "$W/ctlcerts" --dest-creds "admin:wrong-token" "oci:$W/base:latest" \
	"docker://localhost:$E2E_PORT/nope:1.0" >/dev/null 2>&1 && fail "push with a wrong token accepted"
img=$(ectl_json image get cbusybox)
[ "$(jq -r .format <<<"$img")" = oci ] && [ "$(jq -r .state <<<"$img")" = ready ] &&
	[ "$(jq -r .url <<<"$img")" = "/v2/cbusybox:1.0" ] || fail "image cbusybox after the push: $img"
skopeo inspect --cert-dir "$W/ctlcerts" "docker://localhost:$E2E_PORT/cbusybox:1.0" >/dev/null 2>&1 ||
	fail "skopeo inspect of the pushed image (anonymous pull)"
pass "image cbusybox (format oci, sha256 $(jq -r .sha256 <<<"$img" | cut -c1-12)...) from the push"

step "evectl image push: an OCI layout directory and a docker save tar"
ectl image push lbusybox "$W/base" --tag v1 >"$W/push1.out" 2>&1 || { cat "$W/push1.out"; fail "evectl image push DIR"; }
# A docker save tar built from the layout: manifest.json, config, one layer.tar.
mkdir -p "$W/dsave" && python3 - "$W/base" "$W/dsave" <<'PY' || fail "making a docker save tar"
import gzip, json, os, shutil, sys
src, dst = sys.argv[1], sys.argv[2]
b = lambda d: os.path.join(src, "blobs", "sha256", d[7:])
idx = json.load(open(os.path.join(src, "index.json")))
man = json.load(open(b(idx["manifests"][0]["digest"])))
shutil.copy(b(man["config"]["digest"]), os.path.join(dst, "config.json"))
os.makedirs(os.path.join(dst, "l0"))
with gzip.open(b(man["layers"][0]["digest"])) as f, open(os.path.join(dst, "l0", "layer.tar"), "wb") as o:
    shutil.copyfileobj(f, o)
json.dump([{"Config": "config.json", "RepoTags": ["dsave:1"], "Layers": ["l0/layer.tar"]}],
          open(os.path.join(dst, "manifest.json"), "w"))
PY
tar -C "$W/dsave" -cf "$W/dsave.tar" manifest.json config.json l0 || fail "tar"
ectl image push dbusybox "$W/dsave.tar" >"$W/push2.out" 2>&1 || { cat "$W/push2.out"; fail "evectl image push TAR (docker save)"; }
[ "$(ectl_json image get dbusybox | jq -r .state)" = ready ] || fail "dbusybox not ready"
pass "lbusybox (layout) and dbusybox (docker save) pushed"

step "external registry image with credentials and CA; one with a wrong password"
printf 'e2e-pw\n' >"$W/pw" && printf 'bad-pw\n' >"$W/badpw" && chmod 600 "$W/pw" "$W/badpw"
ectl image add ext --url "docker://127.0.0.1:$REG_PORT/test/busybox:1.0" --username regtest \
	--password-file "$W/pw" --registry-ca "$W/reg.pem" >/dev/null || fail "evectl image add docker://"
ectl image add extbad --url "docker://127.0.0.1:$REG_PORT/test/busybox:1.0" --username regtest \
	--password-file "$W/badpw" --registry-ca "$W/reg.pem" >/dev/null || fail "evectl image add docker:// (bad pw)"
ectl_json image get ext | jq -e '.password == null and .username == "regtest"' >/dev/null ||
	fail "image get shows the password or hides the user"
ectl image add vmbad --url "docker://127.0.0.1:$REG_PORT/x:1" --format qcow2 >/dev/null 2>&1 &&
	fail "a docker:// VM image was accepted"
pass "ext, extbad registered (docker:// refused for VM formats)"

step "agent onboards; apps from the external registry and from the controller's registry"
ectl onboard add --cert "$CTL/device-config/onboard.cert.pem" --serial "$SERIAL" >/dev/null || fail "onboard add"
agent_dirs dev
agent_start dev "$SERIAL"
wait_for 60 "device online" device_field_is "$SERIAL" .state online
ectl device config set "$SERIAL" timer.config.interval=2 >/dev/null || fail "config set"
for a in ext:ext ctl:cbusybox lay:lbusybox dsv:dbusybox bad:extbad; do
	ectl app deploy "r${a%%:*}" --image "${a#*:}" --device "$SERIAL" --memory 64M -e GREETING="${a%%:*}" \
		>/dev/null || fail "deploy ${a%%:*}"
done
for a in rext rctl rlay rdsv; do
	wait_app_state "$a" RUNNING 180
done
pass "rext (docker-registry), rctl (skopeo -> controller), rlay, rdsv (evectl image push) RUNNING"

step "evectl app get shows the pull; wrong credentials are an ERROR with the reason"
dl=$(ectl_json app get rext | jq -c '.instances[0].download')
[ "$(jq -r .progress <<<"$dl")" = 100 ] && [ "$(jq -r .bytes <<<"$dl")" -gt 100000 ] &&
	[ "$(jq -r .state <<<"$dl")" = LOADED ] || fail "download view of rext: $dl"
ectl app get rext | grep -q "RUNNING  *100% " || fail "evectl app get rext shows no PULL column: $(ectl app get rext)"
wait_for 90 "rbad in ERROR" app_state_is rbad ERROR
err=$(ectl_json app get rbad | jq -r '.instances[0].error')
grep -q "refused the credentials" <<<"$err" || fail "rbad error: $err"
pass "download $dl; rbad: $err"
log "PASS"
