/* SPDX-License-Identifier: MIT */
/* Reading migration directories: forms, ids, order, hashes, errors. */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
	unsigned int want[] = {FLUX_MIGRATION_NO_TRANSACTION, FLUX_MIGRATION_NO_TRANSACTION, 0, 0};
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

/* Write len bytes, NULs included, to dir/name. */
static void write_bytes(const char *dir, const char *name, const char *data, size_t len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	fclose(f);
}

static char *join(const char *dir, const char *name)
{
	static char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

START_TEST(nul_byte_refused_with_its_location)
{
	flux_error err;
	char *d = tu_tmpdir();
	static const char sql[] = "CREATE TABLE n1 (a int);\nSELECT 1;\0CREATE TABLE n2 (a int);\n";
	write_bytes(d, "001_nul.sql", sql, sizeof(sql) - 1);
	read_fails(d, "holds a NUL byte", &err);
	ck_assert_str_eq(err.file, join(d, "001_nul.sql"));
	ck_assert_int_eq(err.line, 2);
	ck_assert_int_eq(err.column, 10);
	ck_assert_str_eq(err.line_text, "SELECT 1;");
	ck_assert_str_eq(err.migration, "001_nul");

	/* An undo file is read with its migration, so a rollback cannot stop
	 * half-way on it. */
	d = tu_tmpdir();
	tu_write(d, "001_a.sql", "CREATE TABLE a (x int);\n");
	write_bytes(d, "001_a.undo.sql", "DROP\0 TABLE a;", 14);
	read_fails(d, "holds a NUL byte", &err);
	ck_assert_str_eq(err.file, join(d, "001_a.undo.sql"));
	ck_assert_int_eq(err.line, 1);
	ck_assert_int_eq(err.column, 5);

	/* SQL a .py migration returns: located in the generated text. */
	d = tu_tmpdir();
	tu_write(d, "001_py.py", "def apply():\n    return 'SELECT 1;\\nSELECT\\x00 2;'\n");
	read_fails(d, "the SQL it produced holds a NUL byte", &err);
	char want[4200];
	snprintf(want, sizeof(want), "%s (generated SQL)", join(d, "001_py.py"));
	ck_assert_str_eq(err.file, want);
	ck_assert_int_eq(err.line, 2);
	ck_assert_int_eq(err.column, 7);
	d = tu_tmpdir();
	tu_write(d, "001_py.py", "def apply():\n    return 'SELECT 1;'\n"
		 "def undo():\n    return '\\x00'\n");
	read_fails(d, "the SQL it produced holds a NUL byte", &err);

	/* A generator's apply output now, its undo output when asked for. */
	d = tu_tmpdir();
	char *gen = tu_write(d, "001_gen.sh", "#!/bin/sh\nprintf 'SELECT 1;\\000SELECT 2;'\n");
	chmod(gen, 0755);
	read_fails(d, "the SQL it produced holds a NUL byte", &err);
	ck_assert_int_eq(err.column, 10);
	d = tu_tmpdir();
	gen = tu_write(d, "001_gen.sh", "#!/bin/sh\nif [ \"$1\" = apply ]; then echo 'SELECT 1;'; "
		       "else printf 'SELECT\\000 -1;'; fi\n");
	chmod(gen, 0755);
	flux_migrations *set = read_ok(d);
	const char *undo;
	size_t len;
	const flux_migration *m = flux_migrations_get(set, FLUX_STAGE_MAIN, 0);
	ck_assert_int_eq(flux_migration_undo(m, &undo, &len, &err), FLUX_ERR_LOAD);
	ck_assert_ptr_nonnull(strstr(err.message, "holds a NUL byte"));
	ck_assert_ptr_null(undo);
	flux_migrations_free(set);
}
END_TEST

START_TEST(unusable_entries_named_like_migrations_refused)
{
	flux_error err;
	char *d = tu_tmpdir();
	tu_write(d, "001_a.sql", "SELECT 1;");
	ck_assert_int_eq(symlink("nowhere.sql", join(d, "002_b.sql")), 0);
	read_fails(d, "002_b.sql: a symbolic link to nothing", &err);

	d = tu_tmpdir();
	ck_assert_int_eq(symlink("002_b.sql", join(d, "002_b.sql")), 0);
	read_fails(d, "002_b.sql: a symbolic link loop", &err);

	/* Never opened: reading a FIFO would wait for a writer for ever. */
	const char *fifos[] = {"002_f.sql", "002_f.undo.sql", "002_f.py"};
	for (int i = 0; i < 3; i++) {
		d = tu_tmpdir();
		ck_assert_int_eq(mkfifo(join(d, fifos[i]), 0644), 0);
		read_fails(d, "is a FIFO (named pipe), not a migration file", &err);
		ck_assert_ptr_nonnull(strstr(err.message, fifos[i]));
	}

	const char *dirs[] = {"002_d.sql", "002_d.undo.sql", "pre-apply/01_p.sql"};
	for (int i = 0; i < 3; i++) {
		d = tu_tmpdir();
		tu_write(d, "001_a.sql", "SELECT 1;");
		ck_assert_int_eq(mkdir(join(d, "pre-apply"), 0755), 0);
		ck_assert_int_eq(mkdir(join(d, dirs[i]), 0755), 0);
		read_fails(d, "is a directory, not a migration file", &err);
		ck_assert_ptr_nonnull(strstr(err.message, dirs[i]));
	}

	d = tu_tmpdir();
	tu_write(d, "post-apply", "a file where a directory belongs");
	read_fails(d, "post-apply: is a file, not a directory of repeatable migrations", &err);

	/* What was ignored before stays ignored: other names, subdirectories. */
	d = tu_tmpdir();
	tu_write(d, "001_a.sql", "SELECT 1;");
	ck_assert_int_eq(symlink("nowhere", join(d, "README")), 0);
	ck_assert_int_eq(mkfifo(join(d, "notes.txt"), 0644), 0);
	ck_assert_int_eq(mkdir(join(d, "archive"), 0755), 0);
	flux_migrations *set = read_ok(d);
	ck_assert_uint_eq(flux_migrations_count(set, FLUX_STAGE_MAIN), 1);
	flux_migrations_free(set);
}
END_TEST

START_TEST(ids_must_be_printable_utf8)
{
	flux_error err;
	char *d = tu_tmpdir();
	tu_write(d, "001_a\nb.sql", "SELECT 1;");
	read_fails(d, "001_a\\nb.sql: the file name holds a newline", &err);
	ck_assert_ptr_null(strchr(err.message, '\n'));

	d = tu_tmpdir();
	tu_write(d, "001_a.sql", "SELECT 1;");
	tu_write(d, "001_a\t.undo.sql", "SELECT 1;");
	read_fails(d, "001_a\\t.undo.sql: the file name holds a control character", &err);

	d = tu_tmpdir();
	tu_write(d, "001_caf\xe9.sql", "SELECT 1;");
	read_fails(d, "001_caf\\xE9.sql: the file name is not valid UTF-8", &err);

	d = tu_tmpdir();
	char *gen = tu_write(d, "001_\x1b[31m.sh", "#!/bin/sh\necho 'SELECT 1;'\n");
	chmod(gen, 0755);
	read_fails(d, "001_\\x1B[31m.sh: the file name holds a control character", &err);

	/* UTF-8 is fine. */
	d = tu_tmpdir();
	tu_write(d, "001_caf\xc3\xa9.sql", "SELECT 1;");
	flux_migrations *set = read_ok(d);
	ck_assert_str_eq(flux_migration_id(flux_migrations_get(set, FLUX_STAGE_MAIN, 0)),
			 "001_caf\xc3\xa9");
	flux_migrations_free(set);
}
END_TEST

static int by_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The ids come back in strcmp's order however they differ: in their first
 * 16 bytes (which the sort keys on), only after them, by length alone, by
 * bytes above 0x7F; a file name that differs only in its extension is the
 * same id.  Over a thousand files, in an order readdir() makes up. */
START_TEST(ids_sort_as_strcmp_does)
{
	static const char *tricky[] = {
		"1", "10", "1a", "1_", "01", "0", "00", "001",
		"0123456789abcdef", "0123456789abcdef0", "0123456789abcdefA",
		"0123456789abcdefA0", "0123456789abcdef_z", "0123456789abcdeF",
		"0123456789abcdefghijklmnopqrstu2", "0123456789abcdefghijklmnopqrstu10",
		"20240101_000000_create_users", "20240101_000000_create_user",
		"caf\xc3\xa9", "cafe", "caf\xc3\xa8_", "~", "Z", "a b",
	};
	size_t nt = sizeof(tricky) / sizeof(*tricky), n = nt + 1000;
	char **want = calloc(n, sizeof(*want));
	char *d = tu_tmpdir();
	char name[128];
	for (size_t i = 0; i < nt; i++) {
		want[i] = strdup(tricky[i]);
		snprintf(name, sizeof(name), "%s.sql", tricky[i]);
		tu_write(d, name, "SELECT 1;");
	}
	/* Pseudo-random ids of varying width and shared prefixes. */
	unsigned int x = 12345;
	for (size_t i = nt; i < n; i++) {
		x = x * 1103515245u + 12345u;
		snprintf(name, sizeof(name), "%0*u_m%u", (int)(x >> 28) + 1, (x >> 8) % 5000,
			 (unsigned int)i);
		want[i] = strdup(name);
		strcat(name, (x >> 4) & 1 ? ".sql" : ".py");
		tu_write(d, name, (x >> 4) & 1 ? "SELECT 1;" : "def apply():\n    return 'SELECT 1;'\n");
	}
	qsort(want, n, sizeof(*want), by_strcmp);
	flux_migrations *set = read_ok(d);
	ck_assert_uint_eq(flux_migrations_count(set, FLUX_STAGE_MAIN), n);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(flux_migration_id(flux_migrations_get(set, FLUX_STAGE_MAIN, i)),
				 want[i]);
	for (size_t i = 0; i < n; i++)
		free(want[i]);
	free(want);
	flux_migrations_free(set);
	/* One id from two files is refused, naming both. */
	tu_write(d, "0123456789abcdefA.py", "def apply():\n    return 'SELECT 1;'\n");
	flux_error err;
	read_fails(d, "give the same migration id '0123456789abcdefA'", &err);
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
	tcase_add_test(tc, nul_byte_refused_with_its_location);
	tcase_add_test(tc, unusable_entries_named_like_migrations_refused);
	tcase_add_test(tc, ids_must_be_printable_utf8);
	tcase_add_test(tc, ids_sort_as_strcmp_does);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
