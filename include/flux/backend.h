/* SPDX-License-Identifier: MIT */
/* The flux backend plugin ABI: the only header a backend author needs.
 *
 * A backend is a shared object plus a manifest line.  The manifest, an INI
 * file placed in a flux.backend manifest directory, names the module and its
 * registration function:
 *
 *     [flux.backend]
 *     cooldb = cooldb.so:cooldb_flux_backend
 *
 * flux opens cooldb.so (relative to the manifest's directory, or absolute)
 * only when the backend is used, resolves the registration function and
 * calls it once with the host's service table.  It returns a pointer to a
 * const struct flux_backend that stays valid until the module is unloaded:
 *
 *     static const struct flux_backend cooldb = {
 *         FLUX_BACKEND_HEADER_INIT,
 *         .name = "cooldb", .description = "CoolDB over its C client",
 *         .create = cool_create, ...
 *     };
 *     FLUX_BACKEND_EXPORT const struct flux_backend *
 *     cooldb_flux_backend(const struct flux_host *host) { return &cooldb; }
 *
 * Build it with `pkg-config --cflags flux-backend`; there is no library to
 * link: everything the host offers arrives through struct flux_host, so a
 * backend links with -Wl,--no-undefined.
 *
 * ABI rules (as in PostgreSQL's module magic and libgit2's backends):
 * - abi_version packs MAJOR << 16 | MINOR.  The host refuses a module whose
 *   major differs from its own, reporting only the two versions.
 * - size is sizeof(struct flux_backend) as the module was compiled.  The host
 *   reads a field only when size says the module has it; it refuses a struct
 *   smaller than FLUX_BACKEND_MIN_SIZE.
 * - Both structs below only ever grow at the end.  Removing or reordering a
 *   field is a major bump.  A backend that wants a host service added in a
 *   later minor checks host->size first (FLUX_HOST_HAS()).
 * - Required operations (create ... list_applied) must not be NULL; the
 *   optional ones after them may be.
 *
 * Conventions for every operation: return FLUX_OK (0) on success, otherwise
 * a flux_status code after filling *err, preferably with host->error_set().
 * Operations are called from one thread, in the order the host documents
 * below; state is whatever create() stored. */
#ifndef FLUX_BACKEND_H
#define FLUX_BACKEND_H

#include <stddef.h>
#include <flux/status.h>
#include <flux/error.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FLUX_BACKEND_ABI_MAJOR 1
#define FLUX_BACKEND_ABI_MINOR 1
#define FLUX_BACKEND_ABI_VERSION \
	((unsigned int)((FLUX_BACKEND_ABI_MAJOR << 16) | FLUX_BACKEND_ABI_MINOR))
#define FLUX_ABI_MAJOR_OF(v) ((unsigned int)(v) >> 16)
#define FLUX_ABI_MINOR_OF(v) ((unsigned int)(v) & 0xffffu)

#if defined(__GNUC__)
#define FLUX_BACKEND_EXPORT __attribute__((visibility("default")))
#define FLUX_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define FLUX_BACKEND_EXPORT
#define FLUX_PRINTF(f, a)
#endif

/* Log levels, numerically equal to Python's logging levels, so the
 * log_level names of flux.toml keep their meaning. */
enum flux_log_level {
	FLUX_LOG_DEBUG = 10,
	FLUX_LOG_INFO = 20,
	FLUX_LOG_WARNING = 30,
	FLUX_LOG_ERROR = 40
};

/* The [backend] table of flux.toml; opaque, read through the host. */
struct flux_options;

/* Services the host offers to backends.  Append-only. */
struct flux_host {
	unsigned int abi_version;   /* the host's FLUX_BACKEND_ABI_VERSION */
	unsigned int size;          /* sizeof(struct flux_host) in the host */

	/* Send a message to the host's log (the CLI prints it on stderr when
	 * the configured log level allows). */
	void (*log)(const struct flux_host *host, int level, const char *fmt, ...)
		FLUX_PRINTF(3, 4);

	/* Fill err: code, and a printf-formatted one-line message.  Clears
	 * the other fields.  Returns code, so `return host->error_set(...)`. */
	int (*error_set)(flux_error *err, flux_status code, const char *fmt, ...)
		FLUX_PRINTF(3, 4);

	/* Typed reads of [backend] options.  A missing key yields the
	 * default.  A present key of the wrong type fails with
	 * FLUX_ERR_CONFIG and a message naming the key, flux.toml and its
	 * line.  Strings stay owned by the host for the backend's life. */
	int (*option_string)(const struct flux_options *opts, const char *key,
			     const char *def, const char **out, flux_error *err);
	int (*option_int)(const struct flux_options *opts, const char *key,
			  long long def, long long *out, flux_error *err);
	int (*option_bool)(const struct flux_options *opts, const char *key,
			   int def, int *out, flux_error *err);

	void *host_data;            /* private to the host */

	/* --- ABI 1.1 (check FLUX_HOST_HAS(host, option_error)) --- */
	/* Fill err with FLUX_ERR_CONFIG for a [backend] value the backend
	 * refuses, prefixed with the flux.toml file and line that set key, so
	 * the user sees where to fix it.  Returns FLUX_ERR_CONFIG. */
	int (*option_error)(const struct flux_options *opts, const char *key,
			    flux_error *err, const char *fmt, ...) FLUX_PRINTF(4, 5);
};

#define FLUX_HOST_HAS(host, field) \
	((host)->size >= offsetof(struct flux_host, field) + sizeof((host)->field))

/* Flags for apply(). */
#define FLUX_APPLY_NO_TRANSACTION 0x1u  /* the host has not opened a
					   transaction; the SQL must run
					   statement by statement outside
					   one (`-- flux: no-transaction`) */

/* What run_step() does to the record table besides running the SQL. */
enum flux_record_action {
	FLUX_RECORD_NONE = 0,       /* repeatable migration: no record */
	FLUX_RECORD_REGISTER = 1,   /* insert (id, hash) */
	FLUX_RECORD_UNREGISTER = 2  /* delete id */
};

/* One unit of work for run_step(). */
struct flux_step {
	const char *id;             /* migration id */
	const char *hash;           /* lower-case hex MD5, for REGISTER */
	const char *sql;            /* not NUL-terminated necessarily */
	size_t len;
	int record;                 /* enum flux_record_action */
};

/* Which way an unfinished no-transaction migration was going (ABI 1.1). */
enum flux_mark_direction {
	FLUX_MARK_APPLY = 1,
	FLUX_MARK_ROLLBACK = 2
};

/* Called once per mark left by an unfinished no-transaction migration;
 * progress is the backend's own words for how far it got ("2 of 3
 * statements ran", "statement 2 of 3 failed: ...").  Non-zero stops. */
typedef int (*flux_mark_fn)(void *ctx, const char *id, int direction,
			    const char *started_at, const char *progress);

/* Called once per row of the record table; return non-zero to stop. */
typedef int (*flux_applied_fn)(void *ctx, const char *id, const char *hash,
			       const char *applied_at);

struct flux_backend {
	unsigned int abi_version;   /* FLUX_BACKEND_ABI_VERSION */
	unsigned int size;          /* sizeof(struct flux_backend) */
	const char *name;           /* short name, e.g. "postgres" */
	const char *description;    /* one line for `flux backends` */

	/* --- required --- */

	/* Parse options and the connection URI; do not connect yet.  The
	 * host keeps opts and uri alive until destroy(). */
	int (*create)(const struct flux_host *host, const struct flux_options *opts,
		      const char *uri, void **state, flux_error *err);
	/* Free everything; called after disconnect(), also after a failed
	 * connect(). */
	void (*destroy)(void *state);
	int (*connect)(void *state, flux_error *err);
	int (*disconnect)(void *state, flux_error *err);
	/* Take the run-long migration lock that keeps other flux processes
	 * out.  timeout_seconds < 0 waits for ever; on time-out return
	 * FLUX_ERR_LOCK_TIMEOUT naming the holder when known. */
	int (*lock)(void *state, double timeout_seconds, flux_error *err);
	int (*unlock)(void *state, flux_error *err);
	int (*begin)(void *state, flux_error *err);
	int (*commit)(void *state, flux_error *err);
	int (*rollback)(void *state, flux_error *err);
	/* Does the record table exist? */
	int (*is_initialized)(void *state, int *initialized, flux_error *err);
	/* Create the record table (and schema); idempotent. */
	int (*initialize)(void *state, flux_error *err);
	int (*register_migration)(void *state, const char *id, const char *hash,
				  flux_error *err);
	int (*unregister_migration)(void *state, const char *id, flux_error *err);
	/* Run a migration's SQL text exactly as written.  On failure set
	 * err->position (1-based byte offset in sql) when the database
	 * reports one, and err->sqlstate when it has codes. */
	int (*apply)(void *state, const char *sql, size_t len, unsigned int flags,
		     flux_error *err);
	int (*list_applied)(void *state, flux_applied_fn fn, void *ctx,
			    flux_error *err);

	/* --- optional (NULL: the host composes the required ones) --- */

	/* begin + apply + record + commit as one atomic unit, in as few
	 * round trips as the database allows; on failure nothing of it may
	 * remain.  err->position is relative to step->sql. */
	int (*run_step)(void *state, const struct flux_step *step, flux_error *err);

	/* --- optional, ABI 1.1: no-transaction migrations that stop half-way ---
	 * Such a migration runs outside any transaction, so a failed
	 * statement, a lost connection or a killed process can leave it partly
	 * done, and its record alone cannot say so.  Before running one, the
	 * host calls mark_begin(), which must commit at once; until the next
	 * mark_begin() or mark_end(), the backend may note in the mark how far
	 * apply(FLUX_APPLY_NO_TRANSACTION) got.  The host calls mark_end()
	 * inside the transaction that writes (or deletes) the migration's
	 * record, so the mark and the record change together.  A mark that
	 * is left means "started and did not finish"; list_marks() reports
	 * them to status and validate.  All three, or none. */
	int (*mark_begin)(void *state, const char *id, int direction, flux_error *err);
	int (*mark_end)(void *state, const char *id, flux_error *err);
	int (*list_marks)(void *state, flux_mark_fn fn, void *ctx, flux_error *err);

	/* --- optional, ABI 1.1: stopping a run (Ctrl-C) ---
	 * Ask the database to stop what this connection runs now, so that the
	 * operation in progress fails and its transaction rolls back.  Called
	 * from a signal handler (or another thread) while another operation
	 * runs, so it must be async-signal-safe: libpq's PQcancel() and
	 * sqlite3_interrupt() are.  Without it, the host stops only between
	 * migrations. */
	void (*cancel)(void *state);
};

/* Whether a module's struct has an optional operation: the struct the
 * module was built with reaches the field, and the field is set. */
#define FLUX_BACKEND_HAS(b, field) \
	((b)->size >= offsetof(struct flux_backend, field) + sizeof((b)->field) && \
	 (b)->field != NULL)

/* The smallest struct flux_backend the host accepts: up to list_applied. */
#define FLUX_BACKEND_MIN_SIZE \
	(offsetof(struct flux_backend, list_applied) + sizeof(void (*)(void)))

#define FLUX_BACKEND_HEADER_INIT \
	.abi_version = FLUX_BACKEND_ABI_VERSION, .size = sizeof(struct flux_backend)

/* The registration function named in the manifest. */
typedef const struct flux_backend *(*flux_backend_register_fn)(
	const struct flux_host *host);

#ifdef __cplusplus
}
#endif
#endif
