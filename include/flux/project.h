/* SPDX-License-Identifier: MIT */
/* Projects: opening one (config, migrations, backend, connection, lock),
 * its records and validation (part of flux.h). */
#ifndef FLUX_API_PROJECT_H
#define FLUX_API_PROJECT_H

#include <stddef.h>
#include <flux/error.h>
#include <flux/backend.h>
#include <flux/configuration.h>
#include <flux/migrations.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*flux_log_fn)(void *ctx, int level, const char *message);

/* The layout flux.h describes.  Option structs start with the version the
 * caller was built with: libflux reads and writes only the fields that
 * version has, so a program built against an older flux.h keeps working
 * with a newer libflux, and a newer struct than libflux knows is refused
 * (FLUX_ERR_INVALID).  Fields are only ever appended, with a new version. */
#define FLUX_OPEN_OPTIONS_VERSION 1

typedef struct flux_project flux_project;

typedef struct flux_open_options {
	unsigned int version;      /* FLUX_OPEN_OPTIONS_VERSION */
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
	/* Read and hash every migration file instead of trusting the hash
	 * cache ($XDG_CACHE_HOME/flux/) for files whose stat is unchanged;
	 * $FLUX_NO_CACHE (not empty, not "0") does the same.  0: use it. */
	int no_cache;
} flux_open_options;

/* The defaults: every field, in order, for C and C++ alike. */
#define FLUX_OPEN_OPTIONS_INIT \
	{FLUX_OPEN_OPTIONS_VERSION, "flux.toml", NULL, NULL, -1.0, NULL, NULL, 0, NULL, 0, \
	 0.0, NULL, NULL, 0}

/* Fill o with the defaults of that version's layout (pass
 * FLUX_OPEN_OPTIONS_VERSION), writing only the bytes it has.  FLUX_OK, or
 * FLUX_ERR_INVALID (and o untouched) for a version this libflux does not
 * know. */
int flux_open_options_init(flux_open_options *o, unsigned int version);

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

#ifdef __cplusplus
}
#endif
#endif
