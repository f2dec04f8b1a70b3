// SPDX-License-Identifier: Apache-2.0
/* follow=1 log streams: chunked responses whose connections are suspended
 * while there is nothing new and resumed when logs arrive (or on a timer,
 * to send keep-alive blank lines and notice hang-ups). */
#ifndef CTL_FOLLOW_H
#define CTL_FOLLOW_H

#include <stdint.h>

struct ctl;
struct http_req;
struct follow_hub;

int follow_hub_new(int max, struct follow_hub **out);
/* Resume every follower and make them finish (before stopping MHD). */
void follow_hub_stop(struct follow_hub *h);
void follow_hub_free(struct follow_hub *h);
/* New logs were stored: wake the followers. */
void follow_notify(struct follow_hub *h);
/* Periodic tick (keep-alives). */
void follow_tick(struct follow_hub *h);

/* Start a follow response on r for logs of device dev, or of the instances
 * of app (one of them NULL), newer than after_id. Replies 503 past the cap. */
void follow_start(struct http_req *r, const char *dev, const char *app, int64_t after_id, int64_t since_ms);

#endif
