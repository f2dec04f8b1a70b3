// SPDX-License-Identifier: Apache-2.0
/* Drives the runtime against real OCI registries (started and filled by
 * tests/integration/registry_pull.sh):
 *
 *   registry_driver --state DIR --ca CERT --tls-port P1 --http-port P2 --proxy-port P3
 *
 * P1: docker-registry over HTTPS (CERT) with basic auth regtest:s3cret-pw,
 * holding test/busybox:1.0, test/second:1.0 (busybox + one layer) and
 * test/multi:1.0 (an index: arm64 first, then amd64). P2: plain HTTP,
 * anonymous, holding test/tamper:1.0 (a layer corrupted in storage) and
 * test/big:1.0 (busybox + a 3 MB layer), reached for the resume check
 * through a proxy on P3 that cuts the first large response in the middle.
 * Env: REG_SECOND_NEW / REG_BIG_NEW (bytes of config + own layer),
 * REG_SECOND_LAYER / REG_BASE_LAYER (layer digests, for the GC check).
 * Exit 0 = pass; 1 = fail (the reason on stderr). */
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "b64.h"
#include "fileio.h"
#include "registry.h"
#include "runtime.h"

#define ST(x) ORG__LFEDGE__EVE__INFO__ZSW_STATE__##x
#define FMT(x) ORG__LFEDGE__EVE__CONFIG__FORMAT__##x

typedef Org__Lfedge__Eve__Config__EdgeDevConfig Cfg;

static struct {
	const char *state, *ca;
	int tls_port, http_port, proxy_port, token_port;
} opt;

/* ---- arena ---------------------------------------------------------------- */

static void **arena;
static size_t arena_n;

static void *A(size_t n)
{
	void *p = calloc(1, n);

	arena = realloc(arena, (arena_n + 1) * sizeof(*arena));
	arena[arena_n++] = p;
	return p;
}

static char *S(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *S(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	arena = realloc(arena, (arena_n + 1) * sizeof(*arena));
	arena[arena_n++] = s;
	return s;
}

static void arena_free(void)
{
	size_t i;

	for (i = 0; i < arena_n; i++)
		free(arena[i]);
	free(arena);
}

#define PUSH(arr, n, item)                                                                                   \
	do {                                                                                                 \
		void **na_ = A(((n) + 1) * sizeof(void *));                                                  \
		if (n)                                                                                       \
			memcpy(na_, (arr), (n) * sizeof(void *));                                            \
		(arr) = (void *)na_;                                                                         \
		(arr)[(n)++] = (item);                                                                       \
	} while (0)

/* ---- observations ------------------------------------------------------------ */

#define MAX_OBJ 64
#define MAX_LINES 8192

struct obs {
	char uuid[64];
	int last;
	char err[512];
	unsigned mid_pct;   /* a progress report strictly between 0 and 100 */
	uint64_t mid_bytes; /* curSizeBytes of such a report */
	char sha[80];
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct obs objs[MAX_OBJ];
static int n_objs;
static char *lines[MAX_LINES];
static int n_lines;

static struct obs *obs_get(const char *uuid)
{
	int i;

	for (i = 0; i < n_objs; i++)
		if (strcmp(objs[i].uuid, uuid) == 0)
			return &objs[i];
	if (n_objs == MAX_OBJ)
		return NULL;
	snprintf(objs[n_objs].uuid, sizeof(objs[n_objs].uuid), "%s", uuid);
	objs[n_objs].last = -1;
	return &objs[n_objs++];
}

static void note(const char *kind, const char *uuid, int state, const char *err)
{
	struct obs *o;

	pthread_mutex_lock(&mu);
	o = obs_get(uuid);
	if (o) {
		o->last = state;
		if (err && *err)
			snprintf(o->err, sizeof(o->err), "%s", err);
	}
	pthread_mutex_unlock(&mu);
	printf("REPORT %s %s state=%d%s%s\n", kind, uuid, state, err && *err ? " err=" : "", err ? err : "");
	fflush(stdout);
}

static void note_ct(const Org__Lfedge__Eve__Info__ZInfoContentTree *ci)
{
	struct obs *o;

	pthread_mutex_lock(&mu);
	o = obs_get(ci->uuid);
	if (o && ci->progresspercentage > 0 && ci->progresspercentage < 100 && ci->resources) {
		o->mid_pct = ci->progresspercentage;
		o->mid_bytes = ci->resources->cursizebytes;
	}
	if (o && ci->sha256)
		snprintf(o->sha, sizeof(o->sha), "%s", ci->sha256);
	pthread_mutex_unlock(&mu);
	printf("PROGRESS %s %u%% %llu bytes\n", ci->uuid, ci->progresspercentage,
	       ci->resources ? (unsigned long long)ci->resources->cursizebytes : 0ULL);
}

static void on_report(void *ctx, const Org__Lfedge__Eve__Info__ZInfoMsg *m)
{
	(void)ctx;
	switch (m->info_content_case) {
	case ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_AINFO:
		note("app", m->ainfo->appid, m->ainfo->state,
		     m->ainfo->n_apperr ? m->ainfo->apperr[0]->description : NULL);
		break;
	case ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_CINFO:
		note_ct(m->cinfo);
		note("contenttree", m->cinfo->uuid, m->cinfo->state,
		     m->cinfo->err ? m->cinfo->err->description : NULL);
		break;
	default:
		break;
	}
}

static void on_log(void *ctx, const char *uuid, const char *line)
{
	(void)ctx;
	pthread_mutex_lock(&mu);
	if (n_lines < MAX_LINES)
		lines[n_lines++] = strdup(line);
	pthread_mutex_unlock(&mu);
	printf("LOG %s %s\n", uuid, line);
	fflush(stdout);
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "FAIL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool wait_state(const char *uuid, int state, int timeout_s)
{
	double end = now_s() + timeout_s;

	while (now_s() < end) {
		bool ok;

		pthread_mutex_lock(&mu);
		ok = obs_get(uuid) && obs_get(uuid)->last == state;
		pthread_mutex_unlock(&mu);
		if (ok)
			return true;
		usleep(100000);
	}
	return false;
}

/* Wait for an error report on uuid whose text contains needle. */
static bool wait_err(const char *uuid, const char *needle, int timeout_s)
{
	double end = now_s() + timeout_s;

	while (now_s() < end) {
		bool ok;

		pthread_mutex_lock(&mu);
		ok = obs_get(uuid) && strstr(obs_get(uuid)->err, needle) != NULL;
		pthread_mutex_unlock(&mu);
		if (ok)
			return true;
		usleep(100000);
	}
	return false;
}

static int count_lines(const char *uuid_needle, const char *needle)
{
	int i, n = 0;

	(void)uuid_needle;
	pthread_mutex_lock(&mu);
	for (i = 0; i < n_lines; i++)
		if (strstr(lines[i], needle))
			n++;
	pthread_mutex_unlock(&mu);
	return n;
}

static bool wait_lines(const char *needle, int want, int timeout_s)
{
	double end = now_s() + timeout_s;

	while (now_s() < end) {
		if (count_lines(NULL, needle) >= want)
			return true;
		usleep(100000);
	}
	return false;
}

/* ---- config ------------------------------------------------------------------ */

#define DS_TLS "d0000160-0000-4000-8000-000000000001"
#define DS_BAD "d0000160-0000-4000-8000-000000000002"
#define DS_ANON "d0000160-0000-4000-8000-000000000003"
#define DS_HTTP "d0000160-0000-4000-8000-000000000004"
#define DS_PROXY "d0000160-0000-4000-8000-000000000005"
#define DS_TOK "d0000160-0000-4000-8000-000000000006"
#define DS_TOKANON "d0000160-0000-4000-8000-000000000007"
#define DS_TOKBAD "d0000160-0000-4000-8000-000000000008"
#define APP(n) "a0000160-0000-4000-8000-0000000000" n
#define CT(n) "c0000160-0000-4000-8000-0000000000" n
#define VOL(n) "b0000160-0000-4000-8000-0000000000" n

static Cfg *cfg_new(void)
{
	Cfg *c = A(sizeof(*c));
	Org__Lfedge__Eve__Config__UUIDandVersion *id = A(sizeof(*id));

	org__lfedge__eve__config__edge_dev_config__init(c);
	org__lfedge__eve__config__uuidand_version__init(id);
	id->uuid = "11111111-2222-4333-8444-555555555160";
	id->version = "1";
	c->id = id;
	return c;
}

static void add_ds(Cfg *c, const char *id, const char *fqdn, const char *user, const char *pw, bool ca)
{
	Org__Lfedge__Eve__Config__DatastoreConfig *d = A(sizeof(*d));

	org__lfedge__eve__config__datastore_config__init(d);
	d->id = (char *)id;
	d->dtype = ORG__LFEDGE__EVE__CONFIG__DS_TYPE__DsContainerRegistry;
	d->fqdn = (char *)fqdn;
	d->dpath = "";
	d->apikey = (char *)(user ? user : "");
	d->password = (char *)(pw ? pw : "");
	if (ca) {
		uint8_t *pem = NULL;
		size_t len = 0;

		if (fileio_read(opt.ca, 1 << 20, &pem, &len) < 0) {
			fprintf(stderr, "cannot read %s\n", opt.ca);
			exit(1);
		}
		arena = realloc(arena, (arena_n + 1) * sizeof(*arena));
		arena[arena_n++] = pem;
		d->dscertpem = A(sizeof(ProtobufCBinaryData));
		d->dscertpem[0].data = pem;
		d->dscertpem[0].len = len;
		d->n_dscertpem = 1;
	}
	PUSH(c->datastores, c->n_datastores, d);
}

/* A container app: content tree (ds + "repo:tag") -> volume -> LXC app. */
static void add_app(Cfg *c, const char *n, const char *ds, const char *url)
{
	Org__Lfedge__Eve__Config__ContentTree *t = A(sizeof(*t));
	Org__Lfedge__Eve__Config__Volume *v = A(sizeof(*v));
	Org__Lfedge__Eve__Config__VolumeContentOrigin *o = A(sizeof(*o));
	Org__Lfedge__Eve__Config__AppInstanceConfig *a = A(sizeof(*a));
	Org__Lfedge__Eve__Config__UUIDandVersion *id = A(sizeof(*id));
	Org__Lfedge__Eve__Config__VmConfig *vm = A(sizeof(*vm));
	Org__Lfedge__Eve__Config__VolumeRef *vr = A(sizeof(*vr));
	Org__Lfedge__Eve__Config__InstanceOpsCmd *rs = A(sizeof(*rs)), *pg = A(sizeof(*pg));
	static const char ud[] = "GREETING=from-registry\n";

	org__lfedge__eve__config__content_tree__init(t);
	t->uuid = S(CT("%s"), n);
	t->dsid = (char *)ds;
	t->url = (char *)url;
	t->iformat = FMT(CONTAINER);
	t->sha256 = ""; /* resolved from the tag, as EVE does */
	t->maxsizebytes = 64u << 20;
	t->displayname = S("ct-%s", url);
	PUSH(c->contentinfo, c->n_contentinfo, t);

	org__lfedge__eve__config__volume__init(v);
	org__lfedge__eve__config__volume_content_origin__init(o);
	o->type = ORG__LFEDGE__EVE__CONFIG__VOLUME_CONTENT_ORIGIN_TYPE__VCOT_DOWNLOAD;
	o->downloadcontenttreeid = t->uuid;
	v->uuid = S(VOL("%s"), n);
	v->origin = o;
	v->displayname = "vol";
	PUSH(c->volumes, c->n_volumes, v);

	org__lfedge__eve__config__app_instance_config__init(a);
	org__lfedge__eve__config__uuidand_version__init(id);
	org__lfedge__eve__config__vm_config__init(vm);
	org__lfedge__eve__config__volume_ref__init(vr);
	org__lfedge__eve__config__instance_ops_cmd__init(rs);
	org__lfedge__eve__config__instance_ops_cmd__init(pg);
	id->uuid = S(APP("%s"), n);
	id->version = "1";
	a->uuidandversion = id;
	a->displayname = S("regapp-%s", n);
	vm->memory = 64 * 1024;
	vm->vcpus = 1;
	vm->virtualizationmode = ORG__LFEDGE__EVE__CONFIG__VM_MODE__NOHYPER;
	a->fixedresources = vm;
	a->activate = true;
	vr->uuid = v->uuid;
	PUSH(a->volumereflist, a->n_volumereflist, vr);
	a->restart = rs;
	a->purge = pg;
	a->userdata = b64_encode((const uint8_t *)ud, sizeof(ud) - 1);
	arena = realloc(arena, (arena_n + 1) * sizeof(*arena));
	arena[arena_n++] = a->userdata;
	PUSH(c->apps, c->n_apps, a);
}

/* ---- a TCP proxy that cuts the first large response once --------------------- */

#define PROXY_CUT_AT 1000000

static atomic_int proxy_cuts;
static int proxy_lfd = -1;

static int tcp_connect(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void *proxy_conn(void *arg)
{
	int c = (int)(intptr_t)arg, s = tcp_connect(opt.http_port);
	uint64_t down = 0;
	char buf[65536];

	while (s >= 0) {
		struct pollfd p[2] = {{c, POLLIN, 0}, {s, POLLIN, 0}};
		ssize_t n;

		if (poll(p, 2, 60000) <= 0)
			break;
		if (p[0].revents) {
			n = read(c, buf, sizeof(buf));
			if (n <= 0 || write(s, buf, (size_t)n) != n)
				break;
		}
		if (p[1].revents) {
			n = read(s, buf, sizeof(buf));
			if (n <= 0 || write(c, buf, (size_t)n) != n)
				break;
			down += (uint64_t)n;
			/* After the cut, slow down so the runtime reports progress. */
			if (atomic_load(&proxy_cuts) > 0)
				usleep(20000);
			if (down > PROXY_CUT_AT && atomic_fetch_add(&proxy_cuts, 1) == 0) {
				printf("PROXY cut a response after %llu bytes\n", (unsigned long long)down);
				break;
			}
		}
	}
	if (s >= 0)
		close(s);
	close(c);
	return NULL;
}

static void *proxy_main(void *arg)
{
	(void)arg;
	for (;;) {
		int c = accept4(proxy_lfd, NULL, NULL, SOCK_CLOEXEC);
		pthread_t th;

		if (c < 0)
			return NULL;
		if (pthread_create(&th, NULL, proxy_conn, (void *)(intptr_t)c) == 0)
			pthread_detach(th);
		else
			close(c);
	}
}

static int proxy_start(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opt.proxy_port)};
	pthread_t th;
	int one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	proxy_lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (proxy_lfd < 0 || setsockopt(proxy_lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(proxy_lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(proxy_lfd, 16) < 0)
		return -1;
	if (pthread_create(&th, NULL, proxy_main, NULL) != 0)
		return -1;
	pthread_detach(th);
	return 0;
}

/* ---- the story ------------------------------------------------------------------ */

static uint64_t env_u64(const char *name)
{
	const char *v = getenv(name);

	return v ? strtoull(v, NULL, 10) : 0;
}

static bool blob_present(const char *hex)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s/blobs/sha256/%s", opt.state, hex ? hex : "");
	return hex && access(p, F_OK) == 0;
}

static Cfg *base_cfg(void)
{
	Cfg *c = cfg_new();
	char *tls = S("docker://127.0.0.1:%d", opt.tls_port);

	add_ds(c, DS_TLS, tls, "regtest", "s3cret-pw", true);
	add_ds(c, DS_BAD, tls, "regtest", "wrong-pw", true);
	add_ds(c, DS_ANON, tls, NULL, NULL, true);
	add_ds(c, DS_HTTP, S("http://127.0.0.1:%d", opt.http_port), NULL, NULL, false);
	add_ds(c, DS_PROXY, S("http://127.0.0.1:%d", opt.proxy_port), NULL, NULL, false);
	add_ds(c, DS_TOK, S("docker://127.0.0.1:%d", opt.token_port), "regtok", "tok-pw", true);
	add_ds(c, DS_TOKANON, S("docker://127.0.0.1:%d", opt.token_port), NULL, NULL, true);
	add_ds(c, DS_TOKBAD, S("docker://127.0.0.1:%d", opt.token_port), "regtok", "nope", true);
	add_app(c, "01", DS_TLS, "test/busybox:1.0");
	return c;
}

static int step_first(struct runtime *rt)
{
	runtime_apply(rt, base_cfg());
	if (!wait_state(APP("01"), ST(RUNNING), 90) ||
	    !wait_lines("EVE-TEST-OCI: hello from-registry", 1, 60))
		return fail(
		    "app from docker-registry (HTTPS, basic auth, datastore CA) did not reach RUNNING");
	printf("OK app 01 from docker-registry over HTTPS with credentials is RUNNING (%llu bytes pulled)\n",
	       (unsigned long long)registry_bytes_fetched());
	return 0;
}

static int step_shared(struct runtime *rt)
{
	Cfg *c = base_cfg();
	uint64_t before = registry_bytes_fetched(), want = env_u64("REG_SECOND_NEW"), got;

	add_app(c, "02", DS_TLS, "test/second:1.0");
	runtime_apply(rt, c);
	if (!wait_state(APP("02"), ST(RUNNING), 90) ||
	    !wait_lines("EVE-TEST-OCI: hello from-registry", 2, 60))
		return fail("second app (shared layer) did not reach RUNNING");
	got = registry_bytes_fetched() - before;
	if (want == 0 || got != want)
		return fail("second image pulled %llu bytes; its own config + layer are %llu bytes",
			    (unsigned long long)got, (unsigned long long)want);
	printf("OK app 02 RUNNING; pulled only its new layer and config: %llu bytes\n",
	       (unsigned long long)got);
	return 0;
}

static int step_errors(struct runtime *rt)
{
	Cfg *c = base_cfg();

	add_app(c, "02", DS_TLS, "test/second:1.0");
	add_app(c, "03", DS_TLS, "test/multi:1.0");
	add_app(c, "04", DS_BAD, "test/busybox:1.0");
	add_app(c, "05", DS_ANON, "test/busybox:1.0");
	add_app(c, "06", DS_HTTP, "test/tamper:1.0");
	runtime_apply(rt, c);
	if (!wait_err(CT("04"), "refused the credentials", 60))
		return fail("wrong password: no clear credentials error on the content tree");
	if (!wait_err(CT("05"), "requires credentials", 60))
		return fail("no credentials: no clear error on the content tree");
	if (!wait_err(CT("06"), "digest mismatch", 60) || !wait_state(APP("06"), ST(ERROR), 30))
		return fail("tampered layer: no digest mismatch error");
	printf("OK wrong credentials, missing credentials and a tampered layer give ERROR with the reason\n");
	if (!wait_state(APP("03"), ST(RUNNING), 90) ||
	    !wait_lines("EVE-TEST-OCI: hello from-registry", 3, 60))
		return fail("multi-platform image did not reach RUNNING");
	if (count_lines(NULL, "WRONG-PLATFORM") != 0)
		return fail("the arm64 manifest of the index was used");
	printf("OK multi-platform index: the amd64 manifest was selected and runs\n");
	return 0;
}

/* docker-registry with token auth: the Bearer challenge flow, with
 * credentials (private repository) and anonymous (public one). */
static int step_token(struct runtime *rt)
{
	Cfg *c = base_cfg();

	add_app(c, "08", DS_TOK, "test/priv:1.0");
	add_app(c, "09", DS_TOKANON, "test/pub:1.0");
	add_app(c, "10", DS_TOKANON, "test/priv:1.0");
	add_app(c, "11", DS_TOKBAD, "test/priv:1.0");
	runtime_apply(rt, c);
	if (!wait_state(APP("08"), ST(RUNNING), 90))
		return fail("app from the token-auth registry with credentials did not reach RUNNING");
	if (!wait_state(APP("09"), ST(RUNNING), 90))
		return fail(
		    "anonymous pull through the token flow (public repository) did not reach RUNNING");
	if (!wait_err(CT("10"), "refused", 60))
		return fail("anonymous pull of a private repository: no clear error");
	if (!wait_err(CT("11"), "token server refused the credentials", 60))
		return fail("wrong password at the token server: no clear error");
	printf("OK bearer token flow: private repository with credentials and public one anonymously RUNNING;"
	       " anonymous private pull and wrong password are ERRORs\n");
	return 0;
}

static int step_resume_gc(struct runtime *rt)
{
	Cfg *c = base_cfg();
	uint64_t before = registry_bytes_fetched(), want = env_u64("REG_BIG_NEW"), got;
	struct obs o;

	add_app(c, "07", DS_PROXY, "test/big:1.0");
	runtime_apply(rt, c);
	if (!wait_state(APP("07"), ST(RUNNING), 120))
		return fail("app whose pull was cut did not reach RUNNING");
	got = registry_bytes_fetched() - before;
	if (atomic_load(&proxy_cuts) == 0)
		return fail("the proxy never cut the pull");
	if (want == 0 || got != want)
		return fail(
		    "pull cut once then resumed moved %llu bytes; config + layer are %llu (no resume?)",
		    (unsigned long long)got, (unsigned long long)want);
	pthread_mutex_lock(&mu);
	o = *obs_get(CT("07"));
	pthread_mutex_unlock(&mu);
	if (o.mid_pct == 0 || o.mid_bytes == 0)
		return fail("no pull progress (percent and bytes) was reported for the big image");
	printf("OK cut pull resumed: %llu bytes in total for %llu; progress seen %u%% / %llu bytes\n",
	       (unsigned long long)got, (unsigned long long)want, o.mid_pct, (unsigned long long)o.mid_bytes);
	/* App 02 left the config (GC ran after the pull): its own layer is
	 * gone, the shared busybox layer stays. */
	for (int i = 0; i < 100 && blob_present(getenv("REG_SECOND_LAYER")); i++)
		usleep(100000);
	if (blob_present(getenv("REG_SECOND_LAYER")) || !blob_present(getenv("REG_BASE_LAYER")))
		return fail("blob GC: removed app's layer kept or shared layer removed");
	printf("OK GC removed the layer only the removed app used and kept the shared one\n");
	return 0;
}

/* A restarted runtime (same state) adopts app 01 and needs no request to
 * any registry: the tag's digest was latched, every blob is present. */
static int step_restart(struct runtime **rt)
{
	struct runtime_opts ro = {.state_dir = opt.state};
	uint64_t before;

	runtime_free(*rt);
	*rt = NULL;
	pthread_mutex_lock(&mu);
	obs_get(APP("01"))->last = -1;
	pthread_mutex_unlock(&mu);
	before = registry_requests();
	if (runtime_new(&ro, on_report, on_log, NULL, rt) < 0)
		return fail("runtime_new after the restart");
	runtime_apply(*rt, base_cfg());
	if (!wait_state(APP("01"), ST(RUNNING), 60))
		return fail("app 01 not RUNNING after a restart of the runtime");
	if (registry_requests() != before)
		return fail("restart: %llu registry requests although the digest was latched",
			    (unsigned long long)(registry_requests() - before));
	printf("OK restart: app 01 RUNNING again with no registry request (latched digest, blobs present)\n");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {{"state", 1, 0, 's'},
					   {"ca", 1, 0, 'c'},
					   {"tls-port", 1, 0, 't'},
					   {"http-port", 1, 0, 'h'},
					   {"proxy-port", 1, 0, 'p'},
					   {"token-port", 1, 0, 'k'},
					   {0, 0, 0, 0}};
	struct runtime_opts ro = {0};
	struct runtime *rt = NULL;
	int ch, rc, i;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 's':
			opt.state = optarg;
			break;
		case 'c':
			opt.ca = optarg;
			break;
		case 't':
			opt.tls_port = atoi(optarg);
			break;
		case 'h':
			opt.http_port = atoi(optarg);
			break;
		case 'p':
			opt.proxy_port = atoi(optarg);
			break;
		case 'k':
			opt.token_port = atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (!opt.state || !opt.ca || !opt.tls_port || !opt.http_port || !opt.proxy_port || !opt.token_port)
		return fail(
		    "usage: registry_driver --state D --ca C --tls-port P --http-port P --proxy-port P");
	signal(SIGPIPE, SIG_IGN);
	if (proxy_start() < 0)
		return fail("cannot listen on port %d", opt.proxy_port);
	ro.state_dir = opt.state;
	if (runtime_new(&ro, on_report, on_log, NULL, &rt) < 0)
		return fail("runtime_new");
	rc = step_first(rt);
	if (rc == 0)
		rc = step_shared(rt);
	if (rc == 0)
		rc = step_errors(rt);
	if (rc == 0)
		rc = step_token(rt);
	if (rc == 0)
		rc = step_resume_gc(rt);
	if (rc == 0)
		rc = step_restart(&rt);
	if (rt) {
		runtime_apply(rt, cfg_new());
		sleep(3); /* let the runtime remove the containers */
		runtime_free(rt);
	}
	for (i = 0; i < n_lines; i++)
		free(lines[i]);
	arena_free();
	return rc;
}
