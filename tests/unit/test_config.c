/* SPDX-License-Identifier: MIT */
/* flux.toml through inih: accepted TOML, refused TOML, typed options. */
#include <config.h>
#include <string.h>

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
		{"a = \"\"\"multi", "multi-line strings are not supported"},
		{"a = bare", "invalid value (strings need quotes)"},
		{"a = \"open", "unterminated string"},
		{"a = \"x\" junk", "unexpected text after string"},
		{"a = \"\\q\"", "invalid escape sequence"},
		{"a = 1979-05-27", "dates and times are not supported"},
		{"[[tables]]", "arrays of tables ([[...]]) are not supported"},
		{"\"quoted\" = 1", "quoted keys are not supported"},
		{"a: 1", "expected `key = value`"},
		{"just words", "expected `key = value` or `[section]`"},
		{"a.b = 1", "invalid key 'a.b'"},
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
	load_fails("[flux]\nbackend = \"x\"\nmigration_directory = \"m\"\nlog_level = \"LOUD\"\n",
		   "unknown log_level 'LOUD'", 4);
	load_fails("[flux]\nbackend = \"x\"\nmigration_directory = \"m\"\n"
		   "apply_repeatable_on_undo = \"yes\"\n", "must be true or false", 4);
	char longline[400] = "[flux]\nbackend = \"";
	memset(longline + strlen(longline), 'x', 300);
	strcat(longline, "\"\n");
	load_fails(longline, "line longer than 198 bytes", 2);
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

START_TEST(uri_redaction)
{
	char out[256];
	flux_uri_redact("postgresql://bob:s3cret@db:5432/app?sslmode=require", out, sizeof(out));
	ck_assert_str_eq(out, "postgresql://bob:****@db:5432/app?sslmode=require");
	flux_uri_redact("postgres://db/app?user=x&password=hunter2&a=b", out, sizeof(out));
	ck_assert_str_eq(out, "postgres://db/app?user=x&password=****&a=b");
	flux_uri_redact("host=db password='p w' user=bob", out, sizeof(out));
	ck_assert_str_eq(out, "host=db password=**** user=bob");
	flux_uri_redact("sqlite:demo.db", out, sizeof(out));
	ck_assert_str_eq(out, "sqlite:demo.db");
	/* Shorter than the mask, repeated, and an '@' inside the password. */
	flux_uri_redact("postgresql:///app?password=ab&host=/tmp&password=c", out, sizeof(out));
	ck_assert_str_eq(out, "postgresql:///app?password=****&host=/tmp&password=****");
	flux_uri_redact("postgresql://bob:p@ss@db/app#frag", out, sizeof(out));
	ck_assert_str_eq(out, "postgresql://bob:****@db/app#frag");
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
	tcase_add_test(tc, uri_redaction);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
