/* SPDX-License-Identifier: MIT */
/* The SQLite backend: flux's embedded default, no server needed.
 *
 * URIs: sqlite:PATH (relative or absolute), sqlite:///ABSOLUTE/PATH and
 * sqlite:file:PATH?PARAMS (SQLite's URI filenames; see sqlite_open.c).
 *
 * The run-long migration lock is an flock(2) on the database file itself,
 * taken on a descriptor of our own.  flock locks are independent of the
 * POSIX record locks SQLite uses, so it never blocks ordinary readers and
 * writers of the database, only other flux processes; the kernel drops it
 * when a process dies.  Our descriptor is closed after SQLite's, because
 * closing any descriptor of a file drops the process's POSIX locks on it.
 *
 * No-transaction migrations keep a mark in <table>_incomplete from before
 * their first statement until their record is written (see backend.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "sqlite.h"

/* At most 63 bytes, as in PostgreSQL: the statements built around the
 * name then fit their fixed buffers. */
static int valid_table(const char *t)
{
	if (!*t || strlen(t) > 63)
		return 0;
	for (; *t; t++)
		if (!(*t == '_' || (*t >= '0' && *t <= '9') || (*t >= 'a' && *t <= 'z') ||
		      (*t >= 'A' && *t <= 'Z')))
			return 0;
	return 1;
}

static int sq_create(const struct flux_host *host, const struct flux_options *opts,
		     const char *uri, void **state, flux_error *err)
{
	const char *path;
	int rc = sq_uri_path(host, uri, &path, err);
	if (rc)
		return rc;
	const char *table;
	long long busy;
	rc = host->option_string(opts, "migrations_table", "_flux_migrations", &table, err);
	if (!rc)
		rc = host->option_int(opts, "busy_timeout_ms", 5000, &busy, err);
	if (rc)
		return rc;
	/* Built in: installed with its host, so option_error (ABI 1.1) is
	 * there without a FLUX_HOST_HAS check. */
	if (!valid_table(table))
		return host->option_error(opts, "migrations_table", err, "[backend] "
					  "migrations_table '%s' must match ^[A-Za-z0-9_]+$ "
					  "(at most 63)", table);
	struct sq *s = calloc(1, sizeof(*s));
	if (!s)
		return host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
	s->host = host;
	s->lockfd = -1;
	s->busy_ms = busy;
	s->table_name = table;
	s->path = strdup(path);
	s->table = malloc(strlen(table) + 3);
	s->marks_name = malloc(strlen(table) + sizeof("_incomplete"));
	s->marks = malloc(strlen(table) + sizeof("_incomplete") + 2);
	if (!s->path || !s->table || !s->marks_name || !s->marks) {
		free(s->path);
		free(s->table);
		free(s->marks_name);
		free(s->marks);
		free(s);
		return host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
	}
	sprintf(s->table, "\"%s\"", table);
	sprintf(s->marks_name, "%s_incomplete", table);
	sprintf(s->marks, "\"%s\"", s->marks_name);
	*state = s;
	return FLUX_OK;
}

static void sq_destroy(void *state)
{
	struct sq *s = state;
	if (s->db)
		sqlite3_close(s->db);
	if (s->lockfd >= 0)
		close(s->lockfd);
	free(s->path);
	free(s->file);
	free(s->table);
	free(s->marks_name);
	free(s->marks);
	free(s->mark_id);
	free(s);
}

/* Opens an existing file only: one that is missing is created by the
 * first operation that writes (see sqlite_open.c). */
static int sq_connect(void *state, flux_error *err)
{
	return sq_open(state, 0, err);
}

static int sq_disconnect(void *state, flux_error *err)
{
	struct sq *s = state;
	if (s->db && sqlite3_close(s->db) != SQLITE_OK)
		return sq_db_error(s, err, "closing the database");
	s->db = NULL;
	if (s->lockfd >= 0)
		close(s->lockfd);
	s->lockfd = -1;
	return FLUX_OK;
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int sq_lock(void *state, double timeout, flux_error *err)
{
	struct sq *s = state;
	int rc = sq_open_lockfd(s, err);
	if (rc)
		return rc;
	double start = mono();
	int said = 0;
	while (flock(s->lockfd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return s->host->error_set(err, FLUX_ERR_BACKEND, "cannot lock %s: %s",
						  s->file, strerror(errno));
		double waited = mono() - start;
		if (timeout >= 0 && waited >= timeout)
			return s->host->error_set(err, FLUX_ERR_LOCK_TIMEOUT,
						  "gave up after %.1f s waiting for the migration "
						  "lock on %s, held by another flux process",
						  waited, s->file);
		if (!said && waited >= 1.0) {
			s->host->log(s->host, FLUX_LOG_WARNING,
				     "waiting for the migration lock on %s (another flux "
				     "process holds it)", s->file);
			said = 1;
		}
		struct timespec ts = {0, 20 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return FLUX_OK;
}

static int sq_unlock(void *state, flux_error *err)
{
	struct sq *s = state;
	if (s->lockfd >= 0 && flock(s->lockfd, LOCK_UN) != 0)
		return s->host->error_set(err, FLUX_ERR_BACKEND, "cannot unlock %s: %s",
					  s->file, strerror(errno));
	return FLUX_OK;
}

static int exec_simple(struct sq *s, const char *sql, flux_error *err)
{
	int rc = sq_need_db(s, err);
	if (rc)
		return rc;
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sq_db_error(s, err, NULL);
	return FLUX_OK;
}

static int sq_begin(void *state, flux_error *err)
{
	struct sq *s = state;
	/* IMMEDIATE takes the write lock now, so a busy database shows up as
	 * a wait here rather than as a failure half-way through. */
	return exec_simple(s, "BEGIN IMMEDIATE", err);
}

static int sq_commit(void *state, flux_error *err)
{
	return exec_simple(state, "COMMIT", err);
}

static int sq_rollback(void *state, flux_error *err)
{
	struct sq *s = state;
	if (!s->db || sqlite3_get_autocommit(s->db))
		return FLUX_OK; /* the failed statement already ended it */
	return exec_simple(s, "ROLLBACK", err);
}

static int sq_is_initialized(void *state, int *initialized, flux_error *err)
{
	struct sq *s = state;
	sqlite3_stmt *st;
	*initialized = 0;
	if (!s->db)
		return FLUX_OK; /* no file yet */
	if (sqlite3_prepare_v2(s->db, "SELECT name FROM sqlite_master WHERE type = 'table' "
			       "AND name IN (?, ?)", -1, &st, NULL) != SQLITE_OK)
		return sq_db_error(s, err, NULL);
	sqlite3_bind_text(st, 1, s->table_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, s->marks_name, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!strcmp((const char *)sqlite3_column_text(st, 0), s->table_name))
			*initialized = 1;
		else
			s->has_marks = 1;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sq_db_error(s, err, NULL);
	return FLUX_OK;
}

static int sq_initialize(void *state, flux_error *err)
{
	struct sq *s = state;
	char sql[512];
	snprintf(sql, sizeof(sql),
		 "CREATE TABLE IF NOT EXISTS %s (id TEXT PRIMARY KEY, hash TEXT NOT NULL, "
		 "applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)", s->table);
	return exec_simple(s, sql, err);
}

/* Run one statement built around a double-quoted table name (the one %s
 * in fmt) with up to three bound texts; what names it in an error. */
static int exec_bound(struct sq *s, const char *fmt, const char *table, const char *a,
		      const char *b, const char *c, const char *what, flux_error *err)
{
	int rc = sq_need_db(s, err);
	if (rc)
		return rc;
	char sql[512];
	snprintf(sql, sizeof(sql), fmt, table);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sq_db_error(s, err, what);
	const char *v[] = {a, b, c};
	for (int i = 0; i < 3 && v[i]; i++)
		sqlite3_bind_text(st, i + 1, v[i], -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sq_db_error(s, err, what);
	return FLUX_OK;
}

static int sq_register(void *state, const char *id, const char *hash, flux_error *err)
{
	struct sq *s = state;
	return exec_bound(s, "INSERT INTO %s (id, hash) VALUES (?1, ?2)", s->table, id, hash,
			  NULL, "recording the migration", err);
}

static int sq_unregister(void *state, const char *id, flux_error *err)
{
	struct sq *s = state;
	return exec_bound(s, "DELETE FROM %s WHERE id = ?1", s->table, id, NULL, NULL,
			  "deleting the migration record", err);
}

/* Best effort: when this fails the mark still says the migration did not
 * finish, only less precisely. */
static void note_progress(struct sq *s, const char *fmt, ...) FLUX_PRINTF(2, 3);
static void note_progress(struct sq *s, const char *fmt, ...)
{
	if (!s->mark_id)
		return;
	char text[FLUX_ERROR_MESSAGE_MAX + 128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	flux_error ignored;
	exec_bound(s, "UPDATE %s SET progress = ?1 WHERE id = ?2", s->marks, text, s->mark_id,
		   NULL, NULL, &ignored);
}

/* Statement by statement, so a failure can be placed exactly: SQLite gives
 * the offset inside the failing statement, we add where it starts.  sql
 * ends in a NUL at sql[len] and has no other. */
static int run_statements(struct sq *s, const char *sql, size_t len, int marking,
			  flux_error *err)
{
	const char *p = sql, *end = sql + len;
	size_t done = 0;
	while (p < end) {
		/* sqlite3_interrupt() only stops statements already running. */
		if (s->cancelled)
			return s->host->error_set(err, FLUX_ERR_BACKEND, "interrupted before "
						  "its next statement");
		sqlite3_stmt *st = NULL;
		const char *tail = NULL;
		/* -1: up to the NUL.  A length short of the NUL would make
		 * SQLite copy the whole rest of the script for every statement,
		 * which is quadratic in the migration's size. */
		int rc = sqlite3_prepare_v2(s->db, p, -1, &st, &tail);
		if (rc != SQLITE_OK) {
			int off = sqlite3_error_offset(s->db);
			sq_db_error(s, err, NULL);
			err->position = (long)(p - sql) + (off >= 0 ? off : 0) + 1;
			while (off < 0 && err->position <= (long)len &&
			       (sql[err->position - 1] == ' ' || sql[err->position - 1] == '\n' ||
				sql[err->position - 1] == '\t' || sql[err->position - 1] == '\r'))
				err->position++;
			if (marking)
				note_progress(s, "statement %zu failed: %s; %zu ran before it",
					      done + 1, err->message, done);
			return FLUX_ERR_BACKEND;
		}
		if (!tail || tail <= p) {
			/* Cannot happen without a NUL inside; never loop on it. */
			sqlite3_finalize(st);
			s->host->error_set(err, FLUX_ERR_BACKEND, "SQLite stopped reading the "
					   "SQL before its end");
			err->position = (long)(p - sql) + 1;
			return FLUX_ERR_BACKEND;
		}
		if (!st) {
			p = tail;
			continue; /* only blanks or comments */
		}
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			;
		if (rc != SQLITE_DONE) {
			sq_db_error(s, err, NULL);
			int off = sqlite3_error_offset(s->db);
			const char *start = p;
			while (start < tail && (*start == ' ' || *start == '\n' || *start == '\t' ||
						*start == '\r'))
				start++;
			err->position = (long)(start - sql) + (off >= 0 ? off : 0) + 1;
			sqlite3_finalize(st);
			if (marking)
				note_progress(s, "statement %zu failed: %s; %zu ran before it",
					      done + 1, err->message, done);
			return FLUX_ERR_BACKEND;
		}
		sqlite3_finalize(st);
		p = tail;
		done++;
		if (marking)
			note_progress(s, "%zu statements ran", done);
	}
	return FLUX_OK;
}

static int sq_apply(void *state, const char *sql, size_t len, unsigned int flags,
		    flux_error *err)
{
	struct sq *s = state;
	int rc = sq_need_db(s, err);
	if (rc)
		return rc;
	/* SQLite reads SQL up to a NUL: one inside would end the script
	 * there, silently, or stop the statement loop from advancing. */
	const char *nul = memchr(sql, '\0', len);
	if (nul) {
		s->host->error_set(err, FLUX_ERR_BACKEND, "the SQL contains a NUL byte");
		err->position = (long)(nul - sql) + 1;
		return FLUX_ERR_BACKEND;
	}
	/* One copy that ends in a NUL (the host's text need not), so SQLite
	 * reads each statement in place. */
	char *text = malloc(len + 1);
	if (!text)
		return s->host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
	memcpy(text, sql, len);
	text[len] = '\0';
	/* Outside a transaction each statement commits by itself; the mark
	 * counts them as they go. */
	int marking = (flags & FLUX_APPLY_NO_TRANSACTION) && s->mark_id;
	rc = run_statements(s, text, len, marking, err);
	free(text);
	return rc;
}

/* Hand each row's text columns (up to four) of a SELECT built around a
 * table name to row(); the host's callbacks fail only when out of memory. */
typedef int (*row_fn)(void *ctx, const char *const *col);

static int each_row(struct sq *s, const char *fmt, const char *table, row_fn row,
		    void *ctx, flux_error *err)
{
	if (!s->db)
		return FLUX_OK; /* no file yet, so no rows */
	char sql[256];
	snprintf(sql, sizeof(sql), fmt, table);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sq_db_error(s, err, NULL);
	int rc, n = sqlite3_column_count(st) < 4 ? sqlite3_column_count(st) : 4;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *col[4] = {NULL, NULL, NULL, NULL};
		for (int i = 0; i < n; i++)
			col[i] = (const char *)sqlite3_column_text(st, i);
		if (row(ctx, col)) {
			sqlite3_finalize(st);
			return s->host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sq_db_error(s, err, NULL);
	return FLUX_OK;
}

struct applied_ctx {
	flux_applied_fn fn;
	void *ctx;
};

static int applied_row(void *ctx, const char *const *col)
{
	struct applied_ctx *a = ctx;
	return a->fn(a->ctx, col[0], col[1], col[2]);
}

static int sq_list_applied(void *state, flux_applied_fn fn, void *ctx, flux_error *err)
{
	struct sq *s = state;
	struct applied_ctx a = {fn, ctx};
	return each_row(s, "SELECT id, hash, applied_at FROM %s ORDER BY id", s->table,
			applied_row, &a, err);
}

static int sq_mark_begin(void *state, const char *id, int direction, flux_error *err)
{
	struct sq *s = state;
	char sql[512];
	snprintf(sql, sizeof(sql), "CREATE TABLE IF NOT EXISTS %s (id TEXT PRIMARY KEY, "
		 "direction TEXT NOT NULL, started_at TIMESTAMP NOT NULL DEFAULT "
		 "CURRENT_TIMESTAMP, progress TEXT NOT NULL DEFAULT '')", s->marks);
	int rc = exec_simple(s, sql, err);
	if (!rc)
		rc = exec_bound(s, "INSERT INTO %s (id, direction, progress) VALUES (?1, ?2, "
				"'started') ON CONFLICT (id) DO UPDATE SET direction = "
				"excluded.direction, started_at = CURRENT_TIMESTAMP, progress = "
				"excluded.progress", s->marks, id,
				direction == FLUX_MARK_ROLLBACK ? "rollback" : "apply", NULL,
				"marking the no-transaction migration", err);
	if (rc)
		return rc;
	s->has_marks = 1;
	free(s->mark_id);
	if (!(s->mark_id = strdup(id)))
		return s->host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
	return FLUX_OK;
}

static int sq_mark_end(void *state, const char *id, flux_error *err)
{
	struct sq *s = state;
	free(s->mark_id);
	s->mark_id = NULL;
	if (!s->has_marks)
		return FLUX_OK;
	return exec_bound(s, "DELETE FROM %s WHERE id = ?1", s->marks, id, NULL, NULL,
			  "clearing the no-transaction migration's mark", err);
}

struct marks_ctx {
	flux_mark_fn fn;
	void *ctx;
};

static int mark_row(void *ctx, const char *const *col)
{
	struct marks_ctx *m = ctx;
	int dir = col[1] && !strcmp(col[1], "rollback") ? FLUX_MARK_ROLLBACK : FLUX_MARK_APPLY;
	return m->fn(m->ctx, col[0], dir, col[2], col[3]);
}

static int sq_list_marks(void *state, flux_mark_fn fn, void *ctx, flux_error *err)
{
	struct sq *s = state;
	if (!s->has_marks)
		return FLUX_OK;
	struct marks_ctx m = {fn, ctx};
	return each_row(s, "SELECT id, direction, started_at, progress FROM %s ORDER BY id",
			s->marks, mark_row, &m, err);
}

/* sqlite3_interrupt() only sets a flag the running statement checks (the
 * sqlite3 shell calls it from its SIGINT handler); the statement fails
 * with SQLITE_INTERRUPT and the transaction rolls back; sq_apply() starts
 * no further statement. */
static void sq_cancel(void *state)
{
	struct sq *s = state;
	s->cancelled = 1;
	if (s->db)
		sqlite3_interrupt(s->db);
}

static const struct flux_backend sqlite_backend = {
	FLUX_BACKEND_HEADER_INIT,
	.name = "sqlite",
	.description = "SQLite database files, embedded (sqlite:PATH)",
	.create = sq_create,
	.destroy = sq_destroy,
	.connect = sq_connect,
	.disconnect = sq_disconnect,
	.lock = sq_lock,
	.unlock = sq_unlock,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.is_initialized = sq_is_initialized,
	.initialize = sq_initialize,
	.register_migration = sq_register,
	.unregister_migration = sq_unregister,
	.apply = sq_apply,
	.list_applied = sq_list_applied,
	.mark_begin = sq_mark_begin,
	.mark_end = sq_mark_end,
	.list_marks = sq_list_marks,
	.cancel = sq_cancel,
};

FLUX_BACKEND_EXPORT const struct flux_backend *flux_sqlite_backend(const struct flux_host *host);

const struct flux_backend *flux_sqlite_backend(const struct flux_host *host)
{
	(void)host;
	return &sqlite_backend;
}
