/* SPDX-License-Identifier: MIT */
/* libflux driving the real PostgreSQL backend module against a real server
 * that this program starts (tools/pg-test-server) before the suite and
 * stops after it.  Each test works in a database of its own; assertions
 * read the database back through libpq, not through flux. */
#include <config.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <libpq-fe.h>

#include <flux/flux.h>
#include "testutil.h"

static int server_up;
static char proj[4096];
static char dbname[64];
static char uri[512];

/* ---- libpq helpers ---------------------------------------------------- */

static PGconn *pg(const char *db)
{
	char ci[128];
	snprintf(ci, sizeof(ci), "dbname=%s application_name=flux-test", db);
	PGconn *c = PQconnectdb(ci);
	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "connect: %s", PQerrorMessage(c));
	return c;
}

static void exec_sql(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	ck_assert_msg(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "%s: %s", sql,
		      PQerrorMessage(c));
	PQclear(r);
}

/* The first value of the first row, as text ("" for none); static buffer. */
static const char *value(const char *sql)
{
	static char out[1024];
	PGconn *c = pg(dbname);
	PGresult *r = PQexec(c, sql);
	ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(c));
	snprintf(out, sizeof(out), "%s", PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	PQfinish(c);
	return out;
}

/* A database of this test's own (tests run in forked processes). */
static void newdb(void)
{
	ck_assert_msg(server_up, "the PostgreSQL test server did not start");
	snprintf(dbname, sizeof(dbname), "t%ld", (long)getpid());
	PGconn *c = pg("postgres");
	char sql[128];
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", dbname);
	exec_sql(c, sql);
	PQfinish(c);
	snprintf(uri, sizeof(uri), "postgresql:///%s?host=%s", dbname, getenv("PGHOST"));
}

/* ---- projects --------------------------------------------------------- */

static void project(const char *backend_options)
{
	snprintf(proj, sizeof(proj), "%s", tu_tmpdir());
	char text[1024];
	snprintf(text, sizeof(text), "[flux]\nbackend = \"postgres\"\nmigration_directory = "
		 "\"migrations\"\n\n[backend]\n%s\n", backend_options ? backend_options : "");
	tu_write(proj, "flux.toml", text);
	tu_write(proj, "migrations/001_a.sql", "CREATE TABLE a (x int);\n");
	tu_write(proj, "migrations/001_a.undo.sql", "DROP TABLE a;\n");
	tu_write(proj, "migrations/002_fn.sql",
		 "CREATE FUNCTION add_one(i int) RETURNS int AS $$\nBEGIN\n"
		 "    RETURN i + 1; -- a semicolon inside dollar quotes\nEND\n$$ LANGUAGE plpgsql;\n");
	tu_write(proj, "migrations/002_fn.undo.sql", "DROP FUNCTION add_one(int);\n");
	tu_write(proj, "migrations/003_c.sql", "CREATE TABLE c (x int);\n");
	tu_write(proj, "migrations/003_c.undo.sql", "DROP TABLE c;\n");
	tu_write(proj, "migrations/post-apply/v.sql",
		 "CREATE TABLE IF NOT EXISTS post_runs (n int);\nINSERT INTO post_runs VALUES (1);\n");
}

struct logged {
	char text[4096];
};

static void on_log(void *ctx, int level, const char *message)
{
	struct logged *l = ctx;
	(void)level;
	size_t n = strlen(l->text);
	snprintf(l->text + n, sizeof(l->text) - n, "%s\n", message);
}

static int open_project(double lock_timeout, struct logged *log, flux_project **p,
			flux_error *err)
{
	char cfg[4200];
	snprintf(cfg, sizeof(cfg), "%s/flux.toml", proj);
	flux_open_options o;
	flux_open_options_init(&o, FLUX_OPEN_OPTIONS_VERSION);
	o.config_path = cfg;
	o.uri = uri;
	o.backend_path = BUILD_BACKENDS;
	o.lock_timeout = lock_timeout;
	if (log) {
		o.log = on_log;
		o.log_ctx = log;
		o.log_level = FLUX_LOG_INFO;
	}
	return flux_project_open(&o, p, err);
}

static flux_project *open_ok(void)
{
	flux_project *p;
	flux_error err;
	int rc = open_project(-1, NULL, &p, &err);
	ck_assert_msg(rc == FLUX_OK, "open: %s", err.message);
	return p;
}

static int counted;
static void count_events(void *ctx, const flux_event *ev)
{
	(void)ctx;
	if (ev->type != FLUX_EVENT_START)
		counted++;
}

static int run(flux_project *p, flux_plan_kind kind, long n, flux_error *err)
{
	flux_plan *plan;
	int rc = kind == FLUX_PLAN_APPLY ? flux_plan_apply(p, n, &plan, err)
					 : flux_plan_rollback(p, n, NULL, -1, &plan, err);
	if (rc)
		return rc;
	rc = flux_plan_execute(p, plan, count_events, NULL, err);
	flux_plan_free(plan);
	return rc;
}

/* ---- tests ------------------------------------------------------------ */

START_TEST(apply_records_hashes_and_rollback)
{
	newdb();
	project(NULL);
	flux_project *p = open_ok();
	flux_error err;
	counted = 0;
	ck_assert_int_eq(run(p, FLUX_PLAN_APPLY, 2, &err), FLUX_OK);
	ck_assert_int_eq(counted, 3); /* two migrations and the post-apply */
	ck_assert_uint_eq(flux_project_record_count(p), 2);
	ck_assert_str_eq(value("SELECT string_agg(id, ' ' ORDER BY id) FROM _flux_migrations"),
			 "001_a 002_fn");
	const flux_migration *m = flux_migrations_find(flux_project_migrations(p), "002_fn");
	size_t len;
	const char *sql = flux_migration_up(m, &len);
	char hex[33];
	flux_md5_hex(sql, len, hex);
	ck_assert_str_eq(value("SELECT hash FROM _flux_migrations WHERE id = '002_fn'"), hex);
	ck_assert_str_eq(value("SELECT add_one(41)"), "42");
	ck_assert_int_eq(run(p, FLUX_PLAN_APPLY, -1, &err), FLUX_OK);
	ck_assert_int_eq(run(p, FLUX_PLAN_ROLLBACK, 2, &err), FLUX_OK);
	ck_assert_uint_eq(flux_project_record_count(p), 1);
	ck_assert_str_eq(value("SELECT count(*) FROM pg_proc WHERE proname = 'add_one'"), "0");
	ck_assert_str_eq(value("SELECT to_regclass('c') IS NULL"), "t");
	ck_assert_str_eq(value("SELECT count(*) FROM post_runs"), "3");
	flux_project_close(p);
}
END_TEST

START_TEST(error_record_locates_the_failure)
{
	newdb();
	project(NULL);
	tu_write(proj, "migrations/002_fn.sql", "-- make b\nCREATE TABLE b (\n    x int,\n"
		 "    y intt\n);\n");
	flux_project *p = open_ok();
	flux_error err;
	ck_assert_int_eq(run(p, FLUX_PLAN_APPLY, -1, &err), FLUX_ERR_MIGRATION);
	ck_assert_str_eq(err.message, "type \"intt\" does not exist");
	ck_assert_str_eq(err.sqlstate, "42704");
	ck_assert_str_eq(err.migration, "002_fn");
	ck_assert_ptr_nonnull(strstr(err.file, "migrations/002_fn.sql"));
	ck_assert_int_eq(err.line, 4);
	ck_assert_int_eq(err.column, 7);
	ck_assert_str_eq(err.line_text, "    y intt");
	/* 001_a stays, 002_fn left nothing behind, post-apply still ran. */
	ck_assert_uint_eq(flux_project_record_count(p), 1);
	ck_assert_str_eq(value("SELECT to_regclass('b') IS NULL"), "t");
	ck_assert_str_eq(value("SELECT count(*) FROM post_runs"), "1");
	flux_project_close(p);
}
END_TEST

START_TEST(server_detail_and_hint_reach_the_error_record)
{
	newdb();
	project(NULL);
	tu_write(proj, "migrations/002_fn.sql", "CREATE TABLE u (x int UNIQUE);\n"
		 "INSERT INTO u VALUES (1), (1);\n");
	flux_project *p = open_ok();
	flux_error err;
	ck_assert_int_eq(run(p, FLUX_PLAN_APPLY, -1, &err), FLUX_ERR_MIGRATION);
	ck_assert_str_eq(err.sqlstate, "23505");
	ck_assert_str_eq(err.detail, "Key (x)=(1) already exists.");
	ck_assert_int_eq(err.line, 0); /* the server names no position here */
	flux_project_close(p);
	tu_write(proj, "migrations/002_fn.sql", "SELECT 1;\nSELECT no_such_fn(1);\n");
	p = open_ok();
	ck_assert_int_eq(run(p, FLUX_PLAN_APPLY, -1, &err), FLUX_ERR_MIGRATION);
	ck_assert_str_eq(err.sqlstate, "42883");
	ck_assert_str_eq(err.message, "function no_such_fn(integer) does not exist");
	ck_assert_str_eq(err.hint, "No function matches the given name and argument types. "
			 "You might need to add explicit type casts.");
	ck_assert_int_eq(err.line, 2);
	ck_assert_int_eq(err.column, 8);
	ck_assert_str_eq(err.line_text, "SELECT no_such_fn(1);");
	flux_project_close(p);
}
END_TEST

START_TEST(python_tool_records_continued)
{
	newdb();
	project(NULL);
	PGconn *c = pg(dbname);
	exec_sql(c, "CREATE TABLE public._flux_migrations (id text primary key, hash text not "
		 "null, applied_at timestamp not null default current_timestamp); "
		 "CREATE TABLE a (x int)");
	char hex[33], sql[256];
	flux_md5_hex("CREATE TABLE a (x int);\n", 24, hex);
	snprintf(sql, sizeof(sql), "INSERT INTO _flux_migrations VALUES ('001_a', '%s', "
		 "'2023-05-01 10:00:00')", hex);
	exec_sql(c, sql);
	PQfinish(c);
	flux_project *p = open_ok();
	flux_error err;
	ck_assert_int_eq(flux_project_validate(p, &err), FLUX_OK);
	ck_assert_str_eq(flux_project_record(p, 0)->applied_at, "2023-05-01 10:00:00");
	ck_assert_int_eq(run(p, FLUX_PLAN_APPLY, -1, &err), FLUX_OK);
	ck_assert_uint_eq(flux_project_record_count(p), 3);
	ck_assert_str_eq(value("SELECT applied_at FROM _flux_migrations WHERE id = '001_a'"),
			 "2023-05-01 10:00:00");
	flux_project_close(p);
}
END_TEST

START_TEST(custom_schema_table_and_lock)
{
	newdb();
	project("migrations_schema = \"meta\"\nmigrations_table = \"history\"\n"
		"migrations_lock_id = 4242");
	flux_project *p = open_ok();
	flux_error err;
	ck_assert_int_eq(run(p, FLUX_PLAN_APPLY, -1, &err), FLUX_OK);
	flux_project_close(p);
	ck_assert_str_eq(value("SELECT count(*) FROM meta.history"), "3");
	ck_assert_str_eq(value("SELECT to_regclass('public._flux_migrations') IS NULL"), "t");
	/* Another session holds 4242: flux says it waits, then gives up. */
	PGconn *holder = pg(dbname);
	exec_sql(holder, "SELECT pg_advisory_lock(4242)");
	struct logged log = {{0}};
	p = NULL;
	ck_assert_int_eq(open_project(1.5, &log, &p, &err), FLUX_ERR_LOCK_TIMEOUT);
	ck_assert_ptr_null(p);
	char want[128];
	snprintf(want, sizeof(want), "held by pid %d, application_name 'flux-test'",
		 PQbackendPID(holder));
	ck_assert_msg(strstr(err.message, "waiting for advisory lock 4242") &&
		      strstr(err.message, want), "message: %s", err.message);
	ck_assert_msg(strstr(log.text, "waiting for advisory lock 4242 (migrations_lock_id)"),
		      "log: %s", log.text);
	/* Lock 3589, the default, is not ours to wait for. */
	exec_sql(holder, "SELECT pg_advisory_unlock(4242); SELECT pg_advisory_lock(3589)");
	ck_assert_int_eq(open_project(1.5, NULL, &p, &err), FLUX_OK);
	flux_project_close(p);
	PQfinish(holder);
}
END_TEST

START_TEST(no_transaction_half_way_leaves_a_mark)
{
	newdb();
	project(NULL);
	tu_write(proj, "migrations/002_fn.sql", "-- flux: no-transaction\n"
		 "CREATE INDEX CONCURRENTLY a_x ON a (x);\nINSERT INTO nope VALUES (1);\n"
		 "CREATE TABLE n3 (x int);\n");
	flux_project *p = open_ok();
	flux_error err;
	ck_assert_int_eq(run(p, FLUX_PLAN_APPLY, -1, &err), FLUX_ERR_MIGRATION);
	ck_assert_str_eq(err.sqlstate, "42P01");
	ck_assert_int_eq(err.line, 3);
	ck_assert_int_eq(err.column, 13);
	ck_assert_uint_eq(flux_project_incomplete_count(p), 1);
	const flux_incomplete *inc = flux_project_incomplete_find(p, "002_fn");
	ck_assert_ptr_nonnull(inc);
	ck_assert_int_eq(inc->direction, FLUX_PLAN_APPLY);
	ck_assert_str_eq(inc->progress, "statement 2 of 3 failed (SQLSTATE 42P01): relation "
			 "\"nope\" does not exist; 1 of 3 ran before it");
	ck_assert_int_eq(flux_project_validate(p, &err), FLUX_OK);
	ck_assert_int_eq(flux_project_check_incomplete(p, &err), FLUX_ERR_INCOMPLETE);
	ck_assert_str_eq(err.migration, "002_fn");
	flux_project_close(p);
	ck_assert_str_eq(value("SELECT count(*) FROM pg_indexes WHERE indexname = 'a_x'"), "1");

	/* A fresh process sees the same; with statement 2 fixed it resumes
	 * after statement 1 (which, run again, would fail: a_x exists). */
	tu_write(proj, "migrations/002_fn.sql", "-- flux: no-transaction\n"
		 "CREATE INDEX CONCURRENTLY a_x ON a (x);\nCREATE TABLE nope (x int);\n"
		 "CREATE TABLE n3 (x int);\n");
	p = open_ok();
	ck_assert_uint_eq(flux_project_incomplete_count(p), 1);
	ck_assert_int_eq(run(p, FLUX_PLAN_APPLY, -1, &err), FLUX_OK);
	ck_assert_uint_eq(flux_project_incomplete_count(p), 0);
	ck_assert_int_eq(flux_project_check_incomplete(p, &err), FLUX_OK);
	flux_project_close(p);
	ck_assert_str_eq(value("SELECT count(*) FROM _flux_migrations_incomplete"), "0");
	ck_assert_str_eq(value("SELECT count(*) FROM _flux_migrations"), "3");
	ck_assert_str_eq(value("SELECT to_regclass('nope') IS NOT NULL AND "
			       "to_regclass('n3') IS NOT NULL"), "t");
}
END_TEST

/* flux's session of this test (the server is cluster-wide: a session the
 * test before terminated can still be listed while it exits), running
 * its pg_sleep now, not having run it last. */
#define THIS_TESTS_SLEEP                                                                 \
	"application_name = 'flux' AND datname = current_database() AND state = 'active' " \
	"AND query LIKE '%pg_sleep%'"

/* Terminates flux's session once it is inside pg_sleep; runs in a child. */
static void killer(void)
{
	PGconn *c = pg(dbname);
	for (int i = 0; i < 200; i++) {
		PGresult *r = PQexec(c, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
				     "WHERE " THIS_TESTS_SLEEP);
		int done = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
		PQclear(r);
		if (done)
			_exit(0);
		usleep(50 * 1000);
	}
	_exit(1);
}

START_TEST(connection_killed_mid_migration)
{
	newdb();
	project(NULL);
	tu_write(proj, "migrations/002_fn.sql", "CREATE TABLE slow (x int);\nSELECT pg_sleep(20);\n");
	flux_project *p = open_ok();
	pid_t child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0)
		killer();
	flux_error err;
	int rc = run(p, FLUX_PLAN_APPLY, -1, &err);
	int st;
	waitpid(child, &st, 0);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the killer found no session");
	ck_assert_int_eq(rc, FLUX_ERR_CONNECTION);
	ck_assert_str_eq(err.migration, "002_fn");
	ck_assert_ptr_nonnull(strstr(err.message, "terminating connection due to administrator"));
	ck_assert_ptr_nonnull(strstr(err.hint, "the record table shows exactly what committed"));
	flux_project_close(p);
	ck_assert_str_eq(value("SELECT string_agg(id, ' ') FROM _flux_migrations"), "001_a");
	ck_assert_str_eq(value("SELECT to_regclass('slow') IS NULL"), "t");
}
END_TEST

static flux_project *to_cancel;

/* Cancels to_cancel once the server runs its pg_sleep; from a thread, as
 * a signal handler or a host application's other thread would. */
static void *canceller(void *arg)
{
	(void)arg;
	PGconn *c = pg(dbname);
	for (int i = 0; i < 200; i++) {
		PGresult *r = PQexec(c, "SELECT 1 FROM pg_stat_activity WHERE " THIS_TESTS_SLEEP);
		int running = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
		PQclear(r);
		if (running) {
			flux_project_cancel(to_cancel);
			break;
		}
		usleep(50 * 1000);
	}
	PQfinish(c);
	return NULL;
}

START_TEST(cancel_rolls_back_the_running_migration)
{
	newdb();
	project(NULL);
	tu_write(proj, "migrations/002_fn.sql", "CREATE TABLE slow (x int);\nSELECT pg_sleep(20);\n");
	flux_project *p = open_ok();
	to_cancel = p;
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, canceller, NULL), 0);
	flux_error err;
	int rc = run(p, FLUX_PLAN_APPLY, -1, &err);
	pthread_join(t, NULL);
	ck_assert_int_eq(rc, FLUX_ERR_CANCELLED);
	ck_assert_str_eq(err.message, "cancelled while applying '002_fn'; it was rolled back");
	ck_assert_str_eq(err.migration, "002_fn");
	ck_assert_str_eq(err.sqlstate, "57014");
	ck_assert_uint_eq(flux_project_record_count(p), 1);
	/* The project refuses further runs; the database holds what committed. */
	ck_assert_int_eq(run(p, FLUX_PLAN_APPLY, -1, &err), FLUX_ERR_CANCELLED);
	flux_project_close(p);
	ck_assert_str_eq(value("SELECT string_agg(id, ' ') FROM _flux_migrations"), "001_a");
	ck_assert_str_eq(value("SELECT to_regclass('slow') IS NULL"), "t");
	ck_assert_str_eq(value("SELECT to_regclass('post_runs') IS NULL"), "t");
}
END_TEST

START_TEST(concurrent_library_runs_apply_each_once)
{
	newdb();
	project(NULL);
	char name[64];
	for (int i = 10; i < 30; i++) {
		snprintf(name, sizeof(name), "migrations/0%d_t.sql", i);
		char text[64];
		snprintf(text, sizeof(text), "CREATE TABLE t%d (x int);\n", i);
		tu_write(proj, name, text);
	}
	pid_t kids[4];
	for (int k = 0; k < 4; k++) {
		kids[k] = fork();
		ck_assert_int_ge(kids[k], 0);
		if (kids[k] == 0) {
			flux_project *p;
			flux_error err;
			int rc = open_project(60, NULL, &p, &err);
			if (!rc)
				rc = run(p, FLUX_PLAN_APPLY, -1, &err);
			flux_project_close(p);
			_exit(rc);
		}
	}
	for (int k = 0; k < 4; k++) {
		int st;
		waitpid(kids[k], &st, 0);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "run %d: status %d", k, st);
	}
	ck_assert_str_eq(value("SELECT count(*) || ' ' || count(DISTINCT id) FROM _flux_migrations"),
			 "23 23");
	/* post-apply runs on every apply, with or without pending migrations
	 * (as the Python tool does): once per run. */
	ck_assert_str_eq(value("SELECT count(*) FROM post_runs"), "4");
}
END_TEST

int main(void)
{
	/* No server binaries (a package build without postgresql): skip the
	 * whole suite with the reason, as TAP says it (the driver counts it). */
	if (!tu_pg_server_installed()) {
		printf("1..0 # SKIP no PostgreSQL server binaries (initdb) installed\n");
		return 0;
	}
	server_up = tu_pg_server_start() == 0;
	Suite *s = suite_create("pg_lib");
	TCase *tc = tu_tcase("pg_lib");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, apply_records_hashes_and_rollback);
	tcase_add_test(tc, error_record_locates_the_failure);
	tcase_add_test(tc, server_detail_and_hint_reach_the_error_record);
	tcase_add_test(tc, python_tool_records_continued);
	tcase_add_test(tc, custom_schema_table_and_lock);
	tcase_add_test(tc, no_transaction_half_way_leaves_a_mark);
	tcase_add_test(tc, connection_killed_mid_migration);
	tcase_add_test(tc, cancel_rolls_back_the_running_migration);
	tcase_add_test(tc, concurrent_library_runs_apply_each_once);
	suite_add_tcase(s, tc);
	int rc = tu_run(s);
	tu_pg_server_stop();
	return rc;
}
