/* SPDX-License-Identifier: MIT */
/* A migration directory: its migrations, their SQL and hashes (part of
 * flux.h). */
#ifndef FLUX_API_MIGRATIONS_H
#define FLUX_API_MIGRATIONS_H

#include <stddef.h>
#include <flux/error.h>

#ifdef __cplusplus
extern "C" {
#endif

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

#ifdef __cplusplus
}
#endif
#endif
