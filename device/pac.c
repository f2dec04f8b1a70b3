// SPDX-License-Identifier: Apache-2.0
/* PAC evaluation in a limited child process (see pac.h). */
#include "pac.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <duktape.h>

#include "b64.h"
#include "pacresult.h"
#include "portdns.h"

#if defined(__SANITIZE_ADDRESS__)
#define PAC_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PAC_ASAN 1
#endif
#endif

#define DEF_CPU_S 2
#define DEF_MEM (32u << 20)
#define DEF_TIMEOUT_MS 5000
#define HDR 16 /* allocation header: keeps the engine's alignment */

/* The PAC helpers that need no host access, in JavaScript (ranges are
 * inclusive for days, months and years, half-open for times; a range whose
 * end is before its start wraps, e.g. FRI..MON or 22..6 h). */
static const char prelude[] =
    "function isPlainHostName(h){return String(h).indexOf('.')<0;}\n"
    "function dnsDomainIs(h,d){h=String(h).toLowerCase();d=String(d).toLowerCase();"
    "return h.length>=d.length&&h.substring(h.length-d.length)===d;}\n"
    "function localHostOrDomainIs(h,f){h=String(h).toLowerCase();f=String(f).toLowerCase();"
    "return h===f||(h.indexOf('.')<0&&f.split('.')[0]===h);}\n"
    "function __ip4(s){var m=/^(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})$/.exec(String(s));"
    "if(!m)return null;var n=0;for(var i=1;i<5;i++){var b=+m[i];if(b>255)return null;n=n*256+b;}"
    "return n;}\n"
    "function isResolvable(h){return dnsResolve(h)!==null;}\n"
    "function isInNet(h,p,m){var a=__ip4(h);if(a===null){var r=dnsResolve(h);if(r===null)return false;"
    "a=__ip4(r);}var b=__ip4(p),k=__ip4(m);if(a===null||b===null||k===null)return false;"
    "return ((a&k)>>>0)===((b&k)>>>0);}\n"
    "function dnsDomainLevels(h){return String(h).split('.').length-1;}\n"
    "function shExpMatch(s,p){p=String(p);var r='';for(var i=0;i<p.length;i++){var c=p.charAt(i);"
    "if(c==='*')r+='.*';else if(c==='?')r+='.';else if('\\\\^$.|+()[]{}/'.indexOf(c)>=0)r+='\\\\'+c;"
    "else r+=c;}return new RegExp('^'+r+'$').test(String(s));}\n"
    "function alert(){}\n"
    "function __args(a){var l=Array.prototype.slice.call(a);var g=l.length>0&&l[l.length-1]==='GMT';"
    "if(g)l.pop();return{gmt:g,a:l,d:new Date()};}\n"
    "function __in(v,lo,hi){return lo<=hi?(v>=lo&&v<=hi):(v>=lo||v<=hi);}\n"
    "var __days=['SUN','MON','TUE','WED','THU','FRI','SAT'];\n"
    "var __months=['JAN','FEB','MAR','APR','MAY','JUN','JUL','AUG','SEP','OCT','NOV','DEC'];\n"
    "function weekdayRange(){var x=__args(arguments),t=x.gmt?x.d.getUTCDay():x.d.getDay();"
    "var a=__days.indexOf(String(x.a[0]).toUpperCase());if(a<0)return false;"
    "if(x.a.length<2)return t===a;var b=__days.indexOf(String(x.a[1]).toUpperCase());"
    "if(b<0)return false;return __in(t,a,b);}\n"
    "function __field(v){var m=__months.indexOf(String(v).toUpperCase());if(m>=0)return['m',m];"
    "var n=+v;if(typeof v!=='number'&&!/^\\d+$/.test(String(v)))return null;"
    "return n>31?['y',n]:['d',n];}\n"
    "function __key(f,now){var k=0,s='';for(var i=0;i<f.length;i++)s+=f[i][0];"
    "var d=0,m=0,y=0;for(i=0;i<f.length;i++){if(f[i][0]==='d')d=f[i][1];else if(f[i][0]==='m')m=f[i][1];"
    "else y=f[i][1];}"
    "if(now){d=now.d;m=now.m;y=now.y;}"
    "if(s==='d')k=d;else if(s==='m')k=m;else if(s==='y')k=y;else if(s==='dm')k=m*32+d;"
    "else if(s==='my')k=y*12+m;else if(s==='dmy')k=(y*12+m)*32+d;else return null;return k;}\n"
    "function dateRange(){var x=__args(arguments),n=x.a.length,f=[];"
    "for(var i=0;i<n;i++){var v=__field(x.a[i]);if(!v)return false;f.push(v);}"
    "var now={d:x.gmt?x.d.getUTCDate():x.d.getDate(),m:x.gmt?x.d.getUTCMonth():x.d.getMonth(),"
    "y:x.gmt?x.d.getUTCFullYear():x.d.getFullYear()};"
    "if(n===1)return __key(f,null)===__key(f,now);if(n%2||n>6)return false;"
    "var lo=f.slice(0,n/2),hi=f.slice(n/2);for(i=0;i<lo.length;i++)if(lo[i][0]!==hi[i][0])return false;"
    "var a=__key(lo,null),b=__key(hi,null),c=__key(lo,now);if(a===null)return false;"
    "if(lo[lo.length-1][0]==='y')return c>=a&&c<=b;return __in(c,a,b);}\n"
    "function timeRange(){var x=__args(arguments),a=x.a,n=a.length;"
    "var h=x.gmt?x.d.getUTCHours():x.d.getHours(),mi=x.gmt?x.d.getUTCMinutes():x.d.getMinutes(),"
    "se=x.gmt?x.d.getUTCSeconds():x.d.getSeconds();var t=h*3600+mi*60+se,s,e;"
    "for(var i=0;i<n;i++)a[i]=+a[i];"
    "if(n===1)return h===a[0];if(n===2){s=a[0]*3600;e=a[1]*3600;}"
    "else if(n===4){s=a[0]*3600+a[1]*60;e=a[2]*3600+a[3]*60;}"
    "else if(n===6){s=a[0]*3600+a[1]*60+a[2];e=a[3]*3600+a[4]*60+a[5];}else return false;"
    "return s<=e?(t>=s&&t<e):(t>=s||t<e);}\n";

/* ---- the child ----------------------------------------------------------- */

struct cap {
	size_t used, limit;
	bool hit;
};

static int child_fd = -1;
static struct cap child_cap;
static const struct pac_env *child_env;

static void *cap_alloc(void *ud, duk_size_t n)
{
	struct cap *c = ud;
	size_t *p;

	if (n > c->limit - c->used || !(p = malloc(n + HDR))) {
		c->hit = true;
		return NULL;
	}
	*p = n;
	c->used += n;
	return (char *)p + HDR;
}

static void cap_free(void *ud, void *ptr)
{
	struct cap *c = ud;
	size_t *p;

	if (!ptr)
		return;
	p = (size_t *)((char *)ptr - HDR);
	c->used -= *p;
	free(p);
}

static void *cap_realloc(void *ud, void *ptr, duk_size_t n)
{
	struct cap *c = ud;
	size_t *p, *q, old;

	if (!ptr)
		return cap_alloc(ud, n);
	if (!n) {
		cap_free(ud, ptr);
		return NULL;
	}
	p = (size_t *)((char *)ptr - HDR);
	old = *p;
	if ((n > old && n - old > c->limit - c->used) || !(q = realloc(p, n + HDR))) {
		c->hit = true;
		return NULL;
	}
	c->used = c->used - old + n;
	*q = n;
	return (char *)q + HDR;
}

/* One answer to the parent: a status letter, then text. */
static void child_say(char status, const char *text)
{
	size_t n = strnlen(text, PACRESULT_TEXT_MAX + 1);
	ssize_t w = write(child_fd, &status, 1);

	while (w > 0 && n) {
		w = write(child_fd, text, n);
		if (w > 0) {
			text += w;
			n -= (size_t)w;
		}
	}
}

static void child_fatal(void *ud, const char *msg)
{
	(void)ud;
	child_say(child_cap.hit ? 'M' : 'F', msg ? msg : "");
	_exit(3);
}

static duk_ret_t js_dns_resolve(duk_context *ctx)
{
	const char *h = duk_safe_to_string(ctx, 0);
	char addr[64];

	if (strlen(h) > 253 || portdns_resolve(h, child_env->dns, child_env->n_dns, addr, sizeof(addr)) < 0)
		duk_push_null(ctx);
	else
		duk_push_string(ctx, addr);
	return 1;
}

static duk_ret_t js_my_ip(duk_context *ctx)
{
	const char *ip = child_env->my_ip && *child_env->my_ip ? child_env->my_ip : "127.0.0.1";
	size_t n = strcspn(ip, "/");

	duk_push_lstring(ctx, ip, n); /* "a.b.c.d/nn": the address */
	return 1;
}

/* CPU time, no core file and (without ASan, whose shadow memory is
 * address space too) an address-space limit above what the process has. */
static void child_limits(const struct pac_limits *lim)
{
	struct rlimit rl = {.rlim_cur = lim->cpu_s, .rlim_max = lim->cpu_s + 1};

	setrlimit(RLIMIT_CPU, &rl);
	rl.rlim_cur = rl.rlim_max = 0;
	setrlimit(RLIMIT_CORE, &rl);
#ifndef PAC_ASAN
	{
		FILE *f = fopen("/proc/self/statm", "r");
		unsigned long pages = 0;

		if (f && fscanf(f, "%lu", &pages) == 1) {
			rl.rlim_cur = rl.rlim_max =
			    (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + 2 * lim->mem_bytes + (64u << 20);
			setrlimit(RLIMIT_AS, &rl);
		}
		if (f)
			fclose(f);
	}
#endif
}

static void child_eval(duk_context *ctx, const char *script, size_t len, const char *url, const char *host)
{
	duk_push_c_function(ctx, js_dns_resolve, 1);
	duk_put_global_string(ctx, "dnsResolve");
	duk_push_c_function(ctx, js_my_ip, 0);
	duk_put_global_string(ctx, "myIpAddress");
	if (duk_peval_string(ctx, prelude) != 0) {
		child_say('F', duk_safe_to_string(ctx, -1));
		return;
	}
	duk_pop(ctx);
	if (duk_peval_lstring(ctx, script, len) != 0) {
		child_say(child_cap.hit ? 'M' : 'E', duk_safe_to_string(ctx, -1));
		return;
	}
	duk_pop(ctx);
	if (!duk_get_global_string(ctx, "FindProxyForURL") || !duk_is_function(ctx, -1)) {
		child_say('E', "FindProxyForURL is not a function");
		return;
	}
	duk_push_string(ctx, url);
	duk_push_string(ctx, host);
	if (duk_pcall(ctx, 2) != 0)
		child_say(child_cap.hit ? 'M' : 'E', duk_safe_to_string(ctx, -1));
	else if (!duk_is_string(ctx, -1))
		child_say('E', "FindProxyForURL did not return a string");
	else
		child_say('O', duk_get_string(ctx, -1));
}

static __attribute__((noreturn)) void child(int fd, const char *script, size_t len, const char *url,
					    const char *host, const struct pac_env *env,
					    const struct pac_limits *lim)
{
	duk_context *ctx;

	child_fd = fd;
	child_env = env;
	child_cap.limit = lim->mem_bytes;
	child_limits(lim);
	ctx = duk_create_heap(cap_alloc, cap_realloc, cap_free, &child_cap, child_fatal);
	if (!ctx) {
		child_say('M', "cannot create the JavaScript heap");
		_exit(3);
	}
	child_eval(ctx, script, len, url, host);
	_exit(0); /* the heap goes with the process */
}

/* ---- the parent ---------------------------------------------------------- */

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Read the child's answer into buf until EOF or the deadline: 0, or
 * -ETIMEDOUT. */
static int read_answer(int fd, uint64_t deadline, char *buf, size_t size, size_t *len)
{
	*len = 0;
	for (;;) {
		uint64_t now = mono_ms();
		struct pollfd p = {.fd = fd, .events = POLLIN};
		char sink[512];
		ssize_t n;

		if (now >= deadline)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)(deadline - now)) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!p.revents)
			continue;
		bool keep = *len + 1 < size; /* else drained: too long, refused later */

		n = keep ? read(fd, buf + *len, size - 1 - *len) : read(fd, sink, sizeof(sink));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		if (keep)
			*len += (size_t)n;
	}
}

static void fill_limits(const struct pac_limits *in, struct pac_limits *out)
{
	out->cpu_s = in && in->cpu_s ? in->cpu_s : DEF_CPU_S;
	out->mem_bytes = in && in->mem_bytes ? in->mem_bytes : DEF_MEM;
	out->timeout_ms = in && in->timeout_ms ? in->timeout_ms : DEF_TIMEOUT_MS;
}

/* What the child's end means: 0 with the result in out, or an error. */
static int judge(int status, bool killed, const char *ans, size_t n, const struct pac_limits *l, char *out,
		 size_t size, char *err, size_t errsize)
{
	const char *text = n ? ans + 1 : "";
	int tl = n ? (int)(n - 1) : 0;

	if (killed) {
		snprintf(err, errsize, "no answer within %u ms: evaluation killed", l->timeout_ms);
		return -ETIMEDOUT;
	}
	if (WIFSIGNALED(status) && (WTERMSIG(status) == SIGXCPU || WTERMSIG(status) == SIGKILL)) {
		snprintf(err, errsize, "killed at the CPU time limit (%u s)", l->cpu_s);
		return -EDQUOT;
	}
	if (n && ans[0] == 'M') {
		snprintf(err, errsize, "stopped at the memory limit (%zu MiB)", l->mem_bytes >> 20);
		return -EDQUOT;
	}
	if (n && ans[0] == 'E') {
		snprintf(err, errsize, "script error: %.*s", tl > 120 ? 120 : tl, text);
		return -EINVAL;
	}
	if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0 && n && ans[0] == 'O')) {
		if (WIFSIGNALED(status))
			snprintf(err, errsize, "the evaluator died (signal %d)", WTERMSIG(status));
		else
			snprintf(err, errsize, "the evaluator failed (exit %d): %.*s",
				 WIFEXITED(status) ? WEXITSTATUS(status) : -1, tl > 100 ? 100 : tl, text);
		return -ECHILD;
	}
	if ((size_t)tl >= size || tl > PACRESULT_TEXT_MAX) {
		snprintf(err, errsize, "result longer than %d bytes", PACRESULT_TEXT_MAX);
		return -E2BIG;
	}
	memcpy(out, text, (size_t)tl);
	out[tl] = '\0';
	return 0;
}

int pac_find_proxy(const char *script, size_t len, const char *url, const char *host,
		   const struct pac_env *env, const struct pac_limits *lim, char *out, size_t size, char *err,
		   size_t errsize)
{
	static const struct pac_env none = {0};
	struct pac_limits l;
	char *ans = NULL;
	size_t n = 0;
	int fds[2], status = 0, r;
	bool killed = false;
	pid_t pid;

	if (errsize)
		err[0] = '\0';
	if (len > PAC_SCRIPT_MAX) {
		snprintf(err, errsize, "script longer than %d bytes", PAC_SCRIPT_MAX);
		return -E2BIG;
	}
	fill_limits(lim, &l);
	ans = malloc(PACRESULT_TEXT_MAX + 3);
	if (!ans)
		return -ENOMEM;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		r = -errno;
		snprintf(err, errsize, "pipe: %s", strerror(-r));
		goto out;
	}
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		child(fds[1], script, len, url, host, env ? env : &none, &l);
	}
	close(fds[1]);
	if (pid < 0) {
		r = -errno;
		close(fds[0]);
		snprintf(err, errsize, "fork: %s", strerror(-r));
		goto out;
	}
	if (read_answer(fds[0], mono_ms() + l.timeout_ms, ans, PACRESULT_TEXT_MAX + 3, &n) == -ETIMEDOUT) {
		kill(pid, SIGKILL);
		killed = true;
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	r = judge(status, killed, ans, n, &l, out, size, err, errsize);
out:
	free(ans);
	return r;
}

int pac_decode(const char *b64, char *out, size_t size)
{
	uint8_t *bin = NULL;
	size_t n = 0;
	int r = b64_decode(b64, strlen(b64), &bin, &n);

	if (r < 0)
		return r == -ENOMEM ? r : -EINVAL;
	if (n >= size)
		r = -E2BIG;
	else if (memchr(bin, '\0', n))
		r = -EINVAL;
	else {
		memcpy(out, bin, n);
		out[n] = '\0';
	}
	free(bin);
	return r;
}
