/* SPDX-License-Identifier: MIT */
/* The runner driven through libflux with a real module (test-good) and a
 * real SQLite file: plans, execution, validation, failures. */
#include <config.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <flux/flux.h>
#include "testutil.h"

static char proj[4096];

static void project(const char *backend, const char *extra)
{
	snprintf(proj, sizeof(proj), "%s", tu_tmpdir());
	char text[1024];
	snprintf(text, sizeof(text), "[flux]\nbackend = \"%s\"\nmigration_directory = "
		 "\"migrations\"\n%s", backend, extra ? extra : "");
	tu_write(proj, "flux.toml", text);
	tu_write(proj, "migrations/pre-apply/p.sql", "CREATE TABLE IF NOT EXISTS runs (x int);\n"
		 "INSERT INTO runs VALUES (1);\n");
	tu_write(proj, "migrations/001_a.sql", "CREATE TABLE a (x int);\n");
	tu_write(proj, "migrations/001_a.undo.sql", "DROP TABLE a;\n");
	tu_write(proj, "migrations/002_b.sql", "CREATE TABLE b (x int);\n");
	tu_write(proj, "migrations/002_b.undo.sql", "DROP TABLE b;\n");
	tu_write(proj, "migrations/003_c.sql", "CREATE TABLE c (x int);\n");
}

static flux_project *open_p(const char *uri_fmt, ...) FLUX_PRINTF(1, 2);

static flux_project *open_p(const char *uri_fmt, ...)
{
	char cfg[4200], uri[4200];
	snprintf(cfg, sizeof(cfg), "%s/flux.toml", proj);
	va_list ap;
	va_start(ap, uri_fmt);
	vsnprintf(uri, sizeof(uri), uri_fmt, ap);
	va_end(ap);
	flux_open_options o;
	flux_open_options_init(&o, FLUX_OPEN_OPTIONS_VERSION);
	o.config_path = cfg;
	o.uri = uri;
	o.backend_path = TEST_BACKEND_PATH;
	flux_project *p;
	flux_error err;
	int rc = flux_project_open(&o, &p, &err);
	ck_assert_msg(rc == FLUX_OK, "open: %s", err.message);
	return p;
}

/* Open with the test modules of fixture (NULL: the build tree's
 * backends) on test:PROJ/records.txt; *p is NULL on failure. */
struct opened {
	char log[8192];          /* what the host logged, one line each */
	flux_project *p;
	int rc;
	flux_error err;
	double seconds;
};

static void collect_log(void *ctx, int level, const char *message)
{
	struct opened *o = ctx;
	size_t n = strlen(o->log);
	snprintf(o->log + n, sizeof(o->log) - n, "%d %s\n", level, message);
}

/* Options for the test project, logging into r; the strings live in
 * static buffers until the next call. */
static void test_options(flux_open_options *o, struct opened *r, const char *fixture)
{
	static char cfg[4200], uri[4200];
	snprintf(cfg, sizeof(cfg), "%s/flux.toml", proj);
	snprintf(uri, sizeof(uri), "test:%s/records.txt", proj);
	flux_open_options_init(o, FLUX_OPEN_OPTIONS_VERSION);
	o->config_path = cfg;
	o->uri = uri;
	o->backend_path = fixture ? tu_fixture(fixture) : TEST_BACKEND_PATH;
	o->log = collect_log;
	o->log_ctx = r;
	o->log_level = FLUX_LOG_DEBUG;
	r->log[0] = '\0';
}

static void timed_open(struct opened *r, const flux_open_options *o)
{
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	r->rc = flux_project_open(o, &r->p, &r->err);
	clock_gettime(CLOCK_MONOTONIC, &b);
	r->seconds = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

static void open_test(struct opened *r, const char *fixture, double lock_timeout,
		      void (*opening)(void *, flux_project *))
{
	flux_open_options o;
	test_options(&o, r, fixture);
	o.lock_timeout = lock_timeout;
	o.opening = opening;
	timed_open(r, &o);
}

/* The statements the test backend executed, as "S1|S2|..." (each
 * trimmed), then the log is emptied. */
static const char *executed(void)
{
	static char out[4096];
	char path[4300], buf[8192] = "";
	snprintf(path, sizeof(path), "%s/records.txt.log", proj);
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	unlink(path);
	out[0] = '\0';
	for (char *st = buf, *end; (end = strstr(st, "\n--\n")); st = end + 4) {
		*end = '\0';
		while (*st == ' ' || *st == '\n')
			st++;
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", out[0] ? "|" : "",
			 st);
	}
	return out;
}

static int apply(flux_project *p, long n, flux_error *err)
{
	flux_plan *plan;
	int rc = flux_plan_apply(p, n, &plan, err);
	if (rc)
		return rc;
	rc = flux_plan_execute(p, plan, NULL, NULL, err);
	flux_plan_free(plan);
	return rc;
}

/* Plan up to and including to_id, expect want migrations in it, run it. */
static int apply_to(flux_project *p, const char *to_id, size_t want, flux_error *err)
{
	flux_plan *plan;
	int rc = flux_plan_apply_to(p, to_id, &plan, err);
	if (rc) {
		ck_assert_ptr_null(plan);
		return rc;
	}
	ck_assert_uint_eq(flux_plan_count(plan), want);
	rc = flux_plan_execute(p, plan, NULL, NULL, err);
	flux_plan_free(plan);
	return rc;
}

static int rollback(flux_project *p, long n, const char *to, int rep, flux_error *err)
{
	flux_plan *plan;
	int rc = flux_plan_rollback(p, n, to, rep, &plan, err);
	if (rc)
		return rc;
	rc = flux_plan_execute(p, plan, NULL, NULL, err);
	flux_plan_free(plan);
	return rc;
}

START_TEST(apply_n_then_all_then_rollback)
{
	project("sqlite", NULL);
	flux_project *p = open_p("sqlite:%s/db.sqlite", proj);
	flux_error err;
	ck_assert_int_eq(apply(p, 1, &err), FLUX_OK);
	ck_assert_uint_eq(flux_project_record_count(p), 1);
	ck_assert_str_eq(flux_project_record(p, 0)->id, "001_a");
	ck_assert_int_eq(apply(p, -1, &err), FLUX_OK);
	ck_assert_uint_eq(flux_project_record_count(p), 3);
	char hex[33];
	flux_md5_hex("CREATE TABLE b (x int);\n", 24, hex);
	ck_assert_str_eq(flux_project_record_find(p, "002_b")->hash, hex);
	ck_assert_int_eq(rollback(p, 1, NULL, -1, &err), FLUX_OK);
	ck_assert_uint_eq(flux_project_record_count(p), 2);
	ck_assert_int_eq(rollback(p, -1, "002_b", 0, &err), FLUX_OK);
	ck_assert_uint_eq(flux_project_record_count(p), 1);
	ck_assert_int_eq(rollback(p, -1, "003_c", -1, &err), FLUX_ERR_NOT_FOUND);
	ck_assert_str_eq(err.message, "migration '003_c' is not applied");
	ck_assert_int_eq(rollback(p, -1, NULL, -1, &err), FLUX_OK);
	ck_assert_uint_eq(flux_project_record_count(p), 0);
	flux_project_close(p);
}
END_TEST

/* What libflux offers tests of migrations: bring a database to just before
 * a migration, put data in, apply that migration, look at the data. */
START_TEST(testing_one_migration_on_its_data)
{
	project("sqlite", NULL);
	tu_write(proj, "migrations/002_b.sql", "ALTER TABLE a ADD COLUMN doubled int;\n"
		 "UPDATE a SET doubled = 2 * x;\n");
	tu_write(proj, "migrations/002_b.undo.sql", "ALTER TABLE a DROP COLUMN doubled;\n");
	flux_project *p = open_p("sqlite:%s/db.sqlite", proj);
	flux_error err;
	ck_assert_int_eq(apply_to(p, "001_a", 1, &err), FLUX_OK);
	char cmd[8300];
	snprintf(cmd, sizeof(cmd), "sqlite3 '%s/db.sqlite' 'INSERT INTO a VALUES (21)'", proj);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(apply_to(p, "002_b", 1, &err), FLUX_OK);
	ck_assert_ptr_nonnull(flux_project_record_find(p, "002_b"));
	ck_assert_ptr_null(flux_project_record_find(p, "003_c"));
	snprintf(cmd, sizeof(cmd), "test \"$(sqlite3 '%s/db.sqlite' 'SELECT doubled FROM a')\" "
		 "= 42", proj);
	ck_assert_msg(system(cmd) == 0, "002_b did not double the data");
	/* Already applied: nothing to do; unknown: refused. */
	ck_assert_int_eq(apply_to(p, "001_a", 0, &err), FLUX_OK);
	ck_assert_int_eq(apply_to(p, "004_nope", 0, &err), FLUX_ERR_NOT_FOUND);
	ck_assert_ptr_nonnull(strstr(err.message, "no migration '004_nope'"));
	flux_project_close(p);
}
END_TEST

START_TEST(failure_rolls_back_and_locates)
{
	project("sqlite", NULL);
	tu_write(proj, "migrations/002_b.sql", "CREATE TABLE b (x int);\nINSERT INTO b VALUES (1);\n"
		 "INSERT INTO nope VALUES (1);\n");
	tu_write(proj, "migrations/post-apply/z.sql", "INSERT INTO runs VALUES (2);\n");
	flux_project *p = open_p("sqlite:%s/db.sqlite", proj);
	flux_error err;
	ck_assert_int_eq(apply(p, -1, &err), FLUX_ERR_MIGRATION);
	ck_assert_str_eq(err.migration, "002_b");
	ck_assert_str_eq(err.message, "no such table: nope");
	ck_assert_int_eq(err.line, 3);
	ck_assert_int_eq(err.column, 1); /* SQLite names the statement, not the word */
	ck_assert_str_eq(err.line_text, "INSERT INTO nope VALUES (1);");
	ck_assert_ptr_nonnull(strstr(err.file, "migrations/002_b.sql"));
	/* 001_a stays applied; 002_b and its table are gone; 003_c never ran. */
	ck_assert_uint_eq(flux_project_record_count(p), 1);
	flux_project_close(p);
	char cmd[8300];
	snprintf(cmd, sizeof(cmd), "test \"$(sqlite3 '%s/db.sqlite' \"SELECT group_concat(name) "
		 "FROM (SELECT name FROM sqlite_master WHERE type='table' ORDER BY name); SELECT "
		 "group_concat(x) FROM runs\")\" = \"$(printf '_flux_migrations,a,runs\\n1,2')\"",
		 proj);
	ck_assert_msg(system(cmd) == 0, "database state differs: %s", cmd);
}
END_TEST

/* SQL from a .py migration fails: the location is the line of the .py
 * file when the failing line is written there (a triple-quoted string),
 * otherwise a line of the generated SQL, and then it says so. */
START_TEST(generated_sql_errors_point_into_the_source)
{
	project("sqlite", NULL);
	unlink(tu_write(proj, "migrations/003_c.sql", ""));
	tu_write(proj, "migrations/003_c.py", "def apply():\n    return \"\"\"\n"
		 "CREATE TABLE pa (x int);\n    INSERT INTO pa VALUES (1,,2);\n\"\"\"\n");
	flux_project *p = open_p("sqlite:%s/db.sqlite", proj);
	flux_error err;
	ck_assert_int_eq(apply(p, -1, &err), FLUX_ERR_MIGRATION);
	ck_assert_ptr_nonnull(strstr(err.file, "migrations/003_c.py"));
	ck_assert_ptr_null(strstr(err.file, "generated"));
	ck_assert_int_eq(err.line, 4);
	ck_assert_str_eq(err.line_text, "    INSERT INTO pa VALUES (1,,2);");
	ck_assert_int_eq(err.column, 30); /* the second comma, as in the .py file */
	flux_project_close(p);

	tu_write(proj, "migrations/003_c.py", "def apply():\n    return ('CREATE TABLE pb (x int);\\n'"
		 " + 'INSERT INTO nope VALUES (1);')\n");
	p = open_p("sqlite:%s/db.sqlite", proj);
	ck_assert_int_eq(apply(p, -1, &err), FLUX_ERR_MIGRATION);
	ck_assert_ptr_nonnull(strstr(err.file, "migrations/003_c.py (generated SQL)"));
	ck_assert_int_eq(err.line, 2);
	ck_assert_str_eq(err.line_text, "INSERT INTO nope VALUES (1);");
	flux_project_close(p);
}
END_TEST

START_TEST(corruption_is_detected)
{
	project("sqlite", NULL);
	flux_project *p = open_p("sqlite:%s/db.sqlite", proj);
	flux_error err;
	ck_assert_int_eq(apply(p, 2, &err), FLUX_OK);
	flux_project_close(p);

	tu_write(proj, "migrations/002_b.sql", "CREATE TABLE b (x bigint);\n");
	p = open_p("sqlite:%s/db.sqlite", proj);
	ck_assert_int_eq(flux_project_validate(p, &err), FLUX_ERR_CORRUPT);
	char want[512], a[33], b[33];
	flux_md5_hex("CREATE TABLE b (x int);\n", 24, a);
	flux_md5_hex("CREATE TABLE b (x bigint);\n", 27, b);
	snprintf(want, sizeof(want), "migration '002_b' changed after it was applied (%s/"
		 "migrations/002_b.sql: stored hash %s, file hash %s)", proj, a, b);
	ck_assert_str_eq(err.message, want);
	ck_assert_int_eq(apply(p, -1, &err), FLUX_ERR_CORRUPT);
	ck_assert_uint_eq(flux_project_record_count(p), 2);
	flux_project_close(p);

	tu_write(proj, "migrations/002_b.sql", "CREATE TABLE b (x int);\n");
	tu_write(proj, "migrations/001_z_inserted.sql", "SELECT 1;\n");
	p = open_p("sqlite:%s/db.sqlite", proj);
	ck_assert_int_eq(flux_project_validate(p, &err), FLUX_ERR_CORRUPT);
	ck_assert_ptr_nonnull(strstr(err.message, "migration '001_z_inserted'"));
	ck_assert_ptr_nonnull(strstr(err.message, "is not applied but comes before the last "
				     "applied migration '002_b'"));
	flux_project_close(p);

	char path[4300];
	snprintf(path, sizeof(path), "%s/migrations/001_z_inserted.sql", proj);
	unlink(path);
	snprintf(path, sizeof(path), "%s/migrations/001_a.sql", proj);
	unlink(path);
	p = open_p("sqlite:%s/db.sqlite", proj);
	ck_assert_int_eq(rollback(p, 1, NULL, -1, &err), FLUX_ERR_CORRUPT);
	ck_assert_ptr_nonnull(strstr(err.message, "applied migration '001_a' has no file in"));
	flux_project_close(p);
}
END_TEST

START_TEST(third_party_module_end_to_end)
{
	project("test-good", "[backend]\ncoolness_level = 11\n");
	tu_write(proj, "migrations/003_c.sql", "SELECT 1;\nSELECT FAIL;\n");
	flux_project *p = open_p("test:%s/records.txt", proj);
	flux_error err;
	ck_assert_int_eq(apply(p, -1, &err), FLUX_ERR_MIGRATION);
	ck_assert_str_eq(err.message, "test backend refuses FAIL");
	ck_assert_int_eq(err.line, 2);
	ck_assert_int_eq(err.column, 8);
	ck_assert_uint_eq(flux_project_record_count(p), 2);
	flux_project_close(p);
}
END_TEST

START_TEST(open_errors)
{
	project("nosuch", NULL);
	char cfg[4200];
	snprintf(cfg, sizeof(cfg), "%s/flux.toml", proj);
	flux_open_options o;
	flux_open_options_init(&o, FLUX_OPEN_OPTIONS_VERSION);
	o.config_path = cfg;
	o.uri = "sqlite:x.db";
	o.backend_path = TEST_BACKEND_PATH;
	flux_project *p = NULL;
	flux_error err;
	ck_assert_int_eq(flux_project_open(&o, &p, &err), FLUX_ERR_PLUGIN);
	ck_assert_str_eq(err.message, "Backend 'nosuch' is not installed");
	ck_assert_ptr_null(p);
	project("sqlite", "[backend]\nmigrations_table = \"bad-name\"\n");
	snprintf(cfg, sizeof(cfg), "%s/flux.toml", proj);
	o.config_path = cfg;
	ck_assert_int_eq(flux_project_open(&o, &p, &err), FLUX_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.message, "flux.toml:5: [backend] migrations_table "
				     "'bad-name' must match"));
	ck_assert_int_eq(err.line, 5);
	o.uri = "mysql://x";
	project("sqlite", NULL);
	snprintf(cfg, sizeof(cfg), "%s/flux.toml", proj);
	ck_assert_int_eq(flux_project_open(&o, &p, &err), FLUX_ERR_INVALID);
	/* The scheme only: the rest of a foreign URI may hold a password. */
	ck_assert_str_eq(err.message, "not an SQLite URI: it starts with 'mysql:' (expected "
			 "sqlite:PATH)");
}
END_TEST

/* ---- lock waiting: the host's loop over try_lock ---------------------- */

static void hold_lock(const char *holder)
{
	char name[64];
	snprintf(name, sizeof(name), "records.txt.held");
	tu_write(proj, name, holder);
}

START_TEST(lock_timeout_names_lock_and_holder)
{
	project("test-good", NULL);
	hold_lock("pid 4242 (a test)\n");
	struct opened r;
	open_test(&r, NULL, 0.3, NULL);
	ck_assert_int_eq(r.rc, FLUX_ERR_LOCK_TIMEOUT);
	ck_assert_ptr_null(r.p);
	char want[4400];
	snprintf(want, sizeof(want), "waiting for the test lock %s/records.txt.held, held by pid "
		 "4242 (a test)", proj);
	ck_assert_msg(strncmp(r.err.message, "gave up after 0.", 16) == 0 &&
		      strstr(r.err.message, want), "got: %s", r.err.message);
	ck_assert_msg(r.seconds >= 0.3 && r.seconds < 5, "took %.2f s", r.seconds);
	/* Shorter than a second: no warning. */
	ck_assert_ptr_null(strstr(r.log, "waiting for"));
	/* Longer: one warning, after a second, with the holder. */
	open_test(&r, NULL, 1.3, NULL);
	ck_assert_int_eq(r.rc, FLUX_ERR_LOCK_TIMEOUT);
	snprintf(want, sizeof(want), "%d waiting for the test lock %s/records.txt.held, held by "
		 "pid 4242 (a test)\n", FLUX_LOG_WARNING, proj);
	ck_assert_msg(strstr(r.log, want) && strstr(r.log, want) == strrchr(r.log, '\n') -
		      strlen(want) + 1, "log: %s", r.log);
	/* A holder the database cannot name. */
	hold_lock("");
	open_test(&r, NULL, 0.1, NULL);
	ck_assert_msg(strstr(r.err.message, "records.txt.held (its holder is not known)"),
		      "got: %s", r.err.message);
}
END_TEST

static void *release_later(void *arg)
{
	(void)arg;
	usleep(400 * 1000);
	char path[4300];
	snprintf(path, sizeof(path), "%s/records.txt.held", proj);
	unlink(path);
	return NULL;
}

START_TEST(lock_wait_without_limit_ends_when_freed)
{
	project("test-good", NULL);
	hold_lock("pid 1\n");
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, release_later, NULL), 0);
	static struct opened r;
	open_test(&r, NULL, -1, NULL);
	pthread_join(t, NULL);
	ck_assert_msg(r.rc == FLUX_OK, "%s", r.err.message);
	ck_assert_msg(r.seconds >= 0.4 && r.seconds < 10, "took %.2f s", r.seconds);
	flux_project_close(r.p);
}
END_TEST

/* The opening project, published by libflux, and a thread that cancels
 * it after a while, as the CLI's watcher does on Ctrl-C. */
static pthread_mutex_t opening_lock = PTHREAD_MUTEX_INITIALIZER;
static flux_project *opening_p;

static void on_opening(void *ctx, flux_project *p)
{
	(void)ctx;
	pthread_mutex_lock(&opening_lock);
	opening_p = p;
	pthread_mutex_unlock(&opening_lock);
}

static void *cancel_opening(void *arg)
{
	(void)arg;
	/* Once flux has tried the lock and is waiting. */
	char tried[4300];
	snprintf(tried, sizeof(tried), "%s/records.txt.tried", proj);
	for (int i = 0; i < 1000 && access(tried, F_OK) != 0; i++)
		usleep(10 * 1000);
	usleep(100 * 1000);
	pthread_mutex_lock(&opening_lock);
	if (opening_p)
		flux_project_cancel(opening_p);
	pthread_mutex_unlock(&opening_lock);
	return NULL;
}

START_TEST(cancel_ends_lock_wait_at_once)
{
	project("test-good", NULL);
	hold_lock("pid 1\n");
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, cancel_opening, NULL), 0);
	struct opened r;
	open_test(&r, NULL, -1, on_opening);
	pthread_join(t, NULL);
	ck_assert_int_eq(r.rc, FLUX_ERR_CANCELLED);
	ck_assert_str_eq(r.err.message, "cancelled while waiting for the migration lock; "
			 "nothing was changed");
	ck_assert_msg(r.seconds < 5.0, "took %.2f s", r.seconds);
	ck_assert_ptr_null(opening_p);
	ck_assert_ptr_null(r.p);
}
END_TEST

/* ---- statement by statement: no transactional DDL, marks, resume ------ */

/* A project on test-nontx (no transactional DDL): 001_a and 002_b as in
 * project(), and 003_c given. */
static void nontx_project(const char *c_sql)
{
	project("test-nontx", NULL);
	tu_write(proj, "migrations/003_c.sql", c_sql);
}

static flux_project *open_nontx(void)
{
	/* The log goes on into r while the project lives. */
	static struct opened r;
	open_test(&r, "nontx", -1, NULL);
	ck_assert_msg(r.rc == FLUX_OK, "open: %s", r.err.message);
	return r.p;
}

static const char *marks_file(void)
{
	static char buf[4096];
	char path[4300];
	snprintf(path, sizeof(path), "%s/records.txt.marks", proj);
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	return buf;
}

START_TEST(no_transactional_ddl_runs_statement_by_statement)
{
	nontx_project("SELECT 1;\nSELECT 2;\n");
	flux_project *p = open_nontx();
	flux_error err;
	ck_assert_msg(apply(p, -1, &err) == FLUX_OK, "%s", err.message);
	/* The repeatable and every migration, one statement per execute(),
	 * without the ';', and no mark is left. */
	ck_assert_str_eq(executed(), "CREATE TABLE IF NOT EXISTS runs (x int)|INSERT INTO runs "
			 "VALUES (1)|CREATE TABLE a (x int)|CREATE TABLE b (x int)|SELECT 1|"
			 "SELECT 2");
	ck_assert_uint_eq(flux_project_record_count(p), 3);
	ck_assert_str_eq(marks_file(), "");
	flux_project_close(p);
}
END_TEST

START_TEST(failure_half_way_then_resume)
{
	nontx_project("SELECT 1;\nSELECT FAIL;\nSELECT 3;\n");
	flux_project *p = open_nontx();
	flux_error err;
	ck_assert_int_eq(apply(p, -1, &err), FLUX_ERR_MIGRATION);
	ck_assert_str_eq(err.message, "test backend refuses FAIL");
	ck_assert_str_eq(err.migration, "003_c");
	ck_assert_int_eq(err.line, 2);
	ck_assert_int_eq(err.column, 8);
	ck_assert_msg(strstr(err.detail, "the word FAIL\nmigration run statement by statement "
			     "(the database has no transactional DDL): statement 2 of 3 failed; "
			     "the statements before it ran and stay in effect"), "detail: %s",
		      err.detail);
	ck_assert_msg(strstr(err.hint, "fix statement 2 and run `flux apply` again: it resumes "
			     "after the 1 statements that completed"), "hint: %s", err.hint);
	/* Never claimed rolled back: the mark says what ran. */
	ck_assert_uint_eq(flux_project_record_count(p), 2);
	const flux_incomplete *inc = flux_project_incomplete_find(p, "003_c");
	ck_assert_ptr_nonnull(inc);
	ck_assert_str_eq(inc->progress, "statement 2 of 3 failed (SQLSTATE TB001): test backend "
			 "refuses FAIL; 1 of 3 ran before it");
	ck_assert_int_eq(flux_project_check_incomplete(p, &err), FLUX_ERR_INCOMPLETE);
	ck_assert_ptr_nonnull(strstr(err.hint, "`flux apply --restart`"));
	executed();
	flux_project_close(p);

	/* The usual fix edits the failing statement: the first is not run again. */
	tu_write(proj, "migrations/003_c.sql", "SELECT 1;\nSELECT 2;\nSELECT 3;\n");
	p = open_nontx();
	flux_plan *plan;
	ck_assert_int_eq(flux_plan_apply(p, -1, &plan, &err), FLUX_OK);
	ck_assert_int_eq(flux_plan_check(p, plan, &err), FLUX_OK);
	ck_assert_int_eq(flux_plan_execute(p, plan, NULL, NULL, &err), FLUX_OK);
	flux_plan_free(plan);
	ck_assert_str_eq(executed(), "CREATE TABLE IF NOT EXISTS runs (x int)|INSERT INTO runs "
			 "VALUES (1)|SELECT 2|SELECT 3");
	ck_assert_uint_eq(flux_project_record_count(p), 3);
	ck_assert_uint_eq(flux_project_incomplete_count(p), 0);
	ck_assert_str_eq(marks_file(), "");
	flux_project_close(p);
}
END_TEST

START_TEST(changed_completed_statement_refused_then_restart)
{
	nontx_project("SELECT 1;\nSELECT FAIL;\nSELECT 3;\n");
	flux_project *p = open_nontx();
	flux_error err;
	ck_assert_int_eq(apply(p, -1, &err), FLUX_ERR_MIGRATION);
	flux_project_close(p);
	executed();
	tu_write(proj, "migrations/003_c.sql", "-- fixed\nSELECT 10;\nSELECT 2;\nSELECT 3;\n");
	p = open_nontx();
	flux_plan *plan;
	ck_assert_int_eq(flux_plan_apply(p, -1, &plan, &err), FLUX_OK);
	ck_assert_int_eq(flux_plan_check(p, plan, &err), FLUX_ERR_INCOMPLETE);
	ck_assert_str_eq(err.message, "cannot resume migration '003_c': statement 1 of the 1 "
			 "that completed before it stopped has changed");
	ck_assert_ptr_nonnull(strstr(err.file, "migrations/003_c.sql"));
	ck_assert_int_eq(err.line, 2);
	ck_assert_str_eq(err.line_text, "SELECT 10;");
	ck_assert_str_eq(err.migration, "003_c");
	ck_assert_ptr_nonnull(strstr(err.hint, "restore statement 1 as it was to resume after "
				     "the 1 completed statements"));
	ck_assert_ptr_nonnull(strstr(err.hint, "`flux apply --restart` runs '003_c' from its "
				     "first statement"));
	/* Execute refuses the same way, before anything (pre-apply too) runs. */
	ck_assert_int_eq(flux_plan_execute(p, plan, NULL, NULL, &err), FLUX_ERR_INCOMPLETE);
	ck_assert_str_eq(executed(), "");
	flux_plan_set_restart(plan, 1);
	ck_assert_int_eq(flux_plan_check(p, plan, &err), FLUX_OK);
	ck_assert_msg(flux_plan_execute(p, plan, NULL, NULL, &err) == FLUX_OK, "%s", err.message);
	flux_plan_free(plan);
	ck_assert_str_eq(executed(), "CREATE TABLE IF NOT EXISTS runs (x int)|INSERT INTO runs "
			 "VALUES (1)|-- fixed\nSELECT 10|SELECT 2|SELECT 3");
	ck_assert_uint_eq(flux_project_incomplete_count(p), 0);
	ck_assert_uint_eq(flux_project_record_count(p), 3);
	flux_project_close(p);
}
END_TEST

/* A mark an older flux wrote (no resume text), and one of the other
 * direction: refused, naming the migration; --restart runs it. */
START_TEST(marks_that_cannot_be_resumed)
{
	nontx_project("SELECT 1;\nSELECT 2;\n");
	tu_write(proj, "records.txt", "");
	tu_write(proj, "records.txt.marks", "003_c\t1\tstatement 2 failed: x; 1 ran before it\t\n");
	flux_project *p = open_nontx();
	flux_error err;
	flux_plan *plan;
	ck_assert_int_eq(flux_plan_apply(p, -1, &plan, &err), FLUX_OK);
	ck_assert_int_eq(flux_plan_check(p, plan, &err), FLUX_ERR_INCOMPLETE);
	ck_assert_str_eq(err.message, "migration '003_c' stopped half-way while being applied "
			 "(started 2024-01-01 00:00:00: statement 2 failed: x; 1 ran before it), "
			 "and its mark does not say which statements completed");
	ck_assert_ptr_nonnull(strstr(err.hint, "`flux apply --restart`"));
	ck_assert_str_eq(err.migration, "003_c");
	flux_plan_set_restart(plan, 1);
	ck_assert_msg(flux_plan_execute(p, plan, NULL, NULL, &err) == FLUX_OK, "%s", err.message);
	flux_plan_free(plan);
	ck_assert_uint_eq(flux_project_incomplete_count(p), 0);
	flux_project_close(p);

	/* An undo that stopped half-way: apply cannot resume it. */
	nontx_project("SELECT 1;\n");
	tu_write(proj, "records.txt", "");
	tu_write(proj, "records.txt.marks", "003_c\t2\t1 of 2 statements ran\tflux-resume 1 0\n");
	p = open_nontx();
	ck_assert_int_eq(flux_plan_apply(p, -1, &plan, &err), FLUX_OK);
	ck_assert_int_eq(flux_plan_execute(p, plan, NULL, NULL, &err), FLUX_ERR_INCOMPLETE);
	ck_assert_str_eq(err.message, "migration '003_c' stopped half-way while being rolled back "
			 "(started 2024-01-01 00:00:00: 1 of 2 statements ran), so `flux apply` "
			 "cannot resume it");
	ck_assert_ptr_nonnull(strstr(err.hint, "`flux apply --restart`"));
	ck_assert_str_eq(executed(), "");
	flux_plan_set_restart(plan, 1);
	ck_assert_msg(flux_plan_execute(p, plan, NULL, NULL, &err) == FLUX_OK, "%s", err.message);
	flux_plan_free(plan);
	ck_assert_uint_eq(flux_project_incomplete_count(p), 0);
	ck_assert_uint_eq(flux_project_record_count(p), 3);
	flux_project_close(p);
}
END_TEST

static flux_project *to_cancel;

static void *cancel_later(void *arg)
{
	(void)arg;
	usleep(300 * 1000);
	flux_project_cancel(to_cancel);
	return NULL;
}

/* Cancelled from another thread inside the second of three statements:
 * the first stays done and the mark says so; nothing claims a rollback. */
START_TEST(cancel_statement_by_statement)
{
	nontx_project("SELECT 1;\nSELECT SLEEP;\nSELECT 3;\n");
	flux_project *p = open_nontx();
	flux_error err;
	flux_plan *plan;
	ck_assert_int_eq(flux_plan_apply(p, -1, &plan, &err), FLUX_OK);
	to_cancel = p;
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, cancel_later, NULL), 0);
	int rc = flux_plan_execute(p, plan, NULL, NULL, &err);
	pthread_join(t, NULL);
	flux_plan_free(plan);
	ck_assert_int_eq(rc, FLUX_ERR_CANCELLED);
	ck_assert_str_eq(err.message, "cancelled while applying '003_c'; it ran outside a "
			 "transaction and stopped half-way");
	ck_assert_str_eq(err.detail, "1 of 3 statements completed and stay in effect; the "
			 "database said: cancelled by the test backend");
	const flux_incomplete *inc = flux_project_incomplete_find(p, "003_c");
	ck_assert_ptr_nonnull(inc);
	ck_assert_str_eq(inc->progress, "statement 2 of 3 failed: cancelled by the test "
			 "backend; 1 of 3 ran before it");
	flux_project_close(p);
}
END_TEST

/* Cancels the run once 001_a is done: between two
 * operations, where the test backend's cancel, like PostgreSQL's late
 * one, stops the next read of the records. */
static void cancel_after_first(void *ctx, const flux_event *ev)
{
	if (ev->type == FLUX_EVENT_DONE && !strcmp(flux_migration_id(ev->migration), "001_a"))
		flux_project_cancel(ctx);
}

/* The records after a cancelled run are those the database holds, even
 * when the cancel stopped the first read of them. */
START_TEST(cancel_between_migrations_keeps_the_records)
{
	project("test-good", NULL);
	struct opened r;
	open_test(&r, NULL, 0, NULL);
	ck_assert_msg(r.rc == FLUX_OK, "%s", r.err.message);
	flux_plan *plan;
	flux_error err;
	ck_assert_int_eq(flux_plan_apply(r.p, -1, &plan, &err), FLUX_OK);
	int rc = flux_plan_execute(r.p, plan, cancel_after_first, r.p, &err);
	flux_plan_free(plan);
	ck_assert_int_eq(rc, FLUX_ERR_CANCELLED);
	ck_assert_str_eq(err.message, "cancelled before '002_b' started");
	ck_assert_uint_eq(flux_project_record_count(r.p), 1);
	ck_assert_str_eq(flux_project_record(r.p, 0)->id, "001_a");
	flux_project_close(r.p);
}
END_TEST

/* An apply reads the next migrations' files ahead (read_ahead.c) when the
 * cache left them unread; a text read ahead and not run is dropped when
 * the run ends, so what runs later, and its hash, is the file as it is
 * then. */
START_TEST(texts_read_ahead_and_not_run_are_dropped)
{
	project("test-good", NULL);
	tu_write(proj, "migrations/002_b.sql", "SELECT SLEEP;\n");
	tu_write(proj, "migrations/004_d.sql", "CREATE TABLE d (x int);\n");
	char cache[4300];
	snprintf(cache, sizeof(cache), "%s/cache", proj);
	setenv("XDG_CACHE_HOME", cache, 1);
	unsetenv("FLUX_NO_CACHE");
	usleep(2200 * 1000); /* past the cache's racy window (2 s) */
	/* The first open caches every hash; the second then reads no file. */
	struct opened r;
	open_test(&r, NULL, 0, NULL);
	ck_assert_msg(r.rc == FLUX_OK, "%s", r.err.message);
	flux_project_close(r.p);
	open_test(&r, NULL, 0, NULL);
	ck_assert_msg(r.rc == FLUX_OK, "%s", r.err.message);
	ck_assert_msg(strstr(r.log, "hash cache: 5 of 5 "), "log: %s", r.log);
	flux_plan *plan;
	flux_error err;
	ck_assert_int_eq(flux_plan_apply(r.p, -1, &plan, &err), FLUX_OK);
	/* 002_b sleeps until the cancel; 003_c and 004_d are read by then. */
	to_cancel = r.p;
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, cancel_later, NULL), 0);
	ck_assert_int_eq(flux_plan_execute(r.p, plan, NULL, NULL, &err), FLUX_ERR_CANCELLED);
	pthread_join(t, NULL);
	flux_plan_free(plan);
	tu_write(proj, "migrations/004_d.sql", "CREATE TABLE d2 (x int);\n");
	const flux_migration *m = flux_migrations_find(flux_project_migrations(r.p), "004_d");
	size_t len;
	const char *up = flux_migration_up(m, &len);
	ck_assert_str_eq(up, "CREATE TABLE d2 (x int);\n");
	char hex[33];
	flux_md5_hex(up, len, hex);
	ck_assert_str_eq(flux_migration_hash(m), hex);
	flux_project_close(r.p);
}
END_TEST

/* flux_open_options.no_cache: the cache is off, and -vv's log says so;
 * without it, the log says what the cache did. */
START_TEST(no_cache_option_turns_the_cache_off)
{
	project("test-good", NULL);
	char cache[4300];
	snprintf(cache, sizeof(cache), "%s/cache", proj);
	setenv("XDG_CACHE_HOME", cache, 1);
	unsetenv("FLUX_NO_CACHE");
	for (int off = 1; off >= 0; off--) {
		static struct opened r;
		flux_open_options o;
		test_options(&o, &r, NULL);
		o.no_cache = off;
		timed_open(&r, &o);
		ck_assert_msg(r.rc == FLUX_OK, "%s", r.err.message);
		flux_project_close(r.p);
		char want[128];
		snprintf(want, sizeof(want), "%d hash cache: off (flux_open_options.no_cache)\n",
			 FLUX_LOG_DEBUG);
		ck_assert_msg(off == (strstr(r.log, want) != NULL), "log: %s", r.log);
		snprintf(want, sizeof(want), "%d hash cache: ", FLUX_LOG_DEBUG);
		ck_assert_msg(strstr(r.log, want), "log: %s", r.log);
		/* On: the files are too new to be cached (racy), which it says. */
		ck_assert_msg(off == !strstr(r.log, "too recent to cache"), "log: %s", r.log);
	}
}
END_TEST

/* The opening thread, once its records are read, joins the load's file
 * jobs (flux_read_help_join): a bad file it takes must fail the open, and
 * the lowest bad file in id order is the error, whichever thread read it.
 * Every file from 10700 on holds a NUL byte; a failed load caches nothing,
 * so each of the ten opens reads all 1,200 files, in chunks both threads
 * take.  Without the helper's failure merged into the load's, an open
 * names a later file or (its worker stopped past the failure) succeeds. */
START_TEST(first_bad_file_fails_the_open_whichever_thread_read_it)
{
	project("sqlite", NULL);
	for (int i = 0; i < 1200; i++) {
		char path[4300];
		snprintf(path, sizeof(path), "%s/migrations/1%04d_m.sql", proj, i);
		FILE *f = fopen(path, "wb");
		ck_assert_ptr_nonnull(f);
		static const char bad[] = "SELECT 1;\0\n", good[] = "SELECT 1;\n";
		if (i >= 700)
			fwrite(bad, 1, sizeof(bad) - 1, f);
		else
			fwrite(good, 1, sizeof(good) - 1, f);
		ck_assert_int_eq(fclose(f), 0);
	}
	char cache[4300];
	snprintf(cache, sizeof(cache), "%s/cache", proj);
	setenv("XDG_CACHE_HOME", cache, 1);
	unsetenv("FLUX_NO_CACHE");
	char cfg[4200], uri[4300], want[4400];
	snprintf(cfg, sizeof(cfg), "%s/flux.toml", proj);
	snprintf(uri, sizeof(uri), "sqlite:%s/db.sqlite", proj);
	snprintf(want, sizeof(want), "%s/migrations/10700_m.sql: the SQL holds a NUL byte",
		 proj);
	for (int run = 0; run < 10; run++) {
		flux_open_options o;
		flux_open_options_init(&o, FLUX_OPEN_OPTIONS_VERSION);
		o.config_path = cfg;
		o.uri = uri;
		o.backend_path = TEST_BACKEND_PATH;
		flux_project *p = NULL;
		flux_error err;
		int rc = flux_project_open(&o, &p, &err);
		ck_assert_msg(rc == FLUX_ERR_LOAD, "run %d: %d, %s", run, rc,
			      rc ? err.message : "opened");
		ck_assert_msg(strstr(err.message, want) == err.message, "run %d: %s", run,
			      err.message);
		ck_assert_ptr_null(p);
	}
}
END_TEST

START_TEST(uri_shown_redacted_by_the_backend)
{
	project("test-good", NULL);
	char cfg[4200], uri[4200], want[4200], got[4200];
	snprintf(cfg, sizeof(cfg), "%s/flux.toml", proj);
	snprintf(uri, sizeof(uri), "test:%s/records.txt?password=hunter2", proj);
	flux_open_options o;
	flux_open_options_init(&o, FLUX_OPEN_OPTIONS_VERSION);
	o.config_path = cfg;
	o.uri = uri;
	o.backend_path = TEST_BACKEND_PATH;
	flux_project *p;
	flux_error err;
	ck_assert_int_eq(flux_project_open(&o, &p, &err), FLUX_OK);
	snprintf(want, sizeof(want), "test:%s/records.txt?password=****", proj);
	ck_assert_uint_eq(flux_project_redact_uri(p, got, sizeof(got)), strlen(want));
	ck_assert_str_eq(got, want);
	/* Cut to the buffer, still NUL-terminated. */
	flux_project_redact_uri(p, got, 8);
	ck_assert_str_eq(got, "test:/t");
	flux_project_close(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("runner");
	TCase *tc = tu_tcase("runner");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, apply_n_then_all_then_rollback);
	tcase_add_test(tc, testing_one_migration_on_its_data);
	tcase_add_test(tc, generated_sql_errors_point_into_the_source);
	tcase_add_test(tc, failure_rolls_back_and_locates);
	tcase_add_test(tc, corruption_is_detected);
	tcase_add_test(tc, third_party_module_end_to_end);
	tcase_add_test(tc, open_errors);
	tcase_add_test(tc, lock_timeout_names_lock_and_holder);
	tcase_add_test(tc, lock_wait_without_limit_ends_when_freed);
	tcase_add_test(tc, cancel_ends_lock_wait_at_once);
	tcase_add_test(tc, no_transactional_ddl_runs_statement_by_statement);
	tcase_add_test(tc, failure_half_way_then_resume);
	tcase_add_test(tc, changed_completed_statement_refused_then_restart);
	tcase_add_test(tc, marks_that_cannot_be_resumed);
	tcase_add_test(tc, cancel_statement_by_statement);
	tcase_add_test(tc, cancel_between_migrations_keeps_the_records);
	tcase_add_test(tc, texts_read_ahead_and_not_run_are_dropped);
	tcase_add_test(tc, no_cache_option_turns_the_cache_off);
	tcase_add_test(tc, first_bad_file_fails_the_open_whichever_thread_read_it);
	tcase_add_test(tc, uri_shown_redacted_by_the_backend);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
