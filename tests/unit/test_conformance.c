/* SPDX-License-Identifier: MIT */
/* The rules of include/flux/backend.h, checked on each backend of the build
 * tree loaded through its manifest, against a real database: an SQLite file
 * in a temporary directory, PostgreSQL (the server PGHOST, PGHOSTADDR or
 * PGSERVICE names, else a private one) and MariaDB (a private server; its
 * module has a manifest directory of its own, as a third party's would);
 * a part whose backend is not built or whose server is not installed is
 * skipped with a message.  The host is this file's own service table, as
 * another program's would be: nothing here goes through libflux's runner. */
#include <config.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <flux/backend.h>
#include <flux/flux.h>
#include "testutil.h"

/* ---- the host ---------------------------------------------------------- */

/* [backend] options: the test's own table behind the opaque pointer. */
struct test_options {
	const char *key[4];
	const char *val[4];
};

static const char *opt(const struct flux_options *opts, const char *key)
{
	const struct test_options *o = (const struct test_options *)(const void *)opts;
	for (int i = 0; o && i < 4 && o->key[i]; i++)
		if (!strcmp(o->key[i], key))
			return o->val[i];
	return NULL;
}

static int h_error_set(flux_error *err, flux_status code, const char *fmt, ...)
{
	memset(err, 0, sizeof(*err));
	err->code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return code;
}

static void h_error_detail(flux_error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
}

static void h_error_hint(flux_error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->hint, sizeof(err->hint), fmt, ap);
	va_end(ap);
}

static void h_log(const struct flux_host *host, int level, const char *fmt, ...)
{
	(void)host;
	(void)level;
	(void)fmt;
}

static int h_option_string(const struct flux_options *opts, const char *key, const char *def,
			   const char **out, flux_error *err)
{
	(void)err;
	const char *v = opt(opts, key);
	*out = v ? v : def;
	return FLUX_OK;
}

static int h_option_int(const struct flux_options *opts, const char *key, long long def,
			long long *out, flux_error *err)
{
	(void)err;
	const char *v = opt(opts, key);
	*out = v ? strtoll(v, NULL, 10) : def;
	return FLUX_OK;
}

static int h_option_bool(const struct flux_options *opts, const char *key, int def, int *out,
			 flux_error *err)
{
	(void)err;
	const char *v = opt(opts, key);
	*out = v ? !strcmp(v, "true") : def;
	return FLUX_OK;
}

static int h_option_error(const struct flux_options *opts, const char *key, flux_error *err,
			  const char *fmt, ...)
{
	(void)opts;
	(void)key;
	va_list ap;
	va_start(ap, fmt);
	h_error_set(err, FLUX_ERR_CONFIG, "option");
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return FLUX_ERR_CONFIG;
}

static int h_option_identifier(const struct flux_options *opts, const char *key,
			       const char *def, size_t max_len, const char **out,
			       flux_error *err)
{
	const char *v = opt(opts, key);
	*out = v ? v : def;
	if (v && (!*v || strlen(v) > max_len || strspn(v, "abcdefghijklmnopqrstuvwxyz"
			"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != strlen(v)))
		return h_error_set(err, FLUX_ERR_CONFIG, "%s '%s' refused", key, v);
	return FLUX_OK;
}

static const struct flux_host host = {
	.abi_version = FLUX_BACKEND_ABI_VERSION,
	.size = sizeof(struct flux_host),
	.log = h_log,
	.error_set = h_error_set,
	.error_detail = h_error_detail,
	.error_hint = h_error_hint,
	.option_string = h_option_string,
	.option_int = h_option_int,
	.option_bool = h_option_bool,
	.option_error = h_option_error,
	.option_identifier = h_option_identifier,
};

/* ---- the backends and their databases ----------------------------------- */

enum { SQLITE, POSTGRES, MARIADB, NTARGETS };
static const char *const names[NTARGETS] = {"sqlite", "postgres", "mariadb"};
/* Whether flux 0.2 had the backend: only then may a marks table of 0.2's
 * shape (no resume column) exist in its databases, to be read and
 * upgraded.  MariaDB came in 0.3. */
static const int in_flux_0_2[NTARGETS] = {1, 1, 0};
static int pg_server_failed;  /* binaries installed, server not started */
static int mdb_server_failed; /* the same for MariaDB */
static char pg_db[64];     /* the database made for this run, or "" */
static char mdb_db[64];    /* the same on the MariaDB server */
/* The manifest directories: the built-in backends', then MariaDB's own. */
#ifdef MARIADB_BACKENDS
static const char search_path[] = BUILD_BACKENDS ":" MARIADB_BACKENDS;
#else
static const char search_path[] = BUILD_BACKENDS;
#endif
static char skipped[NTARGETS][FLUX_ERROR_MESSAGE_MAX + 64];

static flux_registry *reg;
static const struct flux_backend *b;
static int target;
static char uri[4200];
static char schema[32], lock_id[32];
static struct test_options options;
static flux_error err;

#define OK(call) \
	ck_assert_msg((call) == FLUX_OK, "%s: %s: %s", names[target], #call, err.message)

/* The named backend through the build tree's manifest, or NULL with err
 * filled.  The registry stays open: it keeps the module loaded. */
static const struct flux_backend *load(const char *name, const flux_backend_info **info)
{
	const struct flux_backend *out = NULL;
	if (!reg && flux_registry_open(search_path, &reg, &err))
		return NULL;
	if (!(*info = flux_registry_find(reg, name)))
		h_error_set(&err, FLUX_ERR_NOT_FOUND, "%s lists no backend %s", search_path, name);
	else if (flux_registry_load(reg, *info, &out, &err))
		out = NULL;
	return out;
}

/* Load backend t and name this test's database: an SQLite file of its
 * own, or a schema and lock of its own in the run's PostgreSQL or MariaDB
 * database (tests run in forked processes, so the pid tells them apart;
 * on MariaDB a schema is a database, made by initialize(), and the lock's
 * default name follows it). */
static void setup(int t)
{
	target = t;
	const flux_backend_info *info;
	b = load(names[t], &info);
	ck_assert_msg(b != NULL, "loading %s: %s", names[t], err.message);
	memset(&options, 0, sizeof(options));
	if (t == SQLITE) {
		snprintf(uri, sizeof(uri), "sqlite:%s/conf.db", tu_tmpdir());
		return;
	}
	snprintf(schema, sizeof(schema), "conf_%ld", (long)getpid());
	options.key[0] = "migrations_schema";
	options.val[0] = schema;
	if (t == MARIADB) {
		/* Without a server, the tests needing none still make a state. */
		const char *sock = getenv("MYSQL_UNIX_PORT");
		snprintf(uri, sizeof(uri), "mariadb://root@localhost/%s?socket=%s",
			 mdb_db[0] ? mdb_db : "flux_conformance", sock ? sock : "/nonexistent");
		return;
	}
	snprintf(uri, sizeof(uri), "dbname=%s", pg_db);
	snprintf(lock_id, sizeof(lock_id), "%ld", 900000L + (long)getpid());
	options.key[1] = "migrations_lock_id";
	options.val[1] = lock_id;
}

static void *open_state(void)
{
	void *s;
	OK(b->create(&host, (const struct flux_options *)(const void *)&options, uri, &s, &err));
	OK(b->connect(s, &err));
	return s;
}

static void close_state(void *s)
{
	OK(b->disconnect(s, &err));
	b->destroy(s);
}

/* The marks table's name as SQL, for reaching into it directly. */
static const char *marks_table(void)
{
	static char out[128];
	if (target == SQLITE)
		snprintf(out, sizeof(out), "\"_flux_migrations_incomplete\"");
	else if (target == MARIADB) /* "x" is a string there */
		snprintf(out, sizeof(out), "`%s`.`_flux_migrations_incomplete`", schema);
	else
		snprintf(out, sizeof(out), "\"%s\".\"_flux_migrations_incomplete\"", schema);
	return out;
}

static int run(void *s, const char *sql)
{
	return b->execute(s, sql, strlen(sql), &err);
}

/* ---- callbacks ---------------------------------------------------------- */

struct seen {
	int calls;
	int stop_at;       /* return stop_with at this call (1-based); 0: never */
	int stop_with;
	char text[8192];   /* what the callback was given, one line per call */
	struct flux_mark mark; /* the last mark, its texts copied below */
	char id[64], started_at[64], progress[256];
	const char *resume; /* the last mark's, in resume_buf */
};

static char resume_buf[300000];

static int stop_or_go(struct seen *w)
{
	w->calls++;
	return w->calls == w->stop_at ? w->stop_with : 0;
}

static void add_line(struct seen *w, const char *fmt, ...)
{
	size_t n = strlen(w->text);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->text + n, sizeof(w->text) - n, fmt, ap);
	va_end(ap);
}

static int by_line(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* text's lines in byte order, in place. */
static void sort_lines(char *text)
{
	char copy[sizeof(((struct seen *)0)->text)];
	char *lines[64];
	size_t n = 0;
	snprintf(copy, sizeof(copy), "%s", text);
	for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l && n < 64;
	     l = strtok_r(NULL, "\n", &save))
		lines[n++] = l;
	qsort(lines, n, sizeof(*lines), by_line);
	text[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		strcat(text, lines[i]);
		strcat(text, "\n");
	}
}

static int on_applied(void *ctx, const char *id, const char *hash, const char *applied_at)
{
	struct seen *w = ctx;
	ck_assert_ptr_nonnull(applied_at);
	add_line(w, "%s %s\n", id, hash);
	return stop_or_go(w);
}

static int on_mark(void *ctx, const struct flux_mark *m)
{
	struct seen *w = ctx;
	add_line(w, "%s %d %s\n", m->id, m->direction, m->progress);
	snprintf(w->id, sizeof(w->id), "%s", m->id);
	snprintf(w->started_at, sizeof(w->started_at), "%s", m->started_at);
	snprintf(w->progress, sizeof(w->progress), "%s", m->progress);
	snprintf(resume_buf, sizeof(resume_buf), "%s", m->resume);
	w->resume = resume_buf;
	w->mark = *m;
	return stop_or_go(w);
}

/* The value of a one-value query, read back through the record table:
 * rows reach the host no other way.  Static buffer. */
static const char *value(void *s, const char *query)
{
	static char out[256];
	char sql[1024];
	if (target == SQLITE)
		snprintf(sql, sizeof(sql), "INSERT INTO \"_flux_migrations\" (id, hash) "
			 "SELECT '~value', CAST((%s) AS text)", query);
	else if (target == MARIADB) /* no "x" names, no CAST AS text */
		snprintf(sql, sizeof(sql), "INSERT INTO `%s`.`_flux_migrations` (id, hash) "
			 "SELECT '~value', CAST((%s) AS CHAR)", schema, query);
	else
		snprintf(sql, sizeof(sql), "INSERT INTO \"%s\".\"_flux_migrations\" (id, hash) "
			 "SELECT '~value', CAST((%s) AS text)", schema, query);
	OK(run(s, sql));
	struct seen w = {0};
	OK(b->list_applied(s, on_applied, &w, &err));
	const char *v = strstr(w.text, "~value ");
	ck_assert_ptr_nonnull(v);
	snprintf(out, sizeof(out), "%.*s", (int)strcspn(v + 7, "\n"), v + 7);
	OK(b->unregister_migration(s, "~value", &err));
	return out;
}

static const char *split_sql;

static int on_statement(void *ctx, size_t offset, size_t len)
{
	struct seen *w = ctx;
	add_line(w, "[%.*s]", (int)len, split_sql + offset);
	return stop_or_go(w);
}

/* Run each text describe_sql hands over, through the backend's execute. */
struct exec_ctx {
	void *s;
	int pieces;
};

static int exec_text(void *ctx, const char *text, size_t len)
{
	struct exec_ctx *x = ctx;
	x->pieces++;
	int rc = b->execute(x->s, text, len, &err);
	ck_assert_msg(rc == FLUX_OK, "executing the described \"%s\": %s", text, err.message);
	return rc;
}

/* ---- the rules ---------------------------------------------------------- */

START_TEST(registration_checks_the_host)
{
	setup(_i);
	const flux_backend_info *info;
	ck_assert_ptr_eq(load(names[_i], &info), b);
	/* The registration function itself, given a host table that ends
	 * before option_identifier: refused with the reason, *out untouched. */
	void *h = dlopen(flux_backend_info_module(info), RTLD_NOW | RTLD_NOLOAD);
	ck_assert_ptr_nonnull(h);
	flux_backend_register_fn fn;
	*(void **)&fn = dlsym(h, flux_backend_info_symbol(info));
	ck_assert_ptr_nonnull(fn);
	const unsigned int *stamp = dlsym(h, FLUX_BACKEND_MODULE_SYMBOL);
	ck_assert_ptr_nonnull(stamp);
	ck_assert_uint_eq(*stamp, FLUX_BACKEND_ABI_VERSION);
	struct flux_host old = host;
	old.size = (unsigned int)offsetof(struct flux_host, option_identifier);
	const struct flux_backend *out = NULL;
	ck_assert_int_eq(fn(&old, &out, &err), FLUX_ERR_UNSUPPORTED);
	ck_assert_ptr_null(out);
	ck_assert_msg(strstr(err.message, "option_identifier"), "%s", err.message);
	ck_assert_int_eq(fn(&host, &out, &err), FLUX_OK);
	ck_assert_ptr_eq(out, b);
	/* MariaDB commits before and after each DDL statement, and says so. */
	ck_assert_uint_eq(b->capabilities & FLUX_CAP_TRANSACTIONAL_DDL,
			  _i == MARIADB ? 0u : FLUX_CAP_TRANSACTIONAL_DDL);
	dlclose(h);
}
END_TEST

START_TEST(list_applied_stops_with_the_callbacks_status)
{
	setup(_i);
	void *s = open_state();
	OK(b->initialize(s, &err));
	OK(b->register_migration(s, "002_b", "h2", &err));
	OK(b->register_migration(s, "001_a", "h1", &err));
	OK(b->register_migration(s, "003_c", "h3", &err));
	struct seen all = {0};
	OK(b->list_applied(s, on_applied, &all, &err));
	/* In any order: the host sorts them (backend.h). */
	sort_lines(all.text);
	ck_assert_str_eq(all.text, "001_a h1\n002_b h2\n003_c h3\n");
	struct seen w = {.stop_at = 2, .stop_with = 77};
	ck_assert_int_eq(b->list_applied(s, on_applied, &w, &err), 77);
	ck_assert_int_eq(w.calls, 2);
	/* The same for marks. */
	for (int i = 0; i < 3; i++) {
		char id[8];
		snprintf(id, sizeof(id), "00%d", 3 - i);
		struct flux_mark m = {.id = id, .direction = FLUX_MARK_APPLY, .progress = "p",
				      .resume = "r"};
		OK(b->mark_save(s, &m, &err));
	}
	struct seen mw = {.stop_at = 2, .stop_with = FLUX_ERR_NOMEM};
	ck_assert_int_eq(b->list_marks(s, on_mark, &mw, &err), FLUX_ERR_NOMEM);
	ck_assert_int_eq(mw.calls, 2);
	ck_assert_str_eq(mw.text, "001 1 p\n002 1 p\n");
	close_state(s);
}
END_TEST

START_TEST(try_lock_takes_turns)
{
	setup(_i);
	void *a = open_state(), *c = open_state();
	OK(b->initialize(a, &err));
	int got = -1;
	OK(b->try_lock(a, &got, &err));
	ck_assert_int_eq(got, 1);
	OK(b->try_lock(c, &got, &err));
	ck_assert_int_eq(got, 0);
	char lock[256], holder[256];
	b->describe_lock(c, lock, sizeof(lock), holder, sizeof(holder));
	ck_assert_msg(lock[0] != '\0', "describe_lock names no lock");
	/* All name the holder here: pg_stat_activity, /proc/locks, the
	 * process list (connection ids, not pids). */
	char pid[32];
	snprintf(pid, sizeof(pid), "pid %ld", (long)getpid());
	if (target == SQLITE)
		ck_assert_msg(strstr(holder, pid), "holder: '%s'", holder);
	else if (target == MARIADB)
		ck_assert_msg(strstr(holder, "connection "), "holder: '%s'", holder);
	else
		ck_assert_msg(strstr(holder, "pid "), "holder: '%s'", holder);
	OK(b->unlock(a, &err));
	OK(b->try_lock(c, &got, &err));
	ck_assert_int_eq(got, 1);
	OK(b->try_lock(a, &got, &err));
	ck_assert_int_eq(got, 0);
	close_state(c);
	/* A process that dies holding the lock releases it. */
	pid_t child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		void *k = open_state();
		int mine = 0;
		b->try_lock(k, &mine, &err);
		_exit(mine ? 0 : 1);
	}
	int st;
	waitpid(child, &st, 0);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child did not get the lock");
	for (int i = 0; i < 100 && got != 1; i++) {
		OK(b->try_lock(a, &got, &err));
		if (!got)
			usleep(20 * 1000); /* the server ends the session soon after */
	}
	ck_assert_int_eq(got, 1);
	OK(b->unlock(a, &err));
	close_state(a);
}
END_TEST

START_TEST(mark_save_keeps_started_at)
{
	setup(_i);
	void *s = open_state();
	OK(b->initialize(s, &err));
	struct flux_mark m = {.id = "001_a", .direction = FLUX_MARK_APPLY,
			      .progress = "0 of 3 statements ran", .resume = ""};
	OK(b->mark_save(s, &m, &err));
	char sql[256];
	snprintf(sql, sizeof(sql), "UPDATE %s SET started_at = '2001-02-03 04:05:06'",
		 marks_table());
	OK(run(s, sql));
	/* A long resume text (a hash per statement) and quotes in the texts. */
	size_t n = 200000;
	char *resume = malloc(n + 1);
	for (size_t i = 0; i < n; i++)
		resume[i] = "0123456789abcdef'"[i % 17];
	resume[n] = '\0';
	m.direction = FLUX_MARK_ROLLBACK;
	m.progress = "statement 2 of 3 failed: it's \"bad\"";
	m.resume = resume;
	m.started_at = "1999-01-01 00:00:00"; /* ignored */
	OK(b->mark_save(s, &m, &err));
	struct seen w = {0};
	OK(b->list_marks(s, on_mark, &w, &err));
	ck_assert_int_eq(w.calls, 1);
	ck_assert_str_eq(w.id, "001_a");
	ck_assert_int_eq(w.mark.direction, FLUX_MARK_ROLLBACK);
	/* The database's own text form: MariaDB's DATETIME(6) adds .000000. */
	ck_assert_msg(!strncmp(w.started_at, "2001-02-03 04:05:06", 19), "started_at '%s'",
		      w.started_at);
	ck_assert_str_eq(w.progress, m.progress);
	ck_assert_str_eq(w.resume, resume);
	free(resume);
	close_state(s);
}
END_TEST

START_TEST(mark_delete_of_a_missing_mark_succeeds)
{
	setup(_i);
	void *s = open_state();
	/* No database or schema yet, then no marks table, then no such mark. */
	OK(b->mark_delete(s, "nope", &err));
	struct seen w = {0};
	OK(b->list_marks(s, on_mark, &w, &err));
	ck_assert_int_eq(w.calls, 0);
	OK(b->initialize(s, &err));
	OK(b->mark_delete(s, "nope", &err));
	struct flux_mark m = {.id = "001_a", .direction = FLUX_MARK_APPLY, .progress = "p",
			      .resume = "r"};
	OK(b->mark_save(s, &m, &err));
	OK(b->mark_delete(s, "nope", &err));
	OK(b->list_marks(s, on_mark, &w, &err));
	ck_assert_int_eq(w.calls, 1);
	/* Inside a transaction the mark goes and comes with it. */
	OK(b->begin(s, &err));
	OK(b->mark_delete(s, "001_a", &err));
	OK(b->rollback(s, &err));
	w.calls = 0;
	OK(b->list_marks(s, on_mark, &w, &err));
	ck_assert_int_eq(w.calls, 1);
	OK(b->begin(s, &err));
	OK(b->mark_delete(s, "001_a", &err));
	OK(b->commit(s, &err));
	w.calls = 0;
	OK(b->list_marks(s, on_mark, &w, &err));
	ck_assert_int_eq(w.calls, 0);
	close_state(s);
}
END_TEST

START_TEST(marks_table_created_in_a_rolled_back_transaction)
{
	setup(_i);
	void *s = open_state();
	OK(b->initialize(s, &err));
	struct flux_mark m = {.id = "001_a", .direction = FLUX_MARK_APPLY, .progress = "p",
			      .resume = "r"};
	OK(b->begin(s, &err));
	OK(b->mark_save(s, &m, &err));
	OK(b->rollback(s, &err));
	struct seen w = {0};
	OK(b->list_marks(s, on_mark, &w, &err));
	ck_assert_int_eq(w.calls, 0);
	OK(b->mark_save(s, &m, &err));
	OK(b->list_marks(s, on_mark, &w, &err));
	ck_assert_int_eq(w.calls, 1);
	close_state(s);
}
END_TEST

/* The marks table as flux 0.2 made it (no resume column), with a mark. */
static void old_marks(void *s)
{
	char sql[512];
	snprintf(sql, sizeof(sql), "CREATE TABLE %s (id text PRIMARY KEY, direction text NOT "
		 "NULL, started_at timestamp NOT NULL DEFAULT current_timestamp, progress "
		 "text NOT NULL DEFAULT ''); INSERT INTO %s (id, direction, started_at, "
		 "progress) VALUES ('001_a', 'rollback', '2001-02-03 04:05:06', '1 of 2 "
		 "statements ran')", marks_table(), marks_table());
	OK(run(s, sql));
}

START_TEST(marks_of_flux_0_2_are_read_and_upgraded)
{
	setup(_i);
	void *s = open_state();
	OK(b->initialize(s, &err));
	old_marks(s);
	close_state(s);
	s = open_state();
	int init = 0;
	OK(b->is_initialized(s, &init, &err));
	ck_assert_int_eq(init, 1);
	struct seen w = {0};
	OK(b->list_marks(s, on_mark, &w, &err));
	ck_assert_int_eq(w.calls, 1);
	ck_assert_int_eq(w.mark.direction, FLUX_MARK_ROLLBACK);
	ck_assert_str_eq(w.progress, "1 of 2 statements ran");
	ck_assert_str_eq(w.resume, "");
	struct flux_mark m = {.id = "002_b", .direction = FLUX_MARK_APPLY, .progress = "p",
			      .resume = "r2"};
	OK(b->mark_save(s, &m, &err));
	w = (struct seen){0};
	OK(b->list_marks(s, on_mark, &w, &err));
	ck_assert_str_eq(w.text, "001_a 2 1 of 2 statements ran\n002_b 1 p\n");
	ck_assert_str_eq(w.resume, "r2");
	ck_assert_str_eq(w.started_at[0] ? "set" : "", "set");
	close_state(s);
}
END_TEST

START_TEST(split_leaves_out_comments_and_stops_when_told)
{
	setup(_i);
	void *s;
	/* split needs no connection. */
	OK(b->create(&host, (const struct flux_options *)(const void *)&options, uri, &s, &err));
	split_sql = "-- only; a comment\n  /* and; this */ ;\n;  -- tail;";
	struct seen w = {0};
	OK(b->split(s, split_sql, strlen(split_sql), on_statement, &w, &err));
	ck_assert_int_eq(w.calls, 0);
	split_sql = "SELECT 1; SELECT 'a;b' -- c;\n; SELECT \"x;\" AS y;\n";
	w = (struct seen){0};
	OK(b->split(s, split_sql, strlen(split_sql), on_statement, &w, &err));
	ck_assert_str_eq(w.text, "[SELECT 1][SELECT 'a;b'][SELECT \"x;\" AS y]");
	w = (struct seen){.stop_at = 2, .stop_with = 99};
	ck_assert_int_eq(b->split(s, split_sql, strlen(split_sql), on_statement, &w, &err), 99);
	ck_assert_int_eq(w.calls, 2);
	b->destroy(s);
}
END_TEST

/* Each piece split gives runs alone through execute. */
struct run_ctx {
	void *s;
	const char *sql;
	int n;
};

static int run_piece(void *ctx, size_t offset, size_t len)
{
	struct run_ctx *r = ctx;
	char piece[512];
	ck_assert_uint_lt(len, sizeof(piece));
	memcpy(piece, r->sql + offset, len);
	piece[len] = '\0';
	r->n++;
	ck_assert_msg(run(r->s, piece) == FLUX_OK, "piece %d [%s]: %s", r->n, piece, err.message);
	return 0;
}

START_TEST(sqlite_split_knows_quotes_comments_and_triggers)
{
	setup(SQLITE);
	void *s = open_state();
	split_sql = "CREATE TABLE a (x int);\nCREATE TABLE b (y int);\n"
		    "CREATE TEMP TRIGGER tr AFTER INSERT ON a BEGIN\n"
		    "  INSERT INTO b VALUES (new.x); -- one;\n"
		    "  UPDATE b SET y = CASE WHEN y > 1 THEN y END; END /* c; */ ;\n"
		    "INSERT INTO a VALUES (2);\n"
		    "SELECT [a;b], `c;d`, 'e'';f', \"g\"\";h\" FROM (SELECT 1 AS [a;b], 2 AS `c;d`, "
		    "3 AS \"g\"\";h\");\n"
		    "CREATE TABLE \"end\" (\"trigger\" int); /* last; */ -- ;";
	struct seen w = {0};
	OK(b->split(s, split_sql, strlen(split_sql), on_statement, &w, &err));
	ck_assert_str_eq(w.text,
		"[CREATE TABLE a (x int)][CREATE TABLE b (y int)]"
		"[CREATE TEMP TRIGGER tr AFTER INSERT ON a BEGIN\n"
		"  INSERT INTO b VALUES (new.x); -- one;\n"
		"  UPDATE b SET y = CASE WHEN y > 1 THEN y END; END]"
		"[INSERT INTO a VALUES (2)]"
		"[SELECT [a;b], `c;d`, 'e'';f', \"g\"\";h\" FROM (SELECT 1 AS [a;b], 2 AS `c;d`, "
		"3 AS \"g\"\";h\")]"
		"[CREATE TABLE \"end\" (\"trigger\" int)]");
	struct run_ctx r = {s, split_sql, 0};
	OK(b->split(s, split_sql, strlen(split_sql), run_piece, &r, &err));
	ck_assert_int_eq(r.n, 6);
	OK(b->initialize(s, &err));
	ck_assert_str_eq(value(s, "SELECT y FROM b"), "2"); /* the trigger ran */
	/* Unterminated quotes and comments end with the text. */
	split_sql = "SELECT 1; SELECT 'a;b";
	w = (struct seen){0};
	OK(b->split(s, split_sql, strlen(split_sql), on_statement, &w, &err));
	ck_assert_str_eq(w.text, "[SELECT 1][SELECT 'a;b]");
	split_sql = "create trigger t after delete on a begin select 1; end";
	w = (struct seen){0};
	OK(b->split(s, split_sql, strlen(split_sql), on_statement, &w, &err));
	ck_assert_int_eq(w.calls, 1);
	split_sql = "SELECT 1 /* ; never closed";
	w = (struct seen){0};
	OK(b->split(s, split_sql, strlen(split_sql), on_statement, &w, &err));
	ck_assert_str_eq(w.text, "[SELECT 1]");
	close_state(s);
}
END_TEST

START_TEST(described_register_gives_register_migrations_row)
{
	setup(_i);
	void *s = open_state();
	OK(b->initialize(s, &err));
	/* Quotes, a backslash and UTF-8 in the id: the literal must hold. */
	struct flux_step step = {.id = "001_it's \\ é\"x", .hash = "0123abcd'"};
	struct exec_ctx x = {s, 0};
	OK(b->describe_sql(s, FLUX_SQL_REGISTER, &step, NULL, exec_text, &x, &err));
	ck_assert_int_ge(x.pieces, 1);
	struct seen described = {0};
	OK(b->list_applied(s, on_applied, &described, &err));
	OK(b->unregister_migration(s, step.id, &err));
	struct seen none = {0};
	OK(b->list_applied(s, on_applied, &none, &err));
	ck_assert_int_eq(none.calls, 0);
	OK(b->register_migration(s, step.id, step.hash, &err));
	struct seen registered = {0};
	OK(b->list_applied(s, on_applied, &registered, &err));
	ck_assert_str_eq(described.text, registered.text);
	ck_assert_str_eq(registered.text, "001_it's \\ é\"x 0123abcd'\n");
	close_state(s);
}
END_TEST

START_TEST(every_described_kind_runs_as_its_operation_would)
{
	setup(_i);
	void *s = open_state();
	struct exec_ctx x = {s, 0};
	struct flux_step step = {.id = "001_a", .hash = "h1", .sql = "CREATE TABLE t1 (x int)",
				 .len = 23, .record = FLUX_RECORD_REGISTER};
	struct flux_mark mark = {.id = "002_b", .direction = FLUX_MARK_ROLLBACK, .progress = "p",
				 .resume = "r'"};
	OK(b->describe_sql(s, FLUX_SQL_INITIALIZE, NULL, NULL, exec_text, &x, &err));
	OK(b->describe_sql(s, FLUX_SQL_BEGIN, NULL, NULL, exec_text, &x, &err));
	OK(b->describe_sql(s, FLUX_SQL_REGISTER, &step, NULL, exec_text, &x, &err));
	OK(b->describe_sql(s, FLUX_SQL_MARK_SAVE, NULL, &mark, exec_text, &x, &err));
	OK(b->describe_sql(s, FLUX_SQL_COMMIT, NULL, NULL, exec_text, &x, &err));
	struct seen w = {0};
	OK(b->list_applied(s, on_applied, &w, &err));
	ck_assert_str_eq(w.text, "001_a h1\n");
	/* A fresh state learns the tables the described texts made. */
	close_state(s);
	s = open_state();
	x.s = s;
	int init = 0;
	OK(b->is_initialized(s, &init, &err));
	ck_assert_int_eq(init, 1);
	w = (struct seen){0};
	OK(b->list_marks(s, on_mark, &w, &err));
	ck_assert_str_eq(w.text, "002_b 2 p\n");
	ck_assert_str_eq(w.resume, "r'");
	struct flux_step mark_step = {.id = "002_b"};
	OK(b->describe_sql(s, FLUX_SQL_MARK_DELETE, &mark_step, NULL, exec_text, &x, &err));
	OK(b->describe_sql(s, FLUX_SQL_UNREGISTER, &step, NULL, exec_text, &x, &err));
	w = (struct seen){0};
	OK(b->list_marks(s, on_mark, &w, &err));
	OK(b->list_applied(s, on_applied, &w, &err));
	ck_assert_int_eq(w.calls, 0);
	if (FLUX_BACKEND_HAS(b, run_step)) {
		/* All that run_step sends, run as it is: the step and its record. */
		OK(b->describe_sql(s, FLUX_SQL_RUN_STEP, &step, NULL, exec_text, &x, &err));
		OK(run(s, "SELECT x FROM t1"));
		OK(b->list_applied(s, on_applied, &w, &err));
		ck_assert_str_eq(w.text, "001_a h1\n");
	}
	close_state(s);
}
END_TEST

static int check_piece(void *ctx, const char *text, size_t len)
{
	struct seen *w = ctx;
	ck_assert_uint_eq(strlen(text), len);
	ck_assert_msg(len && (text[len - 1] == ';' || !strncmp(text, "--", 2)),
		      "a piece neither a terminated statement nor a comment: [%s]", text);
	add_line(w, "%s\n", text);
	return stop_or_go(w);
}

START_TEST(describe_sql_needs_no_connection)
{
	setup(_i);
	void *s;
	OK(b->create(&host, (const struct flux_options *)(const void *)&options, uri, &s, &err));
	struct flux_step step = {.id = "001_a\\'", .hash = "h", .sql = "SELECT 1", .len = 8,
				 .record = FLUX_RECORD_REGISTER};
	struct flux_mark mark = {.id = "001_a", .direction = FLUX_MARK_APPLY, .progress = "p",
				 .resume = "r", .started_at = ""};
	for (int kind = FLUX_SQL_BEGIN; kind <= FLUX_SQL_MARK_DELETE; kind++) {
		struct seen w = {0};
		int rc = b->describe_sql(s, kind, &step, &mark, check_piece, &w, &err);
		if (kind == FLUX_SQL_RUN_STEP && !FLUX_BACKEND_HAS(b, run_step)) {
			ck_assert_int_eq(rc, FLUX_ERR_UNSUPPORTED);
			continue;
		}
		ck_assert_msg(rc == FLUX_OK, "%s: kind %d: %s", names[target], kind, err.message);
		ck_assert_msg(kind == FLUX_SQL_MARK_DELETE || w.calls > 0, "kind %d: no text", kind);
	}
	struct seen w = {0};
	ck_assert_int_eq(b->describe_sql(s, 99, &step, &mark, check_piece, &w, &err),
			 FLUX_ERR_UNSUPPORTED);
	/* The callback's status stops it. */
	w = (struct seen){.stop_at = 1, .stop_with = 66};
	ck_assert_int_eq(b->describe_sql(s, FLUX_SQL_INITIALIZE, NULL, NULL, check_piece, &w,
					 &err), 66);
	ck_assert_int_eq(w.calls, 1);
	b->destroy(s);
}
END_TEST

/* What describe_sql writes, run by the database's own client (sqlite3,
 * psql, mariadb) when it is installed: the text `flux apply --dry-run`
 * shows is what a user may paste. */
START_TEST(described_sql_runs_in_the_databases_own_client)
{
	setup(_i);
	const char *const clients[NTARGETS] = {"sqlite3", "psql", "mariadb"};
	const char *client = clients[target];
	char cmd[16384];
	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null", client);
	if (system(cmd) != 0) {
		printf("# %s: no %s installed: described SQL not tried in it\n", names[target],
		       client);
		return;
	}
	void *s = open_state();
	char path[4300];
	snprintf(path, sizeof(path), "%s/described.sql", tu_tmpdir());
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	struct seen w = {0};
	struct flux_step step = {.id = "001_it's \\ \"x\" é", .hash = "h'1"};
	struct flux_mark mark = {.id = "002_b", .direction = FLUX_MARK_ROLLBACK,
				 .progress = "it's 1\nof 2", .resume = "a\\b'c"};
	OK(b->describe_sql(s, FLUX_SQL_INITIALIZE, NULL, NULL, check_piece, &w, &err));
	OK(b->describe_sql(s, FLUX_SQL_BEGIN, NULL, NULL, check_piece, &w, &err));
	OK(b->describe_sql(s, FLUX_SQL_REGISTER, &step, NULL, check_piece, &w, &err));
	OK(b->describe_sql(s, FLUX_SQL_MARK_SAVE, NULL, &mark, check_piece, &w, &err));
	OK(b->describe_sql(s, FLUX_SQL_COMMIT, NULL, NULL, check_piece, &w, &err));
	fputs(w.text, f);
	fclose(f);
	if (target == SQLITE)
		snprintf(cmd, sizeof(cmd), "sqlite3 -bail '%s' < '%s' >/dev/null", uri + 7, path);
	else if (target == POSTGRES)
		snprintf(cmd, sizeof(cmd), "PGOPTIONS=--client-min-messages=warning psql -X -q "
			 "-v ON_ERROR_STOP=1 -d '%s' -f '%s' >/dev/null", uri, path);
	else /* no option files: the tester's own must not change the run */
		snprintf(cmd, sizeof(cmd), "mariadb --no-defaults -u root -S '%s' '%s' < '%s' "
			 ">/dev/null", getenv("MYSQL_UNIX_PORT"), mdb_db, path);
	ck_assert_msg(system(cmd) == 0, "%s refused:\n%s", client, w.text);
	close_state(s);
	s = open_state();
	struct seen rows = {0};
	OK(b->list_applied(s, on_applied, &rows, &err));
	ck_assert_str_eq(rows.text, "001_it's \\ \"x\" é h'1\n");
	rows = (struct seen){0};
	OK(b->list_marks(s, on_mark, &rows, &err));
	ck_assert_str_eq(rows.text, "002_b 2 it's 1\nof 2\n");
	ck_assert_str_eq(rows.resume, "a\\b'c");
	close_state(s);
}
END_TEST

/* A dry run describes operations without running them: what it hands
 * over runs in sequence, as the operations would have (the marks table
 * made or brought up to date once, then used). */
START_TEST(described_operations_run_in_sequence)
{
	setup(_i);
	/* A 0.2 marks table only where flux 0.2 could have made one. */
	for (int old = 0; old < 1 + in_flux_0_2[target]; old++) {
		void *s = open_state();
		OK(b->initialize(s, &err));
		if (old)
			old_marks(s);
		close_state(s);
		s = open_state();
		struct exec_ctx x = {s, 0};
		struct flux_mark m = {.id = "002_b", .direction = FLUX_MARK_APPLY,
				      .progress = "0 of 2", .resume = "r0"};
		OK(b->describe_sql(s, FLUX_SQL_MARK_SAVE, NULL, &m, exec_text, &x, &err));
		m.progress = "1 of 2";
		m.resume = "r1";
		OK(b->describe_sql(s, FLUX_SQL_MARK_SAVE, NULL, &m, exec_text, &x, &err));
		struct seen w = {0};
		OK(b->list_marks(s, on_mark, &w, &err));
		ck_assert_str_eq(w.text, old ? "001_a 2 1 of 2 statements ran\n002_b 1 1 of 2\n"
					    : "002_b 1 1 of 2\n");
		struct flux_step step = {.id = "002_b"};
		OK(b->describe_sql(s, FLUX_SQL_MARK_DELETE, &step, NULL, exec_text, &x, &err));
		close_state(s);
		s = open_state();
		w = (struct seen){0};
		OK(b->list_marks(s, on_mark, &w, &err));
		ck_assert_str_eq(w.text, old ? "001_a 2 1 of 2 statements ran\n" : "");
		char sql[128];
		snprintf(sql, sizeof(sql), "DROP TABLE %s", marks_table());
		OK(run(s, sql));
		close_state(s);
	}
}
END_TEST

START_TEST(execute_runs_a_script_and_places_its_errors)
{
	setup(_i);
	void *s = open_state();
	OK(run(s, "CREATE TABLE t (x int);\nINSERT INTO t VALUES (1);\n-- between\n"
		  "INSERT INTO t VALUES (2);\n"));
	OK(run(s, "UPDATE t SET x = x + 1"));
	const char *bad = "SELECT 1;\n  SELEC 2;";
	ck_assert_int_eq(run(s, bad), FLUX_ERR_BACKEND);
	ck_assert_int_eq(err.position, (long)(strstr(bad, "SELEC 2") - bad) + 1);
	/* Positions count bytes, whatever the database counts. */
	bad = "SELECT 'ééé' AS a, nosuchcol FROM t";
	ck_assert_int_eq(run(s, bad), FLUX_ERR_BACKEND);
	ck_assert_int_eq(err.position, (long)(strstr(bad, "nosuchcol") - bad) + 1);
	/* A statement failing in the host's transaction: rollback works
	 * and undoes what ran before it. */
	OK(b->initialize(s, &err));
	OK(b->begin(s, &err));
	OK(run(s, "INSERT INTO t VALUES (10)"));
	ck_assert_int_eq(run(s, "INSERT INTO t VALUES (20);\nINSERT INTO nosuch VALUES (1)"),
			 FLUX_ERR_BACKEND);
	OK(b->rollback(s, &err));
	ck_assert_str_eq(value(s, "SELECT sum(x) FROM t"), "5");
	close_state(s);
}
END_TEST

/* A script of 1.5 MB, above the size from which the PostgreSQL backend
 * sends a text as several queries of whole statements: its errors are
 * still placed in the whole text, and in the host's transaction all of it
 * rolls back.  With bad, a failing statement comes after 30,000 INSERTs
 * (each with a two-byte character and a comment holding a ';'). */
static char *large_script(const char *bad, size_t *bad_at)
{
	size_t cap = 2u << 20, n = 0;
	char *sql = malloc(cap);
	ck_assert_ptr_nonnull(sql);
	n += (size_t)snprintf(sql + n, cap - n, "CREATE TABLE big (x int, v text);\n");
	for (int i = 1; i <= 40000; i++) {
		if (i == 30000 && bad) {
			*bad_at = n;
			n += (size_t)snprintf(sql + n, cap - n, "%s\n", bad);
		}
		n += (size_t)snprintf(sql + n, cap - n,
				      "INSERT INTO big VALUES (%d, '\xc3\xa9'); -- a; b\n", i);
	}
	ck_assert_uint_lt(n, cap);
	ck_assert_uint_gt(n, 1u << 20);
	return sql;
}

START_TEST(execute_places_errors_in_a_large_script)
{
	setup(_i);
	void *s = open_state();
	size_t at = 0;
	const char *bad = "SELECT '\xc3\xa9\xc3\xa9' AS a, nosuchcol FROM big;";
	char *sql = large_script(bad, &at);
	OK(b->initialize(s, &err)); /* value() reads through the record table */
	OK(b->begin(s, &err));
	ck_assert_int_eq(run(s, sql), FLUX_ERR_BACKEND);
	ck_assert_int_eq(err.position, (long)(at + (size_t)(strstr(bad, "nosuchcol") - bad)) + 1);
	OK(b->rollback(s, &err));
	free(sql);
	if (!(b->capabilities & FLUX_CAP_TRANSACTIONAL_DDL)) {
		/* Without transactional DDL the CREATE TABLE ended the host's
		 * transaction (MariaDB commits it, and what follows autocommits):
		 * nothing rolls back, but nothing after the error ran. */
		ck_assert_str_eq(value(s, "SELECT count(*) FROM big"), "29999");
		OK(run(s, "DROP TABLE big"));
	}
	/* Nothing of it remains: the table can be made again. */
	sql = large_script(NULL, NULL);
	OK(b->begin(s, &err));
	OK(run(s, sql));
	OK(b->commit(s, &err));
	ck_assert_str_eq(value(s, "SELECT count(*) FROM big"), "40000");
	free(sql);
	close_state(s);
}
END_TEST

static void *cancel_target;

static void *canceller(void *arg)
{
	(void)arg;
	usleep(300 * 1000);
	b->cancel(cancel_target);
	return NULL;
}

START_TEST(cancel_from_a_thread_stops_the_running_statement)
{
	setup(_i);
	void *s = open_state();
	ck_assert(FLUX_BACKEND_HAS(b, cancel));
	const char *slow = target == SQLITE
		? "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) "
		  "SELECT count(*) FROM c"
		/* A SLEEP() alone, once killed, returns 1 without an error. */
		: target == MARIADB ? "SELECT 1 FROM DUAL WHERE SLEEP(30) = 0"
		: "SELECT pg_sleep(30)";
	cancel_target = s;
	pthread_t t;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(pthread_create(&t, NULL, canceller, NULL), 0);
	OK(b->begin(s, &err));
	ck_assert_int_eq(run(s, slow), FLUX_ERR_BACKEND);
	pthread_join(t, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_msg(t1.tv_sec - t0.tv_sec < 10, "the cancel took %ld s",
		      (long)(t1.tv_sec - t0.tv_sec));
	if (target == POSTGRES)
		ck_assert_str_eq(err.sqlstate, "57014");
	else if (target == MARIADB) /* ER_QUERY_INTERRUPTED */
		ck_assert_str_eq(err.sqlstate, "70100");
	OK(b->rollback(s, &err));
	/* The host's own bookkeeping still works; the migrations' SQL is not
	 * run again on this connection (a cancel that came between two
	 * statements must stop the next one). */
	OK(b->initialize(s, &err));
	OK(b->register_migration(s, "001_a", "h", &err));
	ck_assert_int_eq(run(s, "SELECT 1"), FLUX_ERR_BACKEND);
	close_state(s);
	/* A new connection is not cancelled. */
	s = open_state();
	OK(run(s, "SELECT 1"));
	close_state(s);
}
END_TEST

struct redaction {
	int target;
	const char *uri;
	const char *want;
};

static const struct redaction redactions[] = {
	{POSTGRES, "postgresql://bob:s3cret@db:5432/app?sslmode=require",
	 "postgresql://bob:****@db:5432/app?sslmode=require"},
	{POSTGRES, "postgres://db/app?user=x&password=hunter2&a=b",
	 "postgres://db/app?user=x&password=****&a=b"},
	{POSTGRES, "postgresql:///app?pass%77ord=ab&host=/tmp&sslpassword=c",
	 "postgresql:///app?pass%77ord=****&host=/tmp&sslpassword=****"},
	{POSTGRES, "postgresql+asyncpg://bob:p@ss/w?rd@db/app#frag",
	 "postgresql+asyncpg://bob:****@db/app#frag"},
	{POSTGRES, "postgresql://bob@db/app", "postgresql://bob@db/app"},
	{POSTGRES, "host=db password='p w\\' x' user=bob", "host=db password=**** user=bob"},
	{POSTGRES, "host=db password = s3\\ cret\tsslpassword=x\nuser=bob",
	 "host=db password = ****\tsslpassword=****\nuser=bob"},
	{POSTGRES, "dbname='postgresql://u:s3cret@h/db' host=h",
	 "dbname='postgresql://u:****@h/db' host=h"},
	{POSTGRES, "host=h password='unterminated", "host=h password=****"},
	{POSTGRES, "", ""},
	{SQLITE, "sqlite:app.db", "sqlite:app.db"},
	{SQLITE, "sqlite:///var/db/app.db", "sqlite:///var/db/app.db"},
	{SQLITE, "sqlite:file:app.db?mode=ro&key=s3cret&hex%6Bey=00#x",
	 "sqlite:file:app.db?mode=ro&key=****&hex%6Bey=****#x"},
	{SQLITE, "sqlite://u:s3cret@h/db", "sqlite://u:****@h/db"},
	{MARIADB, "mariadb://bob:s3cret@db:3306/app?socket=/s",
	 "mariadb://bob:****@db:3306/app?socket=/s"},
	{MARIADB, "mysql://db/app?password=s3cret&socket=/s",
	 "mysql://db/app?password=****&socket=/s"},
	{MARIADB, "mariadb://bob@db/app", "mariadb://bob@db/app"},
};

START_TEST(redact_uri_hides_passwords)
{
	setup(_i);
	ck_assert(FLUX_BACKEND_HAS(b, redact_uri));
	for (size_t i = 0; i < sizeof(redactions) / sizeof(redactions[0]); i++) {
		const struct redaction *r = &redactions[i];
		if (r->target != target)
			continue;
		char out[256];
		size_t n = b->redact_uri(r->uri, out, sizeof(out));
		ck_assert_str_eq(out, r->want);
		ck_assert_uint_eq(n, strlen(out));
		/* Cut short: still terminated, no piece of the secret. */
		char small[12];
		n = b->redact_uri(r->uri, small, sizeof(small));
		ck_assert_uint_lt(n, sizeof(small));
		ck_assert_uint_eq(strlen(small), n);
		ck_assert_msg(!strstr(small, "s3c"), "%s", small);
	}
}
END_TEST

/* ---- the run ------------------------------------------------------------ */

/* One statement on a server through the backend itself (to make or drop
 * the tests' database): load, create with server's URI, connect, run,
 * let go. */
static int admin_sql(const char *backend, const char *server, const char *sql)
{
	const flux_backend_info *info;
	void *s = NULL;
	b = load(backend, &info);
	int rc = b ? b->create(&host, NULL, server, &s, &err) : (int)err.code;
	if (rc)
		return rc;
	if (!(rc = b->connect(s, &err))) {
		rc = run(s, sql);
		b->disconnect(s, &err);
	}
	b->destroy(s);
	return rc;
}

/* The PostgreSQL part runs against the server the environment names or,
 * without one, a private server started here (tools/pg-test-server), as
 * test_pg_lib does; it works in a database of its own, made here through
 * the backend itself. */
static void pg_database(int drop)
{
	if (!strstr(" " BUILT_BACKENDS " ", " postgres ")) {
		snprintf(skipped[POSTGRES], sizeof(skipped[POSTGRES]),
			 "the postgres backend is not built (configure --without-postgres)");
		return;
	}
	if (!drop && !getenv("PGHOST") && !getenv("PGHOSTADDR") && !getenv("PGSERVICE")) {
		if (!tu_pg_server_installed()) {
			snprintf(skipped[POSTGRES], sizeof(skipped[POSTGRES]),
				 "no PostgreSQL server binaries (initdb) installed, and no "
				 "server named by PGHOST");
			return;
		}
		/* Installed but not starting is a failure, not a skip. */
		if (tu_pg_server_start() != 0) {
			snprintf(skipped[POSTGRES], sizeof(skipped[POSTGRES]),
				 "the private PostgreSQL test server did not start");
			pg_server_failed = 1;
			return;
		}
	}
	target = POSTGRES;
	if (!drop)
		snprintf(pg_db, sizeof(pg_db), "flux_conformance_%ld", (long)getpid());
	char sql[128];
	snprintf(sql, sizeof(sql), "%s DATABASE %s", drop ? "DROP" : "CREATE", pg_db);
	int rc = admin_sql("postgres", "", sql);
	if (rc && !drop)
		snprintf(skipped[POSTGRES], sizeof(skipped[POSTGRES]),
			 "cannot make a database on the server: %s", err.message);
	if (rc && drop)
		printf("# could not drop database %s: %s\n", pg_db, err.message);
}

/* The MariaDB part runs against a private server started here
 * (tools/mariadb-test-server), in a database of its own made through the
 * backend, as for PostgreSQL.  The module is built only when configure
 * found Connector/C; its manifest directory is then MARIADB_BACKENDS.  The
 * server is thrown away at the end, its databases with it. */
static void mdb_database(void)
{
#ifndef MARIADB_BACKENDS
	snprintf(skipped[MARIADB], sizeof(skipped[MARIADB]),
		 "the mariadb backend is not built (configure found no MariaDB Connector/C, "
		 "or --without-mariadb)");
#else
	if (!tu_mariadb_server_installed()) {
		snprintf(skipped[MARIADB], sizeof(skipped[MARIADB]),
			 "no MariaDB server binaries (mariadbd, mariadb-install-db) installed");
		return;
	}
	/* Installed but not starting is a failure, not a skip. */
	if (tu_mariadb_server_start() != 0) {
		snprintf(skipped[MARIADB], sizeof(skipped[MARIADB]),
			 "the private MariaDB test server did not start");
		mdb_server_failed = 1;
		return;
	}
	target = MARIADB;
	/* connect() wants a database for the record table (its lock is named
	 * after it): the server's own `mysql` one, where nothing is written. */
	snprintf(uri, sizeof(uri), "mariadb://root@localhost/mysql?socket=%s",
		 getenv("MYSQL_UNIX_PORT"));
	snprintf(mdb_db, sizeof(mdb_db), "flux_conformance_%ld", (long)getpid());
	char sql[128];
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", mdb_db);
	int rc = admin_sql("mariadb", uri, sql);
	if (rc) {
		snprintf(skipped[MARIADB], sizeof(skipped[MARIADB]),
			 "cannot make a database on the server: %s", err.message);
		mdb_db[0] = '\0';
	}
#endif
}

/* What a test needs of a target, beyond the module itself. */
enum {
	NEEDS_SERVER = 1,   /* a database to connect to */
	NEEDS_TXN_DDL = 2,  /* FLUX_CAP_TRANSACTIONAL_DDL: its premise */
	NEEDS_FLUX_0_2 = 4, /* a backend flux 0.2 had: it reads that one's tables */
};

/* Whether the test runs for target t; says why when the backend rules it
 * out (a missing server was said once already). */
static int runs(int t, int needs, const char *test)
{
	if ((needs & NEEDS_SERVER) && skipped[t][0])
		return 0;
	if ((needs & NEEDS_FLUX_0_2) && !in_flux_0_2[t]) {
		printf("# %s: %s not run: flux 0.2 had no %s backend, so no tables of its to "
		       "read\n", names[t], test, names[t]);
		return 0;
	}
	if (needs & NEEDS_TXN_DDL) {
		const flux_backend_info *info;
		const struct flux_backend *tb = load(names[t], &info);
		if (tb && !(tb->capabilities & FLUX_CAP_TRANSACTIONAL_DDL)) {
			printf("# %s: %s not run: it needs transactional DDL, which the "
			       "backend does not claim\n", names[t], test);
			return 0;
		}
	}
	return 1;
}

/* Test fn as a loop test of one index per target that runs it. */
#define ADD(fn, needs) \
	do { \
		for (int t_ = 0; t_ < NTARGETS; t_++) \
			if (runs(t_, (needs), #fn)) \
				tcase_add_loop_test(tc, fn, t_, t_ + 1); \
	} while (0)

int main(void)
{
	pg_database(0);
	mdb_database();
	for (int t = 0; t < NTARGETS; t++)
		if (skipped[t][0])
			printf("# %s: skipped: %s\n", names[t], skipped[t]);
	Suite *su = suite_create("conformance");
	TCase *tc = tu_tcase("conformance");
	tcase_set_timeout(tc, 60);
	/* Without a server, a module is still checked where it needs none. */
	ADD(registration_checks_the_host, 0);
	ADD(list_applied_stops_with_the_callbacks_status, NEEDS_SERVER);
	ADD(try_lock_takes_turns, NEEDS_SERVER);
	ADD(mark_save_keeps_started_at, NEEDS_SERVER);
	ADD(mark_delete_of_a_missing_mark_succeeds, NEEDS_SERVER);
	/* A marks table made inside the host's transaction goes with its
	 * rollback only where DDL is transactional; elsewhere its CREATE would
	 * commit the transaction half-way, so such a backend makes the table
	 * outside it (MariaDB's initialize() does) and the premise is void. */
	ADD(marks_table_created_in_a_rolled_back_transaction, NEEDS_SERVER | NEEDS_TXN_DDL);
	ADD(marks_of_flux_0_2_are_read_and_upgraded, NEEDS_SERVER | NEEDS_FLUX_0_2);
	ADD(split_leaves_out_comments_and_stops_when_told, 0);
	tcase_add_test(tc, sqlite_split_knows_quotes_comments_and_triggers);
	ADD(described_register_gives_register_migrations_row, NEEDS_SERVER);
	ADD(every_described_kind_runs_as_its_operation_would, NEEDS_SERVER);
	ADD(describe_sql_needs_no_connection, 0);
	ADD(described_sql_runs_in_the_databases_own_client, NEEDS_SERVER);
	ADD(described_operations_run_in_sequence, NEEDS_SERVER);
	ADD(execute_runs_a_script_and_places_its_errors, NEEDS_SERVER);
	ADD(execute_places_errors_in_a_large_script, NEEDS_SERVER);
	ADD(cancel_from_a_thread_stops_the_running_statement, NEEDS_SERVER);
	ADD(redact_uri_hides_passwords, 0);
	fflush(stdout);
	suite_add_tcase(su, tc);
	int rc = tu_run(su);
	if (pg_db[0])
		pg_database(1);
	tu_pg_server_stop();
	tu_mariadb_server_stop();
	return pg_server_failed || mdb_server_failed ? EXIT_FAILURE : rc;
}
