#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Build the busybox OCI test image (cached): an OCI image layout tarball
# (oci-layout, index.json, blobs/sha256/...) with one gzip layer holding a
# busybox-static rootfs, and a config whose Entrypoint/Cmd print a known line
# (with $GREETING from Env, overridable by the app) and then stay up.
#
# With DHCP set in the environment (the app's userData), it first asks for
# a DHCP lease on eth0 (udhcpc prints "lease of A.B.C.D obtained") and
# configures it (address + default route, /bin/dhcp.sh). With HTTPD_PORT set,
# it then serves /tmp/www/index.html ("EVE-TEST-OCI: served by $GREETING")
# with busybox httpd on that port (the port-map test). With CONSOLE_SHELL
# set, it then runs an interactive shell on its console (the remote
# console test) instead of the alive loop.
# usage: build-oci-image.sh OUTDIR  -> OUTDIR/busybox-oci.tar (+ .sha256)
set -eu
out=$1
mkdir -p "$out"
# Bump when the image changes: a cached image of another recipe is rebuilt.
recipe=3
[ -s "$out/busybox-oci.tar" ] && [ -s "$out/busybox-oci.tar.sha256" ] &&
	[ "$(cat "$out/busybox-oci.tar.recipe" 2>/dev/null)" = "$recipe" ] && exit 0

work=$(mktemp -d "$out/.ocibuild.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { wc -c <"$1" | tr -d ' '; }

bb=$(command -v busybox || echo /bin/busybox)
root=$work/rootfs
mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/proc" "$root/sys" "$root/dev"
cp "$bb" "$root/bin/busybox"
for a in sh echo sleep cat env ls ps mount hostname id udhcpc ip true; do ln -s busybox "$root/bin/$a"; done
echo "root:x:0:0:root:/:/bin/sh" >"$root/etc/passwd"
cat >"$root/bin/dhcp.sh" <<'SH'
#!/bin/sh
# udhcpc script: apply the lease (udhcpc passes ip, mask, router).
[ "$1" = bound ] || [ "$1" = renew ] || exit 0
ip addr flush dev "$interface"
ip addr add "$ip/${mask:-24}" dev "$interface"
[ -n "$router" ] && ip route add default via "${router%% *}" dev "$interface"
exit 0
SH
chmod 755 "$root/bin/dhcp.sh"
tar --numeric-owner --owner=0 --group=0 -C "$root" -cf "$work/layer.tar" .
diffid=$(sha "$work/layer.tar")
gzip -n -1 "$work/layer.tar"
mkdir -p "$work/oci/blobs/sha256"
layer=$(sha "$work/layer.tar.gz")
lsize=$(size "$work/layer.tar.gz")
mv "$work/layer.tar.gz" "$work/oci/blobs/sha256/$layer"

cat >"$work/config.json" <<JSON
{"architecture":"amd64","os":"linux",
 "config":{"Entrypoint":["/bin/sh","-c"],
  "Cmd":["echo EVE-TEST-OCI: hello \$GREETING; [ -n \"\$DHCP\" ] && ip link set eth0 up && udhcpc -i eth0 -n -q -t 10 -s /bin/dhcp.sh 2>&1; [ -n \"\$HTTPD_PORT\" ] && mkdir -p /tmp/www && echo EVE-TEST-OCI: served by \$GREETING >/tmp/www/index.html && busybox httpd -p \$HTTPD_PORT -h /tmp/www && echo EVE-TEST-OCI: httpd on \$HTTPD_PORT; [ -n \"\$CONSOLE_SHELL\" ] && echo EVE-TEST-OCI: shell on the console && exec /bin/sh -i; n=0; while :; do sleep 2; n=\$((n+1)); echo EVE-TEST-OCI: alive \$n; done"],
  "Env":["PATH=/bin","GREETING=world"],"WorkingDir":"/"},
 "rootfs":{"type":"layers","diff_ids":["sha256:$diffid"]}}
JSON
cfg=$(sha "$work/config.json")
csize=$(size "$work/config.json")
mv "$work/config.json" "$work/oci/blobs/sha256/$cfg"

cat >"$work/manifest.json" <<JSON
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
 "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:$cfg","size":$csize},
 "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:$layer","size":$lsize}]}
JSON
man=$(sha "$work/manifest.json")
msize=$(size "$work/manifest.json")
mv "$work/manifest.json" "$work/oci/blobs/sha256/$man"

cat >"$work/oci/index.json" <<JSON
{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",
 "digest":"sha256:$man","size":$msize,"platform":{"architecture":"amd64","os":"linux"}}]}
JSON
echo '{"imageLayoutVersion":"1.0.0"}' >"$work/oci/oci-layout"
tar --numeric-owner --owner=0 --group=0 -C "$work/oci" -cf "$work/busybox-oci.tar" oci-layout index.json blobs
sha "$work/busybox-oci.tar" >"$work/busybox-oci.tar.sha256"
mv "$work/busybox-oci.tar" "$out/busybox-oci.tar"
mv "$work/busybox-oci.tar.sha256" "$out/busybox-oci.tar.sha256"
echo "$recipe" >"$out/busybox-oci.tar.recipe"
