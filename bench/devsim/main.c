// SPDX-License-Identifier: Apache-2.0
/* eve-devsim: many simulated EVE devices against one running controller.
 * Prints figures; asserts nothing about speed. See bench/README.md. */
#include <curl/curl.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

enum opt_type { OPT_STR, OPT_UINT, OPT_DOUBLE, OPT_PID };

struct opt_desc {
	const char *name;
	enum opt_type type;
	size_t off;
	const char *help;
};

#define O(f) offsetof(struct devsim_opts, f)

static const struct opt_desc opt_table[] = {
    {"dir", OPT_STR, O(ctl_dir), "controller directory (controller.pid, admin-token, device-config/)"},
    {"server", OPT_STR, O(server), "host:port (default: DIR/device-config/server)"},
    {"ca", OPT_STR, O(ca_path), "root CA (default: device-config/root-certificate.pem)"},
    {"onboard-dir", OPT_STR, O(onboard_dir), "dir with onboard.cert.pem/onboard.key.pem"},
    {"token", OPT_STR, O(token_path), "admin token file (default: DIR/admin-token)"},
    {"connect-to", OPT_STR, O(connect_to), "curl CONNECT_TO mapping, e.g. ::127.0.0.1:"},
    {"admin-connect-to", OPT_STR, O(admin_connect_to),
     "CONNECT_TO mapping of the admin API calls (default: --connect-to), e.g. another replica"},
    {"api-prefix", OPT_STR, O(api_prefix), "device API path (default /api/v2/edgedevice)"},
    {"serial-prefix", OPT_STR, O(serial_prefix), "device serials are PREFIX-NNNNNN (default devsim)"},
    {"state", OPT_STR, O(state_path),
     "file keeping the devices' UUIDs and config hashes: a rerun against the same controller skips "
     "onboarding"},
    {"pid", OPT_PID, O(pid), "controller pid (default: DIR/controller.pid)"},
    {"devices", OPT_UINT, O(devices), "simulated devices (default 10000)"},
    {"first", OPT_UINT, O(first), "index of the first device key (default 0)"},
    {"connections", OPT_UINT, O(connections), "keep-alive connections in total (default 64)"},
    {"threads", OPT_UINT, O(threads),
     "load-generator threads, each with its own share of the connections and devices (default 1, max 64)"},
    {"log-entries", OPT_UINT, O(log_entries), "entries per log bundle (default 10)"},
    {"duration", OPT_DOUBLE, O(duration_s), "seconds per timed scenario (default 20)"},
    {"compress", OPT_DOUBLE, O(compress), "time compression of fleet/fanout (default 10)"},
    {"crypto-seconds", OPT_DOUBLE, O(crypto_s), "wall time measuring sign and verify, each (default 2)"},
    {"timeout", OPT_DOUBLE, O(timeout_s), "per-request timeout, s (default 30)"},
    {"logs-per-day", OPT_DOUBLE, O(logs_per_day), "log rows a device sends a day (default 8640)"},
    {"out-dir", OPT_STR, O(out_dir), "where the seal scenario writes the signed requests"},
    {"log-text", OPT_STR, O(log_text),
     "newlogs content: devsim (one short repeated sentence, default) or eve (EVE agents' JSON lines)"},
};

#define N_OPTS (sizeof(opt_table) / sizeof(opt_table[0]))

static void usage(FILE *f)
{
	fprintf(
	    f, "usage: eve-devsim [options] [SCENARIO[,SCENARIO...]|all]\n"
	       "scenarios: poll fleet storm fanout ingest rollout reports seal (every run first onboards the "
	       "fleet)\n");
	for (size_t i = 0; i < N_OPTS; i++)
		fprintf(f, "  --%-15s %s\n", opt_table[i].name, opt_table[i].help);
}

static int opt_set(struct devsim_opts *o, const struct opt_desc *d, const char *v)
{
	char *end = NULL;
	void *field = (char *)o + d->off;
	double x;

	if (d->type == OPT_STR) {
		*(const char **)field = v;
		return 0;
	}
	x = strtod(v, &end);
	if (!end || *end || x < 0 || x > 1e7)
		return -1;
	if (d->type == OPT_UINT)
		*(unsigned *)field = (unsigned)x;
	else if (d->type == OPT_PID)
		*(pid_t *)field = (pid_t)x;
	else
		*(double *)field = x;
	return 0;
}

static void opts_defaults(struct devsim_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->api_prefix = "/api/v2/edgedevice";
	o->serial_prefix = "devsim";
	o->devices = 10000;
	o->connections = 64;
	o->threads = 1;
	o->log_entries = 10;
	o->duration_s = 20;
	o->compress = 10;
	o->crypto_s = 2;
	o->timeout_s = 30;
	o->logs_per_day = 8640;
	o->log_text = "devsim";
}

int main(int argc, char **argv)
{
	struct option lo[N_OPTS + 2];
	struct devsim_opts o;
	int c, idx = 0, r;

	opts_defaults(&o);
	for (size_t i = 0; i < N_OPTS; i++)
		lo[i] = (struct option){opt_table[i].name, required_argument, NULL, (int)i};
	lo[N_OPTS] = (struct option){"help", no_argument, NULL, 'h'};
	lo[N_OPTS + 1] = (struct option){0};
	while ((c = getopt_long(argc, argv, "h", lo, &idx)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c < 0 || (size_t)c >= N_OPTS || opt_set(&o, &opt_table[c], optarg) < 0) {
			usage(stderr);
			return 2;
		}
	}
	if ((!o.ctl_dir && (!o.onboard_dir || !o.server)) || o.devices == 0 || o.connections == 0 ||
	    o.threads == 0 || o.log_entries == 0 || o.log_entries > 1000 || o.compress <= 0) {
		usage(stderr);
		return 2;
	}
	if (strcmp(o.log_text, "devsim") && strcmp(o.log_text, "eve")) {
		fprintf(stderr, "eve-devsim: --log-text must be devsim or eve\n");
		return 2;
	}
	if (o.threads > 64 || o.threads > o.connections) {
		fprintf(stderr, "eve-devsim: --threads must be 1-64 and at most --connections (each thread "
				"drives its own connections)\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	r = scenario_run_all(optind < argc ? argv[optind] : "poll", &o);
	curl_global_cleanup();
	return r < 0 ? 1 : 0;
}
