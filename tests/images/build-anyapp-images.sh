#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Build the any-app test images (cached in OUTDIR; one builder at a time is
# the caller's flock):
#   bios.qcow2    MBR disk, one FAT partition with SYSLINUX (Debian
#                 syslinux + syslinux-common mbr.bin), a Debian kernel and a
#                 busybox initramfs: boots through SeaBIOS and its own
#                 bootloader, no direct kernel boot.
#   uefi.raw      GPT disk with an EFI system partition holding a
#                 standalone GRUB (grub-efi-amd64-bin) as EFI/BOOT/BOOTX64.EFI,
#                 the same kernel and initramfs: boots through OVMF.
#   unikernel.elf a multiboot kernel built from anyapp/unikernel.c.
# The initramfs' init prints "ANYAPP-GUEST: booted <anyapp=... from the
# kernel command line the bootloader passed>", then, if the guest has a
# second serial port (an assigned COM adapter), answers each line read on
# it with "echo:<line>".
# usage: build-anyapp-images.sh OUTDIR
set -eu
out=$1
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
recipe=2 # bump when what is built changes: cached images are rebuilt
[ -s "$out/bios.qcow2" ] && [ -s "$out/uefi.raw" ] && [ -s "$out/unikernel.elf" ] &&
	[ "$(cat "$out/recipe" 2>/dev/null)" = "$recipe" ] && exit 0
PATH=$PATH:/usr/sbin:/sbin
for t in syslinux mkfs.vfat mcopy mmd sfdisk grub-mkstandalone qemu-img gcc; do
	command -v $t >/dev/null || { echo "missing $t (scripts/install-deps: ANYAPP_PKGS)" >&2; exit 3; }
done
[ -r /usr/lib/syslinux/mbr/mbr.bin ] || { echo "missing syslinux-common mbr.bin" >&2; exit 3; }
[ -d /usr/lib/grub/x86_64-efi ] || { echo "missing grub-efi-amd64-bin" >&2; exit 3; }

work=$(mktemp -d "$out/.build.XXXXXX")
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

# 2. Initramfs.
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
tag=$(tr ' ' '\n' </proc/cmdline | grep '^anyapp=' | head -n1)
echo "ANYAPP-GUEST: booted ${tag:-anyapp=?}"
# COM2 present (an assigned serial adapter): echo what arrives on it.
if [ -e /dev/ttyS1 ] && stty -F /dev/ttyS1 raw -echo 115200 2>/dev/null; then
	echo "ANYAPP-GUEST: ttyS1 ready"
	while read -r line; do
		echo "echo:$line"
	done </dev/ttyS1 >/dev/ttyS1 &
fi
while :; do sleep 3600; done
INIT
chmod 755 "$root/init"
(cd "$root" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1 >"$work/initrd.img")

# fat_image FILE MIB LABEL: an empty FAT file system.
fat_image() {
	truncate -s "$2M" "$1"
	mkfs.vfat -n "$3" "$1" >/dev/null
}
# disk_with PART_IMG LABEL_TYPE PART_TYPE OUT: a disk image with PART_IMG as
# its one partition at 1 MiB.
disk_with() {
	psize=$(stat -c %s "$1")
	truncate -s $((psize + 2 * 1048576)) "$4"
	printf 'label: %s\nstart=2048, size=%d, type=%s, bootable\n' "$2" $((psize / 512)) "$3" |
		sfdisk -q "$4" >/dev/null
	dd if="$1" of="$4" bs=1M seek=1 conv=notrunc status=none
}
export MTOOLS_SKIP_CHECK=1

# 3. BIOS: SYSLINUX in the FAT partition, syslinux's MBR code in sector 0.
fat_image "$work/bios-part.img" 40 ANYAPPBIOS
mcopy -i "$work/bios-part.img" "$kernel" ::vmlinuz
mcopy -i "$work/bios-part.img" "$work/initrd.img" ::initrd.img
printf 'SERIAL 0 115200\nPROMPT 0\nTIMEOUT 0\nDEFAULT anyapp\nLABEL anyapp\n  KERNEL vmlinuz\n  APPEND initrd=initrd.img console=ttyS0 panic=-1 quiet anyapp=bios\n' \
	>"$work/syslinux.cfg"
mcopy -i "$work/bios-part.img" "$work/syslinux.cfg" ::syslinux.cfg
syslinux --install "$work/bios-part.img"
# sfdisk's "bootable" flags the partition; the bootloader itself:
disk_with "$work/bios-part.img" dos c "$work/bios.raw"
dd if=/usr/lib/syslinux/mbr/mbr.bin of="$work/bios.raw" bs=440 count=1 conv=notrunc status=none
qemu-img convert -f raw -O qcow2 "$work/bios.raw" "$work/bios.qcow2"

# 4. UEFI: GPT + ESP with a standalone GRUB that finds the kernel by a tag file.
cat >"$work/grub.cfg" <<'CFG'
set timeout=0
serial --unit=0 --speed=115200
terminal_output serial console
search --no-floppy --file --set=root /anyapp-uefi.tag
linux /vmlinuz console=ttyS0 panic=-1 quiet anyapp=uefi
initrd /initrd.img
boot
CFG
grub-mkstandalone -O x86_64-efi -o "$work/BOOTX64.EFI" \
	--modules="part_gpt fat search search_fs_file linux serial terminal normal echo" \
	--install-modules="part_gpt fat search search_fs_file linux serial terminal normal echo boot configfile" \
	--locales= --fonts= --themes= "boot/grub/grub.cfg=$work/grub.cfg"
fat_image "$work/uefi-part.img" 40 ANYAPPESP
mmd -i "$work/uefi-part.img" ::EFI ::EFI/BOOT
mcopy -i "$work/uefi-part.img" "$work/BOOTX64.EFI" ::EFI/BOOT/BOOTX64.EFI
mcopy -i "$work/uefi-part.img" "$kernel" ::vmlinuz
mcopy -i "$work/uefi-part.img" "$work/initrd.img" ::initrd.img
echo anyapp >"$work/tag"
mcopy -i "$work/uefi-part.img" "$work/tag" ::anyapp-uefi.tag
disk_with "$work/uefi-part.img" gpt U "$work/uefi.raw"

# 5. The unikernel.
gcc -m32 -ffreestanding -nostdlib -fno-pie -no-pie -static -O2 -fno-asynchronous-unwind-tables \
	-Wl,--build-id=none -Wl,--no-warn-rwx-segments -T "$here/anyapp/unikernel.ld" \
	-o "$work/unikernel.elf" "$here/anyapp/unikernel.c"

mv "$work/bios.qcow2" "$work/uefi.raw" "$work/unikernel.elf" "$out/"
echo "$recipe" >"$out/recipe"
