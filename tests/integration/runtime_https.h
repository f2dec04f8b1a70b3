// SPDX-License-Identifier: Apache-2.0
/* A tiny HTTP/HTTPS file server for the runtime tests (a thread): GET with
 * "Range: bytes=N-" support, and a fault mode that cuts the first response
 * after a number of bytes, to test resumed downloads. */
#ifndef RUNTIME_HTTPS_H
#define RUNTIME_HTTPS_H

#include <stddef.h>

struct tsrv;

/* Serve files below root on 127.0.0.1:port; TLS when cert/key are given. */
int tsrv_start(const char *root, int port, const char *cert, const char *key, struct tsrv **out);
/* Cut the next `count` responses after `bytes` body bytes. */
void tsrv_set_cut(struct tsrv *s, size_t bytes, int count);
/* Stall (send nothing, keep the connection) for `secs` after the headers
 * of the next `count` responses. */
void tsrv_set_stall(struct tsrv *s, int secs, int count);
/* Requests seen; of them with a Range header starting past 0. */
void tsrv_counts(struct tsrv *s, int *requests, int *ranged);
void tsrv_stop(struct tsrv *s);

#endif
