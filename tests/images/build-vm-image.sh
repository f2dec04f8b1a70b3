#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Build the tiny test VM image (cached): a Debian cloud kernel and a busybox
# initramfs whose init prints a known line on the serial console and stays
# up, packed as an ISO 9660 image holding /boot/vmlinuz and /boot/initrd.img.
#
# Why an ISO with kernel + initrd inside (and not a BIOS-bootable disk): the
# runtime boots VM apps whose VmConfig names a kernel/ramdisk by extracting
# those paths from the app's image (libarchive reads ISO 9660) and using
# libvirt's direct kernel boot. That needs no bootloader (grub/syslinux are
# not installed here, and a bootloader would add seconds to every TCG boot),
# while the image is still one self-contained content tree downloaded,
# verified and attached (as a CD-ROM) like any other.
#
# usage: build-vm-image.sh OUTDIR MKISO [shell]
#   -> OUTDIR/vm.iso (+ vm.iso.sha256); with "shell": OUTDIR/vm-shell.iso
# The init prints "EVE-TEST-VM: booted" then "EVE-TEST-VM: alive N" every 2 s;
# the shell variant prints "EVE-TEST-VM: shell on the console" instead and
# runs a shell on the serial console (for remote console tests).
set -eu
out=$1
mkiso=$2
variant=${3:-}
name=vm
[ "$variant" = shell ] && name=vm-shell
mkdir -p "$out"
[ -s "$out/$name.iso" ] && [ -s "$out/$name.iso.sha256" ] && exit 0

work=$(mktemp -d "$out/.vmbuild.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# 1. Kernel: /boot if the host has one, else the Debian cloud kernel .deb.
kernel=$(ls /boot/vmlinuz-* 2>/dev/null | head -n1 || true)
if [ -z "$kernel" ]; then
	if [ ! -s "$out/vmlinuz" ]; then
		pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
			sed -n 's/.*Depends: \(linux-image-[0-9].*-cloud-amd64\)$/\1/p' | head -n1)
		[ -n "$pkg" ] || { echo "no linux-image-*-cloud-amd64 (apt-get update?)" >&2; exit 1; }
		(cd "$work" && apt-get download "$pkg" >/dev/null 2>&1) ||
			{ echo "apt-get download $pkg failed" >&2; exit 1; }
		dpkg-deb -x "$work"/linux-image-*.deb "$work/deb"
		cp "$work"/deb/boot/vmlinuz-* "$out/vmlinuz"
		rm -rf "$work/deb" "$work"/*.deb
	fi
	kernel=$out/vmlinuz
fi

# 2. Initramfs: busybox-static and an init script.
bb=$(command -v busybox || echo /bin/busybox)
root=$work/initrd
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev"
cp "$bb" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cat >"$root/init" <<'INIT'
#!/bin/sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
echo "EVE-TEST-VM: booted"
INIT
if [ "$variant" = shell ]; then
	cat >>"$root/init" <<'INIT'
echo "EVE-TEST-VM: shell on the console"
while :; do sh; done
INIT
else
	cat >>"$root/init" <<'INIT'
n=0
while :; do
	sleep 2
	n=$((n + 1))
	echo "EVE-TEST-VM: alive $n"
done
INIT
fi
chmod 755 "$root/init"
(cd "$root" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1 >"$work/initrd.img")

# 3. The ISO.
mkdir -p "$work/iso/boot"
cp "$kernel" "$work/iso/boot/vmlinuz"
cp "$work/initrd.img" "$work/iso/boot/initrd.img"
"$mkiso" "$work/iso" "$work/$name.iso"
sha256sum "$work/$name.iso" | cut -d' ' -f1 >"$work/$name.iso.sha256"
mv "$work/$name.iso" "$out/$name.iso"
mv "$work/$name.iso.sha256" "$out/$name.iso.sha256"
