// SPDX-License-Identifier: Apache-2.0
/* Proxy auto-config (PAC) scripts: FindProxyForURL(url, host) evaluated by
 * a real JavaScript engine (duktape) in a forked child process, since the
 * script is untrusted input from the network: the child has a CPU-time
 * and a memory limit (rlimits, and a counting allocator under the engine),
 * and the parent kills it after a wall-clock timeout. The standard PAC
 * helpers are defined (isPlainHostName, dnsDomainIs, localHostOrDomainIs,
 * isResolvable, isInNet, dnsResolve, myIpAddress, dnsDomainLevels,
 * shExpMatch, weekdayRange, dateRange, timeRange, alert); dnsResolve and
 * myIpAddress answer for the port the script is evaluated for. */
#ifndef EVE_PAC_H
#define EVE_PAC_H

#include <stddef.h>

#include "portcfg.h"

#define PAC_SCRIPT_MAX 16384 /* longest script accepted (decoded) */
#define PAC_ERR_MAX 160

/* The port a script is evaluated for. */
struct pac_env {
	const char *my_ip;                 /* myIpAddress(); NULL/"" = 127.0.0.1 */
	const char (*dns)[PORTCFG_IP_MAX]; /* dnsResolve() through these */
	size_t n_dns;                      /* 0: the system resolver */
};

/* Limits of one evaluation (0 = the default in brackets). */
struct pac_limits {
	unsigned cpu_s;      /* CPU time of the child [2 s] */
	size_t mem_bytes;    /* JavaScript heap [32 MiB] */
	unsigned timeout_ms; /* wall clock, DNS included [5000 ms] */
};

/* Evaluate script[0..len) and call FindProxyForURL(url, host). The result
 * string goes to out (NUL-terminated, at most size-1 bytes). Returns 0, or
 * a negative errno with a one-line reason in err (errsize bytes):
 * -EINVAL (script error, no FindProxyForURL, result not a string),
 * -E2BIG (script or result too long), -ETIMEDOUT (wall clock),
 * -EDQUOT (CPU or memory limit), -ECHILD (the child died otherwise), or
 * fork/pipe errors. Blocks up to the timeout. */
int pac_find_proxy(const char *script, size_t len, const char *url, const char *host,
		   const struct pac_env *env, const struct pac_limits *lim, char *out, size_t size, char *err,
		   size_t errsize);

/* Decode a ProxyConfig.pacfile (base64, as EVE sends it) into a
 * NUL-terminated script in out[size]. 0, -EINVAL (not base64, or a NUL
 * byte in it), -E2BIG (longer than size-1). */
int pac_decode(const char *b64, char *out, size_t size);

#endif
