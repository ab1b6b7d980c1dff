/* SPDX-License-Identifier: MIT */
/* flux.toml through flux's TOML reader: accepted TOML, refused TOML, typed
 * options, bounded reads, log_level. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <flux/flux.h>
#include "testutil.h"

static flux_config *load_ok(const char *text)
{
	char *dir = tu_tmpdir();
	char *path = tu_write(dir, "flux.toml", text);
	flux_config *cfg;
	flux_error err;
	int rc = flux_config_load(path, &cfg, &err);
	ck_assert_msg(rc == FLUX_OK, "load failed: %s", err.message);
	return cfg;
}

static void load_fails(const char *text, const char *want, int line)
{
	char *dir = tu_tmpdir();
	char *path = tu_write(dir, "flux.toml", text);
	char copy[4096];
	strcpy(copy, path);
	flux_config *cfg = NULL;
	flux_error err;
	ck_assert_int_eq(flux_config_load(copy, &cfg, &err), FLUX_ERR_CONFIG);
	ck_assert_ptr_null(cfg);
	ck_assert_msg(strstr(err.message, want) != NULL, "want '%s' in '%s'", want, err.message);
	ck_assert_msg(strstr(err.message, copy) != NULL, "message lacks the file: %s", err.message);
	ck_assert_int_eq(err.line, line);
}

START_TEST(upstream_init_file)
{
	flux_config *cfg = load_ok("[flux]\nbackend = \"postgres\"\nmigration_directory = "
				   "\"migrations\"\n\n[backend]\n# Add backend-specific "
				   "configuration here\n");
	ck_assert_str_eq(flux_config_backend(cfg), "postgres");
	ck_assert_str_eq(flux_config_migration_directory(cfg), "migrations");
	ck_assert_ptr_null(flux_config_log_level(cfg));
	ck_assert_int_eq(flux_config_apply_repeatable_on_undo(cfg), 1);
	ck_assert_uint_eq(flux_options_count(flux_config_backend_options(cfg)), 0);
	flux_config_free(cfg);
}
END_TEST

START_TEST(values_and_comments)
{
	flux_config *cfg = load_ok(
		"# leading comment\n"
		"[flux]  # trailing comment on a section\n"
		"  backend = 'cooldb'   # literal string, indented key\n"
		"migration_directory = \"mig rations\\t\\\"x\\\" \\u00e9;#\" # escapes\n"
		"log_level = \"DEBUG\"\n"
		"apply_repeatable_on_undo = false\n"
		"future_key = 1\n"
		"[backend]\n"
		"coolness_level = 1_1\n"
		"hex = 0x1F\n"
		"ratio = 1.5\n"
		"flag = true\n"
		"semi = 'a ; b'\n"
		"another_option = \"cool_value\"\n");
	ck_assert_str_eq(flux_config_backend(cfg), "cooldb");
	ck_assert_str_eq(flux_config_migration_directory(cfg), "mig rations\t\"x\" \xc3\xa9;#");
	ck_assert_str_eq(flux_config_log_level(cfg), "DEBUG");
	ck_assert_int_eq(flux_config_apply_repeatable_on_undo(cfg), 0);
	const struct flux_options *o = flux_config_backend_options(cfg);
	long long n;
	int b;
	const char *s;
	flux_error err;
	ck_assert_int_eq(flux_options_int(o, "coolness_level", 0, &n, &err), FLUX_OK);
	ck_assert_int_eq(n, 11);
	ck_assert_int_eq(flux_options_int(o, "hex", 0, &n, &err), FLUX_OK);
	ck_assert_int_eq(n, 31);
	ck_assert_int_eq(flux_options_bool(o, "flag", 0, &b, &err), FLUX_OK);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(flux_options_string(o, "semi", NULL, &s, &err), FLUX_OK);
	ck_assert_str_eq(s, "a ; b");
	ck_assert_int_eq(flux_options_string(o, "missing", "dflt", &s, &err), FLUX_OK);
	ck_assert_str_eq(s, "dflt");
	ck_assert_int_eq(flux_options_used(o, 0), 1);
	ck_assert_int_eq(flux_options_used(o, 2), 0);
	/* Typed accessors name the key, file and line of a wrong value. */
	ck_assert_int_eq(flux_options_int(o, "another_option", 0, &n, &err), FLUX_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.message, ":14: [backend] another_option must be an "
				     "integer, not 'cool_value'"));
	ck_assert_int_eq(flux_options_string(o, "coolness_level", NULL, &s, &err),
			 FLUX_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.message, "coolness_level must be a string"));
	ck_assert_int_eq(flux_options_bool(o, "ratio", 0, &b, &err), FLUX_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.message, ":11: [backend] ratio must be true or false"));
	flux_config_free(cfg);
}
END_TEST

START_TEST(quoted_integer_accepted)
{
	flux_config *cfg = load_ok("[flux]\nbackend = \"x\"\nmigration_directory = \"m\"\n"
				   "[backend]\nmigrations_lock_id = \"42\"\n");
	long long n;
	flux_error err;
	ck_assert_int_eq(flux_options_int(flux_config_backend_options(cfg), "migrations_lock_id",
					  3589, &n, &err), FLUX_OK);
	ck_assert_int_eq(n, 42);
	flux_config_free(cfg);
}
END_TEST

START_TEST(refusals_name_file_and_line)
{
	const char *head = "[flux]\nbackend = \"x\"\nmigration_directory = \"m\"\n";
	char text[512];
	struct { const char *line; const char *want; } cases[] = {
		{"a = [1, 2]", "arrays are not supported"},
		{"a = {x = 1}", "inline tables are not supported"},
		{"a = \"\"\"multi", "unterminated multi-line string"},
		{"a = bare", "invalid value 'bare' (strings need quotes)"},
		{"a = \"open", "unterminated string"},
		{"a = \"x\" junk", "unexpected text after the value"},
		{"a = \"\\q\"", "invalid escape sequence"},
		{"a = 1979-05-27", "dates and times are not supported"},
		{"[[tables]]", "arrays of tables ([[...]]) are not supported"},
		{"a: 1", "expected `=` after 'a' (lines are `key = value` or `[table]`)"},
		{"just words", "expected `=` after 'just'"},
		{"a.b = 1", "[backend] a.b: tables inside [backend] are not supported"},
		{"a = ", "missing value"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "%s[backend]\n%s\n", head, cases[i].line);
		load_fails(text, cases[i].want, 5);
	}
}
END_TEST

START_TEST(required_keys_and_duplicates)
{
	load_fails("[flux]\nmigration_directory = \"m\"\n", "[flux] backend is required", 0);
	load_fails("[flux]\nbackend = \"x\"\n", "[flux] migration_directory is required", 0);
	load_fails("[flux]\nbackend = \"x\"\nbackend = \"y\"\n",
		   "[flux] backend is defined twice (first on line 2)", 3);
	load_fails("[flux]\nbackend = 1\nmigration_directory = \"m\"\n",
		   "[flux] backend must be a string", 2);
	load_fails("[flux]\nbackend = \"x\"\nmigration_directory = \"m\"\n[backend]\na = 1\na = 2\n",
		   "[backend] a is defined twice (first on line 5)", 6);
	load_fails("[flux]\nbackend = \"x\"\nmigration_directory = \"m\"\n"
		   "apply_repeatable_on_undo = \"yes\"\n", "must be true or false", 4);
}
END_TEST

START_TEST(missing_file)
{
	flux_config *cfg;
	flux_error err;
	ck_assert_int_eq(flux_config_load("/nonexistent/flux.toml", &cfg, &err), FLUX_ERR_CONFIG);
	ck_assert_str_eq(err.message, "/nonexistent/flux.toml not found");
	ck_assert_ptr_nonnull(strstr(err.hint, "flux init"));
}
END_TEST

START_TEST(migration_path_relative_to_config)
{
	char *dir = tu_tmpdir();
	char path[4096];
	snprintf(path, sizeof(path), "%s", tu_write(dir, "sub/flux.toml",
		 "[flux]\nbackend = \"x\"\nmigration_directory = \"migs\"\n"));
	flux_config *cfg;
	flux_error err;
	ck_assert_int_eq(flux_config_load(path, &cfg, &err), FLUX_OK);
	char want[4096];
	snprintf(want, sizeof(want), "%s/sub/migs", dir);
	ck_assert_str_eq(flux_config_migration_path(cfg), want);
	flux_config_free(cfg);
}
END_TEST

/* [backend] values that name a database object, as host->option_identifier
 * reads them for backends. */
START_TEST(option_identifier)
{
	flux_config *cfg = load_ok("[flux]\nbackend = \"x\"\nmigration_directory = \"m\"\n"
				   "[backend]\ngood = \"Schema_2\"\ndash = \"bad-name\"\n"
				   "long = \"abcdefghij\"\nempty = \"\"\nnumber = 42\n"
				   "nl = \"a\\nb\"\n");
	const struct flux_options *o = flux_config_backend_options(cfg);
	const char *v = NULL;
	flux_error err;
	ck_assert_int_eq(flux_options_identifier(o, "good", "d", 63, &v, &err), FLUX_OK);
	ck_assert_str_eq(v, "Schema_2");
	/* Missing: the backend's default, which is not checked. */
	ck_assert_int_eq(flux_options_identifier(o, "absent", "my-default", 63, &v, &err),
			 FLUX_OK);
	ck_assert_str_eq(v, "my-default");
	ck_assert_int_eq(flux_options_identifier(o, "dash", "d", 63, &v, &err), FLUX_ERR_CONFIG);
	ck_assert_msg(strstr(err.message, "flux.toml:6: [backend] dash 'bad-name' must match "
			     "^[A-Za-z0-9_]+$ (at most 63 bytes)"), "got: %s", err.message);
	ck_assert_int_eq(err.line, 6);
	ck_assert_ptr_nonnull(strstr(err.file, "flux.toml"));
	/* The length bound is the caller's; exactly max_len passes. */
	ck_assert_int_eq(flux_options_identifier(o, "long", "d", 10, &v, &err), FLUX_OK);
	ck_assert_int_eq(flux_options_identifier(o, "long", "d", 9, &v, &err), FLUX_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.message, ":7: [backend] long 'abcdefghij' must match "
				     "^[A-Za-z0-9_]+$ (at most 9 bytes)"));
	ck_assert_int_eq(flux_options_identifier(o, "empty", "d", 63, &v, &err), FLUX_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.message, ":8: [backend] empty '' must match"));
	/* Not a string at all: the typed read's own message. */
	ck_assert_int_eq(flux_options_identifier(o, "number", "d", 63, &v, &err),
			 FLUX_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.message, ":9: [backend] number must be a string"));
	/* A control character is refused and shown escaped, on one line. */
	ck_assert_int_eq(flux_options_identifier(o, "nl", "d", 63, &v, &err), FLUX_ERR_CONFIG);
	ck_assert_msg(strstr(err.message, ":10: [backend] nl 'a\\nb' must match") &&
		      !strchr(err.message, '\n'), "got: %s", err.message);
	flux_config_free(cfg);
}
END_TEST

static const char HEAD[] = "[flux]\nbackend = \"x\"\nmigration_directory = \"m\"\n";

/* Write len bytes (NULs included) to a fresh flux.toml; returns its path. */
static const char *write_bytes(const char *data, size_t len)
{
	static char path[4096];
	snprintf(path, sizeof(path), "%s/flux.toml", tu_tmpdir());
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	fclose(f);
	return path;
}

static void path_fails(const char *path, const char *want)
{
	flux_config *cfg = NULL;
	flux_error err;
	ck_assert_int_eq(flux_config_load(path, &cfg, &err), FLUX_ERR_CONFIG);
	ck_assert_ptr_null(cfg);
	ck_assert_msg(strstr(err.message, want) != NULL, "want '%s' in '%s'", want, err.message);
	ck_assert_msg(strstr(err.message, path) != NULL, "message lacks the file: %s", err.message);
}

/* Issue 10 item 2: an empty string used to come back unterminated. */
START_TEST(empty_strings)
{
	load_fails("[flux]\nbackend = \"x\"\nmigration_directory = \"\"\n",
		   "[flux] migration_directory is empty", 3);
	load_fails("[flux]\nbackend = ''\nmigration_directory = \"m\"\n",
		   "[flux] backend is empty", 2);
	/* An empty [backend] value is a value; the backend judges it. */
	flux_config *cfg = load_ok("[flux]\nbackend = \"x\"\nmigration_directory = \"m\"\n"
				   "[backend]\nx = ''\ny = \"\"\n");
	const char *v;
	flux_error err;
	ck_assert_int_eq(flux_options_string(flux_config_backend_options(cfg), "x", "d", &v,
					     &err), FLUX_OK);
	ck_assert_str_eq(v, "");
	ck_assert_int_eq(flux_options_string(flux_config_backend_options(cfg), "y", "d", &v,
					     &err), FLUX_OK);
	ck_assert_str_eq(v, "");
	flux_config_free(cfg);
}
END_TEST

/* A NUL byte used to cut its line short: `backend = "x"<NUL>junk`. */
START_TEST(nul_byte_refused)
{
	static const char text[] = "[flux]\nbackend = \"x\"\0junk\nmigration_directory = \"m\"\n";
	path_fails(write_bytes(text, sizeof(text) - 1), ":2: NUL byte");
	static const char comment[] = "[flux]\nbackend = \"x\"\nmigration_directory = \"m\"\n"
				      "# note\0 [backend]\n";
	path_fails(write_bytes(comment, sizeof(comment) - 1), ":4: NUL byte");
	static const char latin1[] = "[flux]\nbackend = \"\xe9\"\n";
	path_fails(write_bytes(latin1, sizeof(latin1) - 1), ":2: invalid UTF-8");
}
END_TEST

/* \u0000 used to end the value there: "m\u0000/elsewhere" read as "m". */
START_TEST(unicode_nul_escape_refused)
{
	load_fails("[flux]\nbackend = \"x\"\nmigration_directory = \"m\\u0000/x\"\n",
		   "\\u0000 (NUL) is not allowed", 3);
	load_fails("[flux]\nbackend = \"x\\U00000000\"\n", "(NUL) is not allowed", 2);
	load_fails("[flux]\nbackend = \"\\uD800\"\n", "not a Unicode scalar value", 2);
	load_fails("[flux]\nbackend = \"\\u12\"\n", "\\u needs 4 hexadecimal digits", 2);
	load_fails("[flux]\nbackend = \"a\tb\x01\"\n", "control character 0x01 in a string", 2);
}
END_TEST

/* TOML's integer grammar: these were all accepted before. */
START_TEST(number_grammar)
{
	static const char *bad[] = {"--5", "0x-5", "0x 5", "+0xE", "-0x1", "01", "1__0",
				    "_1", "1_", "0x_1", "0b102", "1e", "1.e5", "1.", "0_1",
				    "0o8", "1x", "+-1", "0x", "- 1"};
	char text[256];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "%s[backend]\na = %s\n", HEAD, bad[i]);
		char *dir = tu_tmpdir();
		char path[4096];
		snprintf(path, sizeof(path), "%s", tu_write(dir, "flux.toml", text));
		flux_config *cfg = NULL;
		flux_error err;
		ck_assert_msg(flux_config_load(path, &cfg, &err) == FLUX_ERR_CONFIG,
			      "'%s' was accepted", bad[i]);
		ck_assert_msg(strstr(err.message, ":5: ") != NULL, "%s: %s", bad[i], err.message);
	}
	load_fails("[backend]\na = 9223372036854775808\n", "integer out of range", 2);
	load_fails("[backend]\na = 0x1_0000_0000_0000_0000\n", "integer out of range", 2);
	struct { const char *text; long long want; } good[] = {
		{"0x1F", 31}, {"0xdead_BEEF", 0xdeadbeefLL}, {"0o17", 15}, {"0b1_01", 5},
		{"1_000", 1000}, {"+5", 5}, {"-0", 0}, {"0", 0},
		{"-9223372036854775808", -9223372036854775807LL - 1},
		{"9223372036854775807", 9223372036854775807LL},
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "%s[backend]\na = %s\n", HEAD, good[i].text);
		flux_config *cfg = load_ok(text);
		long long n;
		flux_error err;
		ck_assert_int_eq(flux_options_int(flux_config_backend_options(cfg), "a", 7, &n,
						  &err), FLUX_OK);
		ck_assert_msg(n == good[i].want, "%s read as %lld", good[i].text, n);
		flux_config_free(cfg);
	}
	/* Floats are kept as written, without the underscores. */
	static const char *floats[][2] = {{"1e3", "1e3"}, {"-1.5E-2", "-1.5E-2"},
					  {"3.141_5", "3.1415"}, {"inf", "inf"},
					  {"-nan", "-nan"}, {"0.5", "0.5"}};
	for (size_t i = 0; i < sizeof(floats) / sizeof(floats[0]); i++) {
		snprintf(text, sizeof(text), "%s[backend]\na = %s\n", HEAD, floats[i][0]);
		flux_config *cfg = load_ok(text);
		long long n;
		flux_error err;
		ck_assert_int_eq(flux_options_int(flux_config_backend_options(cfg), "a", 7, &n,
						  &err), FLUX_ERR_CONFIG);
		char want[64];
		snprintf(want, sizeof(want), "must be an integer, not '%s'", floats[i][1]);
		ck_assert_msg(strstr(err.message, want) != NULL, "%s", err.message);
		flux_config_free(cfg);
	}
}
END_TEST

/* `[flux] junk`, `junk` and `= ''` were accepted. */
START_TEST(lines_that_are_not_key_value)
{
	load_fails("[flux] junk\nbackend = \"x\"\n", "unexpected text after the table header", 1);
	load_fails("[flux]\njunk\nbackend = \"x\"\n", "expected `=` after 'junk'", 2);
	load_fails("[flux]\n= ''\n", "missing key before `=`", 2);
	load_fails("[flux]\n\"\" = 1\n", "empty key", 2);
	load_fails("[flux]\nbackend = \"x\" = \"y\"\n", "unexpected text after the value", 2);
	load_fails("[flux\n", "expected `]` to close the table header", 1);
	load_fails("[]\n", "expected a table name", 1);
	load_fails("[flux]\na. = 1\n", "expected a key after `.`", 2);
	load_fails("[flux]\nbackend = \"x\"\n[flux]\n", "[flux] is defined twice (first on line 1)",
		   3);
	load_fails("[backend.sub]\na = 1\n", "[backend.sub]: tables inside [backend] are not "
		   "supported", 1);
	load_fails("[flux]\r\nbackend = \"x\"\rmigration_directory = \"m\"\n",
		   "carriage return without a line feed", 2);
}
END_TEST

/* `[ flux ]` is [flux] in TOML; it used to say "[flux] backend is required". */
START_TEST(table_headers_and_keys)
{
	flux_config *cfg = load_ok("[ flux ]\nbackend = \"x\"\nmigration_directory = \"m\"\n");
	ck_assert_str_eq(flux_config_backend(cfg), "x");
	flux_config_free(cfg);
	cfg = load_ok("[\t\"flux\"  ]  # quoted\n\"backend\" = 'y'\n'migration_directory' = \"m\"\n"
		      "[tool . other]\nbackend = 1\n[backend]\n\"quoted key\" = 2\n");
	ck_assert_str_eq(flux_config_backend(cfg), "y");
	ck_assert_str_eq(flux_options_key(flux_config_backend_options(cfg), 0), "quoted key");
	flux_config_free(cfg);
	/* Dotted keys at the top level are the same as the tables. */
	cfg = load_ok("flux.backend = \"z\"\nflux . migration_directory = \"m\"\n"
		      "backend.migrations_table = \"t\"\n");
	ck_assert_str_eq(flux_config_backend(cfg), "z");
	ck_assert_str_eq(flux_options_key(flux_config_backend_options(cfg), 0),
			 "migrations_table");
	flux_config_free(cfg);
}
END_TEST

/* Strings as TOML 1.0 writes them, CRLF line ends and a byte order mark. */
START_TEST(strings_multiline_crlf_bom)
{
	flux_config *cfg = load_ok("\xEF\xBB\xBF[flux]\r\nbackend = \"\"\"\r\nx\\\r\n   y\"\"\"\r\n"
				   "migration_directory = '''\nm\n''n'''''\r\n[backend]\r\n"
				   "a = \"\\U0001F600\\b\\f\\\\\"\r\nb = 'C:\\dir'\r\n");
	ck_assert_str_eq(flux_config_backend(cfg), "xy");
	ck_assert_str_eq(flux_config_migration_directory(cfg), "m\n''n''");
	const char *v;
	flux_error err;
	ck_assert_int_eq(flux_options_string(flux_config_backend_options(cfg), "a", NULL, &v,
					     &err), FLUX_OK);
	ck_assert_str_eq(v, "\xF0\x9F\x98\x80\b\f\\");
	ck_assert_int_eq(flux_options_string(flux_config_backend_options(cfg), "b", NULL, &v,
					     &err), FLUX_OK);
	ck_assert_str_eq(v, "C:\\dir");
	flux_config_free(cfg);
	/* The unterminated string is reported on the line it starts. */
	load_fails("[flux]\nbackend = \"\"\"x\n\ny\n", "unterminated multi-line string", 2);
	load_fails("[flux]\nbackend = \"\"\"x\"\"\"\"\"\"\n", "too many quotes", 2);
}
END_TEST

/* inih's 198-byte lines: a valid file with a long comment was refused. */
START_TEST(long_lines_are_read)
{
	static char text[20000];
	char pad[6000];
	memset(pad, 'x', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	snprintf(text, sizeof(text), "# %.400s\n[flux]\nbackend = \"x\"  # %.300s\n"
		 "migration_directory = \"%s\"\n", pad, pad, pad);
	flux_config *cfg = load_ok(text);
	ck_assert_str_eq(flux_config_backend(cfg), "x");
	ck_assert_uint_eq(strlen(flux_config_migration_directory(cfg)), sizeof(pad) - 1);
	flux_config_free(cfg);
}
END_TEST

/* Issue 10 items 3 and 11: only a regular file of sane size is read, and
 * the message says what is wrong with it. */
START_TEST(bounded_and_honest_reads)
{
	path_fails("/dev/zero", "cannot read /dev/zero: not a regular file");
	char *dir = tu_tmpdir();
	path_fails(dir, "it is a directory");
	char fifo[4096];
	snprintf(fifo, sizeof(fifo), "%s/fifo.toml", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	path_fails(fifo, "not a regular file"); /* and does not wait for a writer */
	char notdir[4096];
	snprintf(notdir, sizeof(notdir), "%s/x", tu_write(dir, "flux.toml", HEAD));
	path_fails(notdir, "Not a directory");
	/* A comment that makes the file larger than 1 MiB. */
	size_t big = 1024 * 1024 + 1;
	char *text = malloc(big);
	ck_assert_ptr_nonnull(text);
	memset(text, '#', big);
	path_fails(write_bytes(text, big), "larger than 1024 KiB");
	free(text);
	if (geteuid() != 0) {
		const char *path = write_bytes(HEAD, strlen(HEAD));
		ck_assert_int_eq(chmod(path, 0), 0);
		path_fails(path, "Permission denied");
	}
}
END_TEST

static void collect(void *ctx, int level, const char *message)
{
	if (level >= FLUX_LOG_WARNING)
		snprintf(ctx, 512, "%s", message);
}

/* Issue 8 item 6: Python's level names in any case; an unknown one warns
 * through the project's logger and the default level stays. */
START_TEST(log_levels_as_python)
{
	static const struct { const char *name; int level; } names[] = {
		{"CRITICAL", 50}, {"fatal", 50}, {"Error", 40}, {"warning", 30}, {"WARN", 30},
		{"info", 20}, {"DeBuG", 10}, {"notset", 1},
	};
	char text[256];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ck_assert_int_eq(flux_log_level_parse(names[i].name), names[i].level);
		snprintf(text, sizeof(text), "%slog_level = \"%s\"\n", HEAD, names[i].name);
		flux_config *cfg = load_ok(text);
		ck_assert_str_eq(flux_config_log_level(cfg), names[i].name);
		flux_config_free(cfg);
	}
	ck_assert_int_eq(flux_log_level_parse("LOUD"), 0);
	ck_assert_int_eq(flux_log_level_parse(""), 0);
	/* Unknown: the file loads, without a level. */
	snprintf(text, sizeof(text), "%slog_level = \"LOUD\"\n", HEAD);
	flux_config *cfg = load_ok(text);
	ck_assert_ptr_null(flux_config_log_level(cfg));
	flux_config_free(cfg);
	/* The warning names the line and reaches the project's logger, even
	 * when opening fails later (here: no such backend). */
	char *dir = tu_tmpdir();
	char path[4096];
	snprintf(path, sizeof(path), "%s", tu_write(dir, "flux.toml",
		 "[flux]\nbackend = \"no-such-backend\"\nmigration_directory = \"m\"\n"
		 "log_level = 10\n"));
	char seen[512] = "";
	flux_open_options o;
	flux_open_options_init(&o);
	o.config_path = path;
	o.uri = "sqlite:unused.db";
	o.log = collect;
	o.log_ctx = seen;
	o.backend_path = dir;
	flux_project *p = NULL;
	flux_error err;
	ck_assert_int_ne(flux_project_open(&o, &p, &err), FLUX_OK);
	ck_assert_msg(strstr(seen, "flux.toml:4: unknown log_level '10' ignored") != NULL,
		      "logged: '%s'", seen);
}
END_TEST

/* A megabyte of [backend] keys is refused at once, not compared pairwise. */
START_TEST(many_backend_keys)
{
	size_t n = 1001;
	char *text = malloc(n * 16 + 64);
	ck_assert_ptr_nonnull(text);
	size_t len = (size_t)sprintf(text, "%s[backend]\n", HEAD);
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "k%zu = %zu\n", i, i);
	load_fails(text, "more than 1000 keys in [backend]", 5 + 1000);
	free(text);
}
END_TEST

/* A value with a newline (an escape, a multi-line string) must not break
 * the one-line message that quotes it. */
START_TEST(messages_stay_on_one_line)
{
	char text[512];
	snprintf(text, sizeof(text), "%s[backend]\na = \"x\\ny\"\nb = \"\"\"\nx\n%0200d\"\"\"\n",
		 HEAD, 0);
	flux_config *cfg = load_ok(text);
	long long n;
	flux_error err;
	ck_assert_int_eq(flux_options_int(flux_config_backend_options(cfg), "a", 0, &n, &err),
			 FLUX_ERR_CONFIG);
	ck_assert_msg(strstr(err.message, "must be an integer, not 'x\\ny'") != NULL, "%s",
		      err.message);
	ck_assert_int_eq(flux_options_int(flux_config_backend_options(cfg), "b", 0, &n, &err),
			 FLUX_ERR_CONFIG);
	ck_assert_msg(strstr(err.message, "not 'x\\n0000") != NULL, "%s", err.message);
	ck_assert_ptr_null(strchr(err.message, '\n'));
	flux_config_free(cfg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tu_tcase("config");
	tcase_add_test(tc, upstream_init_file);
	tcase_add_test(tc, values_and_comments);
	tcase_add_test(tc, quoted_integer_accepted);
	tcase_add_test(tc, refusals_name_file_and_line);
	tcase_add_test(tc, required_keys_and_duplicates);
	tcase_add_test(tc, missing_file);
	tcase_add_test(tc, migration_path_relative_to_config);
	tcase_add_test(tc, option_identifier);
	tcase_add_test(tc, empty_strings);
	tcase_add_test(tc, nul_byte_refused);
	tcase_add_test(tc, unicode_nul_escape_refused);
	tcase_add_test(tc, number_grammar);
	tcase_add_test(tc, lines_that_are_not_key_value);
	tcase_add_test(tc, table_headers_and_keys);
	tcase_add_test(tc, strings_multiline_crlf_bom);
	tcase_add_test(tc, long_lines_are_read);
	tcase_add_test(tc, bounded_and_honest_reads);
	tcase_add_test(tc, log_levels_as_python);
	tcase_add_test(tc, many_backend_keys);
	tcase_add_test(tc, messages_stay_on_one_line);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
