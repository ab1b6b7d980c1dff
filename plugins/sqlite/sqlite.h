/* SPDX-License-Identifier: MIT */
/* The SQLite backend's state, shared by its two files: sqlite_open.c
 * (what a URI names, opening the file, the lock on it) and
 * sqlite_backend.c (the operations). */
#ifndef FLUX_PLUGIN_SQLITE_H
#define FLUX_PLUGIN_SQLITE_H

#include <stdatomic.h>
#include <sqlite3.h>

#include <flux/backend.h>

#pragma GCC visibility push(hidden)

/* What the marks table looks like, learnt once per connection. */
enum sq_marks {
	SQ_MARKS_UNKNOWN = 0,
	SQ_MARKS_NONE,     /* no marks table (or no database file) */
	SQ_MARKS_OLD,      /* flux 0.2's, without the resume column */
	SQ_MARKS_CURRENT
};

struct sq {
	const struct flux_host *host;
	char *path;        /* what SQLite is given: a path or a file: URI */
	char *file;        /* the file SQLite really opened (absolute), once open */
	const char *table; /* ^[A-Za-z0-9_]+$, checked by option_identifier */
	char *marks;       /* <table>_incomplete (sqlite3_mprintf) */
	long long busy_ms;
	/* NULL while the file does not exist (see sq_open); atomic because
	 * sq_cancel() reads it from the host's thread while an operation
	 * may be opening the file. */
	sqlite3 *_Atomic db;
	int lockfd;
	int marks_state;   /* enum sq_marks */
	/* What describe_sql() takes the marks table to be: as it would be
	 * had the operations described so far run (a dry run's script
	 * creates it once, then uses it). */
	int dry_marks;
	/* The statements every migration runs (BEGIN, COMMIT, the record's
	 * INSERT or DELETE), prepared on first use and kept until the
	 * connection closes (finalized before sqlite3_close). */
	sqlite3_stmt *stmt[4];
	/* Set by sq_cancel(): sqlite3_interrupt() stops only statements that
	 * run, so execute() looks here before each next one. */
	atomic_int cancelled;
};

/* The database path of an sqlite: URI, or FLUX_ERR_INVALID with a message
 * that never repeats the URI (a foreign one may hold a password). */
int sq_uri_path(const struct flux_host *host, const char *uri, const char **path,
		flux_error *err);

/* The URI with the secrets an encryption extension reads from it hidden. */
size_t sq_redact_uri(const char *uri, char *out, size_t size);

/* Open s->path.  Without create, a database file that does not exist is
 * not an error: s->db stays NULL and the database reads as empty, so the
 * reading commands create nothing.  Refuses in-memory databases. */
int sq_open(struct sq *s, int create, flux_error *err);

/* For operations that write: opens (creating) the file if it is not open. */
int sq_need_db(struct sq *s, flux_error *err);

/* The run-long lock: one attempt, and what the host says about it. */
int sq_try_lock(void *state, int *acquired, flux_error *err);
int sq_unlock(void *state, flux_error *err);
void sq_describe_lock(void *state, char *lock, size_t lock_size, char *holder,
		      size_t holder_size);

/* err from the connection's last error, prefixed with what when given. */
int sq_db_error(struct sq *s, flux_error *err, const char *what);

#pragma GCC visibility pop

#endif
