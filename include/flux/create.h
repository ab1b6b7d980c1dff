/* SPDX-License-Identifier: MIT */
/* Creating a project's flux.toml (flux init) and new migration files
 * (flux new) (part of flux.h). */
#ifndef FLUX_API_CREATE_H
#define FLUX_API_CREATE_H

#include <flux/error.h>
#include <flux/backend.h>
#include <flux/migrations.h>
#include <flux/project.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FLUX_INIT_OPTIONS_VERSION 1

typedef struct flux_init_options {
	unsigned int version;             /* FLUX_INIT_OPTIONS_VERSION */
	const char *config_path;          /* the file to create; default "flux.toml" */
	const char *backend;              /* the backend's name; flux_project_init needs it */
	const char *migration_directory;  /* default "migrations" */
	const char *log_level;            /* written as log_level; NULL: none */
	const char *backend_path;         /* manifest search path; NULL: default */
	flux_log_fn log;                  /* warnings; may be NULL */
	void *log_ctx;
} flux_init_options;

#define FLUX_INIT_OPTIONS_INIT \
	{FLUX_INIT_OPTIONS_VERSION, "flux.toml", NULL, "migrations", NULL, NULL, NULL, NULL}

/* As flux_open_options_init(), for FLUX_INIT_OPTIONS_VERSION. */
int flux_init_options_init(flux_init_options *o, unsigned int version);

/* What can be checked before the backend is known (flux init asks for it
 * after this): migration_directory and log_level must read back as the
 * same TOML strings (no quote, backslash or newline: FLUX_ERR_INVALID), and
 * config_path must not exist (FLUX_ERR_IO "PATH already exists": it is
 * never overwritten).  A log_level that Python's logging does not know is
 * written anyway, as the Python tool does, with a warning through log. */
int flux_project_init_check(const flux_init_options *o, flux_error *err);

/* Create config_path for backend, byte for byte the Python tool's file.
 * The same string checks as flux_project_init_check (without the warning);
 * FLUX_ERR_NOT_FOUND, with a hint, when backend is not a name or no
 * manifest on backend_path has it; FLUX_ERR_IO when config_path exists by
 * now or cannot be written, and then nothing is left behind. */
int flux_project_init(const flux_init_options *o, flux_error *err);

#define FLUX_NEW_OPTIONS_VERSION 1

typedef struct flux_new_options {
	unsigned int version;        /* FLUX_NEW_OPTIONS_VERSION */
	const char *config_path;     /* whose migration_directory; default "flux.toml" */
	const char *description;     /* required: the .py docstring; its slug ends the id */
	flux_migration_kind kind;    /* FLUX_KIND_PYTHON (default) or FLUX_KIND_SQL */
	/* FLUX_STAGE_MAIN (default), or FLUX_STAGE_PRE / FLUX_STAGE_POST: a
	 * repeatable migration in pre-apply/ or post-apply/, without undo. */
	flux_stage stage;
	const char *date;            /* the id's YYYYMMDD; NULL: today, local time */
} flux_new_options;

#define FLUX_NEW_OPTIONS_INIT \
	{FLUX_NEW_OPTIONS_VERSION, "flux.toml", NULL, FLUX_KIND_PYTHON, FLUX_STAGE_MAIN, NULL}

/* As flux_open_options_init(), for FLUX_NEW_OPTIONS_VERSION. */
int flux_new_options_init(flux_new_options *o, unsigned int version);

/* FLUX_ERR_INVALID unless description can name a migration: no '/', and 1
 * to 200 characters once lower-cased and split as the Python tool does
 * ("-".join(description.lower().split()) is the id's last part). */
int flux_new_description_check(const char *description, flux_error *err);

typedef struct flux_new_migration flux_new_migration;

/* Create a migration with the Python tool's templates: ID.py with apply()
 * and undo() (no undo() when repeatable), or an empty ID.sql and an empty
 * ID.undo.sql (no .undo.sql when repeatable), where ID is DATE_NNN_SLUG
 * and NNN the first index from 001 that no file of that date has.  The
 * directories are created when missing.  Files are never overwritten; on
 * failure none of them is left. */
int flux_new_migration_create(const flux_new_options *o, flux_new_migration **out,
			      flux_error *err);
const char *flux_new_migration_id(const flux_new_migration *m);
/* The files written, in order (ID.sql before ID.undo.sql). */
size_t flux_new_migration_file_count(const flux_new_migration *m);
const char *flux_new_migration_file(const flux_new_migration *m, size_t i);
void flux_new_migration_free(flux_new_migration *m);

#ifdef __cplusplus
}
#endif
#endif
