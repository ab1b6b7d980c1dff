/* SPDX-License-Identifier: MIT */
/* flux_open_options.read_only against real SQLite files: what status and
 * validate need.  It takes no lock and writes nothing: no database file,
 * no record table; a database without the record table reads as nothing
 * applied. */
#include <config.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <flux/flux.h>

#include "testutil.h"

static char *proj;
static char cfg[4200], db[4200], uri[4300];

static void project(void)
{
	proj = tu_tmpdir();
	tu_write(proj, "flux.toml", "[flux]\nbackend = \"sqlite\"\nmigration_directory = "
		 "\"migrations\"\n");
	tu_write(proj, "migrations/001_a.sql", "CREATE TABLE a (x int);\n");
	tu_write(proj, "migrations/002_b.sql", "CREATE TABLE b (x int);\n");
	snprintf(cfg, sizeof(cfg), "%s/flux.toml", proj);
	snprintf(db, sizeof(db), "%s/app.db", proj);
	snprintf(uri, sizeof(uri), "sqlite:%s", db);
}

static int open_p(int read_only, double lock_timeout, flux_project **p, flux_error *err)
{
	flux_open_options o;
	flux_open_options_init(&o, FLUX_OPEN_OPTIONS_VERSION);
	o.config_path = cfg;
	o.uri = uri;
	o.backend_path = BUILD_BACKENDS;
	o.read_only = read_only;
	o.lock_timeout = lock_timeout;
	return flux_project_open(&o, p, err);
}

static int sh(const char *fmt, ...) FLUX_PRINTF(1, 2);

static int sh(const char *fmt, ...)
{
	char cmd[8800];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

START_TEST(missing_file_is_not_created)
{
	project();
	flux_project *p;
	flux_error err;
	ck_assert_msg(open_p(1, -1, &p, &err) == FLUX_OK, "open: %s", err.message);
	ck_assert_uint_eq(flux_project_record_count(p), 0);
	ck_assert_int_eq(flux_project_validate(p, &err), FLUX_OK);
	flux_project_close(p);
	struct stat st;
	ck_assert_msg(stat(db, &st) != 0, "a read-only open created %s", db);
}
END_TEST

START_TEST(record_table_is_not_created)
{
	project();
	ck_assert_int_eq(sh("sqlite3 '%s' 'CREATE TABLE other (x int)'", db), 0);
	flux_project *p;
	flux_error err;
	ck_assert_msg(open_p(1, -1, &p, &err) == FLUX_OK, "open: %s", err.message);
	ck_assert_uint_eq(flux_project_record_count(p), 0);
	flux_project_close(p);
	ck_assert_int_eq(sh("test \"$(sqlite3 '%s' \"SELECT group_concat(name) FROM "
			    "sqlite_master\")\" = other", db), 0);
}
END_TEST

START_TEST(reads_records_without_the_lock)
{
	project();
	flux_project *p;
	flux_error err;
	ck_assert_msg(open_p(0, -1, &p, &err) == FLUX_OK, "open: %s", err.message);
	flux_plan *plan;
	ck_assert_int_eq(flux_plan_apply(p, 1, &plan, &err), FLUX_OK);
	ck_assert_msg(flux_plan_execute(p, plan, NULL, NULL, &err) == FLUX_OK, "%s",
		      err.message);
	flux_plan_free(plan);
	flux_project_close(p);
	/* Another flux process holds the migration lock. */
	int fd = open(db, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
	ck_assert_int_eq(open_p(0, 0.2, &p, &err), FLUX_ERR_LOCK_TIMEOUT);
	ck_assert_msg(open_p(1, 0.2, &p, &err) == FLUX_OK, "open: %s", err.message);
	ck_assert_uint_eq(flux_project_record_count(p), 1);
	ck_assert_str_eq(flux_project_record(p, 0)->id, "001_a");
	flux_project_close(p);
	close(fd);
}
END_TEST

START_TEST(plans_do_not_run_read_only)
{
	project();
	flux_project *p;
	flux_error err;
	ck_assert_msg(open_p(1, -1, &p, &err) == FLUX_OK, "open: %s", err.message);
	flux_plan *plan;
	ck_assert_int_eq(flux_plan_apply(p, -1, &plan, &err), FLUX_OK);
	ck_assert_uint_eq(flux_plan_count(plan), 2);
	ck_assert_int_eq(flux_plan_execute(p, plan, NULL, NULL, &err), FLUX_ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(err.message, "read-only"));
	flux_plan_free(plan);
	flux_project_close(p);
	struct stat st;
	ck_assert_msg(stat(db, &st) != 0, "a refused plan created %s", db);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("read_only");
	TCase *tc = tu_tcase("read_only");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, missing_file_is_not_created);
	tcase_add_test(tc, record_table_is_not_created);
	tcase_add_test(tc, reads_records_without_the_lock);
	tcase_add_test(tc, plans_do_not_run_read_only);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
