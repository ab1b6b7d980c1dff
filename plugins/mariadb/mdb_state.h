/* SPDX-License-Identifier: MIT */
/* The backend's state and the Connector/C helpers its files share. */
#ifndef FLUX_MDB_STATE_H
#define FLUX_MDB_STATE_H

#include <mysql.h>

#include <flux/backend.h>

#include "mdb.h"

struct mdb {
	const struct flux_host *host;
	struct mdb_uri uri;
	/* [backend] options; strings owned by the host. */
	const char *table;       /* migrations_table */
	const char *schema;      /* migrations_schema, "" for the connection's database */
	const char *lock_opt;    /* migrations_lock_name, NULL for the default */
	const char *option_file; /* NULL for the client's default files */
	const char *option_group;
	char *table_q;           /* `schema`.`table` or `table` */
	char *marks_q;           /* the same for <table>_incomplete */
	char marks[80];
	char *lock_name;         /* resolved by connect() */
	MYSQL *conn;
	/* The connection's id for cancel()'s KILL QUERY, read from the host's
	 * thread: set before connect() returns, cleared by disconnect(). */
	unsigned long thread_id;
	/* The marks table exists: 1 or 0 as is_initialized() (or initialize,
	 * mark_save) learnt it, -1 when a connected state has not asked yet. */
	int has_marks;
	/* Set by cancel() from the host's thread, cleared by connect(): see
	 * cancelled() in mdb_backend.c. */
	int cancelled;
	int in_txn;
};

/* Open a connection with the URI and option files.  On failure returns
 * NULL with the client's message (never holding a password) in why, its
 * error number and SQLSTATE in *errnum and sqlstate[6]. */
MYSQL *mdb_open(const struct mdb *m, unsigned int timeout, char *why, size_t why_size,
		unsigned int *errnum, char *sqlstate);

/* Fill err from the connection's last error: "WHAT: error N: message",
 * SQLSTATE, and FLUX_ERR_CONNECTION when the connection is gone.  Returns
 * the status. */
int mdb_fail(struct mdb *m, flux_error *err, const char *what);

/* Read and discard every result set of the statement just sent (a
 * SELECT, a CALL): the connection refuses the next statement until then. */
int mdb_drain(struct mdb *m, const char *what, flux_error *err);

/* Run one statement, discarding any result sets it returns. */
int mdb_exec(struct mdb *m, const char *sql, size_t len, const char *what, flux_error *err);

/* Run a query and store its single result set in *res (freed by the
 * caller). */
int mdb_rows(struct mdb *m, const char *sql, MYSQL_RES **res, const char *what,
	     flux_error *err);

/* mdb_lock.c */
int mdb_try_lock(void *state, int *acquired, flux_error *err);
int mdb_unlock(void *state, flux_error *err);
void mdb_describe_lock(void *state, char *lock, size_t lock_size, char *holder,
		       size_t holder_size);
void mdb_cancel(void *state);

#endif
