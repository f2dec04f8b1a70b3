// SPDX-License-Identifier: Apache-2.0
/* Device info collection. Best effort: a missing /proc or /sys file leaves
 * its field empty rather than failing the report. */
#include "hostio.h"
#include "report_info.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/statvfs.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>

#include "crypto.h"
#include "fileio.h"
#include "info/info.pb-c.h"
#include "pbpack.h"

#define MAX_IFS 16
#define MAX_ADDRS 8

struct netif {
	Org__Lfedge__Eve__Info__ZInfoNetwork m;
	char name[IF_NAMESIZE];
	char mac[24];
	char addrs[MAX_ADDRS][INET6_ADDRSTRLEN];
	char *addr_ptrs[MAX_ADDRS];
};

static void read_mac(const char *ifname, char out[24])
{
	char path[96];
	uint8_t *d = NULL;
	size_t len = 0;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/sys/class/net/%s/address", ifname);
	if (fileio_read(path, 64, &d, &len) < 0)
		return;
	snprintf(out, 24, "%.*s", (int)strcspn((char *)d, "\n"), (char *)d);
	free(d);
}

static struct netif *netif_get(struct netif *ifs, size_t *n, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(ifs[i].name, name))
			return &ifs[i];
	if (*n == MAX_IFS)
		return NULL;
	struct netif *f = &ifs[(*n)++];
	org__lfedge__eve__info__zinfo_network__init(&f->m);
	snprintf(f->name, sizeof(f->name), "%s", name);
	read_mac(name, f->mac);
	f->m.devname = f->name;
	f->m.localname = f->name;
	f->m.macaddr = f->mac;
	f->m.ipaddrs = f->addr_ptrs;
	return f;
}

static void netif_add_addr(struct netif *f, const struct sockaddr *sa)
{
	const void *a;

	if (f->m.n_ipaddrs == MAX_ADDRS)
		return;
	a = sa->sa_family == AF_INET ? (const void *)&((const struct sockaddr_in *)sa)->sin_addr
				     : (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (!inet_ntop(sa->sa_family, a, f->addrs[f->m.n_ipaddrs], INET6_ADDRSTRLEN))
		return;
	f->addr_ptrs[f->m.n_ipaddrs] = f->addrs[f->m.n_ipaddrs];
	f->m.n_ipaddrs++;
	if (sa->sa_family == AF_INET)
		f->m.ipv4_up = 1;
}

static size_t collect_netifs(struct netif *ifs)
{
	struct ifaddrs *ifa = NULL;
	size_t n = 0;

	if (getifaddrs(&ifa) < 0)
		return 0;
	for (struct ifaddrs *p = ifa; p; p = p->ifa_next) {
		struct netif *f;

		if (!p->ifa_name || (p->ifa_flags & IFF_LOOPBACK))
			continue;
		f = netif_get(ifs, &n, p->ifa_name);
		if (f && p->ifa_addr &&
		    (p->ifa_addr->sa_family == AF_INET || p->ifa_addr->sa_family == AF_INET6))
			netif_add_addr(f, p->ifa_addr);
	}
	freeifaddrs(ifa);
	return n;
}

static void fill_sw(const struct report_device *d, Org__Lfedge__Eve__Info__ZInfoDevSW *sw,
		    Org__Lfedge__Eve__Info__ErrorInfo *errs)
{
	for (size_t i = 0; i < d->n_sw; i++) {
		const struct report_sw *s = &d->sw[i];

		org__lfedge__eve__info__zinfo_dev_sw__init(&sw[i]);
		sw[i].activated = s->activated;
		sw[i].partitionlabel = (char *)s->label;
		sw[i].partitionstate = (char *)s->state;
		sw[i].shortversion = (char *)s->version;
		sw[i].longversion = (char *)s->version;
		sw[i].userstatus = (Org__Lfedge__Eve__Info__BaseOsStatus)s->status;
		if (s->substatus[0])
			sw[i].substatusstr = (char *)s->substatus;
		sw[i].status = s->activated ? ORG__LFEDGE__EVE__INFO__ZSW_STATE__RUNNING
					    : ORG__LFEDGE__EVE__INFO__ZSW_STATE__INITIAL;
		if (s->err[0]) {
			org__lfedge__eve__info__error_info__init(&errs[i]);
			errs[i].description = (char *)s->err;
			sw[i].swerr = &errs[i];
		} else if (s->signature[0]) { /* who signed the image (no field of its own) */
			org__lfedge__eve__info__error_info__init(&errs[i]);
			errs[i].description = (char *)s->signature;
			errs[i].severity = strncmp(s->signature, "signed by ", 10) == 0
					       ? ORG__LFEDGE__EVE__INFO__SEVERITY__SEVERITY_NOTICE
					       : ORG__LFEDGE__EVE__INFO__SEVERITY__SEVERITY_WARNING;
			sw[i].swerr = &errs[i];
		}
	}
}

/* Boot time from /proc/stat's btime (stable, unlike now - uptime). */
static int64_t boot_time(void)
{
	char line[256];
	long long bt = 0;
	FILE *f = fopen("/proc/stat", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "btime %lld", &bt) == 1)
			break;
	fclose(f);
	return bt;
}

static int digest_of(const Org__Lfedge__Eve__Info__ZInfoDevice *di, uint8_t digest[32])
{
	uint8_t *p;
	size_t n;
	int r = pbpack(&di->base, 0, &p, &n);

	if (r < 0)
		return r;
	r = crypto_sha256(p, n, digest);
	free(p);
	return r;
}

static void fill_sys(Org__Lfedge__Eve__Info__ZInfoDevice *di, const struct report_device *d,
		     struct utsname *u, Google__Protobuf__Timestamp *boot)
{
	struct sysinfo si;
	struct statvfs vfs;

	if (uname(u) == 0) {
		di->machinearch = u->machine;
		di->cpuarch = u->machine;
		di->platform = u->sysname;
		di->hostname = u->nodename;
	}
	di->ncpu = (uint32_t)sysconf(_SC_NPROCESSORS_ONLN);
	if (sysinfo(&si) == 0) {
		di->memory = (uint64_t)si.totalram * si.mem_unit >> 20;
		boot->seconds = boot_time();
		if (!boot->seconds)
			boot->seconds = time(NULL) - si.uptime;
		di->boottime = boot;
	}
	if (statvfs(d->state_dir, &vfs) == 0)
		di->storage = (uint64_t)vfs.f_blocks * vfs.f_frsize >> 20;
	di->rebootconfigcounter = d->reboot_counter;
	di->shutdown_config_counter = d->shutdown_counter;
	di->restartcounter = d->restart_counter;
	di->lastrebootreason = (char *)(d->last_reboot_reason ? d->last_reboot_reason : "");
	di->state = ORG__LFEDGE__EVE__INFO__ZDEVICE_STATE__ZDEVICE_STATE_ONLINE;
	di->configitemstatus = (Org__Lfedge__Eve__Info__ZInfoConfigItemStatus *)d->config_items;
}

/* attestation_info (50) when there is a state or an error to report. */
static void fill_attest(Org__Lfedge__Eve__Info__ZInfoDevice *di, const struct report_device *d,
			Org__Lfedge__Eve__Info__AttestationInfo *ai, Org__Lfedge__Eve__Info__ErrorInfo *err,
			Google__Protobuf__Timestamp *t)
{
	if (!d->attest_state && !d->attest_err[0])
		return;
	ai->state = (Org__Lfedge__Eve__Info__AttestationState)d->attest_state;
	if (d->attest_err[0]) {
		err->description = (char *)d->attest_err;
		err->severity = ORG__LFEDGE__EVE__INFO__SEVERITY__SEVERITY_ERROR;
		err->retry_condition = "retrying the config request with backoff";
		t->seconds = d->attest_err_time;
		err->timestamp = t;
		ai->error = err;
	}
	di->attestation_info = ai;
}

/* any-app: the host's I/O adapters (hostio.c) as ZioBundles; the arrays
 * are the caller's (static: single caller). */
static void fill_adapters(Org__Lfedge__Eve__Info__ZInfoDevice *di)
{
	static struct hostio_adapter hio[HOSTIO_MAX];
	static Org__Lfedge__Eve__Info__ZioBundle zb[HOSTIO_MAX];
	static Org__Lfedge__Eve__Info__ZioBundle *zbp[HOSTIO_MAX];
	static char *members[HOSTIO_MAX];
	size_t n = 0;

	if (hostio_scan("/sys", "/dev", hio, HOSTIO_MAX, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		org__lfedge__eve__info__zio_bundle__init(&zb[i]);
		zb[i].type = (Org__Lfedge__Eve__Common__PhyIoType)hio[i].ptype;
		zb[i].name = hio[i].name;
		members[i] = hio[i].member;
		zb[i].members = &members[i];
		zb[i].n_members = 1;
		zbp[i] = &zb[i];
	}
	di->assignableadapters = zbp;
	di->n_assignableadapters = n;
}

int report_info_device(const struct report_device *d, uint8_t **out, size_t *len, uint8_t digest[32])
{
	Org__Lfedge__Eve__Info__ZInfoMsg msg = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INIT;
	Org__Lfedge__Eve__Info__ZInfoDevice di = ORG__LFEDGE__EVE__INFO__ZINFO_DEVICE__INIT;
	Org__Lfedge__Eve__Info__ZInfoManufacturer mi = ORG__LFEDGE__EVE__INFO__ZINFO_MANUFACTURER__INIT;
	Org__Lfedge__Eve__Info__ZInfoDevSW sw[REPORT_MAX_SW], *swp[REPORT_MAX_SW];
	Org__Lfedge__Eve__Info__ErrorInfo errs[REPORT_MAX_SW];
	Google__Protobuf__Timestamp boot = GOOGLE__PROTOBUF__TIMESTAMP__INIT,
				    now = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	Org__Lfedge__Eve__Info__ZInfoNetwork *netp[MAX_IFS];
	Org__Lfedge__Eve__Info__AttestationInfo ai = ORG__LFEDGE__EVE__INFO__ATTESTATION_INFO__INIT;
	Org__Lfedge__Eve__Info__ErrorInfo ai_err = ORG__LFEDGE__EVE__INFO__ERROR_INFO__INIT;
	Google__Protobuf__Timestamp ai_time = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	static struct netif ifs[MAX_IFS]; /* large; single caller (the agent loop) */
	struct utsname u;
	size_t n_ifs;
	int r;

	fill_sys(&di, d, &u, &boot);
	fill_attest(&di, d, &ai, &ai_err, &ai_time);
	fill_adapters(&di);
	mi.serialnumber = (char *)(d->serial ? d->serial : "");
	di.minfo = &mi;
	/* The properties' status, plus the refused config version if any. */
	Org__Lfedge__Eve__Info__ZInfoConfigItemStatus cis =
	    ORG__LFEDGE__EVE__INFO__ZINFO_CONFIG_ITEM_STATUS__INIT;
	Org__Lfedge__Eve__Info__ZInfoConfigItemStatus__ConfigItemsEntry ce =
	    ORG__LFEDGE__EVE__INFO__ZINFO_CONFIG_ITEM_STATUS__CONFIG_ITEMS_ENTRY__INIT;
	Org__Lfedge__Eve__Info__ZInfoConfigItemStatus__ConfigItemsEntry **cep = NULL;
	Org__Lfedge__Eve__Info__ZInfoConfigItem ci = ORG__LFEDGE__EVE__INFO__ZINFO_CONFIG_ITEM__INIT;
	if (d->config_version_error && d->config_version_error[0]) {
		const Org__Lfedge__Eve__Info__ZInfoConfigItemStatus *props = d->config_items;
		size_t n = props ? props->n_configitems : 0;
		cep = calloc(n + 1, sizeof(*cep));
		if (!cep)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++)
			cep[i] = props->configitems[i];
		ci.value = (char *)(d->config_version ? d->config_version : "");
		ci.error = (char *)d->config_version_error;
		ce.key = (char *)REPORT_ROLLBACK_KEY;
		ce.value = &ci;
		cep[n] = &ce;
		cis.configitems = cep;
		cis.n_configitems = n + 1;
		if (props) {
			cis.unknownconfigitems = props->unknownconfigitems;
			cis.n_unknownconfigitems = props->n_unknownconfigitems;
		}
		di.configitemstatus = &cis;
	}
	fill_sw(d, sw, errs);
	for (size_t i = 0; i < d->n_sw; i++)
		swp[i] = &sw[i];
	di.swlist = swp;
	di.n_swlist = d->n_sw;
	n_ifs = collect_netifs(ifs);
	for (size_t i = 0; i < n_ifs; i++)
		netp[i] = &ifs[i].m;
	di.network = netp;
	di.n_network = n_ifs;
	di.systemadapter = (Org__Lfedge__Eve__Info__SystemAdapterInfo *)d->system_adapter;
	msg.ztype = ORG__LFEDGE__EVE__INFO__ZINFO_TYPES__ZiDevice;
	msg.devid = (char *)(d->dev_uuid ? d->dev_uuid : "");
	msg.info_content_case = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_DINFO;
	msg.dinfo = &di;
	now.seconds = time(NULL);
	msg.attimestamp = &now;
	if (digest && digest_of(&di, digest) < 0) {
		free(cep);
		return -ENOMEM;
	}
	r = pbpack(&msg.base, 0, out, len);
	free(cep);
	return r;
}
