// SPDX-License-Identifier: Apache-2.0
/* Port maps of apps on local network instances (see rt_portmap.h).
 *
 * Why each rule of an app's nft table is there:
 *  - pre/out: DNAT of host-port connections addressed to any local address
 *    (`fib daddr type local`), arriving (prerouting) or made on the host
 *    itself (output), 127.0.0.1 included;
 *  - post: a connection from 127.0.0.1 keeps that source after the DNAT;
 *    it is masqueraded to the bridge's address so the app can answer. The
 *    kernel only routes a loopback source out of the bridge with
 *    net.ipv4.conf.<bridge>.route_localnet=1, which this module sets while
 *    the bridge has port maps (and resets when it has none). Connections
 *    from a container on the same bridge (hairpin) are masqueraded too;
 *  - guard: with route_localnet on, packets from the bridge to 127.0.0.0/8
 *    would reach the host's loopback services: they are dropped.
 * Everything else (external clients) keeps its source address. */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "crypto.h"
#include "err.h"
#include "fileio.h"
#include "hexstr.h"
#include "rt_internal.h"
#include "rt_portmap.h"
#include "uuidgen.h"
#include "volume.h"

#define ST(x) ORG__LFEDGE__EVE__INFO__ZSW_STATE__##x
#define PM_NFT_MAX (64u << 10)
#define PM_RETRY_MS 30000
#define PM_MAX_BRIDGES 64
#define PM_MAX_ARGS 24 /* longest argv below: 19 */

/* ---- config -> port maps ---------------------------------------------- */

static int port_of(const char *s)
{
	char *end;
	unsigned long v;

	if (!s || !*s || strlen(s) > 5 || strspn(s, "0123456789") != strlen(s))
		return -1;
	v = strtoul(s, &end, 10);
	return v >= 1 && v <= 65535 ? (int)v : -1;
}

static bool ace_portmap(const Org__Lfedge__Eve__Config__ACE *ace, struct rt_portmap *pm)
{
	int proto = -1, host = -1;
	size_t i;

	for (i = 0; i < ace->n_matches; i++) {
		const Org__Lfedge__Eve__Config__ACEMatch *m = ace->matches[i];

		if (!m || !m->type || !m->value)
			continue;
		if (strcmp(m->type, "protocol") == 0)
			proto = strcasecmp(m->value, "tcp") == 0   ? IPPROTO_TCP
				: strcasecmp(m->value, "udp") == 0 ? IPPROTO_UDP
								   : -1;
		else if (strcmp(m->type, "lport") == 0)
			host = port_of(m->value);
	}
	for (i = 0; proto > 0 && host > 0 && i < ace->n_actions; i++) {
		const Org__Lfedge__Eve__Config__ACEAction *a = ace->actions[i];

		if (a && a->portmap && a->appport >= 1 && a->appport <= 65535) {
			pm->proto = (uint8_t)proto;
			pm->host = (uint16_t)host;
			pm->app = (uint16_t)a->appport;
			return true;
		}
	}
	return false;
}

size_t rt_portmap_parse(const Org__Lfedge__Eve__Config__NetworkAdapter *na, struct rt_portmap *out,
			size_t max)
{
	size_t i, n = 0;

	for (i = 0; na && i < na->n_acls && n < max; i++)
		if (na->acls[i] && ace_portmap(na->acls[i], &out[n]))
			n++;
	return n;
}

/* ---- rules -------------------------------------------------------------- */

static bool bridge_ok(const char *br)
{
	size_t n = strlen(br);

	return n > 0 && n < 16 && strspn(br, "abcdefghijklmnopqrstuvwxyz0123456789-_.") == n;
}

static const char *proto_name(uint8_t p)
{
	return p == IPPROTO_UDP ? "udp" : "tcp";
}

int rt_portmap_nft(const char *uuid, const char *bridge, const char *ip, const struct rt_portmap *m, size_t n,
		   struct buf *out)
{
	struct in_addr a;
	size_t i;
	int r;

	if (!uuidgen_valid(uuid) || !bridge_ok(bridge) || inet_pton(AF_INET, ip, &a) != 1)
		return -EINVAL;
	/* Declaring then deleting the table makes the script replace it (one
	 * transaction: the old rules stay until the new ones are in). */
	r = buf_printf(out, "table ip eve-pm-%s\ndelete table ip eve-pm-%s\ntable ip eve-pm-%s {\n", uuid,
		       uuid, uuid);
	r = r ? r
	      : buf_printf(out,
			   "\tchain pre {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n");
	for (i = 0; r == 0 && i < n; i++)
		r = buf_printf(out, "\t\tfib daddr type local %s dport %u dnat to %s:%u\n",
			       proto_name(m[i].proto), m[i].host, ip, m[i].app);
	r = r ? r
	      : buf_printf(out,
			   "\t}\n\tchain out {\n\t\ttype nat hook output priority -100; policy accept;\n");
	for (i = 0; r == 0 && i < n; i++)
		r = buf_printf(out, "\t\tfib daddr type local %s dport %u dnat to %s:%u\n",
			       proto_name(m[i].proto), m[i].host, ip, m[i].app);
	r = r ? r
	      : buf_printf(
		    out,
		    "\t}\n\tchain post {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
		    "\t\toifname \"%s\" ip saddr 127.0.0.0/8 ct status dnat masquerade\n"
		    "\t\tiifname \"%s\" oifname \"%s\" ct status dnat masquerade\n\t}\n",
		    bridge, bridge, bridge);
	r = r ? r
	      : buf_printf(out,
			   "\tchain guard {\n\t\ttype filter hook prerouting priority -150; policy accept;\n"
			   "\t\tiifname \"%s\" ip daddr 127.0.0.0/8 drop\n\t}\n}\n",
			   bridge);
	return r;
}

/* iptables chain of an app: "EVEPM-" + 16 hex of SHA-256(uuid) (iptables
 * chain names are at most 28 characters). */
static void fw_chain(const char *uuid, char out[32])
{
	uint8_t h[32];
	char hex[65];

	crypto_sha256(uuid, strlen(uuid), h);
	hexstr_encode(h, 32, hex);
	snprintf(out, 32, "EVEPM-%.16s", hex);
}

/* Run a firewall tool; also found in /usr/sbin when the agent's PATH
 * lacks it. */
static int run(char *const argv[], char *err, size_t errlen)
{
	char e[256] = "", path[64];
	int r = volume_run(argv, e, sizeof(e));

	if (r == -ENOENT && !strchr(argv[0], '/')) {
		char *alt[PM_MAX_ARGS + 1];
		size_t i;

		for (i = 0; i < PM_MAX_ARGS && argv[i]; i++)
			alt[i] = argv[i];
		alt[i] = NULL;
		snprintf(path, sizeof(path), "/usr/sbin/%s", argv[0]);
		alt[0] = path;
		r = volume_run(alt, e, sizeof(e));
	}

	if (r < 0 && err)
		snprintf(err, errlen, "%s", e);
	return r;
}

/* Remove the app's FORWARD accept chain (absent: nothing to do). */
static void fw_remove(const char *uuid)
{
	char ch[32];
	int i;

	fw_chain(uuid, ch);
	{
		char *del[] = {"iptables", "-w", "-D", "FORWARD", "-j", ch, NULL};
		char *flush[] = {"iptables", "-w", "-F", ch, NULL};
		char *drop[] = {"iptables", "-w", "-X", ch, NULL};

		for (i = 0; i < 8 && run(del, NULL, 0) == 0; i++)
			;
		run(flush, NULL, 0);
		run(drop, NULL, 0);
	}
}

/* Accept new (DNATed) connections to the app's ports in FORWARD, ahead of
 * libvirt's rules; done with `iptables` because libvirt's rules are made
 * with it too (nft's accept cannot overrule another table's reject). */
static int fw_install(const char *uuid, const char *bridge, const char *ip, const struct rt_portmap *m,
		      size_t n, char *err, size_t errlen)
{
	char ch[32], port[8];
	size_t i;
	int r;

	fw_chain(uuid, ch);
	{
		char *mk[] = {"iptables", "-w", "-N", ch, NULL};
		char *flush[] = {"iptables", "-w", "-F", ch, NULL};

		run(mk, NULL, 0); /* fails when it exists: flushed next */
		r = run(flush, err, errlen);
	}
	for (i = 0; r == 0 && i < n; i++) {
		char *add[] = {"iptables",     "-w", "-A",       ch,          "-o",
			       (char *)bridge, "-d", (char *)ip, "-p",        (char *)proto_name(m[i].proto),
			       "--dport",      port, "-m",       "conntrack", "--ctstate",
			       "DNAT",         "-j", "ACCEPT",   NULL};

		snprintf(port, sizeof(port), "%u", m[i].app);
		r = run(add, err, errlen);
	}
	if (r == 0) {
		char *check[] = {"iptables", "-w", "-C", "FORWARD", "-j", ch, NULL};
		char *ins[] = {"iptables", "-w", "-I", "FORWARD", "1", "-j", ch, NULL};

		if (run(check, NULL, 0) < 0)
			r = run(ins, err, errlen);
	}
	return r;
}

/* ---- files ------------------------------------------------------------- */

static void pm_path(const struct runtime *rt, const char *uuid, char *out, size_t n)
{
	snprintf(out, n, "%s/portmaps%s%s%s", rt->state_dir, uuid ? "/" : "", uuid ? uuid : "",
		 uuid ? ".nft" : "");
}

/* True when the file holds exactly text (what is installed). */
static bool pm_same(const char *path, const struct buf *text)
{
	uint8_t *data = NULL;
	size_t len = 0;
	bool same;

	if (fileio_read(path, PM_NFT_MAX, &data, &len) < 0)
		return false;
	same = len == text->len && memcmp(data, text->data, len) == 0;
	free(data);
	return same;
}

static void pm_log(struct runtime *rt, const char *uuid, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void pm_log(struct runtime *rt, const char *uuid, const char *fmt, ...)
{
	char line[RT_ERR_MAX];
	va_list ap;

	if (!rt->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	rt->log(rt->ctx, uuid, line);
}

/* Remove the rules of app uuid and its file. */
static void pm_remove(struct runtime *rt, const char *uuid)
{
	char table[RT_ID_MAX + 16], path[4096];
	char *argv[] = {"nft", "delete", "table", "ip", table, NULL};

	snprintf(table, sizeof(table), "eve-pm-%s", uuid);
	run(argv, NULL, 0); /* absent after a host reboot: fine */
	fw_remove(uuid);
	pm_path(rt, uuid, path, sizeof(path));
	if (unlink(path) == 0)
		pm_log(rt, uuid, "portmap: removed");
}

/* ---- what each app wants ------------------------------------------------ */

struct pm_want {
	const char *bridge; /* NULL: no port maps now */
	char ip[INET_ADDRSTRLEN];
	struct rt_portmap maps[RT_PORTMAP_MAX];
	size_t n;
};

/* Port maps apply while the app runs and its adapter on a local network
 * instance has an IPv4 lease. Only the first such adapter with port maps
 * is used (the controller puts them on the first adapter). */
static void pm_wanted(struct runtime *rt, const struct rt_app *a, struct pm_want *w)
{
	struct in_addr addr;
	size_t i;

	w->bridge = NULL;
	w->n = 0;
	if (!a->cfg || !a->cfg->activate || a->state != ST(RUNNING))
		return;
	for (i = 0; i < a->cfg->n_interfaces; i++) {
		const Org__Lfedge__Eve__Config__NetworkAdapter *na = a->cfg->interfaces[i];
		const struct rt_ni *ni = rt_netinst_find(rt, na->networkid);
		char mac[18];
		const char *ip;

		if (!ni || ni->type != ORG__LFEDGE__EVE__CONFIG__ZNETWORK_INST_TYPE__ZnetInstLocal ||
		    ni->state != ORG__LFEDGE__EVE__INFO__ZNETWORK_INSTANCE_STATE__ZNETINST_STATE_ONLINE)
			continue;
		w->n = rt_portmap_parse(na, w->maps, RT_PORTMAP_MAX);
		if (!w->n)
			continue;
		rt_app_mac(a->uuid, i, na->macaddress, mac);
		ip = rt_netinst_ip(rt, mac);
		if (!ip || inet_pton(AF_INET, ip, &addr) != 1) {
			w->n = 0;
			return; /* no lease yet */
		}
		snprintf(w->ip, sizeof(w->ip), "%s", ip);
		w->bridge = ni->bridge;
		return;
	}
	w->n = 0;
}

/* ---- route_localnet ------------------------------------------------------ */

static void localnet_set(const char *bridge, bool on)
{
	char path[256], cur = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/route_localnet", bridge);
	f = fopen(path, "r");
	if (!f)
		return; /* bridge gone */
	if (fread(&cur, 1, 1, f) != 1)
		cur = 0;
	fclose(f);
	if ((cur == '1') == on)
		return;
	f = fopen(path, "w");
	if (!f)
		return;
	fputs(on ? "1\n" : "0\n", f);
	fclose(f);
}

static bool in_list(const char *const *l, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(l[i], s) == 0)
			return true;
	return false;
}

/* Bridges of local network instances: route_localnet on those in `on`
 * (after the rules exist), off on the others (before the rules go). */
static void localnet_sync(struct runtime *rt, const char *const *on, size_t n_on, bool want)
{
	size_t i;

	for (i = 0; i < rt->n_nis; i++) {
		const struct rt_ni *ni = rt->nis[i];
		bool has = in_list(on, n_on, ni->bridge);

		if (ni->type == ORG__LFEDGE__EVE__CONFIG__ZNETWORK_INST_TYPE__ZnetInstLocal && has == want)
			localnet_set(ni->bridge, want);
	}
}

/* ---- sync ---------------------------------------------------------------- */

static int pm_install(struct runtime *rt, const struct rt_app *a, const struct pm_want *w,
		      const struct buf *text, char *err, size_t errlen)
{
	char path[4096];
	char *argv[] = {"nft", "-f", path, NULL};
	int r;

	/* The file is written first: it is what `nft -f` reads, and a crash
	 * before the rules are in leaves a file a later pass reinstalls. */
	pm_path(rt, a->uuid, path, sizeof(path));
	r = fileio_write_atomic(path, text->data, text->len, 0600);
	if (r < 0) {
		snprintf(err, errlen, "writing the rules file: %s", eve_strerror(r));
		return r;
	}
	r = run(argv, err, errlen);
	if (r < 0)
		return r;
	r = fw_install(a->uuid, w->bridge, w->ip, w->maps, w->n, err, errlen);
	if (r == -ENOENT) {
		/* No iptables, so no libvirt iptables rules to get past either
		 * (firewalld hosts): the host's own connections work anyway. */
		pm_log(rt, a->uuid, "portmap: no iptables command; FORWARD left as it is");
		r = 0;
	}
	return r;
}

static void pm_app(struct runtime *rt, struct rt_app *a, const struct pm_want *w, bool force)
{
	char path[4096], err[256] = "";
	struct buf text;
	size_t i;

	pm_path(rt, a->uuid, path, sizeof(path));
	if (!w->bridge) {
		if (access(path, F_OK) == 0)
			pm_remove(rt, a->uuid);
		return;
	}
	buf_init(&text, PM_NFT_MAX);
	if (rt_portmap_nft(a->uuid, w->bridge, w->ip, w->maps, w->n, &text) < 0)
		goto out;
	if (!force && pm_same(path, &text))
		goto out;
	if (!force && a->pm_retry && rt_now_ms() < a->pm_retry)
		goto out;
	if (pm_install(rt, a, w, &text, err, sizeof(err)) < 0) {
		/* Nothing half-done stays (nft -f may have left the old table);
		 * the next try, after PM_RETRY_MS, starts from scratch. */
		pm_remove(rt, a->uuid);
		a->pm_retry = rt_now_ms() + PM_RETRY_MS;
		pm_log(rt, a->uuid, "portmap: installing failed: %s", err);
		goto out;
	}
	a->pm_retry = 0;
	for (i = 0; i < w->n; i++)
		pm_log(rt, a->uuid, "portmap: %s host port %u -> %s:%u", proto_name(w->maps[i].proto),
		       w->maps[i].host, w->ip, w->maps[i].app);
out:
	buf_free(&text);
}

static bool app_known(struct runtime *rt, const char *uuid)
{
	size_t i;

	for (i = 0; i < rt->n_apps; i++)
		if (strcmp(rt->apps[i]->uuid, uuid) == 0)
			return true;
	return false;
}

/* Files of apps that left the config (also while the agent was down). */
static void pm_strays(struct runtime *rt)
{
	char dirpath[4096];

	pm_path(rt, NULL, dirpath, sizeof(dirpath));
	rt_sweep_nft(rt, dirpath, app_known, pm_remove);
}

void rt_portmap_sync(struct runtime *rt)
{
	const char *bridges[PM_MAX_BRIDGES];
	struct pm_want *w = calloc(rt->n_apps ? rt->n_apps : 1, sizeof(*w));
	bool force = !rt->first_pass_done;
	char dirpath[4096];
	size_t i, nb = 0;

	if (!w)
		return;
	pm_path(rt, NULL, dirpath, sizeof(dirpath));
	fileio_mkdirs(dirpath, 0755);
	for (i = 0; i < rt->n_apps; i++) {
		pm_wanted(rt, rt->apps[i], &w[i]);
		if (w[i].bridge && nb < PM_MAX_BRIDGES && !in_list(bridges, nb, w[i].bridge))
			bridges[nb++] = w[i].bridge;
	}
	localnet_sync(rt, bridges, nb, false);
	pm_strays(rt);
	for (i = 0; i < rt->n_apps; i++)
		pm_app(rt, rt->apps[i], &w[i], force);
	localnet_sync(rt, bridges, nb, true);
	free(w);
}
