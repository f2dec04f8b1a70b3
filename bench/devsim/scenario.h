// SPDX-License-Identifier: Apache-2.0
/* The benchmark scenarios of eve-devsim (issue 9): onboard, poll, fleet,
 * storm, fanout, ingest, rollout, reports. Each runs its devices on `threads` threads, each
 * thread one libcurl multi driver with connections/threads keep-alive
 * connections, and prints its figures to stdout. */
#ifndef DEVSIM_SCENARIO_H
#define DEVSIM_SCENARIO_H

#include <stdbool.h>
#include <sys/types.h>

struct devsim_opts {
	const char *ctl_dir;          /* controller --dir (pid, token, device-config) */
	const char *server;           /* host:port; default from device-config/server */
	const char *ca_path;          /* default device-config/root-certificate.pem */
	const char *onboard_dir;      /* default device-config */
	const char *connect_to;       /* CURLOPT_CONNECT_TO, e.g. "::127.0.0.1:" */
	const char *admin_connect_to; /* the admin API's; NULL: connect_to */
	const char *api_prefix;       /* "/api/v2/edgedevice" */
	const char *token_path;       /* default DIR/admin-token */
	const char *serial_prefix;
	const char *state_path; /* --state: onboarding results kept for reruns */
	pid_t pid;              /* controller pid; 0 = DIR/controller.pid */
	unsigned devices, connections, threads, log_entries, first;
	double duration_s, compress, crypto_s, timeout_s;
	double logs_per_day;  /* log rows a device sends per day (ingest) */
	const char *log_text; /* "devsim" or "eve" (msgs_newlogs) */
	const char *out_dir;  /* --out-dir: where seal writes its requests */
};

/* Load the fleet and onboard it, then run the comma-separated scenarios in
 * names ("poll,fleet,storm,fanout,ingest" or "all"). 0 or negative error. */
int scenario_run_all(const char *names, const struct devsim_opts *o);

#endif
