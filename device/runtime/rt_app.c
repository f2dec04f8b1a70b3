// SPDX-License-Identifier: Apache-2.0
/* Apps: each AppInstanceConfig becomes one libvirt domain "eve-<uuid>"
 * (qemu for VMs, lxc for OCI containers). The worker converges each app to
 * its config every pass: start when activate and its volumes are ready,
 * stop on activate=false, restart/purge when their counters grow, restart
 * with backoff after a crash, adopt a domain that already runs (after an
 * agent restart) instead of creating a second one, remove domains and files
 * of apps that left the config. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "b64.h"
#include "crypto.h"
#include "err.h"
#include "fileio.h"
#include "oci_unpack.h"
#include "rt_firewall.h"
#include "rt_internal.h"
#include "rt_init.h"
#include "rt_io.h"
#include "uuidgen.h"
#include "volume.h"

#define ST(x) ORG__LFEDGE__EVE__INFO__ZSW_STATE__##x
#define APP_HALT_GRACE_MS 3000
#define APP_BACKOFF_MIN_MS 1000
#define APP_STABLE_MS 60000
#define APP_DEFAULT_MEM_KIB (256u * 1024)
#define APP_MAX_ENV 256

/* ---- files of an app ----------------------------------------------- */

static void app_path(const struct runtime *rt, const struct rt_app *a, const char *leaf, char *out, size_t n)
{
	snprintf(out, n, "%s/%s%s%s", rt->apps_dir, a->uuid, leaf ? "/" : "", leaf ? leaf : "");
}

static void counters_save(struct runtime *rt, struct rt_app *a)
{
	char path[4096], body[64];
	int n = snprintf(body, sizeof(body), "%u %u\n", a->restart_done, a->purge_done);

	app_path(rt, a, "counters", path, sizeof(path));
	fileio_write_atomic(path, body, (size_t)n, 0644);
}

/* Counters already acted on survive restarts of the agent; an app seen for
 * the first time takes the config's counters as handled. */
static void counters_load(struct runtime *rt, struct rt_app *a)
{
	char path[4096];
	uint8_t *data = NULL;
	size_t len;

	app_path(rt, a, NULL, path, sizeof(path));
	fileio_mkdirs(path, 0755);
	app_path(rt, a, "counters", path, sizeof(path));
	if (fileio_read(path, 64, &data, &len) == 0 &&
	    sscanf((char *)data, "%u %u", &a->restart_done, &a->purge_done) == 2) {
		free(data);
	} else {
		free(data);
		a->restart_done = a->cfg->restart ? a->cfg->restart->counter : 0;
		a->purge_done = a->cfg->purge ? a->cfg->purge->counter : 0;
		counters_save(rt, a);
	}
	a->counters_loaded = true;
}

/* ---- console ------------------------------------------------------- */

static void con_close(struct rt_app *a)
{
	if (a->con_fd >= 0)
		close(a->con_fd);
	a->con_fd = -1;
	a->line_len = 0;
}

static void con_open(struct runtime *rt, struct rt_app *a, virDomainPtr d, bool from_start)
{
	char path[4096], *pty = NULL;

	con_close(a);
	if (a->hv->console_is_pty) {
		struct termios t;

		if (hv_console_pty(d, &pty) < 0)
			return;
		a->con_fd = open(pty, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
		free(pty);
		/* Raw mode: no echo of the guest's output back into its input. */
		if (a->con_fd >= 0 && tcgetattr(a->con_fd, &t) == 0) {
			cfmakeraw(&t);
			tcsetattr(a->con_fd, TCSANOW, &t);
		}
		return;
	}
	app_path(rt, a, "console.log", path, sizeof(path));
	a->con_fd = open(path, O_RDONLY | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0600);
	if (a->con_fd >= 0 && !from_start)
		lseek(a->con_fd, 0, SEEK_END);
}

static void con_emit(struct runtime *rt, struct rt_app *a)
{
	while (a->line_len && (a->line[a->line_len - 1] == '\r' || a->line[a->line_len - 1] == '\n'))
		a->line_len--;
	a->line[a->line_len] = '\0';
	if (rt->log)
		rt->log(rt->ctx, a->uuid, a->line);
	a->line_len = 0;
}

static void con_read(struct runtime *rt, struct rt_app *a)
{
	char buf[8192];
	ssize_t n, i;
	int rounds = 0;

	while (a->con_fd >= 0 && rounds++ < 16 && (n = read(a->con_fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				con_close(a); /* EIO: the pty's other side closed */
			return;
		}
		for (i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				con_emit(rt, a);
				continue;
			}
			if (buf[i] == '\r')
				continue;
			if (a->line_len >= sizeof(a->line) - 1)
				con_emit(rt, a);
			a->line[a->line_len++] = buf[i];
		}
	}
}

void rt_app_consoles(struct runtime *rt)
{
	size_t i;

	for (i = 0; i < rt->n_apps; i++)
		if (!rt_console_held(rt, rt->apps[i]->uuid))
			con_read(rt, rt->apps[i]);
}

/* ---- domain spec --------------------------------------------------- */

struct spec_store {
	struct hv_spec s;
	struct hv_disk disks[HV_SPEC_MAX_DEVS];
	struct hv_nic nics[HV_SPEC_MAX_DEVS];
	struct hv_mount mounts[HV_SPEC_MAX_DEVS];
	char macs[HV_SPEC_MAX_DEVS][18];
	char kernel[4096], initrd[4096], console[4096], cidata[4096], nvram[4096], init_dir[4096];
	struct hv_hostdev hostdevs[RT_IO_MAX];
	struct oci_config oci;
	char **argv, **env;
	const char *rootfs;
};

static void spec_clear(struct spec_store *ss)
{
	size_t i;

	oci_config_clear(&ss->oci);
	free(ss->argv); /* strings belong to oci */
	for (i = 0; ss->env && ss->env[i]; i++)
		free(ss->env[i]);
	free(ss->env);
}

/* Extract a file named by VmConfig.kernel/ramdisk from the app's image. */
static int extract_member(const char *image, const char *member, const char *out, char *err, size_t errlen)
{
	if (access(out, R_OK) == 0)
		return 0; /* extracted at an earlier start; a purge removes it */
	return volume_extract(image, member, out, err, errlen);
}

static int spec_nics(struct runtime *rt, struct rt_app *a, struct spec_store *ss)
{
	size_t i;

	for (i = 0; i < a->cfg->n_interfaces && i < HV_SPEC_MAX_DEVS; i++) {
		const Org__Lfedge__Eve__Config__NetworkAdapter *na = a->cfg->interfaces[i];
		struct rt_ni *ni = rt_netinst_find(rt, na->networkid);

		if (!ni ||
		    ni->state != ORG__LFEDGE__EVE__INFO__ZNETWORK_INSTANCE_STATE__ZNETINST_STATE_ONLINE) {
			rt_seterr(a->err, "network instance %s of adapter %s is not ready", na->networkid,
				  na->name ? na->name : "");
			return -EAGAIN;
		}
		if (ni->net[0])
			ss->nics[i].network = ni->net;
		else
			ss->nics[i].bridge = ni->bridge;
		rt_app_mac(a->uuid, i, na->macaddress, ss->macs[i]);
		ss->nics[i].mac = ss->macs[i];
	}
	if (i > 0) {
		char why[RT_ERR_MAX - 64];

		/* Fail closed: no app on a network without its ACLs in place. */
		if (!rt_firewall_ready(rt, a->uuid, why, sizeof(why))) {
			rt_seterr(a->err, "%s", why);
			return -EAGAIN;
		}
	}
	ss->s.nics = ss->nics;
	ss->s.n_nics = i;
	return 0;
}

/* The app's env from userData: base64 of "KEY=VALUE" lines (EVE's rule). */
static void user_env(const char *ud, char **env, size_t *n)
{
	/* env has room for APP_MAX_ENV more entries past *n. */
	size_t cap = *n + APP_MAX_ENV;
	uint8_t *raw = NULL;
	size_t len = 0;
	char *save = NULL, *line, *text;

	if (!ud || !*ud || b64_decode(ud, strlen(ud), &raw, &len) < 0)
		return;
	text = strndup((char *)raw, len); /* decoded bytes carry no NUL */
	free(raw);
	if (!text)
		return;
	for (line = strtok_r(text, "\r\n", &save); line && *n < cap; line = strtok_r(NULL, "\r\n", &save))
		if (strchr(line, '=') && line[0] != '=' && line[0] != '#')
			env[(*n)++] = strdup(line);
	free(text);
}

/* Keep the last "K=..." of each K: the app's values override the image's. */
static void env_dedupe(char **env, size_t *n)
{
	size_t i, j, k = 0;

	for (i = 0; i < *n; i++) {
		size_t klen;
		bool later = false;

		if (!env[i])
			continue;
		klen = strcspn(env[i], "=");
		for (j = i + 1; j < *n && !later; j++)
			later = env[j] && strncmp(env[i], env[j], klen + 1) == 0;
		if (later)
			free(env[i]);
		else
			env[k++] = env[i];
	}
	for (i = k; i < *n; i++)
		env[i] = NULL;
	*n = k;
}

static int spec_container(struct runtime *rt, struct rt_app *a, struct spec_store *ss, const struct rt_vol *v)
{
	char path[4096], *slash;
	size_t i, n = 0, ne = 0, bytes = 0;
	int r;

	snprintf(path, sizeof(path), "%s", v->path);
	slash = strrchr(path, '/');
	if (slash)
		snprintf(slash, sizeof(path) - (size_t)(slash - path), "/image-config.json");
	r = oci_config_load(path, &ss->oci);
	if (r < 0) {
		rt_seterr(a->err, "image config of volume %s: %s", v->uuid, eve_strerror(r));
		return r;
	}
	for (i = 0; ss->oci.entrypoint[i]; i++)
		n++;
	for (i = 0; ss->oci.cmd[i]; i++)
		n++;
	ss->argv = calloc(n + 1, sizeof(char *));
	ss->env = calloc(APP_MAX_ENV * 2 + 1, sizeof(char *));
	if (!ss->argv || !ss->env)
		return -ENOMEM;
	n = 0;
	for (i = 0; ss->oci.entrypoint[i]; i++)
		ss->argv[n++] = ss->oci.entrypoint[i];
	for (i = 0; ss->oci.cmd[i]; i++)
		ss->argv[n++] = ss->oci.cmd[i];
	for (i = 0; ss->oci.env[i] && ne < APP_MAX_ENV; i++)
		ss->env[ne++] = strdup(ss->oci.env[i]);
	user_env(a->cfg->userdata, ss->env, &ne);
	env_dedupe(ss->env, &ne); /* the app's values override the image's */
	for (i = 0; ss->argv[i]; i++)
		bytes += strlen(ss->argv[i]);
	for (i = 0; i < ne; i++)
		bytes += ss->env[i] ? strlen(ss->env[i]) : 0;
	if (bytes > HV_SPEC_MAX_STRINGS_BYTES) {
		rt_seterr(a->err, "container command and environment exceed %u bytes",
			  HV_SPEC_MAX_STRINGS_BYTES);
		return -EVE_ETOOBIG;
	}
	r = rt_volume_root((struct rt_vol *)v, &ss->s.rootfs, &ss->s.rootfs_loop, a->err, sizeof(a->err));
	if (r < 0)
		return r;
	/* the environment (user data: maybe a decrypted secret) goes to a
	 * file in the app's directory, in the vault, never into the XML */
	app_path(rt, a, "init", ss->init_dir, sizeof(ss->init_dir));
	r = rt_init_prepare(ss->init_dir, ss->env, a->err, sizeof(a->err));
	if (r < 0)
		return r;
	ss->s.argv = ss->argv;
	ss->s.init_dir = ss->init_dir;
	ss->s.workdir = ss->oci.workdir;
	return 0;
}

/* cloud-init NoCloud drive: userData (base64) as user-data, and meta-data
 * naming the instance; attached as a read-only CD-ROM labelled "cidata". */
static int spec_cidata(struct runtime *rt, struct rt_app *a, struct spec_store *ss)
{
	struct volume_file f[2];
	uint8_t *ud = NULL;
	char *meta = NULL;
	size_t len = 0;
	int r;

	if (!a->cfg->userdata || !a->cfg->userdata[0] ||
	    a->cfg->metadatatype == ORG__LFEDGE__EVE__CONFIG__META_DATA_TYPE__MetaDataNone ||
	    ss->s.n_disks >= HV_SPEC_MAX_DEVS)
		return 0;
	if (b64_decode(a->cfg->userdata, strlen(a->cfg->userdata), &ud, &len) < 0) {
		rt_seterr(a->err, "userData is not base64");
		return -EINVAL;
	}
	/* A new instance-id per purge: cloud-init runs its per-instance
	 * modules again on the fresh disk. */
	if (asprintf(&meta, "instance-id: %s-%u\nlocal-hostname: %s\n", a->uuid,
		     a->cfg->purge ? a->cfg->purge->counter : 0,
		     a->name && a->name[0] ? a->name : a->uuid) < 0) {
		free(ud);
		return -ENOMEM;
	}
	f[0] = (struct volume_file){"user-data", ud, len};
	f[1] = (struct volume_file){"meta-data", meta, strlen(meta)};
	app_path(rt, a, "cidata.iso", ss->cidata, sizeof(ss->cidata));
	r = volume_make_iso(ss->cidata, "cidata", f, 2, a->err, sizeof(a->err));
	free(ud);
	free(meta);
	if (r < 0)
		return r;
	ss->disks[ss->s.n_disks].path = ss->cidata;
	ss->disks[ss->s.n_disks].format = "raw";
	ss->disks[ss->s.n_disks].cdrom = true;
	ss->disks[ss->s.n_disks].readonly = true;
	ss->s.n_disks++;
	return 0;
}

/* any-app: VmConfig.kernel "/" names the image itself as the kernel: a
 * unikernel (a multiboot or Linux-boot-protocol kernel with no OS around
 * it) booted directly, its image not attached as a disk. */
static bool spec_is_unikernel(const Org__Lfedge__Eve__Config__VmConfig *vm)
{
	return vm && vm->kernel && !strcmp(vm->kernel, "/");
}

#define OVMF_CODE "/usr/share/OVMF/OVMF_CODE_4M.fd"
#define OVMF_VARS "/usr/share/OVMF/OVMF_VARS_4M.fd"

/* any-app: VmConfig.boot_mode UEFI boots through OVMF with the app's own
 * NVRAM (kept in the app's directory, across restarts); LEGACY and
 * unspecified keep the hypervisor's BIOS (SeaBIOS). */
static int spec_firmware(struct runtime *rt, struct rt_app *a, struct spec_store *ss)
{
	const Org__Lfedge__Eve__Config__VmConfig *vm = a->cfg->fixedresources;

	if (!vm || vm->boot_mode != ORG__LFEDGE__EVE__CONFIG__VM_BOOT_MODE__VM_BOOT_MODE_UEFI)
		return 0;
	if (access(OVMF_CODE, R_OK) != 0 || access(OVMF_VARS, R_OK) != 0) {
		rt_seterr(a->err, "UEFI boot needs OVMF (%s, %s: Debian package ovmf)", OVMF_CODE, OVMF_VARS);
		return -ENOENT;
	}
	app_path(rt, a, "nvram.fd", ss->nvram, sizeof(ss->nvram));
	ss->s.uefi_code = OVMF_CODE;
	ss->s.uefi_vars = OVMF_VARS;
	ss->s.nvram = ss->nvram;
	return 0;
}

/* any-app: VmConfig.pin_cpu pins vCPU i to the i-th CPU of VmConfig.cpus;
 * a CPU this device lacks is refused (the controller checks it too when
 * it knows the device's CPUs). */
static int spec_pinning(struct rt_app *a, struct spec_store *ss)
{
	const Org__Lfedge__Eve__Config__VmConfig *vm = a->cfg->fixedresources;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	const char *p;

	if (!vm || !vm->pin_cpu)
		return 0;
	if (!vm->cpus || !vm->cpus[0]) {
		rt_seterr(a->err, "VmConfig.pin_cpu without VmConfig.cpus: nothing to pin to");
		return -EINVAL;
	}
	for (p = vm->cpus; *p;) {
		char *end;
		long c = strtol(p, &end, 10);

		if (end == p) {
			p++;
			continue;
		}
		if (ncpu > 0 && c >= ncpu) {
			rt_seterr(a->err, "CPU pinning %s: CPU %ld does not exist on this device (%ld CPUs)",
				  vm->cpus, c, ncpu);
			return -EINVAL;
		}
		p = end;
	}
	ss->s.pin_vcpus = true;
	return 0;
}

static int spec_vm(struct runtime *rt, struct rt_app *a, struct spec_store *ss, const struct rt_vol *first)
{
	const Org__Lfedge__Eve__Config__VmConfig *vm = a->cfg->fixedresources;
	int r;

	r = spec_cidata(rt, a, ss);
	if (r < 0)
		return r;
	app_path(rt, a, "console.log", ss->console, sizeof(ss->console));
	ss->s.console_log = ss->console;
	ss->s.hvm = !vm || vm->virtualizationmode != ORG__LFEDGE__EVE__CONFIG__VM_MODE__PV;
	r = spec_firmware(rt, a, ss);
	if (r < 0)
		return r;
	if (!vm || !vm->kernel || !vm->kernel[0])
		return 0;
	if (spec_is_unikernel(vm)) {
		if (!first || !first->image) {
			rt_seterr(a->err, "VmConfig.kernel /: the app has no image that is the kernel");
			return -EINVAL;
		}
		ss->s.kernel = first->image; /* read-only blob: QEMU loads it */
		ss->s.cmdline = vm->extraargs && vm->extraargs[0] ? vm->extraargs : "console=ttyS0";
		return 0;
	}
	if (!first || !first->image) {
		rt_seterr(a->err, "VmConfig.kernel %s: the app has no image to take it from", vm->kernel);
		return -EINVAL;
	}
	app_path(rt, a, "kernel", ss->kernel, sizeof(ss->kernel));
	r = extract_member(first->image, vm->kernel, ss->kernel, a->err, sizeof(a->err));
	if (r < 0)
		return r;
	ss->s.kernel = ss->kernel;
	if (vm->ramdisk && vm->ramdisk[0]) {
		app_path(rt, a, "initrd", ss->initrd, sizeof(ss->initrd));
		r = extract_member(first->image, vm->ramdisk, ss->initrd, a->err, sizeof(a->err));
		if (r < 0)
			return r;
		ss->s.initrd = ss->initrd;
	}
	ss->s.cmdline = vm->extraargs && vm->extraargs[0] ? vm->extraargs : "console=ttyS0";
	return 0;
}

/* Fill the spec from the app's config and its (ready) volumes. */
static int spec_build(struct runtime *rt, struct rt_app *a, struct spec_store *ss)
{
	const Org__Lfedge__Eve__Config__VmConfig *vm = a->cfg->fixedresources;
	const struct rt_vol *rootfs = NULL, *first = NULL;
	size_t i;
	int r;

	ss->s.name = a->dom;
	ss->s.uuid = a->uuid;
	ss->s.title = a->name;
	ss->s.vcpus = vm && vm->vcpus ? vm->vcpus : 1;
	ss->s.memory_kib = vm && vm->memory ? vm->memory : APP_DEFAULT_MEM_KIB;
	ss->s.maxmem_kib = vm ? vm->maxmem : 0;
	ss->s.cpuset = vm && vm->cpus && vm->cpus[0] ? vm->cpus : NULL;
	r = spec_pinning(a, ss);
	if (r < 0)
		return r;
	ss->s.vnc = vm && vm->enable_vnc;
	ss->s.vnc_display = vm && vm->vncdisplay ? (int)vm->vncdisplay : -1;
	ss->s.vnc_all = rt->props.allow_vnc;
	for (i = 0; i < a->cfg->n_volumereflist && ss->s.n_disks < HV_SPEC_MAX_DEVS &&
		    ss->s.n_mounts < HV_SPEC_MAX_DEVS;
	     i++) {
		struct rt_vol *v = rt_volume_find(rt, a->cfg->volumereflist[i]->uuid);

		if (!v || !v->ready)
			return -EAGAIN;
		if (!first)
			first = v;
		if (v->kind == RT_VOL_ROOTFS && !rootfs) {
			rootfs = v;
			continue;
		}
		if (v->kind == RT_VOL_ROOTFS || v->kind == RT_VOL_FS) { /* a container's data volume */
			r = rt_volume_mount(v, a->cfg->volumereflist[i], &ss->mounts[ss->s.n_mounts], a->err,
					    sizeof(a->err));
			if (r < 0)
				return r;
			ss->s.n_mounts++;
			continue;
		}
		if (v == first && spec_is_unikernel(vm))
			continue; /* the kernel itself, not a disk */
		ss->disks[ss->s.n_disks].path = v->path;
		ss->disks[ss->s.n_disks].format = v->fmt;
		ss->disks[ss->s.n_disks].cdrom = v->kind == RT_VOL_CDROM;
		ss->disks[ss->s.n_disks].readonly = v->readonly;
		ss->s.n_disks++;
	}
	ss->s.disks = ss->disks;
	ss->s.mounts = ss->mounts;
	r = rt_volume_spec_check(rootfs != NULL, ss->s.n_disks, ss->s.n_mounts, a->err, sizeof(a->err));
	if (r < 0)
		return r;
	r = spec_nics(rt, a, ss);
	if (r < 0)
		return r;
	r = rt_io_resolve(rt->cfg, a->cfg, "/sys", ss->hostdevs, RT_IO_MAX, &ss->s.n_hostdevs, a->err,
			  sizeof(a->err));
	if (r < 0)
		return r;
	ss->s.hostdevs = ss->hostdevs;
	a->hv = rootfs ? &hv_lxc_ops : rt_vm_ops(rt);
	return rootfs ? spec_container(rt, a, ss, rootfs) : spec_vm(rt, a, ss, first);
}

/* ---- lifecycle ----------------------------------------------------- */

/* Enter state after a crash or a failed start; the next start waits
 * 1 s doubling up to timer.boot.retry while the app keeps failing. Returns
 * that wait (ms). */
static uint64_t app_fail(struct runtime *rt, struct rt_app *a, int state)
{
	uint64_t d;

	a->state = state;
	a->crashes++;
	d = (uint64_t)APP_BACKOFF_MIN_MS << (a->crashes < 20 ? a->crashes - 1 : 19);
	if (d > rt->props.boot_retry_ms)
		d = rt->props.boot_retry_ms;
	a->next_start = rt_now_ms() + d;
	return d;
}

/* Where an app waits when some of its volumes are not ready. 0 = ready. */
static int pending_state(struct runtime *rt, struct rt_app *a)
{
	size_t i;

	for (i = 0; i < a->cfg->n_volumereflist; i++) {
		const struct rt_vol *v = rt_volume_find(rt, a->cfg->volumereflist[i]->uuid);
		const struct rt_ct *c;

		if (!v) {
			rt_seterr(a->err, "volume %s is not in the config", a->cfg->volumereflist[i]->uuid);
			return ST(ERROR);
		}
		if (v->ready)
			continue;
		if (v->state == ST(ERROR)) {
			rt_seterr(a->err, "%s", v->err);
			return ST(ERROR);
		}
		c = v->ct[0] ? rt_content_find(rt, v->ct) : NULL;
		if (v->state == ST(CREATING_VOLUME) || !c || c->state == ST(LOADED))
			return ST(CREATING_VOLUME);
		if (c->state == ST(VERIFYING) || c->state == ST(VERIFIED) || c->state == ST(DOWNLOADED))
			return ST(VERIFYING);
		return ST(DOWNLOAD_STARTED);
	}
	return 0;
}

static int app_start(struct runtime *rt, struct rt_app *a)
{
	struct spec_store *ss = calloc(1, sizeof(*ss));
	struct buf xml;
	virConnectPtr c;
	virDomainPtr d = NULL;
	char path[4096];
	int r;

	buf_init(&xml, HV_XML_MAX);
	if (!ss)
		return -ENOMEM;
	a->err[0] = '\0';
	r = spec_build(rt, a, ss);
	if (r == 0) /* memory.apps.ignore.check */
		r = rt_props_mem_check(&rt->props, ss->s.memory_kib, NULL, a->err, sizeof(a->err));
	if (r == 0)
		r = a->hv->domain_xml(&ss->s, &xml, a->err, sizeof(a->err));
	if (r == 0)
		r = rt_conn(rt, rt_hv_of(a->hv), &c, a->err, sizeof(a->err));
	if (r < 0)
		goto out;
	if (!a->hv->console_is_pty) {
		/* A fresh console log per boot, read from its start. */
		app_path(rt, a, "console.log", path, sizeof(path));
		close(open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
	}
	r = hv_define_start(c, (const char *)xml.data, &d, a->err, sizeof(a->err));
	if (r < 0)
		goto out;
	a->we_started = true;
	a->vol_sig = rt_volume_sig(rt, a->cfg);
	a->boot_time = (uint64_t)time(NULL);
	a->running_since = rt_now_ms();
	a->state = ST(BOOTING);
	con_open(rt, a, d, true);
	virDomainFree(d);
out:
	buf_free(&xml);
	spec_clear(ss);
	free(ss);
	return r;
}

/* Find the app's domain on its driver's connection (or either when the
 * driver is not known yet, e.g. right after a restart of the agent).
 * -ENOENT: no such domain; other errors: libvirt could not tell. */
static int app_lookup(struct runtime *rt, struct rt_app *a, virDomainPtr *out)
{
	static const struct hv_ops *const all[] = {&hv_qemu_ops, &hv_lxc_ops, &hv_xen_ops};
	virConnectPtr c;
	size_t i;
	int r = -ENOENT, rc;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (a->hv && a->hv != all[i])
			continue;
		rc = rt_conn(rt, rt_hv_of(all[i]), &c, NULL, 0);
		if (rc < 0) {
			if (a->hv)
				r = rc; /* its driver is unreachable: not "no domain" */
			continue;
		}
		r = hv_lookup(c, a->dom, out);
		if (r == 0) {
			a->hv = all[i];
			return 0;
		}
	}
	return r;
}

static void app_stop_now(struct runtime *rt, struct rt_app *a)
{
	virDomainPtr d;

	if (app_lookup(rt, a, &d) == 0) {
		hv_destroy(d);
		virDomainFree(d);
	}
	con_close(a);
	a->halting_since = 0;
	a->we_started = false;
}

void rt_app_stop(struct runtime *rt, const char *uuid)
{
	static const struct hv_ops *const all[] = {&hv_qemu_ops, &hv_lxc_ops};
	char dom[RT_ID_MAX + 8];
	virConnectPtr c;
	virDomainPtr d;

	for (size_t i = 0; i < rt->n_apps; i++)
		if (strcmp(rt->apps[i]->uuid, uuid) == 0) {
			app_stop_now(rt, rt->apps[i]);
			return;
		}
	/* Not known yet (the runtime just started): a domain left running
	 * from before. */
	snprintf(dom, sizeof(dom), "eve-%s", uuid);
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (rt_conn(rt, rt_hv_of(all[i]), &c, NULL, 0) < 0 || hv_lookup(c, dom, &d) < 0)
			continue;
		hv_destroy(d);
		virDomainFree(d);
	}
}

/* activate=false: ACPI/SIGTERM first, power off after the grace time. */
static void app_halt(struct runtime *rt, struct rt_app *a, virDomainPtr d)
{
	if (!d || !hv_is_active(d)) {
		a->state = ST(HALTED);
		a->halting_since = 0;
		a->we_started = false;
		con_read(rt, a);
		con_close(a);
		return;
	}
	if (!a->halting_since) {
		a->halting_since = rt_now_ms();
		a->state = ST(HALTING);
		hv_shutdown(d);
		return;
	}
	if (rt_now_ms() - a->halting_since > APP_HALT_GRACE_MS)
		hv_destroy(d);
}

/* Restart and purge commands: act once per counter increase. */
static void app_commands(struct runtime *rt, struct rt_app *a)
{
	uint32_t rc = a->cfg->restart ? a->cfg->restart->counter : 0;
	uint32_t pc = a->cfg->purge ? a->cfg->purge->counter : 0;

	if (pc > a->purge_done) {
		a->purge_done = pc;
		a->restart_done = rc > a->restart_done ? rc : a->restart_done;
		counters_save(rt, a);
		a->state = ST(PURGING);
		rt_report_app(rt, a);
		app_stop_now(rt, a);
		/* Purge rebuilds the app's image volume (its first); the other
		 * volumes only when their generationCount changes
		 * (rt_volume_sync), so data volumes keep their data. */
		if (a->cfg->n_volumereflist) {
			struct rt_vol *v = rt_volume_find(rt, a->cfg->volumereflist[0]->uuid);

			if (v)
				rt_volume_purge(rt, v);
		}
		{
			char path[4096];

			app_path(rt, a, "kernel", path, sizeof(path));
			unlink(path);
			app_path(rt, a, "initrd", path, sizeof(path));
			unlink(path);
		}
		rt_volume_sync(rt);
		return;
	}
	if (rc > a->restart_done) {
		a->restart_done = rc;
		counters_save(rt, a);
		if (a->cfg->activate) {
			a->state = ST(RESTARTING);
			rt_report_app(rt, a);
			app_stop_now(rt, a);
			a->next_start = 0;
		}
	}
}

/* The image of one of the app's volumes whose publisher signature the
 * device refuses now (images.signatures=require), or NULL. */
static const struct rt_ct *refused_image(struct runtime *rt, const struct rt_app *a)
{
	for (size_t i = 0; i < a->cfg->n_volumereflist; i++) {
		const struct rt_vol *v = rt_volume_find(rt, a->cfg->volumereflist[i]->uuid);
		const struct rt_ct *c = v && v->ct[0] ? rt_content_find(rt, v->ct) : NULL;

		if (c && c->sig_refused)
			return c;
	}
	return NULL;
}

/* What the operator configured is what the device does: an app whose image
 * is refused (the policy tightened, or its publisher key left the trust
 * store) does not run, and says why. true when it is held so. */
static bool app_hold_refused(struct runtime *rt, struct rt_app *a, virDomainPtr d)
{
	const struct rt_ct *c = refused_image(rt, a);
	bool was_running = d && hv_is_active(d);

	if (!c)
		return false;
	if (was_running) {
		con_read(rt, a);
		app_stop_now(rt, a);
	}
	a->we_started = false;
	if (was_running || a->state != ST(ERROR) || !strstr(a->err, "refused"))
		rt_seterr(a->err, "%s: %s", was_running ? "stopped" : "not started", c->err);
	a->state = ST(ERROR);
	return true;
}

static void app_run(struct runtime *rt, struct rt_app *a, virDomainPtr d)
{
	uint64_t wait;
	int pend, r;

	if (d && hv_is_active(d) && (!hv_is_healthy(d) || (a->hv && a->hv->gone && a->hv->gone(d)))) {
		/* Paused on an emulation or I/O error, or its processes gone
		 * while libvirt calls it active: power it off; the next pass
		 * restarts it with backoff like any crash. */
		hv_destroy(d);
		return;
	}
	if (app_hold_refused(rt, a, d))
		return;
	if (d && hv_is_active(d) && a->we_started && a->vol_sig != rt_volume_sig(rt, a->cfg)) {
		/* A volume was rebuilt under it (new image, purge): restart
		 * on the new volumes; its data volumes stay as they are. */
		a->state = ST(RESTARTING);
		rt_report_app(rt, a);
		app_stop_now(rt, a);
		a->next_start = 0;
		return;
	}
	if (d && hv_is_active(d)) {
		if (a->state != ST(RUNNING)) {
			bool adopted = !a->we_started;

			a->state = ST(RUNNING);
			a->err[0] = '\0';
			if (adopted) {
				/* A domain from before a restart of the agent. */
				a->vol_sig = rt_volume_sig(rt, a->cfg);
				a->we_started = true;
				a->running_since = rt_now_ms();
				if (!a->boot_time)
					a->boot_time = (uint64_t)time(NULL);
			}
			if (a->con_fd < 0)
				con_open(rt, a, d, false);
		}
		if (a->crashes && rt_now_ms() - a->running_since > APP_STABLE_MS)
			a->crashes = 0;
		return;
	}
	if (a->we_started) {
		/* It stopped without being asked: a crash or a guest power-off. */
		con_read(rt, a);
		con_close(a);
		/* The wait is in the text so the controller sees the backoff. */
		wait = app_fail(rt, a, ST(ERROR));
		rt_seterr(a->err, "domain %s stopped unexpectedly; restarting in %u s", a->dom,
			  (unsigned)((wait + 999) / 1000));
		a->we_started = false;
		return;
	}
	pend = pending_state(rt, a);
	if (pend) {
		a->state = pend;
		return;
	}
	if (rt_now_ms() < a->next_start)
		return;
	r = app_start(rt, a);
	if (r == -EAGAIN) {
		a->state = ORG__LFEDGE__EVE__INFO__ZSW_STATE__AWAITNETWORKINSTANCE;
		return;
	}
	if (r < 0) {
		size_t len;

		if (!a->err[0])
			rt_seterr(a->err, "starting %s: %s", a->dom, eve_strerror(r));
		/* The wait is in the text, as after a crash. */
		wait = app_fail(rt, a, ST(ERROR));
		len = strlen(a->err);
		snprintf(a->err + len, sizeof(a->err) - len, "; retrying in %u s",
			 (unsigned)((wait + 999) / 1000));
	}
}

/* A signature of the app's adapters' leased IPs. */
static unsigned app_net_sig(struct runtime *rt, const struct rt_app *a)
{
	unsigned h = 7;
	char mac[18];
	const char *ip;
	size_t i;

	for (i = 0; i < a->cfg->n_interfaces; i++) {
		rt_app_mac(a->uuid, i, a->cfg->interfaces[i]->macaddress, mac);
		ip = rt_netinst_ip(rt, mac);
		for (; ip && *ip; ip++)
			h = h * 31u + (unsigned char)*ip;
		h = h * 31u + 1;
	}
	return h;
}

static void app_step(struct runtime *rt, struct rt_app *a)
{
	virDomainPtr d = NULL;
	int r;

	a->net_sig = app_net_sig(rt, a);

	if (!a->counters_loaded)
		counters_load(rt, a);
	app_commands(rt, a);
	r = app_lookup(rt, a, &d);
	if (r < 0 && r != -ENOENT && a->we_started)
		return; /* libvirt unreachable (libvirtd restarting): its domain may
			 * well run; only a domain libvirt reports stopped is a crash */
	if (r < 0)
		d = NULL;
	if (a->cfg->activate) {
		a->halting_since = 0;
		app_run(rt, a, d);
	} else {
		app_halt(rt, a, d);
	}
	rt_rollback_watch(rt, a); /* an update on trial, or rolled back (rt_rollback.c) */
	if (d)
		virDomainFree(d);
}

/* ---- the set of apps ----------------------------------------------- */

void rt_app_free(struct rt_app *a)
{
	if (!a)
		return;
	con_close(a);
	free(a->name);
	free(a->version);
	free(a);
}

static struct rt_app *app_find(struct runtime *rt, const char *uuid)
{
	size_t i;

	for (i = 0; i < rt->n_apps; i++)
		if (strcmp(rt->apps[i]->uuid, uuid) == 0)
			return rt->apps[i];
	return NULL;
}

static struct rt_app *app_track(struct runtime *rt, const rt_app_cfg *ac)
{
	const char *uuid = ac->uuidandversion->uuid;
	struct rt_app *a = app_find(rt, uuid), **n;

	if (!a) {
		a = calloc(1, sizeof(*a));
		n = a ? realloc(rt->apps, (rt->n_apps + 1) * sizeof(*n)) : NULL;
		if (!n) {
			free(a);
			return NULL;
		}
		rt->apps = n;
		snprintf(a->uuid, sizeof(a->uuid), "%s", uuid);
		snprintf(a->dom, sizeof(a->dom), "eve-%s", uuid);
		a->con_fd = -1;
		a->state = ORG__LFEDGE__EVE__INFO__ZSW_STATE__INITIAL;
		rt->apps[rt->n_apps++] = a;
	}
	a->cfg = ac;
	free(a->name);
	free(a->version);
	a->name = strdup(ac->displayname ? ac->displayname : "");
	a->version = strdup(ac->uuidandversion->version ? ac->uuidandversion->version : "");
	return a;
}

static void app_forget(struct runtime *rt, struct rt_app *a)
{
	virConnectPtr c;
	char path[4096];
	int hv;

	for (hv = 0; hv < RT_HV_N; hv++)
		if (rt_conn(rt, (enum rt_hv)hv, &c, NULL, 0) == 0)
			hv_remove(c, a->dom);
	app_path(rt, a, NULL, path, sizeof(path));
	volume_remove_dir(path);
	rt_app_free(a);
}

void rt_app_sync(struct runtime *rt)
{
	size_t i, j;

	for (i = 0; i < rt->n_apps; i++)
		rt->apps[i]->mark = false;
	for (i = 0; rt->cfg && i < rt->cfg->n_apps; i++) {
		const rt_app_cfg *ac = rt->cfg->apps[i];
		struct rt_app *a;

		if (!ac->uuidandversion || !uuidgen_valid(ac->uuidandversion->uuid))
			continue;
		a = app_track(rt, ac);
		if (a)
			a->mark = true;
	}
	for (i = j = 0; i < rt->n_apps; i++) {
		if (rt->apps[i]->mark)
			rt->apps[j++] = rt->apps[i];
		else
			app_forget(rt, rt->apps[i]);
	}
	rt->n_apps = j;
	for (i = 0; i < rt->n_apps; i++) {
		const char *why = rt_refuse_why(rt, rt->apps[i]->uuid);

		if (why && !rt->apps[i]->we_started) {
			rt->apps[i]->state = ST(ERROR);
			rt_seterr(rt->apps[i]->err, "%s", why);
		} else {
			app_step(rt, rt->apps[i]);
		}
		rt_report_app(rt, rt->apps[i]);
	}
}

static bool owned(struct runtime *rt, const char *uuid)
{
	char path[4096];

	if (!uuidgen_valid(uuid))
		return false;
	snprintf(path, sizeof(path), "%s/%s", rt->apps_dir, uuid);
	return access(path, F_OK) == 0;
}

/* Domains named eve-* that no app of the config owns (left by an earlier
 * run whose config changed while the agent was down), and app dirs. */
/* True when apps/ names an app the config does not (only then can there be
 * strays: no libvirt connection is opened on a node without apps). */
static bool maybe_strays(struct runtime *rt)
{
	DIR *dir = opendir(rt->apps_dir);
	struct dirent *de;
	bool any = false;

	while (dir && !any && (de = readdir(dir)))
		any = de->d_name[0] != '.' && !app_find(rt, de->d_name);
	if (dir)
		closedir(dir);
	return any;
}

void rt_app_remove_strays(struct runtime *rt)
{
	virDomainPtr *doms = NULL;
	virConnectPtr c;
	struct dirent *de;
	char path[4096];
	int hv, n, k;
	DIR *dir;

	if (!maybe_strays(rt))
		return;
	for (hv = 0; hv < RT_HV_N; hv++) {
		if (rt_conn(rt, (enum rt_hv)hv, &c, NULL, 0) < 0)
			continue;
		n = virConnectListAllDomains(c, &doms, 0);
		for (k = 0; k < n; k++) {
			const char *name = virDomainGetName(doms[k]);

			/* Only domains this runtime made (its state dir has the app's
			 * directory): other runtimes on the host keep theirs. */
			if (name && strncmp(name, "eve-", 4) == 0 && !app_find(rt, name + 4) &&
			    owned(rt, name + 4))
				hv_remove(c, name);
			virDomainFree(doms[k]);
		}
		free(doms);
		doms = NULL;
	}
	dir = opendir(rt->apps_dir);
	while (dir && (de = readdir(dir))) {
		if (de->d_name[0] == '.' || app_find(rt, de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", rt->apps_dir, de->d_name);
		volume_remove_dir(path);
	}
	if (dir)
		closedir(dir);
}
