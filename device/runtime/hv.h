// SPDX-License-Identifier: Apache-2.0
/* Hypervisor seam: one const struct hv_ops per libvirt driver (qemu, lxc,
 * xen) turns a neutral description of an app (struct hv_spec) into domain
 * XML; the libvirt calls shared by all of them (define, start, stop,
 * remove, adopt by name, state, console, metrics) live in hv.c. Library
 * code: returns 0 / negative errno with a message in err, never logs. */
#ifndef EVE_RT_HV_H
#define EVE_RT_HV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libvirt/libvirt.h>

#include "buf.h"

/* Cap of a generated domain XML. The runtime bounds what goes into a spec
 * (argv/env bytes, disk and NIC counts) so the XML always fits. */
#define HV_XML_MAX (8u << 20)
#define HV_SPEC_MAX_STRINGS_BYTES (256u << 10)
#define HV_SPEC_MAX_DEVS 32

struct hv_disk {
	const char *path;
	const char *format; /* "raw", "qcow2" */
	bool cdrom;
	bool readonly;
};

/* A container's data volume: source (a directory, or with loop a raw
 * filesystem image that libvirt loop-mounts) at target inside it. */
struct hv_mount {
	const char *source;
	const char *target;
	bool loop;
	bool readonly;
};

struct hv_nic {
	const char *network; /* libvirt network name (local NI), or NULL */
	const char *bridge;  /* host bridge (switch NI) when network is NULL */
	const char *mac;     /* "52:54:00:..", or NULL for libvirt's choice */
};

/* any-app: a host device assigned to a VM (I/O adapter). */
enum hv_hostdev_kind { HV_HOSTDEV_PCI, HV_HOSTDEV_USB, HV_HOSTDEV_SERIAL };
struct hv_hostdev {
	enum hv_hostdev_kind kind;
	unsigned domain, bus, slot, function; /* PCI; USB: bus + device (slot) */
	const char *path;                     /* serial: the host tty, e.g. /dev/ttyS1 */
};

struct hv_spec {
	const char *name;  /* domain name, "eve-<uuid>" */
	const char *uuid;  /* domain UUID = app UUID */
	const char *title; /* display name, may be NULL */
	unsigned vcpus;
	uint64_t memory_kib;
	uint64_t maxmem_kib; /* 0 = memory_kib */
	const char *cpuset;  /* pinning mask "0-1,3", may be NULL */
	bool pin_vcpus;      /* cpuset: vCPU i runs on its i-th CPU only (<cputune>) */
	/* UEFI firmware (qemu): code, NVRAM template and the app's own NVRAM
	 * copy; NULL code = the hypervisor's default (BIOS) */
	const char *uefi_code, *uefi_vars, *nvram;
	bool vnc;
	int vnc_display;         /* <0: auto port */
	bool vnc_all;            /* listen on all addresses (app.allow.vnc), else 127.0.0.1 */
	const char *console_log; /* VM serial console to this file */
	/* VMs */
	bool hvm;                              /* xen: HVM (true) or PV */
	const char *kernel, *initrd, *cmdline; /* direct kernel boot, may be NULL */
	const struct hv_disk *disks;
	size_t n_disks;
	const struct hv_nic *nics;
	size_t n_nics;
	const struct hv_hostdev *hostdevs; /* any-app: assigned adapters */
	size_t n_hostdevs;
	/* containers */
	const char *rootfs;
	bool rootfs_loop;  /* rootfs is a filesystem image of the app's storage size (loop-mounted) */
	char *const *argv; /* NULL-terminated, argv[0] = the app's command */
	/* The app's environment is never in the XML: init_dir (rt_init.h: the
	 * init shim and the environment file) is mounted read-only at
	 * RT_INIT_MOUNT and the shim starts argv with it. */
	const char *init_dir;
	const char *workdir;
	const struct hv_mount *mounts; /* data volumes (volumes.md) */
	size_t n_mounts;
};

/* The libvirt driver of a backend: the runtime keeps one connection per
 * driver (enum rt_hv in rt_internal.h takes these values). */
enum hv_driver { HV_DRIVER_QEMU, HV_DRIVER_LXC, HV_DRIVER_XEN, HV_DRIVER_N };

struct hv_ops {
	const char *name;        /* "qemu", "lxc", "xen" */
	enum hv_driver driver;   /* its libvirt driver */
	const char *disk_type;   /* an app's disk in metrics (ZMetricDisk.disktype) */
	const char *default_uri; /* qemu:///system ... */
	bool console_is_pty;     /* console read from a pty (else console_log) */
	/* Append the domain XML for s to out. -EINVAL when s lacks what this
	 * driver needs (err says what). */
	int (*domain_xml)(const struct hv_spec *s, struct buf *out, char *err, size_t errlen);
	/* True when libvirt calls d active but what runs it is gone (the
	 * runtime then powers it off and treats it as a crash); NULL: libvirt
	 * knows. */
	bool (*gone)(virDomainPtr d);
};

extern const struct hv_ops hv_qemu_ops;
extern const struct hv_ops hv_lxc_ops;
extern const struct hv_ops hv_xen_ops;

/* True when KVM really works here (CPU has VT-x/SVM and /dev/kvm opens);
 * the qemu backend then uses type='kvm', else TCG. */
bool hv_kvm_usable(void);
/* False when an active domain is stuck: crashed, or paused by an I/O or
 * emulation error (the runtime then treats it as a crash). */
bool hv_is_healthy(virDomainPtr d);

/* XML text helpers shared by the backends. */
void hv_xml_text(struct buf *b, const char *s);             /* escaped text */
void hv_xml_common(struct buf *b, const struct hv_spec *s); /* name..vcpu */
void hv_xml_nics(struct buf *b, const struct hv_spec *s, const char *model);
/* <cputune> with one <vcpupin> per vCPU when s->pin_vcpus (vCPU i on the
 * i-th CPU of s->cpuset). -EINVAL (err says why) when the set has fewer
 * CPUs than s->vcpus or does not parse. */
int hv_xml_cputune(struct buf *b, const struct hv_spec *s, char *err, size_t errlen);
/* <hostdev>s (PCI, USB) and <serial type='dev'> ports (COM adapters, guest
 * ports 1, 2, ... after the console on port 0) of s->hostdevs. */
void hv_xml_hostdevs(struct buf *b, const struct hv_spec *s);
/* One file-backed <disk>: a CD-ROM when cdrom, target dev/bus as given. */
void hv_xml_disk(struct buf *b, const struct hv_disk *d, bool cdrom, const char *dev, const char *bus);

/* Connect to uri (error text in err). Caller closes with virConnectClose. */
int hv_connect(const char *uri, virConnectPtr *out, char *err, size_t errlen);
/* Domain by name; -ENOENT if none. Caller frees with virDomainFree. */
int hv_lookup(virConnectPtr c, const char *name, virDomainPtr *out);
/* Define (persistent) and start a domain from xml. */
int hv_define_start(virConnectPtr c, const char *xml, virDomainPtr *out, char *err, size_t errlen);
/* Define only (replace the persistent definition). */
int hv_define(virConnectPtr c, const char *xml, char *err, size_t errlen);
/* Start a defined domain. */
int hv_start(virDomainPtr d, char *err, size_t errlen);
/* Ask the guest to shut down (ACPI / SIGTERM); does not wait. */
int hv_shutdown(virDomainPtr d);
/* Power off at once (no error if already off). */
int hv_destroy(virDomainPtr d);
/* Destroy and undefine the domain named name on c (no error if absent). */
int hv_remove(virConnectPtr c, const char *name);
/* True when the domain runs (or is paused/blocked). */
bool hv_is_active(virDomainPtr d);
/* Path of the domain's first console pty (caller frees); -ENOENT. */
int hv_console_pty(virDomainPtr d, char **out);

struct hv_stats {
	uint64_t cpu_ns;
	uint64_t mem_kib; /* current balloon / cgroup usage */
	uint64_t maxmem_kib;
	unsigned vcpus;
	uint64_t rd_bytes, wr_bytes, rd_req, wr_req;   /* all disks */
	uint64_t rx_bytes, tx_bytes, rx_pkts, tx_pkts; /* all interfaces */
};
int hv_stats(virDomainPtr d, struct hv_stats *st);

/* libvirt's last error as text (static buffer of libvirt). */
const char *hv_last_error(void);

#endif
