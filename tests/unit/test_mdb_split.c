/* SPDX-License-Identifier: MIT */
/* The MariaDB/MySQL backend's pieces that need no server: the statement
 * splitter (the mariadb client's rules, DELIMITER included), URIs and their
 * redaction, literal quoting, and error positions. */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdb.h"
#include "testutil.h"

struct got {
	const char *sql;
	char *stmt[16];
	size_t n;
	int stop_at; /* return 42 from this call (1-based), 0 never */
};

static int collect(void *ctx, size_t offset, size_t len)
{
	struct got *g = ctx;
	ck_assert_uint_lt(g->n, 16);
	g->stmt[g->n++] = strndup(g->sql + offset, len);
	return g->stop_at && (int)g->n == g->stop_at ? 42 : 0;
}

static void got_free(struct got *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->stmt[i]);
}

static void expect(const char *sql, size_t n, const char *const *want)
{
	struct got g = {.sql = sql};
	size_t bad = 0;
	const char *why = NULL;
	int rc = mdb_split(sql, strlen(sql), collect, &g, &bad, &why);
	ck_assert_msg(rc == 0, "split failed: %s", why ? why : "?");
	ck_assert_msg(g.n == n, "%zu statements, wanted %zu, in: %s", g.n, n, sql);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(g.stmt[i], want[i]);
	got_free(&g);
}

START_TEST(splits_at_the_delimiter_outside_quotes)
{
	const char *w1[] = {"CREATE TABLE a (x int)", "INSERT INTO a VALUES (1)"};
	expect("CREATE TABLE a (x int);\n  INSERT INTO a VALUES (1);\n", 2, w1);
	const char *w2[] = {"SELECT 'a;b', \"c;d\", `e;f`", "SELECT 'it\\'s;', 'it''s;', `x``;`"};
	expect("SELECT 'a;b', \"c;d\", `e;f`; SELECT 'it\\'s;', 'it''s;', `x``;`;", 2, w2);
	/* A backslash escapes nothing in a backtick identifier. */
	const char *w3[] = {"SELECT 1 AS `a\\`", "SELECT 2"};
	expect("SELECT 1 AS `a\\`; SELECT 2", 2, w3);
	/* No delimiter after the last statement: it still counts. */
	const char *w4[] = {"SELECT 1"};
	expect(";;  ; SELECT 1", 1, w4);
}
END_TEST

START_TEST(knows_the_three_comment_forms)
{
	const char *w1[] = {"SELECT 1", "SELECT 2 /* c; */ + 1", "SELECT 5--1"};
	expect("# lead; comment\n-- another; one\nSELECT 1; -- tail; here\n"
	       "SELECT 2 /* c; */ + 1;\nSELECT 5--1;", 3, w1);
	/* Pieces with nothing but blanks and comments are no statements. */
	expect("  -- only; a comment\n /* and; this */ # and; this\n ; ", 0, NULL);
	/* "--" with no blank after it, at the end, is a comment too. */
	const char *w2[] = {"SELECT 3"};
	expect("SELECT 3; --", 1, w2);
}
END_TEST

START_TEST(executable_comments_are_sql)
{
	const char *w1[] = {"/*!40101 SET NAMES utf8mb4 */", "/*M!100100 SET @a = ';' */",
			    "SELECT 1"};
	expect("/*!40101 SET NAMES utf8mb4 */;\n/*M!100100 SET @a = ';' */;\n"
	       "/* plain */ SELECT 1;", 3, w1);
	/* As in the client, the delimiter ends a statement inside one: that
	 * is why mysqldump switches to ;; around routines. */
	const char *w2[] = {"/*!50003 CREATE PROCEDURE p() BEGIN SELECT 1",
			    "END */"};
	expect("/*!50003 CREATE PROCEDURE p() BEGIN SELECT 1; END */;", 2, w2);
	/* Its end is one token: the star after it opens no comment. */
	const char *w3[] = {"SELECT 2 /*!50000 *3*/*4", "SELECT 5"};
	expect("SELECT 2 /*!50000 *3*/*4; SELECT 5", 2, w3);
}
END_TEST

START_TEST(delimiter_lines_as_mysqldump_writes_them)
{
	const char *sql =
		"/*!50003 SET @saved_sql_mode = @@sql_mode */ ;\n"
		"DELIMITER ;;\n"
		"CREATE DEFINER=`root`@`localhost` PROCEDURE `add_one`(INOUT x INT)\n"
		"BEGIN\n"
		"  SET x = x + 1;\n"
		"  SELECT 'a;;b' INTO @ignored;\n"
		"END ;;\n"
		"/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER t_bi "
		"BEFORE INSERT ON t FOR EACH ROW BEGIN\n"
		"  SET NEW.x = NEW.x + 1;\n"
		"END */;;\n"
		"DELIMITER ;\n"
		"/*!50003 SET sql_mode = @saved_sql_mode */ ;\n"
		"  delimiter $$   trailing words are ignored\n"
		"CREATE FUNCTION f() RETURNS INT RETURN 1$$\n"
		"DELIMITER ;\n";
	const char *w[] = {
		"/*!50003 SET @saved_sql_mode = @@sql_mode */",
		"CREATE DEFINER=`root`@`localhost` PROCEDURE `add_one`(INOUT x INT)\nBEGIN\n"
		"  SET x = x + 1;\n  SELECT 'a;;b' INTO @ignored;\nEND",
		"/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER t_bi "
		"BEFORE INSERT ON t FOR EACH ROW BEGIN\n  SET NEW.x = NEW.x + 1;\nEND */",
		"/*!50003 SET sql_mode = @saved_sql_mode */",
		"CREATE FUNCTION f() RETURNS INT RETURN 1"};
	expect(sql, 5, w);
	/* DELIMITER is a command only where a statement starts. */
	const char *w2[] = {"SELECT 1\ndelimiter"};
	expect("SELECT 1\ndelimiter", 1, w2);
}
END_TEST

START_TEST(refuses_what_the_client_refuses)
{
	const char *cases[] = {"SELECT 1;\nDELIMITER   \nSELECT 2", "SELECT 1;\nDELIMITER \\\\\n"};
	for (size_t i = 0; i < 2; i++) {
		struct got g = {.sql = cases[i]};
		size_t bad = 0;
		const char *why = NULL;
		int rc = mdb_split(cases[i], strlen(cases[i]), collect, &g, &bad, &why);
		ck_assert_int_eq(rc, MDB_SPLIT_BAD);
		ck_assert_uint_eq(bad, 10);
		ck_assert_ptr_nonnull(why);
		ck_assert_uint_eq(g.n, 1);
		got_free(&g);
	}
}
END_TEST

START_TEST(returns_the_callbacks_status_unchanged)
{
	const char *sql = "SELECT 1; SELECT 2; SELECT 3";
	struct got g = {.sql = sql, .stop_at = 2};
	size_t bad;
	const char *why;
	ck_assert_int_eq(mdb_split(sql, strlen(sql), collect, &g, &bad, &why), 42);
	ck_assert_uint_eq(g.n, 2);
	got_free(&g);
}
END_TEST

START_TEST(reads_uris)
{
	struct mdb_uri u;
	char why[256];
	ck_assert_int_eq(mdb_uri_parse("mysql://flux:p%40ss:w@db.example:3307/app%5Fdb?"
				       "socket=/run/x.sock&charset=latin1&connect-timeout=5",
				       &u, why, sizeof(why)), 0);
	ck_assert_str_eq(u.user, "flux");
	ck_assert_str_eq(u.password, "p@ss:w");
	ck_assert_str_eq(u.host, "db.example");
	ck_assert_uint_eq(u.port, 3307);
	ck_assert_str_eq(u.database, "app_db");
	ck_assert_str_eq(u.socket, "/run/x.sock");
	ck_assert_str_eq(u.charset, "latin1");
	ck_assert_uint_eq(u.connect_timeout, 5);
	mdb_uri_free(&u);
	ck_assert_int_eq(mdb_uri_parse("mariadb+mariadbconnector://[::1]:3306", &u, why,
				       sizeof(why)), 0);
	ck_assert_str_eq(u.host, "::1");
	ck_assert_ptr_null(u.user);
	ck_assert_ptr_null(u.password);
	ck_assert_ptr_null(u.database);
	mdb_uri_free(&u);
	/* All from option files and the environment. */
	ck_assert_int_eq(mdb_uri_parse("mariadb://", &u, why, sizeof(why)), 0);
	ck_assert_ptr_null(u.host);
	ck_assert_uint_eq(u.port, 0);
	mdb_uri_free(&u);
	ck_assert_int_eq(mdb_uri_parse("mysql://u@/d?socket=%2Ftmp%2Fs", &u, why, sizeof(why)), 0);
	ck_assert_ptr_null(u.host);
	ck_assert_str_eq(u.socket, "/tmp/s");
	mdb_uri_free(&u);
}
END_TEST

START_TEST(refuses_uris_without_quoting_them)
{
	static const char *const bad[] = {
		"postgresql://u:sekrit@h/d", "mysql://u:sekrit@h:99999/d", "mysql://u:sekrit@h/d/e",
		"mysql://u:sekrit@h/d?sekrit=1", "mysql://u:sek?rit@h/d", "mysql://u:sekrit%zz@h/d",
		"mysql://u:sekrit@h/d?charset=sjis", "mysql://u:sekrit@[::1/d",
		"mysql://u:sekrit@h/d?connect-timeout=-1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mdb_uri u;
		char why[256] = "";
		ck_assert_msg(mdb_uri_parse(bad[i], &u, why, sizeof(why)) == 1, "%s", bad[i]);
		ck_assert_msg(why[0] && !strstr(why, "sekrit") && !strstr(why, "rit"), "%s", why);
	}
}
END_TEST

static void redacts(const char *uri, const char *want)
{
	char out[256];
	size_t n = mdb_uri_redact(uri, out, sizeof(out));
	ck_assert_str_eq(out, want);
	ck_assert_uint_eq(n, strlen(want));
}

START_TEST(redacts_passwords)
{
	redacts("mysql://flux:sekrit@db:3306/app", "mysql://flux:****@db:3306/app");
	redacts("mariadb://flux@db/app?socket=/s", "mariadb://flux@db/app?socket=/s");
	/* An unescaped '/', '?' or '@' in the password: hidden whole. */
	redacts("mysql://flux:se/c?r@t@db/app", "mysql://flux:****@db/app");
	redacts("mysql://db/app?password=sekrit&socket=/s", "mysql://db/app?password=****&socket=/s");
	redacts("mysql://db/app?socket=/s&PWD=sekrit", "mysql://db/app?socket=/s&PWD=****");
	/* Cut to the buffer, still NUL-terminated. */
	char small[12];
	ck_assert_uint_eq(mdb_uri_redact("mysql://flux:sekrit@db/app", small, sizeof(small)), 11);
	ck_assert_str_eq(small, "mysql://flu");
}
END_TEST

START_TEST(quotes_literals_for_every_sql_mode)
{
	struct mdb_buf b = {0};
	mdb_buf_literal(&b, "it's");
	mdb_buf_str(&b, " ");
	mdb_buf_literal(&b, "a\\b");
	mdb_buf_str(&b, " ");
	mdb_buf_literal(&b, "line\nbreak");
	mdb_buf_str(&b, " ");
	mdb_buf_literal(&b, "");
	ck_assert(!b.oom);
	ck_assert_str_eq(b.s, "'it''s' _utf8mb4 X'615c62' _utf8mb4 X'6c696e650a627265616b' ''");
	mdb_buf_free(&b);
}
END_TEST

START_TEST(maps_the_servers_line_to_an_offset)
{
	const char *sql = "SELECT 1,\n  2 frm x where\n";
	const char *msg = "You have an error in your SQL syntax; check the manual that "
			  "corresponds to your MariaDB server version for the right syntax "
			  "to use near 'x where' at line 2";
	ck_assert_int_eq(mdb_error_position(sql, strlen(sql), 1064, msg), 19);
	/* Text the server cut is matched by its start. */
	ck_assert_int_eq(mdb_error_position("SELEC 1", 7, 1064, "... to use near 'SELEC 1' at line 1"), 1);
	/* Nothing left: the last character. */
	ck_assert_int_eq(mdb_error_position("SELECT (\n", 9, 1064, "... to use near '' at line 1"), 8);
	/* A line but no text found on it: the line's start. */
	ck_assert_int_eq(mdb_error_position("a\nb\nc", 5, 1064, "near 'zzz' at line 3"), 5);
	ck_assert_int_eq(mdb_error_position("a\nb", 3, 1064, "Table 't.x' doesn't exist"), 0);
	/* An unknown column or table: where its name first stands whole. */
	const char *q = "SELECT 'ééé' AS a, nosuchcol2, nosuchcol FROM t";
	ck_assert_int_eq(mdb_error_position(q, strlen(q), 1054, "Unknown column 'nosuchcol' in "
					    "'field list'"), strstr(q, " nosuchcol ") - q + 2);
	const char *q2 = "INSERT INTO `app`.`missing` SELECT * FROM missing_too";
	ck_assert_int_eq(mdb_error_position(q2, strlen(q2), 1146, "Table 'app.missing' doesn't "
					    "exist"), strstr(q2, "missing`") - q2 + 1);
	ck_assert_int_eq(mdb_error_position(q2, strlen(q2), 1054, "Unknown column 'zz' in 'x'"), 0);
	ck_assert_int_eq(mdb_error_position("a\nb", 3, 1064, "near 'q' at line 9"), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mdb_split");
	TCase *tc = tu_tcase("mdb");
	tcase_add_test(tc, splits_at_the_delimiter_outside_quotes);
	tcase_add_test(tc, knows_the_three_comment_forms);
	tcase_add_test(tc, executable_comments_are_sql);
	tcase_add_test(tc, delimiter_lines_as_mysqldump_writes_them);
	tcase_add_test(tc, refuses_what_the_client_refuses);
	tcase_add_test(tc, returns_the_callbacks_status_unchanged);
	tcase_add_test(tc, reads_uris);
	tcase_add_test(tc, refuses_uris_without_quoting_them);
	tcase_add_test(tc, redacts_passwords);
	tcase_add_test(tc, quotes_literals_for_every_sql_mode);
	tcase_add_test(tc, maps_the_servers_line_to_an_offset);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
