#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Volumes as controller objects (issue 17): evectl volume create|list|get|
# delete, sizes, apps referring to volumes (mount points for containers),
# what the device is sent (EVE Volume + volumeRefs), 409 for a volume in
# use, app delete keeping its data volumes unless --with-volumes, and an
# image change of the app keeping its data volume (a new image volume only).
. "$(dirname "$0")/cli_lib.bash"

start_controller
expect 0 login --server "$SERVER" --ca "$CA" --token "$TOKEN"
mkcert dev1
expect 0 device add edge-1 --cert "$WORK/dev1.pem" --serial SN1
mkcert dev2
expect 0 device add edge-2 --cert "$WORK/dev2.pem" --serial SN2
expect 0 image add web-v1 --url docker://127.0.0.1:5000/web:v1
expect 0 image add web-v2 --url docker://127.0.0.1:5000/web:v2
head -c 4096 /dev/urandom >"$WORK/disk.img"
expect 0 -q image upload vmdisk "$WORK/disk.img" --format qcow2

# ---- create / list / get
expect 0 -o json volume create data --device edge-1 --size 64M
want blank "$(json .kind)" "kind"
want $((64 << 20)) "$(json .size_bytes)" "size 64M"
volid=$(json .id)
expect 0 -o json volume create big --device edge-1 --size 1G
want $((1 << 30)) "$(json .size_bytes)" "size 1G"
expect 0 -o json volume create seeded --device edge-1 --image vmdisk
want image "$(json .kind)" "kind from an image"
want vmdisk "$(json .image)" "image of a volume from an image"
# the same name on another device is another volume
expect 0 volume create data --device edge-2 --size 8M
expect 3 volume create data --device edge-1 --size 8M
expect 1 volume create nosize --device edge-1
grep -q -- "--size" "$ERR" || fail "no size: no clear error"
expect 1 volume create bad --device edge-1 --size 12Q
expect 2 volume create x --device nosuch --size 8M
expect 2 volume create x --device edge-1 --image nosuch
expect 0 volume list --device edge-1
[ "$(grep -c edge- "$OUT")" = 0 ] || true
[ "$(wc -l <"$OUT")" = 4 ] || fail "volume list --device edge-1: want a header and 3 rows: $(cat "$OUT")"
expect 0 volume list
grep -q "big" "$OUT" || fail "volume list lacks big"
grep -q "64.0M\|64M" "$OUT" || fail "volume list shows no size: $(cat "$OUT")"
# a name on two devices needs --device
expect 3 volume get data
expect 0 -o json volume get data --device edge-1
want "$volid" "$(json .id)" "get by name + device"

# ---- apps refer to volumes
# containers need a mount point, VMs must not have one
expect 3 app deploy web --image web-v1 --device edge-1 --volume data
grep -q "mount point" "$ERR" || fail "container volume without mount: no clear error"
expect 3 app deploy vm --image vmdisk --device edge-1 --volume big:/data
expect 2 app deploy web --image web-v1 --device edge-1 --volume nosuch:/data
expect 3 app deploy web --image web-v1 --selector site=x --volume data:/data
grep -q "one device" "$ERR" || fail "selector + volumes: no clear error"
expect 0 -o json app deploy web --image web-v1 --device edge-1 --volume data:/data --disk 300M
want /data "$(json .volumes[0].mount)" "mount point in the spec"
# one volume, one app
expect 3 app deploy web2 --image web-v1 --device edge-1 --volume data:/var/data
grep -q "in use by app web" "$ERR" || fail "volume of another app: no clear error"
expect 0 app deploy vm --image vmdisk --device edge-1 --volume big --volume seeded
expect 0 -o json volume get data --device edge-1
want web "$(json .used_by)" "used_by"

# ---- what edge-1 is sent
"$EVECTL" device config dump edge-1 >"$WORK/cfg.json" || fail "config dump"
python3 - "$WORK/cfg.json" "$volid" <<'PY' || fail "config of edge-1"
import json, sys
cfg = json.load(open(sys.argv[1])); volid = sys.argv[2]
vols = {v["uuid"]: v for v in cfg.get("volumes", [])}
assert volid in vols, "data volume not sent"
d = vols[volid]
assert int(d["maxsizebytes"]) == 64 << 20, d
assert d["origin"]["type"] == "VCOT_BLANK", d
apps = {a["displayname"]: a for a in cfg["apps"]}
refs = apps["web"]["volumeRefList"]
assert len(refs) == 2, refs
assert refs[1]["uuid"] == volid and refs[1]["mount_dir"] == "/data", refs
img = vols[refs[0]["uuid"]]
assert img["origin"]["type"] == "VCOT_DOWNLOAD", img
assert int(img["maxsizebytes"]) == 300 << 20, ("storage -> image volume size", img)
assert len(apps["vm"]["volumeRefList"]) == 3
assert sum(1 for v in vols.values() if v.get("displayName") in ("data", "big", "seeded")) == 3
print("ok")
PY
cp "$WORK/cfg.json" "$WORK/cfg1.json"

# ---- an image change keeps the data volume, replaces the image volume
curl -sf --cacert "$CA" -H "Authorization: Bearer $TOKEN" -X PUT -H 'Content-Type: application/json' \
	-d '{"image":"web-v2","device":"edge-1","volumes":[{"name":"data","mount":"/data"}]}' \
	"$SERVER/api/v1/apps/web" >/dev/null || fail "PUT web with image web-v2"
"$EVECTL" device config dump edge-1 >"$WORK/cfg2.json" || fail "config dump"
python3 - "$WORK/cfg1.json" "$WORK/cfg2.json" "$volid" <<'PY' || fail "image change"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3]); volid = sys.argv[3]
def web(c):
    app = [x for x in c["apps"] if x["displayname"] == "web"][0]
    vols = {v["uuid"]: v for v in c["volumes"]}
    return [(r["uuid"], int(r.get("generationCount", 0)), vols[r["uuid"]]["origin"].get("downloadContentTreeID")) for r in app["volumeRefList"]]
wa, wb = web(a), web(b)
assert wa[1] == wb[1] and wa[1][0] == volid, ("data volume changed", wa, wb)
assert wa[0][2] != wb[0][2], ("image volume not from the new image", wa, wb)
print("ok")
PY

# ---- revision history and rollback
expect 0 -o json app history web
want 2 "$(json .version)" "current version after the image change"
want 2 "$(json .revisions[0].version)" "newest revision first"
want web-v2 "$(json .revisions[0].image)" "revision 2 image"
want update "$(json .revisions[0].reason)" "revision 2 reason"
want web-v1 "$(json .revisions[1].image)" "revision 1 image"
want create "$(json .revisions[1].reason)" "revision 1 reason"
expect 3 app rollback web --to 2
expect 3 app rollback web --to 7
expect 0 app rollback web
grep -q "rolled back to v1 (now v3)" "$OUT" || fail "rollback output: $(cat "$OUT")"
expect 0 -o json app get web
want web-v1 "$(json .image)" "image after the rollback"
want /data "$(json .volumes[0].mount)" "volumes after the rollback"
expect 0 -o json app history web
want "rollback to v1" "$(json .revisions[0].reason)" "rollback reason"
expect 0 app history web
grep -q "rollback to v1" "$OUT" || fail "history table: $(cat "$OUT")"
"$EVECTL" device config dump edge-1 >"$WORK/cfg4.json" || fail "config dump"
python3 - "$WORK/cfg1.json" "$WORK/cfg4.json" "$volid" <<'PY' || fail "rollback config"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
def refs(c):
    app = [x for x in c["apps"] if x["displayname"] == "web"][0]
    vols = {v["uuid"]: v for v in c["volumes"]}
    return [(r["uuid"], vols[r["uuid"]]["origin"].get("downloadContentTreeID")) for r in app["volumeRefList"]]
assert refs(a) == refs(b), ("after the rollback the app is not back on v1's image and volumes", refs(a), refs(b))
print("ok")
PY

# ---- automatic rollback: an update not RUNNING within rollback_after_s
# (edge-1 never reports here, so v2 never runs)
expect 1 app deploy auto --image web-v1 --device edge-2 --rollback-after 0
expect 0 app deploy auto --image web-v1 --device edge-2 --rollback-after 2s
curl -sf --cacert "$CA" -H "Authorization: Bearer $TOKEN" -X PUT -H 'Content-Type: application/json' \
	-d '{"image":"web-v2","device":"edge-2","rollback_after_s":2}' \
	"$SERVER/api/v1/apps/auto" >/dev/null || fail "PUT auto with image web-v2"
for _ in $(seq 1 50); do
	"$EVECTL" -o json app get auto >"$OUT" 2>"$ERR" || fail "app get auto"
	[ "$(json .rollback.state 2>/dev/null)" = ROLLED_BACK ] && break
	sleep 0.2
done
want ROLLED_BACK "$(json .rollback.state)" "state after an update that did not run"
want web-v1 "$(json .image)" "image after the automatic rollback"
want 2 "$(json .rollback.from)" "rolled back from"
want 1 "$(json .rollback.to)" "rolled back to"
expect 0 -o json app history auto
want "auto-rollback to v1" "$(json .revisions[0].reason)" "reason of the rollback revision"
case "$(json .revisions[1].outcome)" in
"rolled back: v2 did not reach RUNNING within 2s (on edge-2: UNKNOWN)") ;;
*) fail "outcome of the failed revision: $(json .revisions[1].outcome)" ;;
esac
expect 0 app history auto
grep -q "auto-rollback to v1" "$OUT" || fail "history table lacks the automatic rollback"
expect 0 -o wide app list
grep -q "ROLLED_BACK v2->v1" "$OUT" || fail "app list -o wide lacks the rollback state"
# the app that has no rollback_after_s was left alone
expect 0 -o json app history web
want 3 "$(json .version)" "web untouched by the watchdog"
expect 0 app delete auto

# ---- purge of a data volume: a new generation, sent to the device
expect 0 volume purge data --device edge-1
expect 0 -o json volume get data --device edge-1
want 1 "$(json .generation)" "generation after a purge"
"$EVECTL" device config dump edge-1 >"$WORK/cfg5.json" || fail "config dump"
python3 - "$WORK/cfg5.json" "$volid" <<'PY' || fail "purged volume's generationCount"
import json, sys
c = json.load(open(sys.argv[1]))
v = [x for x in c["volumes"] if x["uuid"] == sys.argv[2]][0]
assert int(v["generationCount"]) == 1, v
ref = [r for a in c["apps"] for r in a["volumeRefList"] if r["uuid"] == sys.argv[2]][0]
assert int(ref["generationCount"]) == 1, ref
PY

# ---- deleting
expect 3 volume delete data --device edge-1
grep -q "in use by app web" "$ERR" || fail "delete in use: no reason"
expect 0 app delete web
expect 0 -o json volume get data --device edge-1
want null "$(json .used_by)" "volume outlives its app"
# attach it to a successor
expect 0 app deploy web-next --image web-v2 --device edge-1 --volume data:/srv
expect 0 app delete vm --with-volumes
expect 2 volume get big --device edge-1
expect 2 volume get seeded --device edge-1
expect 0 app delete web-next
expect 0 volume delete data --device edge-1
expect 2 volume get data --device edge-1
"$EVECTL" device config dump edge-1 >"$WORK/cfg3.json" || fail "config dump"
grep -q "$volid" "$WORK/cfg3.json" && fail "deleted volume still sent"
# a sanitizer build reports at exit (ASan pass)
ctl_stop "$CTL_DIR"
if grep -E "AddressSanitizer|LeakSanitizer|runtime error:" "$CTL_DIR/serve.log"; then
	fail "sanitizer report in the controller's log"
fi
echo PASS
