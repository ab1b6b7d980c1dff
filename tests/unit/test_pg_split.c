/* SPDX-License-Identifier: MIT */
/* The PostgreSQL backend's statement splitter, connection string
 * normalisation and the hiding of passwords in libpq's messages; redact_uri
 * is tested through the module in test_conformance. */
#include <config.h>
#include <stdlib.h>
#include <string.h>

#include "pg.h"
#include "testutil.h"

struct got {
	size_t n;
	size_t offset[16], len[16];
	size_t stop_at;    /* return 42 at this statement (1-based); 0: never */
};

static int collect(void *ctx, size_t offset, size_t len)
{
	struct got *g = ctx;
	ck_assert_uint_lt(g->n, 16);
	g->offset[g->n] = offset;
	g->len[g->n++] = len;
	return g->n == g->stop_at ? 42 : 0;
}

static void expect(const char *sql, size_t n, const char *const *want)
{
	struct got g = {0};
	ck_assert_int_eq(pg_split(sql, strlen(sql), collect, &g), 0);
	ck_assert_uint_eq(g.n, n);
	for (size_t i = 0; i < n; i++) {
		ck_assert_uint_eq(g.len[i], strlen(want[i]));
		ck_assert_msg(strncmp(sql + g.offset[i], want[i], g.len[i]) == 0,
			      "statement %zu: %.*s", i, (int)g.len[i], sql + g.offset[i]);
	}
}

START_TEST(splits_at_top_level_semicolons)
{
	const char *w1[] = {"CREATE INDEX CONCURRENTLY i ON t (x)", "VACUUM t"};
	expect("-- flux: no-transaction\nCREATE INDEX CONCURRENTLY i ON t (x);\n  VACUUM t;\n", 2, w1);
	const char *w2[] = {"SELECT 'a;b', \"c;d\", E'e\\';f'", "SELECT 2"};
	expect("SELECT 'a;b', \"c;d\", E'e\\';f'; SELECT 2", 2, w2);
	const char *w3[] = {"CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql",
			    "DO $$ BEGIN PERFORM 1; END $$"};
	expect("CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;\n"
	       "DO $$ BEGIN PERFORM 1; END $$;", 2, w3);
	const char *w4[] = {"SELECT 1", "SELECT 'it''s; fine'"};
	expect("SELECT 1 /* a; /* nested; */ b; */; SELECT 'it''s; fine'; -- tail; comment\n", 2, w4);
	const char *w5[] = {"SELECT $1"};
	expect(";;  ; SELECT $1", 1, w5);
	expect("  -- only a comment;\n /* and; this */ ", 0, NULL);
	/* A statement runs from its first to its last byte that is neither
	 * blank nor comment: comments inside it stay. */
	const char *w6[] = {"SELECT /* x; */ 1", "VACUUM t"};
	expect("\n SELECT /* x; */ 1 /* y */\t;\nVACUUM t -- the end\n", 2, w6);
	/* The callback's status stops the split at once and comes back. */
	struct got g = {.stop_at = 2};
	ck_assert_int_eq(pg_split("SELECT 1; SELECT 2; SELECT 3", 28, collect, &g), 42);
	ck_assert_uint_eq(g.n, 2);
}
END_TEST

START_TEST(keeps_begin_atomic_bodies_whole)
{
	const char *w1[] = {
		"CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT a;\n"
		"  SELECT CASE WHEN a > 0 THEN 1 ELSE 0 END;\nEND",
		"CREATE INDEX CONCURRENTLY i ON t (x)"};
	expect("CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT a;\n"
	       "  SELECT CASE WHEN a > 0 THEN 1 ELSE 0 END;\nEND;\n"
	       "CREATE INDEX CONCURRENTLY i ON t (x);\n", 2, w1);
	const char *w2[] = {"create or replace procedure p() begin atomic insert into t values (1); end",
			    "VACUUM t"};
	expect("create or replace procedure p() begin atomic insert into t values (1); end; VACUUM t",
	       2, w2);
	/* BEGIN starts a block only in a routine's header, not elsewhere. */
	const char *w3[] = {"BEGIN", "SELECT 1", "END"};
	expect("BEGIN; SELECT 1; END;", 3, w3);
	const char *w4[] = {"CREATE TABLE begin_x (\"end\" int)", "SELECT E'\\'' AS q"};
	expect("CREATE TABLE begin_x (\"end\" int); SELECT E'\\'' AS q;", 2, w4);
}
END_TEST

START_TEST(normalizes_connection_strings)
{
	char *s = pg_uri_normalize("postgresql+asyncpg://u:p@h/db");
	ck_assert_str_eq(s, "postgresql://u:p@h/db");
	free(s);
	s = pg_uri_normalize("postgresql+aiopg://h/db");
	ck_assert_str_eq(s, "postgresql://h/db");
	free(s);
	s = pg_uri_normalize("postgres://h/db");
	ck_assert_str_eq(s, "postgres://h/db");
	free(s);
	s = pg_uri_normalize("host=/tmp dbname=x");
	ck_assert_str_eq(s, "host=/tmp dbname=x");
	free(s);
	ck_assert_ptr_null(pg_uri_normalize("mysql://h/db"));
	ck_assert_ptr_null(pg_uri_normalize("sqlite:x.db"));
}
END_TEST

/* scrub(uri, msg): msg as shown after hiding uri's secrets. */
static char *scrub(const char *uri, const char *msg)
{
	static char out[512];
	struct pg_secrets sec = {0};
	static const char *const keys[] = {"password", "sslpassword", NULL};
	ck_assert_int_eq(pg_secrets_find(&sec, uri, keys), 0);
	pg_scrub(&sec, msg, out, sizeof(out));
	pg_secrets_free(&sec);
	return out;
}

START_TEST(hides_passwords_in_libpq_messages)
{
	/* libpq's parse errors quote the whole URI, or the piece it stopped at. */
	ck_assert_str_eq(scrub("postgresql://u:S3CRETPW@[::1",
			       "end of string reached when looking for matching \"]\" in IPv6 "
			       "host address in URI: \"postgresql://u:S3CRETPW@[::1\""),
			 "end of string reached when looking for matching \"]\" in IPv6 "
			 "host address in URI: \"****\"");
	ck_assert_str_eq(scrub("postgresql://u@h/db?password=S3%zzCRET",
			       "invalid percent-encoded token: \"S3%zzCRET\""),
			 "invalid percent-encoded token: \"****\"");
	/* Percent-encoded, as written and decoded; a percent-encoded key. */
	ck_assert_str_eq(scrub("postgresql://u:S3%43RET@h/db", "pw S3CRET, S3%43RET"),
			 "pw ****, ****");
	ck_assert_str_eq(scrub("postgresql:///db?host=/tmp&pass%77ord=S3CRET&x=1",
			       "got \"S3CRET\""), "got \"****\"");
	/* A piece of a password libpq took for a port, and one put in a host. */
	ck_assert_str_eq(scrub("postgresql://u:S3/CRET@h/db",
			       "invalid integer value \"S3\" for connection option \"port\""),
			 "invalid integer value \"****\" for connection option \"port\"");
	ck_assert_str_eq(scrub("postgresql://u:pa?ss@h/db", "host \"pa?ss@h\""),
			 "host \"****\"");
	/* key = value: quoted with escapes, escaped blanks, newline separators,
	 * sslpassword, and a URI as a value. */
	ck_assert_str_eq(scrub("host=h password = 'S3 C\\'RET'", "S3 C'RET and S3"),
			 "**** and S3");
	ck_assert_str_eq(scrub("host=h password=S3\\ CRET", "x S3 CRET y"), "x **** y");
	ck_assert_str_eq(scrub("host=h\npassword=S3CRET", "S3CRET"), "****");
	ck_assert_str_eq(scrub("sslpassword=S3CRET host=h", "S3CRET"), "****");
	ck_assert_str_eq(scrub("dbname=postgresql://u:S3CRET@h/db",
			       "database \"postgresql://u:S3CRET@h/db\" does not exist"),
			 "database \"****\" does not exist");
	/* What is not a secret stays: libpq's syntax, hosts, users. */
	ck_assert_str_eq(scrub("postgresql://bob:S3CRET@db.example/app",
			       "connection to server at \"db.example\" failed: missing \"=\" "
			       "for user \"bob\""),
			 "connection to server at \"db.example\" failed: missing \"=\" "
			 "for user \"bob\"");
	ck_assert_str_eq(scrub("host=h dbname=x", "could not connect to \"h\""),
			 "could not connect to \"h\"");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pg_split");
	TCase *tc = tu_tcase("pg_split");
	tcase_add_test(tc, splits_at_top_level_semicolons);
	tcase_add_test(tc, keeps_begin_atomic_bodies_whole);
	tcase_add_test(tc, normalizes_connection_strings);
	tcase_add_test(tc, hides_passwords_in_libpq_messages);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
