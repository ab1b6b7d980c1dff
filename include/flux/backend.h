/* SPDX-License-Identifier: MIT */
/* The flux backend plugin ABI, version 2.0: the only header a backend
 * author needs.
 *
 * 1. WHAT A BACKEND IS
 *
 * A backend is a shared object plus a manifest line.  The manifest, an INI
 * file placed in a flux.backend manifest directory, names the module and its
 * registration function:
 *
 *     [flux.backend]
 *     cooldb = cooldb.so:cooldb_flux_backend
 *
 * flux opens cooldb.so (relative to the manifest's directory, or absolute)
 * only when the backend is used, checks the module's ABI stamp, resolves the
 * registration function and calls it once with the host's service table:
 *
 *     FLUX_BACKEND_MODULE;                  (once per module: the ABI stamp)
 *
 *     static const struct flux_backend cooldb = {
 *         FLUX_BACKEND_HEADER_INIT,
 *         .name = "cooldb", .description = "CoolDB over its C client",
 *         .capabilities = FLUX_CAP_TRANSACTIONAL_DDL,
 *         .create = cool_create, ...
 *     };
 *     FLUX_BACKEND_EXPORT int
 *     cooldb_flux_backend(const struct flux_host *host,
 *                         const struct flux_backend **out, flux_error *err)
 *     {
 *         if (!FLUX_HOST_HAS(host, some_field_of_a_later_minor))
 *             return host->error_set(err, FLUX_ERR_UNSUPPORTED, "...");
 *         *out = &cooldb;
 *         return FLUX_OK;
 *     }
 *
 * Build it with `pkg-config --cflags flux-backend`; there is no library to
 * link: everything the host offers arrives through struct flux_host, so a
 * backend links with -Wl,--no-undefined.  A module that limits what it
 * exports (a version script, libtool's -export-symbols-regex) exports the
 * registration function and flux_backend_module_abi, the stamp.
 *
 * 2. WHO DOES WHAT
 *
 * The host owns policy: waiting for the lock (with time-out, the holder
 * named after a second, Ctrl-C), transactions around migrations, running
 * no-transaction migrations statement by statement, marks and their
 * progress text, resuming a migration that stopped half-way, the clock,
 * messages, positions turned into file:line:column, exit statuses.
 * The backend owns mechanics: connecting, executing SQL, storing records
 * and marks, one non-blocking lock attempt, cancelling a running
 * statement, splitting its dialect's SQL into statements, and redacting its
 * own URI syntax.
 *
 * 3. ABI RULES (as in PostgreSQL's module magic and libgit2's backends)
 *
 * - Versions pack MAJOR << 16 | MINOR.  The module states the version it
 *   was built for twice: in the stamp FLUX_BACKEND_MODULE defines (read
 *   before any of the module's code runs) and in struct flux_backend.  The
 *   host refuses a module whose major differs from its own, reporting the
 *   two versions and calling nothing in it.  Modules of ABI 1.x have no
 *   stamp; they are refused the same way.
 * - size is sizeof(struct flux_backend) as the module was compiled.  The host
 *   reads a field only when size says the module has it; it refuses a struct
 *   smaller than FLUX_BACKEND_MIN_SIZE.
 * - Both structs below only ever grow at the end, in minor versions.
 *   Removing or reordering a field is a major bump.  Every field of 2.0 is
 *   present in every 2.x host; a backend that wants a host service added in
 *   a later minor checks FLUX_HOST_HAS() first.  A module built for a newer
 *   minor than the host is accepted: the host reads only the fields its
 *   own struct flux_backend has.
 * - The operations up to and including split are required; the host
 *   refuses a module with one of them NULL.  The ones after split are
 *   optional (NULL: the host does without, as each one says).
 *
 * 4. LIFECYCLE: which operation runs when
 *
 *     create -> connect -> ... -> disconnect -> destroy
 *
 * - create() parses options and the URI; it never connects.  When it fails,
 *   nothing else is called.  destroy() follows every successful create(),
 *   after disconnect() when connect() succeeded, directly when it did not.
 * - Reading (flux status, flux validate; the host opens read-only): connect,
 *   is_initialized, then list_applied and list_marks only when initialized,
 *   then disconnect.  No lock, nothing written: a database without the
 *   record table reads as one with nothing applied.
 * - Writing (apply, rollback): connect, try_lock until it succeeds (the host
 *   waits between attempts, and calls describe_lock for its messages),
 *   is_initialized, initialize when not, list_applied, list_marks; then per
 *   migration one of:
 *     a. run_step(), when the backend has it and the step is a plain
 *        transactional one;
 *     b. begin, execute(whole text), register/unregister, mark_delete when
 *        an old mark is left, commit (rollback on any failure);
 *     c. statement by statement (a `-- flux: no-transaction` migration, or
 *        every migration when the backend lacks FLUX_CAP_TRANSACTIONAL_DDL):
 *        split, mark_save (committed at once), then per statement execute +
 *        mark_save, then begin, register/unregister, mark_delete, commit.
 *   then unlock, disconnect.  On error paths the host may go straight to
 *   disconnect(), which must release the lock.
 * - A backend tracks begin/commit/rollback itself when it needs to know
 *   whether execute() runs inside the host's transaction; the host never
 *   calls commit() or rollback() without begin(), nor begin() twice.
 * - The host never registers an id that is recorded or unregisters one
 *   that is not (it holds the lock and has just read the records); if it
 *   happens anyway, fail (a primary key does).
 * - cancel() may run from another thread at any time between connect() and
 *   disconnect(); every other operation runs on one thread, one at a time.
 *   The host waits for a running cancel() to return before it calls
 *   disconnect(), so cancel() may use what connect() set up.
 * - A dry run (flux apply --dry-run) opens read-only, then calls
 *   describe_sql() for the operations a run would make, in their order,
 *   without making them.  The backend describes each as if those described
 *   before it had run (a marks table the first described mark_save()
 *   creates is not created again by the second).
 *
 * 5. ERRORS
 *
 * Every operation returns FLUX_OK (0) on success, otherwise a flux_status
 * after filling *err, with host->error_set() and, when the database offers
 * them, host->error_detail(), host->error_hint(), err->sqlstate (five
 * characters) and err->position (1-based byte offset in the SQL the
 * operation was given).  The statuses a backend returns:
 *
 *   FLUX_ERR_INVALID      create(): the URI is not one this backend reads.
 *   FLUX_ERR_CONFIG       create(): a [backend] option refused; use
 *                         host->option_error() so flux.toml's line is named.
 *   FLUX_ERR_BACKEND      the database refused something: a failed
 *                         connect(), a failed statement, a missing privilege,
 *                         storage it cannot read or write (also for file
 *                         I/O: FLUX_ERR_IO is the host's own).
 *   FLUX_ERR_CONNECTION   a connection that was up is gone (so nothing more
 *                         can be asked of it; the host stops at once).
 *   FLUX_ERR_NOMEM        out of memory.
 *   FLUX_ERR_UNSUPPORTED  registration: the module cannot run here (a client
 *                         library too old, a host service missing).
 *   any status a callback returned (see the callbacks below).
 *
 * The others (MIGRATION, LOCK_TIMEOUT, CORRUPT, INCOMPLETE, CANCELLED) are
 * the host's: it turns BACKEND into MIGRATION when a migration's own SQL
 * failed, and reports a lock time-out or a cancel itself.  Messages are one
 * line, no trailing period, and never contain a password.
 *
 * 6. CALLBACKS
 *
 * A callback the host passes (flux_applied_fn, flux_mark_fn,
 * flux_statement_fn, flux_text_fn) returns 0 to go on.  Any other value is
 * a flux_status: the backend stops at once and returns that value
 * unchanged; it need not fill err (the host did, or knows why).  Strings
 * passed to a callback are valid only until it returns.
 *
 * 7. TEXT
 *
 * Every string crossing the ABI is NUL-terminated, never NULL (use "" for
 * nothing) and may hold any byte but NUL (newlines and tabs included; ids
 * are UTF-8).  Stored text (ids, hashes, progress, resume) has no length
 * limit the host knows of: store it in a TEXT-like column.  Timestamps
 * (applied_at, started_at) are the database's own text form of its
 * current timestamp; the host prints them and never parses them. */
#ifndef FLUX_BACKEND_H
#define FLUX_BACKEND_H

#include <stddef.h>
#include <flux/status.h>
#include <flux/error.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FLUX_BACKEND_ABI_MAJOR 2
#define FLUX_BACKEND_ABI_MINOR 0
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

/* The module's ABI stamp: write FLUX_BACKEND_MODULE; once, at file scope,
 * in one source file of the module.  The host reads this symbol before it
 * calls anything in the module. */
#define FLUX_BACKEND_MODULE_SYMBOL "flux_backend_module_abi"
#define FLUX_BACKEND_MODULE \
	FLUX_BACKEND_EXPORT extern const unsigned int flux_backend_module_abi; \
	const unsigned int flux_backend_module_abi = FLUX_BACKEND_ABI_VERSION

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

/* Services the host offers to backends.  Append-only within a major.
 * Every function may be called from any operation, on the operation's
 * thread; none may be called from cancel(). */
struct flux_host {
	unsigned int abi_version;   /* the host's FLUX_BACKEND_ABI_VERSION */
	unsigned int size;          /* sizeof(struct flux_host) in the host */
	void *host_data;            /* private to the host */

	/* Send a message to the host's log (the CLI prints it on stderr when
	 * the configured log level allows).  For what the user should know
	 * and the host cannot tell; not for errors (return those). */
	void (*log)(const struct flux_host *host, int level, const char *fmt, ...)
		FLUX_PRINTF(3, 4);

	/* Fill err: code, and a printf-formatted one-line message.  Clears
	 * every other field.  Returns code, so `return host->error_set(...)`. */
	int (*error_set)(flux_error *err, flux_status code, const char *fmt, ...)
		FLUX_PRINTF(3, 4);
	/* Set err's detail (further facts: the database's DETAIL, a result
	 * code's name) and hint (advice to the user); call after error_set. */
	void (*error_detail)(flux_error *err, const char *fmt, ...) FLUX_PRINTF(2, 3);
	void (*error_hint)(flux_error *err, const char *fmt, ...) FLUX_PRINTF(2, 3);

	/* Typed reads of [backend] options.  A missing key yields the
	 * default.  A present key of the wrong type fails with
	 * FLUX_ERR_CONFIG and a message naming the key, flux.toml and its
	 * line.  Strings stay owned by the host until destroy(). */
	int (*option_string)(const struct flux_options *opts, const char *key,
			     const char *def, const char **out, flux_error *err);
	int (*option_int)(const struct flux_options *opts, const char *key,
			  long long def, long long *out, flux_error *err);
	int (*option_bool)(const struct flux_options *opts, const char *key,
			   int def, int *out, flux_error *err);
	/* Fill err with FLUX_ERR_CONFIG for a [backend] value the backend
	 * refuses, prefixed with the flux.toml file and line that set key, so
	 * the user sees where to fix it.  Returns FLUX_ERR_CONFIG. */
	int (*option_error)(const struct flux_options *opts, const char *key,
			    flux_error *err, const char *fmt, ...) FLUX_PRINTF(4, 5);
	/* A string option that names a database object (a table, a schema):
	 * it must match ^[A-Za-z0-9_]+$ and be at most max_len bytes, so it
	 * can be quoted into SQL safely; otherwise FLUX_ERR_CONFIG naming
	 * flux.toml's line.  The default is not checked. */
	int (*option_identifier)(const struct flux_options *opts, const char *key,
				 const char *def, size_t max_len, const char **out,
				 flux_error *err);
};

#define FLUX_HOST_HAS(host, field) \
	((host)->size >= offsetof(struct flux_host, field) + sizeof((host)->field))

/* Capabilities: what the database does, declared in struct flux_backend. */
#define FLUX_CAP_TRANSACTIONAL_DDL 0x1u /* CREATE/ALTER/DROP inside a
					   transaction roll back with it
					   (PostgreSQL, SQLite).  Without it
					   (MariaDB, MySQL, Oracle) the host
					   runs every migration statement by
					   statement with marks, and never
					   tells the user that a failed
					   migration was rolled back. */

/* What a step does to the record table besides running its SQL. */
enum flux_record_action {
	FLUX_RECORD_NONE = 0,       /* repeatable migration: no record */
	FLUX_RECORD_REGISTER = 1,   /* insert (id, hash) */
	FLUX_RECORD_UNREGISTER = 2  /* delete id */
};

/* One migration for run_step(). */
struct flux_step {
	const char *id;             /* migration id */
	const char *hash;           /* lower-case hex MD5; for REGISTER */
	const char *sql;            /* sql[len] is NUL; no NUL before it */
	size_t len;
	int record;                 /* enum flux_record_action */
};

/* Which way a migration that stopped half-way was going. */
enum flux_mark_direction {
	FLUX_MARK_APPLY = 1,
	FLUX_MARK_ROLLBACK = 2
};

/* A mark: "this migration started outside a transaction and has not
 * finished".  The backend stores the text fields as they are and hands
 * them back in list_marks(); their content is the host's. */
struct flux_mark {
	const char *id;             /* migration id (the key) */
	int direction;              /* enum flux_mark_direction */
	const char *started_at;     /* list_marks(): when the row was inserted,
				       as the database prints timestamps;
				       ignored by mark_save() */
	const char *progress;       /* for people: "2 of 5 statements ran" */
	const char *resume;         /* for the host: which statements completed;
				       may be long (one hash per statement) */
};

/* list_applied(): one call per row of the record table, in any order: the
 * host sorts the rows by id itself (since 2.0; an ORDER BY costs the
 * database a sort, or an index walk, of the whole table on every run). */
typedef int (*flux_applied_fn)(void *ctx, const char *id, const char *hash,
			       const char *applied_at);
/* list_marks(): one call per mark, in any order (the host sorts them). */
typedef int (*flux_mark_fn)(void *ctx, const struct flux_mark *mark);
/* split(): one call per statement, in order.  The statement is
 * sql[offset, offset + len): what execute() must be given to run it alone
 * (no delimiter, no DELIMITER line), from its first byte that is neither
 * blank nor comment to its last such byte.  The host hashes exactly this
 * piece to resume a migration that stopped half-way, so the bounds must
 * stay the same across versions of a backend. */
typedef int (*flux_statement_fn)(void *ctx, size_t offset, size_t len);
/* describe_sql(): one call per piece of SQL text (a complete statement
 * with its terminator, or a comment line). */
typedef int (*flux_text_fn)(void *ctx, const char *text, size_t len);

/* What describe_sql() writes. */
enum flux_sql_kind {
	FLUX_SQL_BEGIN = 1,         /* what begin() sends */
	FLUX_SQL_COMMIT = 2,        /* what commit() sends */
	FLUX_SQL_INITIALIZE = 3,    /* what initialize() sends */
	FLUX_SQL_REGISTER = 4,      /* register_migration(step->id, step->hash) */
	FLUX_SQL_UNREGISTER = 5,    /* unregister_migration(step->id) */
	FLUX_SQL_RUN_STEP = 6,      /* all that run_step(step) sends */
	FLUX_SQL_MARK_SAVE = 7,     /* mark_save(mark) */
	FLUX_SQL_MARK_DELETE = 8,   /* mark_delete(step->id) */
	FLUX_SQL_STATEMENT = 9      /* one statement split() found, given
				       as step->sql and step->len, written
				       so that the database's client runs
				       it alone from a script (MySQL's
				       client needs DELIMITER around a
				       body holding ';').  UNSUPPORTED:
				       the host writes it and ";". */
};

struct flux_backend {
	unsigned int abi_version;   /* FLUX_BACKEND_ABI_VERSION */
	unsigned int size;          /* sizeof(struct flux_backend) */
	const char *name;           /* short name, e.g. "postgres" */
	const char *description;    /* one line for `flux backends` */
	unsigned int capabilities;  /* FLUX_CAP_* */

	/* ---------------- required ---------------- */

	/* Read options and the URI into a new state; do not connect.  The
	 * host keeps opts and uri alive until destroy(). */
	int (*create)(const struct flux_host *host, const struct flux_options *opts,
		      const char *uri, void **state, flux_error *err);
	/* Free everything create() and the other operations allocated. */
	void (*destroy)(void *state);
	/* Connect.  Creates nothing in the database: a missing record table
	 * (or a database file the backend creates on demand, like SQLite's) is
	 * for is_initialized() to report.  A database the backend would not
	 * create (a server's database) fails with FLUX_ERR_BACKEND. */
	int (*connect)(void *state, flux_error *err);
	int (*disconnect)(void *state, flux_error *err);

	/* One attempt at the run-long lock that keeps other flux processes
	 * out, without waiting: *acquired = 1 when taken, 0 when another
	 * holds it (return FLUX_OK).  The lock must be released when the
	 * process dies (a session lock, an flock, GET_LOCK). */
	int (*try_lock)(void *state, int *acquired, flux_error *err);
	int (*unlock)(void *state, flux_error *err);
	/* For the host's messages: what the lock is ("advisory lock 3589
	 * (migrations_lock_id)") and who holds it now ("pid 4242,
	 * application_name 'flux', started ...", or "" when the database
	 * cannot tell).  Both are NUL-terminated, cut to their size.  May
	 * query the database; called only after try_lock() returned FLUX_OK
	 * with *acquired = 0. */
	void (*describe_lock)(void *state, char *lock, size_t lock_size, char *holder,
			      size_t holder_size);

	/* Transactions for the host's steps.  rollback() after a failed
	 * statement must succeed when the database already ended the
	 * transaction. */
	int (*begin)(void *state, flux_error *err);
	int (*commit)(void *state, flux_error *err);
	int (*rollback)(void *state, flux_error *err);

	/* The record table: id (primary key), hash, applied_at (default the
	 * current timestamp), as the Python tool created it. */
	int (*is_initialized)(void *state, int *initialized, flux_error *err);
	/* Create the record table (and its schema); idempotent. */
	int (*initialize)(void *state, flux_error *err);
	int (*register_migration)(void *state, const char *id, const char *hash,
				  flux_error *err);
	int (*unregister_migration)(void *state, const char *id, flux_error *err);
	int (*list_applied)(void *state, flux_applied_fn fn, void *ctx, flux_error *err);

	/* Marks, stored beside the record table (e.g. <table>_incomplete,
	 * created by the first mark_save()).  mark_save() inserts the mark
	 * (started_at = now) or, when one with its id exists, replaces
	 * direction, progress and resume and keeps started_at.  Outside a
	 * transaction it commits at once; inside the host's, it is part of
	 * it.  mark_delete() of a missing mark succeeds.  list_marks() of a
	 * database without marks lists nothing. */
	int (*mark_save)(void *state, const struct flux_mark *mark, flux_error *err);
	int (*mark_delete)(void *state, const char *id, flux_error *err);
	int (*list_marks)(void *state, flux_mark_fn fn, void *ctx, flux_error *err);

	/* Run SQL text as the database's client would run a script: every
	 * statement in it, in the transaction the host opened or, outside
	 * one, each committing by itself.  sql[len] is NUL and there is no
	 * NUL before it.  On failure set err->position (1-based byte offset
	 * in sql) when the database reports one. */
	int (*execute)(void *state, const char *sql, size_t len, flux_error *err);
	/* Cut SQL text into the statements execute() runs one at a time, by
	 * the dialect's rules (quotes, comments, dollar quotes, DELIMITER
	 * ...); pieces with only blanks and comments are not statements.
	 * Touches no database; may run without a connection. */
	int (*split)(void *state, const char *sql, size_t len, flux_statement_fn fn,
		     void *ctx, flux_error *err);

	/* ---------------- optional ---------------- */

	/* begin + execute + record + commit as one atomic unit, in as few
	 * round trips as the database allows; on failure nothing of it may
	 * remain and no transaction is left open.  err->position is relative
	 * to step->sql.  Used only when the backend declares
	 * FLUX_CAP_TRANSACTIONAL_DDL.  NULL: the host composes the required
	 * operations. */
	int (*run_step)(void *state, const struct flux_step *step, flux_error *err);

	/* Make the statement this connection runs now fail soon (its
	 * transaction then rolls back).  Called from a host thread, never
	 * from a signal handler, while the main thread is inside another
	 * operation of this state, or between operations (then it must do
	 * no harm); so it may block, and may open a second connection
	 * (KILL QUERY).  It must not change anything the running operation
	 * uses.  A request the database receives late may stop the next
	 * operation instead: after a cancelled run the host reads the
	 * records a second time when the first read fails.  NULL: the host
	 * stops only between statements. */
	void (*cancel)(void *state);

	/* Copy uri to out (size bytes, NUL-terminated) with every password
	 * and secret replaced by "****", by the backend's own URI syntax.
	 * Returns strlen(out); size is at least 1.  Needs no state: the host
	 * calls it to
	 * print which database it connected to.  NULL: the host shows only
	 * the URI's scheme. */
	size_t (*redact_uri)(const char *uri, char *out, size_t size);

	/* Hand fn the exact SQL text the named operation sends (values
	 * quoted in, as the database's own client would accept it), for
	 * `flux apply --dry-run`; step and mark as that operation would get
	 * them (either may be NULL when the kind does not use it).  Needs no
	 * connection.  An operation that sends no SQL calls fn with an SQL
	 * comment saying what it does instead (or not at all); a kind the
	 * backend does not know, or RUN_STEP without run_step, returns
	 * FLUX_ERR_UNSUPPORTED.  NULL: dry runs are refused with
	 * FLUX_ERR_UNSUPPORTED. */
	int (*describe_sql)(void *state, int kind, const struct flux_step *step,
			    const struct flux_mark *mark, flux_text_fn fn, void *ctx,
			    flux_error *err);
};

/* Whether a module's struct has an optional operation: the struct the
 * module was built with reaches the field, and the field is set. */
#define FLUX_BACKEND_HAS(b, field) \
	((b)->size >= offsetof(struct flux_backend, field) + sizeof((b)->field) && \
	 (b)->field != NULL)

/* The smallest struct flux_backend the host accepts: up to split. */
#define FLUX_BACKEND_MIN_SIZE \
	(offsetof(struct flux_backend, split) + sizeof(void (*)(void)))

#define FLUX_BACKEND_HEADER_INIT \
	.abi_version = FLUX_BACKEND_ABI_VERSION, .size = sizeof(struct flux_backend)

/* The registration function named in the manifest.  Set *out to a backend
 * that stays valid until the module is unloaded and return FLUX_OK, or
 * return a status (FLUX_ERR_UNSUPPORTED, FLUX_ERR_NOMEM) with err saying
 * why this module cannot serve; the host shows it with the manifest's
 * file and line. */
typedef int flux_backend_register(const struct flux_host *host,
				  const struct flux_backend **out, flux_error *err);
typedef flux_backend_register *flux_backend_register_fn;
/* Declaring the function with the typedef lets the compiler check it:
 *     FLUX_BACKEND_EXPORT flux_backend_register cooldb_flux_backend; */

#ifdef __cplusplus
}
#endif
#endif
