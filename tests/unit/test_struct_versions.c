/* SPDX-License-Identifier: MIT */
/* Version-stamped option structs: libflux reads and writes only the bytes
 * of the version the caller was built with, and refuses a version it does
 * not know.  A program built against an older flux.h has a smaller struct;
 * each frozen layout below is such a program's view, kept as it was when
 * its version was current, and placed so that its last byte is the last
 * byte of a readable page: touching anything after it kills the test. */
#include <config.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <flux/flux.h>

#include "testutil.h"

/* flux_open_options version 1, frozen. */
struct open_options_v1 {
	unsigned int version;
	const char *config_path;
	const char *uri;
	const char *backend_path;
	double lock_timeout;
	flux_log_fn log;
	void *log_ctx;
	int log_level;
	const flux_config *config;
	int read_only;
	double helper_timeout;
	void (*opening)(void *ctx, flux_project *p);
	void *opening_ctx;
	int no_cache;
};

/* flux_open_options.opening for the tests: the last project published. */
static void remember(void *ctx, flux_project *p)
{
	*(flux_project **)ctx = p;
}

/* Version 1 is a prefix of every later flux_open_options. */
#define SAME_FIELD(f) \
	_Static_assert(offsetof(struct open_options_v1, f) == offsetof(flux_open_options, f), \
		       "flux_open_options." #f " moved")
SAME_FIELD(version);
SAME_FIELD(config_path);
SAME_FIELD(uri);
SAME_FIELD(backend_path);
SAME_FIELD(lock_timeout);
SAME_FIELD(log);
SAME_FIELD(log_ctx);
SAME_FIELD(log_level);
SAME_FIELD(config);
SAME_FIELD(read_only);
SAME_FIELD(helper_timeout);
SAME_FIELD(opening);
SAME_FIELD(opening_ctx);
SAME_FIELD(no_cache);
_Static_assert(sizeof(struct open_options_v1) <= sizeof(flux_open_options),
	       "flux_open_options shrank");

/* flux_init_options version 1, frozen. */
struct init_options_v1 {
	unsigned int version;
	const char *config_path;
	const char *backend;
	const char *migration_directory;
	const char *log_level;
	const char *backend_path;
	flux_log_fn log;
	void *log_ctx;
};
_Static_assert(offsetof(struct init_options_v1, log_ctx) ==
	       offsetof(flux_init_options, log_ctx), "flux_init_options changed");
_Static_assert(sizeof(struct init_options_v1) <= sizeof(flux_init_options),
	       "flux_init_options shrank");

/* flux_new_options version 1, frozen. */
struct new_options_v1 {
	unsigned int version;
	const char *config_path;
	const char *description;
	flux_migration_kind kind;
	flux_stage stage;
	const char *date;
};
_Static_assert(offsetof(struct new_options_v1, date) == offsetof(flux_new_options, date),
	       "flux_new_options changed");
_Static_assert(sizeof(struct new_options_v1) <= sizeof(flux_new_options),
	       "flux_new_options shrank");

/* size bytes that end where an unreadable page starts. */
static void *at_page_end(size_t size)
{
	long page = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(m, MAP_FAILED);
	ck_assert_int_eq(mprotect(m + page, (size_t)page, PROT_NONE), 0);
	return m + page - size;
}

static char cfg[4200], uri[4300];

static void project(void)
{
	char *dir = tu_tmpdir();
	tu_write(dir, "flux.toml", "[flux]\nbackend = \"sqlite\"\nmigration_directory = "
		 "\"migrations\"\n");
	tu_write(dir, "migrations/001_a.sql", "CREATE TABLE a (x int);\n");
	snprintf(cfg, sizeof(cfg), "%s/flux.toml", dir);
	snprintf(uri, sizeof(uri), "sqlite:%s/app.db", dir);
}

START_TEST(open_options_macro_and_init_agree)
{
	flux_open_options m = FLUX_OPEN_OPTIONS_INIT, f;
	memset(&f, 0x5A, sizeof(f));
	ck_assert_int_eq(flux_open_options_init(&f, FLUX_OPEN_OPTIONS_VERSION), FLUX_OK);
	ck_assert_uint_eq(m.version, FLUX_OPEN_OPTIONS_VERSION);
	ck_assert_uint_eq(f.version, m.version);
	ck_assert_str_eq(f.config_path, "flux.toml");
	ck_assert_str_eq(m.config_path, "flux.toml");
	ck_assert_ptr_null(f.uri);
	ck_assert_ptr_null(f.backend_path);
	ck_assert(f.lock_timeout < 0 && m.lock_timeout < 0);
	ck_assert_ptr_null(f.log);
	ck_assert_ptr_null(f.log_ctx);
	ck_assert_int_eq(f.log_level, 0);
	ck_assert_ptr_null(f.config);
	ck_assert_int_eq(f.read_only, 0);
	ck_assert(f.helper_timeout == 0 && m.helper_timeout == 0);
	ck_assert_ptr_null(f.opening);
	ck_assert_ptr_null(m.opening);
}
END_TEST

START_TEST(open_options_v1_neither_written_nor_read_past)
{
	project();
	struct open_options_v1 *o = at_page_end(sizeof(*o));
	memset(o, 0x5A, sizeof(*o));
	ck_assert_int_eq(flux_open_options_init((flux_open_options *)o, 1), FLUX_OK);
	ck_assert_uint_eq(o->version, 1);
	ck_assert_str_eq(o->config_path, "flux.toml");
	ck_assert(o->lock_timeout < 0);
	ck_assert_ptr_null(o->opening);
	o->config_path = cfg;
	o->uri = uri;
	o->backend_path = BUILD_BACKENDS;
	o->read_only = 1;
	flux_project *slot = NULL;
	o->opening = remember;
	o->opening_ctx = &slot;
	flux_project *p;
	flux_error err;
	ck_assert_msg(flux_project_open((const flux_open_options *)o, &p, &err) == FLUX_OK,
		      "open: %s", err.message);
	ck_assert_uint_eq(flux_migrations_count(flux_project_migrations(p), FLUX_STAGE_MAIN), 1);
	ck_assert_ptr_null(slot);
	flux_project_close(p);
}
END_TEST

START_TEST(open_options_unknown_version_refused)
{
	project();
	flux_open_options o;
	unsigned char before[sizeof(o)];
	memset(&o, 0x5A, sizeof(o));
	memcpy(before, &o, sizeof(o));
	ck_assert_int_eq(flux_open_options_init(&o, FLUX_OPEN_OPTIONS_VERSION + 1),
			 FLUX_ERR_INVALID);
	ck_assert_int_eq(flux_open_options_init(&o, 0), FLUX_ERR_INVALID);
	ck_assert_int_eq(memcmp(&o, before, sizeof(o)), 0);

	flux_open_options_init(&o, FLUX_OPEN_OPTIONS_VERSION);
	o.config_path = cfg;
	o.uri = uri;
	o.backend_path = BUILD_BACKENDS;
	flux_project *slot = (flux_project *)&o;
	o.opening = remember;
	o.opening_ctx = &slot;
	flux_project *p = (flux_project *)&o;
	flux_error err;
	o.version = FLUX_OPEN_OPTIONS_VERSION + 1;
	ck_assert_int_eq(flux_project_open(&o, &p, &err), FLUX_ERR_INVALID);
	ck_assert_ptr_null(p);
	ck_assert_ptr_eq(slot, (flux_project *)&o);
	char want[128];
	snprintf(want, sizeof(want), "flux_open_options version %u is not one this libflux "
		 "knows (1 to %u)", FLUX_OPEN_OPTIONS_VERSION + 1, FLUX_OPEN_OPTIONS_VERSION);
	ck_assert_str_eq(err.message, want);
	ck_assert_ptr_nonnull(strstr(err.hint, "newer flux.h"));
	o.version = 0;
	ck_assert_int_eq(flux_project_open(&o, &p, &err), FLUX_ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(err.hint, "FLUX_OPEN_OPTIONS_INIT or flux_open_options_init()"));
	ck_assert_ptr_eq(slot, (flux_project *)&o);
}
END_TEST

START_TEST(init_and_new_options_v1_neither_written_nor_read_past)
{
	project();
	unlink(cfg);
	struct init_options_v1 *io = at_page_end(sizeof(*io));
	memset(io, 0x5A, sizeof(*io));
	ck_assert_int_eq(flux_init_options_init((flux_init_options *)io, 1), FLUX_OK);
	ck_assert_str_eq(io->config_path, "flux.toml");
	ck_assert_str_eq(io->migration_directory, "migrations");
	ck_assert_ptr_null(io->backend);
	ck_assert_ptr_null(io->log_ctx);
	io->config_path = cfg;
	io->backend = "sqlite";
	io->backend_path = BUILD_BACKENDS;
	flux_error err;
	ck_assert_msg(flux_project_init_check((const flux_init_options *)io, &err) == FLUX_OK,
		      "%s", err.message);
	ck_assert_msg(flux_project_init((const flux_init_options *)io, &err) == FLUX_OK, "%s",
		      err.message);

	struct new_options_v1 *no = at_page_end(sizeof(*no));
	memset(no, 0x5A, sizeof(*no));
	ck_assert_int_eq(flux_new_options_init((flux_new_options *)no, 1), FLUX_OK);
	ck_assert_str_eq(no->config_path, "flux.toml");
	ck_assert_int_eq(no->kind, FLUX_KIND_PYTHON);
	ck_assert_int_eq(no->stage, FLUX_STAGE_MAIN);
	ck_assert_ptr_null(no->date);
	no->config_path = cfg;
	no->description = "x";
	no->date = "20240102";
	flux_new_migration *m;
	ck_assert_msg(flux_new_migration_create((const flux_new_options *)no, &m, &err) ==
		      FLUX_OK, "%s", err.message);
	ck_assert_str_eq(flux_new_migration_id(m), "20240102_001_x");
	flux_new_migration_free(m);
}
END_TEST

START_TEST(init_and_new_options_unknown_version_refused)
{
	project();
	unlink(cfg);
	flux_init_options io;
	flux_new_options no;
	unsigned char before_io[sizeof(io)], before_no[sizeof(no)];
	memset(&io, 0x5A, sizeof(io));
	memset(&no, 0x5A, sizeof(no));
	memcpy(before_io, &io, sizeof(io));
	memcpy(before_no, &no, sizeof(no));
	ck_assert_int_eq(flux_init_options_init(&io, FLUX_INIT_OPTIONS_VERSION + 1),
			 FLUX_ERR_INVALID);
	ck_assert_int_eq(flux_init_options_init(&io, 0), FLUX_ERR_INVALID);
	ck_assert_int_eq(flux_new_options_init(&no, FLUX_NEW_OPTIONS_VERSION + 1),
			 FLUX_ERR_INVALID);
	ck_assert_int_eq(flux_new_options_init(&no, 0), FLUX_ERR_INVALID);
	ck_assert_int_eq(memcmp(&io, before_io, sizeof(io)), 0);
	ck_assert_int_eq(memcmp(&no, before_no, sizeof(no)), 0);

	flux_init_options_init(&io, FLUX_INIT_OPTIONS_VERSION);
	io.config_path = cfg;
	io.backend = "sqlite";
	io.backend_path = BUILD_BACKENDS;
	io.version = FLUX_INIT_OPTIONS_VERSION + 1;
	flux_error err;
	ck_assert_int_eq(flux_project_init_check(&io, &err), FLUX_ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(err.message, "flux_init_options version"));
	ck_assert_int_eq(flux_project_init(&io, &err), FLUX_ERR_INVALID);
	ck_assert_int_eq(access(cfg, F_OK), -1);

	project();
	flux_new_options_init(&no, FLUX_NEW_OPTIONS_VERSION);
	no.config_path = cfg;
	no.description = "x";
	no.version = 0;
	flux_new_migration *m;
	ck_assert_int_eq(flux_new_migration_create(&no, &m, &err), FLUX_ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(err.hint, "FLUX_NEW_OPTIONS_INIT or flux_new_options_init()"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("struct_versions");
	TCase *tc = tu_tcase("struct_versions");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, open_options_macro_and_init_agree);
	tcase_add_test(tc, open_options_v1_neither_written_nor_read_past);
	tcase_add_test(tc, open_options_unknown_version_refused);
	tcase_add_test(tc, init_and_new_options_v1_neither_written_nor_read_past);
	tcase_add_test(tc, init_and_new_options_unknown_version_refused);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
