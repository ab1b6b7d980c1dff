/* SPDX-License-Identifier: MIT */
/* Reading migration directories: forms, ids, order, hashes, errors. */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <flux/flux.h>
#include "testutil.h"

static flux_migrations *read_ok(const char *dir)
{
	flux_migrations *set;
	flux_error err;
	int rc = flux_migrations_read(dir, &set, &err);
	ck_assert_msg(rc == FLUX_OK, "read failed: %s\n%s", err.message, err.detail);
	return set;
}

static void read_fails(const char *dir, const char *want, flux_error *err)
{
	flux_migrations *set = NULL;
	ck_assert_int_eq(flux_migrations_read(dir, &set, err), FLUX_ERR_LOAD);
	ck_assert_ptr_null(set);
	ck_assert_msg(strstr(err->message, want) || strstr(err->detail, want),
		      "want '%s' in '%s' / '%s'", want, err->message, err->detail);
}

START_TEST(md5_matches_python_hashlib)
{
	char hex[33];
	flux_md5_hex("", 0, hex);
	ck_assert_str_eq(hex, "d41d8cd98f00b204e9800998ecf8427e");
	/* hashlib.md5("CREATE TABLE t (id int);\n".encode()).hexdigest() */
	const char *sql = "CREATE TABLE t (id int);\n";
	flux_md5_hex(sql, strlen(sql), hex);
	ck_assert_str_eq(hex, "cd693128f6e326e5b6817a24ba8764af");
}
END_TEST

START_TEST(forms_order_and_ignored_files)
{
	char *d = tu_tmpdir();
	tu_write(d, "20240102_001_b.sql", "CREATE TABLE b (x int);\n");
	tu_write(d, "20240102_001_b.undo.sql", "DROP TABLE b;\n");
	tu_write(d, "20240101_001_a.sql", "CREATE TABLE a (x int);\n");
	tu_write(d, "20240103_001_c.py",
		 "def apply():\n    return 'CREATE TABLE c (x int);'\n\n"
		 "def undo():\n    return 'DROP TABLE c;'\n");
	char *gen = tu_write(d, "20240104_001_d.sh",
			     "#!/bin/sh\nif [ \"$1\" = apply ]; then echo 'SELECT 4;'; "
			     "else echo 'SELECT -4;'; fi\n");
	chmod(gen, 0755);
	tu_write(d, ".hidden.sql", "junk");
	tu_write(d, "README.md", "notes");
	tu_write(d, "orphan.undo.sql", "ignored as upstream does");
	tu_write(d, "pre-apply/01_pre.sql", "SELECT 'pre';");
	tu_write(d, "post-apply/01_post.py", "def apply():\n    return 'SELECT 1;'\n");
	tu_write(d, "notes/20240101_000_x.sql", "a subdirectory is not scanned");
	flux_migrations *set = read_ok(d);
	ck_assert_uint_eq(flux_migrations_count(set, FLUX_STAGE_MAIN), 4);
	const char *ids[] = {"20240101_001_a", "20240102_001_b", "20240103_001_c", "20240104_001_d"};
	for (int i = 0; i < 4; i++)
		ck_assert_str_eq(flux_migration_id(flux_migrations_get(set, FLUX_STAGE_MAIN, i)), ids[i]);
	const flux_migration *a = flux_migrations_get(set, FLUX_STAGE_MAIN, 0);
	const flux_migration *b = flux_migrations_get(set, FLUX_STAGE_MAIN, 1);
	const flux_migration *c = flux_migrations_get(set, FLUX_STAGE_MAIN, 2);
	const flux_migration *dd = flux_migrations_get(set, FLUX_STAGE_MAIN, 3);
	ck_assert_int_eq(flux_migration_has_undo(a), 0);
	ck_assert_int_eq(flux_migration_has_undo(b), 1);
	ck_assert_int_eq(flux_migration_kind_of(c), FLUX_KIND_PYTHON);
	ck_assert_int_eq(flux_migration_kind_of(dd), FLUX_KIND_SCRIPT);
	size_t len;
	ck_assert_str_eq(flux_migration_up(c, &len), "CREATE TABLE c (x int);");
	char hex[33];
	flux_md5_hex("CREATE TABLE c (x int);", 23, hex);
	ck_assert_str_eq(flux_migration_hash(c), hex);
	ck_assert_str_eq(flux_migration_up(dd, &len), "SELECT 4;\n");
	const char *undo;
	flux_error err;
	ck_assert_int_eq(flux_migration_undo(b, &undo, &len, &err), FLUX_OK);
	ck_assert_str_eq(undo, "DROP TABLE b;\n");
	ck_assert_int_eq(flux_migration_undo(c, &undo, &len, &err), FLUX_OK);
	ck_assert_str_eq(undo, "DROP TABLE c;");
	ck_assert_int_eq(flux_migration_undo(dd, &undo, &len, &err), FLUX_OK);
	ck_assert_str_eq(undo, "SELECT -4;\n");
	ck_assert_int_eq(flux_migration_undo(a, &undo, &len, &err), FLUX_OK);
	ck_assert_ptr_null(undo);
	ck_assert_uint_eq(flux_migrations_count(set, FLUX_STAGE_PRE), 1);
	ck_assert_uint_eq(flux_migrations_count(set, FLUX_STAGE_POST), 1);
	ck_assert_str_eq(flux_migration_id(flux_migrations_get(set, FLUX_STAGE_POST, 0)), "01_post");
	flux_migrations_free(set);
}
END_TEST

START_TEST(directive_no_transaction)
{
	char *d = tu_tmpdir();
	tu_write(d, "1.sql", "-- flux: no-transaction\nCREATE INDEX CONCURRENTLY i ON t (x);\n");
	tu_write(d, "2.sql", "--flux:no-transaction  \r\nVACUUM;\n");
	tu_write(d, "3.sql", "SELECT 1;\n-- flux: no-transaction\n");
	tu_write(d, "4.sql", "-- flux: no-transactions\n");
	flux_migrations *set = read_ok(d);
	unsigned int want[] = {FLUX_APPLY_NO_TRANSACTION, FLUX_APPLY_NO_TRANSACTION, 0, 0};
	for (int i = 0; i < 4; i++)
		ck_assert_uint_eq(flux_migration_flags(flux_migrations_get(set, FLUX_STAGE_MAIN, i)),
				  want[i]);
	flux_migrations_free(set);
}
END_TEST

START_TEST(python_errors_show_traceback)
{
	flux_error err;
	char *d = tu_tmpdir();
	tu_write(d, "1_boom.py", "def apply():\n    raise ValueError('no table for you')\n");
	read_fails(d, "1_boom.py: cannot load Python migration", &err);
	ck_assert_ptr_nonnull(strstr(err.detail, "Traceback"));
	ck_assert_ptr_nonnull(strstr(err.detail, "ValueError: no table for you"));
	/* The exception in the message, the line of the file it came from,
	 * and no frames of flux's own driver in the traceback. */
	ck_assert_ptr_nonnull(strstr(err.message, ": ValueError: no table for you"));
	ck_assert_int_eq(err.line, 2);
	ck_assert_int_eq(err.column, 0);
	ck_assert_str_eq(err.line_text, "    raise ValueError('no table for you')");
	ck_assert_ptr_null(strstr(err.detail, "<string>"));
	d = tu_tmpdir();
	tu_write(d, "1_int.py", "def apply():\n    return 42\n");
	read_fails(d, "apply() must return str, not int", &err);
	d = tu_tmpdir();
	tu_write(d, "1_none.py", "X = 1\n");
	read_fails(d, "migration defines no apply() function", &err);
	d = tu_tmpdir();
	tu_write(d, "1_syntax.py", "def apply(:\n");
	read_fails(d, "SyntaxError", &err);
	ck_assert_int_eq(err.line, 1);
	ck_assert_int_eq(err.column, 11);
	ck_assert_str_eq(err.line_text, "def apply(:");
	d = tu_tmpdir();
	tu_write(d, "1_print.py", "print('noise on stdout')\ndef apply():\n    return 'SELECT 1;'\n");
	flux_migrations *set = read_ok(d);
	size_t len;
	ck_assert_str_eq(flux_migration_up(flux_migrations_get(set, FLUX_STAGE_MAIN, 0), &len),
			 "SELECT 1;");
	flux_migrations_free(set);
}
END_TEST

START_TEST(loading_errors)
{
	flux_error err;
	char *d = tu_tmpdir();
	tu_write(d, "1_x.sql", "SELECT 1;");
	tu_write(d, "1_x.py", "def apply():\n    return 'SELECT 1;'\n");
	read_fails(d, "give the same migration id '1_x'", &err);
	d = tu_tmpdir();
	tu_write(d, "1_x.sql", "SELECT 1;");
	tu_write(d, "pre-apply/p.sql", "SELECT 1;");
	tu_write(d, "pre-apply/p.undo.sql", "SELECT 1;");
	read_fails(d, "repeatable migrations cannot have an undo", &err);
	d = tu_tmpdir();
	tu_write(d, "post-apply/p.py", "def apply():\n    return ''\ndef undo():\n    return ''\n");
	read_fails(d, "repeatable migrations cannot define undo()", &err);
	d = tu_tmpdir();
	char *gen = tu_write(d, "1_gen.sh", "#!/bin/sh\necho 'generator broke' >&2\nexit 3\n");
	chmod(gen, 0755);
	read_fails(d, "1_gen.sh apply: generator exited with status 3", &err);
	ck_assert_ptr_nonnull(strstr(err.detail, "generator broke"));
	read_fails("/nonexistent/migrations", "migration directory /nonexistent/migrations", &err);
}
END_TEST

START_TEST(python_override)
{
	char *d = tu_tmpdir();
	tu_write(d, "1_x.py", "def apply():\n    return 'SELECT 1;'\n");
	setenv("FLUX_PYTHON", "/nonexistent/python", 1);
	flux_error err;
	read_fails(d, "cannot run /nonexistent/python", &err);
	unsetenv("FLUX_PYTHON");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("migrations");
	TCase *tc = tu_tcase("migrations");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, md5_matches_python_hashlib);
	tcase_add_test(tc, forms_order_and_ignored_files);
	tcase_add_test(tc, directive_no_transaction);
	tcase_add_test(tc, python_errors_show_traceback);
	tcase_add_test(tc, loading_errors);
	tcase_add_test(tc, python_override);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
