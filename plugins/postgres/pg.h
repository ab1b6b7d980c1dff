/* SPDX-License-Identifier: MIT */
/* Pieces of the PostgreSQL backend shared between its files. */
#ifndef FLUX_PG_H
#define FLUX_PG_H

#include <stddef.h>

#include <flux/backend.h>

#pragma GCC visibility push(hidden)

/* Turn a connection string into what libpq accepts: SQLAlchemy-style
 * postgresql+asyncpg:// and postgresql+aiopg:// become postgresql://.
 * Returns a malloc'd string, or NULL for an unknown scheme. */
char *pg_uri_normalize(const char *uri);

/* The keywords whose values are secrets, NULL-terminated: libpq's own
 * list (pg_backend.c learns it), or any list a test gives. */

/* uri with every value of a secret keyword (user:PASSWORD@, ?password=,
 * password='...', also in a URI given as a key=value value) replaced by
 * ****; as redact_uri() of struct flux_backend. */
size_t pg_redact(const char *uri, const char *const *keys, char *out, size_t size);

/* Passwords a connection string holds, each as written and decoded;
 * malformed strings included, erring towards more. */
struct pg_secrets {
	char **v;
	size_t n;
};
/* Add the secrets of uri to s (zeroed first by the caller); -1 when out
 * of memory. */
int pg_secrets_find(struct pg_secrets *s, const char *uri, const char *const *keys);
int pg_secrets_add(struct pg_secrets *s, const char *secret);
void pg_secrets_free(struct pg_secrets *s);
/* msg with every secret, and every quoted part of it that looks like a
 * piece of one, replaced by **** (libpq quotes the part of a URI it
 * could not parse). */
void pg_scrub(const struct pg_secrets *s, const char *msg, char *out, size_t outsz);

/* The backend's split: fn(ctx, offset, len) for each top-level statement,
 * knowing quoted strings ('', E'', dollar quotes), quoted identifiers,
 * comments and BEGIN ATOMIC bodies; statements holding only blanks and
 * comments are left out.  Returns the first non-zero fn returned, or 0. */
int pg_split(const char *sql, size_t len, flux_statement_fn fn, void *ctx);

#pragma GCC visibility pop

#endif
