// SPDX-License-Identifier: Apache-2.0
/* The device API bodies a simulated device sends, sealed in a signed
 * AuthContainer exactly as the agent seals them, and the few answers it reads.
 * Every *out is malloc'd and owned by the caller. */
#ifndef DEVSIM_MSGS_H
#define DEVSIM_MSGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "confighash.h"
#include "uuidgen.h"

struct fleet;
struct simdev;

/* POST /register: ZRegisterMsg{pemCert, serial} signed by the onboarding key,
 * senderCert = the onboarding certificate. */
int msgs_register(const struct fleet *f, const struct simdev *d, uint8_t **out, size_t *len);
/* POST /uuid: empty UuidRequest signed by the device. */
int msgs_uuid(const struct simdev *d, uint8_t **out, size_t *len);
/* POST /id/<uuid>/config: ConfigRequest{configHash = d->config_hash}. */
int msgs_config(const struct simdev *d, uint8_t **out, size_t *len);
/* POST /id/<uuid>/info: a small ZInfoMsg (device info). */
int msgs_info(const struct simdev *d, uint8_t **out, size_t *len);
/* POST /id/<uuid>/metrics: a ZMetricMsg with device CPU/memory figures. */
int msgs_metrics(const struct simdev *d, uint8_t **out, size_t *len);
/* POST /id/<uuid>/newlogs, as the agent uploads logs (EVE newlog): a gzip
 * of n LogEntry JSON lines with the metadata JSON in the gzip comment.
 * eve: the lines look like EVE's agents' (logrus JSON in the content,
 * varied sources, ids, addresses, counters); else one short sentence. */
int msgs_newlogs(const struct simdev *d, unsigned n, bool eve, uint8_t **out, size_t *len);

/* From a sealed UuidResponse, the device's UUID (not verified: the
 * simulator trusts the TLS connection to spare load-generator CPU). */
int msgs_parse_uuid(const uint8_t *in, size_t len, char uuid[UUID_STR_LEN]);
/* From a sealed ConfigResponse, its configHash. */
int msgs_parse_config(const uint8_t *in, size_t len, char hash[CONFIGHASH_LEN]);
/* Same, and the first app instance's uuid and version ("" when none). */
int msgs_parse_config_app(const uint8_t *in, size_t len, char hash[CONFIGHASH_LEN], char inst[UUID_STR_LEN],
			  char ver[24]);
/* POST /id/<uuid>/info: ZInfoApp for d->app_inst at d->app_ver, RUNNING. */
int msgs_app_info(const struct simdev *d, uint8_t **out, size_t *len);

#endif
