// SPDX-License-Identifier: Apache-2.0
/* QEMU backend: a TCG (type='qemu') or KVM (type='kvm') domain with virtio
 * disks, a CD-ROM for ISO images, direct kernel boot when the image carries
 * a kernel, the serial console on a pty logged to a file, and optional VNC. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <stdlib.h>

#include "err.h"
#include "fileio.h"
#include "hv.h"

/* /dev/kvm can exist (and even create VMs) on machines whose CPU has no
 * VT-x/SVM exposed, where guests then die with "KVM internal error": only
 * use KVM when the CPU flags say so and the device opens. */
bool hv_kvm_usable(void)
{
	static int cached = -1;
	uint8_t *info = NULL;
	size_t len = 0;
	int fd;

	if (cached >= 0)
		return cached;
	cached = 0;
	if (fileio_read("/proc/cpuinfo", 16u << 20, &info, &len) == 0 &&
	    (strstr((char *)info, " vmx") || strstr((char *)info, " svm"))) {
		fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			cached = 1;
			close(fd);
		}
	}
	free(info);
	return cached;
}

static void qemu_os(struct buf *b, const struct hv_spec *s)
{
	buf_printf(b, "  <os>\n    <type arch='x86_64' machine='pc'>hvm</type>\n");
	if (s->uefi_code) {
		/* UEFI (OVMF): read-only code, the app's own copy of the vars */
		buf_printf(b, "    <loader readonly='yes' type='pflash'>");
		hv_xml_text(b, s->uefi_code);
		buf_printf(b, "</loader>\n    <nvram template='");
		hv_xml_text(b, s->uefi_vars);
		buf_printf(b, "'>");
		hv_xml_text(b, s->nvram);
		buf_printf(b, "</nvram>\n");
	}
	if (s->kernel) {
		buf_printf(b, "    <kernel>");
		hv_xml_text(b, s->kernel);
		buf_printf(b, "</kernel>\n");
		if (s->initrd) {
			buf_printf(b, "    <initrd>");
			hv_xml_text(b, s->initrd);
			buf_printf(b, "</initrd>\n");
		}
		buf_printf(b, "    <cmdline>");
		hv_xml_text(b, s->cmdline ? s->cmdline : "console=ttyS0");
		buf_printf(b, "</cmdline>\n");
	} else {
		buf_printf(b, "    <boot dev='hd'/>\n    <boot dev='cdrom'/>\n");
	}
	buf_printf(b, "  </os>\n  <features><acpi/><apic/></features>\n");
}

static void qemu_disks(struct buf *b, const struct hv_spec *s)
{
	unsigned vd = 0, hd = 2; /* hdc/hdd: secondary IDE for CD-ROMs */
	size_t i;

	for (i = 0; i < s->n_disks; i++) {
		const struct hv_disk *d = &s->disks[i];
		char dev[8];

		if (d->cdrom)
			snprintf(dev, sizeof(dev), "hd%c", 'a' + (hd++ % 26));
		else
			snprintf(dev, sizeof(dev), "vd%c", 'a' + (vd++ % 26));
		hv_xml_disk(b, d, d->cdrom, dev, d->cdrom ? "ide" : "virtio");
	}
}

static int qemu_xml(const struct hv_spec *s, struct buf *b, char *err, size_t errlen)
{
	if (!s->kernel && s->n_disks == 0) {
		snprintf(err, errlen, "VM app has neither a disk nor a kernel to boot");
		return -EINVAL;
	}
	if (s->uefi_code && (!s->uefi_vars || !s->nvram)) {
		snprintf(err, errlen, "UEFI boot needs a vars template and the app's NVRAM path");
		return -EINVAL;
	}
	buf_printf(b, "<domain type='%s'>\n", hv_kvm_usable() ? "kvm" : "qemu");
	hv_xml_common(b, s);
	if (hv_xml_cputune(b, s, err, errlen) < 0)
		return -EINVAL;
	qemu_os(b, s);
	buf_printf(b, "  <devices>\n");
	qemu_disks(b, s);
	hv_xml_nics(b, s, "virtio");
	if (s->console_log) {
		/* A pty (for remote consoles) whose output libvirt also logs. */
		buf_printf(b, "    <serial type='pty'>\n      <log file='");
		hv_xml_text(b, s->console_log);
		buf_printf(b, "' append='on'/>\n      <target port='0'/>\n    </serial>\n");
	} else {
		buf_printf(b, "    <serial type='pty'><target port='0'/></serial>\n");
	}
	hv_xml_hostdevs(b, s);
	if (s->vnc) {
		const char *listen = s->vnc_all ? "0.0.0.0" : "127.0.0.1";

		if (s->vnc_display >= 0)
			buf_printf(b, "    <graphics type='vnc' port='%d' autoport='no' listen='%s'/>\n",
				   5900 + s->vnc_display, listen);
		else
			buf_printf(b, "    <graphics type='vnc' autoport='yes' listen='%s'/>\n", listen);
	}
	buf_printf(b, "    <memballoon model='virtio'/>\n  </devices>\n");
	/* Run QEMU as root like EVE does: blobs and volumes stay root-owned
	 * and are never relabelled (a shared base image is used by many). */
	buf_printf(b, "  <seclabel type='static' model='dac' relabel='no'><label>+0:+0</label></seclabel>\n");
	buf_printf(b, "</domain>\n");
	return 0;
}

const struct hv_ops hv_qemu_ops = {
    .name = "qemu",
    .driver = HV_DRIVER_QEMU,
    .disk_type = "qcow2",
    .default_uri = "qemu:///system",
    .console_is_pty = false,
    .domain_xml = qemu_xml,
};
