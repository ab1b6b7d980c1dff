/* SPDX-License-Identifier: MIT */
/* journal: an out-of-tree flux backend, as a third-party package would
 * ship one, written against flux/backend.h (backend ABI 2.0) alone.  It
 * drives no database: it keeps its records in a plain file (records.c) and
 * appends the SQL it is asked to run to a journal, so it runs anywhere and
 * shows every operation a real backend implements.  To write a backend
 * for your database, keep the shape of this file and replace the file
 * work with calls to its client library; the comments say what each
 * operation owes the host.
 *
 * URI: journal:DIR.  DIR plays the database, so it must exist (connect()
 * fails otherwise, as connecting to a missing database does) and holds
 *   DIR/records          the record table and the marks (records.h)
 *   DIR/<journal_file>   the SQL that ran, each piece ending with ';'
 *   DIR/lock             the flock that keeps other flux processes out
 * [backend] options: journal_file (default "journal.sql"), a file name. */
#define _GNU_SOURCE /* open_memstream, memmem, O_DIRECTORY */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <flux/backend.h>

#include "records.h"

FLUX_BACKEND_MODULE;

struct buf {
	char *p;
	size_t len, cap;
};

struct journal {
	const struct flux_host *host;
	const char *dir;          /* in the URI, which the host keeps alive */
	const char *journal_file; /* owned by the host until destroy() */
	int dirfd;                /* the "connection": DIR, opened by connect() */
	int lockfd;               /* DIR/lock while try_lock() holds or tries it */
	/* The open transaction: nothing reaches the files before commit(),
	 * and rollback() just forgets it, which is what a database does. */
	int in_tx;
	struct rows tx_rows;      /* DIR/records as it will be after commit() */
	int tx_rows_changed;
	struct buf tx_sql;        /* what commit() appends to the journal */
};

static int nomem(struct journal *j, flux_error *err)
{
	return j->host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
}

/* The database refused: name the file, so the user knows where to look. */
static int fail_errno(struct journal *j, flux_error *err, const char *what, const char *name)
{
	int e = errno;
	return j->host->error_set(err, FLUX_ERR_BACKEND, "cannot %s %s/%s: %s", what, j->dir,
				  name, strerror(e));
}

/* After rows_load() or rows_save() failed (errno says why). */
static int records_error(struct journal *j, flux_error *err, const char *what, int bad_line)
{
	if (errno == ENOMEM)
		return nomem(j, err);
	if (errno != EBADMSG || !bad_line)
		return fail_errno(j, err, what, "records");
	j->host->error_set(err, FLUX_ERR_BACKEND, "%s/records:%d: not a journal row", j->dir,
			   bad_line);
	j->host->error_hint(err, "restore the file, or fix the line by hand");
	return FLUX_ERR_BACKEND;
}

static int load(struct journal *j, struct rows *t, flux_error *err)
{
	int bad_line;
	return rows_load(j->dirfd, "records", t, &bad_line) == 0
		       ? FLUX_OK : records_error(j, err, "read", bad_line);
}

static int buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static void buf_free(struct buf *b)
{
	free(b->p);
	*b = (struct buf){0};
}

/* A change to the records: inside a transaction it waits in tx_rows for
 * commit(); outside one it commits by itself (load, change, save). */
static int change_begin(struct journal *j, struct rows **t, struct rows *own, flux_error *err)
{
	if (j->in_tx) {
		*t = &j->tx_rows;
		j->tx_rows_changed = 1;
		return FLUX_OK;
	}
	*t = own;
	return load(j, own, err);
}

static int change_end(struct journal *j, struct rows *own, int rc, flux_error *err)
{
	if (!j->in_tx) {
		if (!rc && rows_save(j->dirfd, "records", own) != 0)
			rc = records_error(j, err, "write", 0);
		rows_free(own);
	}
	return rc;
}

static void utc_now(char *out, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;
	strftime(out, n, "%Y-%m-%d %H:%M:%S", gmtime_r(&t, &tm));
}

/* ------------------------------------------------------------------ */

/* Parse the URI and options into a new state; connect nothing yet.  Errors
 * name the option or the URI form, so the user can fix flux.toml or the
 * command line. */
static int jr_create(const struct flux_host *host, const struct flux_options *opts,
		     const char *uri, void **state, flux_error *err)
{
	if (strncmp(uri, "journal:", 8) != 0 || !uri[8])
		return host->error_set(err, FLUX_ERR_INVALID,
				       "not a journal URI: '%s' (expected journal:DIR)", uri);
	const char *file;
	int rc = host->option_string(opts, "journal_file", "journal.sql", &file, err);
	if (rc)
		return rc;
	/* option_error puts flux.toml's file and line in front. */
	if (!*file || strchr(file, '/'))
		return host->option_error(opts, "journal_file", err, "[backend] journal_file "
					  "'%s' must be a file name, not a path", file);
	if (strcmp(file, "records") == 0 || strcmp(file, "records.tmp") == 0 ||
	    strcmp(file, "lock") == 0)
		return host->option_error(opts, "journal_file", err, "[backend] journal_file "
					  "'%s' is a file the journal keeps itself", file);
	struct journal *j = calloc(1, sizeof(*j));
	if (!j)
		return host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
	j->host = host;
	j->dir = uri + 8;
	j->journal_file = file;
	j->dirfd = -1;
	j->lockfd = -1;
	*state = j;
	return FLUX_OK;
}

static void drop_tx(struct journal *j)
{
	rows_free(&j->tx_rows);
	buf_free(&j->tx_sql);
	j->in_tx = 0;
	j->tx_rows_changed = 0;
}

static int jr_disconnect(void *state, flux_error *err)
{
	(void)err;
	struct journal *j = state;
	drop_tx(j); /* an open transaction dies with the connection */
	if (j->lockfd >= 0)
		close(j->lockfd);
	if (j->dirfd >= 0)
		close(j->dirfd);
	j->lockfd = j->dirfd = -1;
	return FLUX_OK;
}

static void jr_destroy(void *state)
{
	jr_disconnect(state, NULL);
	free(state);
}

/* A database backend opens its connection here.  The journal opens DIR and
 * keeps it, so every file below is the one in this directory.  It creates
 * nothing: a missing DIR/records is for is_initialized() to report. */
static int jr_connect(void *state, flux_error *err)
{
	struct journal *j = state;
	j->dirfd = open(j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (j->dirfd < 0)
		return j->host->error_set(err, FLUX_ERR_BACKEND, "cannot open %s: %s", j->dir,
					  strerror(errno));
	j->host->log(j->host, FLUX_LOG_DEBUG, "journal: records in %s/records, SQL in %s/%s",
		     j->dir, j->dir, j->journal_file);
	return FLUX_OK;
}

/* One attempt, never a wait: the host owns waiting, time-outs and Ctrl-C.
 * flock() dies with the process, as the header requires.  The holder
 * writes its pid into the file for describe_lock(). */
static int jr_try_lock(void *state, int *acquired, flux_error *err)
{
	struct journal *j = state;
	*acquired = 0;
	if (j->lockfd < 0) {
		j->lockfd = openat(j->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (j->lockfd < 0)
			return fail_errno(j, err, "open", "lock");
	}
	int r;
	while ((r = flock(j->lockfd, LOCK_EX | LOCK_NB)) != 0 && errno == EINTR)
		;
	if (r != 0)
		return errno == EWOULDBLOCK ? FLUX_OK : fail_errno(j, err, "lock", "lock");
	*acquired = 1;
	char who[96], at[32];
	utc_now(at, sizeof(at));
	int n = snprintf(who, sizeof(who), "pid %ld, since %s UTC", (long)getpid(), at);
	if (ftruncate(j->lockfd, 0) != 0 || pwrite(j->lockfd, who, (size_t)n, 0) != n)
		j->host->log(j->host, FLUX_LOG_DEBUG, "journal: cannot note the lock holder "
			     "in %s/lock: %s", j->dir, strerror(errno));
	return FLUX_OK;
}

static int jr_unlock(void *state, flux_error *err)
{
	struct journal *j = state;
	if (j->lockfd < 0)
		return FLUX_OK;
	if (ftruncate(j->lockfd, 0) != 0) {
		/* A stale pid only misleads the next waiter's message. */
	}
	int r = flock(j->lockfd, LOCK_UN);
	close(j->lockfd);
	j->lockfd = -1;
	return r == 0 ? FLUX_OK : fail_errno(j, err, "unlock", "lock");
}

static void jr_describe_lock(void *state, char *lock, size_t lock_size, char *holder,
			     size_t holder_size)
{
	struct journal *j = state;
	snprintf(lock, lock_size, "flock on %s/lock", j->dir);
	ssize_t n = j->lockfd >= 0 && holder_size ? pread(j->lockfd, holder, holder_size - 1, 0) : 0;
	if (n < 0)
		n = 0;
	while (n > 0 && isspace((unsigned char)holder[n - 1]))
		n--;
	if (holder_size)
		holder[n] = '\0';
}

static int jr_begin(void *state, flux_error *err)
{
	struct journal *j = state;
	if (j->in_tx)
		return j->host->error_set(err, FLUX_ERR_BACKEND, "a transaction is already open");
	int rc = load(j, &j->tx_rows, err);
	if (!rc)
		j->in_tx = 1;
	return rc;
}

/* Append to the journal and make it durable: outside a transaction this is
 * the statement's own commit.  *was is the journal's size before, so a
 * failure (here or in commit()) can cut it back: a failed commit leaves
 * the files as they were. */
static int journal_append(struct journal *j, const char *s, size_t n, off_t *was,
			  flux_error *err)
{
	int fd = openat(j->dirfd, j->journal_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return fail_errno(j, err, "open", j->journal_file);
	*was = lseek(fd, 0, SEEK_END);
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		s += w;
		n -= (size_t)w;
	}
	if (n || fsync(fd) != 0) {
		int rc = fail_errno(j, err, "append to", j->journal_file);
		if (*was >= 0 && ftruncate(fd, *was) != 0) {
			/* Nothing more to do: the error already names the file. */
		}
		close(fd);
		return rc;
	}
	return close(fd) == 0 ? FLUX_OK : fail_errno(j, err, "write", j->journal_file);
}

/* The journal first, then the records.  A crash between the two leaves SQL
 * in the journal with no record of it, as a database without transactional
 * DDL would (hence no FLUX_CAP_TRANSACTIONAL_DDL); a failure is undone. */
static int jr_commit(void *state, flux_error *err)
{
	struct journal *j = state;
	if (!j->in_tx)
		return j->host->error_set(err, FLUX_ERR_BACKEND, "no transaction to commit");
	off_t was = -1;
	int rc = j->tx_sql.len ? journal_append(j, j->tx_sql.p, j->tx_sql.len, &was, err) : FLUX_OK;
	if (!rc && j->tx_rows_changed && rows_save(j->dirfd, "records", &j->tx_rows) != 0) {
		rc = records_error(j, err, "write", 0);
		int fd = was < 0 ? -1 : openat(j->dirfd, j->journal_file, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (ftruncate(fd, was) != 0) {
				/* The records error is the one to report. */
			}
			close(fd);
		}
	}
	drop_tx(j);
	return rc;
}

/* Must succeed when there is no transaction left to end. */
static int jr_rollback(void *state, flux_error *err)
{
	(void)err;
	drop_tx(state);
	return FLUX_OK;
}

static int jr_is_initialized(void *state, int *initialized, flux_error *err)
{
	struct journal *j = state;
	if (faccessat(j->dirfd, "records", F_OK, 0) == 0)
		*initialized = 1;
	else if (errno == ENOENT)
		*initialized = 0;
	else
		return fail_errno(j, err, "check", "records");
	return FLUX_OK;
}

/* Idempotent: an existing table is kept as it is. */
static int jr_initialize(void *state, flux_error *err)
{
	struct journal *j = state;
	int fd = openat(j->dirfd, "records", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return fail_errno(j, err, "create", "records");
	close(fd);
	return FLUX_OK;
}

static int jr_register(void *state, const char *id, const char *hash, flux_error *err)
{
	struct journal *j = state;
	struct rows own, *t;
	int rc = change_begin(j, &t, &own, err);
	char at[32];
	utc_now(at, sizeof(at));
	const char *row[] = {ROWS_APPLIED, id, hash, at};
	if (!rc && rows_put(t, row, 4) != 0)
		rc = nomem(j, err);
	return change_end(j, &own, rc, err);
}

static int jr_unregister(void *state, const char *id, flux_error *err)
{
	struct journal *j = state;
	struct rows own, *t;
	int rc = change_begin(j, &t, &own, err);
	if (!rc)
		rows_delete(t, ROWS_APPLIED, id);
	return change_end(j, &own, rc, err);
}

/* One call per record in id order (the rows are kept sorted); the
 * callback's non-zero status ends the walk and is returned unchanged. */
static int jr_list_applied(void *state, flux_applied_fn fn, void *ctx, flux_error *err)
{
	struct journal *j = state;
	struct rows t;
	int rc = load(j, &t, err);
	for (size_t i = 0; !rc && i < t.n; i++)
		if (strcmp(t.v[i].f[ROW_TABLE], ROWS_APPLIED) == 0)
			rc = fn(ctx, t.v[i].f[ROW_ID], t.v[i].f[2], t.v[i].f[3]);
	rows_free(&t);
	return rc;
}

/* Marks live in DIR/records beside the records, so the host's final
 * transaction (register, mark_delete, commit) is one rename. */
static int jr_mark_save(void *state, const struct flux_mark *mark, flux_error *err)
{
	struct journal *j = state;
	struct rows own, *t;
	int rc = change_begin(j, &t, &own, err);
	struct row *old = rc ? NULL : rows_find(t, ROWS_INCOMPLETE, mark->id);
	char at[32];
	if (old)
		snprintf(at, sizeof(at), "%s", old->f[3]); /* started_at is kept */
	else
		utc_now(at, sizeof(at));
	const char *row[] = {ROWS_INCOMPLETE, mark->id,
			     mark->direction == FLUX_MARK_ROLLBACK ? "rollback" : "apply", at,
			     mark->progress ? mark->progress : "", mark->resume ? mark->resume : ""};
	if (!rc && rows_put(t, row, 6) != 0)
		rc = nomem(j, err);
	return change_end(j, &own, rc, err);
}

static int jr_mark_delete(void *state, const char *id, flux_error *err)
{
	struct journal *j = state;
	struct rows own, *t;
	int rc = change_begin(j, &t, &own, err);
	if (!rc)
		rows_delete(t, ROWS_INCOMPLETE, id);
	return change_end(j, &own, rc, err);
}

static int jr_list_marks(void *state, flux_mark_fn fn, void *ctx, flux_error *err)
{
	struct journal *j = state;
	struct rows t;
	int rc = load(j, &t, err);
	for (size_t i = 0; !rc && i < t.n; i++) {
		char **f = t.v[i].f;
		if (strcmp(f[ROW_TABLE], ROWS_INCOMPLETE) != 0)
			continue;
		struct flux_mark m = {
			.id = f[ROW_ID],
			.direction = strcmp(f[2], "rollback") == 0 ? FLUX_MARK_ROLLBACK
								  : FLUX_MARK_APPLY,
			.started_at = f[3], .progress = f[4], .resume = f[5],
		};
		rc = fn(ctx, &m);
	}
	rows_free(&t);
	return rc;
}

/* "Run" SQL: append it to the journal as a script would hold it, ending
 * with ';' (the host hands single statements without their delimiter;
 * after a line comment the ';' goes on a line of its own).  In the host's
 * transaction it waits for commit(); outside one it is written at once.
 * A real backend sends sql to the database here and, on failure, sets
 * err->position (1-based byte offset in sql) and err->sqlstate. */
static int jr_execute(void *state, const char *sql, size_t len, flux_error *err)
{
	struct journal *j = state;
	while (len && isspace((unsigned char)sql[len - 1]))
		len--;
	while (len && isspace((unsigned char)*sql)) {
		sql++;
		len--;
	}
	if (!len)
		return FLUX_OK;
	const char *last_line = sql + len;
	while (last_line > sql && last_line[-1] != '\n')
		last_line--;
	const char *end = sql[len - 1] == ';' ? "\n" :
			  memmem(last_line, (size_t)(sql + len - last_line), "--", 2) ? "\n;\n" : ";\n";
	struct buf own = {0}, *b = j->in_tx ? &j->tx_sql : &own;
	if (buf_add(b, sql, len) != 0 || buf_add(b, end, strlen(end)) != 0) {
		buf_free(&own);
		return nomem(j, err);
	}
	off_t was;
	int rc = j->in_tx ? FLUX_OK : journal_append(j, own.p, own.len, &was, err);
	buf_free(&own);
	return rc;
}

/* A simple splitter, enough for the example and for SQL without dialect
 * quirks: statements end at ';' outside '...' and "..." quotes, -- line
 * comments and non-nested block comments.  It knows no dollar quotes,
 * backslash escapes, BEGIN ... END bodies or DELIMITER lines: a real
 * backend splits by its database's own rules.  A statement runs from its
 * first byte of code to its last, so comments around it stay out (and
 * editing them does not change the statement). */
static int jr_split(void *state, const char *sql, size_t len, flux_statement_fn fn, void *ctx,
		    flux_error *err)
{
	(void)state;
	(void)err;
	size_t start = SIZE_MAX, end = 0;
	for (size_t i = 0; i < len; i++) {
		char c = sql[i], next = i + 1 < len ? sql[i + 1] : '\0';
		if (c == '-' && next == '-') {
			while (i + 1 < len && sql[i + 1] != '\n')
				i++;
		} else if (c == '/' && next == '*') {
			for (i += 2; i + 1 < len && !(sql[i] == '*' && sql[i + 1] == '/'); i++)
				;
			i = i + 1 < len ? i + 1 : len;
		} else if (c == ';') {
			if (start != SIZE_MAX) {
				int rc = fn(ctx, start, end - start);
				if (rc)
					return rc;
			}
			start = SIZE_MAX;
		} else if (!isspace((unsigned char)c)) {
			if (start == SIZE_MAX)
				start = i;
			if (c == '\'' || c == '"')
				while (i + 1 < len && sql[++i] != c)
					;
			end = i + 1;
		}
	}
	return start != SIZE_MAX ? fn(ctx, start, end - start) : FLUX_OK;
}

/* journal:DIR has no secret to hide: the copy shows which directory flux
 * used.  Returns the length written, cut to size. */
static size_t jr_redact_uri(const char *uri, char *out, size_t size)
{
	if (!size)
		return 0;
	snprintf(out, size, "%s", uri);
	return strlen(out);
}

/* For --dry-run.  Apart from execute(), the journal sends no SQL: it says
 * what each operation would do to its files in SQL comments, which any
 * client accepts. */
static int jr_describe_sql(void *state, int kind, const struct flux_step *step,
			   const struct flux_mark *mark, flux_text_fn fn, void *ctx, flux_error *err)
{
	struct journal *j = state;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return nomem(j, err);
	/* MARK_SAVE gets the mark; the other kinds name the step. */
	const char *id = kind == FLUX_SQL_MARK_SAVE ? (mark ? mark->id : "") : step ? step->id : "";
	fputs("-- journal: ", f);
	switch (kind) {
	case FLUX_SQL_BEGIN:
		fputs("hold what follows until commit", f);
		break;
	case FLUX_SQL_COMMIT:
		fprintf(f, "append the held SQL to %s/%s, then replace %s/records", j->dir,
			j->journal_file, j->dir);
		break;
	case FLUX_SQL_INITIALIZE:
		fprintf(f, "create %s/records if it is missing", j->dir);
		break;
	case FLUX_SQL_REGISTER:
		fputs("record ", f);
		rows_escape(f, id);
		fprintf(f, " %s as applied", step ? step->hash : "");
		break;
	case FLUX_SQL_UNREGISTER:
		fputs("forget the record of ", f);
		rows_escape(f, id);
		break;
	case FLUX_SQL_MARK_SAVE:
		fputs("mark ", f);
		rows_escape(f, id);
		fputs(" incomplete: ", f);
		rows_escape(f, mark && mark->progress ? mark->progress : "");
		break;
	case FLUX_SQL_MARK_DELETE:
		fputs("drop the mark of ", f);
		rows_escape(f, id);
		break;
	default: /* RUN_STEP (the journal has no run_step) and later kinds */
		fclose(f);
		free(text);
		return j->host->error_set(err, FLUX_ERR_UNSUPPORTED, "the journal backend cannot "
					  "describe operation %d", kind);
	}
	fputc('\n', f);
	if (fclose(f) != 0) {
		free(text);
		return nomem(j, err);
	}
	int rc = fn(ctx, text, len);
	free(text);
	return rc;
}

static const struct flux_backend journal_backend = {
	FLUX_BACKEND_HEADER_INIT,
	.name = "journal",
	.description = "records in a file, SQL appended to a journal (journal:DIR)",
	/* No FLUX_CAP_TRANSACTIONAL_DDL: a commit is an append to the journal
	 * and then a rename of records, two steps a crash can separate, and
	 * the journal stands for a script some database runs later, which
	 * need not roll DDL back.  So the host runs every migration statement
	 * by statement with marks and never claims to roll one back: the
	 * path a MariaDB or Oracle backend takes, shown here end to end. */
	.capabilities = 0,
	.create = jr_create,
	.destroy = jr_destroy,
	.connect = jr_connect,
	.disconnect = jr_disconnect,
	.try_lock = jr_try_lock,
	.unlock = jr_unlock,
	.describe_lock = jr_describe_lock,
	.begin = jr_begin,
	.commit = jr_commit,
	.rollback = jr_rollback,
	.is_initialized = jr_is_initialized,
	.initialize = jr_initialize,
	.register_migration = jr_register,
	.unregister_migration = jr_unregister,
	.list_applied = jr_list_applied,
	.mark_save = jr_mark_save,
	.mark_delete = jr_mark_delete,
	.list_marks = jr_list_marks,
	.execute = jr_execute,
	.split = jr_split,
	/* Optional.  run_step: a round trip saved, nothing to save here.
	 * cancel: every operation is a short file write. */
	.redact_uri = jr_redact_uri,
	.describe_sql = jr_describe_sql,
};

/* The registration function the manifest names.  A 2.0 host has every
 * service below; the check is the pattern for a service a later minor
 * adds, and the refusal says why, so the user is not left guessing. */
FLUX_BACKEND_EXPORT int journal_flux_backend(const struct flux_host *host,
					     const struct flux_backend **out, flux_error *err);

int journal_flux_backend(const struct flux_host *host, const struct flux_backend **out,
			 flux_error *err)
{
	if (!FLUX_HOST_HAS(host, option_error))
		return host->error_set(err, FLUX_ERR_UNSUPPORTED, "the journal backend needs "
				       "a flux that offers option_error (backend ABI 2.0); "
				       "this one offers %u.%u",
				       FLUX_ABI_MAJOR_OF(host->abi_version),
				       FLUX_ABI_MINOR_OF(host->abi_version));
	*out = &journal_backend;
	return FLUX_OK;
}
