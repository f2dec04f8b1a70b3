// SPDX-License-Identifier: Apache-2.0
/* The store's SQLite back end (store.h): connections in WAL mode with
 * foreign keys on, as db.c opens them; reached only through its ops table. */
#ifndef CTL_STORE_SQLITE_H
#define CTL_STORE_SQLITE_H

#include "store.h"

extern const struct store_backend_ops store_sqlite_ops;

#endif
