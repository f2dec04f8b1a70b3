// SPDX-License-Identifier: Apache-2.0
/* Remote consoles (edge-view): operator sessions on an app's serial
 * console, VNC display or a TCP port, carried by a tunnel the device opens
 * to this controller's dispatcher (docs/console.md).
 *
 * A session is created by an admin (POST /api/v1/apps/{app}/console-sessions);
 * the app's device then gets EdgeViewConfig in its config: an ES256 JWT
 * signed with the controller's signing key, valid until the latest expiry
 * of that device's sessions. The device keeps a control tunnel to
 * /edgeview/v1/device while the token is valid; each operator connection
 * (/api/v1/console-sessions/{id}/connect) becomes one channel: the
 * dispatcher asks the device for it on the control tunnel, the device
 * opens /edgeview/v1/device/chan/{n}, and the dispatcher copies bytes
 * between the two upgraded connections until either side leaves or the
 * session ends (expiry, DELETE, or, for a console, its operator leaving).
 * Sessions live in memory: a restart ends them. On a clustered store
 * (replicas), each device's sessions are held by one replica and every
 * replica sees them, relaying channels to the holder (console_store.h). */
#ifndef CTL_CONSOLE_H
#define CTL_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>

#include "http.h"
#include "uuidgen.h"

struct ctl;
struct console_hub;
struct store;

/* What the controller records of each session when it ends. */
struct console_record {
	const char *id;
	const char *who;              /* admin token name */
	long long token_id;           /* admin token row id */
	const char *app;              /* app name */
	const char *instance;         /* app instance UUID */
	const char *device;           /* device UUID */
	const char *kind;             /* "console", "vnc", "port" */
	int port;                     /* app port (kind port) */
	int64_t start, end;           /* Unix seconds */
	const char *reason;           /* why it ended: "operator left", "expired", ... */
	unsigned channels;            /* operator connections carried */
	uint64_t bytes_in, bytes_out; /* operator -> device, device -> operator */
};

/* Hub of sessions and tunnels; c is borrowed. */
int console_hub_new(struct ctl *c, struct console_hub **out);
/* Close every tunnel and end every session (before the HTTP server stops:
 * libmicrohttpd needs upgraded connections closed first). */
void console_hub_stop(struct console_hub *h);
void console_hub_free(struct console_hub *h);
/* Once a second: end expired sessions, drop expired device grants. */
void console_tick(struct ctl *c);
/* The EdgeViewConfig token of device uuid while it has a live session:
 * *token (caller-frees) and 0, or -ENOENT. On a clustered store, a
 * device held by another replica: its token as stored, read on d. */
int console_device_token(struct ctl *c, struct store *d, const char *uuid, char **token,
			 uint32_t *generation);

extern const struct http_route console_routes[];

#endif
