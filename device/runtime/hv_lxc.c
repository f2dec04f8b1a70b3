// SPDX-License-Identifier: Apache-2.0
/* libvirt LXC backend for OCI containers: the unpacked rootfs mounted as /,
 * init = the init shim (rt_init.h) running the image's entrypoint + cmd
 * with the environment it reads from the app's init directory (never
 * <initenv>: libvirt writes those in clear to its log and /run), and the
 * console on a pty the runtime reads. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "hv.h"
#include "rt_init.h"

/* Data volumes: a filesystem image loop-mounted (its size caps what the
 * app can write), or a directory bind-mounted. */
static void lxc_mounts(struct buf *b, const struct hv_spec *s)
{
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct hv_mount *m = &s->mounts[i];

		if (m->loop)
			buf_printf(b, "    <filesystem type='file' accessmode='passthrough'>\n"
				      "      <driver type='loop' format='raw'/>\n      <source file='");
		else
			buf_printf(
			    b, "    <filesystem type='mount' accessmode='passthrough'>\n      <source dir='");
		hv_xml_text(b, m->source);
		buf_printf(b, "'/>\n      <target dir='");
		hv_xml_text(b, m->target);
		buf_printf(b, "'/>\n%s    </filesystem>\n", m->readonly ? "      <readonly/>\n" : "");
	}
}

static int lxc_xml(const struct hv_spec *s, struct buf *b, char *err, size_t errlen)
{
	size_t i;

	if (!s->rootfs || !s->argv || !s->argv[0] || !s->argv[0][0]) {
		snprintf(err, errlen, "container app has no rootfs or no command (Entrypoint/Cmd)");
		return -EINVAL;
	}
	if (!s->init_dir) {
		snprintf(err, errlen, "container app has no init directory");
		return -EINVAL;
	}
	buf_printf(b, "<domain type='lxc'>\n");
	if (s->n_hostdevs) {
		snprintf(err, errlen, "I/O adapters are assigned to QEMU VMs only, not with LXC");
		return -EINVAL;
	}
	hv_xml_common(b, s);
	buf_printf(b, "  <os>\n    <type arch='x86_64'>exe</type>\n"
		      "    <init>" RT_INIT_MOUNT "/" RT_INIT_SHIM "</init>\n"
		      "    <initarg>" RT_INIT_MOUNT "/" RT_INIT_ENV "</initarg>\n");
	for (i = 0; s->argv[i]; i++) {
		buf_printf(b, "    <initarg>");
		hv_xml_text(b, s->argv[i]);
		buf_printf(b, "</initarg>\n");
	}
	if (s->workdir && s->workdir[0] == '/' && s->workdir[1]) { /* "/" is the default */
		buf_printf(b, "    <initdir>");
		hv_xml_text(b, s->workdir);
		buf_printf(b, "</initdir>\n");
	}
	buf_printf(b, "  </os>\n");
	/* Without interfaces a container would share the host's network
	 * namespace: give it a private one with only loopback. */
	if (s->n_nics == 0)
		buf_printf(b, "  <features><privnet/></features>\n");
	if (s->rootfs_loop) { /* its size caps what the app writes to / */
		buf_printf(b, "  <devices>\n    <filesystem type='file' accessmode='passthrough'>\n"
			      "      <driver type='loop' format='raw'/>\n      <source file='");
	} else {
		buf_printf(b, "  <devices>\n    <filesystem type='mount'>\n      <source dir='");
	}
	hv_xml_text(b, s->rootfs);
	buf_printf(b, "'/>\n      <target dir='/'/>\n    </filesystem>\n");
	buf_printf(b, "    <filesystem type='mount' accessmode='passthrough'>\n      <source dir='");
	hv_xml_text(b, s->init_dir);
	buf_printf(b, "'/>\n      <target dir='" RT_INIT_MOUNT "'/>\n      <readonly/>\n    </filesystem>\n");
	lxc_mounts(b, s);
	hv_xml_nics(b, s, NULL);
	buf_printf(b, "    <console type='pty'/>\n  </devices>\n</domain>\n");
	return 0;
}

/* libvirt 9.0 can keep calling a container active after its controller
 * (libvirt_lxc) has exited: an init that exits while libvirtd is not yet
 * connected to the controller drops the exit event (the controller logs
 * "Dropping event 1 because libvirtd is not connected"), seen in about 1 of
 * 20 starts of a container that exits at once. The controller's pid file
 * names a live process for as long as the container runs. */
static bool lxc_gone(virDomainPtr d)
{
	const char *name = virDomainGetName(d);
	char path[4096], text[32] = "";
	FILE *f;
	long pid;

	if (!name || (size_t)snprintf(path, sizeof(path), "/run/libvirt/lxc/%s.pid", name) >= sizeof(path))
		return false;
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT;
	if (!fgets(text, sizeof(text), f))
		text[0] = '\0';
	fclose(f);
	pid = strtol(text, NULL, 10);
	if (pid <= 0)
		return false; /* being written: the next pass looks again */
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

const struct hv_ops hv_lxc_ops = {
    .name = "lxc",
    .driver = HV_DRIVER_LXC,
    .disk_type = "rootfs",
    .default_uri = "lxc:///system",
    .console_is_pty = true,
    .domain_xml = lxc_xml,
    .gone = lxc_gone,
};
