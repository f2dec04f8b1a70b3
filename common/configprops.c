// SPDX-License-Identifier: Apache-2.0
/* The config property table and its value checks. */
#include "configprops.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define U32 0xFFFFFFFFu
#define HOUR 3600u
#define DAY (24u * HOUR)

#define INT(n, d, lo, hi, ag, emin, h)                                                                       \
	{                                                                                                    \
		n, CONFIGPROP_INT, lo, hi, #d, ag, true, emin, h, NULL                                       \
	}
#define XINT(n, d, lo, hi, h)                                                                                \
	{                                                                                                    \
		n, CONFIGPROP_INT, lo, hi, #d, true, false, 0, h, NULL                                       \
	}
#define BOOL(n, d, ag, h)                                                                                    \
	{                                                                                                    \
		n, CONFIGPROP_BOOL, 0, 0, d, ag, true, 0, h, NULL                                            \
	}
#define TRI(n, d, ag, h)                                                                                     \
	{                                                                                                    \
		n, CONFIGPROP_TRISTATE, 0, 0, d, ag, true, 0, h, NULL                                        \
	}
#define LEVEL(n, d, ag, h)                                                                                   \
	{                                                                                                    \
		n, CONFIGPROP_LOGLEVEL, 0, 0, d, ag, true, 0, h, NULL                                        \
	}
#define STR(n, d, ag, h)                                                                                     \
	{                                                                                                    \
		n, CONFIGPROP_STRING, 0, 0, d, ag, true, 0, h, NULL                                          \
	}

/* eve-agent extension: a uint64 (byte count) */
#define XU64(n, d, lo, hi, h)                                                                                \
	{                                                                                                    \
		n, CONFIGPROP_U64, lo, hi, d, true, false, 0, h, NULL                                        \
	}

#define ENUM(n, d, ch, h)                                                                                    \
	{                                                                                                    \
		n, CONFIGPROP_ENUM, 0, 0, d, true, false, 0, h, ch                                           \
	}

static const char *const sig_policies[] = {"off", "warn", "require", NULL};

/* Sorted by name (configprop_find searches it). agent = true only where
 * device/settings.c has the code that applies the property. */
static const struct configprop props[] = {
    BOOL("app.allow.vnc", "false", true, "VNC of apps listens on all addresses (else 127.0.0.1)"),
    LEVEL("debug.default.loglevel", "info", true, "lowest level of agent log lines kept on the device"),
    LEVEL("debug.default.remote.loglevel", "info", true,
	  "lowest level of agent log lines sent to the controller"),
    BOOL("debug.enable.console", "true", false, "console access to the device"),
    STR("debug.enable.ssh", "", false, "authorized ssh key for access to the device"),
    BOOL("debug.enable.usb", "true", false, "USB devices such as keyboards on the device"),
    BOOL("debug.enable.vga", "true", false, "VGA console on the device"),
    LEVEL("debug.kernel.loglevel", "info", false, "kernel log level"),
    LEVEL("debug.syslog.loglevel", "info", false, "syslog level"),
    /* eve-agent extension (docs/console.md): per-device opt-out of remote consoles */
    {"edgeview.allow", CONFIGPROP_BOOL, 0, 0, "true", true, false, 0,
     "remote consoles, VNC and port forwarding of apps through the controller", NULL},
    ENUM("images.signatures", "off", sig_policies,
	 "publisher signatures of images and base OS: off|warn|require (a device's local policy is a floor)"),
    TRI("maintenance.mode", "none", false, "do not run applications"),
    BOOL("memory.apps.ignore.check", "false", true, "start apps even without enough memory"),
    INT("memory.vmm.limit.MiB", 0, 0, 1024u * 1024 * 1024, false, 0, "memory overhead per VMM"),
    INT("network.download.max.cost", 0, 0, 255, false, 0, "highest port cost used for downloads"),
    TRI("network.fallback.any.eth", "disabled", true, "without connectivity, try any interface"),
    BOOL("newlog.allow.fastupload", "false", false, "upload logs faster"),
    INT("newlog.gzipfiles.ondisk.maxmegabytes", 2048, 10, U32, true, 0,
	"MB of unsent log files kept on the device"),
    XINT("newlog.persist.quota.mb", 64, 1, 65536, "MB of unsent log files kept (eve-agent's own quota)"),
    BOOL("process.cloud-init.multipart", "false", false, "split cloud-init multi-part for VMs"),
    /* 16 GiB: device/runtime/oci_unpack.h OCI_UNPACK_DEFAULT_MAX (configprops_test checks) */
    XU64("runtime.oci.unpack.max.bytes", "17179869184", 1, UINT64_MAX,
	 "bytes a container image may unpack to in a volume without a size"),
    BOOL("storage.apps.ignore.disk.check", "false", true, "create app volumes even without enough disk"),
    INT("storage.dom0.disk.minusage.percent", 20, 20, 80, true, 0, "percent of the disk apps may not use"),
    /* eve-agent extension (docs/volumes.md): an app update that does not
     * run within this time is rolled back on the device; 0 = off */
    XINT("timer.app.update.rollback", 0, 0, DAY,
	 "roll an app update back on the device when it does not run within, s (0 = off)"),
    INT("timer.appcontainer.stats.interval", 300, 1, U32, false, 0, "app container stats interval, s"),
    INT("timer.boot.retry", 600, 1, U32, true, 10, "longest wait before a failed app is restarted, s"),
    INT("timer.config.interval", 60, 1, HOUR, true, 5, "config poll interval, s"),
    INT("timer.defer.content.delete", 0, 0, DAY, false, 0, "keep deleted content for reuse, s"),
    XINT("timer.deviceinfo.interval", 600, 1, DAY, "device info report interval, s (eve-agent's own)"),
    INT("timer.download.retry", 600, 1, U32, true, 60, "longest wait before a failed download is retried, s"),
    INT("timer.download.stalled", 600, 1, U32, true, 20, "cancel a stalled download after, s"),
    INT("timer.gc.vdisk", 3600, 60, U32, false, 0, "collect unused app disks after, s"),
    INT("timer.location.app.interval", 20, 5, HOUR, false, 0, "location to apps interval, s"),
    INT("timer.location.cloud.interval", 3600, 300, U32, false, 0, "location to controller interval, s"),
    INT("timer.metric.diskscan.interval", 300, 5, HOUR, false, 0, "disk scan for metrics interval, s"),
    INT("timer.metric.interval", 60, 1, HOUR, true, 5, "metrics report interval, s"),
    INT("timer.port.georedo", 3600, 60, U32, false, 0, "redo IP geolocation after, s"),
    INT("timer.port.georetry", 600, 5, U32, false, 0, "retry geolocation after, s"),
    INT("timer.port.testbetterinterval", 600, 0, U32, true, 0, "test a higher priority port every, s"),
    INT("timer.port.testduration", 30, 1, HOUR, true, 10, "trial time of a new network setting, s"),
    INT("timer.port.testinterval", 300, 1, HOUR, true, 300, "test the ports of the current setting every, s"),
    INT("timer.port.timeout", 15, 0, HOUR, true, 0, "timeout of each port test request, s (0: 60)"),
    INT("timer.reboot.no.network", 604800, 120, U32, false, 0, "reboot after no controller for, s"),
    INT("timer.send.timeout", 120, 0, HOUR, true, 0, "timeout of a controller request, s"),
    INT("timer.test.baseimage.update", 600, 10, HOUR, true, 30, "test window of a base OS update, s"),
    INT("timer.update.fallback.no.network", 300, 60, U32, false, 0, "fall back after no controller for, s"),
    INT("timer.use.config.checkpoint", 600, 0, U32, false, 0, "use the checkpointed config after, s"),
    INT("timer.vault.ready.cutoff", 300, 60, U32, false, 0, "reboot after inaccessible vault, s"),
};

#define N_PROPS (sizeof(props) / sizeof(props[0]))

size_t configprop_count(void)
{
	return N_PROPS;
}

const struct configprop *configprop_at(size_t i)
{
	return i < N_PROPS ? &props[i] : NULL;
}

static int cmp_name(const void *key, const void *elem)
{
	return strcmp((const char *)key, ((const struct configprop *)elem)->name);
}

const struct configprop *configprop_find(const char *name)
{
	return name ? bsearch(name, props, N_PROPS, sizeof(props[0]), cmp_name) : NULL;
}

int configprop_parse_int(const struct configprop *p, const char *text, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (!text || *text < '0' || *text > '9' || strlen(text) > 10)
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || *end || v > U32 || v < p->min || v > p->max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int configprop_parse_u64(const struct configprop *p, const char *text, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!text || *text < '0' || *text > '9' || strlen(text) > 20 ||
	    strspn(text, "0123456789") != strlen(text))
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || *end || v < p->min || v > p->max)
		return -EINVAL;
	*out = (uint64_t)v;
	return 0;
}

/* Index of text in words (NULL-terminated), or -1. */
static int word(const char *text, const char *const *words)
{
	for (int i = 0; text && words[i]; i++)
		if (!strcmp(text, words[i]))
			return i;
	return -1;
}

int configprop_parse_bool(const char *text, bool *out)
{
	static const char *const t[] = {"true", "1", "t", "T", "TRUE", "True", NULL};
	static const char *const f[] = {"false", "0", "f", "F", "FALSE", "False", NULL};

	if (word(text, t) >= 0)
		*out = true;
	else if (word(text, f) >= 0)
		*out = false;
	else
		return -EINVAL;
	return 0;
}

int configprop_parse_tristate(const char *text, int *out)
{
	static const char *const on[] = {"enabled", "enable", "on", NULL};
	static const char *const off[] = {"disabled", "disable", "off", NULL};

	if (text && !strcasecmp(text, "none"))
		*out = -1;
	else if (word(text, on) >= 0)
		*out = 1;
	else if (word(text, off) >= 0)
		*out = 0;
	else
		return -EINVAL;
	return 0;
}

int configprop_parse_loglevel(const char *text, int *out)
{
	static const struct {
		const char *name;
		int level;
	} levels[] = {
	    {"none", 0}, {"panic", 0}, {"fatal", 0}, {"error", 0}, {"warning", 1},
	    {"warn", 1}, {"info", 2},  {"debug", 3}, {"trace", 3}, {"all", 3},
	};

	for (size_t i = 0; text && i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (!strcasecmp(text, levels[i].name)) {
			*out = levels[i].level;
			return 0;
		}
	}
	return -EINVAL;
}

int configprop_parse_enum(const struct configprop *p, const char *text, int *out)
{
	int i = p && p->choices ? word(text, p->choices) : -1;

	if (i < 0)
		return -EINVAL;
	*out = i;
	return 0;
}

const char *configprop_type_name(enum configprop_type t)
{
	static const char *const n[] = {"int", "bool", "tristate", "loglevel", "string", "enum", "uint64"};

	return (unsigned)t < sizeof(n) / sizeof(n[0]) ? n[t] : "?";
}

void configprop_domain(const struct configprop *p, char *buf, size_t len)
{
	switch (p->type) {
	case CONFIGPROP_INT:
	case CONFIGPROP_U64:
		snprintf(buf, len, "%llu..%llu", (unsigned long long)p->min, (unsigned long long)p->max);
		break;
	case CONFIGPROP_BOOL:
		snprintf(buf, len, "true|false");
		break;
	case CONFIGPROP_TRISTATE:
		snprintf(buf, len, "enabled|disabled|none");
		break;
	case CONFIGPROP_LOGLEVEL:
		snprintf(buf, len, "none|error|warning|info|debug|trace|all");
		break;
	case CONFIGPROP_ENUM: {
		size_t o = 0;

		buf[0] = '\0';
		for (size_t i = 0; p->choices && p->choices[i] && o < len; i++)
			o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "|" : "", p->choices[i]);
		break;
	}
	default:
		snprintf(buf, len, "text");
		break;
	}
}

int configprop_check(const struct configprop *p, const char *value, char *err, size_t err_len)
{
	char dom[64];
	uint32_t u;
	uint64_t u64;
	bool b;
	int i, r = -EINVAL;
	bool num = p->type == CONFIGPROP_INT || p->type == CONFIGPROP_U64;

	if (!value || strlen(value) > CONFIGPROP_VALUE_MAX) {
		if (err)
			snprintf(err, err_len, "value longer than %d bytes", CONFIGPROP_VALUE_MAX);
		return -EINVAL;
	}
	if (p->type == CONFIGPROP_INT)
		r = configprop_parse_int(p, value, &u);
	else if (p->type == CONFIGPROP_BOOL)
		r = configprop_parse_bool(value, &b);
	else if (p->type == CONFIGPROP_TRISTATE)
		r = configprop_parse_tristate(value, &i);
	else if (p->type == CONFIGPROP_LOGLEVEL)
		r = configprop_parse_loglevel(value, &i);
	else if (p->type == CONFIGPROP_ENUM)
		r = configprop_parse_enum(p, value, &i);
	else if (p->type == CONFIGPROP_U64)
		r = configprop_parse_u64(p, value, &u64);
	else
		r = 0;
	if (r < 0 && err) {
		configprop_domain(p, dom, sizeof(dom));
		if (num && value[0] >= '0' && value[0] <= '9' &&
		    strlen(value) <= (p->type == CONFIGPROP_INT ? 10u : 20u) &&
		    strspn(value, "0123456789") == strlen(value))
			snprintf(err, err_len, "'%s' is out of range %s", value, dom);
		else
			snprintf(err, err_len, "'%.64s%s' is not a valid %s (%s)", value,
				 strlen(value) > 64 ? "..." : "",
				 num ? "unsigned integer" : configprop_type_name(p->type), dom);
	}
	return r;
}
