/* SPDX-License-Identifier: MIT */
/* The MariaDB/MySQL backend, over MariaDB Connector/C, built against
 * <flux/backend.h> alone as any third party's backend would be.
 *
 * DDL commits implicitly here, so the backend does not claim transactional
 * DDL: the host runs every migration statement by statement (split by
 * mdb_split.c, the client's own rules), with a mark saved after each, and
 * records it in a transaction of its own.  The record and mark tables are
 * InnoDB whatever the server's default engine, so that transaction is
 * real. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mysqld_error.h>

#include "mdb_state.h"

static int nomem(struct mdb *m, flux_error *err)
{
	return m->host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
}

/* Printable, at most 64 characters: the server's limit for lock names. */
static int valid_lock_name(const char *s)
{
	size_t chars = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < ' ' || *p == 0x7f)
			return 0;
		chars += (*p & 0xC0) != 0x80;
	}
	return chars >= 1 && chars <= 64;
}

static int valid_group(const char *s)
{
	if (!*s || strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return 0;
	return 1;
}

static char *quote_table(const char *schema, const char *table)
{
	size_t n = strlen(schema) + strlen(table) + 6;
	char *q = malloc(n);
	if (q) {
		if (schema[0])
			snprintf(q, n, "`%s`.`%s`", schema, table);
		else
			snprintf(q, n, "`%s`", table);
	}
	return q;
}

static void mdb_destroy(void *state)
{
	struct mdb *m = state;
	if (m->conn)
		mysql_close(m->conn);
	mdb_uri_free(&m->uri);
	free(m->table_q);
	free(m->marks_q);
	free(m->lock_name);
	free(m);
}

static int read_options(const struct flux_host *host, const struct flux_options *opts,
			struct mdb *m, flux_error *err)
{
	/* The marks table's name (<table>_incomplete) must fit the server's
	 * 64 characters too. */
	int rc = host->option_identifier(opts, "migrations_table", "_flux_migrations", 53,
					 &m->table, err);
	if (!rc)
		rc = host->option_identifier(opts, "migrations_schema", "", 64, &m->schema, err);
	if (!rc)
		rc = host->option_string(opts, "migrations_lock_name", NULL, &m->lock_opt, err);
	if (!rc)
		rc = host->option_string(opts, "option_file", NULL, &m->option_file, err);
	if (!rc)
		rc = host->option_string(opts, "option_group", "flux", &m->option_group, err);
	if (rc)
		return rc;
	if (m->lock_opt && !valid_lock_name(m->lock_opt))
		return host->option_error(opts, "migrations_lock_name", err, "[backend] "
					  "migrations_lock_name must be 1 to 64 printable "
					  "characters");
	if (!valid_group(m->option_group))
		return host->option_error(opts, "option_group", err, "[backend] option_group "
					  "'%s' must match ^[A-Za-z0-9_-]+$ (at most 64)",
					  m->option_group);
	if (m->option_file && (!m->option_file[0] || access(m->option_file, R_OK)))
		return host->option_error(opts, "option_file", err, "[backend] option_file "
					  "'%s' cannot be read: %s", m->option_file,
					  m->option_file[0] ? strerror(errno) : "empty name");
	return FLUX_OK;
}

static int mdb_create(const struct flux_host *host, const struct flux_options *opts,
		      const char *uri, void **state, flux_error *err)
{
	struct mdb *m = calloc(1, sizeof(*m));
	if (!m)
		return host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
	m->host = host;
	int rc = read_options(host, opts, m, err);
	if (rc) {
		free(m);
		return rc;
	}
	char why[256];
	int prc = mdb_uri_parse(uri, &m->uri, why, sizeof(why));
	if (prc) {
		free(m);
		return prc < 0 ? host->error_set(err, FLUX_ERR_NOMEM, "out of memory")
			       : host->error_set(err, FLUX_ERR_INVALID,
						 "not a MariaDB/MySQL URI: %s", why);
	}
	snprintf(m->marks, sizeof(m->marks), "%s_incomplete", m->table);
	m->table_q = quote_table(m->schema, m->table);
	m->marks_q = quote_table(m->schema, m->marks);
	if (!m->table_q || !m->marks_q) {
		mdb_destroy(m);
		return host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
	}
	*state = m;
	return FLUX_OK;
}

/* The database the record table lives in: migrations_schema, else the
 * connection's (from the URI, else an option file's database=). */
static int record_database(struct mdb *m, char **db, flux_error *err)
{
	*db = NULL;
	if (m->schema[0] || m->uri.database) {
		*db = strdup(m->schema[0] ? m->schema : m->uri.database);
		return *db ? FLUX_OK : nomem(m, err);
	}
	MYSQL_RES *res;
	int rc = mdb_rows(m, "SELECT DATABASE()", &res, "asking for the database", err);
	if (rc)
		return rc;
	MYSQL_ROW r = mysql_fetch_row(res);
	if (r && r[0] && !(*db = strdup(r[0])))
		rc = nomem(m, err);
	mysql_free_result(res);
	if (!rc && !*db) {
		rc = m->host->error_set(err, FLUX_ERR_BACKEND, "no database selected for the "
					"record table");
		m->host->error_hint(err, "name one in the URI (mariadb://host/DATABASE), as "
				    "database= in an option file, or as [backend] "
				    "migrations_schema");
	}
	return rc;
}

static int mdb_connect(void *state, flux_error *err)
{
	struct mdb *m = state;
	char why[512], st[6];
	unsigned int e;
	m->conn = mdb_open(m, 0, why, sizeof(why), &e, st);
	if (!m->conn) {
		m->host->error_set(err, FLUX_ERR_BACKEND, "cannot connect to MariaDB/MySQL: "
				   "error %u: %s", e, why);
		if (strlen(st) == 5 && strcmp(st, "00000") && strcmp(st, "HY000"))
			memcpy(err->sqlstate, st, 6);
		return FLUX_ERR_BACKEND;
	}
	char *db;
	int rc = record_database(m, &db, err);
	if (rc)
		return rc;
	if (m->lock_opt) {
		free(db);
		m->lock_name = strdup(m->lock_opt);
	} else {
		/* Lock names are server-wide: one per database, cut to the
		 * server's 64 characters. */
		size_t n = strlen(db) + 16;
		if ((m->lock_name = malloc(n)))
			snprintf(m->lock_name, n, "flux:%.59s", db);
		free(db);
	}
	if (!m->lock_name)
		return nomem(m, err);
	m->has_marks = -1; /* asked of the server when first needed */
	__atomic_store_n(&m->cancelled, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&m->thread_id, mysql_thread_id(m->conn), __ATOMIC_RELEASE);
	return FLUX_OK;
}

static int mdb_disconnect(void *state, flux_error *err)
{
	struct mdb *m = state;
	__atomic_store_n(&m->thread_id, 0, __ATOMIC_RELEASE);
	if (m->conn)
		mysql_close(m->conn);
	m->conn = NULL;
	return FLUX_OK;
}

static int simple(struct mdb *m, const char *sql, const char *what, flux_error *err)
{
	return mdb_exec(m, sql, strlen(sql), what, err);
}

static int mdb_begin(void *state, flux_error *err)
{
	struct mdb *m = state;
	int rc = simple(m, "START TRANSACTION", NULL, err);
	m->in_txn = !rc;
	return rc;
}

static int mdb_commit(void *state, flux_error *err)
{
	struct mdb *m = state;
	m->in_txn = 0;
	return simple(m, "COMMIT", NULL, err);
}

static int mdb_rollback(void *state, flux_error *err)
{
	struct mdb *m = state;
	m->in_txn = 0;
	return simple(m, "ROLLBACK", NULL, err);
}

static int mdb_is_initialized(void *state, int *init, flux_error *err)
{
	struct mdb *m = state;
	struct mdb_buf b = {0};
	mdb_buf_str(&b, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ");
	if (m->schema[0])
		mdb_buf_literal(&b, m->schema);
	else
		mdb_buf_str(&b, "DATABASE()");
	mdb_buf_str(&b, " AND TABLE_NAME IN (");
	mdb_buf_literal(&b, m->table);
	mdb_buf_str(&b, ", ");
	mdb_buf_literal(&b, m->marks);
	mdb_buf_str(&b, ")");
	if (b.oom) {
		mdb_buf_free(&b);
		return nomem(m, err);
	}
	MYSQL_RES *res;
	int rc = mdb_rows(m, b.s, &res, "looking for the record table", err);
	mdb_buf_free(&b);
	if (rc)
		return rc;
	*init = 0;
	m->has_marks = 0;
	MYSQL_ROW r;
	while ((r = mysql_fetch_row(res))) {
		if (r[0] && !strcmp(r[0], m->table))
			*init = 1;
		else if (r[0] && !strcmp(r[0], m->marks))
			m->has_marks = 1;
	}
	mysql_free_result(res);
	return FLUX_OK;
}

/* The statements initialize() sends, one by one (no multi-statements). */
static int init_sql(struct mdb *m, int n, struct mdb_buf *b)
{
	switch (n) {
	case 0:
		if (!m->schema[0])
			return 0;
		mdb_buf_str(b, "CREATE DATABASE IF NOT EXISTS `");
		mdb_buf_str(b, m->schema);
		mdb_buf_str(b, "`");
		return 1;
	case 1:
		/* Ids compare and sort as bytes (utf8mb4_bin), as file names do. */
		mdb_buf_str(b, "CREATE TABLE IF NOT EXISTS ");
		mdb_buf_str(b, m->table_q);
		mdb_buf_str(b, " (id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin "
			    "NOT NULL PRIMARY KEY, hash VARCHAR(64) NOT NULL, applied_at "
			    "DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)) ENGINE=InnoDB");
		return 1;
	case 2:
		mdb_buf_str(b, "CREATE TABLE IF NOT EXISTS ");
		mdb_buf_str(b, m->marks_q);
		mdb_buf_str(b, " (id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin "
			    "NOT NULL PRIMARY KEY, direction VARCHAR(16) NOT NULL, started_at "
			    "DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), progress TEXT "
			    "NOT NULL, resume LONGTEXT NOT NULL) ENGINE=InnoDB CHARACTER SET "
			    "utf8mb4");
		return 1;
	}
	return -1;
}

static int mdb_initialize(void *state, flux_error *err)
{
	struct mdb *m = state;
	int rc = FLUX_OK;
	for (int i = 0; !rc; i++) {
		struct mdb_buf b = {0};
		int more = init_sql(m, i, &b);
		if (more < 0)
			break;
		if (b.oom)
			rc = nomem(m, err);
		else if (more)
			rc = mdb_exec(m, b.s, b.len, "creating the record table", err);
		mdb_buf_free(&b);
	}
	if (!rc)
		m->has_marks = 1;
	return rc;
}

static void record_sql(struct mdb *m, int kind, const char *id, const char *hash,
		       struct mdb_buf *b)
{
	if (kind == FLUX_SQL_REGISTER) {
		mdb_buf_str(b, "INSERT INTO ");
		mdb_buf_str(b, m->table_q);
		mdb_buf_str(b, " (id, hash) VALUES (");
		mdb_buf_literal(b, id);
		mdb_buf_str(b, ", ");
		mdb_buf_literal(b, hash);
		mdb_buf_str(b, ")");
	} else {
		mdb_buf_str(b, "DELETE FROM ");
		mdb_buf_str(b, kind == FLUX_SQL_UNREGISTER ? m->table_q : m->marks_q);
		mdb_buf_str(b, " WHERE id = ");
		mdb_buf_literal(b, id);
	}
}

static int run_built(struct mdb *m, struct mdb_buf *b, const char *what, flux_error *err)
{
	int rc = b->oom ? nomem(m, err) : mdb_exec(m, b->s, b->len, what, err);
	mdb_buf_free(b);
	return rc;
}

/* An id the record table cannot hold whole is refused, not cut: a cut id
 * would match no file afterwards. */
static int id_fits(struct mdb *m, const char *id, flux_error *err)
{
	size_t chars = 0;
	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		chars += (*p & 0xC0) != 0x80;
	if (chars <= 255)
		return FLUX_OK;
	return m->host->error_set(err, FLUX_ERR_BACKEND, "migration id of %zu characters: the "
				  "record table holds at most 255", chars);
}

static int mdb_register(void *state, const char *id, const char *hash, flux_error *err)
{
	struct mdb *m = state;
	int rc = id_fits(m, id, err);
	if (rc)
		return rc;
	struct mdb_buf b = {0};
	record_sql(m, FLUX_SQL_REGISTER, id, hash, &b);
	return run_built(m, &b, "recording the migration", err);
}

static int mdb_unregister(void *state, const char *id, flux_error *err)
{
	struct mdb *m = state;
	struct mdb_buf b = {0};
	record_sql(m, FLUX_SQL_UNREGISTER, id, NULL, &b);
	return run_built(m, &b, "deleting the migration record", err);
}

static int mdb_list_applied(void *state, flux_applied_fn fn, void *ctx, flux_error *err)
{
	struct mdb *m = state;
	char sql[256];
	/* In table order (backend.h): the host sorts by id in byte order. */
	snprintf(sql, sizeof(sql), "SELECT id, hash, applied_at FROM %s", m->table_q);
	MYSQL_RES *res;
	int rc = mdb_rows(m, sql, &res, "reading applied migrations", err);
	if (rc)
		return rc;
	MYSQL_ROW r;
	while (!rc && (r = mysql_fetch_row(res)))
		rc = fn(ctx, r[0] ? r[0] : "", r[1] ? r[1] : "", r[2] ? r[2] : "");
	mysql_free_result(res);
	return rc;
}

static void mark_sql(struct mdb *m, const struct flux_mark *mk, struct mdb_buf *b)
{
	mdb_buf_str(b, "INSERT INTO ");
	mdb_buf_str(b, m->marks_q);
	mdb_buf_str(b, " (id, direction, progress, resume) VALUES (");
	mdb_buf_literal(b, mk->id);
	mdb_buf_str(b, mk->direction == FLUX_MARK_ROLLBACK ? ", 'rollback', " : ", 'apply', ");
	mdb_buf_literal(b, mk->progress ? mk->progress : "");
	mdb_buf_str(b, ", ");
	mdb_buf_literal(b, mk->resume ? mk->resume : "");
	mdb_buf_str(b, ") ON DUPLICATE KEY UPDATE direction = VALUES(direction), progress = "
		    "VALUES(progress), resume = VALUES(resume)");
}

/* Learn whether the marks table exists when this connection has not asked
 * yet: a state whose caller went to the marks without is_initialized()
 * (which the host always calls first) listed no marks and deleted none
 * when the table was there, made by another connection (a dry run's
 * script run in the client).  The PostgreSQL backend probes the same way. */
static int know_marks(struct mdb *m, flux_error *err)
{
	int init;
	return m->has_marks >= 0 ? FLUX_OK : mdb_is_initialized(m, &init, err);
}

static int mdb_mark_save(void *state, const struct flux_mark *mk, flux_error *err)
{
	struct mdb *m = state;
	int rc = id_fits(m, mk->id, err);
	if (!rc)
		rc = know_marks(m, err);
	if (rc)
		return rc;
	if (!m->has_marks) {
		/* CREATE commits: never inside the host's transaction. */
		if (m->in_txn)
			return m->host->error_set(err, FLUX_ERR_BACKEND, "the marks table %s is "
						  "missing and cannot be created inside a "
						  "transaction", m->marks_q);
		struct mdb_buf b = {0};
		init_sql(m, 2, &b);
		if ((rc = run_built(m, &b, "creating the marks table", err)))
			return rc;
		m->has_marks = 1;
	}
	struct mdb_buf b = {0};
	mark_sql(m, mk, &b);
	return run_built(m, &b, "saving the migration's mark", err);
}

static int mdb_mark_delete(void *state, const char *id, flux_error *err)
{
	struct mdb *m = state;
	int rc = know_marks(m, err);
	if (rc || !m->has_marks)
		return rc;
	struct mdb_buf b = {0};
	record_sql(m, FLUX_SQL_MARK_DELETE, id, NULL, &b);
	return run_built(m, &b, "clearing the migration's mark", err);
}

static int mdb_list_marks(void *state, flux_mark_fn fn, void *ctx, flux_error *err)
{
	struct mdb *m = state;
	int rc = know_marks(m, err);
	if (rc || !m->has_marks)
		return rc;
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT id, direction, started_at, progress, resume FROM %s "
		 "ORDER BY CAST(id AS BINARY)", m->marks_q);
	MYSQL_RES *res;
	rc = mdb_rows(m, sql, &res, "reading the marks of unfinished migrations", err);
	if (rc)
		return rc;
	MYSQL_ROW r;
	while (!rc && (r = mysql_fetch_row(res))) {
		struct flux_mark mk = {
			.id = r[0] ? r[0] : "",
			.direction = r[1] && !strcmp(r[1], "rollback") ? FLUX_MARK_ROLLBACK
								       : FLUX_MARK_APPLY,
			.started_at = r[2] ? r[2] : "",
			.progress = r[3] ? r[3] : "",
			.resume = r[4] ? r[4] : "",
		};
		rc = fn(ctx, &mk);
	}
	mysql_free_result(res);
	return rc;
}

/* One query: the statement, its result sets read. */
static int run_query(struct mdb *m, const char *sql, size_t len, flux_error *err)
{
	int rc;
	if (!mysql_real_query(m->conn, sql, len))
		rc = mdb_drain(m, NULL, err);
	else if (mysql_errno(m->conn) == ER_EMPTY_QUERY)
		rc = FLUX_OK; /* nothing but comments: nothing to run */
	else
		rc = mdb_fail(m, err, NULL);
	if (rc && mysql_errno(m->conn))
		err->position = mdb_error_position(sql, len, mysql_errno(m->conn),
						   mysql_error(m->conn));
	return rc;
}

struct pieces {
	size_t n, cap;
	size_t (*v)[2];
};

static int add_piece(void *ctx, size_t offset, size_t len)
{
	struct pieces *p = ctx;
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 16;
		size_t(*v)[2] = realloc(p->v, cap * sizeof(*v));
		if (!v)
			return FLUX_ERR_NOMEM;
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n][0] = offset;
	p->v[p->n][1] = len;
	p->n++;
	return 0;
}

/* The migration's own SQL is not sent after a cancel: a KILL QUERY that
 * reached the server while this connection ran nothing was forgotten
 * there, and one that stopped a statement must stop the rest as well.
 * (The host's own bookkeeping, begin to commit, still runs.) */
static int cancelled(struct mdb *m, flux_error *err)
{
	if (!__atomic_load_n(&m->cancelled, __ATOMIC_ACQUIRE))
		return FLUX_OK;
	m->host->error_set(err, FLUX_ERR_BACKEND, "Query execution was interrupted (cancelled "
			   "before it was sent)");
	memcpy(err->sqlstate, "70100", 6); /* ER_QUERY_INTERRUPTED's */
	return FLUX_ERR_BACKEND;
}

/* The host hands one statement at a time (split()'s pieces), which goes
 * as it is, in one query: with multi-statements off, a routine's body
 * with its semicolons is one statement to the server.  Text holding
 * several statements (a script) fails to parse as one before anything
 * runs; then it is cut by the client's rules and run statement by
 * statement, as the mariadb client would run it. */
static int mdb_execute(void *state, const char *sql, size_t len, flux_error *err)
{
	struct mdb *m = state;
	if (cancelled(m, err))
		return FLUX_ERR_BACKEND;
	int rc = run_query(m, sql, len, err);
	if (rc != FLUX_ERR_BACKEND || mysql_errno(m->conn) != ER_PARSE_ERROR)
		return rc;
	struct pieces p = {0};
	size_t bad;
	const char *why;
	if (mdb_split(sql, len, add_piece, &p, &bad, &why) || p.n < 2) {
		free(p.v);
		return rc; /* one statement after all: its own error */
	}
	flux_error first = *err;
	for (size_t i = 0; i < p.n; i++) {
		if ((rc = cancelled(m, err)))
			break;
		rc = run_query(m, sql + p.v[i][0], p.v[i][1], err);
		if (!rc)
			continue;
		if (i == 0 && mysql_errno(m->conn) == ER_PARSE_ERROR)
			*err = first; /* nothing ran: the whole text's error */
		else if (err->position)
			err->position += (long)p.v[i][0];
		else
			err->position = (long)p.v[i][0] + 1;
		break;
	}
	free(p.v);
	if (!rc)
		memset(err, 0, sizeof(*err)); /* the whole text's error is void */
	return rc;
}

struct split_ctx {
	flux_statement_fn fn;
	void *ctx;
};

static int split_one(void *c, size_t offset, size_t len)
{
	struct split_ctx *s = c;
	return s->fn(s->ctx, offset, len);
}

static int mdb_split_op(void *state, const char *sql, size_t len, flux_statement_fn fn,
			void *ctx, flux_error *err)
{
	struct mdb *m = state;
	struct split_ctx s = {fn, ctx};
	size_t bad = 0;
	const char *why = NULL;
	int rc = mdb_split(sql, len, split_one, &s, &bad, &why);
	if (rc != MDB_SPLIT_BAD)
		return rc;
	m->host->error_set(err, FLUX_ERR_BACKEND, "%s", why);
	err->position = (long)bad + 1;
	return FLUX_ERR_BACKEND;
}

static size_t mdb_redact(const char *uri, char *out, size_t size)
{
	return mdb_uri_redact(uri, out, size);
}

/* Hand fn one statement with its terminator, as the mariadb client takes
 * it; frees b. */
static int describe_one(struct mdb *m, struct mdb_buf *b, flux_text_fn fn, void *ctx,
			flux_error *err)
{
	mdb_buf_str(b, ";");
	int rc = b->oom ? nomem(m, err) : fn(ctx, b->s, b->len);
	mdb_buf_free(b);
	return rc;
}

/* One statement of a migration as the mariadb client runs it from a
 * script: a body holding ';' (a routine, a trigger) between DELIMITER
 * lines, with a delimiter the statement does not contain, as mysqldump
 * writes them; frees nothing, b is empty on entry. */
static int describe_statement(struct mdb *m, const struct flux_step *step, struct mdb_buf *b,
			      flux_text_fn fn, void *ctx, flux_error *err)
{
	mdb_buf_add(b, step->sql, step->len);
	if (!memchr(step->sql, ';', step->len))
		return describe_one(m, b, fn, ctx, err);
	static const char *const delimiters[] = {";;", "$$", "//", "@@", "~~"};
	char made[32] = "";
	const char *d = NULL;
	for (size_t i = 0; !d && i < sizeof(delimiters) / sizeof(delimiters[0]); i++)
		if (!strstr(step->sql, delimiters[i]))
			d = delimiters[i];
	for (unsigned long n = 1; !d; n++) {
		snprintf(made, sizeof(made), "$$%lu$$", n);
		if (!strstr(step->sql, made))
			d = made;
	}
	struct mdb_buf out = {0};
	mdb_buf_str(&out, "DELIMITER ");
	mdb_buf_str(&out, d);
	mdb_buf_str(&out, "\n");
	mdb_buf_add(&out, b->s, b->len);
	mdb_buf_str(&out, d);
	mdb_buf_str(&out, "\nDELIMITER ;\n");
	int oom = out.oom || b->oom;
	mdb_buf_free(b);
	int rc = oom ? nomem(m, err) : fn(ctx, out.s, out.len);
	mdb_buf_free(&out);
	return rc;
}

static int mdb_describe_sql(void *state, int kind, const struct flux_step *step,
			    const struct flux_mark *mark, flux_text_fn fn, void *ctx,
			    flux_error *err)
{
	struct mdb *m = state;
	struct mdb_buf b = {0};
	switch (kind) {
	case FLUX_SQL_BEGIN:
		mdb_buf_str(&b, "START TRANSACTION");
		break;
	case FLUX_SQL_COMMIT:
		mdb_buf_str(&b, "COMMIT");
		break;
	case FLUX_SQL_INITIALIZE:
		for (int i = 0;; i++) {
			int more = init_sql(m, i, &b);
			if (more < 0)
				return FLUX_OK;
			if (more) {
				int rc = describe_one(m, &b, fn, ctx, err);
				if (rc)
					return rc;
			}
		}
	case FLUX_SQL_REGISTER:
	case FLUX_SQL_UNREGISTER:
	case FLUX_SQL_MARK_DELETE:
		if (!step)
			return m->host->error_set(err, FLUX_ERR_INVALID, "describe_sql: no step");
		record_sql(m, kind, step->id, step->hash ? step->hash : "", &b);
		break;
	case FLUX_SQL_MARK_SAVE:
		if (!mark)
			return m->host->error_set(err, FLUX_ERR_INVALID, "describe_sql: no mark");
		if (m->has_marks != 1) { /* absent or not known: IF NOT EXISTS */
			init_sql(m, 2, &b);
			int rc = describe_one(m, &b, fn, ctx, err);
			if (rc)
				return rc;
		}
		mark_sql(m, mark, &b);
		break;
	case FLUX_SQL_STATEMENT:
		if (!step)
			return m->host->error_set(err, FLUX_ERR_INVALID, "describe_sql: no step");
		return describe_statement(m, step, &b, fn, ctx, err);
	default:
		/* RUN_STEP included: this backend has no run_step. */
		return m->host->error_set(err, FLUX_ERR_UNSUPPORTED, "describe_sql: kind %d is "
					  "not one this backend sends", kind);
	}
	return describe_one(m, &b, fn, ctx, err);
}

FLUX_BACKEND_MODULE;

#if defined(__GNUC__)
/* Connector/C allocates process-wide state on first use (character sets,
 * client plugins) and frees it only in mysql_library_end(): done when the
 * module is unloaded (or at exit), when no connection of it is left. */
__attribute__((destructor)) static void mdb_unload(void)
{
	mysql_library_end();
}
#endif

#define MDB_OPERATIONS \
	.capabilities = 0, /* DDL is not transactional: no FLUX_CAP_TRANSACTIONAL_DDL */ \
	.create = mdb_create, .destroy = mdb_destroy, .connect = mdb_connect, \
	.disconnect = mdb_disconnect, .try_lock = mdb_try_lock, .unlock = mdb_unlock, \
	.describe_lock = mdb_describe_lock, .begin = mdb_begin, .commit = mdb_commit, \
	.rollback = mdb_rollback, .is_initialized = mdb_is_initialized, \
	.initialize = mdb_initialize, .register_migration = mdb_register, \
	.unregister_migration = mdb_unregister, .list_applied = mdb_list_applied, \
	.mark_save = mdb_mark_save, .mark_delete = mdb_mark_delete, \
	.list_marks = mdb_list_marks, .execute = mdb_execute, .split = mdb_split_op, \
	.cancel = mdb_cancel, .redact_uri = mdb_redact, .describe_sql = mdb_describe_sql

static const struct flux_backend mariadb_backend = {
	FLUX_BACKEND_HEADER_INIT,
	.name = "mariadb",
	.description = "MariaDB over Connector/C (mariadb://, mysql://; DDL not transactional)",
	MDB_OPERATIONS,
};

static const struct flux_backend mysql_backend = {
	FLUX_BACKEND_HEADER_INIT,
	.name = "mysql",
	.description = "MySQL over MariaDB Connector/C (mysql://, mariadb://; DDL not "
		       "transactional)",
	MDB_OPERATIONS,
};

static int registration(const struct flux_host *host, const struct flux_backend *b,
			const struct flux_backend **out, flux_error *err)
{
	/* Every 2.x host has it; a table shorter than 2.0's is a broken host. */
	if (!FLUX_HOST_HAS(host, option_identifier))
		return host->error_set(err, FLUX_ERR_UNSUPPORTED, "the %s backend needs a flux "
				       "whose backend ABI offers option_identifier (2.0 or "
				       "later)", b->name);
	/* Connector/C 3.0 is the first with the options and calls used here. */
	if (mysql_get_client_version() < 30000)
		return host->error_set(err, FLUX_ERR_UNSUPPORTED, "the %s backend needs MariaDB "
				       "Connector/C 3.0 or later, not %s", b->name,
				       mysql_get_client_info());
	*out = b;
	return FLUX_OK;
}

FLUX_BACKEND_EXPORT flux_backend_register flux_mariadb_backend;
FLUX_BACKEND_EXPORT flux_backend_register flux_mysql_backend;

int flux_mariadb_backend(const struct flux_host *host, const struct flux_backend **out,
			 flux_error *err)
{
	return registration(host, &mariadb_backend, out, err);
}

int flux_mysql_backend(const struct flux_host *host, const struct flux_backend **out,
		       flux_error *err)
{
	return registration(host, &mysql_backend, out, err);
}
