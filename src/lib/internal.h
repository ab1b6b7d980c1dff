/* SPDX-License-Identifier: MIT */
/* Declarations shared inside libflux; not installed. */
#ifndef FLUX_INTERNAL_H
#define FLUX_INTERNAL_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <flux/flux.h>

/* Everything declared below is libflux's own: hidden from the shared
 * library's symbol table, so only include/flux/ is ABI. */
#pragma GCC visibility push(hidden)

/* A growable byte buffer, always NUL-terminated when data != NULL. */
typedef struct flux_buf {
	char *data;
	size_t len;
	size_t cap;
} flux_buf;

int flux_buf_append(flux_buf *b, const void *data, size_t len);
int flux_buf_appendf(flux_buf *b, const char *fmt, ...) FLUX_PRINTF(2, 3);
void flux_buf_free(flux_buf *b);
/* Hand the bytes over to the caller (NUL-terminated, never NULL). */
char *flux_buf_steal(flux_buf *b);

/* Room for one more item in the array at *items (count used of *cap, each
 * size bytes), doubling from first: 0, or -1 out of memory (nothing
 * changed).  items is the address of the array's pointer. */
int flux_grow(void *items, size_t *cap, size_t count, size_t size, size_t first);
char *flux_strdup(const char *s);
char *flux_strndup(const char *s, size_t n);
char *flux_path_join(const char *dir, const char *name);
/* The directory part of path ("." when there is none); caller frees. */
char *flux_path_dirname(const char *path);
/* Seconds on the monotonic clock: the one clock of libflux, for time
 * limits, lock waits and step durations. */
double flux_clock_now(void);
/* Read a whole file; *data is NUL-terminated. */
int flux_file_read(const char *path, char **data, size_t *len, flux_error *err);
/* The length of the valid UTF-8 prefix of s (len when all of it is). */
size_t flux_utf8_check(const char *s, size_t len);
/* s for a one-line message: control characters and bytes that are not
 * UTF-8 written as \n, \t, \r, \xNN; cut to fit outsz. */
void flux_escape(const char *s, size_t len, char *out, size_t outsz);

int flux_error_vset(flux_error *err, flux_status code, const char *fmt, va_list ap)
	FLUX_PRINTF(3, 0);
void flux_error_detail(flux_error *err, const char *fmt, ...) FLUX_PRINTF(2, 3);
void flux_error_hint(flux_error *err, const char *fmt, ...) FLUX_PRINTF(2, 3);
void flux_error_at(flux_error *err, const char *file, int line);
/* uri's scheme followed by "://" or ":" and an ellipsis (only the
 * ellipsis without a scheme): what can be shown of a URI without its
 * backend's rules.  Returns the length of the text. */
size_t flux_uri_scheme_only(const char *uri, char *out, size_t size);
/* flux_error_set() with the place the user must look: the message starts
 * "FILE:LINE: " ("FILE: " when line <= 0) and err->file, err->line are set.
 * Callers pass a literal format, so -Wformat=2 checks every message. */
int flux_error_setf_at(flux_error *err, flux_status code, const char *file, int line,
		       const char *fmt, ...) FLUX_PRINTF(5, 6);
int flux_error_vsetf_at(flux_error *err, flux_status code, const char *file, int line,
			const char *fmt, va_list ap) FLUX_PRINTF(5, 0);
/* Turn err->position (an offset into text) into line, column and the
 * text of that line, naming file and migration. */
void flux_error_locate(flux_error *err, const char *file, const char *migration,
		       const char *text, size_t len);
/* After flux_error_locate() on SQL that running source_path produced (a .py
 * migration, a generator script): move the location into source_path when
 * the failing line appears there exactly once (a triple-quoted string, say),
 * else mark the file as "(generated SQL)", whose lines the numbers count. */
void flux_error_locate_generated(flux_error *err, const char *source_path);

/* Reading backend manifests through inih with line numbers (ini_file.c),
 * from an open stream named path in messages; max_bytes > 0 refuses a
 * file longer than that. */
typedef int (*flux_ini_fn)(void *ctx, int line, const char *section,
			   const char *key, const char *value, flux_error *err);
int flux_ini_read_stream(FILE *fp, const char *path, size_t max_bytes, flux_ini_fn fn,
			 void *ctx, flux_error *err);

/* Problems in flux.toml that do not stop flux (an unknown log_level),
 * each "FILE:LINE: ..."; flux_project_open logs them (config.c). */
size_t flux_config_warning_count(const flux_config *cfg);
const char *flux_config_warning(const flux_config *cfg, size_t i);

/* Options (options.c). */
struct flux_options *flux_options_new(const char *file);
int flux_options_add(struct flux_options *o, const char *key, const char *value,
		     int quoted, int line, flux_error *err);
void flux_options_free(struct flux_options *o);

/* Host service table for plugins (host.c). */
struct flux_logger {
	flux_log_fn fn;
	void *ctx;
	int level;
};
/* A table whose log() goes to logger (NULL: nowhere). */
void flux_host_init(struct flux_host *host, const struct flux_logger *logger);
/* The table used when registering modules, with no logger. */
const struct flux_host *flux_host_table(void);
void flux_logf(const struct flux_logger *lg, int level, const char *fmt, ...)
	FLUX_PRINTF(3, 4);


/* The helper programs of one project (spawn.c): their time limit, and the
 * process groups running now, so that flux_project_cancel() can kill them
 * from another thread.  All zero: no limit, nothing running. */
#define FLUX_HELPER_SLOTS 4
typedef struct flux_helpers {
	double timeout;                        /* seconds; <= 0: none */
	atomic_int cancelled;
	atomic_int running[FLUX_HELPER_SLOTS]; /* process group ids; 0: free */
} flux_helpers;
/* Kill the running helpers' process groups and refuse to start more.
 * Lock-free (only atomics and kill(2)). */
void flux_helpers_cancel(flux_helpers *h);

/* Running helper programs (spawn.c): argv[0] is searched in PATH when it
 * has no slash.  The helper runs in its own process group, which is
 * killed when it exits, times out or h is cancelled (h may be NULL: no
 * limit, no cancel).  Captures stdout and stderr; *status is the exit
 * status, or 128 + signal.  Errors name name (argv[0] when NULL):
 * FLUX_ERR_CANCELLED, or FLUX_ERR_LOAD with *status -1 after the time
 * limit (out then holds what it wrote before). */
int flux_spawn_capture(const char *const argv[], const char *cwd, const char *name,
		       flux_helpers *h, flux_buf *out, flux_buf *errout, int *status,
		       flux_error *err);

/* Python migrations (python.c): evaluate apply() and undo() of many files
 * in one interpreter. */
typedef struct flux_py_result {
	char *up;          /* apply() result, NULL on error */
	size_t up_len;
	char *undo;        /* undo() result, NULL when undefined */
	size_t undo_len;
	int has_undo;
	char *error;       /* Python's message and traceback, or NULL */
	int error_line;    /* the failing line of the .py file, 0 if unknown */
	int error_column;  /* its column (SyntaxError only), 0 if unknown */
} flux_py_result;
int flux_python_eval(const char *const *paths, size_t n, flux_helpers *h,
		     flux_py_result *results, flux_error *err);


/* FLUX_MIGRATION_* flags from a directive on the SQL's first line
 * (`-- flux: no-transaction`), in migrations.c. */
unsigned int flux_sql_directives(const char *sql, size_t len);

/* For read_ahead.c (migrations.c): whether m's up text is to be read
 * ahead, its slot opened if so (before the reading thread starts); the
 * read (in that thread); the slot emptied (after it has ended). */
int flux_migration_ahead_open(const flux_migration *m);
void flux_migration_ahead_read(const flux_migration *m);
void flux_migration_ahead_close(const flux_migration *m);

#pragma GCC visibility pop

#endif
