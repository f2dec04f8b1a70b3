#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# evectl onboard, device, network and image commands against a real
# controller: every success path, -o json parsed back, 404 -> 2.
. "$(dirname "$0")/cli_lib.bash"

start_controller
expect 0 login --server "$SERVER" --ca "$CA" --token "$TOKEN"

# ---- onboard
mkcert onboard
expect 0 -o json onboard add --cert "$WORK/onboard.pem" --serial S1,S2 --serial S3
obid=$(json .id)
want 3 "$(json '.serials|length')" "onboard serials"
# adding the same certificate again replaces its serials
expect 0 -o json onboard add --cert "$WORK/onboard.pem" --serial '*'
want "$obid" "$(json .id)" "onboard id after re-add"
want 1 "$(json '.serials|length')" "serials replaced"
expect 0 onboard list
grep -q "$obid" "$OUT" || fail "onboard list shows the cert"
expect 0 -q onboard list
grep -qx "$obid" "$OUT" || fail "onboard list -q prints ids"
expect 1 onboard add --cert "$WORK/missing.pem" --serial S1
expect 0 onboard remove "$obid"
expect 2 onboard remove "$obid"

# ---- devices
mkcert dev1
expect 0 -o json device add edge-1 --cert "$WORK/dev1.pem" --serial SN1 -l site=lab -l rack=3
devid=$(json .id)
want edge-1 "$(json .name)" "device name"
expect 0 device list
grep -q "^edge-1 " "$OUT" || fail "device list shows edge-1"
expect 0 -o wide device list
grep -q "$devid" "$OUT" || fail "wide device list shows the id"
expect 0 -q device list
want "$devid" "$(cat "$OUT")" "device list -q"
expect 0 -o json device list --label site=lab
want 1 "$(json '.items|length')" "label filter matches"
expect 0 -o json device list --label site=elsewhere
want 0 "$(json '.items|length')" "label filter excludes"
expect 1 device list --label nonsense
expect 0 device get edge-1
expect 0 -o json device get "$devid"
want SN1 "$(json .serial)" "device serial"
expect 2 device get no-such-device
grep -q "not found" "$ERR" || fail "404 message"
expect 0 device rename edge-1 edge-one
expect 0 -o json device get edge-one
want "$devid" "$(json .id)" "renamed device id"
expect 0 device label edge-one env=prod site-
expect 0 -o json device get edge-one
want prod "$(json .labels.env)" "label set"
want 3 "$(json .labels.rack)" "label kept"
"$JSONQ" .labels.site <"$OUT" >/dev/null 2>&1 && fail "label site was not removed"
expect 1 device label edge-one =bad
expect 2 device label nodev a=b
expect 0 device reboot edge-one
expect 2 device reboot nodev
expect 0 -o json device config set edge-one timer.config.interval=10 debug.enable.ssh=x
n=$(json '.items|length')
expect 0 -o json device config set edge-one debug.enable.ssh-
want $((n - 1)) "$(json '.items|length')" "config item removed"
expect 0 device config dump edge-one
"$JSONQ" . <"$OUT" >/dev/null || fail "device config dump prints JSON"
expect 2 device config set nodev a=b
expect 0 -o json device info edge-one --type device --limit 5
json .items >/dev/null
expect 0 -o json device metrics edge-one --since 10m
json .items >/dev/null
expect 0 device logs edge-one --since 1h
expect 2 device logs nodev
"$EVECTL" device logs edge-one -f --since 5m >"$WORK/follow.out" 2>"$WORK/follow.err" &
fpid=$!
BG_PIDS="$BG_PIDS $fpid"
sleep 1
kill -0 "$fpid" 2>/dev/null || { cat "$WORK/follow.err" >&2; fail "device logs -f ended by itself"; }
kill "$fpid"
wait "$fpid" 2>/dev/null
expect 2 device logs nodev -f
expect 1 device logs edge-one --since soon

# ---- one serial, eight devices added at once (on PostgreSQL their
# transactions run side by side): one is stored, seven refused
for i in 1 2 3 4 5 6 7 8; do
	mkcert "dup$i"
done
pids=()
for i in 1 2 3 4 5 6 7 8; do
	"$EVECTL" device add "dup-$i" --cert "$WORK/dup$i.pem" --serial SN-DUP >/dev/null 2>"$WORK/dup$i.err" &
	pids+=($!)
done
wait_all "${pids[@]}"
[ "$ok" = 1 ] && [ "$refused" = 7 ] || fail "8 devices with serial SN-DUP at once: $ok stored, $refused refused"
grep -l "serial" "$WORK"/dup*.err | wc -l | grep -qx 7 || fail "refused adds do not say the serial is taken"
deleted=0
for i in 1 2 3 4 5 6 7 8; do
	"$EVECTL" device delete "dup-$i" >/dev/null 2>&1 && deleted=$((deleted + 1))
done
want 1 "$deleted" "devices stored with serial SN-DUP"

# ---- device io: PUTs of one port at once, each setting another key (on
# PostgreSQL their transactions run side by side): every key is stored,
# none lost to another PUT's read-merge-write
expect 0 device io set edge-one eth9 --create --usage mgmt
sets=("--proxy http://proxy.example:3128" "--ifname enp9s0" "--cost 7" "--dns 10.0.0.53"
	"--assigngrp grp9" "--pci 0000:00:09.0" "--usb 1:9" "--label uplink9")
pids=()
for i in "${!sets[@]}"; do
	# shellcheck disable=SC2086 # each entry is an option and its value
	"$EVECTL" device io set edge-one eth9 ${sets[$i]} >/dev/null 2>"$WORK/io$i.err" &
	pids+=($!)
done
for i in "${!pids[@]}"; do
	wait "${pids[$i]}" || { cat "$WORK/io$i.err" >&2; fail "device io set ${sets[$i]} at once"; }
done
expect 0 -o json device io list edge-one
want 1 "$(json '.items|length')" "io: one port"
port=.items[0]
want http://proxy.example:3128 "$(json "$port.proxy")" "io: proxy kept"
want enp9s0 "$(json "$port.ifname")" "io: ifname kept"
want 7 "$(json "$port.cost")" "io: cost kept"
want 10.0.0.53 "$(json "$port.dns[0]")" "io: dns kept"
want grp9 "$(json "$port.assigngrp")" "io: assigngrp kept"
want 0000:00:09.0 "$(json "$port.pcilong")" "io: pci kept"
want 1:9 "$(json "$port.usbaddr")" "io: usb kept"
want uplink9 "$(json "$port.logicallabel")" "io: label kept"
expect 0 device io delete edge-one eth9

# ---- images
sha=$(printf 'x' | sha256sum | cut -d' ' -f1)
expect 0 -o json image add os-1.0 --url https://images.invalid/os.img --sha256 "$sha" --format baseos \
	--version 1.0 --size 1M
want "$sha" "$(json .sha256)" "image sha256"
want 1048576 "$(json .size)" "image size"
expect 1 image add bad --url https://x/y --sha256 abc --format raw
expect 1 image add bad --url ftp://x/y --sha256 "$sha" --format raw
expect 1 image add bad --url https://x/y --sha256 "$sha" --format vmdk
expect 3 image add os-1.0 --url https://images.invalid/os.img --sha256 "$sha" --format baseos
expect 0 image list
grep -q "^os-1.0 " "$OUT" || fail "image list"
expect 0 -q image list
want os-1.0 "$(cat "$OUT")" "image list -q"
expect 0 image get os-1.0
expect 2 image get nope
expect 0 device update-os edge-one --image os-1.0 --retry
expect 2 device update-os nodev --image os-1.0
expect 0 device update-os --label env=prod --image os-1.0
grep -q "base OS update to os-1.0 requested" "$OUT" || fail "update-os --label reaches the labelled device"
expect 2 device update-os --label site=elsewhere --image os-1.0
expect 1 device update-os edge-one --label env=prod --image os-1.0
expect 1 device update-os --image os-1.0

# ---- networks
expect 0 -o json network create lan0 --device edge-one --type local --subnet 10.1.0.0/24
netid=$(json .id)
want "$devid" "$(json .device)" "network device"
expect 1 network create bad --device edge-one --type local --subnet 10.1.0.0
expect 1 network create bad --device edge-one --type switch
expect 1 network create bad --device edge-one --type bridge
expect 0 network list
grep -q "^lan0 " "$OUT" || fail "network list"
expect 0 -o json network list --device edge-one
want 1 "$(json '.items|length')" "networks on edge-one"
expect 0 -o json network get lan0 --device edge-one
want "$netid" "$(json .id)" "network by name"
expect 0 network get "$netid"
expect 2 network get nonet --device edge-one
expect 0 network delete "$netid"
expect 2 network delete "$netid"

# ---- cleanup paths
# in use as edge-one's base OS: refused with the server's message
expect 3 image delete os-1.0
grep -q "HTTP 409" "$ERR" || fail "409 message"
expect 0 device delete edge-one
expect 2 device delete edge-one
expect 0 image delete os-1.0
expect 2 image delete os-1.0
expect 0 -o json device list
want 0 "$(json '.items|length')" "no devices left"
echo "PASS"
