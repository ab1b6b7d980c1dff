/* SPDX-License-Identifier: MIT */
/* Pieces of the MariaDB/MySQL backend shared between its files.  The ones
 * declared before the connection's struct need no client library, so the
 * unit test links them alone. */
#ifndef FLUX_MDB_H
#define FLUX_MDB_H

#include <stddef.h>

/* ---- mdb_split.c: the mariadb client's way of cutting a script ---- */

/* Called once per statement, sql[offset, offset + len): no delimiter, no
 * DELIMITER line, no leading blanks or comments.  A non-zero return stops
 * the split and is returned as it is. */
typedef int (*mdb_stmt_fn)(void *ctx, size_t offset, size_t len);

/* A script the client itself would refuse (a DELIMITER line without a
 * delimiter, or with a backslash in it). */
#define MDB_SPLIT_BAD (-1)

/* Cut sql into statements as the mariadb (mysql) command-line client does:
 * at the current delimiter (";" until a DELIMITER line changes it) outside
 * '...' and "..." strings (backslash escapes, doubled quotes), `...`
 * identifiers, # and "-- " comments and C-style comments.  Executable
 * comments (C-style ones opened with ! or M!) are SQL, so quotes and the
 * delimiter count inside them, as in the client.  Pieces holding only blanks and
 * comments are skipped.  Returns 0, fn's non-zero value, or MDB_SPLIT_BAD
 * with *bad (byte offset of the faulty line) and *why set. */
int mdb_split(const char *sql, size_t len, mdb_stmt_fn fn, void *ctx, size_t *bad,
	      const char **why);

/* ---- mdb_uri.c: connection URIs ---- */

struct mdb_uri {
	char *user;        /* NULL: not given (option files, then the login) */
	char *password;    /* NULL: not given (option files, then MYSQL_PWD) */
	char *host;        /* NULL: option files, then localhost (the socket) */
	unsigned int port; /* 0: not given */
	char *database;    /* NULL: not given */
	char *socket;      /* ?socket= */
	char *charset;     /* ?charset= */
	char *ssl_ca, *ssl_cert, *ssl_key;   /* ?ssl-ca= ... */
	int ssl_verify;    /* ?ssl-verify-server-cert=1: -1 not given */
	unsigned int connect_timeout;        /* ?connect-timeout= seconds, 0 default */
};

/* Parse mariadb://, mysql:// (and SQLAlchemy's mariadb+DRIVER://,
 * mysql+DRIVER://) URIs: [user[:password]@][host][:port][/database][?k=v&...],
 * percent-decoded.  Returns 0, -1 out of memory, or 1 with why (a static
 * or why_buf message that never holds the password) for a URI this backend
 * does not read. */
int mdb_uri_parse(const char *uri, struct mdb_uri *out, char *why_buf, size_t why_size);
void mdb_uri_free(struct mdb_uri *u);

/* uri with the password of its user part and of any password-like query
 * key replaced by ****; a malformed URI errs towards hiding more. */
size_t mdb_uri_redact(const char *uri, char *out, size_t size);

/* ---- mdb_text.c: SQL text ---- */

/* A growing string; on allocation failure it stays failed (oom = 1) and
 * every append becomes a no-op, so callers check once at the end. */
struct mdb_buf {
	char *s;
	size_t len, cap;
	int oom;
};
void mdb_buf_add(struct mdb_buf *b, const char *s, size_t n);
void mdb_buf_str(struct mdb_buf *b, const char *s);
/* Append s as a string literal the server reads the same way whatever
 * sql_mode (NO_BACKSLASH_ESCAPES) and whatever the connection's client
 * is: '...' with quotes doubled, or, holding a backslash or a control
 * character, a hex literal with the utf8mb4 introducer. */
void mdb_buf_literal(struct mdb_buf *b, const char *s);
void mdb_buf_free(struct mdb_buf *b);

/* The 1-based byte offset in sql of what the server's message (error
 * errnum) points at: "... near 'TEXT' at line N" (the parser's form) gives
 * TEXT's offset on line N when found there, else the start of line N; an
 * unknown column or table (1054, 1146), the first place its name stands as
 * an identifier; 0 when the message says nothing of where. */
long mdb_error_position(const char *sql, size_t len, unsigned int errnum, const char *message);

#endif
