// SPDX-License-Identifier: Apache-2.0
/* ZInfoMsg reports: one message per object whose state, progress or error
 * changed since it was last reported. Messages are built on the stack and
 * only live during the callback. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "rt_internal.h"

#define ST(x) ORG__LFEDGE__EVE__INFO__ZSW_STATE__##x

/* True (and remembers) when (state, pct, err) differs from what was sent. */
static bool changed(struct rt_rep *r, int state, unsigned pct, const char *err)
{
	if (r->sent && r->state == state && r->pct == pct && strcmp(r->err, err) == 0)
		return false;
	r->sent = true;
	r->state = state;
	r->pct = pct;
	snprintf(r->err, sizeof(r->err), "%s", err);
	return true;
}

struct report_ctx {
	Org__Lfedge__Eve__Info__ZInfoMsg msg;
	Google__Protobuf__Timestamp now;
	Org__Lfedge__Eve__Info__ErrorInfo err;
	Org__Lfedge__Eve__Info__ErrorInfo *errs[1];
	Google__Protobuf__Timestamp err_ts;
};

static void report_init(struct report_ctx *c, Org__Lfedge__Eve__Info__ZInfoTypes type, const char *err)
{
	struct timespec ts;

	org__lfedge__eve__info__zinfo_msg__init(&c->msg);
	google__protobuf__timestamp__init(&c->now);
	org__lfedge__eve__info__error_info__init(&c->err);
	google__protobuf__timestamp__init(&c->err_ts);
	clock_gettime(CLOCK_REALTIME, &ts);
	c->now.seconds = ts.tv_sec;
	c->now.nanos = (int32_t)ts.tv_nsec;
	c->err_ts = c->now;
	c->msg.ztype = type;
	c->msg.devid = "";
	c->msg.attimestamp = &c->now;
	c->err.description = (char *)err;
	c->err.timestamp = &c->err_ts;
	c->err.severity = ORG__LFEDGE__EVE__INFO__SEVERITY__SEVERITY_ERROR;
	c->errs[0] = &c->err;
}

/* Progress steps of 10 % so a download is not reported per chunk. */
static unsigned pct_step(unsigned p)
{
	return p >= 100 ? 100 : p / 10 * 10;
}

void rt_report_ct(struct runtime *rt, struct rt_ct *c)
{
	Org__Lfedge__Eve__Info__ZInfoContentTree ci;
	Org__Lfedge__Eve__Info__ContentResources res;
	struct report_ctx r;
	unsigned pct = pct_step(c->pct);
	const char *err = c->state == ST(ERROR) ? c->err : c->sig;

	if (!rt->report || !changed(&c->rep, c->state, pct, err))
		return;
	report_init(&r, ORG__LFEDGE__EVE__INFO__ZINFO_TYPES__ZiContentTree, err);
	org__lfedge__eve__info__zinfo_content_tree__init(&ci);
	org__lfedge__eve__info__content_resources__init(&res);
	ci.uuid = c->uuid;
	ci.displayname = c->name ? c->name : "";
	ci.sha256 = c->sha;
	ci.state = (Org__Lfedge__Eve__Info__ZSwState)c->state;
	ci.progresspercentage = pct;
	ci.generation_count = c->gen;
	res.cursizebytes = c->size;
	ci.resources = &res;
	if (c->state == ST(ERROR))
		ci.err = &r.err;
	else if (c->sig[0]) { /* the publisher signature: NOTICE verified, WARNING not */
		r.err.severity = (Org__Lfedge__Eve__Info__Severity)c->sig_sev;
		ci.err = &r.err;
	}
	r.msg.info_content_case = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_CINFO;
	r.msg.cinfo = &ci;
	rt->report(rt->ctx, &r.msg);
}

void rt_report_vol(struct runtime *rt, struct rt_vol *v)
{
	Org__Lfedge__Eve__Info__ZInfoVolume vi;
	Org__Lfedge__Eve__Info__VolumeResources res;
	struct report_ctx r;

	bool state_changed;

	if (!rt->report)
		return;
	/* also when the bytes used moved by 1 MiB or more */
	state_changed = changed(&v->rep, v->state, 0, v->state == ST(ERROR) ? v->err : "");
	if (!state_changed &&
	    (v->used > v->used_rep ? v->used - v->used_rep : v->used_rep - v->used) < (1u << 20))
		return;
	v->used_rep = v->used;
	report_init(&r, ORG__LFEDGE__EVE__INFO__ZINFO_TYPES__ZiVolume, v->err);
	org__lfedge__eve__info__zinfo_volume__init(&vi);
	org__lfedge__eve__info__volume_resources__init(&res);
	res.maxsizebytes = v->maxsize;
	res.cursizebytes = v->used;
	vi.uuid = v->uuid;
	vi.displayname = v->name ? v->name : "";
	vi.state = (Org__Lfedge__Eve__Info__ZSwState)v->state;
	vi.progresspercentage = v->ready ? 100 : 0;
	vi.generation_count = v->gen;
	vi.resources = &res;
	if (v->state == ST(ERROR))
		vi.volumeerr = &r.err;
	r.msg.info_content_case = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_VINFO;
	r.msg.vinfo = &vi;
	rt->report(rt->ctx, &r.msg);
}

#define RPT_MAX_NICS 16

struct app_nets {
	Org__Lfedge__Eve__Info__ZInfoNetwork nets[RPT_MAX_NICS];
	Org__Lfedge__Eve__Info__ZInfoNetwork *ptrs[RPT_MAX_NICS];
	char macs[RPT_MAX_NICS][18];
	char *ips[RPT_MAX_NICS][1];
	size_t n;
};

/* One ZInfoNetwork per adapter: its MAC and the IP its network leased. */
static void app_networks(struct runtime *rt, struct rt_app *a, struct app_nets *o)
{
	size_t i;

	o->n = 0;
	for (i = 0; a->cfg && i < a->cfg->n_interfaces && i < RPT_MAX_NICS; i++) {
		Org__Lfedge__Eve__Info__ZInfoNetwork *z = &o->nets[i];
		const char *ip;

		org__lfedge__eve__info__zinfo_network__init(z);
		rt_app_mac(a->uuid, i, a->cfg->interfaces[i]->macaddress, o->macs[i]);
		z->macaddr = o->macs[i];
		z->devname = a->cfg->interfaces[i]->name ? a->cfg->interfaces[i]->name : "";
		ip = rt_netinst_ip(rt, o->macs[i]);
		if (ip) {
			o->ips[i][0] = (char *)ip;
			z->ipaddrs = o->ips[i];
			z->n_ipaddrs = 1;
			z->ipv4_up = true;
		}
		o->ptrs[i] = z;
		o->n++;
	}
}

void rt_report_app(struct runtime *rt, struct rt_app *a)
{
	Org__Lfedge__Eve__Info__ZInfoApp ai;
	Google__Protobuf__Timestamp boot;
	char *vols[64];
	struct app_nets nets;
	struct report_ctx r;
	size_t i;

	/* A new config version is reported even when the state stays the
	 * same: the controller learns the device acted on that generation. */
	/* An update the device rolled back (rt_rollback.c): the version that
	 * runs, and why as the app's error whatever its state. */
	const char *ver = a->rolled_ver ? a->rolled_ver : a->version;
	const char *err = a->state == ST(ERROR) ? a->err : a->rolled_why;
	unsigned sig = a->net_sig;
	for (const char *p = ver; p && *p; p++)
		sig = sig * 31u + (unsigned char)*p;
	if (!rt->report || !changed(&a->rep, a->state, sig, err))
		return;
	report_init(&r, ORG__LFEDGE__EVE__INFO__ZINFO_TYPES__ZiApp, err);
	org__lfedge__eve__info__zinfo_app__init(&ai);
	google__protobuf__timestamp__init(&boot);
	ai.appid = a->uuid;
	ai.appversion = (char *)(ver ? ver : "");
	ai.appname = a->name ? a->name : "";
	ai.state = (Org__Lfedge__Eve__Info__ZSwState)a->state;
	if (a->boot_time && (a->state == ST(RUNNING) || a->state == ST(BOOTING))) {
		boot.seconds = (int64_t)a->boot_time;
		ai.boottime = &boot;
	}
	for (i = 0; a->cfg && i < a->cfg->n_volumereflist && i < 64; i++)
		vols[i] = a->cfg->volumereflist[i]->uuid;
	ai.volumerefs = vols;
	ai.n_volumerefs = i;
	app_networks(rt, a, &nets);
	ai.network = nets.ptrs;
	ai.n_network = nets.n;
	if (err[0]) {
		ai.apperr = r.errs;
		ai.n_apperr = 1;
	}
	r.msg.info_content_case = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_AINFO;
	r.msg.ainfo = &ai;
	rt->report(rt->ctx, &r.msg);
}

void rt_report_ni(struct runtime *rt, struct rt_ni *n)
{
	Org__Lfedge__Eve__Info__ZInfoNetworkInstance ni;
	struct report_ctx r;
	bool err = n->state == ORG__LFEDGE__EVE__INFO__ZNETWORK_INSTANCE_STATE__ZNETINST_STATE_ERROR;

	Org__Lfedge__Eve__Info__ZmetIPAssignmentEntry ent[RT_MAX_LEASES], *ents[RT_MAX_LEASES];
	char *ips[RT_MAX_LEASES][1];
	size_t i;

	if (!rt->report || !changed(&n->rep, n->state, n->lease_sig, err ? n->err : ""))
		return;
	report_init(&r, ORG__LFEDGE__EVE__INFO__ZINFO_TYPES__ZiNetworkInstance, n->err);
	org__lfedge__eve__info__zinfo_network_instance__init(&ni);
	ni.networkid = n->uuid;
	ni.networkversion = n->version ? n->version : "";
	ni.insttype = (uint32_t)n->type;
	ni.displayname = n->name ? n->name : "";
	ni.activated = n->state == ORG__LFEDGE__EVE__INFO__ZNETWORK_INSTANCE_STATE__ZNETINST_STATE_ONLINE;
	ni.bridgename = n->bridge;
	ni.bridgeipaddr = n->gw;
	ni.state = (Org__Lfedge__Eve__Info__ZNetworkInstanceState)n->state;
	for (i = 0; i < n->n_leases; i++) {
		org__lfedge__eve__info__zmet_ipassignment_entry__init(&ent[i]);
		ent[i].macaddress = n->leases[i].mac;
		ips[i][0] = n->leases[i].ip;
		ent[i].ipaddress = ips[i];
		ent[i].n_ipaddress = 1;
		ents[i] = &ent[i];
	}
	ni.ipassignments = ents;
	ni.n_ipassignments = n->n_leases;
	if (err) {
		ni.networkerr = r.errs;
		ni.n_networkerr = 1;
	}
	r.msg.info_content_case = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_NIINFO;
	r.msg.niinfo = &ni;
	rt->report(rt->ctx, &r.msg);
}
