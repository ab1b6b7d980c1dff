/* SPDX-License-Identifier: MIT */
/* flux init and flux new as libflux functions, on real files: the Python
 * tool's flux.toml and templates byte for byte, ids, refusals that leave
 * nothing behind. */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <flux/flux.h>

#include "testutil.h"

static char dir[4096], cfg[4200];

static void tmp_project(const char *toml)
{
	snprintf(dir, sizeof(dir), "%s", tu_tmpdir());
	snprintf(cfg, sizeof(cfg), "%s/flux.toml", dir);
	if (toml)
		tu_write(dir, "flux.toml", toml);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot read %s", path);
	static char buf[8192];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static int exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static char logged[2048];
static int log_calls;

static void capture(void *ctx, int level, const char *message)
{
	(void)ctx;
	ck_assert_int_eq(level, FLUX_LOG_WARNING);
	snprintf(logged, sizeof(logged), "%s", message);
	log_calls++;
}

static void init_opts(flux_init_options *o, const char *backend)
{
	ck_assert_int_eq(flux_init_options_init(o, FLUX_INIT_OPTIONS_VERSION), FLUX_OK);
	o->config_path = cfg;
	o->backend = backend;
	o->backend_path = BUILD_BACKENDS;
	o->log = capture;
	logged[0] = '\0';
	log_calls = 0;
}

/* ---- flux init ---- */

START_TEST(init_writes_the_python_tools_file)
{
	tmp_project(NULL);
	flux_init_options o;
	init_opts(&o, "sqlite");
	flux_error err;
	ck_assert_msg(flux_project_init_check(&o, &err) == FLUX_OK, "%s", err.message);
	ck_assert_msg(flux_project_init(&o, &err) == FLUX_OK, "%s", err.message);
	ck_assert_str_eq(slurp(cfg), "[flux]\nbackend = \"sqlite\"\nmigration_directory = "
			 "\"migrations\"\n\n[backend]\n# Add backend-specific configuration "
			 "here\n");
	ck_assert_int_eq(log_calls, 0);
	/* What it wrote reads back. */
	flux_config *c;
	ck_assert_msg(flux_config_load(cfg, &c, &err) == FLUX_OK, "%s", err.message);
	ck_assert_str_eq(flux_config_backend(c), "sqlite");
	ck_assert_str_eq(flux_config_migration_directory(c), "migrations");
	flux_config_free(c);
}
END_TEST

START_TEST(init_with_directory_and_log_level)
{
	tmp_project(NULL);
	flux_init_options o;
	init_opts(&o, "sqlite");
	o.migration_directory = "db/changes";
	o.log_level = "debug";
	flux_error err;
	ck_assert_int_eq(flux_project_init_check(&o, &err), FLUX_OK);
	ck_assert_int_eq(log_calls, 0);
	ck_assert_msg(flux_project_init(&o, &err) == FLUX_OK, "%s", err.message);
	ck_assert_str_eq(slurp(cfg), "[flux]\nbackend = \"sqlite\"\nmigration_directory = "
			 "\"db/changes\"\nlog_level = \"debug\"\n\n[backend]\n# Add "
			 "backend-specific configuration here\n");
}
END_TEST

START_TEST(init_unknown_log_level_is_written_with_a_warning)
{
	tmp_project(NULL);
	flux_init_options o;
	init_opts(&o, "sqlite");
	o.log_level = "LOUD";
	flux_error err;
	ck_assert_int_eq(flux_project_init_check(&o, &err), FLUX_OK);
	ck_assert_int_eq(log_calls, 1);
	char want[4400];
	snprintf(want, sizeof(want), "unknown log level 'LOUD' written to %s", cfg);
	ck_assert_str_eq(logged, want);
	ck_assert_int_eq(flux_project_init(&o, &err), FLUX_OK);
	ck_assert_int_eq(log_calls, 1);
	ck_assert_ptr_nonnull(strstr(slurp(cfg), "log_level = \"LOUD\"\n"));
}
END_TEST

START_TEST(init_refuses_strings_toml_would_change)
{
	static const char *bad[] = {"a\"b", "a\\b", "a\nb"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tmp_project(NULL);
		flux_init_options o;
		init_opts(&o, "sqlite");
		o.migration_directory = bad[i];
		flux_error err;
		ck_assert_int_eq(flux_project_init_check(&o, &err), FLUX_ERR_INVALID);
		ck_assert_int_eq(flux_project_init(&o, &err), FLUX_ERR_INVALID);
		o.migration_directory = "migrations";
		o.log_level = bad[i];
		ck_assert_int_eq(flux_project_init_check(&o, &err), FLUX_ERR_INVALID);
		ck_assert_int_eq(flux_project_init(&o, &err), FLUX_ERR_INVALID);
		ck_assert_str_eq(err.message, "the migration directory and the log level may "
				 "not contain quotes, backslashes or newlines");
		ck_assert(!exists(cfg));
	}
}
END_TEST

START_TEST(init_never_overwrites)
{
	tmp_project("mine\n");
	flux_init_options o;
	init_opts(&o, "sqlite");
	flux_error err;
	ck_assert_int_eq(flux_project_init_check(&o, &err), FLUX_ERR_IO);
	char want[4400];
	snprintf(want, sizeof(want), "%s already exists", cfg);
	ck_assert_str_eq(err.message, want);
	/* Created between the check and the write. */
	ck_assert_int_eq(flux_project_init(&o, &err), FLUX_ERR_IO);
	snprintf(want, sizeof(want), "%s: already exists", cfg);
	ck_assert_str_eq(err.message, want);
	ck_assert_str_eq(slurp(cfg), "mine\n");
}
END_TEST

START_TEST(init_refuses_unknown_backends)
{
	tmp_project(NULL);
	flux_init_options o;
	init_opts(&o, "cooldb");
	flux_error err;
	ck_assert_int_eq(flux_project_init(&o, &err), FLUX_ERR_NOT_FOUND);
	ck_assert_str_eq(err.message, "Backend 'cooldb' is not installed");
	ck_assert_str_eq(err.hint, "`flux backends` lists the installed backends");
	o.backend = "";
	ck_assert_int_eq(flux_project_init(&o, &err), FLUX_ERR_NOT_FOUND);
	ck_assert_str_eq(err.message, "'' is not a backend name");
	o.backend = "sq\"lite";
	ck_assert_int_eq(flux_project_init(&o, &err), FLUX_ERR_NOT_FOUND);
	ck_assert_str_eq(err.message, "'sq\"lite' is not a backend name");
	o.backend = NULL;
	ck_assert_int_eq(flux_project_init(&o, &err), FLUX_ERR_NOT_FOUND);
	/* An installed backend, but not on this search path. */
	o.backend = "sqlite";
	o.backend_path = dir;
	ck_assert_int_eq(flux_project_init(&o, &err), FLUX_ERR_NOT_FOUND);
	ck_assert(!exists(cfg));
}
END_TEST

START_TEST(init_unwritable_place_leaves_nothing)
{
	tmp_project(NULL);
	snprintf(cfg, sizeof(cfg), "%s/no/such/dir/flux.toml", dir);
	flux_init_options o;
	init_opts(&o, "sqlite");
	flux_error err;
	ck_assert_int_eq(flux_project_init_check(&o, &err), FLUX_OK);
	ck_assert_int_eq(flux_project_init(&o, &err), FLUX_ERR_IO);
	char want[4400];
	snprintf(want, sizeof(want), "%s: No such file or directory", cfg);
	ck_assert_str_eq(err.message, want);
}
END_TEST

/* ---- flux new ---- */

static const char *TOML = "[flux]\nbackend = \"sqlite\"\nmigration_directory = \"migrations\"\n";

static void new_opts(flux_new_options *o, const char *desc)
{
	ck_assert_int_eq(flux_new_options_init(o, FLUX_NEW_OPTIONS_VERSION), FLUX_OK);
	o->config_path = cfg;
	o->description = desc;
	o->date = "20240102";
}

static flux_new_migration *create(const flux_new_options *o)
{
	flux_new_migration *m = NULL;
	flux_error err;
	int rc = flux_new_migration_create(o, &m, &err);
	ck_assert_msg(rc == FLUX_OK, "create: %s", err.message);
	return m;
}

static void path_is(const flux_new_migration *m, size_t i, const char *rel)
{
	char want[4400];
	snprintf(want, sizeof(want), "%s/%s", dir, rel);
	ck_assert_str_eq(flux_new_migration_file(m, i), want);
}

START_TEST(new_python_template_byte_for_byte)
{
	tmp_project(TOML);
	flux_new_options o;
	new_opts(&o, "Add Users table");
	flux_new_migration *m = create(&o);
	ck_assert_str_eq(flux_new_migration_id(m), "20240102_001_add-users-table");
	ck_assert_uint_eq(flux_new_migration_file_count(m), 1);
	path_is(m, 0, "migrations/20240102_001_add-users-table.py");
	ck_assert_ptr_null(flux_new_migration_file(m, 1));
	ck_assert_str_eq(slurp(flux_new_migration_file(m, 0)),
			 "\"\"\"\nAdd Users table\n\"\"\"\n\n\ndef apply():\n    return \"\"\" "
			 "\"\"\"\n\n\ndef undo():\n    return \"\"\" \"\"\"\n\n");
	flux_new_migration_free(m);
	/* The next one of the day takes the next index; the new file reads as
	 * a migration. */
	m = create(&o);
	ck_assert_str_eq(flux_new_migration_id(m), "20240102_002_add-users-table");
	flux_new_migration_free(m);
}
END_TEST

START_TEST(new_repeatable_python_has_no_undo)
{
	tmp_project(TOML);
	flux_new_options o;
	new_opts(&o, "refresh views");
	o.stage = FLUX_STAGE_POST;
	flux_new_migration *m = create(&o);
	path_is(m, 0, "migrations/post-apply/20240102_001_refresh-views.py");
	ck_assert_str_eq(slurp(flux_new_migration_file(m, 0)),
			 "\"\"\"\nrefresh views\n\"\"\"\n\n\ndef apply():\n    return \"\"\" "
			 "\"\"\"\n\n");
	flux_new_migration_free(m);
	o.stage = FLUX_STAGE_PRE;
	m = create(&o);
	path_is(m, 0, "migrations/pre-apply/20240102_001_refresh-views.py");
	flux_new_migration_free(m);
}
END_TEST

START_TEST(new_sql_pair_and_repeatable_sql)
{
	tmp_project(TOML);
	flux_new_options o;
	new_opts(&o, "Create things");
	o.kind = FLUX_KIND_SQL;
	flux_new_migration *m = create(&o);
	ck_assert_uint_eq(flux_new_migration_file_count(m), 2);
	path_is(m, 0, "migrations/20240102_001_create-things.sql");
	path_is(m, 1, "migrations/20240102_001_create-things.undo.sql");
	ck_assert_str_eq(slurp(flux_new_migration_file(m, 0)), "");
	ck_assert_str_eq(slurp(flux_new_migration_file(m, 1)), "");
	flux_new_migration_free(m);
	o.stage = FLUX_STAGE_PRE;
	o.description = "Grants";
	m = create(&o);
	ck_assert_uint_eq(flux_new_migration_file_count(m), 1);
	path_is(m, 0, "migrations/pre-apply/20240102_001_grants.sql");
	flux_new_migration_free(m);
	/* They read back as a migration directory. */
	char mig[4200];
	snprintf(mig, sizeof(mig), "%s/migrations", dir);
	flux_migrations *set;
	flux_error err;
	ck_assert_msg(flux_migrations_read(mig, &set, &err) == FLUX_OK, "%s", err.message);
	ck_assert_uint_eq(flux_migrations_count(set, FLUX_STAGE_MAIN), 1);
	ck_assert_uint_eq(flux_migrations_count(set, FLUX_STAGE_PRE), 1);
	ck_assert(flux_migration_has_undo(flux_migrations_find(set, "20240102_001_create-things")));
	flux_migrations_free(set);
}
END_TEST

START_TEST(new_takes_the_first_free_index_of_the_date)
{
	tmp_project(TOML);
	tu_write(dir, "migrations/20240102_001_a.sql", "");
	tu_write(dir, "migrations/20240102_003_c.py", "");
	tu_write(dir, "migrations/20240101_002_other-day.sql", "");
	tu_write(dir, "migrations/20240102_02_short.sql", "");
	flux_new_options o;
	new_opts(&o, "b");
	flux_new_migration *m = create(&o);
	ck_assert_str_eq(flux_new_migration_id(m), "20240102_002_b");
	flux_new_migration_free(m);
	m = create(&o);
	ck_assert_str_eq(flux_new_migration_id(m), "20240102_004_b");
	flux_new_migration_free(m);
}
END_TEST

START_TEST(new_no_free_index_writes_nothing)
{
	tmp_project(TOML);
	char name[64];
	for (int i = 1; i < 1000; i++) {
		snprintf(name, sizeof(name), "migrations/20240102_%03d_x.sql", i);
		tu_write(dir, name, "");
	}
	flux_new_options o;
	new_opts(&o, "one more");
	flux_new_migration *m = (flux_new_migration *)&o;
	flux_error err;
	ck_assert_int_eq(flux_new_migration_create(&o, &m, &err), FLUX_ERR_IO);
	ck_assert_ptr_null(m);
	char want[4400];
	snprintf(want, sizeof(want), "no free migration index left for 20240102 in %s/migrations",
		 dir);
	ck_assert_str_eq(err.message, want);
	o.date = "20240103";
	m = create(&o);
	ck_assert_str_eq(flux_new_migration_id(m), "20240103_001_one-more");
	flux_new_migration_free(m);
}
END_TEST

START_TEST(new_defaults_to_today)
{
	tmp_project(TOML);
	flux_new_options o;
	new_opts(&o, "x");
	o.date = NULL;
	char before[16], after[16];
	time_t t = time(NULL);
	strftime(before, sizeof(before), "%Y%m%d", localtime(&t));
	flux_new_migration *m = create(&o);
	t = time(NULL);
	strftime(after, sizeof(after), "%Y%m%d", localtime(&t));
	const char *id = flux_new_migration_id(m);
	ck_assert_msg(strncmp(id, before, 8) == 0 || strncmp(id, after, 8) == 0, "id %s", id);
	ck_assert_str_eq(id + 8, "_001_x");
	flux_new_migration_free(m);
}
END_TEST

START_TEST(new_description_rules)
{
	flux_error err;
	ck_assert_int_eq(flux_new_description_check("a/b", &err), FLUX_ERR_INVALID);
	ck_assert_str_eq(err.message, "DESCRIPTION may not contain '/'");
	ck_assert_int_eq(flux_new_description_check(" \t\n", &err), FLUX_ERR_INVALID);
	ck_assert_str_eq(err.message, "DESCRIPTION must have 1 to 200 characters besides "
			 "white space");
	/* 200 characters of slug, white space around them not counted. */
	char a200[201], text[300];
	memset(a200, 'a', 200);
	a200[200] = '\0';
	snprintf(text, sizeof(text), "  %s \t", a200);
	ck_assert_int_eq(flux_new_description_check(text, &err), FLUX_OK);
	snprintf(text, sizeof(text), "  %sb ", a200);
	ck_assert_int_eq(flux_new_description_check(text, &err), FLUX_ERR_INVALID);
	/* The slug's length counts: two words of 100 join to 201. */
	snprintf(text, sizeof(text), "%.100s   %.100s", a200, a200);
	ck_assert_int_eq(flux_new_description_check(text, &err), FLUX_ERR_INVALID);
	ck_assert_int_eq(flux_new_description_check(NULL, &err), FLUX_ERR_INVALID);

	tmp_project(TOML);
	flux_new_options o;
	new_opts(&o, "no/slash");
	flux_new_migration *m;
	ck_assert_int_eq(flux_new_migration_create(&o, &m, &err), FLUX_ERR_INVALID);
	ck_assert_str_eq(err.message, "DESCRIPTION may not contain '/'");
	char mig[4200];
	snprintf(mig, sizeof(mig), "%s/migrations", dir);
	ck_assert(!exists(mig));
}
END_TEST

START_TEST(new_slug_is_pythons_lower_split)
{
	tmp_project(TOML);
	flux_new_options o;
	/* Python: "-".join("  Ünïcode\u3000WORDS\tΟΔΟΣ İ ".lower().split()) */
	new_opts(&o, "  \xc3\x9cn\xc3\xaf" "code\xe3\x80\x80WORDS\t\xce\x9f\xce\x94\xce\x9f\xce\xa3 "
		 "\xc4\xb0 ");
	flux_new_migration *m = create(&o);
	ck_assert_str_eq(flux_new_migration_id(m), "20240102_001_\xc3\xbcn\xc3\xaf" "code-words-"
			 "\xce\xbf\xce\xb4\xce\xbf\xcf\x82-i\xcc\x87");
	flux_new_migration_free(m);
}
END_TEST

START_TEST(new_docstring_that_would_not_read_back_is_escaped)
{
	tmp_project(TOML);
	flux_new_options o;
	new_opts(&o, "path C:\\temp and \"\"\"quotes\"\"\"");
	flux_new_migration *m = create(&o);
	ck_assert_str_eq(slurp(flux_new_migration_file(m, 0)),
			 "\"\"\"\npath C:\\\\temp and \\\"\\\"\\\"quotes\\\"\\\"\\\"\n\"\"\"\n\n\n"
			 "def apply():\n    return \"\"\" \"\"\"\n\n\ndef undo():\n    return "
			 "\"\"\" \"\"\"\n\n");
	flux_new_migration_free(m);
}
END_TEST

START_TEST(new_refuses_bad_options)
{
	tmp_project(TOML);
	flux_new_options o;
	new_opts(&o, "x");
	flux_new_migration *m;
	flux_error err;
	o.date = "2024-01-02";
	ck_assert_int_eq(flux_new_migration_create(&o, &m, &err), FLUX_ERR_INVALID);
	ck_assert_str_eq(err.message, "the date of a new migration is YYYYMMDD, not "
			 "'2024-01-02'");
	o.date = "202401021";
	ck_assert_int_eq(flux_new_migration_create(&o, &m, &err), FLUX_ERR_INVALID);
	o.date = "20240102";
	o.kind = FLUX_KIND_SCRIPT;
	ck_assert_int_eq(flux_new_migration_create(&o, &m, &err), FLUX_ERR_INVALID);
	o.kind = FLUX_KIND_SQL;
	o.stage = (flux_stage)7;
	ck_assert_int_eq(flux_new_migration_create(&o, &m, &err), FLUX_ERR_INVALID);
	char mig[4200];
	snprintf(mig, sizeof(mig), "%s/migrations", dir);
	ck_assert(!exists(mig));
	/* No flux.toml: flux_config_load's error. */
	o.stage = FLUX_STAGE_MAIN;
	snprintf(cfg, sizeof(cfg), "%s/missing.toml", dir);
	ck_assert_int_ne(flux_new_migration_create(&o, &m, &err), FLUX_OK);
	ck_assert_ptr_nonnull(strstr(err.message, "missing.toml"));
	ck_assert(!exists(mig));
}
END_TEST

START_TEST(new_directory_that_cannot_be_made)
{
	tmp_project("[flux]\nbackend = \"sqlite\"\nmigration_directory = \"a/b\"\n");
	flux_new_options o;
	new_opts(&o, "x");
	flux_new_migration *m;
	flux_error err;
	ck_assert_int_eq(flux_new_migration_create(&o, &m, &err), FLUX_ERR_IO);
	char want[4400];
	snprintf(want, sizeof(want), "cannot create %s/a/b: No such file or directory", dir);
	ck_assert_str_eq(err.message, want);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("init_new");
	TCase *tc = tu_tcase("init");
	tcase_add_test(tc, init_writes_the_python_tools_file);
	tcase_add_test(tc, init_with_directory_and_log_level);
	tcase_add_test(tc, init_unknown_log_level_is_written_with_a_warning);
	tcase_add_test(tc, init_refuses_strings_toml_would_change);
	tcase_add_test(tc, init_never_overwrites);
	tcase_add_test(tc, init_refuses_unknown_backends);
	tcase_add_test(tc, init_unwritable_place_leaves_nothing);
	suite_add_tcase(s, tc);
	tc = tu_tcase("new");
	tcase_add_test(tc, new_python_template_byte_for_byte);
	tcase_add_test(tc, new_repeatable_python_has_no_undo);
	tcase_add_test(tc, new_sql_pair_and_repeatable_sql);
	tcase_add_test(tc, new_takes_the_first_free_index_of_the_date);
	tcase_add_test(tc, new_no_free_index_writes_nothing);
	tcase_add_test(tc, new_defaults_to_today);
	tcase_add_test(tc, new_description_rules);
	tcase_add_test(tc, new_slug_is_pythons_lower_split);
	tcase_add_test(tc, new_docstring_that_would_not_read_back_is_escaped);
	tcase_add_test(tc, new_refuses_bad_options);
	tcase_add_test(tc, new_directory_that_cannot_be_made);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
