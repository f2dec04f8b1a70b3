// SPDX-License-Identifier: Apache-2.0
/* Management port addressing through rtnetlink (libmnl) and udhcpc. */
#include "portcfg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "fileio.h"

#define MAX_FLUSH 16
#define LEASE_MAX 4096

/* Send one request and wait for its ACK. 0 or a negative errno. */
static int nl_request(struct nlmsghdr *nlh)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int portid, seq = (unsigned int)time(NULL);
	ssize_t n;
	int r = 0;

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		r = -errno;
		goto out;
	}
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0 || mnl_cb_run(buf, (size_t)n, seq, portid, NULL, NULL) < 0)
		r = errno ? -errno : -EIO;
out:
	mnl_socket_close(nl);
	return r;
}

int portcfg_link_up(const char *ifname)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;
	unsigned int idx = if_nametoindex(ifname);

	if (!idx)
		return -ENODEV;
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = (int)idx;
	ifm->ifi_change = IFF_UP;
	ifm->ifi_flags = IFF_UP;
	return nl_request(nlh);
}

/* An IPv4 or IPv6 address. */
struct ipa {
	int family; /* AF_INET, AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} u;
};

static size_t ipa_len(const struct ipa *a)
{
	return a->family == AF_INET6 ? sizeof(a->u.v6) : sizeof(a->u.v4);
}

static bool ipa_eq(const struct ipa *a, const struct ipa *b)
{
	return a->family == b->family && !memcmp(&a->u, &b->u, ipa_len(a));
}

static int ipa_parse(const char *s, struct ipa *a)
{
	memset(a, 0, sizeof(*a));
	a->family = strchr(s, ':') ? AF_INET6 : AF_INET;
	return inet_pton(a->family, s, &a->u) == 1 ? 0 : -EINVAL;
}

/* "a.b.c.d/nn" or "fd00::2/64" into addr and prefix. */
static int parse_cidr(const char *s, struct ipa *addr, unsigned *prefix)
{
	char ip[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	char *end;
	long bits;

	if (!slash || (size_t)(slash - s) >= sizeof(ip))
		return -EINVAL;
	snprintf(ip, sizeof(ip), "%.*s", (int)(slash - s), s);
	bits = strtol(slash + 1, &end, 10);
	if (*end || end == slash + 1 || ipa_parse(ip, addr) < 0 || bits < 1 ||
	    bits > (addr->family == AF_INET6 ? 128 : 32))
		return -EINVAL;
	*prefix = (unsigned)bits;
	return 0;
}

static int addr_msg(int type, unsigned idx, const struct ipa *a, unsigned prefix)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;

	nlh->nlmsg_type = (uint16_t)type;
	nlh->nlmsg_flags = NLM_F_REQUEST | (type == RTM_NEWADDR ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (unsigned char)a->family;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = idx;
	mnl_attr_put(nlh, IFA_LOCAL, ipa_len(a), &a->u);
	mnl_attr_put(nlh, IFA_ADDRESS, ipa_len(a), &a->u);
	/* a configured IPv6 address is usable at once (no duplicate
	 * detection delaying the first request by seconds) */
	if (a->family == AF_INET6 && type == RTM_NEWADDR)
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
	return nl_request(nlh);
}

/* Prefix length of a netmask sockaddr. */
static unsigned mask_bits(const struct sockaddr *m)
{
	const unsigned char *b;
	size_t n;
	unsigned bits = 0;

	if (!m)
		return 0;
	if (m->sa_family == AF_INET6) {
		b = (const unsigned char *)&((const struct sockaddr_in6 *)(const void *)m)->sin6_addr;
		n = 16;
	} else {
		b = (const unsigned char *)&((const struct sockaddr_in *)(const void *)m)->sin_addr;
		n = 4;
	}
	for (size_t i = 0; i < n; i++)
		bits += (unsigned)__builtin_popcount(b[i]);
	return bits;
}

/* Whether an address of getifaddrs is one we configure or report: IPv4,
 * or IPv6 other than link-local (the kernel's own, kept). */
static bool addr_ours(const struct sockaddr *sa, int family)
{
	if (!sa || sa->sa_family != family)
		return false;
	return family == AF_INET ||
	       !IN6_IS_ADDR_LINKLOCAL(&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr);
}

/* The interface's addresses of family (getifaddrs), at most MAX_FLUSH. */
static size_t if_addrs(const char *ifname, int family, struct ipa *a, unsigned *prefix)
{
	struct ifaddrs *ifs = NULL, *i;
	size_t n = 0;

	if (getifaddrs(&ifs) < 0)
		return 0;
	for (i = ifs; i && n < MAX_FLUSH; i = i->ifa_next) {
		if (!addr_ours(i->ifa_addr, family) || strcmp(i->ifa_name, ifname))
			continue;
		memset(&a[n], 0, sizeof(a[n]));
		a[n].family = family;
		if (family == AF_INET6)
			a[n].u.v6 = ((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr;
		else
			a[n].u.v4 = ((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr;
		prefix[n] = mask_bits(i->ifa_netmask);
		n++;
	}
	freeifaddrs(ifs);
	return n;
}

/* Remove the addresses of ifname of family other than keep (may be NULL). */
static int flush_except(const char *ifname, int family, const struct ipa *keep, unsigned keep_prefix)
{
	struct ipa a[MAX_FLUSH];
	unsigned prefix[MAX_FLUSH];
	unsigned idx = if_nametoindex(ifname);
	size_t n;
	int r = 0;

	if (!idx)
		return -ENODEV;
	n = if_addrs(ifname, family, a, prefix);
	for (size_t i = 0; i < n; i++) {
		if (keep && ipa_eq(&a[i], keep) && prefix[i] == keep_prefix)
			continue;
		if (addr_msg(RTM_DELADDR, idx, &a[i], prefix[i]) < 0 && r == 0)
			r = -errno;
	}
	return r;
}

int portcfg_flush(const char *ifname)
{
	return flush_except(ifname, AF_INET, NULL, 0);
}

static int route_default(unsigned idx, const struct ipa *gw, uint32_t metric)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;

	nlh->nlmsg_type = RTM_NEWROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (unsigned char)gw->family;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_GATEWAY, ipa_len(gw), &gw->u);
	mnl_attr_put_u32(nlh, RTA_OIF, idx);
	mnl_attr_put_u32(nlh, RTA_PRIORITY, metric);
	return nl_request(nlh);
}

int portcfg_apply(const char *ifname, const struct portcfg_addr *a, uint32_t metric, const char **step)
{
	struct ipa addr, gw;
	unsigned prefix, idx = if_nametoindex(ifname);
	int r;

	*step = "interface";
	if (!idx)
		return -ENODEV;
	*step = "address";
	if (parse_cidr(a->addr, &addr, &prefix) < 0)
		return -EINVAL;
	*step = "gateway";
	if (a->gw[0] && (ipa_parse(a->gw, &gw) < 0 || gw.family != addr.family))
		return -EINVAL;
	*step = "link up";
	r = portcfg_link_up(ifname);
	if (r < 0)
		return r;
	*step = "address";
	r = flush_except(ifname, addr.family, &addr, prefix);
	if (r == 0)
		r = addr_msg(RTM_NEWADDR, idx, &addr, prefix);
	if (r < 0 || !a->gw[0])
		return r;
	*step = "default route";
	return route_default(idx, &gw, metric);
}

/* The lease script: udhcpc calls it with the event and the lease in its
 * environment; it only writes the lease (atomically) for the agent. */
static const char dhcp_script[] =
    "#!/bin/sh\n"
    "f=\"$EVE_LEASE_FILE\"\n"
    "case \"$1\" in\n"
    "bound|renew)\n"
    "  printf 'ip=%s\\nmask=%s\\nrouter=%s\\ndns=%s\\n' \"$ip\" \"$mask\" \"$router\" "
    "\"$dns\" >\"$f.tmp\" && mv -f \"$f.tmp\" \"$f\" ;;\n"
    "deconfig|leasefail|nak) rm -f \"$f\" ;;\n"
    "esac\n"
    "exit 0\n";

static void dhcp_exec(const char *ifname, const char *lease_path, const char *script_path)
{
	int fd = open("/dev/null", O_RDWR);
	sigset_t none;

	/* the agent blocks SIGTERM for its signalfd: the client must not */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
	}
	close_range(3, ~0U, 0); /* none of the agent's files or sockets */
	setenv("EVE_LEASE_FILE", lease_path, 1);
	/* -f foreground, -t/-T/-A: 5 discovers 2 s apart, then retry after 5 s */
	execlp("udhcpc", "udhcpc", "-f", "-i", ifname, "-s", script_path, "-t", "5", "-T", "2", "-A", "5",
	       (char *)NULL);
	execlp("busybox", "busybox", "udhcpc", "-f", "-i", ifname, "-s", script_path, "-t", "5", "-T", "2",
	       "-A", "5", (char *)NULL);
	_exit(127);
}

pid_t portcfg_dhcp_start(const char *ifname, const char *lease_path, const char *script_path)
{
	pid_t pid;
	int r;

	r = fileio_write_atomic(script_path, dhcp_script, sizeof(dhcp_script) - 1, 0700);
	if (r < 0)
		return r;
	unlink(lease_path);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		dhcp_exec(ifname, lease_path, script_path);
	return pid;
}

void portcfg_dhcp_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

/* One "key=value" line of a lease into out. */
static void lease_line(const char *k, const char *v, unsigned *mask, struct portcfg_addr *out)
{
	char tmp[256], *save = NULL, *t;

	if (!strcmp(k, "ip"))
		snprintf(out->addr, sizeof(out->addr), "%s", v);
	else if (!strcmp(k, "mask"))
		*mask = (unsigned)atoi(v);
	else if (!strcmp(k, "router") && sscanf(v, "%47s", out->gw) != 1)
		out->gw[0] = '\0';
	else if (!strcmp(k, "dns")) {
		snprintf(tmp, sizeof(tmp), "%s", v);
		for (t = strtok_r(tmp, " ", &save); t && out->n_dns < PORTCFG_DNS_MAX;
		     t = strtok_r(NULL, " ", &save)) {
			struct in_addr a;

			if (inet_pton(AF_INET, t, &a) == 1) /* only addresses from the lease */
				snprintf(out->dns[out->n_dns++], PORTCFG_IP_MAX, "%s", t);
		}
	}
}

int portcfg_lease_read(const char *lease_path, struct portcfg_addr *out)
{
	uint8_t *data = NULL;
	size_t len = 0;
	unsigned mask = 0;
	char *save = NULL, *line;
	struct in_addr a;
	struct portcfg_addr l = {0};
	int r = fileio_read(lease_path, LEASE_MAX, &data, &len);

	if (r < 0)
		return r;
	for (line = strtok_r((char *)data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');

		if (!eq)
			continue;
		*eq = '\0';
		lease_line(line, eq + 1, &mask, &l);
	}
	free(data);
	if (mask < 1 || mask > 32 || inet_pton(AF_INET, l.addr, &a) != 1)
		return -EVE_EPROTO;
	if (l.gw[0] && inet_pton(AF_INET, l.gw, &a) != 1)
		l.gw[0] = '\0';
	{
		size_t n = strlen(l.addr);
		snprintf(l.addr + n, sizeof(l.addr) - n, "/%u", mask);
	}
	*out = l;
	return 0;
}

int portcfg_status(const char *ifname, char *buf, size_t size, bool *up)
{
	struct ifaddrs *ifs = NULL, *i;
	size_t len = 0;
	bool found = false;

	if (size)
		buf[0] = '\0';
	*up = false;
	if (getifaddrs(&ifs) < 0)
		return -errno;
	for (i = ifs; i; i = i->ifa_next) {
		char ip[INET6_ADDRSTRLEN];
		int w;

		if (strcmp(i->ifa_name, ifname))
			continue;
		found = true;
		*up = (i->ifa_flags & IFF_UP) && (i->ifa_flags & IFF_RUNNING);
		if (addr_ours(i->ifa_addr, AF_INET))
			inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr, ip,
				  sizeof(ip));
		else if (addr_ours(i->ifa_addr, AF_INET6))
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr, ip,
				  sizeof(ip));
		else
			continue;
		w = snprintf(buf + len, size - len, "%s%s/%u", len ? "," : "", ip, mask_bits(i->ifa_netmask));
		if (w < 0 || (size_t)w >= size - len)
			break;
		len += (size_t)w;
	}
	freeifaddrs(ifs);
	return found ? 0 : -ENODEV;
}
