#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Build the VM image of the volume tests (cached): OUT/vm-vol.iso, an ISO
# holding /boot/vmlinuz and /boot/initrd.img as build-vm-image.sh makes
# them, plus the kernel's virtio block modules in the initramfs (the Debian
# cloud kernel has virtio_blk, virtio_pci, virtio and virtio_ring as
# modules, not built in). Kernel and modules come from the same package
# (apt-get download linux-image-*-cloud-amd64), so they always match.
#
# The init loads the modules, then writes 100 MiB of zeros to the first
# virtio disk (/dev/vda: the app's first data volume; the ISO itself is an
# IDE CD-ROM) and prints on the serial console:
#   EVE-TEST-VMVOL: vda sectors=N
#   EVE-TEST-VMVOL: dd rc=RC out=K     (K MiB written before dd stopped)
# then "EVE-TEST-VMVOL: done" and stays up.
# usage: build-vm-volimage.sh OUTDIR MKISO
set -eu
out=$1
mkiso=$2
recipe=1
mkdir -p "$out"
[ -s "$out/vm-vol.iso" ] && [ "$(cat "$out/vm-vol.recipe" 2>/dev/null)" = "$recipe" ] && exit 0

work=$(mktemp -d "$out/.vmvolbuild.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
	sed -n 's/.*Depends: \(linux-image-[0-9].*-cloud-amd64\)$/\1/p' | head -n1)
[ -n "$pkg" ] || { echo "no linux-image-*-cloud-amd64 (apt-get update?)" >&2; exit 1; }
(cd "$work" && apt-get download "$pkg" >/dev/null 2>&1) || { echo "apt-get download $pkg failed" >&2; exit 1; }
dpkg-deb -x "$work"/linux-image-*.deb "$work/deb"
kver=$(ls "$work/deb/lib/modules")
mods=$work/deb/lib/modules/$kver/kernel/drivers

bb=$(command -v busybox || echo /bin/busybox)
root=$work/initrd
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/lib/modules"
cp "$bb" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
# in dependency order
for m in virtio/virtio_ring virtio/virtio virtio/virtio_pci_modern_dev virtio/virtio_pci_legacy_dev \
	virtio/virtio_pci block/virtio_blk; do
	f=$mods/$m.ko
	[ -f "$f" ] || f=$(ls "$mods/$m".ko* 2>/dev/null | head -n1)
	[ -n "$f" ] && [ -f "$f" ] || { echo "module $m missing in $pkg" >&2; exit 1; }
	case $f in
	*.xz) xz -dc "$f" >"$root/lib/modules/$(basename "$m").ko" ;;
	*) cp "$f" "$root/lib/modules/$(basename "$m").ko" ;;
	esac
	echo "$(basename "$m")" >>"$root/lib/modules/order"
done
cat >"$root/init" <<'INIT'
#!/bin/sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
for m in $(cat /lib/modules/order); do insmod /lib/modules/$m.ko || echo "EVE-TEST-VMVOL: insmod $m failed"; done
echo "EVE-TEST-VM: booted"
n=0
while [ ! -b /dev/vda ] && [ $n -lt 50 ]; do sleep 0.2; n=$((n + 1)); done
echo "EVE-TEST-VMVOL: vda sectors=$(cat /sys/block/vda/size 2>/dev/null || echo none)"
res=$(dd if=/dev/zero of=/dev/vda bs=1M count=100 conv=fsync 2>&1)
rc=$?
echo "EVE-TEST-VMVOL: dd rc=$rc out=$(echo "$res" | sed -n 's/^\([0-9]*\)+[0-9]* records out.*/\1/p')"
echo "EVE-TEST-VMVOL: $(echo "$res" | head -n1)"
echo "EVE-TEST-VMVOL: done"
while :; do sleep 5; done
INIT
chmod 755 "$root/init"
(cd "$root" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1 >"$work/initrd.img")

mkdir -p "$work/iso/boot"
cp "$work"/deb/boot/vmlinuz-* "$work/iso/boot/vmlinuz"
cp "$work/initrd.img" "$work/iso/boot/initrd.img"
"$mkiso" "$work/iso" "$work/vm-vol.iso"
sha256sum "$work/vm-vol.iso" | cut -d' ' -f1 >"$out/vm-vol.iso.sha256"
mv "$work/vm-vol.iso" "$out/vm-vol.iso"
echo "$recipe" >"$out/vm-vol.recipe"
