// SPDX-License-Identifier: Apache-2.0
/* The config loop: poll with the current hash, verify and apply, checkpoint
 * the signed response; the checkpoint (or .bak, or bootstrap config) at
 * start; config items, device ops and network settings of a config. */
#include "agent_int.h"
#include "edgeview.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agentlog.h"
#include "attest.h"
#include "secrets.h"
#include "vault.h"
#include "checkpoint.h"
#include "err.h"
#include "fileio.h"
#include "trustkeys.h"

/* ---- config application ------------------------------------------------ */

/* Connectivity, log spool and log level properties that changed. */
static void apply_changed(struct agent *a, const struct settings *old)
{
	if (old->send_timeout_s != a->set.send_timeout_s || old->port_better_s != a->set.port_better_s ||
	    old->fallback_any != a->set.fallback_any || old->port_test_s != a->set.port_test_s ||
	    old->port_timeout_s != a->set.port_timeout_s || old->netrollback_s != a->set.netrollback_s) {
		struct netmgr_props np;

		settings_net_props(&a->set, &np);
		alog(ALOG_INFO,
		     "config: network: request timeout %" PRIu32 " s, first port (and a rolled-back setting) "
		     "retried every %" PRIu32 " s, fallback to any route %s, port test every %" PRIu32
		     " s with timeout %" PRIu32 " s",
		     a->set.send_timeout_s, a->set.port_better_s, np.fallback_any ? "enabled" : "disabled",
		     a->set.port_test_s, a->set.port_timeout_s);
		netmgr_set_props(a->nm, &np, now_ms());
	}
	if (settings_log_quota_bytes(old) != settings_log_quota_bytes(&a->set) && a->ls) {
		alog(ALOG_INFO, "config: log spool quota = %zu MB", settings_log_quota_bytes(&a->set) >> 20);
		logship_set_quota(a->ls, settings_log_quota_bytes(&a->set));
	}
	if (old->log_level != a->set.log_level || old->remote_log_level != a->set.remote_log_level)
		alog(ALOG_INFO, "config: log levels: local %s, remote %s",
		     alog_level_name((enum alog_level)a->set.log_level),
		     alog_level_name((enum alog_level)a->set.remote_log_level));
	alog_set_level(a->o->verbose ? ALOG_DEBUG : (enum alog_level)a->set.log_level,
		       (enum alog_level)a->set.remote_log_level);
}

static void apply_settings(struct agent *a, const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg)
{
	struct settings old = a->set;
	char bad[64] = "";
	size_t n_bad = 0;

	settings_from_items(&a->set, &a->base, cfg->configitems, cfg->n_configitems, &n_bad, bad,
			    sizeof(bad));
	if (n_bad)
		alog(ALOG_WARN, "config: %zu bad config item value(s), first %s: previous value kept", n_bad,
		     bad);
	if (old.config_interval_s != a->set.config_interval_s) {
		alog(ALOG_INFO, "config: timer.config.interval = %" PRIu32 " s", a->set.config_interval_s);
		a->next_config =
		    now_ms() + backoff_tick(a->set.config_interval_s * 1000ull, backoff_random());
	}
	if (old.metric_interval_s != a->set.metric_interval_s) {
		alog(ALOG_INFO, "config: timer.metric.interval = %" PRIu32 " s", a->set.metric_interval_s);
		a->next_metrics = now_ms() + a->set.metric_interval_s * 1000ull;
	}
	if (old.info_interval_s != a->set.info_interval_s) {
		alog(ALOG_INFO, "config: timer.deviceinfo.interval = %" PRIu32 " s", a->set.info_interval_s);
		a->next_info = now_ms() + a->set.info_interval_s * 1000ull;
	}
	apply_changed(a, &old);
}

/* A DeviceOpsCmd counter above the one last honoured asks for the op. The
 * first config ever seen only sets the baseline. */
static void apply_devops(struct agent *a, const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg)
{
	uint32_t rb = cfg->reboot ? cfg->reboot->counter : 0;
	uint32_t sd = cfg->shutdown ? cfg->shutdown->counter : 0;
	bool do_reboot = a->devops_known && rb > a->reboot_counter;
	bool do_shutdown = a->devops_known && sd > a->shutdown_counter;
	uint32_t old_rb = a->reboot_counter, old_sd = a->shutdown_counter;
	bool old_known = a->devops_known;
	int r;

	if (a->devops_known && rb == a->reboot_counter && sd == a->shutdown_counter)
		return;
	a->reboot_counter = rb;
	a->shutdown_counter = sd;
	a->devops_known = true;
	/* Persist first: a reboot must not repeat after it happened. */
	r = agent_counters_save(a);
	if (r < 0) {
		/* Forget the new counters so that the op runs when the save
		 * works (full disk: the config is fetched again next poll). */
		a->reboot_counter = old_rb;
		a->shutdown_counter = old_sd;
		a->devops_known = old_known;
		alog(ALOG_ERR, "%s/counters: %s: device op counters not saved, %s", a->o->state_dir,
		     eve_strerror(r), do_reboot || do_shutdown ? "device op postponed" : "retried later");
		return;
	}
	a->info_dirty = true;
	if (do_reboot || do_shutdown) {
		enum devops_op op = do_shutdown ? DEVOPS_SHUTDOWN : DEVOPS_REBOOT;

		alog(ALOG_WARN, "device op: %s requested by the controller (counter %" PRIu32 ")",
		     devops_op_name(op), op == DEVOPS_REBOOT ? rb : sd);
		logship_rotate(a->ls);
		r = devops_execute(&a->devops, op, "controller request");
		if (r < 0)
			alog(ALOG_ERR, "device op %s: %s", devops_op_name(op), eve_strerror(r));
	}
}

/* The PhysicalIO a system adapter sits on: lowerLayerName (or, in older
 * configs, the adapter's name) is a logical label of deviceIoList. */
static const Org__Lfedge__Eve__Config__PhysicalIO *
sysadapter_phyio(const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg, const char *label)
{
	for (size_t i = 0; label && i < cfg->n_deviceiolist; i++)
		if (cfg->deviceiolist[i]->logicallabel && !strcmp(cfg->deviceiolist[i]->logicallabel, label))
			return cfg->deviceiolist[i];
	return NULL;
}

/* The interface of a system adapter: its PhysicalIO's "ifname" address
 * (key case-insensitive, as EVE reads it), else the label itself. */
static const char *sysadapter_ifname(const Org__Lfedge__Eve__Config__PhysicalIO *io, const char *label)
{
	for (size_t i = 0; io && i < io->n_phyaddrs; i++)
		if (io->phyaddrs[i]->key && !strcasecmp(io->phyaddrs[i]->key, "ifname") &&
		    io->phyaddrs[i]->value && *io->phyaddrs[i]->value)
			return io->phyaddrs[i]->value;
	return label;
}

/* A proxy URL from a ProxyConfig: an HTTPS (else HTTP) proxy server, or
 * (this agent's older form) networkProxyURL with networkProxyEnable. */
static bool proxy_from(const Org__Lfedge__Eve__Common__ProxyConfig *p, char *out, size_t size)
{
	const Org__Lfedge__Eve__Common__ProxyServer *best = NULL;

	if (!p)
		return false;
	for (size_t i = 0; i < p->n_proxies; i++) {
		const Org__Lfedge__Eve__Common__ProxyServer *ps = p->proxies[i];

		if (!ps->server || !*ps->server || !ps->port || ps->port > 65535)
			continue;
		if (ps->proto == ORG__LFEDGE__EVE__COMMON__PROXY_PROTO__PROXY_HTTPS ||
		    (!best && ps->proto == ORG__LFEDGE__EVE__COMMON__PROXY_PROTO__PROXY_HTTP))
			best = ps;
	}
	if (best) {
		snprintf(out, size, "http://%s:%u", best->server, best->port);
		return true;
	}
	if (p->networkproxyenable && p->networkproxyurl && *p->networkproxyurl) {
		snprintf(out, size, "%s", p->networkproxyurl);
		return true;
	}
	return false;
}

/* ProxyConfig.pacfile (base64, EVE) into out; false (logged) when it is
 * not base64 or too long: the port is refused, not used without it. */
static bool pac_from(const Org__Lfedge__Eve__Common__ProxyConfig *p, const char *what, char *out, size_t size)
{
	int r;

	out[0] = '\0';
	if (!p || !p->pacfile || !*p->pacfile)
		return true;
	r = pac_decode(p->pacfile, out, size);
	if (r < 0) {
		out[0] = '\0';
		alog(ALOG_WARN, "network: %s: proxy PAC file refused: %s", what,
		     r == -E2BIG ? "longer than the agent's limit" : "not base64 text");
		return false;
	}
	return true;
}

/* ProxyConfig.exceptions (hosts, .domains, addresses, CIDRs, comma
 * separated: libcurl's NOPROXY list) into out; false (logged) when too
 * long or holding other characters: the port is refused. */
static bool exceptions_from(const Org__Lfedge__Eve__Common__ProxyConfig *p, const char *what, char *out,
			    size_t size)
{
	const char *e = p && p->exceptions ? p->exceptions : "";
	size_t n = strlen(e);

	out[0] = '\0';
	if (n >= size ||
	    strspn(e, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_*:/[], ") != n) {
		alog(ALOG_WARN, "network: %s: proxy exceptions refused: %s", what,
		     n >= size ? "longer than the agent's limit"
			       : "not a list of hosts, domains or addresses");
		return false;
	}
	memcpy(out, e, n + 1);
	return true;
}

static const Org__Lfedge__Eve__Config__NetworkConfig *
sysadapter_network(const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg, const char *id)
{
	for (size_t i = 0; id && *id && i < cfg->n_networks; i++)
		if (cfg->networks[i]->id && !strcmp(cfg->networks[i]->id, id))
			return cfg->networks[i];
	return NULL;
}

/* Static addressing: the adapter's addr with the prefix of the network's
 * subnet, its gateway and DNS servers. false when it is not usable. */
static bool static_from(const Org__Lfedge__Eve__Config__SystemAdapter *sa,
			const Org__Lfedge__Eve__Common__Ipspec *ip, struct portcfg_addr *out)
{
	const char *slash = ip->subnet ? strchr(ip->subnet, '/') : NULL;

	size_t la = sa->addr ? strlen(sa->addr) : 0, ls = slash ? strlen(slash) : 0;

	if (!la || !slash || la + ls >= sizeof(out->addr))
		return false;
	memcpy(out->addr, sa->addr, la);
	memcpy(out->addr + la, slash, ls + 1);
	if (ip->gateway && strlen(ip->gateway) < sizeof(out->gw))
		memcpy(out->gw, ip->gateway, strlen(ip->gateway) + 1);
	for (size_t i = 0; i < ip->n_dns && out->n_dns < PORTCFG_DNS_MAX; i++)
		if (strlen(ip->dns[i]) < PORTCFG_IP_MAX)
			memcpy(out->dns[out->n_dns++], ip->dns[i], strlen(ip->dns[i]) + 1);
	return true;
}

/* One management port from its system adapter and network config. */
static bool port_from(struct agent *a, const Org__Lfedge__Eve__Config__SystemAdapter *sa,
		      const Org__Lfedge__Eve__Config__NetworkConfig *net, const char *ifname,
		      struct netmgr_port *p)
{
	const Org__Lfedge__Eve__Common__Ipspec *ip = net ? net->ip : NULL;

	snprintf(p->name, sizeof(p->name), "%s", ifname);
	snprintf(p->label, sizeof(p->label), "%s", sa->name ? sa->name : "");
	p->cost = sa->cost;
	if (ip && ip->dhcp == ORG__LFEDGE__EVE__COMMON__DHCPTYPE__Static) {
		p->mode = PORTCFG_STATIC;
		if (!static_from(sa, ip, &p->want)) {
			alog(ALOG_WARN,
			     "network: port %s: static config without a usable address/subnet: refused",
			     ifname);
			return false;
		}
	} else if (ip && ip->dhcp == ORG__LFEDGE__EVE__COMMON__DHCPTYPE__Client) {
		p->mode = PORTCFG_DHCP;
	}
	if (net && net->entproxy) {
		proxy_from(net->entproxy, p->proxy, sizeof(p->proxy));
		if (!pac_from(net->entproxy, ifname, p->pac, sizeof(p->pac)) ||
		    !exceptions_from(net->entproxy, ifname, p->exceptions, sizeof(p->exceptions)))
			return false;
		/* EVE: the PAC file wins over the proxy list */
		if (p->pac[0])
			p->proxy[0] = p->exceptions[0] = '\0';
	}
	(void)a;
	return true;
}

/* Management system adapters (with their network's addressing and proxy)
 * make the network setting; a proxy without adapters applies to all. */
static void apply_network(struct agent *a, const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg)
{
	struct netmgr_setting s = {0};
	bool any = false;
	int r;

	for (size_t i = 0; i < cfg->n_systemadapterlist && s.n_ports < NETMGR_MAX_PORTS; i++) {
		const Org__Lfedge__Eve__Config__SystemAdapter *sa = cfg->systemadapterlist[i];
		const char *label = sa->lowerlayername && *sa->lowerlayername ? sa->lowerlayername : sa->name;
		const Org__Lfedge__Eve__Config__PhysicalIO *io = sysadapter_phyio(cfg, label);
		const char *name = sysadapter_ifname(io, label);

		/* EVE: a system adapter is a management port when uplink is set */
		if (!sa->uplink || !name || strlen(name) >= NETMGR_NAME_MAX)
			continue;
		if (port_from(a, sa, sysadapter_network(cfg, sa->networkuuid), name, &s.ports[s.n_ports]))
			s.n_ports++;
		any = true;
	}
	for (size_t i = 0; !s.n_ports && i < cfg->n_networks; i++) {
		const Org__Lfedge__Eve__Common__ProxyConfig *ep = cfg->networks[i]->entproxy;
		bool pac = ep && ep->pacfile && *ep->pacfile;

		if ((pac && !pac_from(ep, "network", s.pac, sizeof(s.pac))) ||
		    !exceptions_from(ep, "network", s.exceptions, sizeof(s.exceptions)))
			return;
		if (proxy_from(ep, s.proxy, sizeof(s.proxy)) || pac) {
			if (pac)
				s.proxy[0] = s.exceptions[0] = '\0';
			any = true;
			break;
		}
	}
	r = any ? netmgr_propose(a->nm, &s, now_ms(), a->set.netrollback_s * 1000ull) : 0;
	if (r == 1)
		alog(ALOG_INFO, "network: trying %zu management port(s)%s%s for %" PRIu32 " s", s.n_ports,
		     s.proxy[0] ? " via proxy " : "", s.proxy, a->set.netrollback_s);
	else if (r == 2)
		alog(ALOG_WARN,
		     "network: the controller's network setting was rolled back before: not retried "
		     "until it sends another one");
}

void config_poll_set(struct agent *a, Org__Lfedge__Eve__Config__EdgeDevConfig *cfg, ProtobufCMessage *owner)
{
	if (a->cfg_owner)
		protobuf_c_message_free_unpacked(a->cfg_owner, NULL);
	a->cfg = cfg;
	a->cfg_owner = owner;
}

/* controllercert_confighash changes when the controller's certificates
 * do: fetch /certs again (EVE's rule). The first value seen is recorded. */
static void apply_certs_hash(struct agent *a, const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg)
{
	const char *h = cfg->controllercert_confighash;
	int r;

	if (!h || !*h || strlen(h) >= sizeof(a->certs_cfghash) || !strcmp(h, a->certs_cfghash))
		return;
	if (a->certs_cfghash[0]) {
		ctlclient_set_api(a->cc, netmgr_api(a->nm)); /* apply_network may have changed it */
		r = ctlclient_fetch_certs(a->cc);
		alog(r == 0 ? ALOG_INFO : ALOG_WARN, "config: controller certificates changed: /certs %s",
		     r == 0 ? "fetched again" : eve_strerror(r));
		if (r < 0)
			return; /* retried with the next config */
	}
	snprintf(a->certs_cfghash, sizeof(a->certs_cfghash), "%s", h);
}

/* Publisher keys the signed config adds (trustkeys.h), before the
 * runtime and the updater judge images with them. */
static void apply_trust_keys(struct agent *a, const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg)
{
	int n = trustkeys_sync(a->trust_ctl_dir, cfg->configitems, cfg->n_configitems, a->set.trust_ctl_deny);

	if (n < 0)
		alog(ALOG_ERR, "config: publisher keys from the controller: %s: %s", a->trust_ctl_dir,
		     eve_strerror(n));
	else if (n != a->trust_ctl_keys)
		alog(ALOG_INFO, "config: %d publisher key(s) from the controller trusted%s", n,
		     a->set.trust_ctl_deny ? " (image-trust/controller-keys: deny)" : "");
	a->trust_ctl_keys = n;
}

/* The base OS of the config in force (a->cfg). Called after the rest of
 * the config is applied and, for a config from the controller, after it is
 * checkpointed: installing an update reboots at once, and the image that
 * comes back (the old one after a fallback) must start from the config
 * that asked for the update, not an older checkpoint naming another
 * version (which it would install again: a fallback loop). */
static void apply_baseos(struct agent *a)
{
	int r;

	if (!a->cfg)
		return;
	r = baseos_apply(a->bo, a->cfg);
	if (r < 0)
		alog(ALOG_ERR, "base OS update: %s%s%s", eve_strerror(r), *baseos_sig_note(a->bo) ? ": " : "",
		     baseos_sig_note(a->bo));
	else if (*baseos_sig_note(a->bo))
		alog(ALOG_INFO, "base OS image: %s", baseos_sig_note(a->bo));
}

/* Open the config's secrets (in memory only: the checkpoint keeps them
 * encrypted) and hand the apps to the runtime. The runtime may run a pass
 * between any two calls: the apps refused under the old config and under
 * the new one are refused together first, so that no app starts without
 * its user data under either config; then the new config; then the new
 * refusals alone. */
static int apply_apps(struct agent *a, Org__Lfedge__Eve__Config__EdgeDevConfig *cfg)
{
	struct agent_refusal old[AGENT_REFUSE_MAX];
	size_t n = a->n_app_refused;
	int r;

	memcpy(old, a->app_refused, n * sizeof(old[0]));
	secrets_open_config(a, cfg);
	vault_push_refusals_with(a, old, n);
	r = appruntime_apply(a->rt, cfg);
	vault_push_refusals(a);
	return r;
}

/* Apply an accepted config (takes owner); its base OS is apply_baseos's. */
static int apply_config(struct agent *a, Org__Lfedge__Eve__Config__EdgeDevConfig *cfg,
			ProtobufCMessage *owner, const char *hash, const char *source)
{
	int r;

	apply_settings(a, cfg);
	apply_devops(a, cfg);
	apply_network(a, cfg);
	apply_certs_hash(a, cfg);
	apply_trust_keys(a, cfg);
	r = apply_apps(a, cfg);
	if (r < 0 && r != -ENOTSUP)
		alog(ALOG_ERR, "runtime: %s", eve_strerror(r));
	edgeview_apply(a->ev, cfg->edgeview, a->set.edgeview_allow != 0, a->have_uuid ? a->uuid : "");
	baseos_set_test_window(a->bo, a->set.update_window_s);
	baseos_set_sig_policy(a->bo, a->set.img_sig_policy);
	snprintf(a->config_hash, sizeof(a->config_hash), "%s", hash ? hash : "");
	config_poll_set(a, cfg, owner);
	a->info_dirty = true;
	alog(ALOG_INFO, "config: applied %s from %s (%zu config items, %zu apps)",
	     a->config_hash[0] ? a->config_hash : "-", source, cfg->n_configitems, cfg->n_apps);
	return 0;
}

/* EdgeDevConfig.id.version as a number; false when absent or not decimal
 * (such versions cannot be ordered: no rollback check). */
static bool config_version(const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg, uint64_t *v)
{
	const char *s = cfg->id && cfg->id->version ? cfg->id->version : "";
	char *end;

	if (*s < '0' || *s > '9' || strlen(s) > 19)
		return false;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return !*end && errno == 0;
}

/* Anti-rollback: a config for the same id with a version older than the
 * one applied (and checkpointed) is refused: -ESTALE, a->rollback_err set. */
static int check_version(struct agent *a, const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg)
{
	const char *id = cfg->id && cfg->id->uuid ? cfg->id->uuid : "";
	uint64_t v;

	if (!a->cfg_version_known || strcmp(id, a->cfg_id) || !config_version(cfg, &v) || v >= a->cfg_version)
		return 0;
	snprintf(a->rollback_version, sizeof(a->rollback_version), "%" PRIu64, v);
	snprintf(a->rollback_err, sizeof(a->rollback_err),
		 "config version %" PRIu64 " is older than the checkpointed version %" PRIu64
		 ": refused (rollback)",
		 v, a->cfg_version);
	a->info_dirty = true;
	return -ESTALE;
}

/* Remember the id and version of the config being applied. */
static void note_version(struct agent *a, const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg)
{
	const char *id = cfg->id && cfg->id->uuid ? cfg->id->uuid : "";

	snprintf(a->cfg_id, sizeof(a->cfg_id), "%s", id);
	a->cfg_version_known = config_version(cfg, &a->cfg_version);
	if (a->rollback_err[0]) {
		a->rollback_err[0] = '\0';
		a->info_dirty = true;
	}
}

/* Unpack a ConfigResponse payload and apply it (refused when older than
 * the config applied: check_version). */
static int apply_response(struct agent *a, const uint8_t *payload, size_t len, const char *source)
{
	Org__Lfedge__Eve__Config__ConfigResponse *cr;
	int r;

	cr = org__lfedge__eve__config__config_response__unpack(NULL, len, payload);
	if (!cr)
		return -EVE_EPROTO;
	if (!cr->config) {
		org__lfedge__eve__config__config_response__free_unpacked(cr, NULL);
		return -EVE_EPROTO;
	}
	r = check_version(a, cr->config);
	if (r < 0) {
		org__lfedge__eve__config__config_response__free_unpacked(cr, NULL);
		return r;
	}
	note_version(a, cr->config);
	return apply_config(a, cr->config, &cr->base, cr->confighash, source);
}

static int apply_slot(struct agent *a, enum checkpoint_slot slot, const char *name)
{
	uint8_t *raw = NULL, *payload = NULL;
	size_t raw_len = 0, plen = 0;
	int r;

	r = checkpoint_load(a->o->state_dir, slot, &raw, &raw_len);
	if (r == 0)
		r = ctlclient_verify(a->cc, raw, raw_len, &payload, &plen);
	if (r == 0)
		r = apply_response(a, payload, plen, name);
	if (r == 0) {
		apply_baseos(a);
		a->ckpt_certs_gen = ctlclient_certs_generation(a->cc);
		if (a->cfg && a->cfg->controllercert_confighash)
			snprintf(a->certs_confighash, sizeof(a->certs_confighash), "%s",
				 a->cfg->controllercert_confighash);
	}
	if (r < 0 && r != -ENOENT)
		alog(ALOG_ERR, "%s/checkpoint/%s: %s: not applied", a->o->state_dir, name, eve_strerror(r));
	free(raw);
	free(payload);
	return r;
}

/* A BootstrapConfig file (the config directory's, or removable media's):
 * verified against the root, its EdgeDevConfig applied. */
int config_poll_apply_bootstrap(struct agent *a, const char *path, const char *source)
{
	Org__Lfedge__Eve__Config__EdgeDevConfig *cfg;
	uint8_t *raw = NULL, *payload = NULL;
	size_t raw_len = 0, plen = 0;
	int r;

	r = fileio_read(path, ENVELOPE_MAX, &raw, &raw_len);
	if (r == 0)
		r = ctlclient_verify_bootstrap(a->cc, raw, raw_len, &payload, &plen);
	if (r == 0) {
		cfg = org__lfedge__eve__config__edge_dev_config__unpack(NULL, plen, payload);
		r = cfg ? apply_config(a, cfg, &cfg->base, "", source) : -EVE_EPROTO;
		if (r == 0)
			apply_baseos(a);
	}
	if (r < 0)
		alog(ALOG_ERR, "%s: %s: not applied", path, eve_strerror(r));
	free(raw);
	free(payload);
	return r;
}

static int apply_bootstrap(struct agent *a)
{
	if (!a->cd.bootstrap_path)
		return -ENOENT;
	return config_poll_apply_bootstrap(a, a->cd.bootstrap_path, "bootstrap-config.pb");
}

/* At start, before the controller answers: lastconfig, else .bak, else the
 * bootstrap config. */
void config_poll_apply_checkpoint(struct agent *a)
{
	if (apply_slot(a, CHECKPOINT_LAST, "lastconfig") == 0)
		return;
	if (apply_slot(a, CHECKPOINT_BAK, "lastconfig.bak") == 0)
		return;
	if (apply_bootstrap(a) == 0)
		return;
	alog(ALOG_INFO, "config: no checkpoint yet, waiting for the controller");
}

static void config_log_once(struct agent *a, int r, long status)
{
	int code = r < 0 ? r : (int)status;

	if (code == a->last_config_err)
		return;
	a->last_config_err = code;
	if (r == -ESTALE)
		alog(ALOG_ERR, "config: %s, keeping the current config", a->rollback_err);
	else if (r < 0 && status == 0)
		alog(ALOG_WARN, "config: controller unreachable (%s), keeping the current config",
		     eve_strerror(r));
	else if (r < 0)
		alog(ALOG_ERR, "config: response refused (%s), keeping the current config", eve_strerror(r));
	else if (status == 403)
		alog(ALOG_ERR,
		     "config: 403 from the controller: it requires remote attestation (an "
		     "integrity token in ConfigRequest)%s%s, or it refuses this device; keeping the "
		     "current config, attesting again and retrying with backoff",
		     a->attest_err[0] ? ": " : "", a->attest_err);
	else if (status != 200 && status != 304)
		alog(ALOG_WARN, "config: HTTP %ld, keeping the current config", status);
}

/* The config runs even when it cannot be saved (full disk): the old
 * checkpoint stays intact and the save is retried with the next config. */
static void save_checkpoint(struct agent *a, const uint8_t *raw, size_t len)
{
	int r = checkpoint_save(a->o->state_dir, CHECKPOINT_LAST, raw, len);

	if (r < 0) {
		alog(ALOG_ERR, "%s/checkpoint/lastconfig: %s: config applied but not checkpointed",
		     a->o->state_dir, eve_strerror(r));
		a->config_hash[0] = '\0'; /* ask again: the next 200 retries the save */
		return;
	}
	a->promoted = false;
	a->ckpt_certs_gen = ctlclient_certs_generation(a->cc);
}

/* EVE's controllercert_confighash: when the controller says its
 * certificates changed (a rotation began), fetch them now, before the new
 * signing certificate signs anything. */
static void note_controller_certs(struct agent *a)
{
	const char *h = a->cfg ? a->cfg->controllercert_confighash : NULL;
	int r;

	if (!h || !*h || !strcmp(h, a->certs_confighash))
		return;
	ctlclient_set_api(a->cc, netmgr_api(a->nm)); /* applying the config may have changed it */
	r = ctlclient_fetch_certs(a->cc);
	if (r < 0) {
		alog(ALOG_WARN, "controller certificates changed, fetching them: %s (retried)",
		     eve_strerror(r));
		return;
	}
	alog(ALOG_INFO, "controller certificates changed: fetched and verified");
	snprintf(a->certs_confighash, sizeof(a->certs_confighash), "%s", h);
}

/* Track the 403 "integrity token required" spell: report it in the
 * device info once when it starts and once when it ends. */
static void itoken_track(struct agent *a, int r, long status)
{
	bool refused = r == 0 && status == 403;

	if (r != 0 || status == 0)
		return; /* no answer: says nothing about attestation */
	if (refused == a->itoken_refused)
		return;
	a->itoken_refused = refused;
	a->itoken_since = refused ? (int64_t)time(NULL) : 0;
	a->info_dirty = true;
	if (!refused) {
		backoff_reset(&a->config_bo);
		alog(ALOG_INFO, "config: the controller answers config again (HTTP %ld)", status);
	}
}

uint64_t config_poll_delay(struct agent *a)
{
	uint64_t interval = a->set.config_interval_s * 1000ull;

	if (!a->itoken_refused)
		return backoff_tick(interval, backoff_random());
	/* doubling from one interval up to 8 (at most an hour) */
	a->config_bo.min_ms = interval ? interval : 1000;
	a->config_bo.max_ms = a->config_bo.min_ms * 8 < 3600000 ? a->config_bo.min_ms * 8 : 3600000;
	if (a->config_bo.cur_ms < a->config_bo.min_ms)
		a->config_bo.cur_ms = a->config_bo.min_ms;
	uint64_t d = backoff_next(&a->config_bo, backoff_random());
	alog(ALOG_DEBUG, "config: refused (403), next request in %" PRIu64 " ms", d);
	return d;
}

void config_poll_run(struct agent *a)
{
	Org__Lfedge__Eve__Config__ConfigRequest req = ORG__LFEDGE__EVE__CONFIG__CONFIG_REQUEST__INIT;
	uint8_t body[256], *payload = NULL, *raw = NULL;
	size_t len, plen = 0, raw_len = 0;
	char path[128];
	long status = 0;
	int r;

	req.confighash = a->config_hash;
	req.integrity_token = (ProtobufCBinaryData){a->itoken_len, a->itoken};
	/* The trusted certificates changed since the checkpoint was signed:
	 * take the whole config again, signed by the current certificate. */
	if (ctlclient_certs_generation(a->cc) != a->ckpt_certs_gen)
		req.confighash = (char *)"";
	len = org__lfedge__eve__config__config_request__pack(&req, body);
	snprintf(path, sizeof(path), "/id/%s/config", a->uuid);
	r = onboard_ensure_certs(a);
	if (r == 0) {
		struct ctlclient_xchg x = {.signer = &a->dev_signer,
					   .path = path,
					   .payload = body,
					   .len = len,
					   .want_resp = true,
					   .want_raw = true};

		alog(ALOG_DEBUG, "config: requesting (hash %s)", req.confighash[0] ? req.confighash : "-");
		r = agent_post(a, &x);
		status = x.status;
		payload = x.resp;
		plen = x.resp_len;
		raw = x.raw;
		raw_len = x.raw_len;
	}
	if (r == 0 && status == 200) {
		r = apply_response(a, payload, plen, "controller");
		if (r == 0)
			save_checkpoint(a, raw, raw_len);
		if (r == 0)
			note_controller_certs(a);
		if (r == 0)
			apply_baseos(a);
	} else if (r == 0 && status == 304) {
		alog(ALOG_DEBUG, "config: unchanged (304)");
		/* Ran a full interval and the controller still agrees: stable. */
		if (!a->promoted && checkpoint_promote(a->o->state_dir) == 0)
			a->promoted = true;
	}
	if (r == 0 && (status == 200 || status == 304))
		baseos_controller_reached(a->bo, now_mono_s());
	itoken_track(a, r, status);
	if (r == 0 && status == 403 && !a->attest_due) {
		/* attest again: at once unless an exchange just ran */
		uint64_t gap = a->set.config_interval_s * 1000ull, now = now_ms();
		a->attest_due = true;
		a->next_attest = a->last_attest && now - a->last_attest < gap ? a->last_attest + gap : now;
		a->next_config = a->next_attest;
	}
	config_log_once(a, r, status);
	free(payload);
	free(raw);
}
