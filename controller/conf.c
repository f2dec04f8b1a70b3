// SPDX-License-Identifier: Apache-2.0
/* controller.conf parser and writer driven by one table. */
#include "conf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "fileio.h"

#define CONF_FILE_CAP (64u << 10)

enum conf_type { CONF_STR, CONF_INT, CONF_BOOL };

struct conf_key {
	const char *name;
	enum conf_type type;
	size_t off;
	size_t size; /* string buffer size */
	int64_t min, max;
	const char *def;
	const char *help;
};

#define STR(n, f, d, h)                                                                                      \
	{                                                                                                    \
		n, CONF_STR, offsetof(struct ctl_conf, f), sizeof(((struct ctl_conf *)0)->f), 0, 0, d, h     \
	}
#define INT(n, f, lo, hi, d, h)                                                                              \
	{                                                                                                    \
		n, CONF_INT, offsetof(struct ctl_conf, f), 0, lo, hi, d, h                                   \
	}

#define BOOL(n, f, d, h)                                                                                     \
	{                                                                                                    \
		n, CONF_BOOL, offsetof(struct ctl_conf, f), 0, 0, 1, d, h                                    \
	}

static const struct conf_key conf_keys[] = {
    STR("listen", listen, "0.0.0.0:8443", "address:port to serve HTTPS on"),
    STR("host", host, "localhost,127.0.0.1", "names the server certificate was made for"),
    INT("public_port", public_port, 0, 65535, "0",
	"port in the URLs the controller gives devices (datastore): 0 for the listen port; behind a load"
	" balancer, the balancer's (every replica the same)"),
    INT("threads", threads, 1, 64, "4", "HTTP worker threads"),
    INT("db_connections", db_conns, 1, 64, "6", "database connections"),
    STR("store", store, "",
	"the database: empty for SQLite in the directory (controller.db), or a PostgreSQL 15 connection URI"
	" postgresql://USER@HOST[:PORT]/DB?... (docs/operations.md)"),
    INT("retention.metrics_days", metrics_days, 1, 3650, "7", "keep metrics this many days"),
    INT("retention.metrics_max", metrics_max, 10, 10000000, "10000", "metrics rows per device"),
    INT("retention.logs_days", logs_days, 1, 3650, "7", "keep logs this many days"),
    INT("retention.logs_max", logs_max, 10, 100000000, "100000", "log lines per device"),
    INT("retention.info_max", info_max, 10, 10000000, "10000", "info history rows per device"),
    INT("retention.flowlog_max", flowlog_max, 10, 10000000, "10000", "flow log rows per device"),
    INT("cap.body", cap_body, 4096, 64 << 20, "8388608", "device API request body cap (bytes)"),
    INT("cap.logs_inflated", cap_logs, 4096, 256 << 20, "16777216", "inflated newlogs cap (bytes)"),
    INT("cap.image", cap_image, 1 << 20, INT64_C(1) << 40, "17179869184", "image upload cap (bytes)"),
    INT("max_followers", max_followers, 0, 1024, "16", "concurrent follow=1 log streams"),
    STR("tls.priorities", tls_priorities, CONF_TLS_DEFAULT,
	"GnuTLS priority string: TLS versions and cipher suites the server accepts"),
    STR("log.format", log_format, "kv", "log lines: kv (key=value) or json"),
    STR("log.level", log_level, "info", "log level: error, warning, info or debug"),
    STR("metrics.allow", metrics_allow, "127.0.0.1/32,::1/128",
	"networks that may read /metrics without the scrape token (comma-separated CIDRs)"),
    STR("metrics.token_file", metrics_token_file, "metrics-token",
	"file holding the read-only scrape token (relative to the directory; empty: none)"),
    INT("metrics.offline_after", offline_after, 1, 86400 * 365, "180",
	"seconds without contact before a device counts as offline"),
    INT("metrics.fleet_max_devices", fleet_max_devices, 0, 1000000, "100000",
	"devices exported by /metrics/fleet (the first by name)"),
    INT("health.min_free_mb", health_min_free_mb, 0, INT64_C(1) << 30, "256",
	"/readyz fails when the directory's file system has less free space (MiB)"),
    /* interoperability with other EVE devices and controllers */
    BOOL("register.strict_pem", strict_pem, "false",
	 "register: accept ZRegisterMsg.pemCert only as base64 of the PEM (EVE's form)"),
    BOOL("config.require_integrity_token", require_itoken, "false",
	 "config: answer 403 to a ConfigRequest without an integrity token"),
    /* remote attestation (docs/security.md) */
    STR("attestation", attestation, "report",
	"remote attestation policy: off | report (record the state) | enforce (freeze the config of a "
	"device that fails; refuse config without a current integrity token)"),
    /* remote consoles (docs/console.md) */
    STR("console.dispatcher", console_dispatcher, "",
	"host:port where devices and evectl reach this controller's console dispatcher: empty for the"
	" public name (host's first name and public_port); with replicas, this replica's own address (one"
	" of host), different on each replica"),
};

#define NKEYS (sizeof(conf_keys) / sizeof(conf_keys[0]))

static int conf_set(struct ctl_conf *c, const struct conf_key *k, const char *val)
{
	char *p = (char *)c + k->off;
	if (k->type == CONF_STR) {
		if (strlen(val) >= k->size)
			return -EINVAL;
		strcpy(p, val);
		return 0;
	}
	if (k->type == CONF_BOOL) {
		if (!strcmp(val, "true") || !strcmp(val, "1"))
			*(int64_t *)(void *)p = 1;
		else if (!strcmp(val, "false") || !strcmp(val, "0"))
			*(int64_t *)(void *)p = 0;
		else
			return -EINVAL;
		return 0;
	}
	char *end;
	errno = 0;
	long long v = strtoll(val, &end, 10);
	if (errno || end == val || *end || v < k->min || v > k->max)
		return -EINVAL;
	*(int64_t *)(void *)p = v;
	return 0;
}

void conf_defaults(struct ctl_conf *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < NKEYS; i++)
		conf_set(c, &conf_keys[i], conf_keys[i].def);
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = 0;
	return s;
}

static int conf_line(struct ctl_conf *c, char *line, char *err, size_t errlen, int lineno)
{
	line = trim(line);
	if (!*line || *line == '#')
		return 0;
	char *eq = strchr(line, '=');
	if (!eq) {
		snprintf(err, errlen, "line %d: expected key=value", lineno);
		return -EINVAL;
	}
	*eq = 0;
	const char *key = trim(line), *val = trim(eq + 1);
	for (size_t i = 0; i < NKEYS; i++) {
		if (strcmp(conf_keys[i].name, key))
			continue;
		if (conf_set(c, &conf_keys[i], val) < 0) {
			snprintf(err, errlen, "line %d: bad value for %s", lineno, key);
			return -EINVAL;
		}
		return 0;
	}
	snprintf(err, errlen, "line %d: unknown key %s", lineno, key);
	return -EINVAL;
}

int conf_load(struct ctl_conf *c, const char *path, char *err, size_t errlen)
{
	uint8_t *data = NULL;
	size_t len;
	int r = fileio_read(path, CONF_FILE_CAP, &data, &len);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", path, eve_strerror(r));
		return r;
	}
	int lineno = 0;
	char *save = NULL;
	for (char *line = strtok_r((char *)data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		r = conf_line(c, line, err, errlen, lineno);
		if (r < 0)
			break;
	}
	free(data);
	return r;
}

int conf_save(const struct ctl_conf *c, const char *path)
{
	struct buf b;
	buf_init(&b, CONF_FILE_CAP);
	int r = 0;
	for (size_t i = 0; i < NKEYS && r == 0; i++) {
		const struct conf_key *k = &conf_keys[i];
		const char *p = (const char *)c + k->off;
		if (k->type == CONF_STR)
			r = buf_printf(&b, "# %s\n%s=%s\n", k->help, k->name, p);
		else if (k->type == CONF_BOOL)
			r = buf_printf(&b, "# %s\n%s=%s\n", k->help, k->name,
				       *(const int64_t *)(const void *)p ? "true" : "false");
		else
			r = buf_printf(&b, "# %s\n%s=%lld\n", k->help, k->name,
				       (long long)*(const int64_t *)(const void *)p);
	}
	if (r == 0)
		r = fileio_write_atomic(path, b.data, b.len, 0600);
	buf_free(&b);
	return r;
}
