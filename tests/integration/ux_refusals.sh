#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Issue 18, against a real controller: nothing accepted is dropped
# silently. Each refusal's exit code and error text; onboard --append /
# --remove; network and device delete while in use (409 unless --force);
# manifests with unknown or unsupported fields; a non-OCI upload as OCI;
# --version of every program; status uptime; completion of names.
. "$(dirname "$0")/cli_lib.bash"

# errtext REGEX: the one stderr line of the last command matches REGEX
errtext() { grep -Eq -- "$1" "$ERR" || fail "stderr does not match /$1/"; }

# ---- --version everywhere (from the build: project version + git)
expect 0 --version
grep -Eq '^evectl [0-9]+\.[0-9]+\.[0-9]+' "$OUT" || fail "evectl --version"
v=$("$EVE_CONTROLLER" --version) || fail "eve-controller --version"
[[ "$v" =~ ^eve-controller\ [0-9]+\.[0-9]+ ]] || fail "eve-controller --version: $v"
want "${v#eve-controller }" "$(sed 's/^evectl //' "$OUT")" "controller and evectl versions"

start_controller
expect 0 login --server "$SERVER" --ca "$CA" --token "$TOKEN"

# ---- status: uptime as a duration
expect 0 status
grep -Eq '^UPTIME +[0-9]+(s|m[0-9]+s|h[0-9]+m|d[0-9]+h)$' "$OUT" || fail "status UPTIME is not a duration"

# ---- TLS failure names --ca / evectl login --ca
mkcert bogusca
expect 4 --ca "$WORK/bogusca.pem" status
errtext "evectl login --ca"

# ---- onboard add --append / --remove print the resulting list
mkcert onb
expect 0 onboard add --cert "$WORK/onb.pem" --serial A,B
grep -q "serials now A,B" "$OUT" || fail "onboard add prints the list"
expect 0 onboard add --cert "$WORK/onb.pem" --serial C --append
grep -q "serials now A,B,C" "$OUT" || fail "--append adds"
expect 0 onboard add --cert "$WORK/onb.pem" --serial A --remove
grep -q "serials now B,C" "$OUT" || fail "--remove takes out"
expect 0 onboard add --cert "$WORK/onb.pem" --serial X
grep -q "serials now X$" "$OUT" || fail "without --append the list is replaced"
expect 1 onboard add --cert "$WORK/onb.pem" --serial X --remove
errtext "leaves no serial"
expect 1 onboard add --cert "$WORK/onb.pem" --serial X --append --remove

# ---- a device, an image, a network, an app on it
mkcert dev1
expect 0 device add edge-1 --cert "$WORK/dev1.pem" --serial SN1
head -c 100000 /dev/urandom >"$WORK/disk.img"
expect 0 image upload disk "$WORK/disk.img" --format raw
expect 0 network create net1 --device edge-1 --type local --subnet 10.9.0.0/24

# a network that does not exist on the device is refused, not dropped
expect 2 app deploy web --image disk --device edge-1 --network nonet
errtext "no network nonet on device edge-1"
expect 0 app deploy web --image disk --device edge-1 --network net1 -p 8080:80

# ---- network delete while in use: 409 (exit 3) unless --force
expect 3 network delete net1 --device edge-1
errtext "HTTP 409|in use by app web"
expect 0 -o json app get web
want net1 "$(json .networks[0])" "app keeps its network"

# ---- device delete with apps: 409 unless --force (which removes the apps)
expect 3 device delete edge-1
errtext "runs 1 app instance \(web\)"
expect 0 device get edge-1
expect 0 network delete net1 --device edge-1 --force
expect 0 device delete edge-1 --force
expect 2 device get edge-1
expect 2 app get web

# ---- manifests: unknown keys and unsupported values are refused (exit 1)
expect 0 device add edge-2 --cert "$WORK/dev1.pem" --serial SN2
expect 0 network create net2 --device edge-2 --type local --subnet 10.8.0.0/24
expect 0 device label edge-2 site=x
expect 2 app deploy sel --image disk --selector site=x --network net3
errtext "no network net3 on device edge-2"
expect 0 app deploy sel --image disk --selector site=x --network net2
expect 0 app delete sel
manifest() { # manifest FILE JQ-FILTER: the base manifest changed by FILTER
	jq "$2" >"$1" <<'JSON'
{"acKind": "VMManifest", "name": "m1", "device": "edge-2", "vmmode": "HV_HVM",
 "images": [{"imagename": "disk", "readonly": false, "target": "Disk", "maxsize": 2048}],
 "interfaces": [{"name": "net2", "directattach": false}],
 "resources": [{"name": "cpus", "value": 1}], "ports": ["8080:80"]}
JSON
}
command -v jq >/dev/null || { [ "${CI:-}" = true ] && fail "jq missing"; echo "SKIP: jq"; exit 77; }
manifest "$WORK/ok.json" .
expect 0 apply -f "$WORK/ok.json"
expect 0 -o json app get m1
want 2 "$(json .disk_mb)" "images[0].maxsize (KiB) honoured as the disk size"
want 8080 "$(json .ports[0].host)" "ports honoured"
for case in '.owner = {}|owner: unknown field' \
	'.images[0].preserve = true|images\[0\]\.preserve: unknown field' \
	'.interfaces[0].foo = 1|interfaces\[\]\.foo: unknown field' \
	'.images[0].readonly = true|images\[0\]\.readonly: only false' \
	'.images[0].target = "Kernel"|images\[0\]\.target: only Disk' \
	'.interfaces[0].directattach = true|interfaces\[\]\.directattach: only false' \
	'.acKind = "PodManifest"|acKind: must be VMManifest' \
	'del(.interfaces)|ports: ports are published'; do
	manifest "$WORK/bad.json" "${case%%|*}"
	expect 1 apply -f "$WORK/bad.json"
	errtext "${case#*|}"
done
# vmmode is checked against the image: a raw image runs as HV_HVM
manifest "$WORK/bad.json" '.vmmode = "HV_PV"'
expect 3 apply -f "$WORK/bad.json"
errtext "vmmode HV_PV: a raw image runs as HV_HVM"
# a manifest naming a network the device lacks
manifest "$WORK/bad.json" '.interfaces[0].name = "ghost"'
expect 2 apply -f "$WORK/bad.json"
errtext "no network ghost on device edge-2"

# ---- apply with a changed env or port map restarts the instances
manifest "$WORK/env.json" '.env = {"A": "1"}'
expect 0 -o json app get m1
rc0=$(json .instances[0].restart_counter)
expect 0 apply -f "$WORK/env.json"
grep -q "env changed: instances restarted" "$OUT" || fail "apply says the instances restart"
expect 0 -o json app get m1
want $((rc0 + 1)) "$(json .instances[0].restart_counter)" "restart_counter after an env change"
manifest "$WORK/env.json" '.env = {"A": "1"} | .resources[0].value = 2'
expect 0 apply -f "$WORK/env.json"
grep -q "configured$" "$OUT" || fail "a cpus change does not restart"

# ---- image upload --format oci of bytes that are not an OCI image
expect 3 image upload notoci "$WORK/disk.img" --format oci
errtext "not an OCI image: not a tar archive"
expect 2 image get notoci # the refused upload left no registration behind
mkdir -p "$WORK/t" && echo hi >"$WORK/t/readme" && tar -C "$WORK/t" -cf "$WORK/plain.tar" readme
expect 3 image upload notoci2 "$WORK/plain.tar" --format oci
errtext "without index.json or manifest.json"
echo '{}' >"$WORK/t/index.json" && tar -C "$WORK/t" -czf "$WORK/oci.tar.gz" readme index.json
expect 0 image upload oci1 "$WORK/oci.tar.gz" --format oci

# ---- completion: bash and zsh scripts, names from the controller
expect 0 completion bash
bash -n "$OUT" || fail "bash completion is not valid bash"
grep -q "_evectl_names device" "$OUT" || fail "bash completion completes device names"
expect 0 __names device
want edge-2 "$(cat "$OUT")" "__names device"
expect 0 __names image
grep -qx disk "$OUT" || fail "__names image"
expect 0 completion zsh
if command -v zsh >/dev/null 2>&1; then
	cp "$OUT" "$WORK/comp.zsh"
	zsh -n "$WORK/comp.zsh" || fail "zsh completion does not parse"
	zsh -c "source $WORK/comp.zsh; print -r -- \$_comps[evectl]" >"$WORK/zsh.out" 2>&1
	grep -q "_evectl" "$WORK/zsh.out" || { cat "$WORK/zsh.out" >&2; fail "zsh does not register the completion"; }
elif [ "${CI:-}" = true ]; then
	fail "zsh missing (CLI_PKGS)"
fi
# the generated bash function, run for "evectl app get <TAB>"
(
	PATH=$(dirname "$EVECTL"):$PATH
	eval "$("$EVECTL" completion bash)"
	COMP_WORDS=(evectl device get "")
	COMP_CWORD=3
	_evectl
	printf '%s\n' "${COMPREPLY[@]}"
) >"$WORK/comp.out" 2>&1
grep -qx edge-2 "$WORK/comp.out" || { cat "$WORK/comp.out" >&2; fail "completing 'device get' offers edge-2"; }

# ---- the man page documents the new options
expect 0 __man
grep -q "onboard add" "$OUT" && grep -q "\\\\-\\\\-append" "$OUT" && grep -q '^\.SS "top' "$OUT" ||
	fail "man page lacks --append or top"
echo "PASS"
