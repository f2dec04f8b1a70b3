// SPDX-License-Identifier: Apache-2.0
/* Xen backend (libvirt's libxl driver): HVM guests boot from their disks
 * through hvmloader (or a direct kernel), PV guests boot a kernel/initrd
 * (or pygrub when the image carries none). Generated and validated here;
 * it runs only where Xen is present. */
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "hv.h"

static void xen_os(struct buf *b, const struct hv_spec *s)
{
	if (s->hvm)
		buf_printf(b, "  <os>\n    <type arch='x86_64' machine='xenfv'>hvm</type>\n"
			      "    <loader type='rom'>/usr/lib/xen/boot/hvmloader</loader>\n");
	else if (s->kernel)
		buf_printf(b, "  <os>\n    <type arch='x86_64' machine='xenpv'>linux</type>\n");
	else
		buf_printf(b, "  <bootloader>/usr/lib/xen/bin/pygrub</bootloader>\n"
			      "  <os>\n    <type arch='x86_64' machine='xenpv'>linux</type>\n");
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
		hv_xml_text(b, s->cmdline ? s->cmdline : (s->hvm ? "console=ttyS0" : "console=hvc0"));
		buf_printf(b, "</cmdline>\n");
	} else if (s->hvm) {
		buf_printf(b, "    <boot dev='hd'/>\n    <boot dev='cdrom'/>\n");
	}
	buf_printf(b, "  </os>\n");
	if (s->hvm)
		buf_printf(b, "  <features><acpi/><apic/><pae/></features>\n");
}

static void xen_disks(struct buf *b, const struct hv_spec *s)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; i < s->n_disks; i++) {
		const struct hv_disk *d = &s->disks[i];
		bool cd = d->cdrom && s->hvm;
		char dev[8];

		if (cd)
			snprintf(dev, sizeof(dev), "hd%c", 'c' + (n++ % 24));
		else
			snprintf(dev, sizeof(dev), "xvd%c", 'a' + (n++ % 26));
		hv_xml_disk(b, d, cd, dev, cd ? "ide" : "xen");
	}
}

static int xen_xml(const struct hv_spec *s, struct buf *b, char *err, size_t errlen)
{
	if (s->uefi_code) {
		snprintf(err, errlen,
			 "UEFI boot is not supported by the Xen backend here (BIOS or a kernel)");
		return -EINVAL;
	}
	if (!s->kernel && s->n_disks == 0) {
		snprintf(err, errlen, "Xen app has neither a disk nor a kernel to boot");
		return -EINVAL;
	}
	buf_printf(b, "<domain type='xen'>\n");
	if (s->n_hostdevs) {
		snprintf(err, errlen, "I/O adapters are assigned to QEMU VMs only, not with Xen");
		return -EINVAL;
	}
	hv_xml_common(b, s);
	if (hv_xml_cputune(b, s, err, errlen) < 0)
		return -EINVAL;
	xen_os(b, s);
	buf_printf(b, "  <devices>\n");
	xen_disks(b, s);
	hv_xml_nics(b, s, s->hvm ? "e1000" : NULL);
	if (s->hvm && s->console_log) {
		buf_printf(b, "    <serial type='file'>\n      <source path='");
		hv_xml_text(b, s->console_log);
		buf_printf(b, "'/>\n      <target port='0'/>\n    </serial>\n");
	} else {
		buf_printf(b,
			   "    <console type='pty'>\n      <target type='xen' port='0'/>\n    </console>\n");
	}
	if (s->vnc)
		buf_printf(b, "    <graphics type='vnc' autoport='yes' listen='%s'/>\n",
			   s->vnc_all ? "0.0.0.0" : "127.0.0.1");
	buf_printf(b, "  </devices>\n</domain>\n");
	return 0;
}

const struct hv_ops hv_xen_ops = {
    .name = "xen",
    .driver = HV_DRIVER_XEN,
    .disk_type = "qcow2",
    .default_uri = "xen:///system",
    .console_is_pty = true,
    .domain_xml = xen_xml,
};
