// SPDX-License-Identifier: Apache-2.0
/* libvirt LXC backend for OCI containers: the unpacked rootfs mounted as /,
 * init = the image's entrypoint + cmd, the image's and the app's
 * environment, and the console on a pty the runtime reads. */
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "hv.h"

/* libvirt accepts initenv names matching [a-zA-Z_][a-zA-Z0-9_]*. */
static bool env_name_ok(const char *kv, size_t n)
{
	size_t i;

	if (n == 0 || n > 128)
		return false;
	for (i = 0; i < n; i++) {
		char c = kv[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
		      (i && c >= '0' && c <= '9')))
			return false;
	}
	return true;
}

static void lxc_env(struct buf *b, char *const *env)
{
	size_t i;

	for (i = 0; env && env[i]; i++) {
		const char *eq = strchr(env[i], '=');
		char name[129];

		if (!eq || !env_name_ok(env[i], (size_t)(eq - env[i])))
			continue;
		memcpy(name, env[i], (size_t)(eq - env[i]));
		name[eq - env[i]] = '\0';
		buf_printf(b, "    <initenv name='%s'>", name);
		hv_xml_text(b, eq + 1);
		buf_printf(b, "</initenv>\n");
	}
}

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
	buf_printf(b, "<domain type='lxc'>\n");
	if (s->n_hostdevs) {
		snprintf(err, errlen, "I/O adapters are assigned to QEMU VMs only, not with LXC");
		return -EINVAL;
	}
	hv_xml_common(b, s);
	buf_printf(b, "  <os>\n    <type arch='x86_64'>exe</type>\n    <init>");
	hv_xml_text(b, s->argv[0]);
	buf_printf(b, "</init>\n");
	for (i = 1; s->argv[i]; i++) {
		buf_printf(b, "    <initarg>");
		hv_xml_text(b, s->argv[i]);
		buf_printf(b, "</initarg>\n");
	}
	lxc_env(b, s->env);
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
	lxc_mounts(b, s);
	hv_xml_nics(b, s, NULL);
	buf_printf(b, "    <console type='pty'/>\n  </devices>\n</domain>\n");
	return 0;
}

const struct hv_ops hv_lxc_ops = {
    .name = "lxc",
    .driver = HV_DRIVER_LXC,
    .disk_type = "rootfs",
    .default_uri = "lxc:///system",
    .console_is_pty = true,
    .domain_xml = lxc_xml,
};
