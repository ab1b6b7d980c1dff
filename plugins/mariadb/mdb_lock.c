/* SPDX-License-Identifier: MIT */
/* The run-long lock (a named lock: GET_LOCK, held by the connection, so
 * the server releases it when flux dies) and cancelling a statement (KILL
 * QUERY from a second connection: the protocol has no cancel request). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdb_state.h"

/* "SELECT FN('name'ARGS)" with the lock name quoted. */
static char *lock_call(const struct mdb *m, const char *fn, const char *args)
{
	struct mdb_buf b = {0};
	mdb_buf_str(&b, "SELECT ");
	mdb_buf_str(&b, fn);
	mdb_buf_str(&b, "(");
	mdb_buf_literal(&b, m->lock_name);
	mdb_buf_str(&b, args);
	mdb_buf_str(&b, ")");
	if (b.oom) {
		mdb_buf_free(&b);
		return NULL;
	}
	return b.s;
}

/* The one value of a one-row query, or NULL for SQL NULL; *rc set. */
static int one_value(struct mdb *m, const char *fn, const char *args, char *out,
		     size_t size, int *is_null, const char *what, flux_error *err)
{
	char *sql = lock_call(m, fn, args);
	if (!sql)
		return m->host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
	MYSQL_RES *res;
	int rc = mdb_rows(m, sql, &res, what, err);
	free(sql);
	if (rc)
		return rc;
	MYSQL_ROW row = mysql_fetch_row(res);
	*is_null = !row || !row[0];
	snprintf(out, size, "%s", *is_null ? "" : row[0]);
	mysql_free_result(res);
	return FLUX_OK;
}

int mdb_try_lock(void *state, int *acquired, flux_error *err)
{
	struct mdb *m = state;
	char v[32];
	int is_null;
	int rc = one_value(m, "GET_LOCK", ", 0", v, sizeof(v), &is_null,
			   "taking the migration lock", err);
	if (rc)
		return rc;
	if (is_null)
		/* The server's word for "an error occurred" (the connection
		 * killed while asking, out of memory). */
		return m->host->error_set(err, FLUX_ERR_BACKEND, "taking the migration lock: "
					  "GET_LOCK returned NULL");
	*acquired = !strcmp(v, "1");
	return FLUX_OK;
}

int mdb_unlock(void *state, flux_error *err)
{
	struct mdb *m = state;
	char v[32];
	int is_null;
	return one_value(m, "RELEASE_LOCK", "", v, sizeof(v), &is_null,
			 "releasing the migration lock", err);
}

void mdb_describe_lock(void *state, char *lock, size_t lock_size, char *holder,
		       size_t holder_size)
{
	struct mdb *m = state;
	snprintf(lock, lock_size, "named lock '%s' (%s)", m->lock_name,
		 m->lock_opt ? "migrations_lock_name" : "migrations_lock_name's default");
	holder[0] = '\0';
	char id[32];
	int is_null;
	flux_error ignored;
	if (one_value(m, "IS_USED_LOCK", "", id, sizeof(id), &is_null, NULL, &ignored) ||
	    is_null || strspn(id, "0123456789") != strlen(id) || !id[0])
		return;
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT USER, HOST, COMMAND, TIME, LEFT(INFO, 100) FROM "
		 "information_schema.PROCESSLIST WHERE ID = %s", id);
	MYSQL_RES *res;
	if (mdb_rows(m, sql, &res, NULL, &ignored)) {
		snprintf(holder, holder_size, "connection %s", id);
		return;
	}
	MYSQL_ROW r = mysql_fetch_row(res);
	if (!r) {
		/* Another user's connection, without the PROCESS privilege. */
		snprintf(holder, holder_size, "connection %s (who and what it runs needs the "
			 "PROCESS privilege to see)", id);
	} else if (r[2] && !strcmp(r[2], "Sleep")) {
		snprintf(holder, holder_size, "connection %s, user '%s'@'%s', idle for %s s", id,
			 r[0] ? r[0] : "", r[1] ? r[1] : "", r[3] ? r[3] : "?");
	} else {
		char what[128];
		snprintf(what, sizeof(what), "%s", r[4] ? r[4] : (r[2] ? r[2] : ""));
		for (char *p = what; *p; p++)
			if (*p == '\n' || *p == '\r' || *p == '\t')
				*p = ' ';
		snprintf(holder, holder_size, "connection %s, user '%s'@'%s', running '%s' for "
			 "%s s", id, r[0] ? r[0] : "", r[1] ? r[1] : "", what, r[3] ? r[3] : "?");
	}
	mysql_free_result(res);
}

void mdb_cancel(void *state)
{
	struct mdb *m = state;
	unsigned long id = __atomic_load_n(&m->thread_id, __ATOMIC_ACQUIRE);
	if (!id)
		return;
	/* Before the KILL: a statement it stops must find the flag set. */
	__atomic_store_n(&m->cancelled, 1, __ATOMIC_RELEASE);
	char why[256], st[6];
	unsigned int e;
	MYSQL *c = mdb_open(m, 10, why, sizeof(why), &e, st);
	if (!c)
		return;
	/* KILL QUERY stops the statement, not the connection: the migration
	 * fails with error 1317 and the host goes on to report it.  When the
	 * connection runs nothing, the server forgets the request. */
	char sql[64];
	snprintf(sql, sizeof(sql), "KILL QUERY %lu", id);
	mysql_real_query(c, sql, strlen(sql));
	mysql_close(c);
}
