// SPDX-License-Identifier: Apache-2.0
/* Content trees: one download thread per missing blob (download, then
 * SHA-256 verification into the blob store); retries with backoff; the
 * worker turns job phases into ZSwState reports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "download.h"
#include "fileio.h"
#include "err.h"
#include "rt_internal.h"

#define CT_RETRY_MIN_MS 2000
#define ST(x) ORG__LFEDGE__EVE__INFO__ZSW_STATE__##x

static void on_progress(void *ctx, uint64_t have, uint64_t total)
{
	struct rt_ct *c = ctx;

	if (total)
		atomic_store(&c->job_pct, (unsigned)(have * 100 / total));
}

/* The publisher signature (SignatureInfo) of a verified HTTP(S) blob. */
static int ct_job_sig(struct rt_ct *c)
{
	if (c->job_sig.pol == COSIGN_POLICY_OFF)
		return 0;
	if (!c->job_sigtmp)
		return -ENOMEM;
	return imgsig_check_blob(&c->job_sig, c->sha, &c->detached, c->ca, c->ca_len, c->job_sigtmp,
				 c->job_err, sizeof(c->job_err));
}

static void *ct_job(void *arg)
{
	struct rt_ct *c = arg;
	char got[BLOBSTORE_HEX_LEN] = "";
	struct download_opts o = {
	    .url = c->job_url,
	    .dest = c->job_partial,
	    .max_size = c->max,
	    .ca_pem = c->ca,
	    .ca_pem_len = c->ca_len,
	    .stall_secs = c->job_stall_s,
	    .progress = on_progress,
	    .ctx = c,
	    .cancel = &c->cancel,
	    .router = c->job_router,
	};
	int r;

	atomic_store(&c->job_phase, ST(DOWNLOAD_STARTED));
	if (blobstore_has(c->job_bs, c->sha)) { /* here already: only its signature is judged */
		c->job_rc = ct_job_sig(c);
		atomic_store(&c->job_done, 1);
		return NULL;
	}
	r = download_file(&o, c->job_err, sizeof(c->job_err));
	if (r == -EVE_ETOOBIG)
		unlink(c->job_partial);
	if (r == 0) {
		atomic_store(&c->job_phase, ST(VERIFYING));
		r = blobstore_commit(c->job_bs, c->job_partial, c->sha, got);
		if (r == -EVE_EHASH)
			snprintf(c->job_err, sizeof(c->job_err),
				 "sha256 mismatch for %s: expected %s, got %s (blob deleted)", c->job_url,
				 c->sha, got);
		else if (r < 0)
			snprintf(c->job_err, sizeof(c->job_err), "storing blob: %s", eve_strerror(r));
	}
	if (r == 0)
		r = ct_job_sig(c);
	c->job_rc = r;
	atomic_store(&c->job_done, 1);
	return NULL;
}

static void on_pull_progress(void *ctx, uint64_t have, uint64_t total)
{
	struct rt_ct *c = ctx;

	atomic_store(&c->job_have, have);
	if (total)
		atomic_store(&c->job_pct, (unsigned)(have * 100 / total));
}

/* A container image from an OCI registry: every blob verified on the way. */
static void *ct_pull_job(void *arg)
{
	struct rt_ct *c = arg;
	struct registry_pull_opts o = {
	    .ref = c->job_url,
	    .pin = c->pin[0]       ? c->pin
		   : c->latched[0] ? c->latched
				   : NULL,
	    .user = c->user,
	    .password = c->pass,
	    .ca_pem = c->ca,
	    .ca_len = c->ca_len,
	    .max_size = c->max,
	    .stall_secs = c->job_stall_s,
	    .bs = c->job_bs,
	    .progress = on_pull_progress,
	    .ctx = c,
	    .cancel = &c->cancel,
	    .sig_check = c->job_sig.pol != COSIGN_POLICY_OFF ? imgsig_check : NULL,
	    .sig_ctx = &c->job_sig,
	    .router = c->job_router,
	};

	atomic_store(&c->job_phase, ST(DOWNLOAD_STARTED));
	c->job_rc = registry_pull(&o, &c->job_img, c->job_err, sizeof(c->job_err));
	if (c->job_rc == 0)
		atomic_store(&c->job_phase, ST(VERIFIED));
	atomic_store(&c->job_done, 1);
	return NULL;
}

static const Org__Lfedge__Eve__Config__DatastoreConfig *find_ds(const rt_config *cfg, const rt_ct_cfg *t)
{
	const char *id = t->n_ds_ids_list ? t->ds_ids_list[0] : t->dsid;
	size_t i;

	for (i = 0; id && i < cfg->n_datastores; i++)
		if (cfg->datastores[i]->id && strcmp(cfg->datastores[i]->id, id) == 0)
			return cfg->datastores[i];
	return NULL;
}

/* fqdn [/dpath] /URL with single slashes between the parts. */
static char *make_url(const Org__Lfedge__Eve__Config__DatastoreConfig *ds, const char *rel)
{
	const char *fq = ds->fqdn ? ds->fqdn : "", *dp = ds->dpath ? ds->dpath : "";
	size_t fl = strlen(fq), dl;
	char *u = NULL;

	while (fl && fq[fl - 1] == '/')
		fl--;
	while (*dp == '/')
		dp++;
	dl = strlen(dp);
	while (dl && dp[dl - 1] == '/')
		dl--;
	while (*rel == '/')
		rel++;
	if (strstr(fq, "://") == NULL)
		return NULL;
	if (asprintf(&u, "%.*s%s%.*s/%s", (int)fl, fq, dl ? "/" : "", (int)dl, dp, rel) < 0)
		return NULL;
	return u;
}

/* PEM roots: the runtime's CA file plus the datastore's dsCertPEM. */
static void make_ca(struct runtime *rt, const Org__Lfedge__Eve__Config__DatastoreConfig *ds, struct rt_ct *c)
{
	size_t i, len = rt->ca_len;
	char *p;

	for (i = 0; i < ds->n_dscertpem; i++)
		len += ds->dscertpem[i].len + 1;
	if (len == 0)
		return;
	c->ca = malloc(len + 1);
	if (!c->ca)
		return;
	p = c->ca;
	if (rt->ca_len) {
		memcpy(p, rt->ca_pem, rt->ca_len);
		p += rt->ca_len;
	}
	for (i = 0; i < ds->n_dscertpem; i++) {
		memcpy(p, ds->dscertpem[i].data, ds->dscertpem[i].len);
		p += ds->dscertpem[i].len;
		*p++ = '\n';
	}
	*p = '\0';
	c->ca_len = (size_t)(p - c->ca);
}

static void ct_job_stop(struct rt_ct *c)
{
	if (c->job == RT_JOB_NONE)
		return;
	atomic_store(&c->cancel, 1);
	pthread_join(c->th, NULL);
	c->job = RT_JOB_NONE;
	atomic_store(&c->cancel, 0);
	registry_image_clear(&c->job_img);
}

static void ct_oci_clear(struct rt_ct *c)
{
	free(c->ref);
	if (c->pass)
		explicit_bzero(c->pass, strlen(c->pass));
	free(c->user);
	free(c->pass);
	free(c->comps);
	c->ref = c->user = c->pass = NULL;
	c->comps = NULL;
	c->n_comps = 0;
	c->oci = c->pulled = false;
	c->pin[0] = c->latched[0] = '\0';
}

/* EVE latches the digest a tag resolved to for the content tree (until its
 * generation or reference changes): registry/<ct uuid> holds
 * "<generation> <sha256 hex> <reference>", so a restarted agent uses the
 * same image without asking the registry. */
static char *latch_path(const struct runtime *rt, const struct rt_ct *c)
{
	char *p = NULL;

	if (asprintf(&p, "%s/registry/%s", rt->state_dir, c->uuid) < 0)
		return NULL;
	return p;
}

static void latch_load(const struct runtime *rt, struct rt_ct *c)
{
	char *path = latch_path(rt, c), hex[BLOBSTORE_HEX_LEN], want[64];
	uint8_t *data = NULL;
	size_t len = 0, hl;

	c->latched[0] = '\0';
	if (!path || fileio_read(path, 4096, &data, &len) < 0) {
		free(path);
		return;
	}
	snprintf(want, sizeof(want), "%lld ", (long long)c->gen);
	hl = strlen(want);
	if (len > hl + 65 && strncmp((char *)data, want, hl) == 0 && data[hl + 64] == ' ' &&
	    strcmp((char *)data + hl + 65, c->ref) == 0) {
		memcpy(hex, data + hl, 64);
		hex[64] = '\0';
		if (blobstore_valid_hex(hex))
			snprintf(c->latched, sizeof(c->latched), "%s", hex);
	}
	free(data);
	free(path);
}

static void latch_save(const struct runtime *rt, const struct rt_ct *c)
{
	char *path = latch_path(rt, c), *text = NULL, dir[4096];
	int n;

	snprintf(dir, sizeof(dir), "%s/registry", rt->state_dir);
	n = asprintf(&text, "%lld %s %s", (long long)c->gen, c->sha, c->ref);
	if (path && n > 0 && fileio_mkdirs(dir, 0700) == 0)
		fileio_write_atomic(path, text, (size_t)n, 0600);
	free(text);
	free(path);
}

static void latch_drop(const struct runtime *rt, const struct rt_ct *c)
{
	char *path = latch_path(rt, c);

	if (path)
		unlink(path);
	free(path);
}

void rt_content_free(struct rt_ct *c)
{
	if (!c)
		return;
	ct_job_stop(c);
	ct_oci_clear(c);
	imgsig_detached_clear(&c->detached);
	free(c->job_sigtmp);
	free(c->url);
	free(c->name);
	free(c->ca);
	free(c->job_partial);
	free(c->job_url);
	free(c);
}

struct rt_ct *rt_content_find(struct runtime *rt, const char *uuid)
{
	size_t i;

	for (i = 0; uuid && i < rt->n_cts; i++)
		if (strcmp(rt->cts[i]->uuid, uuid) == 0)
			return rt->cts[i];
	return NULL;
}

/* "fqdn[/dpath]/URL" as EVE joins them for a container registry. */
static char *make_ref(const Org__Lfedge__Eve__Config__DatastoreConfig *ds, const char *rel)
{
	const char *fq = ds->fqdn ? ds->fqdn : "", *dp = ds->dpath ? ds->dpath : "";
	char *u = NULL;

	while (*rel == '/')
		rel++;
	while (*dp == '/')
		dp++;
	if (asprintf(&u, "%s%s%s/%s", fq, *dp ? "/" : "", dp, rel) < 0)
		return NULL;
	return u;
}

/* Roots for a registry: the datastore's own certificates, else the
 * system store (ca stays NULL). */
static void make_oci_ca(const Org__Lfedge__Eve__Config__DatastoreConfig *ds, struct rt_ct *c)
{
	size_t i, len = 0;
	char *p;

	for (i = 0; i < ds->n_dscertpem; i++)
		len += ds->dscertpem[i].len + 1;
	if (len == 0 || !(c->ca = malloc(len + 1)))
		return;
	p = c->ca;
	for (i = 0; i < ds->n_dscertpem; i++) {
		memcpy(p, ds->dscertpem[i].data, ds->dscertpem[i].len);
		p += ds->dscertpem[i].len;
		*p++ = '\n';
	}
	*p = '\0';
	c->ca_len = (size_t)(p - c->ca);
}

static void ct_configure_oci(struct runtime *rt, struct rt_ct *c, const rt_ct_cfg *t,
			     const Org__Lfedge__Eve__Config__DatastoreConfig *ds)
{
	struct registry_ref ref;

	ct_oci_clear(c);
	c->oci = true;
	if (t->sha256 && t->sha256[0])
		snprintf(c->pin, sizeof(c->pin), "%s", c->sha);
	c->ref = make_ref(ds, t->url ? t->url : "");
	if (!c->ref || registry_ref_parse(c->ref, &ref) < 0) {
		rt_seterr(c->err,
			  "content tree %s: \"%s\" is not an image reference (datastore fqdn docker://host, "
			  "URL repo:tag)",
			  c->uuid, c->ref ? c->ref : "");
		free(c->ref);
		c->ref = NULL;
		c->state = ST(ERROR);
		return;
	}
	if (ds->apikey && ds->apikey[0]) {
		c->user = strdup(ds->apikey);
		c->pass = strdup(ds->password ? ds->password : "");
	}
	c->url = strdup(c->ref);
	if (!c->pin[0])
		latch_load(rt, c);
	make_oci_ca(ds, c);
	c->state = ST(INITIAL);
	c->err[0] = '\0';
}

/* A certificate URL of the SignatureInfo: absolute, or joined like the image's. */
static char *cert_url(const Org__Lfedge__Eve__Config__DatastoreConfig *ds, const char *u)
{
	if (!u || !*u)
		return strdup("");
	return strstr(u, "://") ? strdup(u) : make_url(ds, u);
}

/* The content tree's SignatureInfo, for the job (HTTP(S) images). */
static void ct_detached(struct runtime *rt, struct rt_ct *c, const rt_ct_cfg *t,
			const Org__Lfedge__Eve__Config__DatastoreConfig *ds)
{
	const Org__Lfedge__Eve__Config__SignatureInfo *si = t->siginfo;

	imgsig_detached_clear(&c->detached);
	free(c->job_sigtmp);
	c->job_sigtmp = NULL;
	if (asprintf(&c->job_sigtmp, "%s/sigtmp-%s", rt->state_dir, c->uuid) < 0)
		c->job_sigtmp = NULL;
	if (!si || !si->signature.len || si->signature.len > 256)
		return;
	c->detached.sig = malloc(si->signature.len);
	if (c->detached.sig) {
		memcpy(c->detached.sig, si->signature.data, si->signature.len);
		c->detached.sig_len = si->signature.len;
	}
	c->detached.signer_url = cert_url(ds, si->signercerturl);
	c->detached.inter_url = cert_url(ds, si->intercertsurl);
}

/* (Re)build a tracked content tree from its config; ERROR on bad input. */
static void ct_configure(struct runtime *rt, struct rt_ct *c, const rt_ct_cfg *t)
{
	const Org__Lfedge__Eve__Config__DatastoreConfig *ds = find_ds(rt->cfg, t);
	size_t i;

	c->format = t->iformat;
	c->max = t->maxsizebytes;
	c->gen = t->generation_count;
	free(c->name);
	c->name = strdup(t->displayname ? t->displayname : "");
	c->sha[0] = '\0';
	if (ds && ds->dtype == ORG__LFEDGE__EVE__CONFIG__DS_TYPE__DsContainerRegistry &&
	    (!t->sha256 || !t->sha256[0])) {
		ct_configure_oci(rt, c, t, ds); /* the tag is resolved by the pull */
		return;
	}
	if (!blobstore_valid_hex(t->sha256)) {
		rt_seterr(c->err, "content tree %s: sha256 is not 64 hex characters", c->uuid);
		c->state = ST(ERROR);
		return;
	}
	for (i = 0; i < 64; i++)
		c->sha[i] =
		    (char)((t->sha256[i] >= 'A' && t->sha256[i] <= 'F') ? t->sha256[i] + 32 : t->sha256[i]);
	c->sha[64] = '\0';
	if (ds && ds->dtype == ORG__LFEDGE__EVE__CONFIG__DS_TYPE__DsContainerRegistry) {
		ct_configure_oci(rt, c, t, ds);
		return;
	}
	if (ds && ds->dtype != ORG__LFEDGE__EVE__CONFIG__DS_TYPE__DsHttp &&
	    ds->dtype != ORG__LFEDGE__EVE__CONFIG__DS_TYPE__DsHttps &&
	    ds->dtype != ORG__LFEDGE__EVE__CONFIG__DS_TYPE__DsUnknown) {
		rt_seterr(c->err, "content tree %s: datastore type %d is not supported (HTTP/HTTPS only)",
			  c->uuid, (int)ds->dtype);
		c->state = ST(ERROR);
		return;
	}
	if (!ds || !(c->url = make_url(ds, t->url ? t->url : ""))) {
		rt_seterr(c->err, "content tree %s: no usable datastore (need an http(s) fqdn)", c->uuid);
		c->state = ST(ERROR);
		return;
	}
	make_ca(rt, ds, c);
	ct_detached(rt, c, t, ds);
	c->state = ST(INITIAL);
	c->err[0] = '\0';
}

static struct rt_ct *ct_new(struct runtime *rt, const rt_ct_cfg *t)
{
	struct rt_ct *c = calloc(1, sizeof(*c));
	struct rt_ct **n;

	if (!c)
		return NULL;
	n = realloc(rt->cts, (rt->n_cts + 1) * sizeof(*n));
	if (!n) {
		free(c);
		return NULL;
	}
	rt->cts = n;
	snprintf(c->uuid, sizeof(c->uuid), "%s", t->uuid);
	ct_configure(rt, c, t);
	rt->cts[rt->n_cts++] = c;
	return c;
}

static bool ct_changed(const struct rt_ct *c, const rt_ct_cfg *t)
{
	const char *want = c->oci ? c->pin : c->sha;

	return strcasecmp(want, t->sha256 ? t->sha256 : "") != 0 || c->gen != t->generation_count ||
	       c->max != t->maxsizebytes;
}

static void ct_start_job(struct runtime *rt, struct rt_ct *c)
{
	free(c->job_partial);
	free(c->job_url);
	c->job_partial = NULL;
	c->job_url = strdup(c->url);
	if (!c->job_url || (!c->oci && blobstore_partial_path(rt->bs, c->sha, &c->job_partial) < 0))
		return;
	c->job_bs = rt->bs;
	c->job_stall_s = rt->props.stalled_s ? (long)rt->props.stalled_s : 600;
	c->job_router = rt->router;
	memset(&c->job_sig, 0, sizeof(c->job_sig));
	c->job_sig.trust_dir = rt->trust_dir;
	c->job_sig.router = rt->router;
	c->job_sig.pol = (enum cosign_policy)rt->props.sig_policy;
	c->job_trust = rt->trust_digest;
	c->job_err[0] = '\0';
	c->job_rc = 0;
	atomic_store(&c->job_done, 0);
	atomic_store(&c->job_pct, 0);
	atomic_store(&c->job_have, 0);
	atomic_store(&c->job_phase, ST(DOWNLOAD_STARTED));
	if (pthread_create(&c->th, NULL, c->oci ? ct_pull_job : ct_job, c) != 0)
		return;
	c->job = RT_JOB_RUNNING;
	c->seen_phase = 0;
}

/* Report every state of the way to LOADED, even those the job passed
 * through between two polls. */
static void ct_loaded(struct runtime *rt, struct rt_ct *c)
{
	static const int steps[] = {ST(DOWNLOADED), ST(VERIFYING), ST(VERIFIED), ST(LOADED)};
	struct stat st;
	char *path = NULL;
	size_t i;

	if (c->oci)
		c->size = c->job_img.total ? c->job_img.total : c->size;
	else if (blobstore_path(rt->bs, c->sha, &path) == 0 && stat(path, &st) == 0)
		c->size = (uint64_t)st.st_size;
	free(path);
	c->pct = 100;
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (c->seen_phase >= steps[i] && steps[i] != ST(LOADED))
			continue;
		c->state = steps[i];
		rt_report_ct(rt, c);
	}
}

/* Remember what the pull resolved: the manifest and every blob (GC). */
static void ct_pulled(struct rt_ct *c)
{
	const struct registry_image *im = &c->job_img;
	size_t i, n = im->n_layers + 3;

	snprintf(c->sha, sizeof(c->sha), "%s", im->manifest);
	free(c->comps);
	c->n_comps = 0;
	c->comps = calloc(n, sizeof(*c->comps));
	if (c->comps) {
		memcpy(c->comps[c->n_comps++], im->manifest, BLOBSTORE_HEX_LEN);
		memcpy(c->comps[c->n_comps++], im->config, BLOBSTORE_HEX_LEN);
		if (im->index[0])
			memcpy(c->comps[c->n_comps++], im->index, BLOBSTORE_HEX_LEN);
		for (i = 0; i < im->n_layers; i++)
			memcpy(c->comps[c->n_comps++], im->layers[i], BLOBSTORE_HEX_LEN);
	}
	c->pulled = true;
}

/* What the pull's signature check said, for the report. */
static void ct_sig_verdict(struct rt_ct *c)
{
	const struct imgsig_job *j = &c->job_sig;

	c->sig[0] = '\0';
	c->sig_sev = 0;
	c->judged_pol = (int)j->pol;
	c->judged_trust = c->job_trust;
	/* (a pull that failed otherwise keeps the last verdict: an image
	 * refused stays refused until a check passes) */
	if (c->job_rc == 0 || c->job_rc == -EVE_EBADSIG)
		c->sig_refused = c->job_rc == -EVE_EBADSIG;
	if (j->pol == COSIGN_POLICY_OFF || c->job_rc != 0 || !j->msg[0])
		return;
	if (j->verified) {
		snprintf(c->sig, sizeof(c->sig), "signature verified: %.400s", j->msg);
		c->sig_sev = ORG__LFEDGE__EVE__INFO__SEVERITY__SEVERITY_NOTICE;
	} else {
		snprintf(c->sig, sizeof(c->sig),
			 "signature not verified (images.signatures=warn, used anyway): %.400s", j->msg);
		c->sig_sev = ORG__LFEDGE__EVE__INFO__SEVERITY__SEVERITY_WARNING;
	}
}

static void ct_poll_job(struct runtime *rt, struct rt_ct *c)
{
	uint64_t delay;

	if (!atomic_load(&c->job_done)) {
		int ph = atomic_load(&c->job_phase);

		if (ph == ST(VERIFYING) && c->seen_phase < ST(DOWNLOADED)) {
			c->pct = 100;
			c->state = ST(DOWNLOADED);
			rt_report_ct(rt, c);
		}
		c->state = ph;
		c->seen_phase = ph;
		c->pct = atomic_load(&c->job_pct);
		if (c->oci)
			c->size = atomic_load(&c->job_have);
		return;
	}
	pthread_join(c->th, NULL);
	c->job = RT_JOB_NONE;
	ct_sig_verdict(c);
	if (c->job_rc == 0 && c->oci) {
		ct_pulled(c);
		if (!c->pin[0] && strcmp(c->latched, c->sha) != 0) {
			snprintf(c->latched, sizeof(c->latched), "%s", c->sha);
			latch_save(rt, c);
		}
	}
	if (c->job_rc == 0) {
		c->fails = 0;
		c->err[0] = '\0';
		ct_loaded(rt, c);
		registry_image_clear(&c->job_img);
		return;
	}
	c->fails++;
	c->pulled = false; /* (a re-pull under a new policy can fail) */
	delay = CT_RETRY_MIN_MS << (c->fails < 16 ? c->fails - 1 : 15);
	/* timer.download.retry caps the doubling wait */
	if (delay > rt->props.download_retry_ms)
		delay = rt->props.download_retry_ms;
	c->next_try = rt_now_ms() + delay;
	rt_seterr(c->err, "%s", c->job_err[0] ? c->job_err : eve_strerror(c->job_rc));
	c->state = ST(ERROR);
}

static void ct_step(struct runtime *rt, struct rt_ct *c)
{
	if (!c->url)
		return; /* bad config: stays in ERROR */
	if (c->job == RT_JOB_RUNNING) {
		ct_poll_job(rt, c);
		return;
	}
	/* a pulled image is judged again when images.signatures or the
	 * trust store changes */
	if (c->oci && c->pulled && c->judged_pol == rt->props.sig_policy &&
	    (rt->props.sig_policy == COSIGN_POLICY_OFF || c->judged_trust == rt->trust_digest))
		return;
	/* (a blob here already is judged again when images.signatures or the
	 * trust store changes, or its signature was refused) */
	if (!c->oci && blobstore_has(rt->bs, c->sha) &&
	    (rt->props.sig_policy == COSIGN_POLICY_OFF ||
	     (c->judged_pol == rt->props.sig_policy && c->judged_trust == rt->trust_digest &&
	      !c->sig_refused))) {
		if (rt->props.sig_policy == COSIGN_POLICY_OFF)
			c->sig_refused = false;
		if (c->state != ST(LOADED)) {
			c->seen_phase = ST(VERIFIED); /* already here: just LOADED */
			ct_loaded(rt, c);
		}
		return;
	}
	if (rt_now_ms() < c->next_try)
		return;
	ct_start_job(rt, c);
	if (c->job == RT_JOB_RUNNING) {
		c->state = ST(DOWNLOAD_STARTED);
		c->seen_phase = ST(DOWNLOAD_STARTED);
		c->pct = 0;
		rt_report_ct(rt, c);
	}
}

void rt_content_sync(struct runtime *rt)
{
	size_t i, j;

	for (i = 0; i < rt->n_cts; i++)
		rt->cts[i]->mark = false;
	for (i = 0; rt->cfg && i < rt->cfg->n_contentinfo; i++) {
		const rt_ct_cfg *t = rt->cfg->contentinfo[i];
		struct rt_ct *c;

		if (!t->uuid || !t->uuid[0])
			continue;
		c = rt_content_find(rt, t->uuid);
		if (c && ct_changed(c, t)) {
			ct_job_stop(c);
			ct_oci_clear(c);
			free(c->url);
			free(c->ca);
			c->url = c->ca = NULL;
			c->ca_len = 0;
			c->fails = 0;
			c->next_try = 0;
			ct_configure(rt, c, t);
		}
		if (!c)
			c = ct_new(rt, t);
		if (c)
			c->mark = true;
	}
	for (i = j = 0; i < rt->n_cts; i++) {
		if (rt->cts[i]->mark)
			rt->cts[j++] = rt->cts[i];
		else {
			if (rt->cts[i]->oci)
				latch_drop(rt, rt->cts[i]); /* left the config */
			rt_content_free(rt->cts[i]);
		}
	}
	rt->n_cts = j;
	for (i = 0; i < rt->n_cts; i++) {
		ct_step(rt, rt->cts[i]);
		rt_report_ct(rt, rt->cts[i]);
	}
}
