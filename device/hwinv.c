// SPDX-License-Identifier: Apache-2.0
/* The device's hardware inventory from procfs and sysfs (hwinv.h). */
#include "hwinv.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "fileio.h"
#include "hostio.h"
#include "info/info.pb-c.h"
#include "pbpack.h"
#include "sysfsread.h"

#define HW_MAX_CPUS 1024
#define HW_MAX_DEVS 256
#define HW_CPUINFO_MAX (4u << 20)

typedef Org__Lfedge__Eve__Info__CPU hw_cpu;
typedef Org__Lfedge__Eve__Info__PCIDevice hw_pci;
typedef Org__Lfedge__Eve__Info__PCIAddress hw_pciaddr;
typedef Org__Lfedge__Eve__Info__USBDevice hw_usb;
typedef Org__Lfedge__Eve__Info__USBAddress hw_usbaddr;
typedef Org__Lfedge__Eve__Info__BusParent hw_parent;
typedef Org__Lfedge__Eve__Info__SerialPort hw_serial;
typedef Org__Lfedge__Eve__Info__NetworkDevice hw_net;
typedef Org__Lfedge__Eve__Info__HardwareInventory__MiscEntry hw_misc;

/* Everything one inventory points to; freed by hw_free. Arrays are sized
 * up front (HW_MAX_*) so pointers into them stay valid. */
struct hw {
	const struct hwinv_src *s;
	Org__Lfedge__Eve__Info__ZInfoHardware zh;
	Org__Lfedge__Eve__Info__HardwareInventory inv;
	Org__Lfedge__Eve__Info__CPUInfo ci;
	Org__Lfedge__Eve__Info__TPM tpm;
	hw_cpu *cpu, **cpup;
	int *socket, *core; /* per CPU, -1 unknown */
	hw_pci *pci, **pcip;
	hw_usb *usb, **usbp;
	hw_serial *ser, **serp;
	hw_net *net, **netp;
	hw_parent *parent; /* HW_MAX_DEVS * 3: one per PCI/USB/net device */
	size_t n_parent;
	hw_pciaddr *pciaddr; /* HW_MAX_DEVS * 4 */
	size_t n_pciaddr;
	hw_usbaddr *usbaddr; /* HW_MAX_DEVS * 2 */
	size_t n_usbaddr;
	hw_misc *misc, **miscp;
	size_t n_misc;
	char **strs; /* every string the messages point to */
	size_t n_strs;
};

static char *hw_str(struct hw *h, const char *v)
{
	char **ns = realloc(h->strs, (h->n_strs + 1) * sizeof(*ns));

	if (!ns)
		return (char *)"";
	h->strs = ns;
	if (!(ns[h->n_strs] = strdup(v)))
		return (char *)"";
	return ns[h->n_strs++];
}

static void hw_path(char *out, size_t len, const char *root, const char *fmt, const char *a, const char *b)
{
	int n = snprintf(out, len, "%s/", root);

	if (n > 0 && (size_t)n < len)
		snprintf(out + n, len - (size_t)n, fmt, a, b);
}

static void add_misc(struct hw *h, const char *key, long value)
{
	char v[32];

	if (h->n_misc >= 4 + 2 * HW_MAX_CPUS || value < 0)
		return;
	snprintf(v, sizeof(v), "%ld", value);
	hw_misc *m = &h->misc[h->n_misc];
	org__lfedge__eve__info__hardware_inventory__misc_entry__init(m);
	m->key = hw_str(h, key);
	m->value = hw_str(h, v);
	h->miscp[h->n_misc++] = m;
}

/* --- CPUs --- */

/* "key\t: value" of /proc/cpuinfo for processor id, into out. */
static void cpuinfo_field(const char *text, unsigned id, const char *key, char *out, size_t len)
{
	const char *p = text;
	bool mine = false;

	out[0] = '\0';
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t ll = nl ? (size_t)(nl - p) : strlen(p);
		const char *colon = memchr(p, ':', ll);

		if (colon) {
			size_t kl = (size_t)(colon - p);

			while (kl && (p[kl - 1] == ' ' || p[kl - 1] == '\t'))
				kl--;
			const char *v = colon + 1 + (colon[1] == ' ');
			if (kl == 9 && !strncmp(p, "processor", 9))
				mine = strtoul(v, NULL, 10) == id;
			else if (mine && kl == strlen(key) && !strncmp(p, key, kl)) {
				snprintf(out, len, "%.*s", (int)(p + ll - v), v);
				return;
			}
		}
		p = nl ? nl + 1 : NULL;
	}
}

static uint64_t cpu_freq_hz(struct hw *h, const char *cpu, const char *cpuinfo, unsigned id)
{
	static const char *const files[] = {"cpufreq/base_frequency", "cpufreq/cpuinfo_max_freq"};
	char path[PATH_MAX], mhz[32];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		hw_path(path, sizeof(path), h->s->sysfs, "devices/system/cpu/%s/%s", cpu, files[i]);
		long khz = sysfs_dec(path);
		if (khz > 0)
			return (uint64_t)khz * 1000u;
	}
	cpuinfo_field(cpuinfo, id, "cpu MHz", mhz, sizeof(mhz));
	double m = strtod(mhz, NULL);
	return m > 0 && m < 1e6 ? (uint64_t)(m * 1e6) : 0;
}

static bool is_cpu_name(const char *n)
{
	if (strncmp(n, "cpu", 3) || !n[3])
		return false;
	for (const char *p = n + 3; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return strlen(n) < 10;
}

static void scan_cpus(struct hw *h, const char *cpuinfo)
{
	char dir[PATH_MAX], path[PATH_MAX], model[128], vendor[64];
	size_t k, n = 0;
	char **v;

	hw_path(dir, sizeof(dir), h->s->sysfs, "devices/system/cpu%s%s", "", "");
	v = sysfs_list(dir, &k);
	for (size_t i = 0; i < k && n < HW_MAX_CPUS; i++) {
		if (!is_cpu_name(v[i]))
			continue;
		unsigned id = (unsigned)strtoul(v[i] + 3, NULL, 10);
		hw_cpu *c = &h->cpu[n];
		org__lfedge__eve__info__cpu__init(c);
		c->id = id;
		cpuinfo_field(cpuinfo, id, "model name", model, sizeof(model));
		cpuinfo_field(cpuinfo, id, "vendor_id", vendor, sizeof(vendor));
		c->model = hw_str(h, model);
		c->vendor = hw_str(h, vendor);
		c->freq = cpu_freq_hz(h, v[i], cpuinfo, id);
		hw_path(path, sizeof(path), h->s->sysfs, "devices/system/cpu/%s/topology/physical_package_id",
			v[i], "");
		h->socket[n] = (int)sysfs_dec(path);
		hw_path(path, sizeof(path), h->s->sysfs, "devices/system/cpu/%s/topology/core_id", v[i], "");
		h->core[n] = (int)sysfs_dec(path);
		h->cpup[n] = c;
		n++;
	}
	sysfs_list_free(v, k);
	h->ci.cpus = h->cpup;
	h->ci.n_cpus = n;
	h->inv.cpu_info = &h->ci;
}

/* Sockets, cores and threads, and each CPU's socket and core, in misc. */
static void cpu_topology(struct hw *h)
{
	size_t n = h->ci.n_cpus, sockets = 0, cores = 0;
	char key[48];

	for (size_t i = 0; i < n; i++) {
		bool new_socket = h->socket[i] >= 0, new_core = h->core[i] >= 0;

		for (size_t j = 0; j < i; j++) {
			if (h->socket[j] == h->socket[i])
				new_socket = false;
			if (h->socket[j] == h->socket[i] && h->core[j] == h->core[i])
				new_core = false;
		}
		sockets += new_socket;
		cores += new_core;
	}
	add_misc(h, "cpu.threads", (long)n);
	if (sockets)
		add_misc(h, "cpu.sockets", (long)sockets);
	if (cores)
		add_misc(h, "cpu.cores", (long)cores);
	for (size_t i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "cpu.%u.socket", h->cpu[i].id);
		add_misc(h, key, h->socket[i]);
		snprintf(key, sizeof(key), "cpu.%u.core", h->cpu[i].id);
		add_misc(h, key, h->core[i]);
	}
}

/* --- buses --- */

static hw_pciaddr *pci_addr(struct hw *h, const char *name)
{
	unsigned dom, bus, dev, fn;
	char tail;

	if (h->n_pciaddr >= HW_MAX_DEVS * 4 ||
	    sscanf(name, "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn, &tail) != 4)
		return NULL;
	hw_pciaddr *a = &h->pciaddr[h->n_pciaddr++];
	org__lfedge__eve__info__pciaddress__init(a);
	a->domain = dom;
	a->bus = bus;
	a->device = dev;
	a->function = fn;
	return a;
}

static hw_usbaddr *usb_addr(struct hw *h, const char *name)
{
	const char *dash = strchr(name, '-');

	if (!dash || strchr(name, ':') || h->n_usbaddr >= HW_MAX_DEVS * 2)
		return NULL;
	hw_usbaddr *a = &h->usbaddr[h->n_usbaddr++];
	org__lfedge__eve__info__usbaddress__init(a);
	a->bus = (uint32_t)strtoul(name, NULL, 10);
	a->port = hw_str(h, dash + 1);
	return a;
}

/* The nearest PCI function and USB device above the sysfs device at path
 * (a symlink into /sys/devices), or NULL when there is neither. */
static hw_parent *bus_parent(struct hw *h, const char *path)
{
	char real[PATH_MAX], *slash;
	hw_pciaddr *pci = NULL;
	hw_usbaddr *usb = NULL;
	bool first = true;

	if (!realpath(path, real) || h->n_parent >= HW_MAX_DEVS * 3)
		return NULL;
	while ((slash = strrchr(real, '/')) && !pci) {
		*slash = '\0';
		const char *name = strrchr(real, '/') ? strrchr(real, '/') + 1 : real;
		if (first && !usb)
			usb = usb_addr(h, name);
		first = false;
		pci = pci_addr(h, name);
	}
	if (!pci && !usb)
		return NULL;
	hw_parent *p = &h->parent[h->n_parent++];
	org__lfedge__eve__info__bus_parent__init(p);
	p->pci_parent = pci;
	p->usb_parent = usb;
	return p;
}

static long dev_hex(const char *dir, const char *name, const char *file)
{
	char path[PATH_MAX];

	hw_path(path, sizeof(path), dir, "%s/%s", name, file);
	return sysfs_hex(path);
}

static void scan_pci(struct hw *h)
{
	char dir[PATH_MAX], path[PATH_MAX], word[64];
	size_t k, n = 0;
	char **v;

	hw_path(dir, sizeof(dir), h->s->sysfs, "bus/pci/devices%s%s", "", "");
	v = sysfs_list(dir, &k);
	for (size_t i = 0; i < k && n < HW_MAX_DEVS; i++) {
		hw_pciaddr *a = pci_addr(h, v[i]);
		if (!a)
			continue;
		hw_pci *p = &h->pci[n];
		org__lfedge__eve__info__pcidevice__init(p);
		p->address = a;
		p->vendor_id = (uint32_t)dev_hex(dir, v[i], "vendor");
		p->device_id = (uint32_t)dev_hex(dir, v[i], "device");
		p->revision = (uint32_t)dev_hex(dir, v[i], "revision");
		p->subsystem_id = (uint32_t)dev_hex(dir, v[i], "subsystem_device");
		p->class_id = (uint32_t)dev_hex(dir, v[i], "class");
		hw_path(path, sizeof(path), dir, "%s/driver", v[i], "");
		sysfs_link_base(path, word, sizeof(word));
		p->driver = hw_str(h, word);
		hw_path(path, sizeof(path), dir, "%s/iommu_group", v[i], "");
		sysfs_link_base(path, word, sizeof(word));
		p->iommu_group = hw_str(h, word);
		hw_path(path, sizeof(path), dir, "%s", v[i], "");
		hw_parent *par = bus_parent(h, path);
		p->parent_pci_device_address = par ? par->pci_parent : NULL;
		h->pcip[n++] = p;
	}
	sysfs_list_free(v, k);
	h->inv.pci_devices = h->pcip;
	h->inv.n_pci_devices = n;
}

static void scan_usb(struct hw *h)
{
	char dir[PATH_MAX], path[PATH_MAX], word[64];
	size_t k, n = 0;
	char **v;

	hw_path(dir, sizeof(dir), h->s->sysfs, "bus/usb/devices%s%s", "", "");
	v = sysfs_list(dir, &k);
	for (size_t i = 0; i < k && n < HW_MAX_DEVS; i++) {
		hw_usbaddr *a = usb_addr(h, v[i]);
		if (!a)
			continue;
		hw_usb *u = &h->usb[n];
		org__lfedge__eve__info__usbdevice__init(u);
		u->bus_port = a;
		u->vendor_id = (uint32_t)dev_hex(dir, v[i], "idVendor");
		u->product_id = (uint32_t)dev_hex(dir, v[i], "idProduct");
		long c = dev_hex(dir, v[i], "bDeviceClass"), sc = dev_hex(dir, v[i], "bDeviceSubClass"),
		     pr = dev_hex(dir, v[i], "bDeviceProtocol");
		if (c >= 0 && sc >= 0 && pr >= 0)
			u->class_id = (uint32_t)((c << 16) | (sc << 8) | pr);
		hw_path(path, sizeof(path), dir, "%s/driver", v[i], "");
		sysfs_link_base(path, word, sizeof(word));
		u->driver = hw_str(h, word);
		hw_path(path, sizeof(path), dir, "%s", v[i], "");
		u->parent = bus_parent(h, path);
		h->usbp[n++] = u;
	}
	sysfs_list_free(v, k);
	h->inv.usb_devices = h->usbp;
	h->inv.n_usb_devices = n;
}

static void scan_serial(struct hw *h)
{
	struct hostio_adapter *io = calloc(HOSTIO_MAX, sizeof(*io));
	char path[PATH_MAX], range[48];
	size_t k = 0, n = 0;

	if (!io || hostio_scan(h->s->sysfs, h->s->devdir, io, HOSTIO_MAX, &k) < 0)
		k = 0;
	for (size_t i = 0; i < k && n < HW_MAX_DEVS; i++) {
		const char *base = strrchr(io[i].member, '/');
		if (io[i].ptype != 3 /* PhyIoCOM */ || !base)
			continue;
		base++;
		hw_serial *sp = &h->ser[n];
		org__lfedge__eve__info__serial_port__init(sp);
		sp->devpath = hw_str(h, io[i].member);
		hw_path(path, sizeof(path), h->s->sysfs, "class/tty/%s/irq", base, "");
		long irq = sysfs_dec(path);
		sp->irq = irq > 0 ? (uint64_t)irq : 0;
		hw_path(path, sizeof(path), h->s->sysfs, "class/tty/%s/port", base, "");
		long port = sysfs_hex(path);
		if (port > 0) {
			snprintf(range, sizeof(range), "%04lx-%04lx", port, port + 7);
			sp->ioport_range = hw_str(h, range);
		}
		hw_path(path, sizeof(path), h->s->sysfs, "class/tty/%s/device", base, "");
		sp->parent = bus_parent(h, path);
		h->serp[n++] = sp;
	}
	free(io);
	h->inv.serial_devices = h->serp;
	h->inv.n_serial_devices = n;
}

/* Physical network interfaces (those with a device behind them). */
static void scan_net(struct hw *h)
{
	char dir[PATH_MAX], path[PATH_MAX], word[64];
	size_t k, n = 0;
	char **v;

	hw_path(dir, sizeof(dir), h->s->sysfs, "class/net%s%s", "", "");
	v = sysfs_list(dir, &k);
	for (size_t i = 0; i < k && n < HW_MAX_DEVS; i++) {
		hw_path(path, sizeof(path), dir, "%s/device", v[i], "");
		if (access(path, F_OK) != 0)
			continue;
		hw_net *d = &h->net[n];
		org__lfedge__eve__info__network_device__init(d);
		d->ifname = hw_str(h, v[i]);
		d->parent = bus_parent(h, path);
		hw_path(path, sizeof(path), dir, "%s/address", v[i], "");
		sysfs_str(path, word, sizeof(word));
		d->mac_address = hw_str(h, word);
		hw_path(path, sizeof(path), dir, "%s/wireless", v[i], "");
		d->type = access(path, F_OK) == 0
			      ? ORG__LFEDGE__EVE__INFO__NETWORK_DEVICE_TYPE__NETWORK_DEVICE_TYPE_WIFI
			      : ORG__LFEDGE__EVE__INFO__NETWORK_DEVICE_TYPE__NETWORK_DEVICE_TYPE_ETHERNET;
		hw_path(path, sizeof(path), dir, "%s/speed", v[i], "");
		long sp = sysfs_dec(path);
		d->speed_mbps = sp > 0 && sp < UINT32_MAX ? (uint32_t)sp : 0;
		h->netp[n++] = d;
	}
	sysfs_list_free(v, k);
	h->inv.network_devices = h->netp;
	h->inv.n_network_devices = n;
}

/* --- node summary --- */

static uint64_t mem_total(struct hw *h)
{
	char path[PATH_MAX];
	uint8_t *d = NULL;
	size_t len = 0;
	uint64_t kb = 0;

	hw_path(path, sizeof(path), h->s->procfs, "meminfo%s%s", "", "");
	if (fileio_read(path, 1u << 20, &d, &len) == 0) {
		const char *p = strstr((char *)d, "MemTotal:");
		if (p)
			kb = strtoull(p + 9, NULL, 10);
	}
	free(d);
	return kb * 1024u;
}

/* Non-removable disks with a device behind them (not loop, ram, dm). */
static uint64_t storage_total(struct hw *h)
{
	char dir[PATH_MAX], path[PATH_MAX];
	uint64_t total = 0;
	size_t k;
	char **v;

	hw_path(dir, sizeof(dir), h->s->sysfs, "block%s%s", "", "");
	v = sysfs_list(dir, &k);
	for (size_t i = 0; i < k; i++) {
		hw_path(path, sizeof(path), dir, "%s/device", v[i], "");
		if (access(path, F_OK) != 0)
			continue;
		hw_path(path, sizeof(path), dir, "%s/removable", v[i], "");
		if (sysfs_dec(path) != 0)
			continue;
		hw_path(path, sizeof(path), dir, "%s/size", v[i], "");
		long sectors = sysfs_dec(path);
		if (sectors > 0)
			total += (uint64_t)sectors * 512u;
	}
	sysfs_list_free(v, k);
	return total;
}

static void node_summary(struct hw *h)
{
	char path[PATH_MAX], word[256];

	h->inv.total_memory_bytes = mem_total(h);
	h->inv.total_storage_bytes = storage_total(h);
	hw_path(path, sizeof(path), h->s->devdir, "watchdog%s%s", "", "");
	h->inv.watchdog_present = access(path, F_OK) == 0;
	hw_path(path, sizeof(path), h->s->sysfs, "class/tpm/tpm0%s%s", "", "");
	h->tpm.present = access(path, F_OK) == 0;
	hw_path(path, sizeof(path), h->s->sysfs, "class/tpm/tpm0/tpm_version_major%s%s", "", "");
	long major = sysfs_dec(path);
	h->tpm.spec_version = hw_str(h, major == 2 ? "2.0" : major == 1 ? "1.2" : "");
	h->inv.tpm = &h->tpm;
	hw_path(path, sizeof(path), h->s->procfs, "sys/kernel/osrelease%s%s", "", "");
	sysfs_str(path, word, sizeof(word));
	h->zh.kernel_version = hw_str(h, word);
	hw_path(path, sizeof(path), h->s->procfs, "cmdline%s%s", "", "");
	sysfs_str(path, word, sizeof(word));
	h->zh.kernel_cmdline = hw_str(h, word);
	hw_path(path, sizeof(path), h->s->sysfs, "class/dmi/id/product_name%s%s", "", "");
	sysfs_str(path, word, sizeof(word));
	h->zh.eve_platform = hw_str(h, word);
	h->zh.eve_release = hw_str(h, h->s->release ? h->s->release : "");
	h->zh.partition = hw_str(h, h->s->partition ? h->s->partition : "");
}

/* --- assembly --- */

static void hw_free(struct hw *h)
{
	for (size_t i = 0; i < h->n_strs; i++)
		free(h->strs[i]);
	free(h->strs);
	free(h->cpu);
	free(h->cpup);
	free(h->socket);
	free(h->core);
	free(h->pci);
	free(h->pcip);
	free(h->usb);
	free(h->usbp);
	free(h->ser);
	free(h->serp);
	free(h->net);
	free(h->netp);
	free(h->parent);
	free(h->pciaddr);
	free(h->usbaddr);
	free(h->misc);
	free(h->miscp);
}

static int hw_alloc(struct hw *h)
{
	h->cpu = calloc(HW_MAX_CPUS, sizeof(*h->cpu));
	h->cpup = calloc(HW_MAX_CPUS, sizeof(*h->cpup));
	h->socket = calloc(HW_MAX_CPUS, sizeof(*h->socket));
	h->core = calloc(HW_MAX_CPUS, sizeof(*h->core));
	h->pci = calloc(HW_MAX_DEVS, sizeof(*h->pci));
	h->pcip = calloc(HW_MAX_DEVS, sizeof(*h->pcip));
	h->usb = calloc(HW_MAX_DEVS, sizeof(*h->usb));
	h->usbp = calloc(HW_MAX_DEVS, sizeof(*h->usbp));
	h->ser = calloc(HW_MAX_DEVS, sizeof(*h->ser));
	h->serp = calloc(HW_MAX_DEVS, sizeof(*h->serp));
	h->net = calloc(HW_MAX_DEVS, sizeof(*h->net));
	h->netp = calloc(HW_MAX_DEVS, sizeof(*h->netp));
	h->parent = calloc(HW_MAX_DEVS * 3, sizeof(*h->parent));
	h->pciaddr = calloc(HW_MAX_DEVS * 4, sizeof(*h->pciaddr));
	h->usbaddr = calloc(HW_MAX_DEVS * 2, sizeof(*h->usbaddr));
	h->misc = calloc(4 + 2 * HW_MAX_CPUS, sizeof(*h->misc));
	h->miscp = calloc(4 + 2 * HW_MAX_CPUS, sizeof(*h->miscp));
	if (!h->cpu || !h->cpup || !h->socket || !h->core || !h->pci || !h->pcip || !h->usb || !h->usbp ||
	    !h->ser || !h->serp || !h->net || !h->netp || !h->parent || !h->pciaddr || !h->usbaddr ||
	    !h->misc || !h->miscp)
		return -ENOMEM;
	return 0;
}

static int hw_digest(const Org__Lfedge__Eve__Info__ZInfoHardware *zh, uint8_t digest[32])
{
	uint8_t *p;
	size_t n;
	int r = pbpack(&zh->base, 0, &p, &n);

	if (r < 0)
		return r;
	r = crypto_sha256(p, n, digest);
	free(p);
	return r;
}

int hwinv_info(const struct hwinv_src *s, const char *dev_uuid, uint8_t **out, size_t *len,
	       uint8_t digest[32])
{
	Org__Lfedge__Eve__Info__ZInfoMsg msg = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INIT;
	Google__Protobuf__Timestamp now = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	struct hw h = {.s = s};
	char path[PATH_MAX];
	uint8_t *cpuinfo = NULL;
	size_t cilen = 0;
	int r;

	org__lfedge__eve__info__zinfo_hardware__init(&h.zh);
	org__lfedge__eve__info__hardware_inventory__init(&h.inv);
	org__lfedge__eve__info__cpuinfo__init(&h.ci);
	org__lfedge__eve__info__tpm__init(&h.tpm);
	r = hw_alloc(&h);
	if (r < 0)
		goto out;
	hw_path(path, sizeof(path), s->procfs, "cpuinfo%s%s", "", "");
	if (fileio_read(path, HW_CPUINFO_MAX, &cpuinfo, &cilen) < 0)
		cpuinfo = NULL;
	scan_cpus(&h, cpuinfo ? (char *)cpuinfo : "");
	cpu_topology(&h);
	scan_pci(&h);
	scan_usb(&h);
	scan_serial(&h);
	scan_net(&h);
	node_summary(&h);
	h.inv.misc = h.miscp;
	h.inv.n_misc = h.n_misc;
	h.zh.inventory = &h.inv;
	msg.ztype = ORG__LFEDGE__EVE__INFO__ZINFO_TYPES__ZiHardware;
	msg.devid = (char *)(dev_uuid ? dev_uuid : "");
	msg.info_content_case = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_HWINFO;
	msg.hwinfo = &h.zh;
	now.seconds = time(NULL);
	msg.attimestamp = &now;
	if (digest && (r = hw_digest(&h.zh, digest)) < 0)
		goto out;
	r = pbpack(&msg.base, 0, out, len);
out:
	free(cpuinfo);
	hw_free(&h);
	return r;
}
