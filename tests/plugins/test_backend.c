/* SPDX-License-Identifier: MIT */
/* Test-only backends, one build per behaviour or failure the host must
 * handle.
 *
 * The good build ("test-good") keeps its records in a file named by the
 * URI (test:PATH), one `id hash` line each, its marks in PATH.marks, and
 * appends every statement it executes to PATH.log, so the runner can be
 * driven end to end through a module that is not SQLite and a test can
 * see what ran.  SQL containing the word FAIL fails at that word's
 * position; SLEEP runs until cancelled (at most 20 s); a cancel while no
 * SLEEP runs fails the next read of the records.  While the file
 * PATH.held exists, the lock is taken by "another process" named by the
 * file's first line (and a failed attempt creates PATH.tried).  split()
 * cuts at each ';' (no quoting rules).  The other variants are the same
 * file compiled with one difference each (see tests/Makefile.inc). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <flux/backend.h>

#ifdef TB_WRONG_ABI
/* The stamp of a module built for ABI 3.1: never to be called. */
FLUX_BACKEND_EXPORT extern const unsigned int flux_backend_module_abi;
const unsigned int flux_backend_module_abi = (3u << 16) | 1u;
#elif !defined(TB_NO_STAMP)
FLUX_BACKEND_MODULE;
#endif

struct tb {
	const struct flux_host *host;
	char path[1024];
	atomic_int cancelled;
};

static int tb_create(const struct flux_host *host, const struct flux_options *opts,
		     const char *uri, void **state, flux_error *err)
{
	if (strncmp(uri, "test:", 5) != 0)
		return host->error_set(err, FLUX_ERR_INVALID, "not a test URI: '%s'", uri);
	long long level;
	int rc = host->option_int(opts, "coolness_level", 0, &level, err);
	const char *table;
	if (!rc)
		rc = host->option_identifier(opts, "table", "records", 20, &table, err);
	if (rc)
		return rc;
	struct tb *t = calloc(1, sizeof(*t));
	if (!t)
		return host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
	t->host = host;
	snprintf(t->path, sizeof(t->path), "%s", uri + 5);
	t->path[strcspn(t->path, "?")] = '\0';
	*state = t;
	return FLUX_OK;
}

static void tb_destroy(void *state) { free(state); }
static int ok(void *state, flux_error *err) { (void)state; (void)err; return FLUX_OK; }

/* PATH + suffix, in a buffer of the caller's. */
static const char *file(const struct tb *t, const char *suffix, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s", t->path, suffix);
	return buf;
}

static int tb_try_lock(void *state, int *acquired, flux_error *err)
{
	(void)err;
	char held[1100], tried[1100];
	FILE *f = fopen(file(state, ".held", held, sizeof(held)), "r");
	*acquired = f == NULL;
	if (f) {
		fclose(f);
		/* For tests that act while flux waits: it has tried once. */
		f = fopen(file(state, ".tried", tried, sizeof(tried)), "a");
		if (f)
			fclose(f);
	}
	return FLUX_OK;
}

static void tb_describe_lock(void *state, char *lock, size_t lock_size, char *holder,
			     size_t holder_size)
{
	struct tb *t = state;
	char held[1100];
	snprintf(lock, lock_size, "the test lock %s.held", t->path);
	holder[0] = '\0';
	FILE *f = fopen(file(t, ".held", held, sizeof(held)), "r");
	if (f) {
		if (fgets(holder, (int)holder_size, f))
			holder[strcspn(holder, "\n")] = '\0';
		fclose(f);
	}
}

static int tb_is_initialized(void *state, int *init, flux_error *err)
{
	(void)err;
	struct tb *t = state;
	FILE *f = fopen(t->path, "r");
	*init = f != NULL;
	if (f)
		fclose(f);
	return FLUX_OK;
}

static int tb_initialize(void *state, flux_error *err)
{
	struct tb *t = state;
	FILE *f = fopen(t->path, "a");
	if (!f)
		return t->host->error_set(err, FLUX_ERR_BACKEND, "cannot create %s", t->path);
	fclose(f);
	return FLUX_OK;
}

static int tb_register(void *state, const char *id, const char *hash, flux_error *err)
{
	struct tb *t = state;
	FILE *f = fopen(t->path, "a");
	if (!f)
		return t->host->error_set(err, FLUX_ERR_BACKEND, "cannot write %s", t->path);
	fprintf(f, "%s %s\n", id, hash);
	fclose(f);
	return FLUX_OK;
}

/* Rewrite path without the lines whose first field is id; with add, then
 * append add. */
static int rewrite(struct tb *t, const char *path, const char *id, char sep, const char *add,
		   flux_error *err)
{
	char tmp[1200], line[8192];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *in = fopen(path, "r"), *out = fopen(tmp, "w");
	if (!out) {
		if (in)
			fclose(in);
		return t->host->error_set(err, FLUX_ERR_BACKEND, "cannot write %s", tmp);
	}
	size_t idl = strlen(id);
	while (in && fgets(line, sizeof(line), in))
		if (!(strncmp(line, id, idl) == 0 && line[idl] == sep))
			fputs(line, out);
	if (add)
		fputs(add, out);
	if (in)
		fclose(in);
	fclose(out);
	rename(tmp, path);
	return FLUX_OK;
}

static int tb_unregister(void *state, const char *id, flux_error *err)
{
	struct tb *t = state;
	return rewrite(t, t->path, id, ' ', NULL, err);
}

static int tb_list(void *state, flux_applied_fn fn, void *ctx, flux_error *err)
{
	struct tb *t = state;
	/* A cancel that came while no SLEEP ran stops the next read, as a
	 * PostgreSQL cancel request that arrives late does. */
	if (atomic_exchange(&t->cancelled, 0))
		return t->host->error_set(err, FLUX_ERR_BACKEND, "cancelled by the test backend "
					  "(late)");
	FILE *f = fopen(t->path, "r");
	char id[512], hash[64];
	int rc = 0;
	while (!rc && f && fscanf(f, "%511s %63s", id, hash) == 2)
		rc = fn(ctx, id, hash, "2024-01-01 00:00:00");
	if (f)
		fclose(f);
	return rc;
}

/* Marks: one line each, id TAB direction TAB progress TAB resume. */
static int tb_mark_save(void *state, const struct flux_mark *mark, flux_error *err)
{
	struct tb *t = state;
	char marks[1100], line[8192];
	snprintf(line, sizeof(line), "%s\t%d\t%s\t%s\n", mark->id, mark->direction,
		 mark->progress ? mark->progress : "", mark->resume ? mark->resume : "");
	return rewrite(t, file(t, ".marks", marks, sizeof(marks)), mark->id, '\t', line, err);
}

static int tb_mark_delete(void *state, const char *id, flux_error *err)
{
	struct tb *t = state;
	char marks[1100];
	return rewrite(t, file(t, ".marks", marks, sizeof(marks)), id, '\t', NULL, err);
}

static int tb_list_marks(void *state, flux_mark_fn fn, void *ctx, flux_error *err)
{
	(void)err;
	struct tb *t = state;
	char marks[1100], line[8192];
	FILE *f = fopen(file(t, ".marks", marks, sizeof(marks)), "r");
	int rc = 0;
	while (!rc && f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		char *dir = strchr(line, '\t');
		char *progress = dir ? strchr(dir + 1, '\t') : NULL;
		char *resume = progress ? strchr(progress + 1, '\t') : NULL;
		if (!resume)
			continue;
		*dir++ = *progress++ = *resume++ = '\0';
		struct flux_mark m = {.id = line, .direction = atoi(dir),
				      .started_at = "2024-01-01 00:00:00", .progress = progress,
				      .resume = resume};
		rc = fn(ctx, &m);
	}
	if (f)
		fclose(f);
	return rc;
}

static int tb_execute(void *state, const char *sql, size_t len, flux_error *err)
{
	struct tb *t = state;
	if (sql[len] != '\0' || strlen(sql) != len)
		return t->host->error_set(err, FLUX_ERR_BACKEND, "the host broke its promise: "
					  "sql[len] must be the only NUL");
	const char *fail = strstr(sql, "FAIL");
	if (fail) {
		t->host->error_set(err, FLUX_ERR_BACKEND, "test backend refuses FAIL");
		t->host->error_detail(err, "the word FAIL");
		memcpy(err->sqlstate, "TB001", 6);
		err->position = (long)(fail - sql) + 1;
		return FLUX_ERR_BACKEND;
	}
	if (strstr(sql, "SLEEP")) {
		for (int i = 0; i < 2000 && !atomic_load(&t->cancelled); i++) {
			struct timespec ts = {0, 10 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
		if (atomic_exchange(&t->cancelled, 0))
			return t->host->error_set(err, FLUX_ERR_BACKEND, "cancelled by the test "
						  "backend");
	}
	char log[1100];
	FILE *f = fopen(file(t, ".log", log, sizeof(log)), "a");
	if (f) {
		fprintf(f, "%s\n--\n", sql);
		fclose(f);
	}
	return FLUX_OK;
}

static int only_blanks_and_comments(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '-' && i + 1 < n && s[i + 1] == '-') {
			while (i < n && s[i] != '\n')
				i++;
		} else if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') {
			return 0;
		}
	}
	return 1;
}

#ifdef TB_NULL_OP
__attribute__((unused))
#endif
static int tb_split(void *state, const char *sql, size_t len, flux_statement_fn fn, void *ctx,
		    flux_error *err)
{
	(void)state;
	(void)err;
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && sql[i] != ';')
			continue;
		if (!only_blanks_and_comments(sql + start, i - start)) {
			int rc = fn(ctx, start, i - start);
			if (rc)
				return rc;
		}
		start = i + 1;
	}
	return FLUX_OK;
}

static void tb_cancel(void *state)
{
	struct tb *t = state;
	atomic_store(&t->cancelled, 1);
}

/* "test:PATH?password=SECRET" shows as "test:PATH?password=****". */
static size_t tb_redact_uri(const char *uri, char *out, size_t size)
{
	const char *pw = strstr(uri, "password=");
	int n = pw ? snprintf(out, size, "%.*spassword=****", (int)(pw - uri), uri)
		   : snprintf(out, size, "%s", uri);
	return n < 0 ? 0 : (size_t)n;
}

/* What each operation sends, as an SQL client would run it. */
#ifdef TB_NO_DESCRIBE
__attribute__((unused))
#endif
static int tb_describe_sql(void *state, int kind, const struct flux_step *step,
			   const struct flux_mark *mark, flux_text_fn fn, void *ctx,
			   flux_error *err)
{
	(void)state;
	(void)err;
	char text[8192];
	switch (kind) {
	case FLUX_SQL_BEGIN: snprintf(text, sizeof(text), "BEGIN;"); break;
	case FLUX_SQL_COMMIT: snprintf(text, sizeof(text), "COMMIT;"); break;
	case FLUX_SQL_INITIALIZE:
		snprintf(text, sizeof(text), "CREATE TABLE records (id, hash);");
		break;
	case FLUX_SQL_REGISTER:
		snprintf(text, sizeof(text), "INSERT INTO records VALUES ('%s', '%s');", step->id,
			 step->hash);
		break;
	case FLUX_SQL_UNREGISTER:
		snprintf(text, sizeof(text), "DELETE FROM records WHERE id = '%s';", step->id);
		break;
	case FLUX_SQL_MARK_SAVE:
		snprintf(text, sizeof(text), "REPLACE INTO marks VALUES ('%s', %d, '%s', '%s');",
			 mark->id, mark->direction, mark->progress, mark->resume);
		break;
	case FLUX_SQL_MARK_DELETE:
		snprintf(text, sizeof(text), "DELETE FROM marks WHERE id = '%s';", step->id);
		break;
	default:
		return FLUX_ERR_UNSUPPORTED;
	}
	return fn(ctx, text, strlen(text));
}

#ifndef TB_NAME
#define TB_NAME "test-good"
#endif
#ifndef TB_SYMBOL
#define TB_SYMBOL test_good_backend
#endif

static const struct flux_backend backend = {
	.abi_version = FLUX_BACKEND_ABI_VERSION,
#ifdef TB_SMALL_STRUCT
	.size = 16,
#else
	.size = sizeof(struct flux_backend),
#endif
	.name = TB_NAME,
	.description = "test backend keeping records in a text file (test:PATH)",
#ifndef TB_NO_TXDDL
	.capabilities = FLUX_CAP_TRANSACTIONAL_DDL,
#endif
	.create = tb_create,
	.destroy = tb_destroy,
	.connect = ok,
	.disconnect = ok,
	.try_lock = tb_try_lock,
	.unlock = ok,
	.describe_lock = tb_describe_lock,
	.begin = ok,
	.commit = ok,
	.rollback = ok,
	.is_initialized = tb_is_initialized,
	.initialize = tb_initialize,
	.register_migration = tb_register,
	.unregister_migration = tb_unregister,
	.list_applied = tb_list,
	.mark_save = tb_mark_save,
	.mark_delete = tb_mark_delete,
	.list_marks = tb_list_marks,
	.execute = tb_execute,
#ifndef TB_NULL_OP
	.split = tb_split,
#endif
	.cancel = tb_cancel,
	.redact_uri = tb_redact_uri,
#ifndef TB_NO_DESCRIBE
	.describe_sql = tb_describe_sql,
#endif
};

#ifdef TB_UNRESOLVED
/* Defined nowhere: the module links, but cannot be loaded. */
extern int flux_test_symbol_defined_nowhere(void);
#endif

FLUX_BACKEND_EXPORT int TB_SYMBOL(const struct flux_host *host,
				  const struct flux_backend **out, flux_error *err);

int TB_SYMBOL(const struct flux_host *host, const struct flux_backend **out, flux_error *err)
{
#ifdef TB_WRONG_ABI
	/* The host must not call a module whose stamp names another major. */
	abort();
#endif
#ifdef TB_UNRESOLVED
	if (flux_test_symbol_defined_nowhere())
		return FLUX_ERR_PLUGIN;
#endif
#ifdef TB_REFUSES
	(void)out;
	(void)backend;
	host->error_set(err, FLUX_ERR_UNSUPPORTED, "test backend refuses to serve: libtest 0.9 "
			"is older than the 1.2 it needs");
	host->error_hint(err, "install libtest 1.2 or later");
	return FLUX_ERR_UNSUPPORTED;
#elif defined(TB_RETURNS_NULL)
	(void)host;
	(void)err;
	(void)backend;
	*out = NULL;
	return FLUX_OK;
#else
	if (!FLUX_HOST_HAS(host, option_identifier))
		return host->error_set(err, FLUX_ERR_UNSUPPORTED, "the host lacks "
				       "option_identifier");
	*out = &backend;
	return FLUX_OK;
#endif
}
