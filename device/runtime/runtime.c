// SPDX-License-Identifier: Apache-2.0
/* The runtime's worker thread (see runtime.h): takes the latest config
 * handed to runtime_apply and converges to it in passes: content trees
 * (downloads), network instances, volumes, apps; then removes what is no
 * longer configured and garbage-collects blobs. Reads app consoles between
 * passes. Publishes a list of running domains for runtime_metrics. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "fileio.h"
#include "monotime.h"
#include "pbpack.h"
#include "rt_dns.h"
#include "rt_firewall.h"
#include "rt_flowlog.h"
#include "rt_internal.h"
#include "rt_io.h"
#include "rt_portmap.h"

#define ST(x) ORG__LFEDGE__EVE__INFO__ZSW_STATE__##x
#define RT_TICK_MS 200
#define RT_BUSY_PASS_MS 250
#define RT_IDLE_PASS_MS 2000
#define RT_RECONNECT_MS 2000
#define RT_CFG_MAX (8u << 20)

/* ---- config copies -------------------------------------------------- */

static rt_config *config_copy(const rt_config *cfg)
{
	uint8_t *buf;
	rt_config *copy;
	size_t len;

	if (pbpack(&cfg->base, RT_CFG_MAX, &buf, &len) < 0)
		return NULL;
	copy = org__lfedge__eve__config__edge_dev_config__unpack(NULL, len, buf);
	free(buf);
	return copy;
}

static void config_free(rt_config *cfg)
{
	if (cfg)
		org__lfedge__eve__config__edge_dev_config__free_unpacked(cfg, NULL);
}

/* ---- worker ---------------------------------------------------------- */

static void gc_blobs(struct runtime *rt)
{
	const char **keep;
	size_t i, j, n = 0, cap = rt->n_cts + 2 * rt->n_vols + 1;

	for (i = 0; i < rt->n_cts; i++)
		cap += rt->cts[i]->n_comps;
	keep = calloc(cap, sizeof(*keep));
	if (!keep)
		return;
	rt->gc_due = false;
	for (i = 0; i < rt->n_cts; i++) {
		if (rt->cts[i]->sha[0])
			keep[n++] = rt->cts[i]->sha;
		/* An image pulled from a registry: its manifest, config, layers. */
		for (j = 0; j < rt->cts[i]->n_comps; j++)
			keep[n++] = rt->cts[i]->comps[j];
		/* A registry image not pulled (yet) in this run: its blobs are
		 * unknown until its manifest is read, so nothing is collected. */
		if (rt->cts[i]->oci && !rt->cts[i]->pulled) {
			rt->gc_due = true;
			free(keep);
			return;
		}
	}
	/* A volume's backing image stays while the volume exists, even when
	 * its content tree has left the config. */
	for (i = 0; i < rt->n_vols; i++) {
		const char *img = rt->vols[i]->image, *slash = img ? strrchr(img, '/') : NULL;

		if (slash)
			keep[n++] = slash + 1;
		/* the image from before an update on trial (rt_rollback.c) */
		if (rt->vols[i]->kept_blob[0])
			keep[n++] = rt->vols[i]->kept_blob;
	}
	blobstore_gc(rt->bs, keep, n);
	free(keep);
}

static void publish_metrics(struct runtime *rt)
{
	struct rt_metric_dom *m = calloc(rt->n_apps ? rt->n_apps : 1, sizeof(*m));
	size_t i, n = 0;

	if (!m)
		return;
	for (i = 0; i < rt->n_apps; i++) {
		const struct rt_app *a = rt->apps[i];

		if (a->state != ST(RUNNING) || !a->hv)
			continue;
		snprintf(m[n].uuid, sizeof(m[n].uuid), "%s", a->uuid);
		snprintf(m[n].dom, sizeof(m[n].dom), "%s", a->dom);
		m[n].name = strdup(a->name ? a->name : "");
		m[n].hv = rt_hv_of(a->hv);
		m[n].disk_type = a->hv->disk_type;
		if (a->cfg && a->cfg->n_interfaces) {
			char mac[18];
			const char *ip;

			rt_app_mac(a->uuid, 0, a->cfg->interfaces[0]->macaddress, mac);
			ip = rt_netinst_ip(rt, mac);
			snprintf(m[n].ip, sizeof(m[n].ip), "%s", ip ? ip : "");
		}
		n++;
	}
	pthread_mutex_lock(&rt->mmu);
	for (i = 0; i < rt->n_mdoms; i++)
		free(rt->mdoms[i].name);
	free(rt->mdoms);
	rt->mdoms = m;
	rt->n_mdoms = n;
	pthread_mutex_unlock(&rt->mmu);
}

/* Anything still moving: poll faster. */
static bool busy(const struct runtime *rt)
{
	size_t i;

	for (i = 0; i < rt->n_cts; i++)
		if (rt->cts[i]->job == RT_JOB_RUNNING)
			return true;
	for (i = 0; i < rt->n_apps; i++) {
		int s = rt->apps[i]->state;

		if (s != ST(RUNNING) && s != ST(HALTED))
			return true;
	}
	return false;
}

/* A publisher key added or removed (config dir image-trust/, or the
 * controller's keys): every image is judged again under the new store
 * (rt_content.c), and an app whose image it now refuses stops (rt_app.c). */
static void check_trust(struct runtime *rt, bool new_cfg)
{
	uint64_t now = rt_now_ms(), d;

	if (rt->props.sig_policy == COSIGN_POLICY_OFF ||
	    (!new_cfg && rt->trust_checked && now - rt->trust_checked < RT_IDLE_PASS_MS))
		return;
	rt->trust_checked = now;
	d = imgsig_trust_digest(rt->trust_dir);
	if (d == rt->trust_digest)
		return;
	rt->trust_digest = d;
	for (size_t i = 0; i < rt->n_cts; i++)
		rt->cts[i]->next_try = now;
}

static void pass(struct runtime *rt, bool new_cfg)
{
	check_trust(rt, new_cfg);
	rt_content_sync(rt);
	rt_netinst_sync(rt);
	rt_firewall_sync(rt);   /* before the apps: none starts without its rules */
	rt_dns_sync(rt);        /* after the rules: it fills their host sets */
	if (!rt_refuse_all(rt)) /* a locked vault: its volumes are not there */
		rt_volume_sync(rt);
	rt_app_sync(rt);
	rt_portmap_sync(rt); /* after the apps: their states and leases are fresh */
	rt_flowlog_sync(rt);
	if (new_cfg || !rt->first_pass_done) {
		rt_io_usb_policy(rt->cfg, "/sys"); /* any-app: disabled USB ports blocked */
		if (!rt_refuse_all(rt))
			rt_app_remove_strays(rt);
		gc_blobs(rt);
		rt->first_pass_done = true;
	} else if (rt->gc_due) {
		gc_blobs(rt);
	}
	rt_firewall_gc(rt); /* after the apps that left are gone */
	publish_metrics(rt);
}

static void *worker(void *arg)
{
	struct runtime *rt = arg;
	uint64_t next_pass = 0;
	struct timespec ts;

	pthread_mutex_lock(&rt->mu);
	while (!rt->stop) {
		rt_config *fresh = rt->pending, *old = NULL;
		bool refused = rt_refuse_take(rt);

		rt->pending = NULL;
		pthread_mutex_unlock(&rt->mu);
		if (fresh) {
			old = rt->cfg;
			rt->cfg = fresh;
			rt_props_update(rt, rt_now_ms());
		}
		if (rt->cfg && (fresh || refused || rt_now_ms() >= next_pass)) {
			pass(rt, fresh != NULL);
			next_pass = rt_now_ms() + (busy(rt) ? RT_BUSY_PASS_MS : RT_IDLE_PASS_MS);
		}
		config_free(old); /* nothing points into it after a pass */
		rt_app_consoles(rt);
		pthread_mutex_lock(&rt->mu);
		if (rt->stop || rt->pending)
			continue;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += RT_TICK_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&rt->cv, &rt->mu, &ts);
	}
	pthread_mutex_unlock(&rt->mu);
	return NULL;
}

/* ---- public API ------------------------------------------------------ */

static void detect_hypervisors(struct runtime *rt)
{
	uint8_t *t = NULL;
	size_t len, n = 0;

	if (hv_kvm_usable())
		rt->hvs[n++] = "kvm";
	rt->hvs[n++] = "qemu";
	rt->hvs[n++] = "lxc";
	if (fileio_read("/sys/hypervisor/type", 64, &t, &len) == 0 && strncmp((char *)t, "xen", 3) == 0) {
		rt->hvs[n++] = "xen";
		rt->has_xen = true;
	}
	free(t);
	rt->hvs[n] = NULL;
}

static int dup_or(char **dst, const char *s, const char *def)
{
	*dst = strdup(s ? s : def);
	return *dst ? 0 : -ENOMEM;
}

void runtime_free(struct runtime *rt)
{
	size_t i;

	if (!rt)
		return;
	if (rt->th) {
		pthread_mutex_lock(&rt->mu);
		rt->stop = true;
		pthread_cond_signal(&rt->cv);
		pthread_mutex_unlock(&rt->mu);
		pthread_join(rt->th, NULL);
	}
	for (i = 0; i < rt->n_cts; i++)
		rt_content_free(rt->cts[i]);
	for (i = 0; i < rt->n_vols; i++)
		rt_volume_free(rt->vols[i]);
	for (i = 0; i < rt->n_apps; i++)
		rt_app_free(rt->apps[i]);
	for (i = 0; i < rt->n_nis; i++)
		rt_netinst_free(rt->nis[i]);
	for (i = 0; i < rt->n_mdoms; i++)
		free(rt->mdoms[i].name);
	free(rt->mdoms);
	rt_volume_metrics_free(rt);
	rt_refuse_free(rt);
	free(rt->cts);
	free(rt->vols);
	free(rt->apps);
	free(rt->nis);
	rt_firewall_free(rt);
	rt_flowlog_free(rt->flowlog);
	config_free(rt->cfg);
	config_free(rt->pending);
	for (i = 0; i < RT_HV_N; i++) {
		if (rt->conns[i])
			virConnectClose(rt->conns[i]);
		if (rt->mconns[i])
			virConnectClose(rt->mconns[i]);
		free(rt->uris[i]);
	}
	blobstore_free(rt->bs);
	free(rt->state_dir);
	free(rt->dns_resolv);
	free(rt->apps_dir);
	free(rt->vols_dir);
	free(rt->ca_pem);
	free(rt->trust_dir);
	pthread_mutex_destroy(&rt->mu);
	pthread_mutex_destroy(&rt->mmu);
	pthread_cond_destroy(&rt->cv);
	free(rt);
}

static int runtime_dirs(struct runtime *rt, const struct runtime_opts *o)
{
	int r;

	if (dup_or(&rt->state_dir, o->state_dir, "/persist/runtime") < 0 ||
	    dup_or(&rt->dns_resolv, o->dns_resolv, "/etc/resolv.conf") < 0 ||
	    asprintf(&rt->apps_dir, "%s/apps", rt->state_dir) < 0 ||
	    asprintf(&rt->vols_dir, "%s/volumes", rt->state_dir) < 0)
		return -ENOMEM;
	r = fileio_mkdirs(rt->apps_dir, 0755);
	if (r == 0)
		r = fileio_mkdirs(rt->vols_dir, 0755);
	if (r == 0)
		r = blobstore_open(rt->state_dir, &rt->bs);
	return r;
}

int runtime_new(const struct runtime_opts *o, runtime_report_fn report, runtime_log_fn log, void *ctx,
		struct runtime **out)
{
	struct runtime *rt = calloc(1, sizeof(*rt));
	int r;

	if (!rt)
		return -ENOMEM;
	pthread_mutex_init(&rt->mu, NULL);
	pthread_mutex_init(&rt->mmu, NULL);
	pthread_cond_init(&rt->cv, NULL);
	rt_props_load(&rt->props, NULL);
	rt->report = report;
	rt->log = log;
	rt->ctx = ctx;
	rt->app_stop = rt_app_stop;
	r = runtime_dirs(rt, o);
	if (r == 0 && (dup_or(&rt->uris[RT_HV_QEMU], o->libvirt_uri, hv_qemu_ops.default_uri) < 0 ||
		       dup_or(&rt->uris[RT_HV_LXC], o->lxc_uri, hv_lxc_ops.default_uri) < 0 ||
		       dup_or(&rt->uris[RT_HV_XEN], NULL, hv_xen_ops.default_uri) < 0))
		r = -ENOMEM;
	rt->sig_floor = o->sig_floor;
	rt->router = o->router;
	if (r == 0 && o->trust_dir && !(rt->trust_dir = strdup(o->trust_dir)))
		r = -ENOMEM;
	if (r == 0 && o->ca_path) {
		uint8_t *pem = NULL;

		r = fileio_read(o->ca_path, 1u << 20, &pem, &rt->ca_len);
		rt->ca_pem = (char *)pem;
	}
	detect_hypervisors(rt);
	if (r == 0 && pthread_create(&rt->th, NULL, worker, rt) != 0)
		r = -EAGAIN;
	if (r < 0) {
		runtime_free(rt);
		return r;
	}
	*out = rt;
	return 0;
}

int runtime_apply(struct runtime *rt, const rt_config *cfg)
{
	rt_config *copy = config_copy(cfg);

	if (!copy)
		return -ENOMEM;
	pthread_mutex_lock(&rt->mu);
	config_free(rt->pending);
	rt->pending = copy;
	pthread_cond_signal(&rt->cv);
	pthread_mutex_unlock(&rt->mu);
	return 0;
}

const char *const *runtime_hypervisors(struct runtime *rt)
{
	return rt->hvs;
}
