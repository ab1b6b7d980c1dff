/* SPDX-License-Identifier: MIT */
/* The PostgreSQL backend, over libpq; a drop-in for databases the Python
 * tool manages: same record table, same advisory lock.
 *
 * Each migration with its record goes to the server as one simple-query
 * message (BEGIN; migration; INSERT record; COMMIT): one round trip per
 * migration, and the server runs it all or none of it.
 *
 * No-transaction migrations leave a mark in a side table, <table>_incomplete
 * (created on first use, beside the record table), from before their first
 * statement until their record is written; the Python tool never reads it. */
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <flux/backend.h>

#include "pg.h"

struct pg {
	const struct flux_host *host;
	char *conninfo;
	char *schema_q;    /* quoted identifiers */
	char *table_q;
	const char *schema;
	const char *table;
	long long lock_id;
	PGconn *conn;
	PGcancel *cancel;  /* for pg_cancel(), from a signal handler */
	char marks[64];    /* the marks table's name, and quoted with schema */
	char *marks_q;
	int has_marks;     /* the marks table exists */
	char *mark_id;     /* the migration mark_begin() was last called for */
	struct pg_secrets secrets; /* hidden from every libpq message shown */
};

static int valid_ident(const char *t)
{
	if (!*t || strlen(t) > 63)
		return 0;
	for (; *t; t++)
		if (!(*t == '_' || (*t >= '0' && *t <= '9') || (*t >= 'a' && *t <= 'z') ||
		      (*t >= 'A' && *t <= 'Z')))
			return 0;
	return 1;
}

/* The server counts positions in characters; flux in bytes. */
static long char_to_byte(const char *s, size_t len, long chars)
{
	size_t i = 0;
	for (long c = 1; c < chars && i < len; c++) {
		i++;
		while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80)
			i++;
	}
	return (long)i + 1;
}

static int lost(struct pg *g)
{
	return PQstatus(g->conn) == CONNECTION_BAD;
}

/* Fill err from a failed result (res may be NULL). */
static int pg_error(struct pg *g, PGresult *res, flux_error *err, const char *what)
{
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *msg = primary ? primary : PQerrorMessage(g->conn);
	char clean[FLUX_ERROR_MESSAGE_MAX];
	/* The server's words concern the SQL; libpq's own may quote the
	 * connection string. */
	if (primary || !msg || !*msg)
		snprintf(clean, sizeof(clean), "%s", msg && *msg ? msg : "unknown error");
	else
		pg_scrub(&g->secrets, msg, clean, sizeof(clean));
	clean[strcspn(clean, "\n")] = '\0';
	int code = lost(g) ? FLUX_ERR_CONNECTION : FLUX_ERR_BACKEND;
	g->host->error_set(err, code, "%s%s%s", what ? what : "", what ? ": " : "", clean);
	if (res) {
		const char *f;
		if ((f = PQresultErrorField(res, PG_DIAG_SQLSTATE)))
			snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", f);
		if ((f = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL)))
			snprintf(err->detail, sizeof(err->detail), "%s", f);
		if ((f = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT)))
			snprintf(err->hint, sizeof(err->hint), "%s", f);
		if ((f = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION)))
			err->position = atol(f);
	}
	if (code == FLUX_ERR_CONNECTION && !err->hint[0])
		snprintf(err->hint, sizeof(err->hint), "the connection to the server was "
			 "lost; the record table shows exactly what committed (flux status)");
	return code;
}

static int exec_ok(struct pg *g, const char *sql, flux_error *err, const char *what)
{
	PGresult *res = PQexec(g->conn, sql);
	ExecStatusType st = PQresultStatus(res);
	int rc = FLUX_OK;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		rc = pg_error(g, res, err, what);
	PQclear(res);
	return rc;
}

static PGresult *exec_params(struct pg *g, const char *sql, int n, const char *const *v)
{
	return PQexecParams(g->conn, sql, n, NULL, v, NULL, NULL, 0);
}

/* Run a command built around one quoted table name (the %s in fmt) with
 * text parameters; what names it in an error. */
static int exec_on(struct pg *g, const char *fmt, const char *table_q, int n,
		   const char *const *v, const char *what, flux_error *err)
{
	char sql[256];
	snprintf(sql, sizeof(sql), fmt, table_q);
	PGresult *res = exec_params(g, sql, n, v);
	int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? FLUX_OK : pg_error(g, res, err, what);
	PQclear(res);
	return rc;
}

/* The rows of a query built around one quoted table name, or NULL with err
 * filled. */
static PGresult *rows_of(struct pg *g, const char *fmt, const char *table_q, const char *what,
			 flux_error *err)
{
	char sql[256];
	snprintf(sql, sizeof(sql), fmt, table_q);
	PGresult *res = PQexec(g->conn, sql);
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		return res;
	pg_error(g, res, err, what);
	PQclear(res);
	return NULL;
}

/* The passwords in the URI as the user wrote it, and as libpq reads it;
 * a string libpq cannot parse is refused here, its message scrubbed
 * (libpq quotes the whole URI in it). */
static int find_secrets(struct pg *g, const struct flux_host *host, const char *uri,
			const char *conninfo, flux_error *err)
{
	if (pg_secrets_find(&g->secrets, uri) < 0 || pg_secrets_find(&g->secrets, conninfo) < 0)
		return host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
	char *why = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &why);
	if (!opts) {
		char msg[FLUX_ERROR_MESSAGE_MAX];
		pg_scrub(&g->secrets, why ? why : "out of memory", msg, sizeof(msg));
		msg[strcspn(msg, "\n")] = '\0';
		PQfreemem(why);
		return host->error_set(err, FLUX_ERR_INVALID,
				       "invalid PostgreSQL connection string: %s", msg);
	}
	int rc = FLUX_OK;
	for (PQconninfoOption *o = opts; o->keyword && !rc; o++)
		if (o->val && (!strcmp(o->keyword, "password") ||
			       !strcmp(o->keyword, "sslpassword")))
			rc = pg_secrets_add(&g->secrets, o->val) < 0;
	PQconninfoFree(opts);
	return rc ? host->error_set(err, FLUX_ERR_NOMEM, "out of memory") : FLUX_OK;
}

static int pg_create(const struct flux_host *host, const struct flux_options *opts,
		     const char *uri, void **state, flux_error *err)
{
	const char *schema, *table;
	long long lock_id;
	int rc = host->option_string(opts, "migrations_schema", "public", &schema, err);
	if (!rc)
		rc = host->option_string(opts, "migrations_table", "_flux_migrations", &table, err);
	if (!rc)
		rc = host->option_int(opts, "migrations_lock_id", 3589, &lock_id, err);
	if (rc)
		return rc;
	/* Built in: installed with its host, so option_error (ABI 1.1) is
	 * there without a FLUX_HOST_HAS check. */
	if (!valid_ident(table))
		return host->option_error(opts, "migrations_table", err, "[backend] "
					  "migrations_table '%s' must match ^[A-Za-z0-9_]+$ "
					  "(at most 63)", table);
	if (!valid_ident(schema))
		return host->option_error(opts, "migrations_schema", err, "[backend] "
					  "migrations_schema '%s' must match ^[A-Za-z0-9_]+$ "
					  "(at most 63)", schema);
	char *conninfo = pg_uri_normalize(uri);
	if (!conninfo)
		return host->error_set(err, FLUX_ERR_INVALID,
				       "not a PostgreSQL connection string (expected "
				       "postgresql://, postgres://, postgresql+asyncpg://, "
				       "postgresql+aiopg:// or key=value pairs)");
	struct pg *g = calloc(1, sizeof(*g));
	if (!g) {
		free(conninfo);
		return host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
	}
	rc = find_secrets(g, host, uri, conninfo, err);
	if (rc) {
		pg_secrets_free(&g->secrets);
		free(conninfo);
		free(g);
		return rc;
	}
	g->host = host;
	g->conninfo = conninfo;
	g->schema = schema;
	g->table = table;
	g->lock_id = lock_id;
	/* Validated above to plain identifiers; quoting keeps the case the
	 * Python tool's psycopg Identifier() kept. */
	/* PostgreSQL would silently cut a name beyond 63 bytes; cut it here so
	 * the name flux uses is the name the server has. */
	snprintf(g->marks, sizeof(g->marks), "%.52s_incomplete", table);
	g->schema_q = malloc(strlen(schema) + 3);
	g->table_q = malloc(strlen(schema) + strlen(table) + 6);
	g->marks_q = malloc(strlen(schema) + strlen(g->marks) + 6);
	if (!g->schema_q || !g->table_q || !g->marks_q) {
		free(g->schema_q);
		free(g->table_q);
		free(g->marks_q);
		pg_secrets_free(&g->secrets);
		free(conninfo);
		free(g);
		return host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
	}
	sprintf(g->schema_q, "\"%s\"", schema);
	sprintf(g->table_q, "\"%s\".\"%s\"", schema, table);
	sprintf(g->marks_q, "\"%s\".\"%s\"", schema, g->marks);
	*state = g;
	return FLUX_OK;
}

static void pg_destroy(void *state)
{
	struct pg *g = state;
	if (g->cancel)
		PQfreeCancel(g->cancel);
	if (g->conn)
		PQfinish(g->conn);
	free(g->conninfo);
	free(g->schema_q);
	free(g->table_q);
	free(g->marks_q);
	free(g->mark_id);
	pg_secrets_free(&g->secrets);
	free(g);
}

static void quiet(void *arg, const PGresult *res) { (void)arg; (void)res; }

static int pg_connect(void *state, flux_error *err)
{
	struct pg *g = state;
	const char *const keys[] = {"dbname", "fallback_application_name", "client_encoding",
				    NULL};
	const char *const vals[] = {g->conninfo, "flux", "UTF8", NULL};
	g->conn = PQconnectdbParams(keys, vals, 1);
	if (!g->conn)
		return g->host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
	if (PQstatus(g->conn) != CONNECTION_OK) {
		/* libpq's message names host, port and user; a password only
		 * when a malformed URI put a piece of it where a host or port
		 * goes: scrubbed. */
		char msg[FLUX_ERROR_MESSAGE_MAX];
		pg_scrub(&g->secrets, PQerrorMessage(g->conn), msg, sizeof(msg));
		size_t l = strlen(msg);
		while (l && (msg[l - 1] == '\n' || msg[l - 1] == ' '))
			msg[--l] = '\0';
		for (char *p = msg; *p; p++)
			if (*p == '\n')
				*p = ' ';
		return g->host->error_set(err, FLUX_ERR_BACKEND,
					  "cannot connect to PostgreSQL: %s", msg);
	}
	/* NOTICEs (e.g. "schema already exists, skipping") are not ours to print. */
	PQsetNoticeReceiver(g->conn, quiet, NULL);
	g->cancel = PQgetCancel(g->conn);
	return FLUX_OK;
}

static int pg_disconnect(void *state, flux_error *err)
{
	struct pg *g = state;
	if (g->cancel)
		PQfreeCancel(g->cancel);
	g->cancel = NULL;
	if (g->conn)
		PQfinish(g->conn);
	g->conn = NULL;
	return FLUX_OK;
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Who holds our advisory lock: pg_advisory_lock(bigint) appears in pg_locks
 * with the key's high half in classid, low half in objid and objsubid 1. */
static void describe_holder(struct pg *g, char *out, size_t n)
{
	char key[32];
	snprintf(key, sizeof(key), "%lld", g->lock_id);
	const char *v[] = {key};
	PGresult *res = exec_params(g,
		"SELECT a.pid, coalesce(a.application_name, ''), "
		"coalesce(to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ'), '') "
		"FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
		"WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
		"AND l.classid::bigint = (($1::bigint >> 32) & 4294967295) "
		"AND l.objid::bigint = ($1::bigint & 4294967295) "
		"AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
		"LIMIT 1", 1, v);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		snprintf(out, n, "pid %s, application_name '%s', started %s",
			 PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
	else
		snprintf(out, n, "holder not visible to this role");
	PQclear(res);
}

static int pg_lock(void *state, double timeout, flux_error *err)
{
	struct pg *g = state;
	char key[32];
	snprintf(key, sizeof(key), "%lld", g->lock_id);
	const char *v[] = {key};
	double start = mono();
	int said = 0;
	for (;;) {
		PGresult *res = exec_params(g, "SELECT pg_try_advisory_lock($1::bigint)", 1, v);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			int rc = pg_error(g, res, err, "taking the migration lock");
			PQclear(res);
			return rc;
		}
		int got = PQgetvalue(res, 0, 0)[0] == 't';
		PQclear(res);
		if (got)
			return FLUX_OK;
		double waited = mono() - start;
		if (timeout >= 0 && waited >= timeout) {
			char who[512];
			describe_holder(g, who, sizeof(who));
			return g->host->error_set(err, FLUX_ERR_LOCK_TIMEOUT,
						  "gave up after %.1f s waiting for advisory lock "
						  "%lld, held by %s", waited, g->lock_id, who);
		}
		if (!said && waited >= 1.0) {
			char who[512];
			describe_holder(g, who, sizeof(who));
			g->host->log(g->host, FLUX_LOG_WARNING,
				     "waiting for advisory lock %lld (migrations_lock_id), held "
				     "by %s", g->lock_id, who);
			said = 1;
		}
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

static int pg_unlock(void *state, flux_error *err)
{
	struct pg *g = state;
	char key[32];
	snprintf(key, sizeof(key), "%lld", g->lock_id);
	const char *v[] = {key};
	PGresult *res = exec_params(g, "SELECT pg_advisory_unlock($1::bigint)", 1, v);
	int rc = PQresultStatus(res) == PGRES_TUPLES_OK ? FLUX_OK
		 : pg_error(g, res, err, "releasing the migration lock");
	PQclear(res);
	return rc;
}

static int pg_begin(void *state, flux_error *err) { return exec_ok(state, "BEGIN", err, NULL); }
static int pg_commit(void *state, flux_error *err) { return exec_ok(state, "COMMIT", err, NULL); }
static int pg_rollback(void *state, flux_error *err)
{
	return exec_ok(state, "ROLLBACK", err, NULL);
}

static int pg_is_initialized(void *state, int *init, flux_error *err)
{
	struct pg *g = state;
	const char *v[] = {g->schema, g->table, g->marks};
	/* pg_catalog, not information_schema: the latter's views cost a few
	 * milliseconds of planning, a tenth of a no-op run.  The marks table
	 * is looked for in the same round trip. */
	PGresult *res = exec_params(g, "SELECT c.relname FROM pg_catalog.pg_class c JOIN "
				    "pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
				    "WHERE n.nspname = $1 AND c.relname IN ($2, $3)", 3, v);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		int rc = pg_error(g, res, err, "looking for the record table");
		PQclear(res);
		return rc;
	}
	*init = 0;
	for (int i = 0; i < PQntuples(res); i++) {
		if (!strcmp(PQgetvalue(res, i, 0), g->table))
			*init = 1;
		else
			g->has_marks = 1;
	}
	PQclear(res);
	return FLUX_OK;
}

static int pg_initialize(void *state, flux_error *err)
{
	struct pg *g = state;
	char sql[512];
	snprintf(sql, sizeof(sql),
		 "CREATE SCHEMA IF NOT EXISTS %s; CREATE TABLE IF NOT EXISTS %s (id text "
		 "primary key, hash text not null, applied_at timestamp not null default "
		 "current_timestamp)", g->schema_q, g->table_q);
	return exec_ok(g, sql, err, "creating the record table");
}

static int pg_register(void *state, const char *id, const char *hash, flux_error *err)
{
	const char *v[] = {id, hash};
	return exec_on(state, "INSERT INTO %s (id, hash) VALUES ($1, $2)",
		       ((struct pg *)state)->table_q, 2, v, "recording the migration", err);
}

static int pg_unregister(void *state, const char *id, flux_error *err)
{
	const char *v[] = {id};
	return exec_on(state, "DELETE FROM %s WHERE id = $1", ((struct pg *)state)->table_q, 1,
		       v, "deleting the migration record", err);
}

/* Run text (not NUL-terminated) as one simple query.  prefix_chars is how
 * many characters of the sent string come before text, to map the
 * server's position back into text. */
static int run_text(struct pg *g, const char *sent, const char *text, size_t len,
		    long prefix_chars, flux_error *err)
{
	PGresult *res = PQexec(g->conn, sent);
	ExecStatusType st = PQresultStatus(res);
	int rc = FLUX_OK;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
		rc = pg_error(g, res, err, NULL);
		if (err->position > prefix_chars)
			err->position = char_to_byte(text, len, err->position - prefix_chars);
		else
			err->position = 0;
	}
	PQclear(res);
	return rc;
}

/* Write how far a no-transaction migration got into its mark.  Best
 * effort: when this fails the mark still says the migration did not
 * finish, only less precisely. */
static void note_progress(struct pg *g, const char *fmt, ...) FLUX_PRINTF(2, 3);
static void note_progress(struct pg *g, const char *fmt, ...)
{
	if (!g->mark_id || lost(g))
		return;
	char text[FLUX_ERROR_MESSAGE_MAX + 128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	const char *v[] = {text, g->mark_id};
	flux_error ignored;
	exec_on(g, "UPDATE %s SET progress = $1 WHERE id = $2", g->marks_q, 2, v, NULL,
		&ignored);
}

static int apply_statements(struct pg *g, const char *sql, size_t len, flux_error *err)
{
	struct pg_stmt *st;
	size_t n = pg_split(sql, len, &st);
	if (n == (size_t)-1)
		return g->host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
	int rc = FLUX_OK;
	note_progress(g, "0 of %zu statements ran", n);
	for (size_t i = 0; i < n && rc == FLUX_OK; i++) {
		char *one = malloc(st[i].len + 1);
		if (!one) {
			rc = g->host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
			break;
		}
		memcpy(one, sql + st[i].offset, st[i].len);
		one[st[i].len] = '\0';
		rc = run_text(g, one, one, st[i].len, 0, err);
		free(one);
		if (rc) {
			if (err->position > 0)
				err->position += (long)st[i].offset;
			else
				err->position = (long)st[i].offset + 1;
			char ran[FLUX_ERROR_DETAIL_MAX];
			snprintf(ran, sizeof(ran), "%s%sno-transaction migration: statement %zu "
				 "of %zu failed; %s", err->detail, err->detail[0] ? "\n" : "",
				 i + 1, n,
				 i == 0 ? "no statement before it ran"
					: "the statements before it ran and stay in effect");
			memcpy(err->detail, ran, sizeof(err->detail));
			note_progress(g, "statement %zu of %zu failed%s%s%s: %s; %zu of %zu ran "
				      "before it", i + 1, n, err->sqlstate[0] ? " (SQLSTATE " : "",
				      err->sqlstate, err->sqlstate[0] ? ")" : "", err->message,
				      i, n);
		} else {
			note_progress(g, "%zu of %zu statements ran", i + 1, n);
		}
	}
	free(st);
	return rc;
}

static int pg_apply(void *state, const char *sql, size_t len, unsigned int flags,
		    flux_error *err)
{
	struct pg *g = state;
	if (flags & FLUX_APPLY_NO_TRANSACTION)
		return apply_statements(g, sql, len, err);
	char *text = malloc(len + 1);
	if (!text)
		return g->host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
	memcpy(text, sql, len);
	text[len] = '\0';
	int rc = strlen(text) != len
		? g->host->error_set(err, FLUX_ERR_INVALID, "migration contains a NUL byte")
		: run_text(g, text, text, len, 0, err);
	free(text);
	return rc;
}

static int pg_run_step(void *state, const struct flux_step *step, flux_error *err)
{
	struct pg *g = state;
	if (memchr(step->sql, '\0', step->len))
		return g->host->error_set(err, FLUX_ERR_INVALID, "migration contains a NUL byte");
	char *id = PQescapeLiteral(g->conn, step->id, strlen(step->id));
	char *hash = step->hash ? PQescapeLiteral(g->conn, step->hash, strlen(step->hash)) : NULL;
	if (!id || (step->hash && !hash)) {
		PQfreemem(id);
		PQfreemem(hash);
		return pg_error(g, NULL, err, "quoting the migration id");
	}
	static const char begin[] = "BEGIN;\n";
	char tail[1024];
	if (step->record == FLUX_RECORD_REGISTER)
		snprintf(tail, sizeof(tail), "\n;\nINSERT INTO %s (id, hash) VALUES (%s, %s);\nCOMMIT",
			 g->table_q, id, hash);
	else if (step->record == FLUX_RECORD_UNREGISTER)
		snprintf(tail, sizeof(tail), "\n;\nDELETE FROM %s WHERE id = %s;\nCOMMIT",
			 g->table_q, id);
	else
		snprintf(tail, sizeof(tail), "\n;\nCOMMIT");
	PQfreemem(id);
	PQfreemem(hash);
	size_t bl = sizeof(begin) - 1, tl = strlen(tail);
	char *q = malloc(bl + step->len + tl + 1);
	if (!q)
		return g->host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
	memcpy(q, begin, bl);
	memcpy(q + bl, step->sql, step->len);
	memcpy(q + bl + step->len, tail, tl + 1);
	int rc = run_text(g, q, step->sql, step->len, (long)bl, err);
	free(q);
	if (rc && !lost(g)) {
		/* The failed statement left the transaction block aborted. */
		flux_error ignored;
		exec_ok(g, "ROLLBACK", &ignored, NULL);
	}
	return rc;
}

static int pg_list_applied(void *state, flux_applied_fn fn, void *ctx, flux_error *err)
{
	struct pg *g = state;
	PGresult *res = rows_of(g, "SELECT id, hash, applied_at::text FROM %s ORDER BY id",
				g->table_q, "reading applied migrations", err);
	if (!res)
		return err->code;
	for (int i = 0; i < PQntuples(res); i++)
		if (fn(ctx, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), PQgetvalue(res, i, 2))) {
			PQclear(res);
			return g->host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
		}
	PQclear(res);
	return FLUX_OK;
}

static int pg_mark_begin(void *state, const char *id, int direction, flux_error *err)
{
	struct pg *g = state;
	char *lit = PQescapeLiteral(g->conn, id, strlen(id));
	if (!lit)
		return pg_error(g, NULL, err, "quoting the migration id");
	/* One simple query, so one implicit transaction: committed before the
	 * migration's first statement runs. */
	static const char fmt[] =
		"CREATE TABLE IF NOT EXISTS %s (id text PRIMARY KEY, direction text NOT NULL, "
		"started_at timestamp NOT NULL DEFAULT current_timestamp, progress text NOT "
		"NULL DEFAULT ''); INSERT INTO %s (id, direction, progress) VALUES (%s, '%s', "
		"'started') ON CONFLICT (id) DO UPDATE SET direction = EXCLUDED.direction, "
		"started_at = current_timestamp, progress = EXCLUDED.progress";
	size_t n = sizeof(fmt) + 2 * strlen(g->marks_q) + strlen(lit) + 16;
	char *sql = malloc(n);
	if (!sql) {
		PQfreemem(lit);
		return g->host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
	}
	snprintf(sql, n, fmt, g->marks_q, g->marks_q, lit,
		 direction == FLUX_MARK_ROLLBACK ? "rollback" : "apply");
	PQfreemem(lit);
	int rc = exec_ok(g, sql, err, "marking the no-transaction migration as started");
	free(sql);
	if (rc)
		return rc;
	g->has_marks = 1;
	free(g->mark_id);
	if (!(g->mark_id = strdup(id)))
		return g->host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
	return FLUX_OK;
}

static int pg_mark_end(void *state, const char *id, flux_error *err)
{
	struct pg *g = state;
	free(g->mark_id);
	g->mark_id = NULL;
	if (!g->has_marks)
		return FLUX_OK;
	const char *v[] = {id};
	return exec_on(g, "DELETE FROM %s WHERE id = $1", g->marks_q, 1, v,
		       "clearing the no-transaction migration's mark", err);
}

static int pg_list_marks(void *state, flux_mark_fn fn, void *ctx, flux_error *err)
{
	struct pg *g = state;
	if (!g->has_marks)
		return FLUX_OK;
	PGresult *res = rows_of(g, "SELECT id, direction, started_at::text, progress FROM %s "
				"ORDER BY id", g->marks_q,
				"reading the marks of unfinished migrations", err);
	if (!res)
		return err->code;
	for (int i = 0; i < PQntuples(res); i++) {
		int dir = strcmp(PQgetvalue(res, i, 1), "rollback") ? FLUX_MARK_APPLY
								    : FLUX_MARK_ROLLBACK;
		if (fn(ctx, PQgetvalue(res, i, 0), dir, PQgetvalue(res, i, 2),
		       PQgetvalue(res, i, 3))) {
			PQclear(res);
			return g->host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
		}
	}
	PQclear(res);
	return FLUX_OK;
}

/* libpq documents PQcancel() as safe to call from a signal handler: it
 * opens a connection of its own and asks the server to cancel the query
 * this connection runs; that query then fails with SQLSTATE 57014. */
static void pg_cancel(void *state)
{
	struct pg *g = state;
	char errbuf[256];
	if (g->cancel)
		PQcancel(g->cancel, errbuf, sizeof(errbuf));
}

static const struct flux_backend postgres_backend = {
	FLUX_BACKEND_HEADER_INIT,
	.name = "postgres",
	.description = "PostgreSQL over libpq (postgresql://, postgres://, key=value)",
	.create = pg_create,
	.destroy = pg_destroy,
	.connect = pg_connect,
	.disconnect = pg_disconnect,
	.lock = pg_lock,
	.unlock = pg_unlock,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.is_initialized = pg_is_initialized,
	.initialize = pg_initialize,
	.register_migration = pg_register,
	.unregister_migration = pg_unregister,
	.apply = pg_apply,
	.list_applied = pg_list_applied,
	.run_step = pg_run_step,
	.mark_begin = pg_mark_begin,
	.mark_end = pg_mark_end,
	.list_marks = pg_list_marks,
	.cancel = pg_cancel,
};

FLUX_BACKEND_EXPORT const struct flux_backend *flux_postgres_backend(const struct flux_host *host);

const struct flux_backend *flux_postgres_backend(const struct flux_host *host)
{
	(void)host;
	return &postgres_backend;
}
