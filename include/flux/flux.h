/* SPDX-License-Identifier: MIT */
/* libflux: the public API of the flux migration library.
 *
 * Everything the flux command does is available here; the CLI is a thin
 * client.  No function prints or exits: each returns a flux_status and, on
 * failure, fills a caller-owned flux_error.
 *
 * A typical test of one's own migrations:
 *
 *     flux_open_options o;
 *     flux_open_options_init(&o);
 *     o.config_path = "flux.toml";
 *     o.uri = "sqlite:test.db";
 *     flux_project *p;
 *     flux_error err;
 *     if (flux_project_open(&o, &p, &err) != FLUX_OK) ...;
 *     flux_plan *plan;
 *     flux_plan_apply(p, -1, &plan, &err);
 *     flux_plan_execute(p, plan, NULL, NULL, &err);
 *     flux_plan_free(plan);
 *     flux_project_close(p);
 */
#ifndef FLUX_FLUX_H
#define FLUX_FLUX_H

#include <stddef.h>
#include <flux/status.h>
#include <flux/error.h>
#include <flux/backend.h>

#ifdef __cplusplus
extern "C" {
#endif

const char *flux_version(void);
/* A short English name for a status code ("migration failed", ...). */
const char *flux_status_name(flux_status code);

/* ---- configuration (flux.toml) ---------------------------------------- */

typedef struct flux_config flux_config;

/* Read a flux.toml.  Errors name the file and line. */
int flux_config_load(const char *path, flux_config **out, flux_error *err);
void flux_config_free(flux_config *cfg);
const char *flux_config_path(const flux_config *cfg);
const char *flux_config_backend(const flux_config *cfg);
/* As written in the file; relative paths are relative to the file's
 * directory (see flux_config_migration_path). */
const char *flux_config_migration_directory(const flux_config *cfg);
/* The migration directory resolved against the config file's directory;
 * owned by cfg. */
const char *flux_config_migration_path(const flux_config *cfg);
const char *flux_config_log_level(const flux_config *cfg);   /* or NULL */
int flux_config_apply_repeatable_on_undo(const flux_config *cfg);
const struct flux_options *flux_config_backend_options(const flux_config *cfg);

/* Typed reads of [backend] options; the same functions back the host
 * services handed to plugins. */
int flux_options_string(const struct flux_options *opts, const char *key,
			const char *def, const char **out, flux_error *err);
int flux_options_int(const struct flux_options *opts, const char *key,
		     long long def, long long *out, flux_error *err);
int flux_options_bool(const struct flux_options *opts, const char *key,
		      int def, int *out, flux_error *err);
/* FLUX_ERR_CONFIG about key's value: "flux.toml:LINE: " and the message,
 * with err's file and line set to where key is. */
int flux_options_error(const struct flux_options *opts, const char *key, flux_error *err,
		       const char *fmt, ...) FLUX_PRINTF(4, 5);
/* A string naming a database object: it must match ^[A-Za-z0-9_]+$ and be
 * at most max_len bytes, else FLUX_ERR_CONFIG as flux_options_error()
 * says it.  A missing key yields def, unchecked. */
int flux_options_identifier(const struct flux_options *opts, const char *key,
			    const char *def, size_t max_len, const char **out,
			    flux_error *err);
size_t flux_options_count(const struct flux_options *opts);
const char *flux_options_key(const struct flux_options *opts, size_t i);
/* Line of key i in flux.toml, and whether any accessor has read it. */
int flux_options_line(const struct flux_options *opts, size_t i);
int flux_options_used(const struct flux_options *opts, size_t i);

/* Parse a log level name as Python's logging does, in any case: CRITICAL
 * and FATAL (50), ERROR, WARNING and WARN, INFO, DEBUG, and NOTSET, which
 * lets everything through and gives 1; returns 0 for an unknown name. */
int flux_log_level_parse(const char *name);

/* ---- backend registry (manifest discovery) ---------------------------- */

typedef struct flux_registry flux_registry;
typedef struct flux_backend_info flux_backend_info;

/* The compiled-in manifest directories searched after FLUX_BACKEND_PATH,
 * colon-separated, in search order. */
const char *flux_registry_system_dir(void);

/* Scan manifest directories.  search_path is a colon-separated list; NULL
 * means $FLUX_BACKEND_PATH followed by the system directory.  Manifests
 * are read now, modules opened only by flux_registry_load().  Problems
 * with single manifests or lines do not fail the scan: they are kept as
 * problems (see below) and the good entries stay usable.  Fails only when
 * out of memory. */
int flux_registry_open(const char *search_path, flux_registry **out,
		       flux_error *err);
void flux_registry_free(flux_registry *reg);
size_t flux_registry_count(const flux_registry *reg);
const flux_backend_info *flux_registry_get(const flux_registry *reg, size_t i);
/* The visible (first, unshadowed) backend of that name, or NULL. */
const flux_backend_info *flux_registry_find(const flux_registry *reg,
					    const char *name);
/* The directories searched, in order, and whether each exists. */
size_t flux_registry_dir_count(const flux_registry *reg);
const char *flux_registry_dir(const flux_registry *reg, size_t i, int *exists);
size_t flux_registry_problem_count(const flux_registry *reg);
const flux_error *flux_registry_problem(const flux_registry *reg, size_t i);

/* Open the module, resolve and call its registration function, verify the
 * result.  Repeated calls return the same struct. */
int flux_registry_load(flux_registry *reg, const flux_backend_info *info,
		       const struct flux_backend **out, flux_error *err);

const char *flux_backend_info_name(const flux_backend_info *info);
const char *flux_backend_info_module(const flux_backend_info *info);
const char *flux_backend_info_symbol(const flux_backend_info *info);
const char *flux_backend_info_manifest(const flux_backend_info *info);
int flux_backend_info_line(const flux_backend_info *info);
/* NULL when visible, else the entry that shadows it. */
const flux_backend_info *flux_backend_info_shadowed_by(const flux_backend_info *info);

/* ---- migrations ------------------------------------------------------- */

typedef enum flux_stage {
	FLUX_STAGE_PRE = 0,     /* pre-apply/: repeatable, before */
	FLUX_STAGE_MAIN = 1,    /* the versioned migrations */
	FLUX_STAGE_POST = 2     /* post-apply/: repeatable, after */
} flux_stage;

typedef enum flux_migration_kind {
	FLUX_KIND_SQL = 0,      /* ID.sql (+ ID.undo.sql) */
	FLUX_KIND_PYTHON = 1,   /* ID.py with apply() and optional undo() */
	FLUX_KIND_SCRIPT = 2    /* executable: `FILE apply` / `FILE undo` */
} flux_migration_kind;

typedef struct flux_migrations flux_migrations;
typedef struct flux_migration flux_migration;

/* Read a migration directory with its pre-apply/ and post-apply/.
 * Python migrations are evaluated (in one python3 process, or
 * $FLUX_PYTHON) and generator scripts run, so every up SQL text and its
 * hash are known on return. */
int flux_migrations_read(const char *dir, flux_migrations **out, flux_error *err);
void flux_migrations_free(flux_migrations *set);
size_t flux_migrations_count(const flux_migrations *set, flux_stage stage);
const flux_migration *flux_migrations_get(const flux_migrations *set,
					  flux_stage stage, size_t i);
const flux_migration *flux_migrations_find(const flux_migrations *set,
					   const char *id);

const char *flux_migration_id(const flux_migration *m);
const char *flux_migration_path(const flux_migration *m);
flux_migration_kind flux_migration_kind_of(const flux_migration *m);
flux_stage flux_migration_stage(const flux_migration *m);
const char *flux_migration_up(const flux_migration *m, size_t *len);
const char *flux_migration_hash(const flux_migration *m);
/* Flags from directives on a migration's first line. */
#define FLUX_MIGRATION_NO_TRANSACTION 0x1u /* `-- flux: no-transaction`: run
					      statement by statement, outside
					      a transaction */
/* FLUX_MIGRATION_* flags of the migration's up SQL. */
unsigned int flux_migration_flags(const flux_migration *m);
/* Whether an undo exists (for scripts: assumed, asked on use). */
int flux_migration_has_undo(const flux_migration *m);
/* The file the undo comes from (ID.undo.sql, or the migration itself). */
const char *flux_migration_undo_path(const flux_migration *m);
/* The undo SQL, generated on first use; *sql is NULL when there is none. */
int flux_migration_undo(const flux_migration *m, const char **sql, size_t *len,
			flux_error *err);

/* Lower-case hex MD5 of data, as the Python tool stores it. */
void flux_md5_hex(const void *data, size_t len, char out[33]);

/* ---- projects: open, inspect, plan, execute -------------------------- */

typedef void (*flux_log_fn)(void *ctx, int level, const char *message);

typedef struct flux_project flux_project;

typedef struct flux_open_options {
	const char *config_path;   /* default "flux.toml" */
	const char *uri;           /* required */
	const char *backend_path;  /* manifest search path; NULL: default */
	double lock_timeout;       /* seconds; < 0 waits for ever (default) */
	flux_log_fn log;           /* may be NULL */
	void *log_ctx;
	int log_level;             /* messages below it are dropped; 0: flux.toml's
				      log_level, else WARNING */
	const flux_config *config; /* use this instead of reading config_path */
	/* For commands that only read (status, validate): take no lock and
	 * create nothing (no record table, no SQLite file); a database
	 * without the record table reads as nothing applied.  Such a project
	 * is for inspection: flux_plan_execute() refuses it (FLUX_ERR_INVALID). */
	int read_only;
	/* Seconds each helper (the python3 evaluating the .py migrations, a
	 * generator script) may run before it and all it started are killed
	 * and the open (or the undo) fails naming the file; <= 0: no limit
	 * (default). */
	double helper_timeout;
	/* When set, called with the project as soon as it exists and with
	 * NULL before flux_project_open() returns (a project that failed to
	 * open is freed after that call), so that another thread may
	 * flux_project_cancel() it meanwhile: that kills the running helper,
	 * ends a wait for the lock, and fails the open with
	 * FLUX_ERR_CANCELLED.  The caller makes these calls and its cancel
	 * exclusive (one mutex around both).  NULL: not published. */
	void (*opening)(void *ctx, flux_project *p);
	void *opening_ctx;
} flux_open_options;

void flux_open_options_init(flux_open_options *o);

/* Read the config and migrations, load the backend, connect, take the
 * lock, create the record table when missing, read the applied records
 * (with read_only set: only connect and read).  Waiting for the lock
 * held by another flux: a warning naming the holder after a second,
 * FLUX_ERR_LOCK_TIMEOUT after lock_timeout, FLUX_ERR_CANCELLED when
 * flux_project_cancel() ends the wait (see opening). */
int flux_project_open(const flux_open_options *o, flux_project **out,
		      flux_error *err);
/* Release the lock and disconnect; safe on NULL. */
void flux_project_close(flux_project *p);

const flux_migrations *flux_project_migrations(const flux_project *p);
const struct flux_backend *flux_project_backend(const flux_project *p);
/* The database URI, safe to print: the backend's redaction (every password
 * and secret as "****") when it has one, else only the URI's scheme
 * ("postgresql://…", "sqlite:…").  Writes at most size bytes, NUL
 * included; returns the length of the text. */
size_t flux_project_redact_uri(const flux_project *p, char *out, size_t size);

typedef struct flux_record {
	const char *id;
	const char *hash;
	const char *applied_at;
} flux_record;

/* The record table as last read, sorted by id. */
size_t flux_project_record_count(const flux_project *p);
const flux_record *flux_project_record(const flux_project *p, size_t i);
const flux_record *flux_project_record_find(const flux_project *p, const char *id);
int flux_project_refresh(flux_project *p, flux_error *err);

/* Check the directory against the records (discontinuity, changed hashes).
 * FLUX_ERR_CORRUPT names the migration and, for a changed file, both
 * hashes. */
int flux_project_validate(flux_project *p, flux_error *err);

typedef enum flux_plan_kind { FLUX_PLAN_APPLY = 0, FLUX_PLAN_ROLLBACK = 1 } flux_plan_kind;

/* A migration (or undo) run statement by statement that started and did
 * not finish: a `-- flux: no-transaction` one, or any one on a database
 * without transactional DDL.  Its statements ran outside a transaction
 * and it stopped half-way (a failed statement, a lost connection, a
 * killed process); the statements that completed stay in effect. */
typedef struct flux_incomplete {
	const char *id;
	flux_plan_kind direction;   /* what was running: apply or rollback */
	const char *started_at;
	const char *progress;       /* how far it got: "1 of 3 statements ran",
				       "statement 2 of 3 failed ...: MESSAGE; 1
				       of 3 ran before it" */
} flux_incomplete;

/* As last read, sorted by id. */
size_t flux_project_incomplete_count(const flux_project *p);
const flux_incomplete *flux_project_incomplete(const flux_project *p, size_t i);
const flux_incomplete *flux_project_incomplete_find(const flux_project *p,
						    const char *id);
/* FLUX_ERR_INCOMPLETE naming the first unfinished migration, or FLUX_OK.
 * Apply and rollback do not refuse to run because of one: running the
 * same direction again resumes it after its completed statements (see
 * flux_plan_set_restart()). */
int flux_project_check_incomplete(const flux_project *p, flux_error *err);
typedef struct flux_plan flux_plan;

/* The first n unapplied migrations (n < 0: all).  Validates first. */
int flux_plan_apply(flux_project *p, long n, flux_plan **out, flux_error *err);
/* The unapplied migrations up to and including to_id (empty when to_id is
 * applied already): what a test of one migration's effect needs, applying
 * everything before it, then it.  FLUX_ERR_NOT_FOUND for an unknown id. */
int flux_plan_apply_to(flux_project *p, const char *to_id, flux_plan **out,
		       flux_error *err);
/* The last n applied migrations, newest first (n < 0: all), or with
 * to_id: to_id and everything applied after it.  repeatable: 1 run
 * pre/post-apply around the undo, 0 don't, -1 as flux.toml says. */
int flux_plan_rollback(flux_project *p, long n, const char *to_id, int repeatable,
		       flux_plan **out, flux_error *err);
void flux_plan_free(flux_plan *plan);
flux_plan_kind flux_plan_kind_of(const flux_plan *plan);
size_t flux_plan_count(const flux_plan *plan);
const flux_migration *flux_plan_get(const flux_plan *plan, size_t i);
int flux_plan_runs_repeatable(const flux_plan *plan);

/* A migration of the plan that stopped half-way in the same direction
 * (see flux_incomplete) is resumed by default: its statements that
 * completed are skipped, provided each is byte-for-byte what ran then
 * (the usual fix edits only the statement that failed).  With restart
 * set, it runs from its first statement instead (its mark is deleted
 * first), for when those statements have changed and are safe to
 * repeat. */
void flux_plan_set_restart(flux_plan *plan, int restart);
/* FLUX_OK when flux_plan_execute() can run every migration of the plan
 * that stopped half-way (resume or restart, as set), else
 * FLUX_ERR_INCOMPLETE naming the migration, the completed statement that
 * changed (its file and line) and both ways on.  Execute checks this
 * before it runs anything; call it to refuse before asking the user. */
int flux_plan_check(flux_project *p, const flux_plan *plan, flux_error *err);

typedef enum flux_event_type {
	FLUX_EVENT_START = 0,
	FLUX_EVENT_DONE = 1,
	FLUX_EVENT_FAILED = 2
} flux_event_type;

typedef struct flux_event {
	flux_event_type type;
	flux_plan_kind direction;
	const flux_migration *migration;
	double seconds;             /* for DONE and FAILED */
	/* For DONE and FAILED: the step ran statement by statement outside a
	 * transaction (so a failure rolled nothing back), and how many of its
	 * statements completed, of how many (a resumed one counts those of
	 * the earlier run). */
	int by_statement;
	size_t statements_done;
	size_t statements_total;
} flux_event;

typedef void (*flux_progress_fn)(void *ctx, const flux_event *ev);

/* Run the plan: pre-apply, each migration with its record in one
 * transaction, post-apply (also after a failed migration).  A
 * `-- flux: no-transaction` migration, and every migration when the
 * backend lacks FLUX_CAP_TRANSACTIONAL_DDL, runs statement by statement
 * under a mark that says how far it got; its record follows in a
 * transaction of its own.  The first failure stops the main batch and is
 * returned; migrations done before it stay done.  The records are re-read
 * afterwards. */
int flux_plan_execute(flux_project *p, const flux_plan *plan,
		      flux_progress_fn progress, void *ctx, flux_error *err);

/* One step of a dry run: the SQL flux_plan_execute() would send for it,
 * in order, as a script the database's own client runs (each statement
 * ended, comments as comments). */
typedef struct flux_dry_step {
	const flux_migration *migration; /* NULL: creating the record table */
	flux_plan_kind direction;
	const char *file;                /* where the migration's SQL comes from;
					    NULL with no migration */
	const char *sql;                 /* NUL-terminated */
	size_t len;
} flux_dry_step;
/* Called once per step; a non-zero flux_status stops the dry run, which
 * returns it. */
typedef int (*flux_dry_run_fn)(void *ctx, const flux_dry_step *step);

/* What flux_plan_execute() would send, step by step, without sending it:
 * the record table's creation when the database has none, pre-apply,
 * each migration by the same path as a real run (a resumed migration from
 * its first statement that has not completed), post-apply.  Works on a
 * project opened read_only, takes no lock and changes nothing.
 * FLUX_ERR_UNSUPPORTED when the backend cannot describe its SQL; the
 * errors of flux_plan_check(). */
int flux_plan_dry_run(flux_project *p, const flux_plan *plan, flux_dry_run_fn fn, void *ctx,
		      flux_error *err);

/* Stop a running flux_plan_execute() from another thread: the backend is
 * asked to cancel what runs now (a migration in a transaction fails and
 * rolls back; one run statement by statement stops after the statements
 * that completed, and its mark says so), nothing more starts (post-apply
 * included), and execute returns FLUX_ERR_CANCELLED naming the migration.
 * A running helper (.py evaluation, generator) is killed with its process
 * group, during execute or during flux_project_open() (see
 * flux_open_options.opening), and no new one starts; a wait for the lock
 * ends at once.  Call it from any thread but never from a signal handler:
 * it may block while the backend cancels (a second connection, say); a
 * signal handler should wake a thread that calls it.  A later execute on
 * the same project is refused. */
void flux_project_cancel(flux_project *p);

/* ---- errors ----------------------------------------------------------- */

void flux_error_clear(flux_error *err);
int flux_error_set(flux_error *err, flux_status code, const char *fmt, ...)
	FLUX_PRINTF(3, 4);
/* TRANSITIONAL, to be removed with its last caller (src/cli/cmd_status.c,
 * which moves to flux_project_redact_uri()): only the URI's scheme, as
 * flux_project_redact_uri() shows a URI without the backend's help. */
void flux_uri_redact(const char *uri, char *out, size_t outsz);

#ifdef __cplusplus
}
#endif
#endif
