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
#include "ctl.h"
#include "db.h"
#include "flowlog/flowlog.pb-c.h"

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
static void report_items(json_t *items, sqlite3_stmt *st)
{
	Org__Lfedge__Eve__Flowlog__FlowMessage *m = org__lfedge__eve__flowlog__flow_message__unpack(
	    NULL, (size_t)sqlite3_column_bytes(st, 2), sqlite3_column_blob(st, 2));
	int64_t id = sqlite3_column_int64(st, 0);
	const char *inst = db_col_text(st, 1);

	if (!m)
		return;
	for (size_t i = 0; i < m->n_flows; i++)
		json_array_append_new(items, flow_json(id, inst, m->flows[i]));
	for (size_t i = 0; i < m->n_dnsreqs; i++)
		json_array_append_new(items, dns_json(id, inst, m->dnsreqs[i]));
	org__lfedge__eve__flowlog__flow_message__free_unpacked(m, NULL);
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
	struct db *d = db_get(r->ctl->db);
	char app[UUID_STR_LEN] = "";
	sqlite3_stmt *st = db_stmt(d, "SELECT id FROM apps WHERE id = ?1 OR name = ?1 LIMIT 1");
	if (st) {
		sqlite3_bind_text(st, 1, r->params[0], -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			snprintf(app, sizeof(app), "%s", db_col_text(st, 0));
		sqlite3_reset(st);
	}
	if (!app[0]) {
		db_put(r->ctl->db, d);
		admin_reply_err(r, -ENOENT, "app");
		return;
	}
	/* Newest first without `after` (then reversed), oldest first with it. */
	st = after < 0
		 ? db_stmt(d, "SELECT id, app_id, data FROM flowlog WHERE app_id IN"
			      " (SELECT id FROM app_instances WHERE app_id = ?1) ORDER BY id DESC LIMIT ?3")
		 : db_stmt(
		       d,
		       "SELECT id, app_id, data FROM flowlog WHERE app_id IN"
		       " (SELECT id FROM app_instances WHERE app_id = ?1) AND id > ?2 ORDER BY id LIMIT ?3");
	json_t *reports = json_array(), *items = json_array(), *rep;
	int64_t last = after < 0 ? 0 : after;
	if (st) {
		sqlite3_bind_text(st, 1, app, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, after);
		sqlite3_bind_int64(st, 3, limit);
		while (sqlite3_step(st) == SQLITE_ROW) {
			json_t *one = json_array();
			int64_t id = sqlite3_column_int64(st, 0);
			report_items(one, st);
			if (after < 0)
				json_array_insert_new(reports, 0, one);
			else
				json_array_append_new(reports, one);
			if (id > last)
				last = id;
		}
		sqlite3_reset(st);
	}
	db_put(r->ctl->db, d);
	size_t i;
	json_array_foreach(reports, i, rep) json_array_extend(items, rep);
	json_decref(reports);
	http_reply_json(r, 200, json_pack("{s:o, s:I}", "items", items, "last", (json_int_t)last));
}

const struct http_route admin_flow_routes[] = {
    {"GET", ADMIN_PREFIX "/apps/*/flows", h_app_flows, 0, HTTP_AUTH_ADMIN, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
