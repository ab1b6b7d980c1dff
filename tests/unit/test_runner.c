/* SPDX-License-Identifier: MIT */
/* The runner driven through libflux with a real module (test-good) and a
 * real SQLite file: plans, execution, validation, failures. */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static flux_project *open_p(const char *uri_fmt)
{
	char cfg[4200], uri[4200];
	snprintf(cfg, sizeof(cfg), "%s/flux.toml", proj);
	snprintf(uri, sizeof(uri), uri_fmt, proj);
	flux_open_options o;
	flux_open_options_init(&o, FLUX_OPEN_OPTIONS_VERSION);
	o.config_path = cfg;
	o.uri = uri;
	o.backend_path = BUILD_BACKENDS;
	flux_project *p;
	flux_error err;
	int rc = flux_project_open(&o, &p, &err);
	ck_assert_msg(rc == FLUX_OK, "open: %s", err.message);
	return p;
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
	flux_project *p = open_p("sqlite:%s/db.sqlite");
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
	flux_project *p = open_p("sqlite:%s/db.sqlite");
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

/* A module built for ABI 1.0 ends before the mark operations; the host
 * must not read past its size (the fixture's bytes there are poison) and
 * runs no-transaction migrations without marks. */
START_TEST(abi_1_0_module_runs_without_marks)
{
	project("test-abi10", NULL);
	tu_write(proj, "migrations/003_c.sql", "-- flux: no-transaction\nSELECT 1;\nSELECT FAIL;\n");
	char cfg[4200], uri[4200];
	snprintf(cfg, sizeof(cfg), "%s/flux.toml", proj);
	snprintf(uri, sizeof(uri), "test:%s/records.txt", proj);
	flux_open_options o;
	flux_open_options_init(&o, FLUX_OPEN_OPTIONS_VERSION);
	o.config_path = cfg;
	o.uri = uri;
	o.backend_path = tu_fixture("abi-1-0");
	flux_project *p;
	flux_error err;
	ck_assert_msg(flux_project_open(&o, &p, &err) == FLUX_OK, "open: %s", err.message);
	ck_assert_uint_eq(flux_project_backend(p)->abi_version, 1u << 16);
	ck_assert_int_eq(apply(p, -1, &err), FLUX_ERR_MIGRATION);
	ck_assert_str_eq(err.migration, "003_c");
	ck_assert_uint_eq(flux_project_record_count(p), 2);
	ck_assert_uint_eq(flux_project_incomplete_count(p), 0);
	ck_assert_int_eq(flux_project_check_incomplete(p, &err), FLUX_OK);
	flux_project_close(p);
}
END_TEST

START_TEST(failure_rolls_back_and_locates)
{
	project("sqlite", NULL);
	tu_write(proj, "migrations/002_b.sql", "CREATE TABLE b (x int);\nINSERT INTO b VALUES (1);\n"
		 "INSERT INTO nope VALUES (1);\n");
	tu_write(proj, "migrations/post-apply/z.sql", "INSERT INTO runs VALUES (2);\n");
	flux_project *p = open_p("sqlite:%s/db.sqlite");
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
	flux_project *p = open_p("sqlite:%s/db.sqlite");
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
	p = open_p("sqlite:%s/db.sqlite");
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
	flux_project *p = open_p("sqlite:%s/db.sqlite");
	flux_error err;
	ck_assert_int_eq(apply(p, 2, &err), FLUX_OK);
	flux_project_close(p);

	tu_write(proj, "migrations/002_b.sql", "CREATE TABLE b (x bigint);\n");
	p = open_p("sqlite:%s/db.sqlite");
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
	p = open_p("sqlite:%s/db.sqlite");
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
	p = open_p("sqlite:%s/db.sqlite");
	ck_assert_int_eq(rollback(p, 1, NULL, -1, &err), FLUX_ERR_CORRUPT);
	ck_assert_ptr_nonnull(strstr(err.message, "applied migration '001_a' has no file in"));
	flux_project_close(p);
}
END_TEST

START_TEST(third_party_module_end_to_end)
{
	project("test-good", "[backend]\ncoolness_level = 11\n");
	tu_write(proj, "migrations/003_c.sql", "SELECT 1;\nSELECT FAIL;\n");
	flux_project *p = open_p("test:%s/records.txt");
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
	o.backend_path = BUILD_BACKENDS;
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

int main(void)
{
	Suite *s = suite_create("runner");
	TCase *tc = tu_tcase("runner");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, apply_n_then_all_then_rollback);
	tcase_add_test(tc, testing_one_migration_on_its_data);
	tcase_add_test(tc, abi_1_0_module_runs_without_marks);
	tcase_add_test(tc, generated_sql_errors_point_into_the_source);
	tcase_add_test(tc, failure_rolls_back_and_locates);
	tcase_add_test(tc, corruption_is_detected);
	tcase_add_test(tc, third_party_module_end_to_end);
	tcase_add_test(tc, open_errors);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
