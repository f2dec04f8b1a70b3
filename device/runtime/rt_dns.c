// SPDX-License-Identifier: Apache-2.0
/* DNS servers of local network instances (see rt_dns.h). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "fileio.h"
#include "rt_dns.h"
#include "rt_firewall.h"
#include "rt_internal.h"
#include "uuidgen.h"

#define NT(x) ORG__LFEDGE__EVE__CONFIG__ZNETWORK_INST_TYPE__##x
#define NS(x) ORG__LFEDGE__EVE__INFO__ZNETWORK_INSTANCE_STATE__ZNETINST_STATE_##x
#define DNS_CONF_MAX (256u << 10)
#define DNS_RETRY_MS 30000

/* The host ACEs of app ac's adapters on network instance ni, as nftset
 * targets "4#bridge#eve-fw-<app>#<set>" appended per host to out. */
static int app_hosts(const rt_app_cfg *ac, const char *ni, struct buf *out)
{
	const char *app = ac->uuidandversion ? ac->uuidandversion->uuid : NULL;
	size_t i, j;
	int r = 0;

	if (!app || !uuidgen_valid(app))
		return 0;
	for (i = 0; r == 0 && i < ac->n_interfaces; i++) {
		const Org__Lfedge__Eve__Config__NetworkAdapter *na = ac->interfaces[i];

		if (!na || !na->networkid || strcmp(na->networkid, ni) != 0)
			continue;
		for (j = 0; r == 0 && j < na->n_acls && j < RT_FW_MAX_ACES; j++) {
			struct rt_fw_ace a;
			char err[160], set[24];

			if (!na->acls[j] || rt_fw_parse_ace(na->acls[j], &a, err, sizeof(err)) != 0 ||
			    !a.host[0])
				continue;
			rt_fw_host_set(a.host, set);
			/* host names are checked by the parser: [a-z0-9._-] */
			r = buf_printf(out, "nftset=/%s/4#bridge#eve-fw-%s#%s\n", a.host, app, set);
		}
	}
	return r;
}

int rt_dns_conf(struct runtime *rt, const char *ni_uuid, const char *gw, const char *dir, struct buf *out)
{
	struct in_addr a;
	size_t i;
	int r;

	if (!uuidgen_valid(ni_uuid) || inet_pton(AF_INET, gw, &a) != 1 || strchr(dir, '\n'))
		return -EINVAL;
	r = buf_printf(out,
		       "# eve-agent: DNS server of network instance %s\n"
		       "port=53\nlisten-address=%s\nbind-interfaces\nno-hosts\nresolv-file=%s\n"
		       "cache-size=0\npid-file=%s/%s.pid\nlog-queries=extra\nlog-facility=%s/%s.log\n",
		       ni_uuid, gw, rt->dns_resolv, dir, ni_uuid, dir, ni_uuid);
	for (i = 0; r == 0 && rt->cfg && i < rt->cfg->n_apps; i++)
		if (rt->cfg->apps[i])
			r = app_hosts(rt->cfg->apps[i], ni_uuid, out);
	return r;
}

/* ---- processes ------------------------------------------------------------ */

static void dns_path(const struct runtime *rt, const char *ni, const char *ext, char *out, size_t n)
{
	snprintf(out, n, "%s/dns%s%s%s", rt->state_dir, ni ? "/" : "", ni ? ni : "", ext ? ext : "");
}

/* Pid of the dnsmasq running conf path (from its pid file), or 0. */
static pid_t dns_pid(const struct runtime *rt, const char *ni)
{
	char pidf[4096], conf[4096], proc[64], cmd[8192];
	FILE *f;
	long pid = 0;
	size_t n;

	dns_path(rt, ni, ".pid", pidf, sizeof(pidf));
	dns_path(rt, ni, ".conf", conf, sizeof(conf));
	f = fopen(pidf, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1 || pid <= 1)
		pid = 0;
	fclose(f);
	if (!pid)
		return 0;
	/* The pid must still be our dnsmasq (pids are reused). */
	snprintf(proc, sizeof(proc), "/proc/%ld/cmdline", pid);
	f = fopen(proc, "r");
	if (!f)
		return 0;
	n = fread(cmd, 1, sizeof(cmd) - 1, f);
	fclose(f);
	cmd[n] = '\0';
	for (size_t i = 0; i + 1 < n; i++)
		if (cmd[i] == '\0')
			cmd[i] = ' ';
	return strstr(cmd, "dnsmasq") && strstr(cmd, conf) ? (pid_t)pid : 0;
}

static void dns_stop(const struct runtime *rt, const char *ni)
{
	pid_t pid = dns_pid(rt, ni);
	struct timespec ts = {0, 50 * 1000 * 1000};
	int i;

	if (!pid)
		return;
	kill(pid, SIGTERM);
	for (i = 0; i < 60 && kill(pid, 0) == 0; i++)
		nanosleep(&ts, NULL);
	if (kill(pid, 0) == 0)
		kill(pid, SIGKILL);
}

static void dns_remove(const struct runtime *rt, const char *ni)
{
	static const char *const ext[] = {".conf", ".pid", ".log"};
	char path[4096];
	size_t i;

	dns_stop(rt, ni);
	for (i = 0; i < 3; i++) {
		dns_path(rt, ni, ext[i], path, sizeof(path));
		unlink(path);
	}
}

static bool same_file(const char *path, const struct buf *text)
{
	uint8_t *data = NULL;
	size_t len = 0;
	bool same;

	if (fileio_read(path, DNS_CONF_MAX, &data, &len) < 0)
		return false;
	same = len == text->len && memcmp(data, text->data, len) == 0;
	free(data);
	return same;
}

static int dns_start(struct runtime *rt, const char *ni, const struct buf *text, char *err, size_t errlen)
{
	char conf[4096], arg[4200];
	char *argv[] = {"dnsmasq", arg, NULL};
	int r;

	dns_path(rt, ni, ".conf", conf, sizeof(conf));
	r = fileio_write_atomic(conf, text->data, text->len, 0644);
	if (r < 0) {
		snprintf(err, errlen, "writing %s.conf: %s", ni, eve_strerror(r));
		return r;
	}
	snprintf(arg, sizeof(arg), "--conf-file=%s", conf);
	/* dnsmasq daemonizes once it listens: its exit status says whether
	 * it could. (rt_fw_run also gives it an empty signal mask.) */
	return rt_fw_run(argv, NULL, err, errlen);
}

static void dns_ni(struct runtime *rt, struct rt_ni *n, const char *dir)
{
	char conf[4096], err[256] = "";
	struct buf text;

	buf_init(&text, DNS_CONF_MAX);
	if (rt_dns_conf(rt, n->uuid, n->gw, dir, &text) < 0)
		goto out;
	dns_path(rt, n->uuid, ".conf", conf, sizeof(conf));
	if (same_file(conf, &text) && dns_pid(rt, n->uuid))
		goto out; /* running as configured (also after an agent restart) */
	if (n->dns_retry && rt_now_ms() < n->dns_retry)
		goto out;
	dns_stop(rt, n->uuid);
	if (dns_start(rt, n->uuid, &text, err, sizeof(err)) < 0) {
		n->dns_retry = rt_now_ms() + DNS_RETRY_MS;
		rt_seterr(n->err, "DNS server: %s", err);
		goto out;
	}
	n->dns_retry = 0;
out:
	buf_free(&text);
}

static bool ni_wants_dns(const struct rt_ni *n)
{
	return n->type == NT(ZnetInstLocal) && n->state == NS(ONLINE) && n->gw[0];
}

void rt_dns_sync(struct runtime *rt)
{
	char dir[4096], ni[RT_ID_MAX];
	struct dirent *de;
	size_t i;
	DIR *d;

	dns_path(rt, NULL, NULL, dir, sizeof(dir));
	fileio_mkdirs(dir, 0755);
	for (i = 0; i < rt->n_nis; i++)
		if (ni_wants_dns(rt->nis[i]))
			dns_ni(rt, rt->nis[i], dir);
	/* Servers of instances that left the config (or are down). */
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		size_t len = strlen(de->d_name);
		const struct rt_ni *n;

		if (len < 6 || len - 5 >= sizeof(ni) || strcmp(de->d_name + len - 5, ".conf") != 0)
			continue;
		snprintf(ni, sizeof(ni), "%.*s", (int)(len - 5), de->d_name);
		n = rt_netinst_find(rt, ni);
		if (uuidgen_valid(ni) && (!n || !ni_wants_dns(n)))
			dns_remove(rt, ni);
	}
	if (d)
		closedir(d);
}
