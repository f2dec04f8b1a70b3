// SPDX-License-Identifier: Apache-2.0
/* Replay guard: a ring of accepted request ids per sender. */
#include "replay.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "envelope.h"
#include "err.h"

#define BUCKETS 1024
#define SENDER_MAX 80 /* "onboard:" + 64 hex digits */
#define KEEP_LEN 16   /* bytes of the id kept: 128 bits */

struct seen {
	uint8_t id[KEEP_LEN];
	uint16_t status; /* 0: being processed; a free slot has used = 0 */
	uint8_t used;
};

struct sender {
	struct sender *next;
	char name[SENDER_MAX];
	struct seen ring[REPLAY_PER_SENDER];
	size_t head;
};

struct replay {
	pthread_mutex_t mu;
	struct sender *bucket[BUCKETS];
};

struct replay *replay_new(void)
{
	struct replay *g = calloc(1, sizeof(*g));
	if (g)
		pthread_mutex_init(&g->mu, NULL);
	return g;
}

void replay_free(struct replay *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < BUCKETS; i++)
		for (struct sender *s = g->bucket[i], *n; s; s = n) {
			n = s->next;
			free(s);
		}
	pthread_mutex_destroy(&g->mu);
	free(g);
}

/* r of a raw r||s (64 bytes) or DER signature, as 32 big-endian bytes. A
 * 64-byte blob that is a DER SEQUENCE is read as DER (crypto_ecdsa_verify
 * accepts both readings), so each (r, s) gives one r whatever its encoding. */
static int sig_r(const uint8_t *sig, size_t len, uint8_t r[32])
{
	uint8_t raw[CRYPTO_SIG_LEN];
	if ((len != CRYPTO_SIG_LEN || sig[0] == 0x30) && crypto_sig_der_to_raw(sig, len, raw) == 0) {
		memcpy(r, raw, 32);
		return 0;
	}
	if (len != CRYPTO_SIG_LEN)
		return -EVE_EPROTO;
	memcpy(r, sig, 32);
	return 0;
}

int replay_id(const struct envelope *env, uint8_t id[REPLAY_ID_LEN])
{
	uint8_t buf[64];
	if (!env->sig || sig_r(env->sig, env->sig_len, buf + 32) < 0)
		return -EVE_EPROTO;
	crypto_sha256(env->payload, env->payload_len, buf);
	crypto_sha256(buf, sizeof(buf), id);
	return 0;
}

static size_t bucket_of(const char *name)
{
	size_t h = 5381;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = h * 33 + *p;
	return h % BUCKETS;
}

/* The sender's entry (created when create); caller holds the lock. */
static struct sender *sender_get(struct replay *g, const char *name, int create)
{
	size_t b = bucket_of(name);
	for (struct sender *s = g->bucket[b]; s; s = s->next)
		if (!strcmp(s->name, name))
			return s;
	if (!create || strlen(name) >= SENDER_MAX)
		return NULL;
	struct sender *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	strcpy(s->name, name);
	s->next = g->bucket[b];
	g->bucket[b] = s;
	return s;
}

static struct seen *seen_find(struct sender *s, const uint8_t id[REPLAY_ID_LEN])
{
	for (size_t i = 0; i < REPLAY_PER_SENDER; i++)
		if (s->ring[i].used && !memcmp(s->ring[i].id, id, KEEP_LEN))
			return &s->ring[i];
	return NULL;
}

int replay_begin(struct replay *g, const char *sender, const uint8_t id[REPLAY_ID_LEN], unsigned *status)
{
	int r = 0;
	pthread_mutex_lock(&g->mu);
	struct sender *s = sender_get(g, sender, 1);
	struct seen *e = s ? seen_find(s, id) : NULL;
	if (!s) {
		r = -ENOMEM;
	} else if (e) {
		*status = e->status;
		r = 1;
	} else {
		/* the oldest entry makes room (an entry in flight too: its
		 * replay_end then finds nothing, which only forgets it) */
		e = &s->ring[s->head];
		s->head = (s->head + 1) % REPLAY_PER_SENDER;
		memcpy(e->id, id, KEEP_LEN);
		e->status = 0;
		e->used = 1;
	}
	pthread_mutex_unlock(&g->mu);
	return r;
}

void replay_end(struct replay *g, const char *sender, const uint8_t id[REPLAY_ID_LEN], unsigned status)
{
	pthread_mutex_lock(&g->mu);
	struct sender *s = sender_get(g, sender, 0);
	struct seen *e = s ? seen_find(s, id) : NULL;
	if (e && e->status == 0) {
		if (status >= 200 && status < 300)
			e->status = (uint16_t)status;
		else
			e->used = 0;
	}
	pthread_mutex_unlock(&g->mu);
}

void replay_forget(struct replay *g, const char *sender)
{
	pthread_mutex_lock(&g->mu);
	struct sender **pp = &g->bucket[bucket_of(sender)];
	while (*pp && strcmp((*pp)->name, sender))
		pp = &(*pp)->next;
	if (*pp) {
		struct sender *s = *pp;
		*pp = s->next;
		free(s);
	}
	pthread_mutex_unlock(&g->mu);
}
