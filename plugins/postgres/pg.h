/* SPDX-License-Identifier: MIT */
/* Pieces of the PostgreSQL backend shared between its files. */
#ifndef FLUX_PG_H
#define FLUX_PG_H

#include <stddef.h>

/* Turn a connection string into what libpq accepts: SQLAlchemy-style
 * postgresql+asyncpg:// and postgresql+aiopg:// become postgresql://.
 * Returns a malloc'd string, or NULL for an unknown scheme. */
char *pg_uri_normalize(const char *uri);

/* Passwords a connection string holds (user:PASSWORD@, ?password=,
 * password= and sslpassword= in any spelling libpq accepts), each as
 * written and decoded; malformed strings included, erring towards more. */
struct pg_secrets {
	char **v;
	size_t n;
};
/* Add the secrets of uri to s (zeroed first by the caller); -1 when out
 * of memory. */
int pg_secrets_find(struct pg_secrets *s, const char *uri);
int pg_secrets_add(struct pg_secrets *s, const char *secret);
void pg_secrets_free(struct pg_secrets *s);
/* msg with every secret, and every quoted part of it that looks like a
 * piece of one, replaced by **** (libpq quotes the part of a URI it
 * could not parse). */
void pg_scrub(const struct pg_secrets *s, const char *msg, char *out, size_t outsz);

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
