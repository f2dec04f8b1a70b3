// SPDX-License-Identifier: Apache-2.0
/* Private state of the runtime, shared by runtime.c (worker thread,
 * reconcile loop) and its parts: rt_content.c (downloads), rt_volume.c
 * (volumes), rt_app.c (apps on libvirt), rt_netinst.c (network instances),
 * rt_report.c (ZInfo messages). Everything here is touched only by the
 * worker thread unless marked otherwise. */
#ifndef EVE_RT_INTERNAL_H
#define EVE_RT_INTERNAL_H

#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <libvirt/libvirt.h>

#include "blobstore.h"
#include "hv.h"
#include "imgsig.h"
#include "rt_props.h"
#include "registry.h"
#include "runtime.h"
#include "uuidgen.h"

#define RT_ID_MAX 64
#define RT_ERR_MAX 512
#define RT_LINE_MAX 4096
#define RT_MAX_LEASES 64

typedef Org__Lfedge__Eve__Config__EdgeDevConfig rt_config;
typedef Org__Lfedge__Eve__Config__ContentTree rt_ct_cfg;
typedef Org__Lfedge__Eve__Config__Volume rt_vol_cfg;
typedef Org__Lfedge__Eve__Config__AppInstanceConfig rt_app_cfg;
typedef Org__Lfedge__Eve__Config__NetworkInstanceConfig rt_ni_cfg;

/* What was last reported for an object, to report only changes. */
struct rt_rep {
	bool sent;
	int state;
	unsigned pct;
	char err[RT_ERR_MAX];
};

struct rt_fw_app;

enum { RT_JOB_NONE, RT_JOB_RUNNING, RT_JOB_DONE };

struct rt_ct {
	char uuid[RT_ID_MAX];
	char sha[BLOBSTORE_HEX_LEN]; /* lower-case */
	char *url;
	char *name;
	int format; /* Org__Lfedge__Eve__Config__Format */
	uint64_t max;
	int64_t gen;
	char *ca; /* PEM roots for this datastore */
	size_t ca_len;
	/* OCI registry datastore (DsContainerRegistry): the image reference,
	 * credentials, the configured digest pin ("" = resolve the tag) and,
	 * once pulled, every blob of the image (sha = its manifest). */
	bool oci;
	bool pulled;
	char *ref, *user, *pass;
	char pin[BLOBSTORE_HEX_LEN];
	char latched[BLOBSTORE_HEX_LEN]; /* digest the tag resolved to (kept on disk) */
	char (*comps)[BLOBSTORE_HEX_LEN];
	size_t n_comps;
	_Atomic uint64_t job_have; /* bytes present (pull progress) */
	struct registry_image job_img;
	int state; /* ZSwState */
	unsigned pct;
	char err[RT_ERR_MAX];
	uint64_t size;
	/* download job: the thread writes only the atomics and job_* */
	pthread_t th;
	int job;
	atomic_int job_phase; /* ZSwState the job is in */
	atomic_uint job_pct;
	atomic_int job_done;
	atomic_int cancel;
	int job_rc;
	char job_err[RT_ERR_MAX];
	char *job_partial, *job_url;
	long job_stall_s;                         /* timer.download.stalled when the job started */
	const struct download_router *job_router; /* the runtime's (runtime_opts.router) */
	struct blobstore *job_bs;
	uint64_t next_try;
	unsigned fails;
	int seen_phase; /* last phase turned into a state */
	/* publisher signature (imgsig.c): the job's verdict, and what is
	 * reported with the content tree ("" when the policy is off) */
	struct imgsig_job job_sig;
	struct imgsig_detached detached; /* HTTP(S) images: the config's SignatureInfo */
	char *job_sigtmp;                /* scratch prefix for its certificates */
	char sig[IMGSIG_MSG_MAX];
	int sig_sev;           /* ErrorInfo severity of sig: NOTICE verified, WARNING not */
	int judged_pol;        /* the policy the last pull was judged under */
	uint64_t judged_trust; /* and the trust store (imgsig_trust_digest) */
	uint64_t job_trust;    /* the trust store when the job started */
	bool sig_refused;      /* and it refused the image */
	struct rt_rep rep;
	bool mark;
};

/* RT_VOL_FS: a raw file holding an ext4 filesystem of the volume's size,
 * a container's blank data volume (loop-mounted at its mount point). */
enum rt_vol_kind { RT_VOL_DISK, RT_VOL_CDROM, RT_VOL_ROOTFS, RT_VOL_FS };

struct rt_vol {
	char uuid[RT_ID_MAX];
	char ct[RT_ID_MAX]; /* content tree uuid, "" for blank */
	char *name;
	int64_t gen;
	uint64_t maxsize;
	bool readonly;
	int state;
	char err[RT_ERR_MAX];
	bool ready;
	enum rt_vol_kind kind;
	char *path;      /* disk file, blob (cdrom) or rootfs dir */
	const char *fmt; /* "qcow2" / "raw" */
	char *image;     /* blob the volume came from (kernel extraction) */
	uint64_t next_try;
	struct rt_rep rep;
	bool mark;
	uint64_t used;     /* bytes the volume takes on disk (measured) */
	uint64_t used_rep; /* used as last reported in ZInfoVolume */
	uint64_t used_at;  /* when used was measured (ms) */
	uint64_t build;    /* changes each time the volume is (re)built */
	char link[64];     /* short symlink to path for libvirt's loop (or "") */
	/* rt_rollback.c: an update of its app on trial, or rolled back */
	bool rb_loaded;                    /* its rollback state read from disk */
	uint64_t trial_until;              /* ms: the update's trial ends (0 = none) */
	unsigned trial_fails;              /* the app's failures seen in the trial */
	int trial_seen;                    /* the app's state at the last look */
	bool rolled;                       /* runs the image from before a failed update */
	char rolled_ver[64];               /* the app version that ran that image */
	char failed_ct[RT_ID_MAX];         /* the update's content tree ... */
	char failed_ver[64];               /* ... and app version, not run again */
	char rolled_why[RT_ERR_MAX];       /* why, as reported */
	char kept_blob[BLOBSTORE_HEX_LEN]; /* the old image's blob, kept ("" = none) */
};

struct rt_app {
	char uuid[RT_ID_MAX];
	char dom[RT_ID_MAX + 8]; /* "eve-<uuid>" */
	char *name;
	char *version;
	const rt_app_cfg *cfg; /* points into rt->cfg */
	const struct hv_ops *hv;
	int state;
	char err[RT_ERR_MAX];
	bool want_run;
	bool we_started;        /* the domain was started by this runtime */
	uint64_t vol_sig;       /* rt_volume_sig when it was started */
	uint64_t halting_since; /* ms, 0 = not halting */
	uint64_t boot_time;     /* unix seconds */
	uint32_t restart_done, purge_done;
	bool counters_loaded;
	unsigned crashes;
	uint64_t next_start;    /* ms; backoff after a crash or failure */
	uint64_t running_since; /* ms */
	unsigned net_sig;       /* changes when the app's IPs change: re-report */
	uint64_t pm_retry;      /* rt_portmap.c: ms of the next try after a failure */
	/* console */
	int con_fd;
	bool con_pty;
	char line[RT_LINE_MAX];
	size_t line_len;
	struct rt_rep rep;
	bool mark;
	/* rt_rollback.c: the update was rolled back on the device */
	const char *rolled_ver; /* the version that runs (NULL = a->version) */
	char rolled_why[RT_ERR_MAX];
};

struct rt_ni {
	char uuid[RT_ID_MAX];
	char net[RT_ID_MAX]; /* libvirt network name */
	char bridge[16];
	char *name;
	char *version;
	int type; /* ZNetworkInstType */
	char gw[64];
	char subnet[64];
	int state; /* ZNetworkInstanceState */
	char err[RT_ERR_MAX];
	char xml_hash[BLOBSTORE_HEX_LEN];
	/* DHCP leases of the network (refreshed every pass) */
	struct rt_lease {
		char mac[18];
		char ip[46];
	} leases[RT_MAX_LEASES];
	size_t n_leases;
	unsigned lease_sig;   /* changes when the leases change: re-report */
	uint64_t dns_retry;   /* rt_dns.c: ms of the next try after a failure */
	uint64_t dns_log_off; /* rt_flowlog.c: bytes of the DNS log read */
	struct rt_rep rep;
	bool mark;
};

/* The libvirt drivers the runtime uses, one connection each. */
enum rt_hv {
	RT_HV_QEMU = HV_DRIVER_QEMU,
	RT_HV_LXC = HV_DRIVER_LXC,
	RT_HV_XEN = HV_DRIVER_XEN,
	RT_HV_N = HV_DRIVER_N
};
#define RT_CONSOLE_HELD_MAX 16

struct rt_metric_dom {
	char uuid[RT_ID_MAX];
	char dom[RT_ID_MAX + 8];
	char *name;
	enum rt_hv hv;
	const char *disk_type; /* its backend's hv_ops.disk_type (static) */
	char ip[64];           /* address leased to its first adapter, "" when none */
};

/* One volume's size for ZMetricVolume (rt_volume_metrics). */
struct rt_metric_vol {
	char uuid[RT_ID_MAX];
	char name[128];
	uint64_t used, max;
};

struct runtime {
	char *state_dir, *apps_dir, *vols_dir;
	char *dns_resolv; /* upstream DNS servers of network instances (rt_dns.c) */
	char *uris[RT_HV_N];
	bool has_xen;                         /* the node runs Xen: VMs go to the libxl driver */
	char *ca_pem;                         /* opts->ca_path contents */
	char *trust_dir;                      /* publisher keys (imgsig.c), NULL: none */
	const struct download_router *router; /* the downloads' routes (runtime_opts) */
	int sig_floor;                        /* local floor of images.signatures */
	uint64_t trust_digest;                /* imgsig_trust_digest(trust_dir), checked every pass */
	uint64_t trust_checked;               /* rt_now_ms() of that check */
	size_t ca_len;
	runtime_report_fn report;
	runtime_log_fn log;
	void *ctx;

	pthread_t th;
	pthread_mutex_t mu; /* guards pending, stop */
	pthread_cond_t cv;
	bool stop;
	rt_config *pending;
	rt_config *cfg;

	struct blobstore *bs;
	virConnectPtr conns[RT_HV_N];

	struct rt_ct **cts;
	size_t n_cts;
	struct rt_vol **vols;
	size_t n_vols;
	struct rt_app **apps;
	size_t n_apps;
	struct rt_ni **nis;
	size_t n_nis;
	struct rt_fw_app **fws;     /* rt_firewall.c: per-app rule state */
	struct rt_flowlog *flowlog; /* rt_flowlog.c (its queue has its own lock) */
	size_t n_fws;
	bool first_pass_done;
	struct rt_props props; /* config properties of rt->cfg (rt_props.c) */
	bool gc_due;           /* blob GC postponed until registry pulls finish */

	/* metrics: a snapshot the worker publishes, read under mmu */
	pthread_mutex_t mmu;
	struct rt_metric_vol *mvols; /* rt_volume.c publishes, under mmu */
	size_t n_mvols;
	struct rt_metric_dom *mdoms;
	size_t n_mdoms;
	virConnectPtr mconns[RT_HV_N];
	/* rt_console.c: apps whose console a remote session holds (under mmu);
	 * the console reader leaves them alone meanwhile */
	char held[RT_CONSOLE_HELD_MAX][RT_ID_MAX];

	const char *hvs[5];
	/* rt_app_stop (set by runtime_new): how a file below rt_app.c
	 * (rt_volume_snap.c) stops an app without calling up into it */
	void (*app_stop)(struct runtime *rt, const char *uuid);
	/* rt_refuse.c: apps not to start (runtime_refuse); pending under mu,
	 * ref the worker's copy */
	struct rt_refusals *ref_pending, *ref;
	bool ref_changed;
};

/* rt_refuse.c (worker thread; take under rt->mu) */
/* Take the pending set: true when it changed. */
bool rt_refuse_take(struct runtime *rt);
/* Why every app is held (the volume vault is locked), or NULL. */
const char *rt_refuse_all(const struct runtime *rt);
/* Why app uuid must not start, or NULL. */
const char *rt_refuse_why(const struct runtime *rt, const char *uuid);
void rt_refuse_free(struct runtime *rt);

/* rt_util.c (a leaf) */
uint64_t rt_now_ms(void);
void rt_seterr(char *dst, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Connection for a driver (kept open, reconnected when it died). */
int rt_conn(struct runtime *rt, enum rt_hv hv, virConnectPtr *out, char *err, size_t errlen);
enum rt_hv rt_hv_of(const struct hv_ops *ops);
/* The backend for VMs on this node: xen where Xen runs, else qemu. */
const struct hv_ops *rt_vm_ops(const struct runtime *rt);
/* The MAC the runtime gives adapter idx of app uuid (unless configured). */
void rt_app_mac(const char *uuid, size_t idx, const char *configured, char out[18]);

/* rt_state.c (a leaf): lookups in struct runtime; NULL when not found. */
struct rt_ni *rt_netinst_find(struct runtime *rt, const char *uuid);
struct rt_vol *rt_volume_find(struct runtime *rt, const char *uuid);
/* IP leased to mac on any network instance, NULL if none. */
const char *rt_netinst_ip(struct runtime *rt, const char *mac);

/* rt_console.c: true while a remote console session holds app uuid's
 * console (takes mmu). */
bool rt_console_held(struct runtime *rt, const char *uuid);

/* rt_props.c: take the properties of rt->cfg; a shorter retry takes
 * effect on waits already scheduled, a check turned off or relaxed retries
 * what it refused at once. */
void rt_props_update(struct runtime *rt, uint64_t now_ms);

/* rt_content.c: start/poll downloads; state of each content tree. */
void rt_content_sync(struct runtime *rt);
struct rt_ct *rt_content_find(struct runtime *rt, const char *uuid);
void rt_content_free(struct rt_ct *c);

/* rt_volume.c */
void rt_volume_sync(struct runtime *rt);
/* A container's data volume v as a mount at ref's mount_dir into *m
 * (pointers into v and ref). -EINVAL (reason in err) without an absolute
 * mount point. A filesystem image whose path is too long for the loop
 * device's name (libvirt copies it into 64 bytes) is given through a short
 * symlink under RT_VOL_LINK_DIR. */
int rt_volume_mount(struct rt_vol *v, const Org__Lfedge__Eve__Config__VolumeRef *ref, struct hv_mount *m,
		    char *err, size_t errlen);
/* A container mounts filesystems, a VM attaches disks: -EINVAL (reason in
 * err) for a disk volume on a container or a filesystem volume on a VM. */
/* Fill m->vm (ZMetricVolume per volume) from the published snapshot;
 * rt_volume_metrics_release frees it. Caller's thread. */
int rt_volume_metrics(struct runtime *rt, Org__Lfedge__Eve__Metrics__ZMetricMsg *m);
void rt_volume_metrics_release(Org__Lfedge__Eve__Metrics__ZMetricMsg *m);
/* A value that changes when any volume app refers to is rebuilt (a new
 * image, a purge): a running app is restarted on its new volumes. */
uint64_t rt_volume_sig(struct runtime *rt, const rt_app_cfg *app);
/* rt_volume_snap.c: before an app's image volume moves from old_ct to
 * new_ct, stop the app, snapshot its data volumes (snap-<old_ct>) and
 * restore those that have a snapshot of new_ct (a return to an earlier
 * image). */
void rt_volume_image_change(struct runtime *rt, const struct rt_vol *img, const char *old_ct,
			    const char *new_ct);
/* The content tree the image volume uuid on disk was built from (its ready
 * marker) into ct; -ENOENT when none. */
int rt_volume_built_from(const struct runtime *rt, const char *uuid, char *ct, size_t n);
/* rt_app.c: stop the domain of app uuid now (no-op when not running). */
void rt_app_stop(struct runtime *rt, const char *uuid);
/* rt_volume_usage.c: measure each volume's bytes on disk (rate-limited)
 * and publish them for metrics. Worker thread. */
void rt_volume_usage(struct runtime *rt);
/* Free the published snapshot (runtime teardown). */
void rt_volume_metrics_free(struct runtime *rt);
/* A container's root volume as libvirt mounts it: the directory, or its
 * filesystem image (*loop; through a short link when its path is long). */
int rt_volume_root(struct rt_vol *v, const char **src, bool *loop, char *err, size_t errlen);
int rt_volume_spec_check(bool container, size_t n_disks, size_t n_mounts, char *err, size_t errlen);
void rt_volume_purge(struct runtime *rt, struct rt_vol *v);
/* The volume's ready marker (atomic), naming v->ct. */
int rt_volume_write_ready(const char *dir, const struct rt_vol *v);

/* rt_rollback.c: the device's own rollback of an app update
 * (timer.app.update.rollback). Worker thread only. */
/* The image volume img moves from old_ct to new_ct by config: keep its
 * built image aside and start the update's trial (when the timer is on). */
void rt_rollback_begin(struct runtime *rt, struct rt_vol *img, const char *old_ct);
/* The content tree the volume is to have: the one it was rolled back to
 * while the config still names the failed update, else cfg_ct (a new
 * generation from the controller ends the rollback). */
const char *rt_rollback_ct(struct runtime *rt, struct rt_vol *v, const char *cfg_ct);
/* A rolled-back volume not ready: finish putting its image back. */
void rt_rollback_restore(struct runtime *rt, struct rt_vol *v);
/* Watch the app's update on trial; roll it back when it fails. */
void rt_rollback_watch(struct runtime *rt, struct rt_app *a);
/* The volume left the config: drop what was kept for it. */
void rt_rollback_forget(struct runtime *rt, const struct rt_vol *v);
/* Remove kept images of volumes no longer in the config. */
void rt_rollback_gc(struct runtime *rt);

void rt_volume_free(struct rt_vol *v);

/* rt_app.c */
void rt_app_sync(struct runtime *rt);
void rt_app_consoles(struct runtime *rt);
void rt_app_free(struct rt_app *a);
void rt_app_remove_strays(struct runtime *rt);

/* rt_netinst.c */
void rt_netinst_sync(struct runtime *rt);
void rt_netinst_free(struct rt_ni *n);

/* rt_report.c: report an object when its state, progress or error changed. */
void rt_report_ct(struct runtime *rt, struct rt_ct *c);
void rt_report_vol(struct runtime *rt, struct rt_vol *v);
void rt_report_app(struct runtime *rt, struct rt_app *a);
void rt_report_ni(struct runtime *rt, struct rt_ni *n);

/* Files DIR/<uuid>.nft of apps that are gone (also while the agent was
 * down): remove(rt, uuid) for each uuid known(rt, uuid) denies. The
 * firewall and the port maps keep one such file per app. */
static inline void rt_sweep_nft(struct runtime *rt, const char *dirpath,
				bool (*known)(struct runtime *rt, const char *uuid),
				void (*remove)(struct runtime *rt, const char *uuid))
{
	char uuid[RT_ID_MAX];
	struct dirent *de;
	DIR *dir = opendir(dirpath);

	while (dir && (de = readdir(dir))) {
		size_t len = strlen(de->d_name);

		if (len < 5 || len - 4 >= sizeof(uuid) || strcmp(de->d_name + len - 4, ".nft") != 0)
			continue;
		snprintf(uuid, sizeof(uuid), "%.*s", (int)(len - 4), de->d_name);
		if (uuidgen_valid(uuid) && !known(rt, uuid))
			remove(rt, uuid);
	}
	if (dir)
		closedir(dir);
}

#endif
