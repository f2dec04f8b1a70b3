// SPDX-License-Identifier: Apache-2.0
/* The agent's main loop and start-up.
 *
 * One thread runs everything that talks to the controller: onboarding, the
 * config poll, info/metrics/log uploads. The runtime's thread only queues
 * (info queue, log shipper), so no network handle is shared. Every timer is
 * a deadline on the monotonic clock; the loop sleeps in poll() on stop_fd
 * until the nearest one. */
#include "agent_int.h"
#include "edgeview.h"

#include <openssl/crypto.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentlog.h"
#include "attest.h"
#include "vault.h"
#include "checkpoint.h"
#include "crypto.h"
#include "err.h"
#include "fileio.h"
#include "media.h"

/* How often the idle loop returns freed heap pages to the system. */
#define AGENT_TRIM_MS 2000
#define AGENT_NETSETTING_FILE "netsetting" /* state file: working and rolled-back network setting */

/* ---- identity ---------------------------------------------------------- */

static int open_keystore(struct agent *a)
{
	struct keystore_opts ko = {.state_dir = a->o->state_dir, .tcti = a->o->tcti};
	const struct keystore_ops *ops = &keystore_file_ops;
	char tpmkey[PATH_MAX];
	struct stat st;
	int r;

	agent_state_path(a, "device.tpmkey", tpmkey);
	if (a->o->tcti || stat("/dev/tpmrm0", &st) == 0 || stat(tpmkey, &st) == 0)
		ops = &keystore_tpm_ops;
	r = keystore_open(ops, &ko, &a->ks);
	if (r < 0) {
		alog(ALOG_ERR, "key store %s (%s): %s", ops->name, ko.tcti ? ko.tcti : "default",
		     eve_strerror(r));
		return r;
	}
	alog(ALOG_INFO, "device key in the %s key store", ops->name);
	return 0;
}

static int make_device_signer(struct agent *a)
{
	size_t len = 0;
	int r;

	r = identity_cert_load_or_create(&a->ks, a->o->state_dir, &a->devcert);
	if (r < 0) {
		alog(ALOG_ERR, "%s/device.cert.pem: %s", a->o->state_dir, eve_strerror(r));
		return r;
	}
	a->dev_signer.sign = keystore_sign_cb;
	a->dev_signer.ctx = &a->ks;
	r = crypto_cert_hash_der(a->devcert, a->dev_signer.cert_hash);
	if (r == 0)
		r = crypto_cert_to_pem(a->devcert, &a->dev_signer.cert_pem, &len);
	return r;
}

static int make_onboard_signer(struct agent *a)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int r;

	if (!a->cd.onboard_cert_path)
		return 0;
	r = crypto_key_load_pem(a->cd.onboard_key_path, &key);
	if (r == 0)
		r = crypto_cert_load_pem(a->cd.onboard_cert_path, &cert);
	if (r == 0)
		r = envelope_signer_from_key(&a->onb_signer, key, cert, false);
	a->have_onb = r == 0;
	EVP_PKEY_free(key);
	X509_free(cert);
	if (r < 0)
		alog(ALOG_ERR, "%s: %s", a->cd.onboard_cert_path, eve_strerror(r));
	return r;
}

/* ---- small persistent counters ---------------------------------------- */

static void counters_load(struct agent *a)
{
	char path[PATH_MAX];
	uint8_t *d = NULL;
	size_t len = 0;
	unsigned rb = 0, sd = 0, rs = 0;

	agent_state_path(a, "counters", path);
	if (fileio_read(path, 256, &d, &len) == 0 &&
	    sscanf((char *)d, "reboot=%u shutdown=%u restart=%u", &rb, &sd, &rs) == 3) {
		a->reboot_counter = rb;
		a->shutdown_counter = sd;
		a->restart_counter = rs;
		a->devops_known = true;
	}
	free(d);
}

/* ---- start-up / shutdown ---------------------------------------------- */

static int devops_reboot_seam(void *ctx)
{
	struct agent *a = ctx;

	alog(ALOG_WARN, "base OS update asks for a reboot");
	return devops_execute(&a->devops, DEVOPS_REBOOT, "base OS update");
}

static void log_hypervisors(struct agent *a)
{
	const char *const *hv = appruntime_hypervisors(a->rt);
	char list[128] = "";
	size_t n = 0;

	for (; hv && *hv && n < sizeof(list); hv++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", n ? ", " : "", *hv);
	alog(ALOG_INFO, "runtime: hypervisors: %s", n ? list : "none");
}

/* The running base image's version: the VERSION file that a base-OS image
 * (cmake target baseos-image) carries beside the agent, else the agent's
 * own. Only [A-Za-z0-9.+~_-] is taken from the file. */
static void image_version(char *out, size_t len)
{
	char exe[PATH_MAX], path[PATH_MAX];
	uint8_t *data = NULL;
	size_t n = 0, i;
	ssize_t el = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	snprintf(out, len, "%s", AGENT_VERSION);
	if (el <= 0)
		return;
	exe[el] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return;
	*slash = '\0';
	if ((size_t)snprintf(path, sizeof(path), "%s/VERSION", exe) >= sizeof(path) ||
	    fileio_read(path, 64, &data, &n) < 0)
		return;
	while (n && (data[n - 1] == '\n' || data[n - 1] == ' '))
		n--;
	for (i = 0; i < n && (isalnum(data[i]) || strchr(".+~_-", data[i])); i++)
		;
	if (n && i == n && n < len)
		snprintf(out, len, "%.*s", (int)n, (const char *)data);
	free(data);
}

/* Give the downloads the ports and proxies the controller's requests use
 * now (published when they change). */
static void publish_dlplan(struct agent *a)
{
	static struct dlroute_plan next; /* the main loop's only: ~150 KiB off the stack */

	memset(&next, 0, sizeof(next));
	netmgr_dlplan(a->nm, &next);
	if (memcmp(&next, a->dlplan, sizeof(next)) == 0)
		return;
	*a->dlplan = next;
	dlroute_set(a->dl, a->dlplan);
}

static void open_optional(struct agent *a)
{
	char version[64];
	struct baseos_opts bo = {.backend = a->o->update_backend,
				 .target = a->o->update_target,
				 .state_dir = a->o->state_dir,
				 .ca_path = a->cd.root_ca_path,
				 .trust_dir = a->trust_path,
				 .version = version,
				 .router = dlroute_router(a->dl),
				 .ctx = a};
	struct appruntime_trust trust = {.dir = a->trust_path, .floor = a->cd.image_sig_floor};
	int r;

	image_version(version, sizeof(version));

	publish_dlplan(a); /* before the first download */
	r = appruntime_new(a->o->state_dir, a->o->libvirt_uri, a->cd.root_ca_path, &trust,
			   dlroute_router(a->dl), reporter_on_info, reporter_on_app_log, a, &a->rt);
	if (r == -ENOTSUP)
		alog(ALOG_WARN, "built without the app runtime: apps are not run");
	else if (r < 0)
		alog(ALOG_ERR, "runtime: %s: apps are not run", eve_strerror(r));
	if (r < 0)
		a->rt = NULL;
	if (a->rt)
		log_hypervisors(a);
	vault_push_refusals(a); /* a locked volume vault holds every app */
	if (edgeview_new(a->rt, a->cd.root_ca_path, &a->dev_signer, dlroute_router(a->dl), &a->ev) < 0)
		alog(ALOG_ERR, "edgeview: cannot start: remote consoles are off");
	if (!a->o->update_backend) {
		snprintf(a->bo_why, sizeof(a->bo_why), "started without --update (no A/B updater)");
		return;
	}
	/* A dir "reboot" is a re-exec done by eve-slot-boot; only a real boot
	 * disk may reboot the machine. */
	if (strcmp(a->o->update_backend, "gpt") == 0)
		bo.reboot = devops_reboot_seam;
	r = baseos_open(&bo, &a->bo);
	if (r == 0)
		r = baseos_boot_check(a->bo, now_mono_s());
	if (r < 0) {
		alog(ALOG_ERR, "base OS updater (%s:%s): %s", a->o->update_backend, a->o->update_target,
		     eve_strerror(r));
		snprintf(a->bo_why, sizeof(a->bo_why), "the updater (%.16s) failed: %.80s",
			 a->o->update_backend, r == -ENOTSUP ? "built without it" : eve_strerror(r));
		if (a->bo) {
			baseos_close(a->bo);
			a->bo = NULL;
		}
	}
}

static void open_media(struct agent *a)
{
	char mnt[PATH_MAX];
	int r;

	snprintf(mnt, sizeof(mnt), "%s/media", a->o->state_dir);
	r = media_new(mnt, &a->media);
	if (r < 0)
		alog(ALOG_WARN, "removable media (label %s): %s: not watched", MEDIA_LABEL, eve_strerror(r));
}

/* A newly inserted EVE-CONFIG medium: its bootstrap config, verified like
 * any config, applied unless it is older than the one running. */
static void scan_media(struct agent *a)
{
	char copy[PATH_MAX], dev[320] = "", source[400];
	int r;

	snprintf(copy, sizeof(copy), "%s/media-config.pb", a->o->state_dir);
	r = media_scan(a->media, copy, dev, sizeof(dev));
	if (r == 0)
		return;
	if (r < 0) {
		alog(ALOG_WARN, "removable media %s labelled %s: %s", dev, MEDIA_LABEL,
		     r == -ENOENT ? "no " MEDIA_FILE " on it" : eve_strerror(r));
		return;
	}
	alog(ALOG_INFO, "removable media %s labelled %s: applying its %s", dev, MEDIA_LABEL, MEDIA_FILE);
	snprintf(source, sizeof(source), "removable media %s", dev);
	(void)config_poll_apply_bootstrap(a, copy, source);
	(void)unlink(copy);
}

static int open_reporting(struct agent *a)
{
	int r;

	r = logship_new(a->o->state_dir, settings_log_quota_bytes(&a->set), &a->ls);
	if (r == 0)
		r = infoqueue_new(a->o->state_dir, &a->iq);
	if (r == 0)
		r = checkpoint_init(a->o->state_dir);
	if (r < 0) {
		alog(ALOG_ERR, "%s: %s", a->o->state_dir, eve_strerror(r));
		return r;
	}
	alog_set_ship(a->ls);
	return 0;
}

/* The management port that worked last (before a restart) is tried first. */
static void remembered_port(struct agent *a)
{
	char path[PATH_MAX];
	int r;

	agent_state_path(a, AGENT_PORT_FILE, path);
	r = netmgr_persist(a->nm, path);
	if (r > 0)
		alog(ALOG_INFO, "network: starting with management port %s (it worked last)",
		     netmgr_port(a->nm));
	else if (r < 0)
		alog(ALOG_WARN, "%s: %s: ignored", path, eve_strerror(r));
}

/* The network setting that worked last and the one rolled back (both
 * survive restarts); the interfaces the agent may configure. */
static void remembered_setting(struct agent *a)
{
	char path[PATH_MAX];
	int r;

	r = netmgr_manage(a->nm, (const char *const *)a->cd.managed, a->cd.n_managed, a->o->state_dir);
	if (r < 0)
		alog(ALOG_WARN, "network: %s", eve_strerror(r));
	agent_state_path(a, AGENT_NETSETTING_FILE, path);
	r = netmgr_persist_setting(a->nm, path);
	if (r > 0)
		alog(ALOG_INFO, "network: starting with the setting that worked last (%zu port(s))%s",
		     netmgr_setting(a->nm)->n_ports,
		     netmgr_rejected(a->nm) ? "; a rolled-back setting is remembered" : "");
	else if (r < 0)
		alog(ALOG_WARN, "%s: %s: ignored", path, eve_strerror(r));
}

/* The diagnosis of every management port, line by line in the log (and on
 * the console: the log goes to stderr unless daemonized). */
static void print_diag(struct agent *a, const char *why)
{
	static char text[8192];
	char *save = NULL;
	size_t ok = netmgr_diag(a->nm, 3, text, sizeof(text));

	alog(ok ? ALOG_INFO : ALOG_WARN, "diag (%s): %zu of %zu port(s) reach the controller %s", why, ok,
	     netmgr_setting(a->nm)->n_ports ? netmgr_setting(a->nm)->n_ports : 1, a->cd.server);
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		alog(ok ? ALOG_INFO : ALOG_WARN, "diag: %s", l);
}

/* timer.port.testinterval: test the ports of the current setting (each
 * bounded by timer.port.timeout); a change of the port in use is logged. */
static void port_test(struct agent *a)
{
	static char text[2048];
	char before[NETMGR_NAME_MAX], *save = NULL;
	bool trial = netmgr_on_trial(a->nm);
	int ok;

	snprintf(before, sizeof(before), "%s", netmgr_port(a->nm));
	ok = netmgr_port_test(a->nm, now_ms(), text, sizeof(text));
	/* a port that answers is routine (debug); a failure is news */
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		alog(strstr(l, ": FAILED") ? ALOG_WARN : ALOG_DEBUG,
		     "network: %s (timer.port.timeout %" PRIu32 " s)", l, a->set.port_timeout_s);
	if (!ok)
		alog(ALOG_WARN, "network: port test: no port of the current setting reached the controller");
	if (strcmp(before, netmgr_port(a->nm))) {
		alog(ALOG_INFO, "network: port test: management port %s now in use (was %s)",
		     *netmgr_port(a->nm) ? netmgr_port(a->nm) : "(any route)",
		     *before ? before : "(any route)");
		a->info_dirty = true;
	}
	if (trial && !netmgr_on_trial(a->nm)) {
		alog(ALOG_INFO, "network: the new setting reached the controller: kept (port test)");
		a->info_dirty = true;
	}
}

static int open_controller(struct agent *a)
{
	struct netmgr_setting s = {0};
	struct netmgr_props np;
	int r;

	for (size_t i = 0; i < a->cd.n_ports && i < NETMGR_MAX_PORTS; i++) {
		/* the config dir's ports are an order of preference */
		s.ports[s.n_ports].cost = (uint32_t)i;
		snprintf(s.ports[s.n_ports++].name, NETMGR_NAME_MAX, "%s", a->cd.ports[i]);
	}
	if (a->cd.proxy)
		snprintf(s.proxy, sizeof(s.proxy), "%s", a->cd.proxy);
	r = ctlclient_new(a->o->state_dir, a->cd.root_ca_path, &a->cc);
	if (r == 0)
		r = netmgr_new(a->cd.server, a->cd.root_ca_path, &s, &a->nm);
	if (r == 0)
		r = dlroute_new(&a->dl);
	if (r == 0 && !(a->dlplan = calloc(1, sizeof(*a->dlplan))))
		r = -ENOMEM;
	if (r < 0) {
		alog(ALOG_ERR, "controller client: %s", eve_strerror(r));
		return r;
	}
	settings_net_props(&a->set, &np); /* the config dir's; configs change them later */
	netmgr_set_props(a->nm, &np, now_ms());
	remembered_setting(a);
	remembered_port(a);
	r = ctlclient_load_certs(a->cc);
	if (r < 0 && r != -ENOENT)
		alog(ALOG_WARN, "%s/checkpoint/controllercerts: %s: fetching again", a->o->state_dir,
		     eve_strerror(r));
	return 0;
}

/* The config dir's config-items: the base the controller's items override. */
static void local_settings(struct agent *a)
{
	char bad[64] = "";
	size_t n_bad = 0;

	settings_defaults(&a->base);
	a->base.img_sig_floor = a->base.img_sig_policy = a->cd.image_sig_floor;
	a->base.trust_ctl_deny = a->cd.image_trust_ctl_deny;
	settings_apply_text(&a->base, a->cd.config_items, &n_bad, bad, sizeof(bad));
	if (n_bad)
		alog(ALOG_WARN, "%s/config-items: %zu bad value(s), first %s: default kept", a->cd.dir, n_bad,
		     bad);
	a->set = a->base;
	alog_set_level(a->o->verbose ? ALOG_DEBUG : (enum alog_level)a->set.log_level,
		       (enum alog_level)a->set.remote_log_level);
}

static int agent_start(struct agent *a)
{
	char err[512] = "";
	int r;

	settings_defaults(&a->set);
	devops_init(&a->devops, a->o->devops_record);
	r = configdir_load(a->o->config_dir, &a->cd, err, sizeof(err));
	if (r < 0) {
		alog(ALOG_ERR, "config: %s", err[0] ? err : eve_strerror(r));
		return r;
	}
	local_settings(a);
	r = fileio_mkdirs(a->o->state_dir, 0700);
	if (r < 0) {
		alog(ALOG_ERR, "%s: %s", a->o->state_dir, eve_strerror(r));
		return r;
	}
	a->trust_ctl_keys = -1;
	if (asprintf(&a->trust_ctl_dir, "%s/image-trust-ctl", a->o->state_dir) < 0)
		a->trust_ctl_dir = NULL;
	else if (asprintf(&a->trust_path, "%s:%s", a->cd.image_trust_dir ? a->cd.image_trust_dir : "",
			  a->trust_ctl_dir) < 0)
		a->trust_path = NULL;
	if (!a->trust_path)
		return -ENOMEM;
	r = open_reporting(a);
	if (r == 0)
		r = open_keystore(a);
	if (r == 0)
		attest_measure(a); /* before any contact: a tampered agent or config shows in the quote */
	if (r == 0)
		vault_open(a); /* sealed to the PCRs just measured */
	if (r == 0)
		r = make_device_signer(a);
	if (r == 0)
		r = make_onboard_signer(a);
	if (r == 0)
		r = open_controller(a);
	if (r < 0)
		return r;
	identity_serial(a->o->serial, a->serial);
	counters_load(a);
	a->restart_counter++;
	agent_counters_save(a);
	a->have_uuid = identity_uuid_load(a->o->state_dir, a->uuid) == 0;
	a->need_uuid = true;
	a->attest_due = true;
	if (a->have_uuid)
		logship_set_meta(a->ls, a->uuid, AGENT_VERSION);
	alog(ALOG_INFO, "eve-agent %s starting: serial %s, controller %s, %s", AGENT_VERSION, a->serial,
	     a->cd.server, a->have_uuid ? a->uuid : "not onboarded yet");
	open_optional(a);
	config_poll_apply_checkpoint(a);
	open_media(a);
	return 0;
}

static void agent_stop(struct agent *a)
{
	alog_set_ship(NULL);
	edgeview_free(a->ev); /* before the runtime its channels use */
	a->ev = NULL;
	appruntime_free(a->rt); /* first: its thread calls into iq / ls */
	if (a->ls)
		logship_rotate(a->ls);
	baseos_close(a->bo);
	media_free(a->media);
	free(a->trust_path);
	free(a->trust_ctl_dir);
	config_poll_set(a, NULL, NULL);
	netmgr_free(a->nm);
	dlroute_free(a->dl);
	free(a->dlplan);
	ctlclient_free(a->cc);
	infoqueue_free(a->iq);
	logship_free(a->ls);
	envelope_signer_clear(&a->onb_signer);
	free(a->dev_signer.cert_pem);
	X509_free(a->devcert);
	keystore_close(&a->ks);
	OPENSSL_cleanse(a->vault_key, sizeof(a->vault_key));
	configdir_free(&a->cd);
}

/* ---- the loop --------------------------------------------------------- */

static void run_timers(struct agent *a, uint64_t now)
{
	if (a->media && now >= a->next_media) {
		scan_media(a);
		a->next_media = now_ms() + MEDIA_SCAN_MS;
	}
	if (a->need_uuid && now >= a->next_onboard)
		onboard_step(a);
	if (!a->have_uuid)
		return;
	if (a->attest_due && now >= a->next_attest) {
		a->last_attest = now;
		attest_step(a);
	}
	if (now >= a->next_config) {
		config_poll_run(a);
		a->next_config = now_ms() + config_poll_delay(a);
	}
	if (a->info_dirty || now >= a->next_info) {
		reporter_device_info(a, true);
		a->info_dirty = false;
		a->next_info = now_ms() + a->set.info_interval_s * 1000ull;
		a->next_info_check = now_ms() + INFO_CHECK_MS;
	} else if (now >= a->next_info_check) {
		reporter_device_info(a, false);
		a->next_info_check = now_ms() + INFO_CHECK_MS;
	}
	if (now >= a->next_metrics) {
		reporter_metrics(a);
		a->next_metrics = now_ms() + a->set.metric_interval_s * 1000ull;
	}
	if (now >= a->next_flush) {
		reporter_flush(a);
		a->next_flush = now_ms() + FLUSH_MS;
	}
}

static uint64_t next_deadline(const struct agent *a)
{
	uint64_t d = a->next_flush;

	if (a->need_uuid && a->next_onboard < d)
		d = a->next_onboard;
	if (a->have_uuid) {
		if (a->next_config < d)
			d = a->next_config;
		if (a->next_metrics < d)
			d = a->next_metrics;
		if (a->next_info < d)
			d = a->next_info;
		if (a->next_info_check < d)
			d = a->next_info_check;
	}
	return d;
}

static void loop(struct agent *a, int stop_fd)
{
	struct pollfd pfd = {.fd = stop_fd, .events = POLLIN};
	uint64_t next_trim = 0;

	for (;;) {
		uint64_t now = now_ms(), dl;
		int timeout;

		switch (netmgr_tick(a->nm, now)) {
		case NETMGR_TICK_ROLLED_BACK:
			alog(ALOG_WARN,
			     "network: new setting did not reach the controller in %" PRIu32
			     " s: rolled back to the last working one",
			     a->set.netrollback_s);
			a->info_dirty = true;
			break;
		case NETMGR_TICK_RETRY:
			alog(ALOG_INFO,
			     "network: retrying the rolled-back setting (%zu port(s)) for %" PRIu32
			     " s (timer.port.testbetterinterval %" PRIu32 " s)",
			     netmgr_setting(a->nm)->n_ports, a->set.netrollback_s, a->set.port_better_s);
			a->info_dirty = true;
			break;
		case NETMGR_TICK_NONE:
			break;
		}
		if (netmgr_test_due(a->nm, now))
			port_test(a);
		if (netmgr_poll(a->nm))
			a->info_dirty = true;
		publish_dlplan(a);
		if (a->diag_due || !a->diag_done) {
			print_diag(a, a->diag_done ? "connectivity changed" : "start");
			a->diag_due = false;
			a->diag_done = true;
		}
		baseos_tick(a->bo, now_mono_s());
		run_timers(a, now);
		dl = next_deadline(a);
		now = now_ms();
		/* Give back the pages that a poll's TLS, protobuf and JSON
		 * buffers freed (glibc keeps them otherwise: ~1-2 MiB of the
		 * idle agent's private memory); cheap on a heap this size. */
		if (now >= next_trim) {
#ifdef __GLIBC__
			malloc_trim(0);
#endif
			next_trim = now + AGENT_TRIM_MS;
		}
		timeout = dl <= now ? 0 : (int)(dl - now > 1000 ? 1000 : dl - now);
		if (poll(&pfd, 1, timeout) > 0)
			break;
	}
}

int agent_run(const struct agent_opts *o, int stop_fd)
{
	struct agent a = {.o = o};
	uint64_t now = now_ms();
	int r;

	alog_set_level(o->verbose ? ALOG_DEBUG : ALOG_INFO, ALOG_INFO);
	backoff_init(&a.onboard_bo, ONBOARD_MIN_MS, ONBOARD_MAX_MS);
	backoff_init(&a.config_bo, 1000, 8000);
	r = agent_start(&a);
	if (r == 0) {
		a.next_onboard = now;
		a.next_config = now;
		a.next_info = now;
		a.next_metrics = now + a.set.metric_interval_s * 1000ull;
		a.next_flush = now;
		loop(&a, stop_fd);
		alog(ALOG_INFO, "eve-agent stopping");
	}
	agent_stop(&a);
	return r;
}

int agent_diag(const struct agent_opts *o)
{
	struct configdir cd;
	struct netmgr_setting s = {0};
	struct netmgr *nm = NULL;
	static char text[16384];
	char err[512] = "", path[PATH_MAX];
	size_t ok;
	int r;

	r = configdir_load(o->config_dir, &cd, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "eve-agent diag: %s\n", err[0] ? err : eve_strerror(r));
		return 2;
	}
	for (size_t i = 0; i < cd.n_ports && i < NETMGR_MAX_PORTS; i++) {
		s.ports[s.n_ports].cost = (uint32_t)i;
		snprintf(s.ports[s.n_ports++].name, NETMGR_NAME_MAX, "%s", cd.ports[i]);
	}
	if (cd.proxy)
		snprintf(s.proxy, sizeof(s.proxy), "%s", cd.proxy);
	r = netmgr_new(cd.server, cd.root_ca_path, &s, &nm);
	if (r == 0)
		r = netmgr_manage(nm, (const char *const *)cd.managed, cd.n_managed, o->state_dir);
	if (r < 0) {
		fprintf(stderr, "eve-agent diag: %s\n", eve_strerror(r));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/" AGENT_NETSETTING_FILE, o->state_dir);
	if (netmgr_persist_setting(nm, path) < 0)
		fprintf(stderr, "eve-agent diag: %s: unreadable, using the config dir's ports\n", path);
	if (netmgr_show_trial(nm))
		printf("(a new network setting is on trial: diagnosing it)\n");
	netmgr_observe(nm);
	ok = netmgr_diag(nm, 5, text, sizeof(text));
	printf("controller %s: %zu of %zu port(s) reach it\n%s", cd.server, ok,
	       s.n_ports || netmgr_setting(nm)->n_ports ? netmgr_setting(nm)->n_ports : 1, text);
	r = ok ? 0 : 1;
out:
	netmgr_free(nm);
	configdir_free(&cd);
	return r < 0 ? 2 : r;
}
