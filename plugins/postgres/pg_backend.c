/* SPDX-License-Identifier: MIT */
/* The PostgreSQL backend, over libpq; a drop-in for databases the Python
 * tool manages: same record table, same advisory lock.
 *
 * Each migration with its record goes to the server as one simple-query
 * message (BEGIN; migration; INSERT record; COMMIT): one round trip per
 * migration, and the server runs it all or none of it (run_step).  Above
 * 1 MiB the text goes as several queries of whole statements inside that
 * transaction instead, as libpq holds two copies of each query it sends
 * (see PG_PIECE).
 *
 * Every text an operation sends is built by pg_text(), values quoted in
 * with PQescapeLiteral, so `flux apply --dry-run` (describe_sql) shows
 * exactly what runs.  Marks live in <table>_incomplete beside the record
 * table (the Python tool never reads it), created by the first
 * mark_save(); flux 0.2 made it without the resume column, which is read
 * as "" and added by the first mark_save(). */
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg.h"

FLUX_BACKEND_MODULE;

/* What the marks table looks like, learnt once per connection. */
enum marks { MARKS_UNKNOWN = 0, MARKS_NONE, MARKS_OLD, MARKS_CURRENT };

struct pg {
	const struct flux_host *host;
	char *conninfo;
	const char *schema; /* ^[A-Za-z0-9_]+$, checked by option_identifier */
	const char *table;
	long long lock_id;
	char marks[64];    /* the marks table's name */
	char qtable[160];  /* "schema"."table", and the marks table's */
	char qmarks[160];
	PGconn *conn;
	PGcancel *cancel;  /* for pg_cancel(), made by connect() */
	int marks_state;   /* enum marks */
	/* What describe_sql() takes the marks table to be: as it would be
	 * had the operations described so far run (a dry run's script
	 * creates it once, then uses it). */
	int dry_marks;
	/* Set by pg_cancel(): a cancel request reaching the server between
	 * two queries is dropped, so execute() and run_step() send no more. */
	atomic_int cancelled;
	struct pg_secrets secrets; /* hidden from every libpq message shown */
};

/* The keywords libpq itself displays as secret (dispchar "*"): password,
 * sslpassword, and any a later libpq adds; learnt at registration. */
static char secret_names[8][32];
static const char *secret_keys[9] = {"password", "sslpassword", NULL};

static void learn_secret_keys(void)
{
	char *why = NULL;
	PQconninfoOption *opts = PQconninfoParse("", &why);
	PQfreemem(why);
	size_t n = 0;
	for (PQconninfoOption *o = opts; o && o->keyword && n < 8; o++)
		if (o->dispchar && o->dispchar[0] == '*' && strlen(o->keyword) < 32) {
			strcpy(secret_names[n], o->keyword);
			secret_keys[n] = secret_names[n];
			secret_keys[++n] = NULL;
		}
	PQconninfoFree(opts);
}

static size_t pg_redact_uri(const char *uri, char *out, size_t size)
{
	return pg_redact(uri, secret_keys, out, size);
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

/* libpq's own message, which may quote the connection string: scrubbed,
 * on one line. */
static void libpq_message(struct pg *g, const char *msg, char *out, size_t size)
{
	pg_scrub(&g->secrets, msg && *msg ? msg : "unknown error", out, size);
	size_t l = strlen(out);
	while (l && (out[l - 1] == '\n' || out[l - 1] == ' '))
		out[--l] = '\0';
	for (char *p = out; *p; p++)
		if (*p == '\n')
			*p = ' ';
}

/* Fill err from a failed result (res may be NULL). */
static int pg_error(struct pg *g, PGresult *res, flux_error *err, const char *what)
{
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char msg[FLUX_ERROR_MESSAGE_MAX];
	/* The server's words concern the SQL; libpq's own may quote the
	 * connection string. */
	if (primary)
		snprintf(msg, sizeof(msg), "%s", primary);
	else
		pg_scrub(&g->secrets, *PQerrorMessage(g->conn) ? PQerrorMessage(g->conn)
				      : "unknown error", msg, sizeof(msg));
	msg[strcspn(msg, "\n")] = '\0';
	int code = lost(g) ? FLUX_ERR_CONNECTION : FLUX_ERR_BACKEND;
	g->host->error_set(err, code, "%s%s%s", what ? what : "", what ? ": " : "", msg);
	const char *f;
	if (res && (f = PQresultErrorField(res, PG_DIAG_SQLSTATE)))
		snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", f);
	if (res && (f = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL)))
		g->host->error_detail(err, "%s", f);
	if (res && (f = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT)))
		g->host->error_hint(err, "%s", f);
	else if (code == FLUX_ERR_CONNECTION)
		g->host->error_hint(err, "the connection to the server was lost; the record "
				    "table shows exactly what committed (flux status)");
	if (res && (f = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION)))
		err->position = atol(f);
	return code;
}

/* Send text (NUL-terminated) as one simple query.  The server's error
 * position is mapped back into the len bytes at sql, which start
 * prefix_chars characters into text.  what names the operation. */
static int send(struct pg *g, const char *text, const char *sql, size_t len,
		long prefix_chars, const char *what, flux_error *err)
{
	PGresult *res = PQexec(g->conn, text);
	ExecStatusType st = PQresultStatus(res);
	int rc = FLUX_OK;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
		rc = pg_error(g, res, err, what);
		err->position = err->position > prefix_chars
			? char_to_byte(sql, len, err->position - prefix_chars) : 0;
	}
	PQclear(res);
	return rc;
}

/* A query's rows, or NULL with err filled. */
static PGresult *rows(struct pg *g, const char *sql, int n, const char *const *v,
		      const char *what, flux_error *err)
{
	PGresult *res = PQexecParams(g->conn, sql, n, NULL, v, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		return res;
	pg_error(g, res, err, what);
	PQclear(res);
	return NULL;
}

/* The passwords in the URI as the user wrote it, and as libpq reads it;
 * a string libpq cannot parse is refused here, its message scrubbed
 * (libpq quotes the whole URI in it). */
static int find_secrets(struct pg *g, const char *uri, flux_error *err)
{
	if (pg_secrets_find(&g->secrets, uri, secret_keys) < 0 ||
	    pg_secrets_find(&g->secrets, g->conninfo, secret_keys) < 0)
		return g->host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
	char *why = NULL;
	PQconninfoOption *opts = PQconninfoParse(g->conninfo, &why);
	if (!opts) {
		char msg[FLUX_ERROR_MESSAGE_MAX];
		libpq_message(g, why ? why : "out of memory", msg, sizeof(msg));
		PQfreemem(why);
		return g->host->error_set(err, FLUX_ERR_INVALID,
					  "invalid PostgreSQL connection string: %s", msg);
	}
	int rc = FLUX_OK;
	for (PQconninfoOption *o = opts; o->keyword && !rc; o++)
		if (o->val && o->dispchar && o->dispchar[0] == '*')
			rc = pg_secrets_add(&g->secrets, o->val) < 0;
	PQconninfoFree(opts);
	return rc ? g->host->error_set(err, FLUX_ERR_NOMEM, "out of memory") : FLUX_OK;
}

static void pg_destroy(void *state)
{
	struct pg *g = state;
	if (g->cancel)
		PQfreeCancel(g->cancel);
	if (g->conn)
		PQfinish(g->conn);
	free(g->conninfo);
	pg_secrets_free(&g->secrets);
	free(g);
}

static int pg_create(const struct flux_host *host, const struct flux_options *opts,
		     const char *uri, void **state, flux_error *err)
{
	const char *schema, *table;
	long long lock_id;
	int rc = host->option_identifier(opts, "migrations_schema", "public", 63, &schema, err);
	if (!rc)
		rc = host->option_identifier(opts, "migrations_table", "_flux_migrations", 63,
					     &table, err);
	if (!rc)
		rc = host->option_int(opts, "migrations_lock_id", 3589, &lock_id, err);
	if (rc)
		return rc;
	struct pg *g = calloc(1, sizeof(*g));
	if (!g)
		return host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
	g->host = host;
	g->schema = schema;
	g->table = table;
	g->lock_id = lock_id;
	/* PostgreSQL would silently cut a name beyond 63 bytes; cut it here
	 * so the name flux uses is the name the server has.  Quoting keeps
	 * the case the Python tool's psycopg Identifier() kept. */
	snprintf(g->marks, sizeof(g->marks), "%.52s_incomplete", table);
	snprintf(g->qtable, sizeof(g->qtable), "\"%s\".\"%s\"", schema, table);
	snprintf(g->qmarks, sizeof(g->qmarks), "\"%s\".\"%s\"", schema, g->marks);
	if (!(g->conninfo = pg_uri_normalize(uri)))
		rc = host->error_set(err, FLUX_ERR_INVALID, "not a PostgreSQL connection string "
				     "(expected postgresql://, postgres://, postgresql+asyncpg://, "
				     "postgresql+aiopg:// or key=value pairs)");
	else
		rc = find_secrets(g, uri, err);
	if (rc) {
		pg_destroy(g);
		return rc;
	}
	*state = g;
	return FLUX_OK;
}

static void quiet(void *arg, const PGresult *res) { (void)arg; (void)res; }

static int pg_connect(void *state, flux_error *err)
{
	struct pg *g = state;
	const char *const keys[] = {"dbname", "fallback_application_name", "client_encoding",
				    NULL};
	const char *const vals[] = {g->conninfo, "flux", "UTF8", NULL};
	g->cancelled = 0;
	g->marks_state = g->dry_marks = MARKS_UNKNOWN;
	g->conn = PQconnectdbParams(keys, vals, 1);
	if (!g->conn)
		return g->host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
	if (PQstatus(g->conn) != CONNECTION_OK) {
		/* libpq's message names host, port and user; a password only
		 * when a malformed URI put a piece of it where a host or port
		 * goes: scrubbed. */
		char msg[FLUX_ERROR_MESSAGE_MAX];
		libpq_message(g, PQerrorMessage(g->conn), msg, sizeof(msg));
		return g->host->error_set(err, FLUX_ERR_BACKEND,
					  "cannot connect to PostgreSQL: %s", msg);
	}
	/* NOTICEs (e.g. "schema already exists, skipping") are not ours to print. */
	PQsetNoticeReceiver(g->conn, quiet, NULL);
	if (!(g->cancel = PQgetCancel(g->conn)))
		return g->host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
	return FLUX_OK;
}

static int pg_disconnect(void *state, flux_error *err)
{
	struct pg *g = state;
	(void)err;
	if (g->cancel)
		PQfreeCancel(g->cancel);
	g->cancel = NULL;
	if (g->conn)
		PQfinish(g->conn);
	g->conn = NULL;
	return FLUX_OK;
}

/* Run a one-value query on the lock key ("t" or "f" back). */
static int lock_call(struct pg *g, const char *sql, int *yes, const char *what,
		     flux_error *err)
{
	char key[32];
	snprintf(key, sizeof(key), "%lld", g->lock_id);
	const char *v[] = {key};
	PGresult *res = rows(g, sql, 1, v, what, err);
	if (!res)
		return err->code;
	*yes = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	return FLUX_OK;
}

static int pg_try_lock(void *state, int *acquired, flux_error *err)
{
	*acquired = 0;
	return lock_call(state, "SELECT pg_try_advisory_lock($1::bigint)", acquired,
			 "taking the migration lock", err);
}

static int pg_unlock(void *state, flux_error *err)
{
	int released;
	return lock_call(state, "SELECT pg_advisory_unlock($1::bigint)", &released,
			 "releasing the migration lock", err);
}

/* Who holds our advisory lock: pg_advisory_lock(bigint) appears in pg_locks
 * with the key's high half in classid, low half in objid and objsubid 1.
 * Another role's sessions are hidden from us: then the holder is "". */
static void pg_describe_lock(void *state, char *lock, size_t lock_size, char *holder,
			     size_t holder_size)
{
	struct pg *g = state;
	char key[32];
	snprintf(key, sizeof(key), "%lld", g->lock_id);
	snprintf(lock, lock_size, "advisory lock %s (migrations_lock_id)", key);
	snprintf(holder, holder_size, "%s", "");
	const char *v[] = {key};
	flux_error ignored;
	PGresult *res = rows(g,
		"SELECT a.pid, coalesce(a.application_name, ''), "
		"coalesce(to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ'), '') "
		"FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
		"WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
		"AND l.classid::bigint = (($1::bigint >> 32) & 4294967295) "
		"AND l.objid::bigint = ($1::bigint & 4294967295) "
		"AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
		"LIMIT 1", 1, v, NULL, &ignored);
	if (res && PQntuples(res) == 1)
		snprintf(holder, holder_size, "pid %s, application_name '%s', started %s",
			 PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
	PQclear(res);
}

/* Whether the record table exists, and the marks table's shape; in one
 * round trip, from pg_catalog (information_schema's views cost a few
 * milliseconds of planning, a tenth of a no-op run). */
static int probe(struct pg *g, int *initialized, flux_error *err)
{
	const char *v[] = {g->schema, g->table, g->marks};
	PGresult *res = rows(g, "SELECT c.relname, EXISTS (SELECT 1 FROM pg_catalog.pg_attribute "
			     "a WHERE a.attrelid = c.oid AND a.attname = 'resume' AND NOT "
			     "a.attisdropped) FROM pg_catalog.pg_class c JOIN "
			     "pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
			     "WHERE n.nspname = $1 AND c.relname IN ($2, $3)", 3, v,
			     "looking for the record table", err);
	if (!res)
		return err->code;
	*initialized = 0;
	g->marks_state = MARKS_NONE;
	for (int i = 0; i < PQntuples(res); i++) {
		if (!strcmp(PQgetvalue(res, i, 0), g->table))
			*initialized = 1;
		else
			g->marks_state = PQgetvalue(res, i, 1)[0] == 't' ? MARKS_CURRENT : MARKS_OLD;
	}
	PQclear(res);
	return FLUX_OK;
}

static int pg_is_initialized(void *state, int *initialized, flux_error *err)
{
	return probe(state, initialized, err);
}

/* A malloc'd printf, or NULL. */
static char *format(const char *fmt, ...) FLUX_PRINTF(1, 2);
static char *format(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *out = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (out) {
		va_start(ap, fmt);
		vsnprintf(out, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	return out;
}

/* v as a literal, quoted as PQescapeLiteral quotes it, without needing a
 * connection (describe_sql needs none): E'' with doubled backslashes when
 * v holds one, so it means the same whatever standard_conforming_strings
 * says.  malloc'd, or NULL. */
static char *literal(const char *v)
{
	size_t n = strlen(v), extra = 0;
	for (size_t i = 0; i < n; i++)
		extra += v[i] == '\'' || v[i] == '\\';
	char *out = malloc(n + extra + 4), *o = out;
	if (!out)
		return NULL;
	if (strchr(v, '\\'))
		*o++ = 'E';
	*o++ = '\'';
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '\'' || v[i] == '\\')
			*o++ = v[i];
		*o++ = v[i];
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}

/* The statements one operation sends, each with its terminator: sent
 * joined by newlines as one simple query (one round trip, and one
 * implicit transaction outside the host's), handed one by one to
 * describe_sql. */
struct texts {
	char *t[4];
	int n;
};

static void texts_free(struct texts *x)
{
	for (int i = 0; i < x->n; i++)
		free(x->t[i]);
	x->n = 0;
}

/* Build what the operation of that kind sends, for it and for
 * describe_sql alike, MARK_DELETE for a marks table in state marks (enum
 * marks; unknown: taken to exist); err filled on failure. */
static int pg_texts(struct pg *g, int kind, const struct flux_step *step,
		    const struct flux_mark *mark, int marks, struct texts *x, flux_error *err)
{
	char *l[4] = {NULL, NULL, NULL, NULL};
	const char *v[4] = {NULL, NULL, NULL, NULL};
	int rc = FLUX_OK;
	x->n = 0;
	if (kind == FLUX_SQL_REGISTER || kind == FLUX_SQL_UNREGISTER ||
	    kind == FLUX_SQL_RUN_STEP || kind == FLUX_SQL_MARK_DELETE) {
		v[0] = step->id;
		v[1] = step->hash ? step->hash : "";
	} else if (kind == FLUX_SQL_MARK_SAVE) {
		v[0] = mark->id;
		v[1] = mark->direction == FLUX_MARK_ROLLBACK ? "rollback" : "apply";
		v[2] = mark->progress ? mark->progress : "";
		v[3] = mark->resume ? mark->resume : "";
	}
	for (int i = 0; i < 4; i++)
		if (v[i] && !(l[i] = literal(v[i])))
			goto nomem;
	int record = kind == FLUX_SQL_RUN_STEP ? step->record
		     : kind == FLUX_SQL_REGISTER ? FLUX_RECORD_REGISTER
		     : kind == FLUX_SQL_UNREGISTER ? FLUX_RECORD_UNREGISTER : FLUX_RECORD_NONE;
	switch (kind) {
	case FLUX_SQL_BEGIN:
	case FLUX_SQL_COMMIT:
		x->t[x->n++] = format("%s;", kind == FLUX_SQL_BEGIN ? "BEGIN" : "COMMIT");
		break;
	case FLUX_SQL_INITIALIZE:
		x->t[x->n++] = format("CREATE SCHEMA IF NOT EXISTS \"%s\";", g->schema);
		x->t[x->n++] = format("CREATE TABLE IF NOT EXISTS %s (id text primary key, hash "
				      "text not null, applied_at timestamp not null default "
				      "current_timestamp);", g->qtable);
		break;
	case FLUX_SQL_RUN_STEP:
	case FLUX_SQL_REGISTER:
	case FLUX_SQL_UNREGISTER:
		/* The migration's own text is followed by "\n;": a last
		 * statement without ';', or ending in a comment, still ends
		 * before the record's. */
		if (kind == FLUX_SQL_RUN_STEP) {
			x->t[x->n++] = format("BEGIN;");
			x->t[x->n++] = format("%.*s\n;", (int)step->len, step->sql);
		}
		if (record == FLUX_RECORD_REGISTER)
			x->t[x->n++] = format("INSERT INTO %s (id, hash) VALUES (%s, %s);",
					      g->qtable, l[0], l[1]);
		else if (record == FLUX_RECORD_UNREGISTER)
			x->t[x->n++] = format("DELETE FROM %s WHERE id = %s;", g->qtable, l[0]);
		if (kind == FLUX_SQL_RUN_STEP)
			x->t[x->n++] = format("COMMIT;");
		break;
	case FLUX_SQL_MARK_SAVE:
		/* Whatever the table looks like, flux 0.2's included: one
		 * transaction makes it current and writes the row. */
		x->t[x->n++] = format("CREATE TABLE IF NOT EXISTS %s (id text PRIMARY KEY, "
				      "direction text NOT NULL, started_at timestamp NOT NULL "
				      "DEFAULT current_timestamp, progress text NOT NULL DEFAULT "
				      "'', resume text NOT NULL DEFAULT '');", g->qmarks);
		x->t[x->n++] = format("ALTER TABLE %s ADD COLUMN IF NOT EXISTS resume text NOT "
				      "NULL DEFAULT '';", g->qmarks);
		x->t[x->n++] = format("INSERT INTO %s (id, direction, progress, resume) VALUES "
				      "(%s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET direction "
				      "= EXCLUDED.direction, progress = EXCLUDED.progress, resume "
				      "= EXCLUDED.resume;", g->qmarks, l[0], l[1], l[2], l[3]);
		break;
	case FLUX_SQL_MARK_DELETE:
		/* Without a marks table there is nothing to delete. */
		if (marks != MARKS_NONE)
			x->t[x->n++] = format("DELETE FROM %s WHERE id = %s;", g->qmarks, l[0]);
		break;
	default:
		rc = g->host->error_set(err, FLUX_ERR_UNSUPPORTED, "the PostgreSQL backend has "
					"no SQL of kind %d", kind);
	}
	for (int i = 0; i < x->n; i++)
		if (!x->t[i])
			goto nomem;
	for (int i = 0; i < 4; i++)
		free(l[i]);
	return rc;
nomem:
	for (int i = 0; i < 4; i++)
		free(l[i]);
	texts_free(x);
	return g->host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
}

/* The texts joined by newlines, as sent: malloc'd, or NULL. */
static char *joined(const struct texts *x)
{
	size_t n = 0;
	for (int i = 0; i < x->n; i++)
		n += strlen(x->t[i]) + 1;
	char *out = malloc(n + 1), *o = out;
	for (int i = 0; out && i < x->n; i++) {
		size_t l = strlen(x->t[i]);
		memcpy(o, x->t[i], l);
		o += l;
		*o++ = i + 1 < x->n ? '\n' : '\0';
	}
	if (out && !x->n)
		*out = '\0';
	return out;
}

/* Build and send what the operation of that kind sends.  For RUN_STEP,
 * positions are mapped into step->sql, which the second text starts
 * with. */
static int run(struct pg *g, int kind, const struct flux_step *step,
	       const struct flux_mark *mark, const char *what, flux_error *err)
{
	struct texts x;
	int ignored, rc = FLUX_OK;
	if (kind == FLUX_SQL_MARK_DELETE && g->marks_state == MARKS_UNKNOWN)
		rc = probe(g, &ignored, err);
	if (!rc)
		rc = pg_texts(g, kind, step, mark, g->marks_state, &x, err);
	if (rc || !x.n)
		return rc;
	char *text = joined(&x);
	if (!text)
		rc = g->host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
	else if (kind == FLUX_SQL_RUN_STEP)
		rc = send(g, text, step->sql, step->len, (long)strlen(x.t[0]) + 1, what, err);
	else
		rc = send(g, text, text, strlen(text), 0, what, err);
	free(text);
	texts_free(&x);
	return rc;
}

static int pg_describe_sql(void *state, int kind, const struct flux_step *step,
			   const struct flux_mark *mark, flux_text_fn fn, void *ctx,
			   flux_error *err)
{
	struct pg *g = state;
	struct texts x;
	int ignored, rc = FLUX_OK;
	/* Not connected: the marks table is taken to exist. */
	if (kind == FLUX_SQL_MARK_DELETE && g->dry_marks == MARKS_UNKNOWN && g->conn) {
		if (g->marks_state == MARKS_UNKNOWN)
			rc = probe(g, &ignored, err);
		g->dry_marks = g->marks_state;
	}
	if (!rc)
		rc = pg_texts(g, kind, step, mark, g->dry_marks, &x, err);
	if (rc)
		return rc;
	if (kind == FLUX_SQL_MARK_SAVE)
		g->dry_marks = MARKS_CURRENT;
	for (int i = 0; i < x.n && !rc; i++)
		rc = fn(ctx, x.t[i], strlen(x.t[i]));
	texts_free(&x);
	return rc;
}

static int pg_begin(void *state, flux_error *err)
{
	return run(state, FLUX_SQL_BEGIN, NULL, NULL, NULL, err);
}

static int pg_commit(void *state, flux_error *err)
{
	return run(state, FLUX_SQL_COMMIT, NULL, NULL, NULL, err);
}

static int pg_rollback(void *state, flux_error *err)
{
	struct pg *g = state;
	/* A marks table made in the transaction goes with it. */
	g->marks_state = g->dry_marks = MARKS_UNKNOWN;
	PGresult *res = PQexec(g->conn, "ROLLBACK");
	int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? FLUX_OK : pg_error(g, res, err, NULL);
	PQclear(res);
	return rc;
}

static int pg_initialize(void *state, flux_error *err)
{
	return run(state, FLUX_SQL_INITIALIZE, NULL, NULL, "creating the record table", err);
}

static int pg_register(void *state, const char *id, const char *hash, flux_error *err)
{
	struct flux_step step = {.id = id, .hash = hash};
	return run(state, FLUX_SQL_REGISTER, &step, NULL, "recording the migration", err);
}

static int pg_unregister(void *state, const char *id, flux_error *err)
{
	struct flux_step step = {.id = id};
	return run(state, FLUX_SQL_UNREGISTER, &step, NULL, "deleting the migration record",
		   err);
}

static int pg_mark_save(void *state, const struct flux_mark *mark, flux_error *err)
{
	struct pg *g = state;
	int rc = run(g, FLUX_SQL_MARK_SAVE, NULL, mark, "saving the migration's mark", err);
	/* On failure a table made or altered before it may stay: look again. */
	g->marks_state = rc ? MARKS_UNKNOWN : MARKS_CURRENT;
	g->dry_marks = MARKS_UNKNOWN;
	return rc;
}

static int pg_mark_delete(void *state, const char *id, flux_error *err)
{
	struct flux_step step = {.id = id};
	return run(state, FLUX_SQL_MARK_DELETE, &step, NULL, "deleting the migration's mark",
		   err);
}

static int pg_list_applied(void *state, flux_applied_fn fn, void *ctx, flux_error *err)
{
	struct pg *g = state;
	char sql[256];
	/* In table order (backend.h): ORDER BY id COLLATE "C" costs a sort
	 * of the whole table on every run, which the host does faster. */
	snprintf(sql, sizeof(sql), "SELECT id, hash, applied_at::text FROM %s", g->qtable);
	PGresult *res = rows(g, sql, 0, NULL, "reading applied migrations", err);
	if (!res)
		return err->code;
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && !rc; i++)
		rc = fn(ctx, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), PQgetvalue(res, i, 2));
	PQclear(res);
	return rc;
}

static int pg_list_marks(void *state, flux_mark_fn fn, void *ctx, flux_error *err)
{
	struct pg *g = state;
	int ignored;
	if (g->marks_state == MARKS_UNKNOWN && probe(g, &ignored, err))
		return err->code;
	if (g->marks_state == MARKS_NONE)
		return FLUX_OK;
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT id, direction, started_at::text, progress, %s FROM "
		 "%s ORDER BY id COLLATE \"C\"", g->marks_state == MARKS_OLD ? "''" : "resume",
		 g->qmarks);
	PGresult *res = rows(g, sql, 0, NULL, "reading the marks of unfinished migrations", err);
	if (!res)
		return err->code;
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && !rc; i++) {
		struct flux_mark m = {
			.id = PQgetvalue(res, i, 0),
			.direction = strcmp(PQgetvalue(res, i, 1), "rollback") ? FLUX_MARK_APPLY
										: FLUX_MARK_ROLLBACK,
			.started_at = PQgetvalue(res, i, 2),
			.progress = PQgetvalue(res, i, 3),
			.resume = PQgetvalue(res, i, 4),
		};
		rc = fn(ctx, &m);
	}
	PQclear(res);
	return rc;
}

/* The migration's own SQL is not sent after a cancel (the host's own
 * bookkeeping still is). */
static int cancelled(struct pg *g, flux_error *err)
{
	if (!g->cancelled)
		return FLUX_OK;
	g->host->error_set(err, FLUX_ERR_BACKEND, "canceling statement due to user request "
			   "(before it was sent)");
	memcpy(err->sqlstate, "57014", 6);
	return FLUX_ERR_BACKEND;
}

/* Above this size a text goes to the server as several queries, each of
 * whole statements and at most this long unless one statement is longer:
 * libpq copies a query twice (into its output buffer, and strdup()s it
 * for its error messages; PQsendQuery as much as PQexec), so a 50 MB
 * migration sent as one query held five copies of itself in memory.
 * Below it, run_step sends a migration and its record as one query: one
 * round trip, which is what makes applying many small migrations fast. */
#define PG_PIECE ((size_t)1 << 20)

struct pieces {
	struct pg *g;
	const char *sql;  /* the whole text; sql[len] is NUL */
	size_t len;
	size_t start;     /* where the piece being gathered starts */
	int statements;   /* whether it holds a statement yet */
	size_t sent;      /* queries sent */
	char *buf;        /* a piece and its NUL, for libpq */
	size_t cap;
	flux_error *err;
};

/* Send sql[start, end) as one query, and start the next piece at end.
 * The server's position is made relative to the whole text. */
static int send_piece(struct pieces *p, size_t end)
{
	struct pg *g = p->g;
	int rc = cancelled(g, p->err);
	if (rc)
		return rc;
	const char *piece = p->sql + p->start;
	size_t n = end - p->start;
	const char *text = piece;
	if (end < p->len) { /* the last piece ends at the text's own NUL */
		if (n + 1 > p->cap) {
			char *b = realloc(p->buf, n + 1);
			if (!b)
				return g->host->error_set(p->err, FLUX_ERR_NOMEM, "out of memory");
			p->buf = b;
			p->cap = n + 1;
		}
		memcpy(p->buf, piece, n);
		p->buf[n] = '\0';
		text = p->buf;
	}
	rc = send(g, text, piece, n, 0, NULL, p->err);
	if (rc && p->err->position > 0)
		p->err->position += (long)p->start;
	p->sent++;
	p->start = end;
	p->statements = 0;
	return rc;
}

/* pg_split's statements, gathered into pieces: a piece ends where the
 * statement that would take it past PG_PIECE begins, so the blanks,
 * comments and ';' after a statement go with it. */
static int on_statement(void *ctx, size_t offset, size_t len)
{
	struct pieces *p = ctx;
	int rc = FLUX_OK;
	if (p->statements && offset + len - p->start > PG_PIECE)
		rc = send_piece(p, offset);
	p->statements = 1;
	return rc;
}

/* sql as queries of whole statements, in the transaction the caller
 * opened or, outside one, each query committing by itself (as backend.h
 * allows execute() to). */
static int send_pieces(struct pg *g, const char *sql, size_t len, flux_error *err)
{
	struct pieces p = {.g = g, .sql = sql, .len = len, .err = err};
	g->host->log(g->host, FLUX_LOG_DEBUG, "sending %zu bytes of SQL as queries of whole "
		     "statements, each at most %zu bytes unless one statement is longer", len,
		     PG_PIECE);
	int rc = pg_split(sql, len, on_statement, &p);
	if (!rc)
		rc = send_piece(&p, len);
	free(p.buf);
	if (!rc)
		g->host->log(g->host, FLUX_LOG_DEBUG, "sent them as %zu queries", p.sent);
	return rc;
}

/* run_step for a text above PG_PIECE: BEGIN, the text in pieces, then the
 * record and COMMIT as one query.  The statements and their order are
 * those of the one query describe_sql shows; only the round trips
 * differ.  The caller rolls back on failure, as for the one query. */
static int run_step_in_pieces(struct pg *g, const struct flux_step *step, flux_error *err)
{
	int rc = run(g, FLUX_SQL_BEGIN, NULL, NULL, NULL, err);
	if (!rc)
		rc = send_pieces(g, step->sql, step->len, err);
	if (rc)
		return rc;
	int kind = step->record == FLUX_RECORD_REGISTER     ? FLUX_SQL_REGISTER
		   : step->record == FLUX_RECORD_UNREGISTER ? FLUX_SQL_UNREGISTER
							    : FLUX_SQL_COMMIT;
	struct texts x;
	rc = pg_texts(g, kind, step, NULL, g->marks_state, &x, err);
	if (rc)
		return rc;
	char *text = NULL;
	if (kind != FLUX_SQL_COMMIT && !(x.t[x.n++] = format("COMMIT;")))
		rc = g->host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
	else if (!(text = joined(&x)))
		rc = g->host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
	else if ((rc = send(g, text, text, strlen(text), 0, NULL, err)))
		err->position = 0; /* not in the migration's text */
	free(text);
	texts_free(&x);
	return rc;
}

static int pg_execute(void *state, const char *sql, size_t len, flux_error *err)
{
	struct pg *g = state;
	g->marks_state = MARKS_UNKNOWN; /* the SQL may make or drop any table */
	int rc = cancelled(g, err);
	if (rc)
		return rc;
	return len > PG_PIECE ? send_pieces(g, sql, len, err)
			      : send(g, sql, sql, len, 0, NULL, err);
}

static int pg_split_op(void *state, const char *sql, size_t len, flux_statement_fn fn,
		       void *ctx, flux_error *err)
{
	(void)state;
	(void)err;
	return pg_split(sql, len, fn, ctx);
}

static int pg_run_step(void *state, const struct flux_step *step, flux_error *err)
{
	struct pg *g = state;
	g->marks_state = MARKS_UNKNOWN;
	int rc = cancelled(g, err);
	if (!rc)
		rc = step->len > PG_PIECE ? run_step_in_pieces(g, step, err)
					 : run(g, FLUX_SQL_RUN_STEP, step, NULL, NULL, err);
	if (rc && !lost(g) && PQtransactionStatus(g->conn) != PQTRANS_IDLE) {
		/* The failed statement left the transaction block aborted. */
		flux_error ignored;
		pg_rollback(g, &ignored);
	}
	return rc;
}

/* From the host's thread: PQcancel() opens a connection of its own and
 * asks the server to cancel what this one runs; that query then fails
 * with SQLSTATE 57014.  A request reaching an idle session is dropped,
 * hence the flag.  (libpq 17's PQcancelBlocking would do the same.) */
static void pg_cancel(void *state)
{
	struct pg *g = state;
	char errbuf[256];
	g->cancelled = 1;
	if (g->cancel)
		PQcancel(g->cancel, errbuf, sizeof(errbuf));
}

static const struct flux_backend postgres_backend = {
	FLUX_BACKEND_HEADER_INIT,
	.name = "postgres",
	.description = "PostgreSQL over libpq (postgresql://, postgres://, key=value)",
	.capabilities = FLUX_CAP_TRANSACTIONAL_DDL,
	.create = pg_create,
	.destroy = pg_destroy,
	.connect = pg_connect,
	.disconnect = pg_disconnect,
	.try_lock = pg_try_lock,
	.unlock = pg_unlock,
	.describe_lock = pg_describe_lock,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.is_initialized = pg_is_initialized,
	.initialize = pg_initialize,
	.register_migration = pg_register,
	.unregister_migration = pg_unregister,
	.list_applied = pg_list_applied,
	.mark_save = pg_mark_save,
	.mark_delete = pg_mark_delete,
	.list_marks = pg_list_marks,
	.execute = pg_execute,
	.split = pg_split_op,
	.run_step = pg_run_step,
	.cancel = pg_cancel,
	.redact_uri = pg_redact_uri,
	.describe_sql = pg_describe_sql,
};

FLUX_BACKEND_EXPORT flux_backend_register flux_postgres_backend;

int flux_postgres_backend(const struct flux_host *host, const struct flux_backend **out,
			  flux_error *err)
{
	/* Every 2.x host has option_identifier; the check is the pattern
	 * for a service a later minor adds: the host's table grows at the
	 * end, so read only what its size covers, and say what is missing. */
	if (!FLUX_HOST_HAS(host, option_identifier))
		return host->error_set(err, FLUX_ERR_UNSUPPORTED, "the host offers no "
				       "option_identifier service (the PostgreSQL backend needs "
				       "a flux built for backend ABI 2.0 or later)");
	learn_secret_keys();
	*out = &postgres_backend;
	return FLUX_OK;
}
