// SPDX-License-Identifier: Apache-2.0
/* Users, roles, projects, tokens and the audit trail against a real
 * eve-controller over TLS (issue 19):
 *  - every admin route of the server's route tables has an authorization
 *    rule, and route x role -> expected status holds for each of them
 *    (no token: 401; viewer: reads pass, writes 403 and change no row;
 *    operator of project A: admin routes 403, B's objects 404);
 *  - an operator of A sees and changes nothing of B (listing, get by id,
 *    selectors, logs, metrics), and creates only in A;
 *  - revoked and expired tokens are 401 at once; the last admin stays;
 *  - login sessions (whoami, logout), the login rate limit per user and
 *    per client address, and the audit rows of all this.
 * usage: roles_itest EVE_CONTROLLER WORKDIR PORT */
#include <curl/curl.h>
#include <jansson.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "authz.h"
#include "buf.h"
#include "fileio.h"
#include "http.h"
#include "server.h"

static const char *g_bin, *g_dir;
static char g_url[96], g_ca[512], g_admin[128];
static pid_t g_pid = -1;

static void stop_controller(void)
{
	if (g_pid <= 0)
		return;
	kill(g_pid, SIGTERM);
	for (int i = 0; i < 300; i++) {
		if (waitpid(g_pid, NULL, WNOHANG) == g_pid) {
			g_pid = -1;
			return;
		}
		usleep(100000);
	}
	kill(g_pid, SIGKILL);
	waitpid(g_pid, NULL, 0);
	g_pid = -1;
}

#define CHECK(cond, ...)                                                                                     \
	do {                                                                                                 \
		if (!(cond)) {                                                                               \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                      \
			fprintf(stderr, __VA_ARGS__);                                                        \
			fprintf(stderr, "\n");                                                               \
			stop_controller();                                                                   \
			exit(1);                                                                             \
		}                                                                                            \
	} while (0)

static size_t sink(char *p, size_t sz, size_t n, void *ud)
{
	return buf_append(ud, p, sz * n) == 0 ? sz * n : 0;
}

/* HTTP status of method path (body may be NULL); *out the JSON reply. */
static long call(const char *method, const char *path, const char *body, const char *token, json_t **out)
{
	CURL *h = curl_easy_init();
	char url[1024], auth[200];
	struct buf b;
	buf_init(&b, 8u << 20);
	snprintf(url, sizeof(url), "%s%s", g_url, path);
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
	if (token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		hdr = curl_slist_append(hdr, auth);
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CAINFO, g_ca);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
	if (!strcmp(method, "HEAD"))
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	long st = 0;
	CURLcode cr = curl_easy_perform(h);
	CHECK(cr == CURLE_OK, "%s %s: %s", method, path, curl_easy_strerror(cr));
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
	if (out)
		*out = b.len ? json_loadb((char *)b.data, b.len, 0, NULL) : NULL;
	buf_free(&b);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	return st;
}

/* call() that must answer want; returns the JSON (caller decrefs) */
static json_t *must(long want, const char *method, const char *path, const char *body, const char *token)
{
	json_t *j = NULL;
	long st = call(method, path, body, token, &j);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	CHECK(st == want, "%s %s -> %ld, want %ld: %s", method, path, st, want, s ? s : "");
	free(s);
	return j;
}

static void must0(long want, const char *method, const char *path, const char *body, const char *token)
{
	json_decref(must(want, method, path, body, token));
}

/* A token: {"name", "role", "projects", ...} -> its secret into out. */
static void token_new(const char *body, char out[128])
{
	json_t *j = must(201, "POST", "/api/v1/tokens", body, g_admin);
	snprintf(out, 128, "%s", json_string_value(json_object_get(j, "token")));
	json_decref(j);
}

/* ---- row counts of every table (refusals change nothing) ---- */

static const char *const tables[] = {"tokens",   "users", "projects",      "onboard",  "devices",  "images",
				     "networks", "apps",  "app_instances", "rollouts", "device_io"};
#define NT (sizeof(tables) / sizeof(tables[0]))

static void counts(int64_t c[NT])
{
	char p[600], sql[128];
	snprintf(p, sizeof(p), "%s/controller.db", g_dir);
	sqlite3 *db = NULL;
	CHECK(sqlite3_open_v2(p, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK, "open db");
	sqlite3_busy_timeout(db, 5000);
	for (size_t i = 0; i < NT; i++) {
		sqlite3_stmt *st = NULL;
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", tables[i]);
		CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s", sql);
		CHECK(sqlite3_step(st) == SQLITE_ROW, "%s", sql);
		c[i] = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
}

/* ---- controller ---- */

static void start(int port)
{
	char cmd[2048], p[600], log[600];
	snprintf(cmd, sizeof(cmd),
		 "rm -rf '%s' && '%s' init --dir '%s' --listen 127.0.0.1:%d --host localhost,127.0.0.1 "
		 ">'%s.init' 2>&1",
		 g_dir, g_bin, g_dir, port, g_dir);
	CHECK(system(cmd) == 0, "init (see %s.init)", g_dir);
	uint8_t *tok = NULL;
	size_t len;
	snprintf(p, sizeof(p), "%s/admin-token", g_dir);
	CHECK(fileio_read(p, 200, &tok, &len) == 0, "no admin-token");
	snprintf(g_admin, sizeof(g_admin), "%.*s", (int)strcspn((char *)tok, "\n"), (char *)tok);
	free(tok);
	snprintf(g_ca, sizeof(g_ca), "%s/certs/root-certificate.pem", g_dir);
	snprintf(g_url, sizeof(g_url), "https://127.0.0.1:%d", port);
	snprintf(log, sizeof(log), "%s.serve.log", g_dir);
	g_pid = fork();
	CHECK(g_pid >= 0, "fork");
	if (g_pid == 0) {
		if (!freopen(log, "w", stderr) || !freopen("/dev/null", "w", stdout))
			_exit(127);
		execl(g_bin, g_bin, "serve", "--dir", g_dir, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 300; i++) {
		json_t *j = NULL;
		CURL *h = curl_easy_init();
		char u[200];
		snprintf(u, sizeof(u), "%s/api/v2/edgedevice/ping", g_url);
		curl_easy_setopt(h, CURLOPT_URL, u);
		curl_easy_setopt(h, CURLOPT_CAINFO, g_ca);
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
		curl_easy_setopt(h, CURLOPT_TIMEOUT, 2L);
		CURLcode cr = curl_easy_perform(h);
		curl_easy_cleanup(h);
		json_decref(j);
		if (cr == CURLE_OK)
			return;
		CHECK(waitpid(g_pid, NULL, WNOHANG) == 0, "controller exited, see %s", log);
		usleep(100000);
	}
	CHECK(0, "controller not ready");
}

/* A self-signed device certificate as a JSON string body fragment. */
static char *device_body(const char *name, const char *project, const char *labels)
{
	char cmd[1500], p[600];
	snprintf(p, sizeof(p), "%s.%s.pem", g_dir, name);
	snprintf(
	    cmd, sizeof(cmd),
	    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=%s"
	    " -keyout '%s.key' -out '%s' 2>/dev/null",
	    name, p, p);
	CHECK(system(cmd) == 0, "openssl req");
	uint8_t *pem = NULL;
	size_t len;
	CHECK(fileio_read(p, 1 << 16, &pem, &len) == 0, "read %s", p);
	json_t *j = json_pack("{s:s, s:s%, s:s, s:o}", "name", name, "cert", (char *)pem, len, "project",
			      project, "labels", json_loads(labels, 0, NULL));
	free(pem);
	char *s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

static char *jstr(json_t *j, const char *key)
{
	const char *v = json_string_value(json_object_get(j, key));
	CHECK(v, "no %s in reply", key);
	return strdup(v);
}

/* Does the listing at path (as token) hold an item named name? */
static bool lists(const char *path, const char *token, const char *name)
{
	json_t *j = must(200, "GET", path, NULL, token), *v;
	size_t i;
	bool found = false;
	json_array_foreach(json_object_get(j, "items"), i, v) found |=
	    !strcmp(json_string_value(json_object_get(v, "name")) ?: "", name);
	json_decref(j);
	return found;
}

/* ---- the route x role table ---- */

struct objs {
	const char *dev, *app, *net, *img, *proj, *vol; /* objects of project B, B */
};

/* path for route pattern: each '*' becomes the object the rule names
 * (first one) or "nonexistent". */
static void fill(const struct http_route *rt, const struct authz_rule *rule, const struct objs *o, bool real,
		 char *out, size_t n)
{
	size_t k = 0;
	int star = 0;
	for (const char *p = rt->pattern; *p && k + 64 < n; p++) {
		if (*p != '*') {
			out[k++] = *p;
			continue;
		}
		const char *v = "nonexistent";
		if (real && star == 0 && rule) {
			if (rule->obj == AUTHZ_OBJ_DEVICE)
				v = o->dev;
			else if (rule->obj == AUTHZ_OBJ_APP)
				v = o->app;
			else if (rule->obj == AUTHZ_OBJ_NETWORK)
				v = o->net;
			else if (rule->obj == AUTHZ_OBJ_IMAGE)
				v = o->img;
			else if (rule->obj == AUTHZ_OBJ_PROJECT)
				v = o->proj;
			else if (rule->obj == AUTHZ_OBJ_VOLUME)
				v = o->vol;
		}
		k += (size_t)snprintf(out + k, n - k, "%s", v);
		star++;
	}
	out[k] = 0;
}

static bool is_write(const char *m)
{
	return strcmp(m, "GET") && strcmp(m, "HEAD");
}

static void route_table(const struct objs *b, const char *viewer, const char *op_a)
{
	int64_t before[NT], after[NT];
	int routes = 0;
	counts(before);
	for (const struct http_route *const *t = server_route_tables(); *t; t++) {
		for (const struct http_route *rt = *t; rt->method; rt++) {
			if (rt->auth != HTTP_AUTH_ADMIN)
				continue;
			routes++;
			const struct authz_rule *rule = authz_rule_find(rt->method, rt->pattern);
			CHECK(rule, "admin route %s %s has no rule in authz_rules[]", rt->method,
			      rt->pattern);
			char path[512], fake[512];
			const char *body = is_write(rt->method) ? "{}" : NULL;
			fill(rt, rule, b, true, path, sizeof(path));
			fill(rt, rule, b, false, fake, sizeof(fake));
			long st;
			/* no token, a bad token */
			CHECK((st = call(rt->method, path, body, NULL, NULL)) == 401, "%s %s no token: %ld",
			      rt->method, path, st);
			CHECK((st = call(rt->method, path, body, "eve_0000", NULL)) == 401,
			      "%s %s bad token: %ld", rt->method, path, st);
			/* viewer of every project: B's real objects */
			st = call(rt->method, path, body, viewer, NULL);
			if (rule->perm > AUTHZ_READ || rule->self)
				CHECK(st == 403, "viewer %s %s -> %ld, want 403", rt->method, path, st);
			else
				CHECK(st != 401 && st != 403, "viewer %s %s -> %ld, want allowed", rt->method,
				      path, st);
			/* operator of project A on B's real objects */
			st = call(rt->method, path, body, op_a, NULL);
			if (rule->perm > AUTHZ_WRITE || rule->all_projects || rule->self)
				CHECK(st == 403, "operator(A) %s %s -> %ld, want 403", rt->method, path, st);
			else if (rule->obj != AUTHZ_OBJ_NONE)
				CHECK(st == 404, "operator(A) %s %s (project B) -> %ld, want 404", rt->method,
				      path, st);
			else
				CHECK(st != 401 && st != 403, "operator(A) %s %s -> %ld, want allowed",
				      rt->method, path, st);
			/* admin: allowed everywhere (objects that do not exist) */
			st = call(rt->method, fake, body, g_admin, NULL);
			CHECK(st != 401 && st != 403, "admin %s %s -> %ld, want allowed", rt->method, fake,
			      st);
		}
	}
	CHECK(routes > 60, "only %d admin routes found", routes);
	counts(after);
	/* the operator's and admin's calls above had empty bodies or unknown
	 * objects: every table must be unchanged */
	for (size_t i = 0; i < NT; i++)
		CHECK(before[i] == after[i], "table %s: %lld rows before, %lld after", tables[i],
		      (long long)before[i], (long long)after[i]);
	printf("ok: %d admin routes x (none, bad, viewer, operator, admin)\n", routes);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s EVE_CONTROLLER WORKDIR PORT\n", argv[0]);
		return 2;
	}
	g_bin = argv[1];
	g_dir = argv[2];
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	start(atoi(argv[3]));

	/* projects and tokens */
	must0(201, "POST", "/api/v1/projects", "{\"name\":\"site-a\"}", g_admin);
	must0(201, "POST", "/api/v1/projects", "{\"name\":\"site-b\"}", g_admin);
	must0(409, "POST", "/api/v1/projects", "{\"name\":\"site-b\"}", g_admin);
	must0(400, "POST", "/api/v1/projects", "{\"name\":\"Bad Name\"}", g_admin);
	char viewer[128], op_a[128], op_b[128], expiring[128], revoked[128];
	token_new("{\"name\":\"viewer\",\"role\":\"viewer\",\"projects\":\"*\"}", viewer);
	token_new("{\"name\":\"op-a\",\"role\":\"operator\",\"projects\":[\"site-a\"]}", op_a);
	token_new("{\"name\":\"op-b\",\"role\":\"operator\",\"projects\":[\"site-b\"]}", op_b);
	token_new("{\"name\":\"short\",\"role\":\"operator\",\"projects\":[\"site-a\"],\"expires_in\":2}",
		  expiring);
	token_new("{\"name\":\"gone\",\"role\":\"operator\",\"projects\":[\"site-a\"]}", revoked);
	must0(404, "POST", "/api/v1/tokens", "{\"name\":\"x\",\"role\":\"viewer\",\"projects\":[\"nope\"]}",
	      g_admin);
	must0(400, "POST", "/api/v1/tokens", "{\"name\":\"x\",\"role\":\"root\"}", g_admin);

	/* token list never shows secrets; last_used is kept */
	must0(200, "GET", "/api/v1/whoami", NULL, op_a);
	json_t *j = must(200, "GET", "/api/v1/tokens", NULL, g_admin);
	char *s = json_dumps(j, JSON_COMPACT);
	CHECK(!strstr(s, op_a) && !strstr(s, g_admin) && !strstr(s, "eve_"), "token list shows a secret: %s",
	      s);
	CHECK(strstr(s, "\"name\":\"op-a\",\"role\":\"operator\",\"projects\":[\"site-a\"]"),
	      "op-a listed: %s", s);
	free(s);
	json_t *v;
	size_t i;
	bool used = false;
	json_array_foreach(json_object_get(j, "items"), i,
			   v) if (!strcmp(json_string_value(json_object_get(v, "name")), "op-a")) used =
	    json_is_string(json_object_get(v, "last_used"));
	CHECK(used, "op-a has a last_used time");
	json_decref(j);

	/* whoami */
	j = must(200, "GET", "/api/v1/whoami", NULL, op_a);
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	CHECK(
	    !strcmp(s, "{\"projects\":[\"site-a\"],\"role\":\"operator\",\"token\":\"op-a\",\"user\":null}"),
	    "whoami: %s", s);
	free(s);
	json_decref(j);

	/* objects: a device in each project (B's by op-b), an image, a network and an app in B */
	char *body = device_body("dev-a", "site-a", "{\"role\":\"edge\"}");
	j = must(201, "POST", "/api/v1/devices", body, op_a);
	free(body);
	char *dev_a = jstr(j, "id");
	CHECK(!strcmp(json_string_value(json_object_get(j, "project")), "site-a"), "dev-a in site-a");
	json_decref(j);
	body = device_body("dev-b", "site-b", "{\"role\":\"edge\"}");
	must0(403, "POST", "/api/v1/devices", body, op_a); /* not granted */
	j = must(201, "POST", "/api/v1/devices", body, op_b);
	free(body);
	char *dev_b = jstr(j, "id");
	json_decref(j);
	/* a volume is in its device's project */
	must0(404, "POST", "/api/v1/volumes",
	      "{\"name\":\"vol-b\",\"device\":\"dev-b\",\"size_bytes\":67108864}", op_a);
	must0(201, "POST", "/api/v1/volumes",
	      "{\"name\":\"vol-b\",\"device\":\"dev-b\",\"size_bytes\":67108864}", op_b);
	CHECK(!lists("/api/v1/volumes", op_a, "vol-b") && lists("/api/v1/volumes", op_b, "vol-b"),
	      "volumes listed by project");
	static const char img[] =
	    "{\"name\":\"%s\",\"format\":\"oci\",\"url\":\"https://example.invalid/x.tar\","
	    "\"sha256\":\"%064d\"%s}";
	char ib[512];
	snprintf(ib, sizeof(ib), img, "img-b", 1, "");
	j = must(201, "POST", "/api/v1/images", ib, op_b);
	char *img_b = jstr(j, "id");
	json_decref(j);
	snprintf(ib, sizeof(ib), img, "img-a", 2, "");
	must0(201, "POST", "/api/v1/images", ib, op_a);
	snprintf(ib, sizeof(ib), img, "img-x", 3, ",\"project\":\"site-b\"");
	must0(403, "POST", "/api/v1/images", ib, op_a);
	j = must(201, "POST", "/api/v1/networks",
		 "{\"name\":\"net-b\",\"device\":\"dev-b\",\"type\":\"local\",\"subnet\":\"10.9.0.0/24\"}",
		 op_b);
	char *net_b = jstr(j, "id");
	json_decref(j);
	must0(404, "POST", "/api/v1/networks",
	      "{\"name\":\"net-x\",\"device\":\"dev-b\",\"type\":\"local\",\"subnet\":\"10.9.0.0/24\"}",
	      op_a);
	must0(201, "POST", "/api/v1/apps", "{\"name\":\"app-b\",\"image\":\"img-b\",\"device\":\"dev-b\"}",
	      op_b);
	/* selectors are scoped: both devices are labelled role=edge, app-a gets dev-a only */
	j = must(201, "POST", "/api/v1/apps",
		 "{\"name\":\"app-a\",\"image\":\"img-a\",\"selector\":{\"role\":\"edge\"}}", op_a);
	json_t *inst = json_object_get(j, "instances");
	CHECK(json_array_size(inst) == 1, "app-a selector matched %zu devices, want 1",
	      json_array_size(inst));
	s = json_dumps(inst, JSON_COMPACT);
	CHECK(strstr(s, dev_a) && !strstr(s, dev_b), "app-a instances: %s", s);
	free(s);
	json_decref(j);
	/* an app of A cannot name B's device */
	must0(404, "POST", "/api/v1/apps", "{\"name\":\"app-x\",\"image\":\"img-a\",\"device\":\"dev-b\"}",
	      op_a);

	/* nor B's image */
	must0(404, "POST", "/api/v1/apps", "{\"name\":\"app-y\",\"image\":\"img-b\",\"device\":\"dev-a\"}",
	      op_a);
	/* a network is in its device's project */
	must0(400, "POST", "/api/v1/networks",
	      "{\"name\":\"net-y\",\"device\":\"dev-b\",\"type\":\"local\",\"subnet\":\"10.8.0.0/24\","
	      "\"project\":\"site-a\"}",
	      op_b);
	/* status counts what is granted */
	j = must(200, "GET", "/api/v1/status", NULL, op_a);
	CHECK(json_integer_value(json_object_get(j, "devices")) == 1, "op-a status counts 1 device");
	json_decref(j);
	j = must(200, "GET", "/api/v1/status", NULL, g_admin);
	CHECK(json_integer_value(json_object_get(j, "devices")) == 2, "admin status counts 2 devices");
	json_decref(j);

	/* listings, get by id, logs, metrics, info of B: invisible to A's operator */
	CHECK(lists("/api/v1/devices", op_a, "dev-a") && !lists("/api/v1/devices", op_a, "dev-b"),
	      "devices of A");
	CHECK(lists("/api/v1/devices", g_admin, "dev-b"), "admin lists dev-b");
	CHECK(!lists("/api/v1/apps", op_a, "app-b") && lists("/api/v1/apps", op_a, "app-a"), "apps of A");
	CHECK(!lists("/api/v1/images", op_a, "img-b") && lists("/api/v1/images", op_a, "img-a"),
	      "images of A");
	CHECK(!lists("/api/v1/networks", op_a, "net-b") && lists("/api/v1/networks", op_b, "net-b"),
	      "networks");
	CHECK(!lists("/api/v1/projects", op_a, "site-b") && lists("/api/v1/projects", op_a, "site-a"),
	      "projects");
	char path[256];
	static const char *const b_paths[] = {"/api/v1/devices/%s", "/api/v1/devices/%s/logs",
					      "/api/v1/devices/%s/metrics", "/api/v1/devices/%s/info",
					      "/api/v1/devices/%s/config"};
	for (i = 0; i < sizeof(b_paths) / sizeof(b_paths[0]); i++) {
		snprintf(path, sizeof(path), b_paths[i], "dev-b");
		must0(404, "GET", path, NULL, op_a);
		snprintf(path, sizeof(path), b_paths[i], dev_b);
		must0(404, "GET", path, NULL, op_a);
		must0(200, "GET", path, NULL, op_b);
	}
	must0(404, "GET", "/api/v1/apps/app-b/logs", NULL, op_a);
	/* the same network name in A does not open B's */
	must0(201, "POST", "/api/v1/networks",
	      "{\"name\":\"net-b\",\"device\":\"dev-a\",\"type\":\"local\",\"subnet\":\"10.7.0.0/24\"}",
	      op_a);
	must0(404, "GET", "/api/v1/networks/net-b?device=dev-b", NULL, op_a);
	must0(404, "DELETE", "/api/v1/networks/net-b?device=dev-b", NULL, op_a);
	must0(200, "GET", "/api/v1/networks/net-b?device=dev-b", NULL, op_b);
	must0(204, "DELETE", "/api/v1/networks/net-b?device=dev-a", NULL, op_a);
	must0(404, "DELETE", "/api/v1/apps/app-b", NULL, op_a);
	must0(404, "PATCH", "/api/v1/devices/dev-b", "{\"labels\":{}}", op_a);

	/* every admin route x role */
	struct objs b = {
	    .dev = dev_b, .app = "app-b", .net = net_b, .img = img_b, .proj = "site-b", .vol = "vol-b"};
	route_table(&b, viewer, op_a);

	/* expired and revoked tokens: 401 at once */
	must0(200, "GET", "/api/v1/whoami", NULL, revoked);
	must0(204, "DELETE", "/api/v1/tokens/gone", NULL, g_admin);
	must0(401, "GET", "/api/v1/whoami", NULL, revoked);
	sleep(3);
	j = must(401, "GET", "/api/v1/whoami", NULL, expiring);
	CHECK(strstr(json_string_value(json_object_get(j, "error")) ?: "", "expired"), "says expired");
	json_decref(j);

	/* the init token is admin; the last admin cannot go */
	must0(409, "DELETE", "/api/v1/tokens/admin", NULL, g_admin);
	must0(403, "DELETE", "/api/v1/tokens/admin", NULL, op_a);

	/* users and sessions */
	must0(201, "POST", "/api/v1/users",
	      "{\"name\":\"alice\",\"password\":\"correct "
	      "horse\",\"role\":\"operator\",\"projects\":[\"site-a\"]}",
	      g_admin);
	must0(201, "POST", "/api/v1/users",
	      "{\"name\":\"root\",\"password\":\"battery staple\",\"role\":\"admin\"}", g_admin);
	must0(400, "POST", "/api/v1/users", "{\"name\":\"bob\",\"password\":\"short\",\"role\":\"viewer\"}",
	      g_admin);
	j = must(200, "GET", "/api/v1/users", NULL, g_admin);
	s = json_dumps(j, JSON_COMPACT);
	CHECK(strstr(s, "alice") && !strstr(s, "hash") && !strstr(s, "horse"), "users list: %s", s);
	free(s);
	json_decref(j);
	j = must(200, "POST", "/api/v1/login", "{\"user\":\"alice\",\"password\":\"correct horse\"}", NULL);
	char *sess = jstr(j, "token");
	CHECK(!strcmp(json_string_value(json_object_get(j, "role")), "operator"), "login role");
	CHECK(json_is_string(json_object_get(j, "expires")), "login expires");
	json_decref(j);
	j = must(200, "GET", "/api/v1/whoami", NULL, sess);
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	CHECK(
	    !strcmp(
		s,
		"{\"projects\":[\"site-a\"],\"role\":\"operator\",\"token\":\"session\",\"user\":\"alice\"}"),
	    "whoami (session): %s", s);
	free(s);
	json_decref(j);
	CHECK(!lists("/api/v1/devices", sess, "dev-b") && lists("/api/v1/devices", sess, "dev-a"),
	      "session scope");
	must0(403, "GET", "/api/v1/users", NULL, sess);
	must0(204, "POST", "/api/v1/logout", NULL, sess);
	must0(401, "GET", "/api/v1/whoami", NULL, sess);
	must0(400, "POST", "/api/v1/logout", NULL, op_a); /* an API token is not a session */
	/* another admin exists now (root): the init token may go */
	char admin2[128];
	token_new("{\"name\":\"admin2\",\"role\":\"admin\"}", admin2);
	must0(204, "DELETE", "/api/v1/tokens/admin", NULL, admin2);
	must0(401, "GET", "/api/v1/status", NULL, g_admin);
	snprintf(g_admin, sizeof(g_admin), "%s", admin2);

	/* brute force: 5 failures a minute per user, then 429 even for the right password */
	for (int k = 0; k < 5; k++)
		must0(401, "POST", "/api/v1/login", "{\"user\":\"alice\",\"password\":\"wrong pass\"}", NULL);
	must0(429, "POST", "/api/v1/login", "{\"user\":\"alice\",\"password\":\"correct horse\"}", NULL);
	/* 20 failures a minute per client address, whatever the user name */
	for (int k = 0; k < 15; k++) {
		char lb[128];
		snprintf(lb, sizeof(lb), "{\"user\":\"guess%d\",\"password\":\"wrong pass\"}", k);
		must0(401, "POST", "/api/v1/login", lb, NULL);
	}
	must0(429, "POST", "/api/v1/login", "{\"user\":\"root\",\"password\":\"battery staple\"}", NULL);

	/* audit: who did what, refusals included; only admins read it */
	must0(403, "GET", "/api/v1/audit", NULL, op_a);
	j = must(200, "GET", "/api/v1/audit?user=token:op-a&limit=1000", NULL, g_admin);
	s = json_dumps(j, JSON_COMPACT);
	CHECK(strstr(s, "\"action\":\"POST /api/v1/devices\"") && strstr(s, "\"status\":201") &&
		  strstr(s, "\"status\":403") && !strstr(s, "token:viewer"),
	      "op-a's audit rows: %.400s", s);
	free(s);
	json_decref(j);
	j = must(200, "GET", "/api/v1/audit?user=alice", NULL, g_admin);
	s = json_dumps(j, JSON_COMPACT);
	CHECK(strstr(s, "\"action\":\"login\"") && !strstr(s, "\"status\":429") &&
		  strstr(s, "\"status\":401") && strstr(s, "POST /api/v1/logout") && !strstr(s, "horse"),
	      "alice's audit rows: %.400s", s);
	free(s);
	json_decref(j);
	/* follow: a long poll returns the next row as soon as it exists */
	j = must(200, "GET", "/api/v1/audit?limit=1", NULL, g_admin);
	int64_t last =
	    json_integer_value(json_object_get(json_array_get(json_object_get(j, "items"), 0), "id"));
	json_decref(j);
	must0(201, "POST", "/api/v1/projects", "{\"name\":\"site-c\"}", g_admin);
	snprintf(path, sizeof(path), "/api/v1/audit?follow=1&after=%lld", (long long)last);
	j = must(200, "GET", path, NULL, g_admin);
	s = json_dumps(j, JSON_COMPACT);
	CHECK(strstr(s, "site-c"), "follow got the new row: %s", s);
	free(s);
	json_decref(j);

	stop_controller();
	free(dev_a);
	free(dev_b);
	free(img_b);
	free(net_b);
	free(sess);
	curl_global_cleanup();
	printf("ok\n");
	return 0;
}
