#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Build the cloud-init test guest (cached in OUTDIR; one builder at a time is
# the caller's flock):
#   cloudinit.qcow2  MBR disk: partition 1 is FAT with SYSLINUX, a Debian
#                    cloud kernel and a busybox initramfs holding the
#                    kernel's own virtio/ATA/CD-ROM modules; partition 2 is
#                    an ext4 Debian rootfs (mmdebstrap, minbase) with
#                    Debian's cloud-init. No systemd: the rootfs' PID 1
#                    (/sbin/eve-test-init) runs cloud-init's four stages by
#                    hand, so the NoCloud seed (the "cidata" CD-ROM the
#                    device attaches) is read by the real cloud-init.
# Console lines for the test: "CIGUEST: rootfs up", "CIGUEST: cloud-init
# <stage> done", then "CIGUEST: file <path> <content>" for every file under
# /var/lib/eve-ci/ and "CIGUEST: env <K=V ...>" from /etc/eve/env.
# Needs root (mmdebstrap --mode=root, mkfs.ext4 -d keeping owners) and a
# Debian mirror (deb.debian.org or the host's apt proxy).
# usage: build-cloudinit-image.sh OUTDIR
set -eu
out=$1
mkdir -p "$out"
recipe=1 # bump when what is built changes: a cached image is rebuilt
[ -s "$out/cloudinit.qcow2" ] && [ "$(cat "$out/cloudinit.recipe" 2>/dev/null)" = "$recipe" ] && exit 0
PATH=$PATH:/usr/sbin:/sbin
for t in mmdebstrap syslinux mkfs.vfat mkfs.ext4 mcopy sfdisk qemu-img busybox; do
	command -v $t >/dev/null || { echo "missing $t (scripts/install-deps: ANYAPP_PKGS)" >&2; exit 3; }
done
[ -r /usr/lib/syslinux/mbr/mbr.bin ] || { echo "missing syslinux-common mbr.bin" >&2; exit 3; }
[ "$(id -u)" = 0 ] || { echo "building the cloud-init guest needs root (mmdebstrap --mode=root)" >&2; exit 3; }

work=$(mktemp -d "$out/.ci-build.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# 1. A Debian cloud kernel and its modules (the initramfs loads the disk and
# CD-ROM drivers, which that kernel builds as modules).
pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
	sed -n 's/.*Depends: \(linux-image-[0-9].*-cloud-amd64\)$/\1/p' | head -n1)
[ -n "$pkg" ] || { echo "no linux-image-*-cloud-amd64 (apt-get update?)" >&2; exit 1; }
(cd "$work" && apt-get download "$pkg" >/dev/null 2>&1) || { echo "apt-get download $pkg failed" >&2; exit 1; }
dpkg-deb -x "$work"/linux-image-*.deb "$work/deb"
kver=$(ls "$work/deb/lib/modules")
ird=$work/initrd
mkdir -p "$ird/bin" "$ird/proc" "$ird/sys" "$ird/dev" "$ird/newroot" "$ird/modules"
cp "$(command -v busybox)" "$ird/bin/busybox"
ln -s busybox "$ird/bin/sh"
# in dependency order (modules.dep of that kernel)
mods="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk
scsi_common scsi_mod libata ata_piix cdrom sr_mod isofs"
for m in $mods; do
	f=$(find "$work/deb/lib/modules/$kver/kernel" -name "$m.ko*" | head -n1)
	[ -n "$f" ] || { echo "module $m not in $pkg" >&2; exit 1; }
	cp "$f" "$ird/modules/"
	echo "${f##*/}" >>"$ird/modules/order"
done
cat >"$ird/init" <<'INIT'
#!/bin/sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules/order); do insmod "/modules/$m"; done
i=0
while [ ! -b /dev/vda2 ] && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
mount -t ext4 /dev/vda2 /newroot || { echo "CIGUEST: no rootfs"; poweroff -f; }
umount /proc /sys
mount --move /dev /newroot/dev
exec switch_root /newroot /sbin/eve-test-init
INIT
chmod 755 "$ird/init"
(cd "$ird" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1 >"$work/initrd.img")

# 2. The rootfs: Debian minbase + cloud-init, no documentation or locales.
mmdebstrap --quiet --mode=root --variant=minbase --include=cloud-init \
	--aptopt='APT::Install-Recommends "false"' \
	--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/i18n/*' \
	bookworm "$work/root" >"$work/mmdebstrap.log" 2>&1 ||
	{ tail -n 20 "$work/mmdebstrap.log" >&2; echo "mmdebstrap failed" >&2; exit 1; }
root=$work/root
mkdir -p "$root/etc/cloud/cloud.cfg.d"
# NoCloud only: no probing of network metadata services that are not there.
printf 'datasource_list: [ NoCloud, None ]\n' >"$root/etc/cloud/cloud.cfg.d/90-eve-test.cfg"
cat >"$root/sbin/eve-test-init" <<'INIT'
#!/bin/sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t tmpfs run /run
mount -o remount,rw /
echo "CIGUEST: rootfs up"
for stage in "init --local" "init" "modules --mode=config" "modules --mode=final"; do
	cloud-init $stage >/dev/null 2>&1
	echo "CIGUEST: cloud-init $stage done"
done
for f in /var/lib/eve-ci/*; do
	[ -f "$f" ] && echo "CIGUEST: file $f $(cat "$f")"
done
[ -f /etc/eve/env ] && echo "CIGUEST: env $(tr '\n' ' ' </etc/eve/env)"
while :; do sleep 3600; done
INIT
chmod 755 "$root/sbin/eve-test-init"
truncate -s 400M "$work/root.img"
mkfs.ext4 -q -L evecirootfs -d "$root" "$work/root.img"
rm -rf "$root"

# 3. The boot partition and the disk.
truncate -s 40M "$work/boot.img"
mkfs.vfat -n EVECIBOOT "$work/boot.img" >/dev/null
export MTOOLS_SKIP_CHECK=1
mcopy -i "$work/boot.img" "$work"/deb/boot/vmlinuz-* ::vmlinuz
mcopy -i "$work/boot.img" "$work/initrd.img" ::initrd.img
printf 'SERIAL 0 115200\nPROMPT 0\nTIMEOUT 0\nDEFAULT ci\nLABEL ci\n  KERNEL vmlinuz\n  APPEND initrd=initrd.img console=ttyS0 panic=-1 quiet\n' \
	>"$work/syslinux.cfg"
mcopy -i "$work/boot.img" "$work/syslinux.cfg" ::syslinux.cfg
syslinux --install "$work/boot.img"
bsize=$(stat -c %s "$work/boot.img")
rsize=$(stat -c %s "$work/root.img")
truncate -s $((bsize + rsize + 2 * 1048576)) "$work/disk.raw"
printf 'label: dos\nstart=2048, size=%d, type=c, bootable\nstart=%d, size=%d, type=83\n' \
	$((bsize / 512)) $((2048 + bsize / 512)) $((rsize / 512)) | sfdisk -q "$work/disk.raw" >/dev/null
dd if="$work/boot.img" of="$work/disk.raw" bs=1M seek=1 conv=notrunc status=none
dd if="$work/root.img" of="$work/disk.raw" bs=512 seek=$((2048 + bsize / 512)) conv=notrunc status=none
dd if=/usr/lib/syslinux/mbr/mbr.bin of="$work/disk.raw" bs=440 count=1 conv=notrunc status=none
qemu-img convert -f raw -O qcow2 "$work/disk.raw" "$work/cloudinit.qcow2"
mv "$work/cloudinit.qcow2" "$out/"
echo "$recipe" >"$out/cloudinit.recipe"
