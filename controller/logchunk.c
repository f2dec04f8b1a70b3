// SPDX-License-Identifier: Apache-2.0
/* Log chunk codec (see logchunk.h). */
#include "logchunk.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "err.h"

#define HDR_MAX 128                     /* a record header: five numbers of <= 20 characters */
#define DELTA_MAX 1000000000000000000LL /* 10^18: what a record may hold */
#define DIGITS_MAX 18u                  /* below 10^18: no overflow parsing an int64 */

void logchunk_enc_init(struct logchunk_enc *e)
{
	memset(e, 0, sizeof(*e));
	buf_init(&e->raw, LOGCHUNK_RAW_MAX);
}

void logchunk_enc_reset(struct logchunk_enc *e)
{
	buf_reset(&e->raw);
	e->first_id = e->last_id = e->prev_t = e->t_min = e->t_max = 0;
	e->n = 0;
}

void logchunk_enc_free(struct logchunk_enc *e)
{
	buf_free(&e->raw);
}

int logchunk_enc_add(struct logchunk_enc *e, const struct logline *l)
{
	char hdr[HDR_MAX];
	if (e->n > 0 && l->id <= e->last_id)
		return -EINVAL;
	int64_t did = e->n ? l->id - e->last_id : 0, dt = l->t_ms - e->prev_t;
	if (did >= DELTA_MAX || dt >= DELTA_MAX || dt <= -DELTA_MAX)
		return -EINVAL;
	int n = snprintf(hdr, sizeof(hdr), "%lld %lld %zu %zu %zu\n", (long long)did, (long long)dt,
			 l->source_len, l->severity_len, l->msg_len);
	size_t need = (size_t)n + l->source_len + l->severity_len + l->msg_len;
	if (n < 0 || (size_t)n >= sizeof(hdr) || need > e->raw.cap - e->raw.len)
		return -EVE_ETOOBIG;
	size_t mark = e->raw.len;
	int r = buf_append(&e->raw, hdr, (size_t)n);
	if (r == 0)
		r = buf_append(&e->raw, l->source, l->source_len);
	if (r == 0)
		r = buf_append(&e->raw, l->severity, l->severity_len);
	if (r == 0)
		r = buf_append(&e->raw, l->msg, l->msg_len);
	if (r < 0) {
		e->raw.len = mark;
		return r;
	}
	if (e->n == 0) {
		e->first_id = l->id;
		e->t_min = e->t_max = l->t_ms;
	}
	e->t_min = l->t_ms < e->t_min ? l->t_ms : e->t_min;
	e->t_max = l->t_ms > e->t_max ? l->t_ms : e->t_max;
	e->last_id = l->id;
	e->prev_t = l->t_ms;
	e->n++;
	return 0;
}

int logchunk_compress(const uint8_t *raw, size_t len, int level, struct buf *out)
{
	uLongf zlen = compressBound((uLong)len);
	uint8_t *z = malloc(zlen);
	int r = -ENOMEM;
	if (!z)
		goto out;
	r = compress2(z, &zlen, raw, (uLong)len, level) == Z_OK ? 0 : -ENOMEM;
	if (r == 0)
		r = buf_append(out, z, zlen);
out:
	free(z);
	return r;
}

int logchunk_load(int enc, const uint8_t *data, size_t len, int64_t raw_len, struct buf *out)
{
	buf_reset(out);
	if (raw_len < 0 || raw_len > (int64_t)LOGCHUNK_RAW_MAX || (size_t)raw_len > out->cap)
		return -EVE_ETOOBIG;
	if (enc == LOGCHUNK_RAW) {
		if ((int64_t)len != raw_len)
			return -EVE_EPROTO;
		return buf_append(out, data, len);
	}
	if (enc != LOGCHUNK_ZLIB)
		return -EVE_EPROTO;
	uint8_t *p = malloc((size_t)raw_len + 1);
	if (!p)
		return -ENOMEM;
	uLongf got = (uLongf)raw_len;
	int zr = uncompress(p, &got, data, (uLong)len);
	int r = zr == Z_OK && got == (uLongf)raw_len ? buf_append(out, p, (size_t)raw_len) : -EVE_EPROTO;
	free(p);
	return r;
}

void logchunk_iter_init(struct logchunk_iter *it, const uint8_t *raw, size_t len, int64_t first_id)
{
	it->p = raw;
	it->end = raw ? raw + len : raw; /* an empty buffer may have no memory */
	it->prev_id = first_id;
	it->prev_t = 0;
	it->n = 0;
}

/* One decimal number (optional '-' when sign) ending at stop; *pp moves past
 * the stop character. */
static bool num(const uint8_t **pp, const uint8_t *end, char stop, bool sign, int64_t *out)
{
	const uint8_t *p = *pp;
	bool neg = false;
	int64_t v = 0;
	unsigned digits = 0;
	if (sign && p < end && *p == '-') {
		neg = true;
		p++;
	}
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (++digits > DIGITS_MAX)
			return false;
		v = v * 10 + (*p - '0');
	}
	if (digits == 0 || p >= end || *p != stop)
		return false;
	*out = neg ? -v : v;
	*pp = p + 1;
	return true;
}

int logchunk_next(struct logchunk_iter *it, struct logline *l)
{
	int64_t did, dt, ls, lv, lm;
	const uint8_t *p = it->p;
	if (p >= it->end)
		return 0;
	if (!num(&p, it->end, ' ', false, &did) || !num(&p, it->end, ' ', true, &dt) ||
	    !num(&p, it->end, ' ', false, &ls) || !num(&p, it->end, ' ', false, &lv) ||
	    !num(&p, it->end, '\n', false, &lm))
		goto bad;
	if ((it->n > 0 && did < 1) || ls > it->end - p || lv > it->end - p - ls || lm > it->end - p - ls - lv)
		goto bad;
	if (__builtin_add_overflow(it->prev_id, did, &l->id) ||
	    __builtin_add_overflow(it->prev_t, dt, &l->t_ms))
		goto bad;
	l->source = (const char *)p;
	l->source_len = (size_t)ls;
	l->severity = (const char *)p + ls;
	l->severity_len = (size_t)lv;
	l->msg = (const char *)p + ls + lv;
	l->msg_len = (size_t)lm;
	it->p = p + ls + lv + lm;
	it->prev_id = l->id;
	it->prev_t = l->t_ms;
	it->n++;
	return 1;
bad:
	it->p = it->end;
	return -EVE_EPROTO;
}
