/* SPDX-License-Identifier: MIT */
/* Backend discovery and loading through real manifests and real modules. */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <flux/flux.h>
#include "testutil.h"

static flux_registry *open_path(const char *path)
{
	flux_registry *reg;
	flux_error err;
	ck_assert_int_eq(flux_registry_open(path, &reg, &err), FLUX_OK);
	return reg;
}

/* Load the named backend from a fixture; returns the status, fills err. */
static int load_fixture(const char *fixture, const char *name, flux_error *err)
{
	flux_registry *reg = open_path(tu_fixture(fixture));
	const flux_backend_info *info = flux_registry_find(reg, name);
	ck_assert_msg(info != NULL, "fixture %s lists no backend %s", fixture, name);
	const struct flux_backend *b;
	int rc = flux_registry_load(reg, info, &b, err);
	ck_assert(rc != FLUX_OK || b != NULL);
	flux_registry_free(reg);
	return rc;
}

START_TEST(good_module_loads)
{
	char *dir = tu_fixture("good");
	flux_registry *reg = open_path(dir);
	ck_assert_uint_eq(flux_registry_count(reg), 1);
	ck_assert_uint_eq(flux_registry_problem_count(reg), 0);
	const flux_backend_info *info = flux_registry_find(reg, "test-good");
	ck_assert_ptr_nonnull(info);
	ck_assert_int_eq(flux_backend_info_line(info), 3);
	ck_assert_str_eq(flux_backend_info_symbol(info), "test_good_backend");
	const struct flux_backend *b, *again;
	flux_error err;
	ck_assert_int_eq(flux_registry_load(reg, info, &b, &err), FLUX_OK);
	ck_assert_str_eq(b->name, "test-good");
	ck_assert_uint_eq(b->abi_version >> 16, FLUX_BACKEND_ABI_MAJOR);
	ck_assert_int_eq(flux_registry_load(reg, info, &again, &err), FLUX_OK);
	ck_assert_ptr_eq(b, again);
	flux_registry_free(reg);
}
END_TEST

START_TEST(relative_module_path)
{
	char *dir = tu_fixture("relative");
	char link[4096], target[4096];
	snprintf(link, sizeof(link), "%s/test_good.so", dir);
	snprintf(target, sizeof(target), "%s/test_good.so", MODULES);
	ck_assert_int_eq(symlink(target, link), 0);
	flux_registry *reg = open_path(dir);
	const flux_backend_info *info = flux_registry_find(reg, "test-relative");
	ck_assert_ptr_nonnull(info);
	ck_assert_str_eq(flux_backend_info_module(info), link);
	const struct flux_backend *b;
	flux_error err;
	ck_assert_int_eq(flux_registry_load(reg, info, &b, &err), FLUX_OK);
	flux_registry_free(reg);
}
END_TEST

START_TEST(wrong_abi_reports_versions)
{
	flux_error err;
	ck_assert_int_eq(load_fixture("wrong-abi", "wrong-abi", &err), FLUX_ERR_PLUGIN);
	ck_assert_ptr_nonnull(strstr(err.message, "wrong-abi.ini:2: backend 'wrong-abi'"));
	ck_assert_ptr_nonnull(strstr(err.message, "incompatible backend ABI"));
	ck_assert_ptr_nonnull(strstr(err.message, "test_wrong_abi.so"));
	char want[128];
	snprintf(want, sizeof(want), "flux uses backend ABI %d.%d, the module was built for "
		 "ABI 99.3", FLUX_BACKEND_ABI_MAJOR, FLUX_BACKEND_ABI_MINOR);
	ck_assert_str_eq(err.detail, want);
	ck_assert_int_eq(err.line, 2);
}
END_TEST

START_TEST(missing_symbol)
{
	flux_error err;
	ck_assert_int_eq(load_fixture("missing-symbol", "missing-symbol", &err), FLUX_ERR_PLUGIN);
	ck_assert_ptr_nonnull(strstr(err.message, "missing-symbol.ini:2:"));
	ck_assert_ptr_nonnull(strstr(err.message, "no entry point [no_such_registration] in "
				     "module ["));
	ck_assert_ptr_nonnull(strstr(err.message, "test_good.so]"));
}
END_TEST

START_TEST(registration_returns_null)
{
	flux_error err;
	ck_assert_int_eq(load_fixture("returns-null", "returns-null", &err), FLUX_ERR_PLUGIN);
	ck_assert_ptr_nonnull(strstr(err.message, "registration function test_good_backend in "));
	ck_assert_ptr_nonnull(strstr(err.message, "returned no backend"));
}
END_TEST

START_TEST(struct_too_small)
{
	flux_error err;
	ck_assert_int_eq(load_fixture("small-struct", "small-struct", &err), FLUX_ERR_PLUGIN);
	char want[128];
	snprintf(want, sizeof(want), "is 16 bytes; flux needs at least %zu",
		 (size_t)FLUX_BACKEND_MIN_SIZE);
	ck_assert_msg(strstr(err.message, want) != NULL, "got: %s", err.message);
}
END_TEST

START_TEST(null_required_operation)
{
	flux_error err;
	ck_assert_int_eq(load_fixture("null-operation", "null-operation", &err), FLUX_ERR_PLUGIN);
	ck_assert_ptr_nonnull(strstr(err.message, "required operation 'connect' is NULL"));
}
END_TEST

START_TEST(partial_mark_operations_refused)
{
	flux_error err;
	ck_assert_int_eq(load_fixture("partial-marks", "partial-marks", &err), FLUX_ERR_PLUGIN);
	ck_assert_ptr_nonnull(strstr(err.message, "partial-marks.ini:2:"));
	ck_assert_ptr_nonnull(strstr(err.message, "only some of mark_begin, mark_end and "
					      "list_marks"));
}
END_TEST

START_TEST(missing_module_file)
{
	flux_error err;
	ck_assert_int_eq(load_fixture("missing-module", "missing-module", &err), FLUX_ERR_PLUGIN);
	ck_assert_ptr_nonnull(strstr(err.message, "missing-module.ini:2:"));
	ck_assert_ptr_nonnull(strstr(err.message, "no_such_module.so: No such file or directory"));
}
END_TEST

START_TEST(not_a_shared_object)
{
	flux_error err;
	ck_assert_int_eq(load_fixture("not-loadable", "not-loadable", &err), FLUX_ERR_PLUGIN);
	ck_assert_ptr_nonnull(strstr(err.message, "cannot load module:"));
	/* The loader's own reason, not libltdl's "file not found". */
	ck_assert_msg(strstr(err.message, "invalid ELF header") ||
		      strstr(err.message, "file too short"), "got: %s", err.message);
}
END_TEST

START_TEST(unresolved_symbol_fails_at_load)
{
	flux_error err;
	ck_assert_int_eq(load_fixture("unresolved", "unresolved", &err), FLUX_ERR_PLUGIN);
	ck_assert_msg(strstr(err.message, "undefined symbol: flux_test_symbol_defined_nowhere"),
		      "got: %s", err.message);
}
END_TEST

START_TEST(malformed_lines_keep_good_ones)
{
	flux_registry *reg = open_path(tu_fixture("malformed"));
	ck_assert_uint_eq(flux_registry_count(reg), 1);
	ck_assert_ptr_nonnull(flux_registry_find(reg, "test-good"));
	ck_assert_uint_eq(flux_registry_problem_count(reg), 3);
	const char *p0 = flux_registry_problem(reg, 0)->message;
	const char *p1 = flux_registry_problem(reg, 1)->message;
	const char *p2 = flux_registry_problem(reg, 2)->message;
	ck_assert_msg(strstr(p0, "malformed.ini:2: malformed entry for 'no-symbol': expected "
			     "MODULE:SYMBOL"), "got: %s", p0);
	ck_assert_msg(strstr(p1, "malformed.ini:5: invalid backend name 'bad name!'"), "got: %s", p1);
	ck_assert_msg(strstr(p2, "malformed.ini:3: expected `key = value`"), "got: %s", p2);
	flux_registry_free(reg);
}
END_TEST

START_TEST(duplicate_name_in_one_directory)
{
	flux_registry *reg = open_path(tu_fixture("duplicate-name"));
	ck_assert_uint_eq(flux_registry_count(reg), 1);
	ck_assert_uint_eq(flux_registry_problem_count(reg), 1);
	const char *msg = flux_registry_problem(reg, 0)->message;
	ck_assert_msg(strstr(msg, "b.ini:2: backend 'test-good' is defined twice in one "
			     "directory (first at "), "got: %s", msg);
	ck_assert_ptr_nonnull(strstr(msg, "a.ini:2)"));
	/* a.ini sorts first, so its definition is the one used. */
	const struct flux_backend *b;
	flux_error err;
	ck_assert_int_eq(flux_registry_load(reg, flux_registry_find(reg, "test-good"), &b, &err),
			 FLUX_OK);
	flux_registry_free(reg);
}
END_TEST

START_TEST(search_path_order_and_shadowing)
{
	char *first = tu_fixture("shadow-first");
	char *second = tu_fixture("shadow-second");
	char path[4096];
	snprintf(path, sizeof(path), "%s:%s", second, first);
	/* second first in the path: its (broken) module wins. */
	flux_registry *reg = open_path(path);
	ck_assert_uint_eq(flux_registry_count(reg), 2);
	const flux_backend_info *win = flux_registry_find(reg, "test-good");
	ck_assert_ptr_nonnull(strstr(flux_backend_info_manifest(win), second));
	const flux_backend_info *other = flux_registry_get(reg, 1);
	ck_assert_ptr_eq(flux_backend_info_shadowed_by(other), win);
	flux_registry_free(reg);
	snprintf(path, sizeof(path), "%s::%s:/nonexistent/dir", first, second);
	reg = open_path(path);
	win = flux_registry_find(reg, "test-good");
	ck_assert_ptr_nonnull(strstr(flux_backend_info_manifest(win), first));
	const struct flux_backend *b;
	flux_error err;
	ck_assert_int_eq(flux_registry_load(reg, win, &b, &err), FLUX_OK);
	ck_assert_uint_eq(flux_registry_dir_count(reg), 3); /* empty element refused */
	int exists = 1;
	flux_registry_dir(reg, 2, &exists);
	ck_assert_int_eq(exists, 0);
	flux_registry_free(reg);
}
END_TEST

START_TEST(environment_search_path)
{
	char *dir = tu_fixture("good");
	setenv("FLUX_BACKEND_PATH", dir, 1);
	flux_registry *reg = open_path(NULL);
	ck_assert_ptr_nonnull(flux_registry_find(reg, "test-good"));
	ck_assert_str_eq(flux_registry_dir(reg, 0, NULL), dir);
	/* Then the admin's, the prefix's and the system's, in that order. */
	char after[4096] = "";
	for (size_t i = 1; i < flux_registry_dir_count(reg); i++)
		snprintf(after + strlen(after), sizeof(after) - strlen(after), "%s%s",
			 i > 1 ? ":" : "", flux_registry_dir(reg, i, NULL));
	ck_assert_str_eq(after, FLUX_BACKEND_DIRS);
	ck_assert_str_eq(flux_registry_system_dir(), FLUX_BACKEND_DIRS);
	const char *admin = SYSCONFDIR "/flux/flux.backend:";
	ck_assert_int_eq(strncmp(after, admin, strlen(admin)), 0);
	ck_assert_str_eq(strrchr(after, ':') + 1, SYSTEM_BACKEND_DIR);
	flux_registry_free(reg);
}
END_TEST

START_TEST(other_sections_ignored)
{
	flux_registry *reg = open_path(tu_fixture("other-sections"));
	ck_assert_uint_eq(flux_registry_count(reg), 1);
	ck_assert_uint_eq(flux_registry_problem_count(reg), 0);
	ck_assert_ptr_null(flux_registry_find(reg, "audit"));
	flux_registry_free(reg);
}
END_TEST

START_TEST(build_tree_lists_real_backends)
{
	flux_registry *reg = open_path(BUILD_BACKENDS);
	const char *names[] = {"sqlite", "postgres", "test-good"};
	for (int i = 0; i < 3; i++) {
		const flux_backend_info *info = flux_registry_find(reg, names[i]);
		ck_assert_msg(info != NULL, "%s missing", names[i]);
		const struct flux_backend *b;
		flux_error err;
		ck_assert_msg(flux_registry_load(reg, info, &b, &err) == FLUX_OK, "%s: %s",
			      names[i], err.message);
	}
	flux_registry_free(reg);
}
END_TEST

START_TEST(overlong_manifest_line)
{
	char *dir = tu_tmpdir();
	char text[400] = "[flux.backend]\nx = ";
	memset(text + strlen(text), 'a', 250);
	strcat(text, ".so:sym\n");
	tu_write(dir, "long.ini", text);
	flux_registry *reg = open_path(dir);
	ck_assert_uint_eq(flux_registry_count(reg), 0);
	ck_assert_uint_eq(flux_registry_problem_count(reg), 1);
	ck_assert_ptr_nonnull(strstr(flux_registry_problem(reg, 0)->message,
				     "long.ini:2: line longer than"));
	flux_registry_free(reg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("registry");
	TCase *tc = tu_tcase("registry");
	tcase_add_test(tc, good_module_loads);
	tcase_add_test(tc, relative_module_path);
	tcase_add_test(tc, wrong_abi_reports_versions);
	tcase_add_test(tc, missing_symbol);
	tcase_add_test(tc, registration_returns_null);
	tcase_add_test(tc, struct_too_small);
	tcase_add_test(tc, null_required_operation);
	tcase_add_test(tc, partial_mark_operations_refused);
	tcase_add_test(tc, missing_module_file);
	tcase_add_test(tc, not_a_shared_object);
	tcase_add_test(tc, unresolved_symbol_fails_at_load);
	tcase_add_test(tc, malformed_lines_keep_good_ones);
	tcase_add_test(tc, duplicate_name_in_one_directory);
	tcase_add_test(tc, search_path_order_and_shadowing);
	tcase_add_test(tc, environment_search_path);
	tcase_add_test(tc, other_sections_ignored);
	tcase_add_test(tc, build_tree_lists_real_backends);
	tcase_add_test(tc, overlong_manifest_line);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
