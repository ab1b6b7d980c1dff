/* SPDX-License-Identifier: MIT */
/* Pieces of the PostgreSQL backend shared between its files. */
#ifndef FLUX_PG_H
#define FLUX_PG_H

#include <stddef.h>

/* Turn a connection string into what libpq accepts: SQLAlchemy-style
 * postgresql+asyncpg:// and postgresql+aiopg:// become postgresql://.
 * Returns a malloc'd string, or NULL for an unknown scheme. */
char *pg_uri_normalize(const char *uri);

/* One statement of a script: [offset, offset + len). */
struct pg_stmt {
	size_t offset;
	size_t len;
};

/* Split SQL into top-level statements at semicolons, knowing quoted
 * strings ('', E'', dollar quotes), quoted identifiers and comments.
 * Statements holding only blanks and comments are dropped.  Returns the
 * count, or (size_t)-1 when out of memory; *out is malloc'd. */
size_t pg_split(const char *sql, size_t len, struct pg_stmt **out);

#endif
