#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Unfinished uploads (issue 12, defect 5): an image upload cut by kill -9 of
# the controller leaves datastore/tmp/upload-*; the next start removes it
# (and says so in its log), and the image stays pending, never ready.
#   hardening_uploads.sh WORKDIR PORT     (env EVE_CONTROLLER)
set -u
here=$(dirname "$0")
. "$here/../lib/controller.sh"
W=$1
PORT=$2
rm -rf "$W"
mkdir -p "$W"
CURL_PID=
cleanup() {
	[ -n "$CURL_PID" ] && kill "$CURL_PID" 2>/dev/null && wait "$CURL_PID" 2>/dev/null
	ctl_stop "$W/ctl"
	rm -rf "$W"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	tail -n 20 "$W/ctl/serve.log"
	exit 1
}
TMPD=$W/ctl/datastore/tmp

ctl_init "$W/ctl" "$PORT" || exit 1
ctl_start "$W/ctl" || exit 1
SHA=$(printf '%064d' 0 | tr 0 a)
ctl_api "$W/ctl" POST /images "{\"name\":\"big\",\"format\":\"raw\",\"sha256\":\"$SHA\",\"size\":67108864}" >/dev/null ||
	fail "POST /images: $CTL_STATUS"

# 64 MiB at 1 MiB/s: still running when the controller is killed.
head -c 67108864 /dev/zero | curl -s -o /dev/null --limit-rate 1M -X PUT \
	--cacert "$W/ctl/certs/root-certificate.pem" -H "Authorization: Bearer $(ctl_token "$W/ctl")" \
	-H 'Content-Type: application/octet-stream' --data-binary @- \
	"$(ctl_url "$W/ctl")/api/v1/images/big/data" &
CURL_PID=$!
for ((i = 0; i < 300; i++)); do
	f=$(find "$TMPD" -maxdepth 1 -name 'upload-*' -size +100k 2>/dev/null | head -n1)
	[ -n "$f" ] && break
	sleep 0.1
done
[ -n "$f" ] || fail "no upload-* file grew in $TMPD"
kill -KILL "$(cat "$W/ctl/serve.pid")"
wait "$(cat "$W/ctl/serve.pid")" 2>/dev/null
rm -f "$W/ctl/serve.pid"
wait "$CURL_PID" 2>/dev/null
CURL_PID=
# a second leftover, as after several crashes
head -c 100000 /dev/zero >"$TMPD/upload-Zz9Yy8"
n=$(find "$TMPD" -maxdepth 1 -name 'upload-*' | wc -l)
[ "$n" = 2 ] || fail "expected 2 leftovers before the restart, found $n"
echo "ok kill -9 during an upload left $(du -sh "$TMPD" | cut -f1) in datastore/tmp"

ctl_start "$W/ctl" || fail "restart"
n=$(find "$TMPD" -maxdepth 1 -name 'upload-*' | wc -l)
[ "$n" = 0 ] || fail "$n upload-* file(s) still in datastore/tmp after the restart"
grep -q 'removed unfinished uploads.* files=2' "$W/ctl/serve.log" || fail "no note of the removal in the log"
state=$(ctl_api "$W/ctl" GET /images/big | sed -n 's/.*"state": *"\([a-z]*\)".*/\1/p')
[ "$state" = pending ] || fail "image state after the cut upload: '$state', want pending"
echo "ok restart removed the leftovers (logged); the image is still pending"
echo "hardening_uploads: all checks passed"
