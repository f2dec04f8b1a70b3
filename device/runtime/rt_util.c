// SPDX-License-Identifier: Apache-2.0
/* Runtime helpers every part of the runtime uses: the clock, error text,
 * the backend of an app and the libvirt connection to its driver, the MAC
 * of an app's adapter. A leaf: it calls no other rt_*.c file. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "monotime.h"
#include "rt_internal.h"

uint64_t rt_now_ms(void)
{
	return monotime_ms();
}

void rt_seterr(char *dst, const char *fmt, ...)
{
	char tmp[RT_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	memcpy(dst, tmp, sizeof(tmp));
}

enum rt_hv rt_hv_of(const struct hv_ops *ops)
{
	return (enum rt_hv)ops->driver;
}

const struct hv_ops *rt_vm_ops(const struct runtime *rt)
{
	return rt->has_xen ? &hv_xen_ops : &hv_qemu_ops;
}

int rt_conn(struct runtime *rt, enum rt_hv hv, virConnectPtr *out, char *err, size_t errlen)
{
	virConnectPtr *slot = &rt->conns[hv];
	char e[RT_ERR_MAX];
	int r;

	if (hv == RT_HV_XEN && !rt->has_xen) {
		if (err)
			snprintf(err, errlen, "this node does not run Xen");
		return -ENOTSUP;
	}
	if (*slot && virConnectIsAlive(*slot) == 1) {
		*out = *slot;
		return 0;
	}
	if (*slot) {
		virConnectClose(*slot);
		*slot = NULL;
	}
	r = hv_connect(rt->uris[hv], slot, e, sizeof(e));
	if (r < 0) {
		if (err)
			snprintf(err, errlen, "%s", e);
		return r;
	}
	*out = *slot;
	return 0;
}

void rt_app_mac(const char *uuid, size_t idx, const char *configured, char out[18])
{
	uint8_t h[32];
	char in[128];

	if (configured && configured[0]) {
		snprintf(out, 18, "%s", configured);
		return;
	}
	/* Stable across restarts, so DHCP leases and adoption keep matching. */
	snprintf(in, sizeof(in), "%s/%zu", uuid, idx);
	crypto_sha256(in, strlen(in), h);
	snprintf(out, 18, "52:54:00:%02x:%02x:%02x", h[0], h[1], h[2]);
}
