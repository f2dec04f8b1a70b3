// SPDX-License-Identifier: Apache-2.0
/* evectl app console | vnc | port-forward: remote sessions through the
 * controller's edge-view dispatcher (docs/console.md). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "api.h"
#include "commands.h"
#include "evectl.h"
#include "evtunnel.h"

#define ESCAPE_CHAR 0x1d     /* ^] as in virsh console */
#define FIRST_LINE_MS 180000 /* the device may need a config poll or two */

static volatile sig_atomic_t got_signal;
static volatile bool stop_all;

static void on_signal(int sig)
{
	(void)sig;
	got_signal = 1;
	stop_all = true;
}

static void catch_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

struct session {
	char id[64];
	char connect[512]; /* path below /api/v1, or the URL of the replica that holds it */
	char device[64];
};

/* POST /apps/NAME/console-sessions; exit code. */
static int session_create(struct cmd_args *a, const char *kind, int port, struct session *s)
{
	json_t *body = json_pack("{s:s}", "kind", kind), *resp = NULL;
	const char *inst = cmdtab_str(a, "instance");
	const struct cmd_val *ttl = cmdtab_val(a, "ttl");
	if (inst)
		json_object_set_new(body, "instance", json_string(inst));
	if (port)
		json_object_set_new(body, "port", json_integer(port));
	if (ttl && ttl->set)
		json_object_set_new(body, "ttl", json_integer(ttl->num));
	char *path = ev_path("/apps/%s/console-sessions", a->pos[0]);
	int code = path ? ev_request(a, "POST", path, body, &resp) : EXIT_USAGE;
	free(path);
	json_decref(body);
	if (code != EXIT_OK)
		return code;
	const char *id = json_string_value(json_object_get(resp, "id"));
	const char *dev = json_string_value(json_object_get(resp, "device"));
	if (!id || strlen(id) >= sizeof(s->id)) {
		json_decref(resp);
		return ev_fail(EXIT_REJECTED, "the controller answered without a session id");
	}
	snprintf(s->id, sizeof(s->id), "%s", id);
	snprintf(s->device, sizeof(s->device), "%s", dev ? dev : "");
	/* with replicas, the one that holds the session (its device's tunnel) */
	const char *url = json_string_value(json_object_get(resp, "connect_url"));
	if (url && !strncmp(url, "https://", 8) && strlen(url) < sizeof(s->connect))
		snprintf(s->connect, sizeof(s->connect), "%s", url);
	else
		snprintf(s->connect, sizeof(s->connect), "/console-sessions/%s/connect", id);
	json_decref(resp);
	return EXIT_OK;
}

static void session_close(struct cmd_args *a, const struct session *s)
{
	char path[128];
	int code;
	snprintf(path, sizeof(path), "/console-sessions/%s", s->id);
	struct api *api = ev_api(a, &code);
	if (api)
		(void)api_call(api, "DELETE", path, NULL, NULL);
}

/* Open one channel of the session: the tunnel once the device answered
 * "OK"; NULL after printing why. */
static struct evtunnel *channel_open(struct api *api, const struct session *s, bool *ended)
{
	struct evtunnel *t = NULL;
	char err[512], line[EVTUNNEL_LINE_MAX];
	*ended = false;
	int r = api_tunnel(api, s->connect, &t, err, sizeof(err));
	if (r < 0) {
		*ended = r == -ETIMEDOUT || r == -ENOENT;
		fprintf(stderr, "evectl: %s\n", err);
		return NULL;
	}
	r = evtunnel_readline(t, line, sizeof(line), FIRST_LINE_MS);
	if (r < 0 || strcmp(line, "OK")) {
		fprintf(stderr, "evectl: %s\n",
			r < 0 ? "no answer from the device through the controller"
			      : line + (strncmp(line, "ERR ", 4) ? 0 : 4));
		evtunnel_close(t);
		return NULL;
	}
	return t;
}

/* ---- console ------------------------------------------------------------- */

static bool escape_filter(void *ctx, char *buf, size_t *n)
{
	(void)ctx;
	char *e = memchr(buf, ESCAPE_CHAR, *n);
	if (!e)
		return false;
	*n = (size_t)(e - buf);
	return true;
}

int cmd_app_console(struct cmd_args *a)
{
	struct session s;
	struct termios saved, raw;
	bool tty = isatty(0), ended;
	int code;
	struct api *api = ev_api(a, &code);
	if (!api)
		return code;
	if ((code = session_create(a, "console", 0, &s)) != EXIT_OK)
		return code;
	catch_signals();
	fprintf(stderr, "Connecting to the console of %s (session %s)...\n", a->pos[0], s.id);
	struct evtunnel *t = channel_open(api, &s, &ended);
	if (!t) {
		session_close(a, &s);
		return EXIT_REJECTED;
	}
	fprintf(stderr, "Connected to the console of %s. Escape character is ^]\n", a->pos[0]);
	if (tty && tcgetattr(0, &saved) == 0) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(0, TCSANOW, &raw);
	} else {
		tty = false;
	}
	int r = evtunnel_bridge(t, 0, 1, 0, escape_filter, NULL, &stop_all, NULL, NULL);
	if (tty)
		tcsetattr(0, TCSANOW, &saved);
	evtunnel_close(t);
	session_close(a, &s);
	if (r == 1) {
		fprintf(stderr,
			"\nevectl: the console session ended (closed by the device or the controller)\n");
		return EXIT_REJECTED;
	}
	fprintf(stderr, "\nDisconnected from the console of %s.\n", a->pos[0]);
	return r < 0 && r != -ETIMEDOUT ? EXIT_UNREACHABLE : EXIT_OK;
}

/* ---- forwarders (vnc, port-forward) -------------------------------------- */

struct fwd {
	struct api *api;
	struct session s;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned running;
	bool ended; /* the session is gone: stop accepting */
};

struct fwd_conn {
	struct fwd *f;
	int fd;
};

static void *fwd_run(void *arg)
{
	struct fwd_conn *c = arg;
	struct fwd *f = c->f;
	bool ended = false;
	struct evtunnel *t = channel_open(f->api, &f->s, &ended);
	if (t) {
		evtunnel_bridge(t, c->fd, c->fd, 0, NULL, NULL, &stop_all, NULL, NULL);
		evtunnel_close(t);
	}
	close(c->fd);
	pthread_mutex_lock(&f->mu);
	f->ended |= ended;
	f->running--;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	free(c);
	return NULL;
}

/* "PORT" or "ADDR:PORT" (IPv4) into a listening socket. */
static int listen_on(const char *spec, char *shown, size_t cap)
{
	char host[64] = "127.0.0.1";
	const char *colon = strrchr(spec, ':');
	char *end;
	long port = strtol(colon ? colon + 1 : spec, &end, 10);
	if (colon && (size_t)(colon - spec) < sizeof(host)) {
		memcpy(host, spec, (size_t)(colon - spec));
		host[colon - spec] = 0;
	}
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (*end || port < 0 || port > 65535 || inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return -EINVAL;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	socklen_t sl = sizeof(sa);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	snprintf(shown, cap, "%s:%u", host, ntohs(sa.sin_port));
	return fd;
}

static void fwd_accept(struct fwd *f, int lfd)
{
	int cfd = accept(lfd, NULL, NULL);
	struct fwd_conn *c = cfd >= 0 ? calloc(1, sizeof(*c)) : NULL;
	pthread_t th;
	pthread_attr_t at;
	if (!c) {
		if (cfd >= 0)
			close(cfd);
		return;
	}
	c->f = f;
	c->fd = cfd;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_mutex_lock(&f->mu);
	f->running++;
	if (pthread_create(&th, &at, fwd_run, c)) {
		f->running--;
		close(cfd);
		free(c);
	}
	pthread_mutex_unlock(&f->mu);
	pthread_attr_destroy(&at);
}

static int forward(struct cmd_args *a, const char *kind, int port, const char *listen_spec, const char *what)
{
	struct fwd f = {0};
	char shown[96];
	int code;
	if (!(f.api = ev_api(a, &code)))
		return code;
	int lfd = listen_on(listen_spec, shown, sizeof(shown));
	if (lfd < 0)
		return ev_usage("cannot listen on '%s': %s", listen_spec,
				lfd == -EINVAL ? "not [ADDR:]PORT" : strerror(-lfd));
	if ((code = session_create(a, kind, port, &f.s)) != EXIT_OK) {
		close(lfd);
		return code;
	}
	pthread_mutex_init(&f.mu, NULL);
	pthread_cond_init(&f.cv, NULL);
	catch_signals();
	fprintf(stderr, "Forwarding %s -> %s of app %s (session %s); Ctrl-C to stop\n", shown, what,
		a->pos[0], f.s.id);
	for (;;) {
		pthread_mutex_lock(&f.mu);
		bool ended = f.ended;
		pthread_mutex_unlock(&f.mu);
		if (stop_all || ended)
			break;
		struct pollfd p = {.fd = lfd, .events = POLLIN};
		if (poll(&p, 1, 500) > 0)
			fwd_accept(&f, lfd);
	}
	close(lfd);
	stop_all = true;
	pthread_mutex_lock(&f.mu);
	while (f.running)
		pthread_cond_wait(&f.cv, &f.mu);
	pthread_mutex_unlock(&f.mu);
	session_close(a, &f.s);
	pthread_mutex_destroy(&f.mu);
	pthread_cond_destroy(&f.cv);
	if (f.ended && !got_signal) {
		fprintf(stderr, "evectl: the session ended\n");
		return EXIT_REJECTED;
	}
	return EXIT_OK;
}

int cmd_app_vnc(struct cmd_args *a)
{
	return forward(a, "vnc", 0, cmdtab_str(a, "listen"), "the VNC display");
}

int cmd_app_port_forward(struct cmd_args *a)
{
	const char *spec = a->pos[1];
	const char *colon = strrchr(spec, ':');
	char local[96], what[32];
	char *end;
	long port = colon ? strtol(colon + 1, &end, 10) : 0;
	if (!colon || *end || port < 1 || port > 65535 || (size_t)(colon - spec) >= sizeof(local) ||
	    colon == spec)
		return ev_usage("'%s' is not [ADDR:]LOCALPORT:APPPORT", spec);
	memcpy(local, spec, (size_t)(colon - spec));
	local[colon - spec] = 0;
	snprintf(what, sizeof(what), "port %ld", port);
	return forward(a, "port", (int)port, local, what);
}
