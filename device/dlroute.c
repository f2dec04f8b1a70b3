// SPDX-License-Identifier: Apache-2.0
/* Download routes from the connectivity plan (see dlroute.h). */
#include "dlroute.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pacresult.h"

struct dlroute {
	pthread_mutex_t mu;
	struct dlroute_plan plan; /* under mu */
	bool have;                /* a plan was published */
	struct download_router router;
};

/* The host of an http(s) URL (no port, no brackets) into host; "" when
 * the URL has none. */
static void url_host(const char *url, char *host, size_t size)
{
	const char *h = strstr(url, "://");
	size_t n;

	host[0] = '\0';
	if (!h)
		return;
	h += 3;
	n = strcspn(h, "/?#");
	if (memchr(h, '@', n)) { /* user:password@ */
		const char *at = (const char *)memchr(h, '@', n) + 1;

		n -= (size_t)(at - h);
		h = at;
	}
	if (h[0] == '[') {
		const char *close = memchr(h, ']', n);

		n = close ? (size_t)(close - h) - 1 : 0;
		h++;
	} else if (memchr(h, ':', n)) {
		n = (size_t)((const char *)memchr(h, ':', n) - h);
	}
	snprintf(host, size, "%.*s", (int)(n < size ? n : size - 1), h);
}

/* Port p's routes for url appended to out[*n..max). -errno with why when
 * its PAC fails. */
static int port_routes(const struct dlroute_plan *plan, const struct dlroute_port *p, const char *url,
		       struct download_route *out, size_t *n, size_t max, char *why, size_t whylen)
{
	struct pacresult_entry e[PACRESULT_MAX];
	char result[PACRESULT_TEXT_MAX + 1], err[PAC_ERR_MAX], host[256];
	struct pac_env env = {.my_ip = p->my_ip, .dns = p->dns, .n_dns = p->n_dns};
	int r, k;

	if (!p->pac[0]) {
		if (*n >= max)
			return 0;
		memset(&out[*n], 0, sizeof(out[*n]));
		snprintf(out[*n].interface, sizeof(out[*n].interface), "%s", p->ifname);
		snprintf(out[*n].proxy, sizeof(out[*n].proxy), "%s", p->proxy);
		snprintf(out[*n].noproxy, sizeof(out[*n].noproxy), "%s", p->proxy[0] ? p->exceptions : "");
		(*n)++;
		return 0;
	}
	url_host(url, host, sizeof(host));
	r = pac_find_proxy(p->pac, strlen(p->pac), url, host, &env, &plan->lim, result, sizeof(result), err,
			   sizeof(err));
	if (r == 0 && (r = pacresult_parse(result, strlen(result), e, PACRESULT_MAX)) < 0)
		snprintf(err, sizeof(err), "result not understood: \"%.100s\"", result);
	if (r < 0) {
		snprintf(why, whylen, "%s: PAC: %s", p->ifname[0] ? p->ifname : "any route", err);
		return r;
	}
	for (k = 0; k < r && *n < max; k++) {
		memset(&out[*n], 0, sizeof(out[*n]));
		snprintf(out[*n].interface, sizeof(out[*n].interface), "%s", p->ifname);
		if (pacresult_url(&e[k], out[*n].proxy, sizeof(out[*n].proxy)) == 0)
			(*n)++;
	}
	return 0;
}

int dlroute_for(const struct dlroute_plan *plan, const char *url, struct download_route *out, size_t max,
		char *why, size_t whylen)
{
	size_t n = 0;
	int last = 0;

	why[0] = '\0';
	for (size_t i = 0; i < plan->n && n < max; i++) {
		int r = port_routes(plan, &plan->ports[i], url, out, &n, max, why, whylen);

		if (r < 0)
			last = r; /* this port is passed over, as for the controller */
	}
	if (n == 0 && last < 0)
		return -EINVAL;
	return (int)n;
}

static int routes_cb(void *ctx, const char *url, struct download_route *out, size_t max, char *why,
		     size_t whylen)
{
	struct dlroute *dr = ctx;
	struct dlroute_plan *plan = malloc(sizeof(*plan));
	int r;

	if (!plan)
		return -ENOMEM;
	/* A copy: PAC evaluations block, the main loop must not wait on them. */
	pthread_mutex_lock(&dr->mu);
	if (dr->have)
		*plan = dr->plan;
	else
		memset(plan, 0, sizeof(*plan));
	pthread_mutex_unlock(&dr->mu);
	if (plan->n == 0) {
		memset(out, 0, sizeof(*out)); /* no plan yet: the default route */
		r = max ? 1 : 0;
	} else {
		r = dlroute_for(plan, url, out, max, why, whylen);
	}
	free(plan);
	return r;
}

int dlroute_new(struct dlroute **out)
{
	struct dlroute *dr = calloc(1, sizeof(*dr));

	if (!dr)
		return -ENOMEM;
	pthread_mutex_init(&dr->mu, NULL);
	dr->router.routes = routes_cb;
	dr->router.ctx = dr;
	*out = dr;
	return 0;
}

void dlroute_free(struct dlroute *dr)
{
	if (!dr)
		return;
	pthread_mutex_destroy(&dr->mu);
	free(dr);
}

void dlroute_set(struct dlroute *dr, const struct dlroute_plan *plan)
{
	pthread_mutex_lock(&dr->mu);
	dr->plan = *plan;
	dr->have = true;
	pthread_mutex_unlock(&dr->mu);
}

const struct download_router *dlroute_router(struct dlroute *dr)
{
	return &dr->router;
}
