#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The controller's OCI distribution API (/v2/) with curl, request by request:
# the Bearer challenge and token endpoint, monolithic and chunked blob
# uploads, digest checks, manifests (unknown blobs refused; by tag and by
# digest; HEAD), tags/list, refusals without a token and for bad names, and
# the image row a tag push makes.
#   registry_api.sh CONTROLLER PORT
set -u
EVE_CONTROLLER=$1
port=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/controller.sh"
w=$(mktemp -d /tmp/regapi.XXXXXX)
ctl=$w/ctl
trap 'ctl_stop "$ctl"; rm -rf "$w"' EXIT
fail() {
	echo "FAIL: $*"
	tail -n 20 "$ctl/serve.log"
	exit 1
}
ctl_init "$ctl" "$port" || fail "init"
ctl_start "$ctl" || fail "serve"
base="https://localhost:$port"
tok=$(ctl_token "$ctl")
ca=(--cacert "$ctl/certs/root-certificate.pem")
# req METHOD PATH [curl args...]: status in $st, headers in $w/h, body in $w/b
req() {
	local m=$1 p=$2
	shift 2
	st=$(curl -s "${ca[@]}" -X "$m" -D "$w/h" -o "$w/b" -w '%{http_code}' "$@" "$base$p")
}
auth=(-H "Authorization: Bearer $tok")
hdr() { sed -n "s/^$1: *//Ip" "$w/h" | tr -d '\r' | tail -1; }

# --- challenge and token endpoint
req GET /v2/
[ "$st" = 401 ] && hdr WWW-Authenticate | grep -q "^Bearer realm=\"https://.*/v2/token\"" ||
	fail "GET /v2/ without a token: $st $(hdr WWW-Authenticate)"
req GET /v2/token -u "admin:$tok"
t=$(jq -r .token "$w/b")
[ "$st" = 200 ] && [ "$t" = "$tok" ] || fail "token endpoint with the admin token: $st"
req GET /v2/token -u "admin:wrong"
[ "$st" = 401 ] || fail "token endpoint with a wrong token: $st"
req GET /v2/ -H "Authorization: Bearer $t"
[ "$st" = 200 ] || fail "GET /v2/ with the token: $st"
echo "OK challenge + token endpoint"

# --- monolithic upload
head -c 100000 /dev/urandom >"$w/blob1"
d1=$(sha256sum "$w/blob1" | cut -d' ' -f1)
req POST "/v2/t1/blobs/uploads/?digest=sha256:$d1" --data-binary @"$w/blob1"
[ "$st" = 401 ] || fail "upload without a token: $st"
req POST "/v2/t1/blobs/uploads/?digest=sha256:$d1" "${auth[@]}" --data-binary @"$w/blob1"
[ "$st" = 201 ] && [ "$(hdr Docker-Content-Digest)" = "sha256:$d1" ] || fail "monolithic upload: $st $(cat "$w/b")"
req HEAD "/v2/t1/blobs/sha256:$d1" -I
[ "$st" = 200 ] && [ "$(hdr Content-Length)" = 100000 ] || fail "HEAD blob: $st"
req GET "/v2/t1/blobs/sha256:$d1" -H "Range: bytes=10-19"
[ "$st" = 206 ] && cmp -s <(tail -c +11 "$w/blob1" | head -c 10) "$w/b" || fail "ranged GET: $st"
echo "OK monolithic upload, HEAD, Range"

# --- chunked upload (POST, PATCH, PATCH, status, PUT)
head -c 70000 /dev/urandom >"$w/p1"
head -c 50000 /dev/urandom >"$w/p2"
cat "$w/p1" "$w/p2" >"$w/blob2"
d2=$(sha256sum "$w/blob2" | cut -d' ' -f1)
req POST /v2/t1/blobs/uploads/ "${auth[@]}" --data-binary ''
loc=$(hdr Location)
[ "$st" = 202 ] && [[ $loc == /v2/t1/blobs/uploads/* ]] || fail "start upload: $st $loc"
req PATCH "$loc" "${auth[@]}" --data-binary @"$w/p1" -H 'Content-Type: application/octet-stream'
[ "$st" = 202 ] && [ "$(hdr Range)" = 0-69999 ] || fail "PATCH 1: $st $(hdr Range)"
req PATCH "$loc" "${auth[@]}" --data-binary @"$w/p2" -H 'Content-Type: application/octet-stream'
[ "$st" = 202 ] && [ "$(hdr Range)" = 0-119999 ] || fail "PATCH 2: $st $(hdr Range)"
req GET "$loc"
[ "$st" = 204 ] && [ "$(hdr Range)" = 0-119999 ] || fail "upload status: $st"
req PUT "$loc?digest=sha256:$d1" "${auth[@]}" --data-binary ''
[ "$st" = 400 ] && grep -q DIGEST_INVALID "$w/b" || fail "PUT with the wrong digest: $st"
req HEAD "/v2/t1/blobs/sha256:$d2" -I
[ "$st" = 404 ] || fail "a refused upload left a blob: $st"
req POST /v2/t1/blobs/uploads/ "${auth[@]}" --data-binary ''
loc=$(hdr Location)
req PATCH "$loc" "${auth[@]}" --data-binary @"$w/p1" -H 'Content-Type: application/octet-stream'
req PUT "$loc?digest=sha256:$d2" "${auth[@]}" --data-binary @"$w/p2" -H 'Content-Type: application/octet-stream'
[ "$st" = 201 ] || fail "chunked upload finished by PUT with the last chunk: $st $(cat "$w/b")"
req GET "/v2/t1/blobs/sha256:$d2"
cmp -s "$w/b" "$w/blob2" || fail "chunked blob content differs"
req POST "/v2/t2/blobs/uploads/?mount=sha256:$d2&from=t1" "${auth[@]}" --data-binary ''
[ "$st" = 201 ] || fail "cross-repository mount: $st"
echo "OK chunked upload, wrong digest refused, mount"

# --- manifests
cfg='{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[]}}'
printf '%s' "$cfg" >"$w/cfg"
dc=$(sha256sum "$w/cfg" | cut -d' ' -f1)
req POST "/v2/t1/blobs/uploads/?digest=sha256:$dc" "${auth[@]}" --data-binary @"$w/cfg"
mk() { # config digest, layer digest -> manifest on stdout
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
		"$1" "${#cfg}" "$2" 100000
}
mk "$dc" "$(printf '0%.0s' {1..64})" >"$w/bad.json"
req PUT /v2/t1/manifests/v1 "${auth[@]}" -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary @"$w/bad.json"
[ "$st" = 400 ] && grep -q MANIFEST_BLOB_UNKNOWN "$w/b" || fail "manifest naming an unknown layer: $st"
mk "$dc" "$d1" >"$w/m.json"
dm=$(sha256sum "$w/m.json" | cut -d' ' -f1)
req PUT /v2/t1/manifests/v1 -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary @"$w/m.json"
[ "$st" = 401 ] || fail "manifest without a token: $st"
req PUT /v2/t1/manifests/v1 "${auth[@]}" -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary @"$w/m.json"
[ "$st" = 201 ] && [ "$(hdr Docker-Content-Digest)" = "sha256:$dm" ] || fail "manifest PUT: $st $(cat "$w/b")"
req GET /v2/t1/manifests/v1 -H 'Accept: application/vnd.oci.image.manifest.v1+json'
[ "$st" = 200 ] && cmp -s "$w/b" "$w/m.json" && [ "$(hdr Content-Type)" = application/vnd.oci.image.manifest.v1+json ] &&
	[ "$(hdr Docker-Content-Digest)" = "sha256:$dm" ] || fail "GET manifest by tag: $st"
req GET "/v2/t1/manifests/sha256:$dm"
[ "$st" = 200 ] || fail "GET manifest by digest: $st"
req HEAD /v2/t1/manifests/v1 -I
[ "$st" = 200 ] || fail "HEAD manifest: $st"
req GET /v2/t1/manifests/nope
[ "$st" = 404 ] && grep -q MANIFEST_UNKNOWN "$w/b" || fail "unknown tag: $st"
req PUT "/v2/t1/manifests/sha256:$d1" "${auth[@]}" -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary @"$w/m.json"
[ "$st" = 400 ] || fail "manifest PUT under a digest it does not have: $st"
req GET /v2/t1/tags/list
[ "$(jq -c .tags "$w/b")" = '["v1"]' ] || fail "tags/list: $(cat "$w/b")"
req PUT /v2/Bad/manifests/v1 "${auth[@]}" --data-binary @"$w/m.json"
[ "$st" = 400 ] || fail "upper-case repository name: $st"
echo "OK manifests: unknown blob refused, by tag/digest, HEAD, tags/list, bad names"

# --- the image the tag push made
img=$(ctl_api "$ctl" GET /images/t1) || fail "image t1 missing"
[ "$(jq -r .format <<<"$img")" = oci ] && [ "$(jq -r .url <<<"$img")" = /v2/t1:v1 ] &&
	[ "$(jq -r .sha256 <<<"$img")" = "$dm" ] && [ "$(jq -r .size <<<"$img")" = $((100000 + ${#cfg})) ] ||
	fail "image row: $img"
ctl_api "$ctl" POST /images '{"name":"web","url":"docker://reg.example.org/web:1.2","username":"u","password":"p"}' >"$w/web" ||
	fail "image add docker://: $(cat "$w/web")"
jq -e '.format == "oci" and .username == "u" and (.password == null) and .sha256 == ""' "$w/web" >/dev/null ||
	fail "docker:// image: $(cat "$w/web")"
ctl_api "$ctl" POST /images '{"name":"vm","url":"docker://reg.example.org/web:1.2","format":"qcow2"}' >/dev/null &&
	fail "docker:// VM image accepted"
req PUT /v2/web/manifests/v1 "${auth[@]}" -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary @"$w/m.json"
[ "$st" = 409 ] || fail "push over a non-registry image of that name: $st"
ctl_api "$ctl" DELETE /images/t1 >/dev/null || fail "delete image t1"
req GET /v2/t1/manifests/v1
[ "$st" = 404 ] || fail "manifest of a deleted image still served: $st"
req GET "/v2/t1/blobs/sha256:$d1" -I
[ "$st" = 200 ] || fail "deleting the image removed a blob other repositories may share: $st"
echo "OK image rows (tag push, docker:// with credentials, delete drops the repository's tags)"
echo PASS
