// SPDX-License-Identifier: Apache-2.0
/* Controller directory creation: certificates (certs/mkcerts.sh), database,
 * config file, first admin token and the device-config/ bundle. */
#include "init.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "ctl.h"
#include "ctllog.h"
#include "schema.h"
#include "scrapeauth.h"
#include "store.h"
#include "err.h"
#include "fileio.h"
#include "hostport.h"
#include "onboard.h"
#include "tokens.h"

#define PEM_CAP (64u << 10)

const char *init_mkcerts_path(void)
{
	static char self[PATH_MAX];
	const char *env = getenv("EVE_MKCERTS");
	if (env && access(env, X_OK) == 0)
		return env;
	if (access(CTL_MKCERTS_SRC, X_OK) == 0)
		return CTL_MKCERTS_SRC;
	if (access(CTL_MKCERTS_INSTALLED, X_OK) == 0)
		return CTL_MKCERTS_INSTALLED;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 32);
	if (n > 0) {
		self[n] = 0;
		char *slash = strrchr(self, '/');
		if (slash) {
			strcpy(slash, "/../share/eve/mkcerts.sh");
			if (access(self, X_OK) == 0)
				return self;
		}
	}
	return NULL;
}

static int run_mkcerts(const char *dir, const char *host, bool force)
{
	const char *script = init_mkcerts_path();
	if (!script) {
		ctllog(CTLLOG_ERROR, "certs/mkcerts.sh not found", "hint", "set EVE_MKCERTS", NULL);
		return -ENOENT;
	}
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* Keep the script's chatter off our stdout: the token is the
		 * only thing init prints there. */
		dup2(STDERR_FILENO, STDOUT_FILENO);
		if (force)
			execl(script, script, "--dir", dir, "--host", host, "--force", (char *)NULL);
		else
			execl(script, script, "--dir", dir, "--host", host, (char *)NULL);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		ctllog(CTLLOG_ERROR, "certificate script failed", "script", script, NULL);
		return -EIO;
	}
	return 0;
}

static int path_join(char *out, size_t n, const char *a, const char *b)
{
	int k = snprintf(out, n, "%s/%s", a, b);
	return k < 0 || (size_t)k >= n ? -ENAMETOOLONG : 0;
}

static int copy_file(const char *from, const char *to, mode_t mode)
{
	uint8_t *data = NULL;
	size_t len;
	int r = fileio_read(from, PEM_CAP, &data, &len);
	if (r == 0)
		r = fileio_write_atomic(to, data, len, mode);
	free(data);
	return r;
}

/* device-config/: what a device's config directory needs to find and trust
 * this controller and to register with the onboarding certificate. */
static int write_device_config(const char *dir, const char *host, const char *listen)
{
	char dc[PATH_MAX], certs[PATH_MAX], a[PATH_MAX], b[PATH_MAX];
	int r = path_join(dc, sizeof(dc), dir, CTL_DEVCFG_DIR);
	if (r == 0)
		r = path_join(certs, sizeof(certs), dir, CTL_CERTS_DIR);
	if (r == 0)
		r = fileio_mkdirs(dc, 0700);
	if (r < 0)
		return r;
	static const struct {
		const char *from, *to;
		mode_t mode;
	} files[] = {
	    {"root-certificate.pem", "root-certificate.pem", 0644},
	    {"onboard.cert.pem", "onboard.cert.pem", 0644},
	    {"onboard.key.pem", "onboard.key.pem", 0600},
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]) && r == 0; i++) {
		r = path_join(a, sizeof(a), certs, files[i].from);
		if (r == 0)
			r = path_join(b, sizeof(b), dc, files[i].to);
		if (r == 0)
			r = copy_file(a, b, files[i].mode);
	}
	if (r < 0)
		return r;
	/* server = first host name + the listen port (an IPv6 address in
	 * brackets: the agent reads the port after the last ':') */
	char server[300];
	const char *port = strrchr(listen, ':');
	r = hostport_join(host, strcspn(host, ","), port ? port + 1 : "8443", server, sizeof(server) - 1);
	if (r < 0)
		return r;
	strcat(server, "\n");
	r = path_join(b, sizeof(b), dc, "server");
	if (r == 0)
		r = fileio_write_atomic(b, server, strlen(server), 0644);
	return r;
}

static int init_db(const char *dir, const char *store, char token[TOKEN_LEN + 1])
{
	char path[PATH_MAX], pem_path[PATH_MAX], url[PATH_MAX + 8], err[256] = "";
	struct store_pool *pool = NULL;
	uint8_t *pem = NULL;
	size_t len;
	int r = path_join(path, sizeof(path), dir, CTL_DB_FILE);
	if (r == 0)
		r = path_join(pem_path, sizeof(pem_path), dir, CTL_CERTS_DIR "/onboard.cert.pem");
	if (r == 0) {
		if (store && *store)
			snprintf(url, sizeof(url), "%s", store);
		else
			snprintf(url, sizeof(url), "sqlite:%s", path);
		r = schema_pool_open(url, 1, &pool, err, sizeof(err));
	}
	if (r < 0) {
		ctllog(CTLLOG_ERROR, "cannot open the database", "path", store && *store ? NULL : path,
		       "detail", err[0] ? err : NULL, NULL);
		goto out;
	}
	struct store *d = store_get(pool);
	r = d ? tokens_create(d, "admin", token) : -ECONNREFUSED;
	if (r == 0)
		r = fileio_read(pem_path, PEM_CAP, &pem, &len);
	/* The generated onboarding certificate accepts any serial, so a
	 * newcomer's device registers with no admin step. */
	if (r == 0)
		r = onboard_add(d, (const char *)pem, len, "[\"*\"]", NULL);
	store_put(pool, d);
	if (r == 0 && !(store && *store) && chmod(path, 0600) < 0)
		r = -errno;
out:
	free(pem);
	store_pool_close(pool);
	return r;
}

static int remove_old_state(const char *dir)
{
	static const char *const names[] = {CTL_DB_FILE, CTL_DB_FILE "-wal", CTL_DB_FILE "-shm",
					    CTL_TOKEN_FILE};
	char p[PATH_MAX];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (path_join(p, sizeof(p), dir, names[i]) == 0 && unlink(p) < 0 && errno != ENOENT)
			return -errno;
	}
	return 0;
}

int init_run(const struct init_opts *o)
{
	const char *host = o->host ? o->host : "localhost,127.0.0.1";
	const char *listen = o->listen ? o->listen : "0.0.0.0:8443";
	char p[PATH_MAX], token[TOKEN_LEN + 1];
	struct ctl_conf conf;
	int r = path_join(p, sizeof(p), o->dir, CTL_CONF_FILE);
	if (r < 0)
		return r;
	if (access(p, F_OK) == 0 && !o->force) {
		ctllog(CTLLOG_ERROR, "already a controller directory", "dir", o->dir, "hint",
		       "use --force to recreate", NULL);
		return -EEXIST;
	}
	conf_defaults(&conf);
	if (strlen(host) >= sizeof(conf.host) || strlen(listen) >= sizeof(conf.listen) ||
	    !strchr(listen, ':')) {
		ctllog(CTLLOG_ERROR, "bad --host or --listen", "host", host, "listen", listen, NULL);
		return -EINVAL;
	}
	if (o->store && (strlen(o->store) >= sizeof(conf.store) || strncmp(o->store, "postgres", 8))) {
		ctllog(CTLLOG_ERROR, "bad --store", "expected", "postgresql://USER@HOST[:PORT]/DB", NULL);
		return -EINVAL;
	}
	strcpy(conf.host, host);
	strcpy(conf.listen, listen);
	if (o->store)
		strcpy(conf.store, o->store);
	r = fileio_mkdirs(o->dir, 0700);
	if (r == 0 && chmod(o->dir, 0700) < 0)
		r = -errno;
	if (r == 0 && o->force)
		r = remove_old_state(o->dir);
	if (r == 0)
		r = path_join(p, sizeof(p), o->dir, CTL_CERTS_DIR);
	if (r == 0)
		r = run_mkcerts(p, host, o->force);
	if (r == 0)
		r = init_db(o->dir, o->store, token);
	if (r == 0)
		r = path_join(p, sizeof(p), o->dir, CTL_TOKEN_FILE);
	if (r == 0) {
		char line[TOKEN_LEN + 2];
		snprintf(line, sizeof(line), "%s\n", token);
		r = fileio_write_atomic(p, line, strlen(line), 0600);
	}
	if (r == 0)
		r = path_join(p, sizeof(p), o->dir, CTL_METRICS_TOKEN_FILE);
	if (r == 0)
		r = scrapeauth_token_create(p);
	if (r == 0)
		r = write_device_config(o->dir, host, listen);
	if (r == 0)
		r = path_join(p, sizeof(p), o->dir, CTL_CONF_FILE);
	if (r == 0)
		r = conf_save(&conf, p);
	if (r < 0) {
		ctllog(CTLLOG_ERROR, "init failed", "dir", o->dir, "error", eve_strerror(r), NULL);
		return r;
	}
	printf("%s\n", token);
	fflush(stdout);
	ctllog(CTLLOG_INFO, "initialised (admin token above)", "dir", o->dir, "admin_token_file",
	       CTL_TOKEN_FILE, "metrics_token_file", CTL_METRICS_TOKEN_FILE, NULL);
	return 0;
}
