// SPDX-License-Identifier: Apache-2.0
/* app flows: an app's flow logs, as its devices report them (EVE
 * FlowMessage): connections accepted or dropped with the firewall rule
 * (ACE) that decided, and DNS requests. -f polls for new reports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "evectl.h"

#define FLOWS_POLL_S 2

static const char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static long long num(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static const char *proto_name(long long p)
{
	return p == 6 ? "tcp" : p == 17 ? "udp" : p == 1 ? "icmp" : p == 132 ? "sctp" : "ip";
}

static void print_header(void)
{
	printf("%-20s %-6s %-4s %-46s %-22s %10s %10s\n", "TIME", "ACTION", "DIR", "FLOW", "RULE", "TX",
	       "RX");
}

/* One item as a table line. */
static void print_item(const json_t *it)
{
	char flow[160];

	if (strcmp(str(it, "kind"), "dns") == 0) {
		const json_t *addrs = json_object_get(it, "addrs"), *a;
		size_t i, used;

		used = (size_t)snprintf(flow, sizeof(flow), "%s ->", str(it, "host"));
		json_array_foreach(addrs, i, a)
		{
			if (used < sizeof(flow))
				used += (size_t)snprintf(flow + used, sizeof(flow) - used, " %s",
							 json_string_value(a));
		}
		printf("%-20s %-6s %-4s %-46s\n", str(it, "time"), "dns", "out", flow);
		return;
	}
	snprintf(flow, sizeof(flow), "%s %s:%lld -> %s:%lld", proto_name(num(it, "proto")), str(it, "src"),
		 num(it, "sport"), str(it, "dst"), num(it, "dport"));
	printf("%-20s %-6s %-4s %-46s %-22s %10lld %10lld\n", str(it, "end"), str(it, "action"),
	       json_is_true(json_object_get(it, "inbound")) ? "in" : "out", flow, str(it, "ace_name"),
	       num(it, "tx_bytes"), num(it, "rx_bytes"));
}

static void print_items(struct cmd_args *a, const json_t *items)
{
	const json_t *it;
	size_t i;

	json_array_foreach(items, i, it)
	{
		if (ev_mode(a) == OUT_JSON) {
			char *s = json_dumps(it, JSON_COMPACT);

			if (s)
				puts(s);
			free(s);
		} else {
			print_item(it);
		}
	}
	fflush(stdout);
}

int cmd_app_flows(struct cmd_args *a)
{
	const struct cmd_val *lim = cmdtab_val(a, "limit");
	bool follow = cmdtab_flag(a, "follow");
	long long last = -1;
	json_t *resp = NULL;
	int code;

	if (lim->set && (lim->num < 1 || lim->num > 200))
		return ev_usage("--limit: 1..200 reports");
	do {
		char *base = ev_path("/apps/%s/flows", a->pos[0]), *path = NULL;

		/* ev_path escapes %s only: the numbers go on afterwards. */
		if (base &&
		    (last < 0 ? asprintf(&path, "%s?limit=%lld", base, lim->set ? (long long)lim->num : 20LL)
			      : asprintf(&path, "%s?after=%lld&limit=200", base, last)) < 0)
			path = NULL;
		free(base);
		if (!path)
			return ev_fail(EXIT_USAGE, "out of memory");
		code = ev_request(a, "GET", path, NULL, &resp);
		free(path);
		if (code != EXIT_OK)
			return code;
		if (last < 0 && ev_mode(a) == OUT_JSON && !follow)
			out_json(stdout, resp);
		else {
			if (last < 0 && ev_mode(a) != OUT_JSON)
				print_header();
			print_items(a, json_object_get(resp, "items"));
		}
		last = num(resp, "last");
		json_decref(resp);
		resp = NULL;
		if (follow)
			sleep(FLOWS_POLL_S);
	} while (follow);
	return EXIT_OK;
}
