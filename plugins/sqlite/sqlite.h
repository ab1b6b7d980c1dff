/* SPDX-License-Identifier: MIT */
/* The SQLite backend's state, shared by its two files: sqlite_open.c
 * (which file a URI names, opening it, the lock's descriptor) and
 * sqlite_backend.c (the operations). */
#ifndef FLUX_PLUGIN_SQLITE_H
#define FLUX_PLUGIN_SQLITE_H

#include <stdatomic.h>
#include <sqlite3.h>

#include <flux/backend.h>

#pragma GCC visibility push(hidden)

struct sq {
	const struct flux_host *host;
	char *path;        /* what SQLite is given: a path or a file: URI */
	char *file;        /* the file SQLite really opened (absolute), once open */
	char *table;       /* double-quoted identifier */
	const char *table_name;
	long long busy_ms;
	sqlite3 *db;       /* NULL while the file does not exist (see sq_open) */
	int lockfd;
	char *marks_name;  /* the marks table, bare and double-quoted */
	char *marks;
	int has_marks;
	char *mark_id;     /* the migration mark_begin() was last called for */
	atomic_int cancelled; /* set by sq_cancel(), from a signal or a thread */
};

/* The database path of an sqlite: URI, or FLUX_ERR_INVALID with a message
 * that never repeats the URI (a foreign one may hold a password). */
int sq_uri_path(const struct flux_host *host, const char *uri, const char **path,
		flux_error *err);

/* Open s->path.  Without create, a database file that does not exist is
 * not an error: s->db stays NULL and the database reads as empty, so the
 * reading commands create nothing.  Refuses in-memory databases. */
int sq_open(struct sq *s, int create, flux_error *err);

/* For operations that write: opens (creating) the file if it is not open. */
int sq_need_db(struct sq *s, flux_error *err);

/* Open the descriptor the run-long flock is taken on: the file SQLite
 * opened, whatever spelling the URI used. */
int sq_open_lockfd(struct sq *s, flux_error *err);

/* err from the connection's last error, prefixed with what when given. */
int sq_db_error(struct sq *s, flux_error *err, const char *what);

#pragma GCC visibility pop

#endif
