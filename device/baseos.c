// SPDX-License-Identifier: Apache-2.0
/* A/B update seam: forwards to device/update. device/CMakeLists.txt
 * builds it when the eveupdate target exists, else baseos_stub.c. */
#include "baseos.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const Org__Lfedge__Eve__Config__ContentTree *
find_ct(const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg, const char *uuid)
{
	for (size_t i = 0; i < cfg->n_contentinfo; i++)
		if (cfg->contentinfo[i]->uuid && !strcmp(cfg->contentinfo[i]->uuid, uuid))
			return cfg->contentinfo[i];
	return NULL;
}

static const Org__Lfedge__Eve__Config__DatastoreConfig *
find_ds(const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg, const Org__Lfedge__Eve__Config__ContentTree *ct)
{
	const char *id = ct->n_ds_ids_list ? ct->ds_ids_list[0] : ct->dsid;

	for (size_t i = 0; id && i < cfg->n_datastores; i++)
		if (cfg->datastores[i]->id && !strcmp(cfg->datastores[i]->id, id))
			return cfg->datastores[i];
	return NULL;
}

int baseos_content_url(const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg, const char *ct_uuid, char *out,
		       size_t outlen, const char **sha256)
{
	const Org__Lfedge__Eve__Config__ContentTree *ct = find_ct(cfg, ct_uuid);
	const Org__Lfedge__Eve__Config__DatastoreConfig *ds;
	const char *dpath, *url;
	int n;

	if (!ct || !ct->url)
		return -ENOENT;
	*sha256 = ct->sha256;
	url = ct->url;
	if (strstr(url, "://"))
		n = snprintf(out, outlen, "%s", url);
	else if (!(ds = find_ds(cfg, ct)) || !ds->fqdn)
		return -ENOENT;
	else {
		dpath = ds->dpath ? ds->dpath : "";
		while (*dpath == '/')
			dpath++;
		while (*url == '/')
			url++;
		n = snprintf(out, outlen, "%s%s%s/%s", ds->fqdn, *dpath ? "/" : "", dpath, url);
	}
	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

#include "update.h"

struct baseos {
	struct update *u;
	char state_dir[PATH_MAX];
};

int baseos_open(const struct baseos_opts *o, struct baseos **out)
{
	struct update_opts uo = {
	    .backend = o->backend,
	    .target = o->target,
	    .running_version = o->version,
	    .ca_path = o->ca_path,
	    .trust_dir = o->trust_dir,
	    .router = o->router,
	    .reboot = o->reboot,
	    .ctx = o->ctx,
	};
	struct baseos *b = calloc(1, sizeof(*b));
	int r;

	if (!b)
		return -ENOMEM;
	snprintf(b->state_dir, sizeof(b->state_dir), "%.4000s/update", o->state_dir);
	uo.state_dir = b->state_dir;
	r = update_open(&uo, &b->u);
	if (r < 0) {
		free(b);
		return r;
	}
	*out = b;
	return 0;
}

void baseos_close(struct baseos *b)
{
	if (!b)
		return;
	update_close(b->u);
	free(b);
}

int baseos_boot_check(struct baseos *b, time_t now)
{
	return b ? update_boot_check(b->u, now) : 0;
}

/* rel as a URL: absolute as is, else joined to the tree's datastore. */
static int join_url(const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg,
		    const Org__Lfedge__Eve__Config__ContentTree *ct, const char *rel, char *out,
		    size_t outlen)
{
	const Org__Lfedge__Eve__Config__DatastoreConfig *ds;
	const char *dpath;
	int n;

	if (strstr(rel, "://"))
		n = snprintf(out, outlen, "%s", rel);
	else if (!(ds = find_ds(cfg, ct)) || !ds->fqdn)
		return -ENOENT;
	else {
		dpath = ds->dpath ? ds->dpath : "";
		while (*dpath == '/')
			dpath++;
		while (*rel == '/')
			rel++;
		n = snprintf(out, outlen, "%s%s%s/%s", ds->fqdn, *dpath ? "/" : "", dpath, rel);
	}
	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

/* The content tree's SignatureInfo into req (URLs joined like the image's). */
static int sig_info(const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg, const char *ct_uuid,
		    struct update_baseos *req, char *signer, char *inter, size_t len)
{
	const Org__Lfedge__Eve__Config__ContentTree *ct = find_ct(cfg, ct_uuid);
	const Org__Lfedge__Eve__Config__SignatureInfo *si = ct ? ct->siginfo : NULL;
	int r = 0;

	if (!si)
		return 0;
	req->signature = si->signature.data;
	req->signature_len = si->signature.len;
	if (si->signercerturl && *si->signercerturl &&
	    (r = join_url(cfg, ct, si->signercerturl, signer, len)) == 0)
		req->signer_cert_url = signer;
	if (r == 0 && si->intercertsurl && *si->intercertsurl &&
	    (r = join_url(cfg, ct, si->intercertsurl, inter, len)) == 0)
		req->inter_cert_url = inter;
	return r;
}

int baseos_apply(struct baseos *b, const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg)
{
	const Org__Lfedge__Eve__Config__BaseOS *bo = cfg->baseos;
	struct update_baseos req = {0};
	char url[2048], signer[2048], inter[2048];
	int r;

	if (!b || !bo || !bo->base_os_version || !*bo->base_os_version || !bo->content_tree_uuid)
		return 0;
	r = baseos_content_url(cfg, bo->content_tree_uuid, url, sizeof(url), &req.sha256);
	if (r < 0)
		return r;
	req.version = bo->base_os_version;
	req.url = url;
	r = sig_info(cfg, bo->content_tree_uuid, &req, signer, inter, sizeof(signer));
	if (r < 0)
		return r;
	req.activate = bo->activate;
	req.retry_update = bo->retry_update ? bo->retry_update->counter : 0;
	return update_apply_baseos(b->u, &req);
}

void baseos_set_sig_policy(struct baseos *b, int policy)
{
	if (b)
		update_set_sig_policy(b->u, policy);
}

const char *baseos_sig_note(struct baseos *b)
{
	return b ? update_sig_note(b->u) : "";
}

void baseos_set_test_window(struct baseos *b, unsigned seconds)
{
	if (b)
		update_set_test_window(b->u, seconds);
}

int baseos_controller_reached(struct baseos *b, time_t now)
{
	return b ? update_controller_reached(b->u, now) : 0;
}

int baseos_tick(struct baseos *b, time_t now)
{
	return b ? update_tick(b->u, now) : 0;
}

void baseos_fill_info(struct baseos *b, struct report_device *d)
{
	struct update_slot_info si[2];

	if (!b || update_get_info(b->u, si) < 0)
		return;
	for (size_t i = 0; i < 2 && i < REPORT_MAX_SW; i++) {
		struct report_sw *s = &d->sw[i];

		snprintf(s->label, sizeof(s->label), "%.7s", si[i].label);
		snprintf(s->state, sizeof(s->state), "%.15s", update_part_state_name(si[i].state));
		snprintf(s->version, sizeof(s->version), "%.127s", si[i].version);
		snprintf(s->err, sizeof(s->err), "%.255s", si[i].err);
		snprintf(s->signature, sizeof(s->signature), "%.255s", si[i].signature);
		s->status = (int)si[i].status;
		s->activated = si[i].activated;
	}
	d->n_sw = 2;
}
