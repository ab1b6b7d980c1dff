/* SPDX-License-Identifier: MIT */
/* The SQLite backend: flux's embedded default, no server needed.
 *
 * URIs: sqlite:PATH (relative or absolute), sqlite:///ABSOLUTE/PATH and
 * sqlite:file:PATH?PARAMS (SQLite's URI filenames; see sqlite_open.c,
 * which also holds the lock).
 *
 * Every text an operation sends is built by sq_texts(), values quoted in
 * with %Q, so `flux apply --dry-run` (describe_sql) shows exactly what
 * runs; BEGIN, COMMIT and the record's INSERT or DELETE, which every
 * migration runs, are the same SQL prepared once with the values bound
 * (run_kept).  Marks live in <table>_incomplete, created by the first
 * mark_save(); flux 0.2 made it without the resume column, which is read
 * as "" and added by the first mark_save(). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sqlite.h"

FLUX_BACKEND_MODULE;

static int sq_create(const struct flux_host *host, const struct flux_options *opts,
		     const char *uri, void **state, flux_error *err)
{
	const char *path, *table;
	long long busy;
	int rc = sq_uri_path(host, uri, &path, err);
	if (!rc)
		rc = host->option_identifier(opts, "migrations_table", "_flux_migrations", 63,
					     &table, err);
	if (!rc)
		rc = host->option_int(opts, "busy_timeout_ms", 5000, &busy, err);
	if (rc)
		return rc;
	struct sq *s = calloc(1, sizeof(*s));
	if (!s)
		return host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
	s->host = host;
	s->lockfd = -1;
	s->busy_ms = busy;
	s->table = table;
	s->path = strdup(path);
	s->marks = sqlite3_mprintf("%s_incomplete", table);
	if (!s->path || !s->marks) {
		free(s->path);
		sqlite3_free(s->marks);
		free(s);
		return host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
	}
	*state = s;
	return FLUX_OK;
}

static void finalize_kept(struct sq *s);

static void sq_destroy(void *state)
{
	struct sq *s = state;
	finalize_kept(s);
	if (s->db)
		sqlite3_close(s->db);
	if (s->lockfd >= 0)
		close(s->lockfd);
	free(s->path);
	free(s->file);
	sqlite3_free(s->marks);
	free(s);
}

/* Opens an existing file only: one that is missing is created by the
 * first operation that writes (see sqlite_open.c). */
static int sq_connect(void *state, flux_error *err)
{
	struct sq *s = state;
	s->cancelled = 0;
	s->marks_state = s->dry_marks = SQ_MARKS_UNKNOWN;
	return sq_open(s, 0, err);
}

static int sq_disconnect(void *state, flux_error *err)
{
	struct sq *s = state;
	finalize_kept(s);
	if (s->db && sqlite3_close(s->db) != SQLITE_OK)
		return sq_db_error(s, err, "closing the database");
	s->db = NULL;
	if (s->lockfd >= 0)
		close(s->lockfd);
	s->lockfd = -1;
	return FLUX_OK;
}

/* Whether the marks table has the resume column (SQ_MARKS_CURRENT) or is
 * the older shape without it (SQ_MARKS_OLD). */
static int marks_shape(struct sq *s, flux_error *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = 'resume'",
			       -1, &st, NULL) != SQLITE_OK)
		return sq_db_error(s, err, NULL);
	sqlite3_bind_text(st, 1, s->marks, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_db_error(s, err, NULL);
	s->marks_state = rc == SQLITE_ROW ? SQ_MARKS_CURRENT : SQ_MARKS_OLD;
	return FLUX_OK;
}

/* Whether the record table exists, and the marks table's shape.  Two
 * queries, the second only where the marks table exists (a database that
 * ran a no-transaction migration): the one query that did both, with
 * pragma_table_info() in every run, took 0.77 ms against 0.57 ms for this
 * one (the schema's first read included), where reading 1,000 records
 * takes 0.38 ms. */
static int probe(struct sq *s, int *initialized, flux_error *err)
{
	*initialized = 0;
	s->marks_state = SQ_MARKS_NONE;
	if (!s->db)
		return FLUX_OK; /* no file yet */
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "SELECT name FROM sqlite_master "
			       "WHERE type = 'table' AND name IN (?1, ?2)", -1, &st,
			       NULL) != SQLITE_OK)
		return sq_db_error(s, err, NULL);
	sqlite3_bind_text(st, 1, s->table, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, s->marks, -1, SQLITE_STATIC);
	int rc, marks = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!strcmp((const char *)sqlite3_column_text(st, 0), s->table))
			*initialized = 1;
		else
			marks = 1;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		s->marks_state = SQ_MARKS_UNKNOWN;
		return sq_db_error(s, err, NULL);
	}
	if (marks && (rc = marks_shape(s, err)) != FLUX_OK) {
		s->marks_state = SQ_MARKS_UNKNOWN;
		return rc;
	}
	return FLUX_OK;
}

static int sq_is_initialized(void *state, int *initialized, flux_error *err)
{
	return probe(state, initialized, err);
}

static int know_marks(struct sq *s, flux_error *err)
{
	int ignored;
	return s->marks_state == SQ_MARKS_UNKNOWN ? probe(s, &ignored, err) : FLUX_OK;
}

/* The texts one operation sends, in order (at most three). */
struct texts {
	char *t[3];
	int n;
};

static void texts_free(struct texts *x)
{
	for (int i = 0; i < x->n; i++)
		sqlite3_free(x->t[i]);
	x->n = 0;
}

static int marks_kind(int kind)
{
	return kind == FLUX_SQL_MARK_SAVE || kind == FLUX_SQL_MARK_DELETE;
}

/* Build what the operation of that kind sends, for it and for
 * describe_sql alike; MARK_SAVE and MARK_DELETE for a marks table in
 * state marks (enum sq_marks, known). */
static int sq_texts(struct sq *s, int kind, const struct flux_step *step,
		    const struct flux_mark *mark, int marks, struct texts *x, flux_error *err)
{
	const char *dir = mark && mark->direction == FLUX_MARK_ROLLBACK ? "rollback" : "apply";
	x->n = 0;
	switch (kind) {
	case FLUX_SQL_BEGIN:
		/* IMMEDIATE takes the write lock now, so a busy database shows
		 * up as a wait here rather than as a failure half-way through. */
		x->t[x->n++] = sqlite3_mprintf("BEGIN IMMEDIATE;");
		break;
	case FLUX_SQL_COMMIT:
		x->t[x->n++] = sqlite3_mprintf("COMMIT;");
		break;
	case FLUX_SQL_INITIALIZE:
		x->t[x->n++] = sqlite3_mprintf("CREATE TABLE IF NOT EXISTS \"%w\" (id TEXT PRIMARY "
					       "KEY, hash TEXT NOT NULL, applied_at TIMESTAMP NOT "
					       "NULL DEFAULT CURRENT_TIMESTAMP);", s->table);
		break;
	case FLUX_SQL_REGISTER:
		x->t[x->n++] = sqlite3_mprintf("INSERT INTO \"%w\" (id, hash) VALUES (%Q, %Q);",
					       s->table, step->id, step->hash);
		break;
	case FLUX_SQL_UNREGISTER:
		x->t[x->n++] = sqlite3_mprintf("DELETE FROM \"%w\" WHERE id = %Q;", s->table,
					       step->id);
		break;
	case FLUX_SQL_MARK_SAVE:
		if (marks == SQ_MARKS_NONE)
			x->t[x->n++] = sqlite3_mprintf(
				"CREATE TABLE IF NOT EXISTS \"%w\" (id TEXT PRIMARY KEY, direction "
				"TEXT NOT NULL, started_at TIMESTAMP NOT NULL DEFAULT "
				"CURRENT_TIMESTAMP, progress TEXT NOT NULL DEFAULT '', resume TEXT "
				"NOT NULL DEFAULT '');", s->marks);
		else if (marks == SQ_MARKS_OLD)
			x->t[x->n++] = sqlite3_mprintf("ALTER TABLE \"%w\" ADD COLUMN resume TEXT "
						       "NOT NULL DEFAULT '';", s->marks);
		x->t[x->n++] = sqlite3_mprintf(
			"INSERT INTO \"%w\" (id, direction, progress, resume) VALUES (%Q, %Q, %Q, "
			"%Q) ON CONFLICT (id) DO UPDATE SET direction = excluded.direction, "
			"progress = excluded.progress, resume = excluded.resume;", s->marks,
			mark->id, dir, mark->progress ? mark->progress : "",
			mark->resume ? mark->resume : "");
		break;
	case FLUX_SQL_MARK_DELETE:
		if (marks != SQ_MARKS_NONE)
			x->t[x->n++] = sqlite3_mprintf("DELETE FROM \"%w\" WHERE id = %Q;", s->marks,
						       step->id);
		break;
	default:
		return s->host->error_set(err, FLUX_ERR_UNSUPPORTED, "the SQLite backend has no "
					  "operation of SQL kind %d (it runs no run_step)", kind);
	}
	for (int i = 0; i < x->n; i++)
		if (!x->t[i]) {
			texts_free(x);
			return s->host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
		}
	return FLUX_OK;
}

/* Run what sq_texts() builds; what names the operation in an error. */
static int send(struct sq *s, int kind, const struct flux_step *step,
		const struct flux_mark *mark, const char *what, flux_error *err)
{
	struct texts x;
	int rc = marks_kind(kind) ? know_marks(s, err) : FLUX_OK;
	if (!rc)
		rc = sq_texts(s, kind, step, mark, s->marks_state, &x, err);
	if (rc)
		return rc;
	if (x.n)
		rc = sq_need_db(s, err);
	for (int i = 0; i < x.n && !rc; i++)
		if (sqlite3_exec(s->db, x.t[i], NULL, NULL, NULL) != SQLITE_OK)
			rc = sq_db_error(s, err, what);
	texts_free(&x);
	return rc;
}

/* The statements every migration runs, prepared once per connection
 * rather than parsed from text each time (sqlite3_exec): the SQL of
 * sq_texts() with ?1 (id) and ?2 (hash) where it quotes the values in. */
enum kept { KEPT_BEGIN, KEPT_COMMIT, KEPT_REGISTER, KEPT_UNREGISTER };

static void finalize_kept(struct sq *s)
{
	for (size_t i = 0; i < sizeof(s->stmt) / sizeof(s->stmt[0]); i++) {
		sqlite3_finalize(s->stmt[i]);
		s->stmt[i] = NULL;
	}
}

static int run_kept(struct sq *s, enum kept which, const char *id, const char *hash,
		    const char *what, flux_error *err)
{
	int rc = sq_need_db(s, err);
	if (rc)
		return rc;
	sqlite3_stmt *st = s->stmt[which];
	if (!st) {
		char *sql = which == KEPT_BEGIN ? sqlite3_mprintf("BEGIN IMMEDIATE;")
			    : which == KEPT_COMMIT ? sqlite3_mprintf("COMMIT;")
			    : which == KEPT_REGISTER
				? sqlite3_mprintf("INSERT INTO \"%w\" (id, hash) VALUES (?1, ?2);",
						  s->table)
				: sqlite3_mprintf("DELETE FROM \"%w\" WHERE id = ?1;", s->table);
		if (!sql)
			return s->host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
		int prc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
		sqlite3_free(sql);
		if (prc != SQLITE_OK)
			return sq_db_error(s, err, what);
		s->stmt[which] = st;
	}
	if (id)
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (hash)
		sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? FLUX_OK : sq_db_error(s, err, what);
	/* Reset at once: a statement left active would keep its
	 * transaction's locks and make COMMIT or ROLLBACK fail. */
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

static int sq_describe_sql(void *state, int kind, const struct flux_step *step,
			   const struct flux_mark *mark, flux_text_fn fn, void *ctx,
			   flux_error *err)
{
	struct sq *s = state;
	struct texts x;
	int rc = FLUX_OK;
	if (marks_kind(kind) && s->dry_marks == SQ_MARKS_UNKNOWN &&
	    !(rc = know_marks(s, err)))
		s->dry_marks = s->marks_state;
	if (!rc)
		rc = sq_texts(s, kind, step, mark, s->dry_marks, &x, err);
	if (rc)
		return rc;
	if (kind == FLUX_SQL_MARK_SAVE)
		s->dry_marks = SQ_MARKS_CURRENT;
	for (int i = 0; i < x.n && !rc; i++)
		rc = fn(ctx, x.t[i], strlen(x.t[i]));
	texts_free(&x);
	return rc;
}

static int sq_begin(void *state, flux_error *err)
{
	return run_kept(state, KEPT_BEGIN, NULL, NULL, NULL, err);
}

static int sq_commit(void *state, flux_error *err)
{
	return run_kept(state, KEPT_COMMIT, NULL, NULL, NULL, err);
}

static int sq_rollback(void *state, flux_error *err)
{
	struct sq *s = state;
	/* A marks table made in the transaction goes with it. */
	s->marks_state = s->dry_marks = SQ_MARKS_UNKNOWN;
	if (!s->db || sqlite3_get_autocommit(s->db))
		return FLUX_OK; /* the failed statement already ended it */
	if (sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
		return sq_db_error(s, err, NULL);
	return FLUX_OK;
}

static int sq_initialize(void *state, flux_error *err)
{
	return send(state, FLUX_SQL_INITIALIZE, NULL, NULL, "creating the record table", err);
}

static int sq_register(void *state, const char *id, const char *hash, flux_error *err)
{
	return run_kept(state, KEPT_REGISTER, id, hash, "recording the migration", err);
}

static int sq_unregister(void *state, const char *id, flux_error *err)
{
	return run_kept(state, KEPT_UNREGISTER, id, NULL, "deleting the migration record",
			err);
}

static int sq_mark_save(void *state, const struct flux_mark *mark, flux_error *err)
{
	struct sq *s = state;
	int rc = send(s, FLUX_SQL_MARK_SAVE, NULL, mark, "saving the migration's mark", err);
	/* On failure a table made or altered before it may stay: look again. */
	s->marks_state = rc ? SQ_MARKS_UNKNOWN : SQ_MARKS_CURRENT;
	s->dry_marks = SQ_MARKS_UNKNOWN;
	return rc;
}

static int sq_mark_delete(void *state, const char *id, flux_error *err)
{
	struct flux_step step = {.id = id};
	return send(state, FLUX_SQL_MARK_DELETE, &step, NULL, "deleting the migration's mark",
		    err);
}

/* Hand each row of a query (built around one table name) to row(),
 * which stops the loop by returning non-zero: that value is returned. */
typedef int (*row_fn)(void *ctx, sqlite3_stmt *st);

static int each_row(struct sq *s, const char *fmt, const char *table, row_fn row, void *ctx,
		    flux_error *err)
{
	if (!s->db)
		return FLUX_OK; /* no file yet, so no rows */
	char *sql = sqlite3_mprintf(fmt, table);
	if (!sql)
		return s->host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	sqlite3_free(sql);
	if (rc != SQLITE_OK)
		return sq_db_error(s, err, NULL);
	int stop = 0;
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW)
		stop = row(ctx, st);
	sqlite3_finalize(st);
	if (stop)
		return stop;
	return rc == SQLITE_DONE ? FLUX_OK : sq_db_error(s, err, NULL);
}

/* A column as text: never NULL, as the ABI's strings are not. */
static const char *col(sqlite3_stmt *st, int i)
{
	const char *v = (const char *)sqlite3_column_text(st, i);
	return v ? v : "";
}

struct applied_ctx {
	flux_applied_fn fn;
	void *ctx;
};

static int applied_row(void *ctx, sqlite3_stmt *st)
{
	struct applied_ctx *a = ctx;
	return a->fn(a->ctx, col(st, 0), col(st, 1), col(st, 2));
}

static int sq_list_applied(void *state, flux_applied_fn fn, void *ctx, flux_error *err)
{
	struct applied_ctx a = {fn, ctx};
	/* In table order (backend.h): ORDER BY id would walk the id index
	 * and look up each row in the table. */
	return each_row(state, "SELECT id, hash, applied_at FROM \"%w\"",
			((struct sq *)state)->table, applied_row, &a, err);
}

struct marks_ctx {
	flux_mark_fn fn;
	void *ctx;
};

static int mark_row(void *ctx, sqlite3_stmt *st)
{
	struct marks_ctx *m = ctx;
	const char *dir = col(st, 1);
	struct flux_mark mark = {
		.id = col(st, 0),
		.direction = strcmp(dir, "rollback") ? FLUX_MARK_APPLY : FLUX_MARK_ROLLBACK,
		.started_at = col(st, 2),
		.progress = col(st, 3),
		.resume = col(st, 4),
	};
	return m->fn(m->ctx, &mark);
}

static int sq_list_marks(void *state, flux_mark_fn fn, void *ctx, flux_error *err)
{
	struct sq *s = state;
	struct marks_ctx m = {fn, ctx};
	int rc = know_marks(s, err);
	if (rc || s->marks_state == SQ_MARKS_NONE)
		return rc;
	return each_row(s, s->marks_state == SQ_MARKS_OLD
			? "SELECT id, direction, started_at, progress, '' FROM \"%w\" ORDER BY id"
			: "SELECT id, direction, started_at, progress, resume FROM \"%w\" ORDER BY id",
			s->marks, mark_row, &m, err);
}

static int blank(char c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Statement by statement, each read where it stands (sql[len] is NUL),
 * so a failure can be placed exactly: SQLite gives the offset inside the
 * failing statement, we add where it starts. */
static int sq_execute(void *state, const char *sql, size_t len, flux_error *err)
{
	struct sq *s = state;
	int rc = sq_need_db(s, err);
	if (rc)
		return rc;
	s->marks_state = SQ_MARKS_UNKNOWN; /* the SQL may make or drop any table */
	for (const char *p = sql, *end = sql + len; p < end;) {
		if (s->cancelled)
			return s->host->error_set(err, FLUX_ERR_BACKEND, "interrupted before "
						  "its next statement");
		sqlite3_stmt *st = NULL;
		const char *tail = NULL;
		/* -1: up to the NUL.  A length short of it would make SQLite
		 * copy the whole rest of the script for every statement, which
		 * is quadratic in the migration's size. */
		rc = sqlite3_prepare_v2(s->db, p, -1, &st, &tail);
		if (rc == SQLITE_OK && (!tail || tail <= p)) {
			/* Only a NUL inside could do it; never loop on it. */
			sqlite3_finalize(st);
			s->host->error_set(err, FLUX_ERR_BACKEND, "SQLite stopped reading the "
					   "SQL before its end");
			err->position = (long)(p - sql) + 1;
			return FLUX_ERR_BACKEND;
		}
		if (rc == SQLITE_OK && !st) {
			p = tail;
			continue; /* only blanks or comments */
		}
		if (rc == SQLITE_OK) {
			while ((rc = sqlite3_step(st)) == SQLITE_ROW)
				;
			if (rc == SQLITE_DONE) {
				sqlite3_finalize(st);
				p = tail;
				continue;
			}
		}
		/* A failed prepare counts its offset from p, a failed step from
		 * the statement's first non-blank byte. */
		int off = sqlite3_error_offset(s->db);
		sq_db_error(s, err, NULL);
		if (st || off < 0)
			while (p < end && blank(*p))
				p++;
		sqlite3_finalize(st);
		err->position = (long)(p - sql) + (off >= 0 ? off : 0) + 1;
		return FLUX_ERR_BACKEND;
	}
	return FLUX_OK;
}

/* The statement's head, as sqlite3_complete() reads it: a CREATE
 * [TEMP|TEMPORARY] TRIGGER (after EXPLAIN [QUERY PLAN] or not) has a
 * body whose own semicolons do not end it; "; END ;" does. */
enum head { H_START, H_EXPLAIN, H_CREATE, H_TRIGGER, H_OTHER };

static int word_is(const char *w, size_t n, const char *kw)
{
	return strlen(kw) == n && !sqlite3_strnicmp(w, kw, (int)n);
}

/* w[n] is the next token; n is 0 for one that is not a word. */
static enum head next_head(enum head h, const char *w, size_t n)
{
	int create = word_is(w, n, "create");
	switch (h) {
	case H_START:
		return create ? H_CREATE : word_is(w, n, "explain") ? H_EXPLAIN : H_OTHER;
	case H_EXPLAIN:
		return create ? H_CREATE
		       : word_is(w, n, "explain") || word_is(w, n, "temp") ||
			 word_is(w, n, "temporary") || word_is(w, n, "trigger") ||
			 word_is(w, n, "end") ? H_OTHER : H_EXPLAIN;
	case H_CREATE:
		return word_is(w, n, "temp") || word_is(w, n, "temporary") ? H_CREATE
		       : word_is(w, n, "trigger") ? H_TRIGGER : H_OTHER;
	default:
		return h;
	}
}

static int ident(char c, int first)
{
	return c == '_' || (unsigned char)c >= 0x80 || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
	       (!first && ((c >= '0' && c <= '9') || c == '$'));
}

/* SQLite's statements: ';' outside '...', "...", `...`, [...], -- and
 * block comments (which do not nest) and trigger bodies; each from its
 * first to its last byte that is neither blank nor comment.  Linear: each
 * byte is read once. */
static int sq_split(void *state, const char *sql, size_t len, flux_statement_fn fn,
		    void *ctx, flux_error *err)
{
	(void)state;
	(void)err;
	const size_t none = (size_t)-1;
	size_t i = 0, first = none, last = 0; /* the statement's first byte, past its last */
	enum head h = H_START;
	int semi = 0, end = 0; /* in a trigger body: after ';', after "; END" */
	while (i <= len) {
		char c = i < len ? sql[i] : ';';
		if (c == ';' && (h != H_TRIGGER || end || i == len)) {
			int rc = first == none ? 0 : fn(ctx, first, last - first);
			if (rc)
				return rc;
			first = none;
			h = H_START;
			semi = end = 0;
			i++;
			continue;
		}
		if (c == '-' && i + 1 < len && sql[i + 1] == '-') {
			while (i < len && sql[i] != '\n')
				i++;
			continue;
		}
		if (c == '/' && i + 1 < len && sql[i + 1] == '*') {
			size_t j = i + 2;
			while (j + 1 < len && !(sql[j] == '*' && sql[j + 1] == '/'))
				j++;
			i = j + 1 < len ? j + 2 : len;
			continue;
		}
		if (blank(c)) {
			i++;
			continue;
		}
		if (first == none)
			first = i;
		size_t w = i++;
		if (c == '\'' || c == '"' || c == '`' || c == '[') {
			char close = c == '[' ? ']' : c;
			/* A doubled quote stands for itself; [] has no escape. */
			for (; i < len; i++) {
				if (sql[i] != close)
					continue;
				if (c == '[' || i + 1 == len || sql[i + 1] != close)
					break;
				i++;
			}
			i = i < len ? i + 1 : len;
		} else if (ident(c, 1)) {
			while (i < len && ident(sql[i], 0))
				i++;
		}
		size_t wl = ident(c, 1) ? i - w : 0;
		last = i;
		if (h != H_TRIGGER) {
			h = next_head(h, sql + w, wl);
		} else if (c == ';') {
			semi = 1;
		} else {
			end = semi && word_is(sql + w, wl, "end");
			semi = 0;
		}
	}
	return FLUX_OK;
}

/* sqlite3_interrupt() may be called from any thread; the running
 * statement fails with SQLITE_INTERRUPT and its transaction rolls back.
 * It stops only what runs, so the flag stops execute() before its next
 * statement; it lasts until the next connect(). */
static void sq_cancel(void *state)
{
	struct sq *s = state;
	s->cancelled = 1;
	sqlite3 *db = s->db;
	if (db)
		sqlite3_interrupt(db);
}

static const struct flux_backend sqlite_backend = {
	FLUX_BACKEND_HEADER_INIT,
	.name = "sqlite",
	.description = "SQLite database files, embedded (sqlite:PATH)",
	.capabilities = FLUX_CAP_TRANSACTIONAL_DDL,
	.create = sq_create,
	.destroy = sq_destroy,
	.connect = sq_connect,
	.disconnect = sq_disconnect,
	.try_lock = sq_try_lock,
	.unlock = sq_unlock,
	.describe_lock = sq_describe_lock,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.is_initialized = sq_is_initialized,
	.initialize = sq_initialize,
	.register_migration = sq_register,
	.unregister_migration = sq_unregister,
	.list_applied = sq_list_applied,
	.mark_save = sq_mark_save,
	.mark_delete = sq_mark_delete,
	.list_marks = sq_list_marks,
	.execute = sq_execute,
	.split = sq_split,
	.cancel = sq_cancel,
	.redact_uri = sq_redact_uri,
	.describe_sql = sq_describe_sql,
};

FLUX_BACKEND_EXPORT flux_backend_register flux_sqlite_backend;

int flux_sqlite_backend(const struct flux_host *host, const struct flux_backend **out,
			flux_error *err)
{
	/* Every 2.x host has option_identifier; the check is the pattern
	 * for a service a later minor adds: the host's table grows at the
	 * end, so read only what its size covers, and say what is missing. */
	if (!FLUX_HOST_HAS(host, option_identifier))
		return host->error_set(err, FLUX_ERR_UNSUPPORTED, "the host offers no "
				       "option_identifier service (the SQLite backend needs a "
				       "flux built for backend ABI 2.0 or later)");
	*out = &sqlite_backend;
	return FLUX_OK;
}
