#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Build the busybox OCI images of the volume tests (cached): OUT/vol-oci-vN.tar
# for N = 1 and 2. Both run $SCRIPT (from the app's environment, userData)
# with IMAGE_VERSION=N in their Env, so the two differ only in their config
# (two content trees: an "image change" of one app). OUT/vol-oci-vcrash.tar
# is an update that crashes: it appends "crash" to /data/log and exits.
# usage: build-oci-volimage.sh OUTDIR
set -eu
out=$1
mkdir -p "$out"
recipe=2
[ -s "$out/vol-oci-vcrash.tar" ] && [ "$(cat "$out/vol-oci.recipe" 2>/dev/null)" = "$recipe" ] && exit 0

work=$(mktemp -d "$out/.volbuild.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { wc -c <"$1" | tr -d ' '; }

bb=$(command -v busybox || echo /bin/busybox)
root=$work/rootfs
mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/proc" "$root/sys" "$root/dev" "$root/data"
cp "$bb" "$root/bin/busybox"
for a in sh echo sleep cat env ls rm dd du cut sync true test; do ln -s busybox "$root/bin/$a"; done
echo "root:x:0:0:root:/:/bin/sh" >"$root/etc/passwd"
tar --numeric-owner --owner=0 --group=0 -C "$root" -cf "$work/layer.tar" .
diffid=$(sha "$work/layer.tar")
gzip -n -1 "$work/layer.tar"
layer=$(sha "$work/layer.tar.gz")
lsize=$(size "$work/layer.tar.gz")

for v in 1 2 crash; do
	cmd='eval \"$SCRIPT\"; while :; do sleep 5; done'
	[ "$v" = crash ] && cmd='echo crash | dd of=/data/log oflag=append conv=notrunc; sync; echo VOLTEST: crashing; exit 3'
	d=$work/oci$v
	mkdir -p "$d/blobs/sha256"
	cp "$work/layer.tar.gz" "$d/blobs/sha256/$layer"
	cat >"$work/config.json" <<JSON
{"architecture":"amd64","os":"linux",
 "config":{"Entrypoint":["/bin/sh","-c"],"Cmd":["$cmd"],
  "Env":["PATH=/bin","IMAGE_VERSION=$v"],"WorkingDir":"/"},
 "rootfs":{"type":"layers","diff_ids":["sha256:$diffid"]}}
JSON
	cfg=$(sha "$work/config.json")
	csize=$(size "$work/config.json")
	mv "$work/config.json" "$d/blobs/sha256/$cfg"
	cat >"$work/manifest.json" <<JSON
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
 "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:$cfg","size":$csize},
 "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:$layer","size":$lsize}]}
JSON
	man=$(sha "$work/manifest.json")
	msize=$(size "$work/manifest.json")
	mv "$work/manifest.json" "$d/blobs/sha256/$man"
	cat >"$d/index.json" <<JSON
{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",
 "digest":"sha256:$man","size":$msize,"platform":{"architecture":"amd64","os":"linux"}}]}
JSON
	echo '{"imageLayoutVersion":"1.0.0"}' >"$d/oci-layout"
	tar --numeric-owner --owner=0 --group=0 -C "$d" -cf "$work/vol-oci-v$v.tar" oci-layout index.json blobs
	sha "$work/vol-oci-v$v.tar" >"$out/vol-oci-v$v.tar.sha256"
	mv "$work/vol-oci-v$v.tar" "$out/vol-oci-v$v.tar"
done
echo "$recipe" >"$out/vol-oci.recipe"
