/* Tokens are random, shown once, and kept only as SHA-256 hashes. */
#include "tokens.h"

#include <errno.h>
#include <openssl/rand.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "ctl.h"
#include "db.h"
#include "hexstr.h"

int tokens_check(struct ctl *c, const char *token)
{
	int64_t id;
	return tokens_check_id(c, token, &id);
}

int tokens_check_id(struct ctl *c, const char *token, int64_t *id)
{
	size_t n = strlen(token);
	if (n == 0 || n > 256)
		return -EACCES;
	uint8_t h[CRYPTO_SHA256_LEN];
	if (crypto_sha256(token, n, h) < 0)
		return -EACCES;
	struct db *d = db_get(c->db);
	sqlite3_stmt *st = db_stmt(d, "SELECT id FROM tokens WHERE hash = ?1");
	int r = -EACCES;
	if (st) {
		sqlite3_bind_blob(st, 1, h, sizeof(h), SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			*id = sqlite3_column_int64(st, 0);
			r = 0;
		}
		sqlite3_reset(st);
	}
	db_put(c->db, d);
	return r;
}

int tokens_create(struct db *d, const char *name, char out[TOKEN_LEN + 1])
{
	uint8_t rnd[20], h[CRYPTO_SHA256_LEN];
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -EIO;
	memcpy(out, "eve_", 4);
	hexstr_encode(rnd, sizeof(rnd), out + 4);
	int r = crypto_sha256(out, TOKEN_LEN, h);
	if (r < 0)
		return r;
	sqlite3_stmt *st = db_stmt(d, "INSERT INTO tokens(name, hash, created) VALUES(?1, ?2, ?3)");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, h, sizeof(h), SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (int64_t)time(NULL));
	return db_step_done(st);
}
