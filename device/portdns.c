// SPDX-License-Identifier: Apache-2.0
/* Per-port IPv4 name lookup (glibc res_nquery with the port's servers). */
#include "portdns.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <string.h>

#define ANSWER_MAX 2048

static int system_resolve(const char *host, char *out, size_t size)
{
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;
	int r = getaddrinfo(host, NULL, &hints, &res);

	if (r == EAI_AGAIN)
		return -ETIMEDOUT;
	if (r != 0 || !res)
		return -ENOENT;
	inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)res->ai_addr)->sin_addr, out, (socklen_t)size);
	freeaddrinfo(res);
	return 0;
}

/* The first A record of an answer. */
static int first_a(const unsigned char *ans, int len, char *out, size_t size)
{
	ns_msg msg;
	ns_rr rr;

	if (ns_initparse(ans, len, &msg) < 0)
		return -ENOENT;
	for (int i = 0; i < ns_msg_count(msg, ns_s_an); i++) {
		if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
			return -ENOENT;
		if (ns_rr_type(rr) == ns_t_a && ns_rr_rdlen(rr) == 4) {
			inet_ntop(AF_INET, ns_rr_rdata(rr), out, (socklen_t)size);
			return 0;
		}
	}
	return -ENOENT;
}

int portdns_resolve(const char *host, const char (*servers)[PORTCFG_IP_MAX], size_t n, char *out, size_t size)
{
	struct __res_state st;
	unsigned char ans[ANSWER_MAX];
	struct in_addr a;
	struct in6_addr a6;
	size_t used = 0;
	int len, r;

	if (!host || !*host || size < INET_ADDRSTRLEN)
		return -EINVAL;
	if (inet_pton(AF_INET, host, &a) == 1 || inet_pton(AF_INET6, host, &a6) == 1) {
		snprintf(out, size, "%s", host);
		return 0;
	}
	if (n == 0)
		return system_resolve(host, out, size);
	memset(&st, 0, sizeof(st));
	if (res_ninit(&st) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < n && used < MAXNS; i++) {
		struct sockaddr_in *sa = &st.nsaddr_list[used];

		if (inet_pton(AF_INET, servers[i], &sa->sin_addr) != 1)
			continue;
		sa->sin_family = AF_INET;
		sa->sin_port = htons(53);
		used++;
	}
	st.nscount = (int)used;
	st.retrans = 2;
	st.retry = 1;
	st.options &= ~(unsigned long)(RES_DNSRCH | RES_DEFNAMES);
	len = used ? res_nquery(&st, host, ns_c_in, ns_t_a, ans, sizeof(ans)) : -1;
	if (len >= 0)
		r = first_a(ans, len, out, size);
	else
		r = st.res_h_errno == HOST_NOT_FOUND || st.res_h_errno == NO_DATA ? -ENOENT : -ETIMEDOUT;
	res_nclose(&st);
	return r;
}
