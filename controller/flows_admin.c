// SPDX-License-Identifier: Apache-2.0
/* Admin read of apps' flow logs (FlowMessage reports, stored by
 * reports.c under the app instance they are about):
 *
 *   GET /api/v1/apps/{name|id}/flows?limit=N&after=ID
 *
 * Items are the records, flattened, oldest first: without `after` the
 * newest `limit` reports' records, with it those of reports stored after
 * report ID (a client follows by passing the last `report` it saw). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "apps_store.h"
#include "ctl.h"
#include "store.h"
#include "flowlog/flowlog.pb-c.h"
#include "reports.h"

#define FLOWS_MAX_REPORTS 200

static int64_t ts(const Google__Protobuf__Timestamp *t)
{
	return t ? t->seconds : 0;
}

static json_t *flow_json(int64_t id, const char *inst, const Org__Lfedge__Eve__Flowlog__FlowRecord *r)
{
	const Org__Lfedge__Eve__Flowlog__IpFlow *f = r->flow;
	const char *action = r->action == ORG__LFEDGE__EVE__FLOWLOG__ACLACTION__ActionAccept ? "accept"
			     : r->action == ORG__LFEDGE__EVE__FLOWLOG__ACLACTION__ActionDrop ? "drop"
											     : "unknown";

	return json_pack(
	    "{s:I, s:s, s:s, s:s, s:b, s:i, s:s, s:i, s:s, s:i, s:i, s:s, s:I, s:I, s:I, s:I, s:o, s:o}",
	    "report", (json_int_t)id, "instance", inst, "kind", "flow", "action", action, "inbound",
	    r->inbound, "proto", f ? f->protocol : 0, "src", f && f->src ? f->src : "", "sport",
	    f ? f->srcport : 0, "dst", f && f->dest ? f->dest : "", "dport", f ? f->destport : 0, "ace",
	    r->aclid, "ace_name", r->aclname ? r->aclname : "", "tx_pkts", (json_int_t)r->txpkts, "tx_bytes",
	    (json_int_t)r->txbytes, "rx_pkts", (json_int_t)r->rxpkts, "rx_bytes", (json_int_t)r->rxbytes,
	    "start", admin_time_json(ts(r->starttime)), "end", admin_time_json(ts(r->endtime)));
}

static json_t *dns_json(int64_t id, const char *inst, const Org__Lfedge__Eve__Flowlog__DnsRequest *q)
{
	json_t *addrs = json_array();

	for (size_t i = 0; i < q->n_addrs; i++)
		json_array_append_new(addrs, json_string(q->addrs[i] ? q->addrs[i] : ""));
	return json_pack("{s:I, s:s, s:s, s:s, s:o, s:o}", "report", (json_int_t)id, "instance", inst, "kind",
			 "dns", "host", q->hostname ? q->hostname : "", "addrs", addrs, "time",
			 admin_time_json(ts(q->requesttime)));
}

/* Append the records of one stored report to items. */
static void report_items(json_t *items, const struct reports_row *row)
{
	Org__Lfedge__Eve__Flowlog__FlowMessage *m =
	    org__lfedge__eve__flowlog__flow_message__unpack(NULL, row->len, row->data);
	if (!m)
		return;
	for (size_t i = 0; i < m->n_flows; i++)
		json_array_append_new(items, flow_json(row->id, row->instance, m->flows[i]));
	for (size_t i = 0; i < m->n_dnsreqs; i++)
		json_array_append_new(items, dns_json(row->id, row->instance, m->dnsreqs[i]));
	org__lfedge__eve__flowlog__flow_message__free_unpacked(m, NULL);
}

struct page {
	bool newest_first;
	json_t *reports;
	int64_t last;
};

static int page_add(void *ctx, const struct reports_row *row)
{
	struct page *p = ctx;
	json_t *one = json_array();
	report_items(one, row);
	if (p->newest_first)
		json_array_insert_new(p->reports, 0, one);
	else
		json_array_append_new(p->reports, one);
	if (row->id > p->last)
		p->last = row->id;
	return 0;
}

static bool num_arg(struct http_req *r, const char *k, int64_t def, int64_t lo, int64_t hi, int64_t *out)
{
	const char *v = http_arg(r, k);
	char *end;

	*out = def;
	if (!v)
		return true;
	*out = strtoll(v, &end, 10);
	return *v && !*end && *out >= lo && *out <= hi;
}

static void h_app_flows(struct http_req *r)
{
	int64_t limit, after;
	if (!num_arg(r, "limit", 20, 1, FLOWS_MAX_REPORTS, &limit) ||
	    !num_arg(r, "after", -1, 0, INT64_MAX, &after)) {
		http_reply_error(r, 400, "limit: 1..%d reports, after: a report id", FLOWS_MAX_REPORTS);
		return;
	}
	struct store *d = store_get(r->ctl->db);
	struct apps_store_app app;
	char *instances = NULL;
	if (apps_store_find(d, r->params[0], &app) < 0) {
		store_put(r->ctl->db, d);
		admin_reply_err(r, -ENOENT, "app");
		return;
	}
	/* Newest first without `after` (then reversed), oldest first with it. */
	struct page p = {.newest_first = after < 0, .reports = json_array(), .last = after < 0 ? 0 : after};
	json_t *items = json_array(), *rep;
	if (apps_store_instances_json(d, app.id, &instances) == 0)
		(void)reports_each_flow_of(d, instances, after, limit, page_add, &p); /* as far as read */
	store_put(r->ctl->db, d);
	free(instances);
	size_t i;
	json_array_foreach(p.reports, i, rep) json_array_extend(items, rep);
	json_decref(p.reports);
	http_reply_json(r, 200, json_pack("{s:o, s:I}", "items", items, "last", (json_int_t)p.last));
}

const struct http_route admin_flow_routes[] = {
    {"GET", ADMIN_PREFIX "/apps/*/flows", h_app_flows, 0, HTTP_AUTH_ADMIN, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
