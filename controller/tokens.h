/* Admin bearer tokens, stored as SHA-256 hashes. */
#ifndef CTL_TOKENS_H
#define CTL_TOKENS_H

#include <stddef.h>
#include <stdint.h>

struct ctl;
struct db;

#define TOKEN_LEN 44 /* "eve_" + 40 hex chars */

/* 0 when token is known, -EACCES otherwise. */
int tokens_check(struct ctl *c, const char *token);
/* The same, also giving the token's row id (for logs) in *id on success. */
int tokens_check_id(struct ctl *c, const char *token, int64_t *id);
/* Create a token named name; writes its text (TOKEN_LEN+1 bytes) to out. */
int tokens_create(struct db *d, const char *name, char out[TOKEN_LEN + 1]);

#endif
