/* SPDX-License-Identifier: MIT */
/* Backend discovery and loading through real manifests and real modules. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* The module's stamp says 3.1 and its registration function aborts: had
 * the host called it, this test would die. */
START_TEST(wrong_abi_reports_versions)
{
	flux_error err;
	ck_assert_int_eq(load_fixture("wrong-abi", "wrong-abi", &err), FLUX_ERR_PLUGIN);
	ck_assert_ptr_nonnull(strstr(err.message, "wrong-abi.ini:2: backend 'wrong-abi'"));
	ck_assert_ptr_nonnull(strstr(err.message, "incompatible backend ABI"));
	ck_assert_ptr_nonnull(strstr(err.message, "test_wrong_abi.so"));
	char want[128];
	snprintf(want, sizeof(want), "flux uses backend ABI %d.%d, the module was built for "
		 "ABI 3.1", FLUX_BACKEND_ABI_MAJOR, FLUX_BACKEND_ABI_MINOR);
	ck_assert_str_eq(err.detail, want);
	ck_assert_int_eq(err.line, 2);
}
END_TEST

/* No stamp: a module built for ABI 1.x, whose registration function took
 * the host table and returned its struct; refused with its version. */
START_TEST(abi_1_module_refused)
{
	flux_error err;
	ck_assert_int_eq(load_fixture("abi-1", "test-v1", &err), FLUX_ERR_PLUGIN);
	ck_assert_msg(strstr(err.message, "abi-1.ini:2: backend 'test-v1': incompatible "
			     "backend ABI in ") != NULL, "got: %s", err.message);
	char want[128];
	snprintf(want, sizeof(want), "flux uses backend ABI %d.%d, the module was built for "
		 "ABI 1.1", FLUX_BACKEND_ABI_MAJOR, FLUX_BACKEND_ABI_MINOR);
	ck_assert_str_eq(err.detail, want);
}
END_TEST

/* A 2.0 module that lost its stamp (not exported) is told apart from a
 * 1.x one by what its registration hands back, and named. */
START_TEST(missing_stamp_named)
{
	flux_error err;
	ck_assert_int_eq(load_fixture("no-stamp", "no-stamp", &err), FLUX_ERR_PLUGIN);
	ck_assert_msg(strstr(err.message, "no-stamp.ini:2: backend 'no-stamp': the module ") &&
		      strstr(err.message, "test_no_stamp.so has no ABI stamp: "
			     "flux_backend_module_abi is not exported"), "got: %s", err.message);
	ck_assert_ptr_nonnull(strstr(err.hint, "FLUX_BACKEND_MODULE;"));
}
END_TEST

/* The registration may refuse to serve: its reason, where the manifest
 * names the module. */
START_TEST(registration_refuses_with_reason)
{
	flux_error err;
	ck_assert_int_eq(load_fixture("refuses", "refuses", &err), FLUX_ERR_PLUGIN);
	ck_assert_msg(strstr(err.message, "refuses.ini:2: backend 'refuses': test backend "
			     "refuses to serve: libtest 0.9 is older than the 1.2 it needs"),
		      "got: %s", err.message);
	ck_assert_str_eq(err.hint, "install libtest 1.2 or later");
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
	ck_assert_msg(strstr(err.message, "required operation 'split' is NULL"), "got: %s",
		      err.message);
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

/* ---- trust: who may have changed a manifest or a module ---------------- */

/* The load error of backend name in the manifest directory dir. */
static int load_from(const char *dir, const char *name, flux_error *err)
{
	flux_registry *reg = open_path(dir);
	const flux_backend_info *info = flux_registry_find(reg, name);
	ck_assert_msg(info != NULL, "%s lists no backend %s", dir, name);
	const struct flux_backend *b;
	int rc = flux_registry_load(reg, info, &b, err);
	flux_registry_free(reg);
	return rc;
}

/* Problem i of the registry over dir, which must have n of them. */
static void expect_problem(const char *dir, size_t n, size_t i, const char *want)
{
	flux_registry *reg = open_path(dir);
	ck_assert_msg(flux_registry_problem_count(reg) == n, "%zu problems, wanted %zu",
		      flux_registry_problem_count(reg), n);
	if (n) {
		const char *got = flux_registry_problem(reg, i)->message;
		ck_assert_msg(strstr(got, want) != NULL, "got: %s\nwanted: %s", got, want);
	}
	flux_registry_free(reg);
}

/* A private copy of the test module, mode mode, as dir/name. */
static void copy_module(const char *dir, const char *name, mode_t mode)
{
	char src[4096], dst[4096], buf[65536];
	snprintf(src, sizeof(src), "%s/test_good.so", MODULES);
	snprintf(dst, sizeof(dst), "%s/%s", dir, name);
	int in = open(src, O_RDONLY), out = open(dst, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert(in >= 0 && out >= 0);
	ssize_t n;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		ck_assert(write(out, buf, (size_t)n) == n);
	close(in);
	close(out);
	ck_assert_int_eq(chmod(dst, mode), 0);
}

START_TEST(trusted_copy_loads)
{
	/* The control for the cases below: the same module, sane modes. */
	char *dir = tu_tmpdir();
	copy_module(dir, "mod.so", 0755);
	tu_write(dir, "m.ini", "[flux.backend]\nt = mod.so:test_good_backend\n");
	flux_error err;
	ck_assert_msg(load_from(dir, "t", &err) == FLUX_OK, "%s", err.message);
	expect_problem(dir, 0, 0, "");
}
END_TEST

START_TEST(group_writable_manifest_refused)
{
	char *dir = tu_fixture("good");
	char ini[4200];
	snprintf(ini, sizeof(ini), "%s/good.ini", dir);
	/* A group that is not the owner's private group: as root, nogroup's
	 * gid; otherwise a supplementary group of ours. */
	gid_t gid = 65534;
	if (geteuid() != 0) {
		gid_t groups[64];
		int n = getgroups(64, groups);
		gid = (gid_t)-1;
		for (int i = 0; i < n; i++)
			if (groups[i] != getegid())
				gid = groups[i];
		if (gid == (gid_t)-1) {
			fprintf(stderr, "# skipped: no group but our own to make the file "
				"writable by\n");
			return;
		}
	}
	ck_assert_int_eq(chown(ini, (uid_t)-1, gid), 0);
	ck_assert_int_eq(chmod(ini, 0664), 0);
	flux_error err;
	ck_assert_int_eq(load_from(dir, "test-good", &err), FLUX_ERR_PLUGIN);
	char want[4400];
	snprintf(want, sizeof(want), "%s:3: backend 'test-good': refused: %s: writable by its "
		 "group (gid %ld, mode 0664)", ini, ini, (long)gid);
	ck_assert_msg(strstr(err.message, want) != NULL, "got: %s", err.message);
	ck_assert_ptr_nonnull(strstr(err.hint, "FLUX_INSECURE_BACKENDS=1"));
	snprintf(want, sizeof(want), "%s: refused: writable by its group", ini);
	expect_problem(dir, 1, 0, want);
	/* The development-tree opt-out. */
	setenv("FLUX_INSECURE_BACKENDS", "1", 1);
	ck_assert_int_eq(load_from(dir, "test-good", &err), FLUX_OK);
	expect_problem(dir, 0, 0, "");
}
END_TEST

START_TEST(world_writable_module_refused)
{
	char *dir = tu_tmpdir();
	copy_module(dir, "mod.so", 0757);
	tu_write(dir, "m.ini", "[flux.backend]\nt = mod.so:test_good_backend\n");
	flux_error err;
	ck_assert_int_eq(load_from(dir, "t", &err), FLUX_ERR_PLUGIN);
	char want[4400];
	snprintf(want, sizeof(want), "m.ini:2: backend 't': refused module %s/mod.so: writable "
		 "by others (mode 0757)", dir);
	ck_assert_msg(strstr(err.message, want) != NULL, "got: %s", err.message);
}
END_TEST

/* Root and the user flux runs as are trusted; anyone else is not. */
START_TEST(files_owned_by_another_user_refused)
{
	struct passwd *nobody = getpwnam("nobody");
	if (geteuid() != 0 || !nobody) {
		fprintf(stderr, "# skipped: only root can give a file to another user\n");
		return;
	}
	char *dir = tu_tmpdir();
	copy_module(dir, "mod.so", 0755);
	char *ini = tu_write(dir, "m.ini", "[flux.backend]\nt = mod.so:test_good_backend\n");
	char want[4400];
	snprintf(want, sizeof(want), "%s/mod.so: owned by uid %ld, not by root", dir,
		 (long)nobody->pw_uid);
	char mod[4200];
	snprintf(mod, sizeof(mod), "%s/mod.so", dir);
	ck_assert_int_eq(chown(mod, nobody->pw_uid, (gid_t)-1), 0);
	flux_error err;
	ck_assert_int_eq(load_from(dir, "t", &err), FLUX_ERR_PLUGIN);
	ck_assert_msg(strstr(err.message, want) != NULL, "got: %s", err.message);
	/* The manifest given away: refused before its module is looked at. */
	ck_assert_int_eq(chown(mod, 0, (gid_t)-1), 0);
	ck_assert_int_eq(chown(ini, nobody->pw_uid, (gid_t)-1), 0);
	ck_assert_int_eq(load_from(dir, "t", &err), FLUX_ERR_PLUGIN);
	snprintf(want, sizeof(want), "%s/m.ini: owned by uid %ld, not by root", dir,
		 (long)nobody->pw_uid);
	ck_assert_msg(strstr(err.message, want) != NULL, "got: %s", err.message);
}
END_TEST

START_TEST(writable_directories_refused)
{
	char *dir = tu_fixture("good");
	ck_assert_int_eq(chmod(dir, 0777), 0);
	flux_error err;
	ck_assert_int_eq(load_from(dir, "test-good", &err), FLUX_ERR_PLUGIN);
	char want[4400];
	snprintf(want, sizeof(want), "good.ini:3: backend 'test-good': refused: %s: writable by "
		 "others and not sticky (mode 0777)", dir);
	ck_assert_msg(strstr(err.message, want) != NULL, "got: %s", err.message);
	snprintf(want, sizeof(want), "%s: refused: writable by others and not sticky (mode "
		 "0777); no backend defined there is used", dir);
	expect_problem(dir, 1, 0, want);
	/* Sticky, like /tmp: others cannot replace what we own there. */
	ck_assert_int_eq(chmod(dir, 01777), 0);
	ck_assert_int_eq(load_from(dir, "test-good", &err), FLUX_OK);
	/* Any directory above counts: here the module's. */
	ck_assert_int_eq(chmod(dir, 0700), 0);
	char sub[4200];
	snprintf(sub, sizeof(sub), "%s/lib", dir);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	copy_module(sub, "mod.so", 0755);
	tu_write(dir, "m.ini", "[flux.backend]\nt = lib/mod.so:test_good_backend\n");
	ck_assert_int_eq(load_from(dir, "t", &err), FLUX_OK);
	ck_assert_int_eq(chmod(dir, 0707), 0);
	ck_assert_int_eq(load_from(dir, "t", &err), FLUX_ERR_PLUGIN);
	ck_assert_msg(strstr(err.message, "refused: ") != NULL, "got: %s", err.message);
	ck_assert_int_eq(chmod(dir, 0700), 0);
	ck_assert_int_eq(chmod(sub, 0757), 0);
	ck_assert_int_eq(load_from(dir, "t", &err), FLUX_ERR_PLUGIN);
	snprintf(want, sizeof(want), "refused module %s/mod.so: directory %s is writable by "
		 "others and not sticky (mode 0757)", sub, sub);
	ck_assert_msg(strstr(err.message, want) != NULL, "got: %s", err.message);
}
END_TEST

/* Opening a FIFO for reading waits for a writer: it must never be opened. */
START_TEST(fifo_manifest_skipped)
{
	char *dir = tu_fixture("good");
	char fifo[4200];
	snprintf(fifo, sizeof(fifo), "%s/a.ini", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	flux_error err;
	ck_assert_int_eq(load_from(dir, "test-good", &err), FLUX_OK);
	char want[4400];
	snprintf(want, sizeof(want), "%s: skipped: not a regular file (a FIFO)", fifo);
	expect_problem(dir, 1, 0, want);
}
END_TEST

START_TEST(symlink_to_device_skipped)
{
	char *dir = tu_fixture("good");
	char link[4200];
	snprintf(link, sizeof(link), "%s/zero.ini", dir);
	ck_assert_int_eq(symlink("/dev/zero", link), 0);
	flux_error err;
	ck_assert_int_eq(load_from(dir, "test-good", &err), FLUX_OK);
	char want[4400];
	snprintf(want, sizeof(want), "%s: skipped: not a regular file (a character device)", link);
	expect_problem(dir, 1, 0, want);
}
END_TEST

/* A link is followed; what it leads to is what is checked and read. */
START_TEST(symlinked_manifest_checks_its_target)
{
	char *real = tu_fixture("good");
	char *dir = tu_tmpdir();
	char target[4200], link[4200];
	snprintf(target, sizeof(target), "%s/good.ini", real);
	snprintf(link, sizeof(link), "%s/linked.ini", dir);
	ck_assert_int_eq(symlink(target, link), 0);
	flux_error err;
	ck_assert_int_eq(load_from(dir, "test-good", &err), FLUX_OK);
	ck_assert_int_eq(chmod(target, 0646), 0);
	ck_assert_int_eq(load_from(dir, "test-good", &err), FLUX_ERR_PLUGIN);
	char want[8600];
	snprintf(want, sizeof(want), "%s: refused: %s is writable by others (mode 0646)", link,
		 target);
	expect_problem(dir, 1, 0, want);
	/* A dangling link says so. */
	ck_assert_int_eq(unlink(target), 0);
	snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", link);
	expect_problem(dir, 1, 0, want);
}
END_TEST

START_TEST(manifest_reads_are_bounded)
{
	char *dir = tu_tmpdir();
	/* 70,000 bytes of comments: no manifest is that long. */
	char *big = malloc(70001);
	ck_assert_ptr_nonnull(big);
	for (size_t i = 0; i < 70000; i += 100) {
		memset(big + i, 'x', 100);
		big[i] = '#';
		big[i + 99] = '\n';
	}
	big[70000] = '\0';
	tu_write(dir, "big.ini", big);
	free(big);
	expect_problem(dir, 1, 0, "big.ini: skipped: larger than 65536 bytes");
	char *nul = tu_tmpdir();
	char path[4200];
	snprintf(path, sizeof(path), "%s/nul.ini", nul);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fwrite("[flux.backend]\nx = a.so:s\0y = b.so:t\n", 1, 37, f);
	fclose(f);
	expect_problem(nul, 1, 0, "nul.ini:2: NUL byte in file");
}
END_TEST

int main(void)
{
	/* The fixtures this program writes must be trusted whatever umask
	 * the build ran with. */
	umask(022);
	Suite *s = suite_create("registry");
	TCase *tc = tu_tcase("registry");
	tcase_add_test(tc, good_module_loads);
	tcase_add_test(tc, relative_module_path);
	tcase_add_test(tc, wrong_abi_reports_versions);
	tcase_add_test(tc, abi_1_module_refused);
	tcase_add_test(tc, missing_stamp_named);
	tcase_add_test(tc, registration_refuses_with_reason);
	tcase_add_test(tc, missing_symbol);
	tcase_add_test(tc, registration_returns_null);
	tcase_add_test(tc, struct_too_small);
	tcase_add_test(tc, null_required_operation);
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
	/* A hang (a FIFO opened for reading) must fail fast, not after the
	 * suite's default time-out. */
	TCase *trust = tu_tcase("trust");
	tcase_set_timeout(trust, 10);
	tcase_add_test(trust, trusted_copy_loads);
	tcase_add_test(trust, group_writable_manifest_refused);
	tcase_add_test(trust, world_writable_module_refused);
	tcase_add_test(trust, files_owned_by_another_user_refused);
	tcase_add_test(trust, writable_directories_refused);
	tcase_add_test(trust, fifo_manifest_skipped);
	tcase_add_test(trust, symlink_to_device_skipped);
	tcase_add_test(trust, symlinked_manifest_checks_its_target);
	tcase_add_test(trust, manifest_reads_are_bounded);
	suite_add_tcase(s, trust);
	return tu_run(s);
}
