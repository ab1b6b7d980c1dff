/* SPDX-License-Identifier: MIT */
/* journal: an out-of-tree flux backend, as a third-party package would
 * ship one.  It drives no database: it keeps its records in a text file
 * and appends the SQL of every migration it runs to a journal, so it runs
 * anywhere and shows every operation a real backend implements.  To write
 * a backend for your database, keep the shape and replace the file work
 * with calls to its client library; the comments say what each operation
 * owes the host.
 *
 * URI: journal:DIR (DIR must exist, as a database must).  DIR/records
 * holds one "id hash applied_at" line per applied migration,
 * DIR/<journal_file> the SQL that ran.
 * [backend] options: journal_file (default "journal.sql"). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <flux/backend.h>

struct journal {
	const struct flux_host *host;
	char dir[1024];
	const char *journal_file;
	int lockfd;
	/* What the open transaction did: applied only at commit(), dropped by
	 * rollback(), which is what a database does for us. */
	char *pending_sql;
	size_t pending_len;
	char pending_record[600]; /* "+id hash" or "-id" */
};

static int fail_errno(struct journal *j, flux_error *err, const char *what, const char *path)
{
	return j->host->error_set(err, FLUX_ERR_BACKEND, "%s %s: %s", what, path,
				  strerror(errno));
}

static void path_of(const struct journal *j, const char *name, char *out, size_t n)
{
	snprintf(out, n, "%s/%s", j->dir, name);
}

/* Parse the URI and options; connect nothing yet.  Errors name the
 * option or the URI form, so the user can fix flux.toml or the command. */
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
	/* option_error names flux.toml's line; hosts before ABI 1.1 lack it. */
	if (strchr(file, '/') && FLUX_HOST_HAS(host, option_error))
		return host->option_error(opts, "journal_file", err, "[backend] journal_file "
					  "'%s' must be a file name, not a path", file);
	if (strchr(file, '/'))
		return host->error_set(err, FLUX_ERR_CONFIG, "[backend] journal_file '%s' "
				       "must be a file name, not a path", file);
	struct journal *j = calloc(1, sizeof(*j));
	if (!j)
		return host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
	j->host = host;
	j->journal_file = file;
	j->lockfd = -1;
	snprintf(j->dir, sizeof(j->dir), "%s", uri + 8);
	*state = j;
	return FLUX_OK;
}

static void jr_destroy(void *state)
{
	struct journal *j = state;
	if (j->lockfd >= 0)
		close(j->lockfd);
	free(j->pending_sql);
	free(j);
}

/* A database backend opens its connection here. */
static int jr_connect(void *state, flux_error *err)
{
	struct journal *j = state;
	char path[1100];
	path_of(j, "lock", path, sizeof(path));
	j->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	return j->lockfd < 0 ? fail_errno(j, err, "cannot open", path) : FLUX_OK;
}

static int jr_disconnect(void *state, flux_error *err)
{
	(void)err;
	struct journal *j = state;
	if (j->lockfd >= 0)
		close(j->lockfd);
	j->lockfd = -1;
	return FLUX_OK;
}

/* The run-long lock that keeps other flux processes out.  Wait at most
 * timeout seconds (for ever when negative) and say who holds it when you
 * can; the host turns FLUX_ERR_LOCK_TIMEOUT into exit status 3. */
static int jr_lock(void *state, double timeout, flux_error *err)
{
	struct journal *j = state;
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (flock(j->lockfd, LOCK_EX | LOCK_NB) != 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		double waited = (double)(now.tv_sec - start.tv_sec) +
				(double)(now.tv_nsec - start.tv_nsec) / 1e9;
		if (timeout >= 0 && waited >= timeout)
			return j->host->error_set(err, FLUX_ERR_LOCK_TIMEOUT, "gave up after "
						  "%.1f s waiting for the lock on %s", waited,
						  j->dir);
		struct timespec pause = {0, 50 * 1000 * 1000};
		nanosleep(&pause, NULL);
	}
	return FLUX_OK;
}

static int jr_unlock(void *state, flux_error *err)
{
	(void)err;
	struct journal *j = state;
	flock(j->lockfd, LOCK_UN);
	return FLUX_OK;
}

static void drop_pending(struct journal *j)
{
	free(j->pending_sql);
	j->pending_sql = NULL;
	j->pending_len = 0;
	j->pending_record[0] = '\0';
}

static int jr_begin(void *state, flux_error *err)
{
	(void)err;
	drop_pending(state);
	return FLUX_OK;
}

static int jr_rollback(void *state, flux_error *err)
{
	(void)err;
	drop_pending(state);
	return FLUX_OK;
}

/* Rewrite the records file with the pending change, via a temporary file
 * and rename(), so a crash leaves the old or the new file, never half. */
static int write_records(struct journal *j, flux_error *err)
{
	char path[1100], tmp[1200], line[1024];
	path_of(j, "records", path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *in = fopen(path, "r"), *out = fopen(tmp, "w");
	if (!out) {
		if (in)
			fclose(in);
		return fail_errno(j, err, "cannot write", tmp);
	}
	const char *rec = j->pending_record;
	size_t idlen = strcspn(rec + 1, " ");
	while (in && fgets(line, sizeof(line), in))
		if (!(rec[0] == '-' && strncmp(line, rec + 1, idlen) == 0 && line[idlen] == ' '))
			fputs(line, out);
	if (in)
		fclose(in);
	if (rec[0] == '+') {
		char stamp[32];
		time_t t = time(NULL);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", gmtime(&t));
		fprintf(out, "%s %s\n", rec + 1, stamp);
	}
	if (fclose(out) != 0 || rename(tmp, path) != 0)
		return fail_errno(j, err, "cannot replace", path);
	return FLUX_OK;
}

static int jr_commit(void *state, flux_error *err)
{
	struct journal *j = state;
	int rc = FLUX_OK;
	if (j->pending_len) {
		char path[1100];
		path_of(j, j->journal_file, path, sizeof(path));
		FILE *f = fopen(path, "a");
		if (!f)
			rc = fail_errno(j, err, "cannot append to", path);
		else if (fwrite(j->pending_sql, 1, j->pending_len, f) != j->pending_len ||
			 fclose(f) != 0)
			rc = fail_errno(j, err, "cannot write", path);
	}
	if (!rc && j->pending_record[0])
		rc = write_records(j, err);
	drop_pending(j);
	return rc;
}

/* Does the record table exist?  Create it (idempotently) otherwise. */
static int jr_is_initialized(void *state, int *initialized, flux_error *err)
{
	(void)err;
	struct journal *j = state;
	char path[1100];
	path_of(j, "records", path, sizeof(path));
	*initialized = access(path, F_OK) == 0;
	return FLUX_OK;
}

static int jr_initialize(void *state, flux_error *err)
{
	struct journal *j = state;
	char path[1100];
	path_of(j, "records", path, sizeof(path));
	FILE *f = fopen(path, "a");
	if (!f)
		return fail_errno(j, err, "cannot create", path);
	fclose(f);
	return FLUX_OK;
}

/* Record changes happen inside the transaction the host opened. */
static int jr_register(void *state, const char *id, const char *hash, flux_error *err)
{
	(void)err;
	struct journal *j = state;
	snprintf(j->pending_record, sizeof(j->pending_record), "+%s %s", id, hash);
	return FLUX_OK;
}

static int jr_unregister(void *state, const char *id, flux_error *err)
{
	(void)err;
	struct journal *j = state;
	snprintf(j->pending_record, sizeof(j->pending_record), "-%s", id);
	return FLUX_OK;
}

/* Run the SQL as written.  A real backend reports the database's error
 * here, with err->position (1-based byte offset into sql) so flux can
 * show file:line:column, and err->sqlstate when the database has codes. */
static int jr_apply(void *state, const char *sql, size_t len, unsigned int flags,
		    flux_error *err)
{
	(void)flags; /* a journal has no transactions to stay out of */
	struct journal *j = state;
	char *p = realloc(j->pending_sql, j->pending_len + len + 2);
	if (!p)
		return j->host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
	memcpy(p + j->pending_len, sql, len);
	j->pending_len += len;
	if (len && sql[len - 1] != '\n')
		p[j->pending_len++] = '\n';
	j->pending_sql = p;
	return FLUX_OK;
}

/* Every record, in any order (the host sorts). */
static int jr_list_applied(void *state, flux_applied_fn fn, void *ctx, flux_error *err)
{
	struct journal *j = state;
	char path[1100], id[512], hash[64], at[64];
	path_of(j, "records", path, sizeof(path));
	FILE *f = fopen(path, "r");
	if (!f)
		return fail_errno(j, err, "cannot read", path);
	int rc = FLUX_OK;
	while (fscanf(f, "%511s %63s %63s", id, hash, at) == 3)
		if (fn(ctx, id, hash, at)) {
			rc = j->host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
			break;
		}
	fclose(f);
	return rc;
}

static const struct flux_backend journal_backend = {
	FLUX_BACKEND_HEADER_INIT,
	.name = "journal",
	.description = "records in a file, SQL appended to a journal (journal:DIR)",
	.create = jr_create,
	.destroy = jr_destroy,
	.connect = jr_connect,
	.disconnect = jr_disconnect,
	.lock = jr_lock,
	.unlock = jr_unlock,
	.begin = jr_begin,
	.commit = jr_commit,
	.rollback = jr_rollback,
	.is_initialized = jr_is_initialized,
	.initialize = jr_initialize,
	.register_migration = jr_register,
	.unregister_migration = jr_unregister,
	.apply = jr_apply,
	.list_applied = jr_list_applied,
	/* Optional: run_step (one round trip per migration) and the mark
	 * operations (no-transaction migrations that stop half-way); see
	 * flux/backend.h.  Left NULL, the host composes the ones above. */
};

/* The registration function the manifest names; the only exported symbol
 * (see the Makefile). */
FLUX_BACKEND_EXPORT const struct flux_backend *journal_flux_backend(const struct flux_host *host);

const struct flux_backend *journal_flux_backend(const struct flux_host *host)
{
	(void)host;
	return &journal_backend;
}
