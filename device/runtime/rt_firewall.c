// SPDX-License-Identifier: Apache-2.0
/* The distributed firewall (see rt_firewall.h and docs/firewall.md).
 *
 * The table of an app, per adapter k (MAC m, network instance address gw):
 *   hook_pre (bridge prerouting): ether saddr m  jump out_k   frames from the app
 *   hook_fwd (bridge forward):    ether daddr m  jump in_k    bridged to the app
 *   hook_out (bridge output):     ether daddr m  jump in_k    routed / sent by the host to the app
 *   out_k: ARP, DHCP, DNS to gw; IPv4 only; the ACEs (remote = daddr); drop
 *   in_k:  ARP, DHCP, DNS from gw; IPv4 only; the ACEs (remote = saddr); drop
 * Every rule that decides has a counter (nft list shows what matched). */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crypto.h"
#include "err.h"
#include "fileio.h"
#include "hexstr.h"
#include "rt_firewall.h"
#include "rt_internal.h"
#include "uuidgen.h"

#define NT(x) ORG__LFEDGE__EVE__CONFIG__ZNETWORK_INST_TYPE__##x
#define NS(x) ORG__LFEDGE__EVE__INFO__ZNETWORK_INSTANCE_STATE__ZNETINST_STATE_##x
#define FW_RETRY_MS 30000
#define FW_LIST_MAX (1u << 20)
#define FW_FRAME 1514ull /* bytes of a full-size Ethernet frame */

struct rt_fw_app {
	char uuid[RT_ID_MAX];
	bool ok; /* rules installed (or none needed) */
	bool mark;
	bool seen;     /* handled once since this runtime started */
	char hash[65]; /* of the script installed by this runtime */
	char err[RT_ERR_MAX];
	uint64_t retry; /* ms of the next try after a failure */
};

/* ---- ACE parsing ---------------------------------------------------------- */

static int ports(const char *s, uint16_t *lo, uint16_t *hi)
{
	unsigned long a, b;
	char *end;

	if (!s || !*s || strlen(s) > 11 || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	a = strtoul(s, &end, 10);
	b = a;
	if (*end == ':' || *end == '-') {
		if (!isdigit((unsigned char)end[1]))
			return -EINVAL;
		b = strtoul(end + 1, &end, 10);
	}
	if (*end || a < 1 || b > 65535 || a > b)
		return -EINVAL;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

/* IPv4 "a.b.c.d" or "a.b.c.d/len" -> canonical "net/len" in out. 1 when s
 * is IPv6, -EINVAL when neither. */
static int ipv4_net(const char *s, char out[20])
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	struct in6_addr a6;
	struct in_addr a;
	long len = 32;
	char *end;
	uint32_t m;

	if (strlen(s) >= sizeof(addr))
		return -EINVAL;
	snprintf(addr, sizeof(addr), "%.*s", slash ? (int)(slash - s) : (int)strlen(s), s);
	if (inet_pton(AF_INET, addr, &a) != 1)
		return inet_pton(AF_INET6, addr, &a6) == 1 ? 1 : -EINVAL;
	if (slash) {
		if (!isdigit((unsigned char)slash[1]))
			return -EINVAL;
		len = strtol(slash + 1, &end, 10);
		if (*end || len < 0 || len > 32)
			return -EINVAL;
	}
	m = len ? ~0u << (32 - len) : 0;
	a.s_addr = htonl(ntohl(a.s_addr) & m);
	inet_ntop(AF_INET, &a, addr, INET_ADDRSTRLEN);
	snprintf(out, 20, "%.15s/%ld", addr, len);
	return 0;
}

static bool hostname_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > RT_FW_HOST_MAX || s[0] == '.' || s[0] == '-' || s[n - 1] == '-' || strstr(s, ".."))
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.' && s[i] != '_')
			return false;
	return true;
}

static int proto_num(const char *s)
{
	static const struct {
		const char *name;
		int num;
	} t[] = {{"tcp", IPPROTO_TCP}, {"udp", IPPROTO_UDP}, {"icmp", IPPROTO_ICMP}, {"sctp", IPPROTO_SCTP}};
	unsigned long v;
	char *end;
	size_t i;

	for (i = 0; s && i < sizeof(t) / sizeof(t[0]); i++)
		if (strcasecmp(s, t[i].name) == 0)
			return t[i].num;
	if (!s || !isdigit((unsigned char)s[0]) || strlen(s) > 3)
		return -1;
	v = strtoul(s, &end, 10);
	return *end || v > 255 ? -1 : (int)v;
}

static const char *limit_unit(const char *u)
{
	static const struct {
		const char *in, *out;
	} t[] = {{"s", "second"},   {"sec", "second"},    {"second", "second"}, {"m", "minute"},
		 {"min", "minute"}, {"minute", "minute"}, {"h", "hour"},        {"hour", "hour"},
		 {"d", "day"},      {"day", "day"}};
	size_t i;

	if (!u || !*u)
		return "second";
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcasecmp(u, t[i].in) == 0)
			return t[i].out;
	return NULL;
}

static int parse_action(const Org__Lfedge__Eve__Config__ACE *ace, struct rt_fw_ace *o, char *err,
			size_t errlen)
{
	int kinds = 0;
	size_t i;

	o->action = RT_FW_ALLOW;
	for (i = 0; i < ace->n_actions; i++) {
		const Org__Lfedge__Eve__Config__ACEAction *a = ace->actions[i];

		if (!a)
			continue;
		kinds += a->drop + a->limit + a->portmap;
		if (a->drop)
			o->action = RT_FW_DROP;
		if (a->portmap) {
			o->action = RT_FW_PORTMAP;
			if (a->appport < 1 || a->appport > 65535) {
				snprintf(err, errlen, "portmap with app port %u", a->appport);
				return -EINVAL;
			}
			o->app_port = (uint16_t)a->appport;
		}
		if (a->limit) {
			o->action = RT_FW_LIMIT;
			o->rate = a->limitrate;
			o->burst = a->limitburst;
			o->unit = limit_unit(a->limitunit);
			if (!o->rate || o->rate > 1000000 || !o->unit) {
				snprintf(err, errlen, "limit needs a rate of 1..1000000 and a unit s|m|h|d");
				return -EINVAL;
			}
		}
	}
	if (kinds > 1) {
		snprintf(err, errlen, "an ACE combines drop/limit/portmap actions");
		return -EINVAL;
	}
	return 0;
}

/* One match into o; 1 = not IPv4 (skip the ACE). */
static int parse_match(const Org__Lfedge__Eve__Config__ACEMatch *m, struct rt_fw_ace *o, char *err,
		       size_t errlen)
{
	const char *t = m->type ? m->type : "", *v = m->value ? m->value : "";
	int r = 0;

	if (strcmp(t, "ip") == 0 || (strcmp(t, "host") == 0 && ipv4_net(v, o->net) >= 0)) {
		o->host[0] = '\0';
		r = ipv4_net(v, o->net);
	} else if (strcmp(t, "host") == 0) {
		if (!hostname_ok(v))
			r = -EINVAL;
		for (size_t i = 0; r == 0 && v[i]; i++)
			o->host[i] = (char)tolower((unsigned char)v[i]);
		if (r == 0)
			o->host[strlen(v)] = '\0';
	} else if (strcmp(t, "protocol") == 0) {
		o->proto = proto_num(v);
		r = o->proto < 0 ? -EINVAL : 0;
	} else if (strcmp(t, "lport") == 0) {
		r = ports(v, &o->lport_lo, &o->lport_hi);
	} else if (strcmp(t, "fport") == 0) {
		r = ports(v, &o->fport_lo, &o->fport_hi);
	} else {
		/* adapter (uplink labels of port maps) and eidset (overlay
		 * networks): no such objects here; see docs/firewall.md. */
		snprintf(err, errlen, "match type \"%.32s\" is not supported", t);
		return -EINVAL;
	}
	if (r < 0)
		snprintf(err, errlen, "bad %s match \"%.64s\"", t, v);
	return r;
}

int rt_fw_parse_ace(const Org__Lfedge__Eve__Config__ACE *ace, struct rt_fw_ace *o, char *err, size_t errlen)
{
	bool v6 = false;
	size_t i;
	int r;

	memset(o, 0, sizeof(*o));
	o->proto = -1;
	o->id = ace->id;
	r = parse_action(ace, o, err, errlen);
	for (i = 0; r == 0 && i < ace->n_matches; i++) {
		if (!ace->matches[i])
			continue;
		r = parse_match(ace->matches[i], o, err, errlen);
		if (r == 1) {
			v6 = true;
			r = 0;
		}
	}
	if (r < 0)
		return r;
	if ((o->lport_lo || o->fport_lo || o->action == RT_FW_PORTMAP) && o->proto != IPPROTO_TCP &&
	    o->proto != IPPROTO_UDP && o->proto != IPPROTO_SCTP) {
		snprintf(err, errlen, "lport/fport/portmap need protocol tcp, udp or sctp");
		return -EINVAL;
	}
	if (o->action == RT_FW_PORTMAP && !o->lport_lo) {
		snprintf(err, errlen, "portmap without lport");
		return -EINVAL;
	}
	return v6 ? 1 : 0;
}

/* ---- nft script ------------------------------------------------------------- */

void rt_fw_host_set(const char *host, char out[24])
{
	uint8_t h[32];
	char hex[65];

	crypto_sha256(host, strlen(host), h);
	hexstr_encode(h, 32, hex);
	snprintf(out, 24, "host_%.16s", hex);
}

static int port_expr(struct buf *b, const char *dir, uint16_t lo, uint16_t hi)
{
	if (!lo)
		return 0;
	if (lo == hi)
		return buf_printf(b, " th %s %u", dir, lo);
	return buf_printf(b, " th %s %u-%u", dir, lo, hi);
}

/* The match part of ACE a, for frames from the app (out) or to it. */
static int ace_match(struct buf *b, const struct rt_fw_ace *a, bool out)
{
	const char *remote = out ? "daddr" : "saddr";
	char set[24];
	int r = buf_printf(b, "\t\tip version 4");

	if (r == 0 && a->net[0])
		r = buf_printf(b, " ip %s %s", remote, a->net);
	if (r == 0 && a->host[0]) {
		rt_fw_host_set(a->host, set);
		r = buf_printf(b, " ip %s @%s", remote, set);
	}
	if (r == 0 && a->proto >= 0)
		r = buf_printf(b, " ip protocol %d", a->proto);
	if (r == 0 && a->action == RT_FW_PORTMAP)
		r = port_expr(b, out ? "sport" : "dport", a->app_port, a->app_port);
	else if (r == 0) {
		r = port_expr(b, out ? "dport" : "sport", a->fport_lo, a->fport_hi);
		r = r ? r : port_expr(b, out ? "sport" : "dport", a->lport_lo, a->lport_hi);
	}
	return r;
}

/* Byte burst of a limit: its packet burst at full frames, but at least two
 * aggregates (a single one larger than the bucket would never pass). */
static unsigned long long limit_burst_bytes(const struct rt_fw_ace *a)
{
	unsigned long long b = (unsigned long long)(a->burst ? a->burst : 5) * FW_FRAME;

	return b < 2 * 65536 ? 2 * 65536 : b;
}

/* Rules of ACE a; a drop goes to chain drop (which records it, marked
 * with the ACE's id, for the flow log, then drops). */
static int ace_rules(struct buf *b, const struct rt_fw_ace *a, bool out, const char *drop)
{
	uint32_t mark = (uint32_t)a->id;
	int r = 0;

	if (a->action == RT_FW_LIMIT) {
		r = ace_match(b, a, out);
		r = r ? r : buf_printf(b, " limit rate over %u/%s", a->rate, a->unit);
		if (r == 0 && a->burst)
			r = buf_printf(b, " burst %u packets", a->burst);
		r = r ? r
		      : buf_printf(b, " counter meta mark set 0x%08x goto %s comment \"ace %d limit\"\n",
				   mark, drop, a->id);
		/* The kernel counts a GRO/GSO aggregate (up to 64 KiB) as one
		 * packet: the same rate also caps bytes, at full-size frames. */
		r = r ? r : ace_match(b, a, out);
		r = r ? r
		      : buf_printf(b,
				   " limit rate over %llu bytes/%s burst %llu bytes counter meta mark set "
				   "0x%08x goto %s "
				   "comment \"ace %d limit bytes\"\n",
				   (unsigned long long)a->rate * FW_FRAME, a->unit, limit_burst_bytes(a),
				   mark, drop, a->id);
	}
	r = r ? r : ace_match(b, a, out);
	if (r == 0 && a->action == RT_FW_DROP)
		return buf_printf(b, " counter meta mark set 0x%08x goto %s comment \"ace %d\"\n", mark, drop,
				  a->id);
	return r ? r : buf_printf(b, " counter accept comment \"ace %d\"\n", a->id);
}

/* Traffic every adapter needs: ARP, DHCP, DNS of the network instance. */
static int essentials(struct buf *b, const char *gw, bool out)
{
	const char *dir = out ? "daddr" : "saddr", *port = out ? "dport" : "sport";
	int r =
	    buf_printf(b,
		       "\t\tether type arp accept\n\t\tether type != ip counter drop comment \"not IPv4\"\n"
		       "\t\tudp sport %u udp dport %u accept\n",
		       out ? 68 : 67, out ? 67 : 68);

	if (r == 0 && gw && *gw)
		r = buf_printf(b, "\t\tip %s %s meta l4proto { tcp, udp } th %s 53 accept\n", dir, gw, port);
	else if (r == 0)
		r = buf_printf(b, "\t\tmeta l4proto { tcp, udp } th %s 53 accept\n", port);
	return r;
}

/* The drop chain of adapter k: records the packet (ACE id in the mark,
 * remote address, protocol, port) in the set of the same name, then drops.
 * Recording never decides: a full set or a packet without ports is still
 * dropped by the last rule. */
static int drop_chain(struct buf *b, size_t k, bool out)
{
	const char *dir = out ? "out" : "in";

	return buf_printf(
	    b,
	    "\tchain drop_%s_%zu {\n\t\tmeta l4proto { tcp, udp, sctp } update @drop_%s_%zu { meta mark "
	    ". ip %s . meta l4proto . th dport counter }\n\t\tdrop\n\t}\n",
	    dir, k, dir, k, out ? "daddr" : "saddr");
}

static int chain(struct buf *b, const struct rt_fw_nic *nic, size_t k, bool out)
{
	char drop[32];
	size_t i;
	int r = buf_printf(b, "\tchain %s_%zu {\n", out ? "out" : "in", k);

	snprintf(drop, sizeof(drop), "drop_%s_%zu", out ? "out" : "in", k);
	r = r ? r : essentials(b, nic->gw, out);
	for (i = 0; r == 0 && i < nic->n_aces; i++)
		r = ace_rules(b, &nic->aces[i], out, drop);
	r = r ? r
	      : buf_printf(b, "\t\tcounter meta mark set 0x00000000 goto %s comment \"default\"\n\t}\n",
			   drop);
	return r ? r : drop_chain(b, k, out);
}

static bool mac_ok(const char *m)
{
	size_t i;

	if (strlen(m) != 17)
		return false;
	for (i = 0; i < 17; i++)
		if (i % 3 == 2 ? m[i] != ':' : !isxdigit((unsigned char)m[i]) || isupper((unsigned char)m[i]))
			return false;
	return true;
}

static int drop_sets(struct buf *b, size_t n)
{
	size_t k;
	int r = 0;

	for (k = 0; r == 0 && k < 2 * n; k++)
		r = buf_printf(b,
			       "\tset drop_%s_%zu {\n\t\ttype mark . ipv4_addr . inet_proto . inet_service\n"
			       "\t\tsize %d\n\t\tflags dynamic,timeout\n\t\ttimeout %ds\n\t}\n",
			       k % 2 ? "in" : "out", k / 2, RT_FW_DROP_SET_MAX, RT_FW_DROP_TIMEOUT_S);
	return r;
}

static int sets(struct buf *b, const struct rt_fw_nic *nics, size_t n)
{
	char set[24], seen[RT_FW_MAX_NICS * RT_FW_MAX_ACES][24];
	size_t k, i, j, ns = 0;
	int r = 0;

	for (k = 0; r == 0 && k < n; k++)
		for (i = 0; r == 0 && i < nics[k].n_aces; i++) {
			if (!nics[k].aces[i].host[0])
				continue;
			rt_fw_host_set(nics[k].aces[i].host, set);
			for (j = 0; j < ns && strcmp(seen[j], set); j++)
				;
			if (j < ns || ns >= sizeof(seen) / sizeof(seen[0]))
				continue;
			memcpy(seen[ns++], set, sizeof(set));
			r = buf_printf(b, "\tset %s {\n\t\ttype ipv4_addr\n\t\tcomment \"%s\"\n\t}\n", set,
				       nics[k].aces[i].host);
		}
	return r;
}

static int body(const struct rt_fw_nic *nics, size_t n, struct buf *b)
{
	static const char *const hooks[][3] = {{"hook_pre", "prerouting", "saddr"},
					       {"hook_fwd", "forward", "daddr"},
					       {"hook_out", "output", "daddr"}};
	size_t k, h;
	int r = sets(b, nics, n);

	r = r ? r : drop_sets(b, n);

	for (h = 0; r == 0 && h < 3; h++) {
		r = buf_printf(b, "\tchain %s {\n\t\ttype filter hook %s priority -200; policy accept;\n",
			       hooks[h][0], hooks[h][1]);
		for (k = 0; r == 0 && k < n; k++)
			r = buf_printf(b, "\t\tether %s %s jump %s_%zu\n", hooks[h][2], nics[k].mac,
				       h == 0 ? "out" : "in", k);
		r = r ? r : buf_printf(b, "\t}\n");
	}
	for (k = 0; r == 0 && k < n; k++) {
		r = chain(b, &nics[k], k, true);
		r = r ? r : chain(b, &nics[k], k, false);
	}
	return r;
}

int rt_fw_nft(const char *uuid, const struct rt_fw_nic *nics, size_t n, struct buf *out, char *hash_hex)
{
	char hex[65];
	uint8_t h[32];
	struct buf b;
	size_t k;
	int r;

	if (!uuidgen_valid(uuid) || n > RT_FW_MAX_NICS)
		return -EINVAL;
	for (k = 0; k < n; k++) {
		struct in_addr a;

		if (!mac_ok(nics[k].mac) ||
		    (nics[k].gw && *nics[k].gw && inet_pton(AF_INET, nics[k].gw, &a) != 1))
			return -EINVAL;
	}
	buf_init(&b, RT_FW_SCRIPT_MAX);
	r = body(nics, n, &b);
	if (r == 0) {
		crypto_sha256(b.data, b.len, h);
		hexstr_encode(h, 32, hex);
		/* Declaring then deleting the table makes the script replace
		 * it in one transaction: the old rules hold until the new are in. */
		r = buf_printf(out,
			       "table bridge eve-fw-%s\ndelete table bridge eve-fw-%s\n"
			       "table bridge eve-fw-%s {\n\tcomment \"eve-fw %s\"\n",
			       uuid, uuid, uuid, hex);
	}
	r = r ? r : buf_append(out, b.data, b.len);
	r = r ? r : buf_printf(out, "}\n");
	if (r == 0 && hash_hex)
		memcpy(hash_hex, hex, 65);
	buf_free(&b);
	return r;
}

/* ---- running nft ------------------------------------------------------------ */

/* Run argv; stdout into out (may be NULL, capped at its capacity), the
 * first line of stderr into err. 0 on exit status 0. nft is also looked up
 * in /usr/sbin when the agent's PATH lacks it. */
int rt_fw_run(char *const argv[], struct buf *out, char *err, size_t errlen)
{
	int po[2], pe[2], st = 0;
	char chunk[4096], e[256] = "";
	size_t elen = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(po, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(pe, O_CLOEXEC) < 0) {
		close(po[0]);
		close(po[1]);
		return -errno;
	}
	pid = fork();
	if (pid == 0) {
		char alt[64];
		sigset_t none;

		/* The agent blocks its signals for sigwait: a daemon started
		 * from here (dnsmasq) must not inherit that. */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		execvp(argv[0], argv);
		snprintf(alt, sizeof(alt), "/usr/sbin/%s", argv[0]);
		execv(alt, argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	while (pid > 0 && (n = read(po[0], chunk, sizeof(chunk))) > 0)
		if (out)
			buf_append(out, chunk, (size_t)n); /* over the cap: truncated */
	while (pid > 0 && (n = read(pe[0], e + elen, sizeof(e) - 1 - elen)) > 0)
		elen += (size_t)n;
	close(po[0]);
	close(pe[0]);
	if (pid < 0)
		return -EAGAIN;
	e[elen] = '\0';
	e[strcspn(e, "\n")] = '\0';
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (err)
		snprintf(err, errlen, "%s: %s", argv[0],
			 WIFEXITED(st) && WEXITSTATUS(st) == 127 ? "command not found" : e);
	return WIFEXITED(st) && WEXITSTATUS(st) == 127 ? -ENOENT : -EIO;
}

/* ---- per-app state ------------------------------------------------------------ */

static struct rt_fw_app *fw_find(struct runtime *rt, const char *uuid)
{
	size_t i;

	for (i = 0; i < rt->n_fws; i++)
		if (strcmp(rt->fws[i]->uuid, uuid) == 0)
			return rt->fws[i];
	return NULL;
}

static struct rt_fw_app *fw_track(struct runtime *rt, const char *uuid)
{
	struct rt_fw_app *f = fw_find(rt, uuid), **arr;

	if (f)
		return f;
	f = calloc(1, sizeof(*f));
	arr = f ? realloc(rt->fws, (rt->n_fws + 1) * sizeof(*arr)) : NULL;
	if (!arr) {
		free(f);
		return NULL;
	}
	rt->fws = arr;
	snprintf(f->uuid, sizeof(f->uuid), "%s", uuid);
	rt->fws[rt->n_fws++] = f;
	return f;
}

void rt_firewall_free(struct runtime *rt)
{
	size_t i;

	for (i = 0; i < rt->n_fws; i++)
		free(rt->fws[i]);
	free(rt->fws);
	rt->fws = NULL;
	rt->n_fws = 0;
}

bool rt_firewall_ready(struct runtime *rt, const char *uuid, char *err, size_t errlen)
{
	const struct rt_fw_app *f = fw_find(rt, uuid);

	if (f && f->ok)
		return true;
	snprintf(err, errlen, "firewall rules not installed%s%s", f && f->err[0] ? ": " : "",
		 f ? f->err : "");
	return false;
}

static void fw_log(struct runtime *rt, const char *uuid, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fw_log(struct runtime *rt, const char *uuid, const char *fmt, ...)
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

static void fw_path(const struct runtime *rt, const char *uuid, char *out, size_t n)
{
	snprintf(out, n, "%s/firewall%s%s%s", rt->state_dir, uuid ? "/" : "", uuid ? uuid : "",
		 uuid ? ".nft" : "");
}

static void fw_remove(struct runtime *rt, const char *uuid)
{
	char table[RT_ID_MAX + 16], path[4096];
	char *argv[] = {"nft", "delete", "table", "bridge", table, NULL};

	snprintf(table, sizeof(table), "eve-fw-%s", uuid);
	rt_fw_run(argv, NULL, NULL, 0); /* absent after a host reboot: fine */
	fw_path(rt, uuid, path, sizeof(path));
	if (unlink(path) == 0)
		fw_log(rt, uuid, "firewall: rules removed");
}

/* True when the kernel holds app uuid's table made from the script whose
 * hash is hex. */
static bool fw_installed(const char *uuid, const char *hex)
{
	char table[RT_ID_MAX + 16], want[96];
	char *argv[] = {"nft", "-t", "list", "table", "bridge", table, NULL};
	struct buf out;
	bool ok;

	snprintf(table, sizeof(table), "eve-fw-%s", uuid);
	snprintf(want, sizeof(want), "comment \"eve-fw %s\"", hex);
	buf_init(&out, FW_LIST_MAX);
	ok = rt_fw_run(argv, &out, NULL, 0) == 0 && buf_append(&out, "", 1) == 0 &&
	     strstr((const char *)out.data, want) != NULL;
	buf_free(&out);
	return ok;
}

/* ---- what each app wants -------------------------------------------------------- */

struct fw_want {
	struct rt_fw_nic nics[RT_FW_MAX_NICS];
	struct rt_fw_ace aces[RT_FW_MAX_NICS][RT_FW_MAX_ACES];
	size_t n;
	char bad[RT_ERR_MAX]; /* ACEs left out */
};

/* 0, or -EAGAIN (a network instance is not ready: nothing to install yet). */
static int fw_wanted(struct runtime *rt, const rt_app_cfg *ac, const char *uuid, struct fw_want *w, char *err,
		     size_t errlen)
{
	size_t i, j, n;

	w->n = 0;
	w->bad[0] = '\0';
	for (i = 0; i < ac->n_interfaces && w->n < RT_FW_MAX_NICS; i++) {
		const Org__Lfedge__Eve__Config__NetworkAdapter *na = ac->interfaces[i];
		const struct rt_ni *ni = rt_netinst_find(rt, na ? na->networkid : NULL);
		struct rt_fw_nic *nic = &w->nics[w->n];

		if (!ni || ni->state != NS(ONLINE)) {
			snprintf(err, errlen, "network instance of adapter %zu not ready", i);
			return -EAGAIN;
		}
		rt_app_mac(uuid, i, na->macaddress, nic->mac);
		for (j = 0; nic->mac[j]; j++)
			nic->mac[j] = (char)tolower((unsigned char)nic->mac[j]);
		nic->gw = ni->type == NT(ZnetInstLocal) ? ni->gw : "";
		nic->aces = w->aces[w->n];
		for (j = n = 0; j < na->n_acls && n < RT_FW_MAX_ACES; j++) {
			char why[160];
			int r = na->acls[j]
				    ? rt_fw_parse_ace(na->acls[j], &w->aces[w->n][n], why, sizeof(why))
				    : 1;

			/* As EVE: names are resolved by a local instance's DNS. */
			if (r == 0 && w->aces[w->n][n].host[0] && ni->type != NT(ZnetInstLocal)) {
				snprintf(why, sizeof(why),
					 "host matches need a local network instance (its DNS)");
				r = -EINVAL;
			}
			if (r == 0)
				n++;
			else if (r < 0 && strlen(w->bad) < sizeof(w->bad) / 2)
				snprintf(w->bad + strlen(w->bad), sizeof(w->bad) - strlen(w->bad),
					 "%sadapter %zu ACE %d: %s", w->bad[0] ? "; " : "", i,
					 na->acls[j]->id, why);
		}
		nic->n_aces = n;
		w->n++;
	}
	if (ac->n_interfaces > RT_FW_MAX_NICS) {
		snprintf(err, errlen, "more than %d adapters", RT_FW_MAX_NICS);
		return -E2BIG;
	}
	return 0;
}

/* Append to out "add element" lines for the addresses in an `nft list
 * set` listing (the part after "elements = {"). */
static int carry_elements(const char *uuid, const char *set, const char *listing, struct buf *out)
{
	const char *p = strstr(listing, "elements = {");
	char ip[INET_ADDRSTRLEN];
	struct in_addr a;
	bool any = false;
	int r = 0;

	if (!p)
		return 0;
	for (p += 12; r == 0 && *p && *p != '}';) {
		size_t n = strspn(p, "0123456789.");

		if (n > 0 && n < sizeof(ip)) {
			memcpy(ip, p, n);
			ip[n] = '\0';
			if (inet_pton(AF_INET, ip, &a) == 1) {
				r = buf_printf(out, "%s%s", any ? ", " : "add element bridge eve-fw-",
					       any ? "" : uuid);
				r = r ? r : (any ? 0 : buf_printf(out, " %s { ", set));
				r = r ? r : buf_printf(out, "%s", ip);
				any = true;
			}
		}
		p += n ? n : 1;
	}
	return r ? r : any ? buf_printf(out, " }\n") : 0;
}

/* A replaced table keeps what DNS put in its host sets: the script gets
 * the current elements of every host set it declares. */
static int fw_carry_sets(const char *uuid, struct buf *text)
{
	char table[RT_ID_MAX + 16], set[24];
	char *argv[] = {"nft", "list", "set", "bridge", table, set, NULL};
	const char *p;
	size_t off = 0;
	int r = 0;

	snprintf(table, sizeof(table), "eve-fw-%s", uuid);
	while (r == 0 && off < text->len &&
	       (p = memmem(text->data + off, text->len - off, "\tset host_", 10))) {
		struct buf out;

		off = (size_t)(p - (const char *)text->data) + 10;
		snprintf(set, sizeof(set), "host_%.16s", p + 10);
		buf_init(&out, FW_LIST_MAX);
		if (rt_fw_run(argv, &out, NULL, 0) == 0 && buf_append(&out, "", 1) == 0)
			r = carry_elements(uuid, set, (const char *)out.data, text);
		buf_free(&out);
	}
	return r;
}

static int fw_install(struct runtime *rt, const char *uuid, struct buf *text, char *err, size_t errlen)
{
	char path[4096];
	char *argv[] = {"nft", "-f", path, NULL};
	int r;

	fw_path(rt, uuid, path, sizeof(path));
	r = fw_carry_sets(uuid, text);
	r = r ? r : fileio_write_atomic(path, text->data, text->len, 0600);
	if (r < 0) {
		snprintf(err, errlen, "writing the rules file: %s", eve_strerror(r));
		return r;
	}
	return rt_fw_run(argv, NULL, err, errlen);
}

static void fw_log_rules(struct runtime *rt, const char *uuid, const struct fw_want *w)
{
	size_t k;

	for (k = 0; k < w->n; k++)
		fw_log(rt, uuid, "firewall: adapter %zu (%s): %zu ACEs enforced, everything else dropped", k,
		       w->nics[k].mac, w->nics[k].n_aces);
	if (w->bad[0])
		fw_log(rt, uuid, "firewall: left out (not enforced, traffic they would allow is dropped): %s",
		       w->bad);
}

static void fw_app(struct runtime *rt, const rt_app_cfg *ac, struct rt_fw_app *f, bool first)
{
	struct fw_want *w = calloc(1, sizeof(*w));
	char hex[65], err[RT_ERR_MAX] = "";
	struct buf text;
	int r;

	buf_init(&text, RT_FW_SCRIPT_MAX);
	if (!w) {
		snprintf(f->err, sizeof(f->err), "out of memory");
		goto out;
	}
	r = fw_wanted(rt, ac, f->uuid, w, err, sizeof(err));
	if (r < 0) {
		f->ok = false;
		snprintf(f->err, sizeof(f->err), "%s", err);
		goto out;
	}
	if (w->n == 0) { /* no adapters: nothing to filter */
		char path[4096];

		fw_path(rt, f->uuid, path, sizeof(path));
		if (access(path, F_OK) == 0)
			fw_remove(rt, f->uuid);
		f->ok = true;
		goto out;
	}
	if (rt_fw_nft(f->uuid, w->nics, w->n, &text, hex) < 0) {
		f->ok = false;
		snprintf(f->err, sizeof(f->err), "cannot build the rules (bad MAC or address)");
		goto out;
	}
	if (f->ok && !first && strcmp(f->hash, hex) == 0)
		goto out; /* unchanged since we installed it */
	if (first && fw_installed(f->uuid, hex)) {
		/* A restarted agent: the kernel kept exactly these rules. */
		memcpy(f->hash, hex, sizeof(hex));
		f->ok = true;
		goto out;
	}
	if (f->retry && rt_now_ms() < f->retry)
		goto out;
	if (fw_install(rt, f->uuid, &text, err, sizeof(err)) < 0) {
		/* nft -f is one transaction: the previous table (if any)
		 * still holds; an app without one is not started. */
		f->ok = false;
		f->retry = rt_now_ms() + FW_RETRY_MS;
		snprintf(f->err, sizeof(f->err), "%s", err);
		fw_log(rt, f->uuid, "firewall: installing the rules failed: %s", err);
		goto out;
	}
	f->ok = true;
	f->retry = 0;
	f->err[0] = '\0';
	memcpy(f->hash, hex, sizeof(hex));
	fw_log_rules(rt, f->uuid, w);
out:
	buf_free(&text);
	free(w);
}

static bool fw_known(struct runtime *rt, const char *uuid)
{
	return fw_find(rt, uuid) != NULL;
}

/* Files (so tables) of apps that left the config, also while the agent
 * was down. */
static void fw_strays(struct runtime *rt)
{
	char dirpath[4096];

	fw_path(rt, NULL, dirpath, sizeof(dirpath));
	rt_sweep_nft(rt, dirpath, fw_known, fw_remove);
}

void rt_firewall_sync(struct runtime *rt)
{
	char dirpath[4096];
	size_t i;

	fw_path(rt, NULL, dirpath, sizeof(dirpath));
	fileio_mkdirs(dirpath, 0700);
	for (i = 0; i < rt->n_fws; i++)
		rt->fws[i]->mark = false;
	for (i = 0; rt->cfg && i < rt->cfg->n_apps; i++) {
		const rt_app_cfg *ac = rt->cfg->apps[i];
		struct rt_fw_app *f;

		if (!ac || !ac->uuidandversion || !uuidgen_valid(ac->uuidandversion->uuid))
			continue;
		f = fw_track(rt, ac->uuidandversion->uuid);
		if (!f)
			continue;
		f->mark = true;
		fw_app(rt, ac, f, !f->seen);
		f->seen = true;
	}
}

void rt_firewall_gc(struct runtime *rt)
{
	size_t i, j;

	for (i = j = 0; i < rt->n_fws; i++) {
		if (rt->fws[i]->mark) {
			rt->fws[j++] = rt->fws[i];
			continue;
		}
		fw_remove(rt, rt->fws[i]->uuid);
		free(rt->fws[i]);
	}
	rt->n_fws = j;
	fw_strays(rt);
}
