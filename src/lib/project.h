/* SPDX-License-Identifier: MIT */
/* The project object shared by project.c (open, close, cancel),
 * records.c (records, marks, validation), plan.c (planning and running)
 * and the runner's files: lock_wait.c, run_step.c, run_statements.c,
 * resume.c, dry_run.c. */
#ifndef FLUX_PROJECT_H
#define FLUX_PROJECT_H

#include <pthread.h>
#include <stdatomic.h>

#include "arena.h"
#include "internal.h"

#pragma GCC visibility push(hidden)

/* A mark as read from the backend: what flux.h shows, and the host's
 * resume text (resume.c), NULL when the mark has none. */
struct flux_mark_entry {
	flux_incomplete pub;
	char *resume;
};

struct flux_project {
	flux_config *owned_config;
	const flux_config *config;
	flux_registry *registry;
	const struct flux_backend *backend;
	void *state;
	struct flux_logger logger;
	struct flux_host host;
	flux_migrations *migrations;
	flux_record *records;   /* their strings are in record_mem */
	size_t nrecords, cap_records;
	flux_arena record_mem;
	struct flux_mark_entry *marks;
	size_t nmarks, cap_marks;
	/* Set by flux_project_cancel() from another thread; read without a
	 * lock between steps and statements. */
	atomic_int cancelled;
	/* Set by the thread reading the migration files when they are bad:
	 * ends a wait for the lock that runs meanwhile (flux_project_open). */
	atomic_int files_failed;
	/* flux_project_cancel() broadcasts wake under wait_lock, so a wait
	 * for the lock ends at once (lock_wait.c). */
	pthread_mutex_t wait_lock;
	pthread_cond_t wake;
	/* Held by flux_project_cancel() around backend->cancel() and by the
	 * main thread when it sets connected, so cancel() runs only between
	 * connect() and disconnect(), as backend.h promises. */
	pthread_mutex_t conn_lock;
	int connected;
	/* The .py evaluation and generators: time limit, running groups
	 * (killed by flux_project_cancel()). */
	flux_helpers helpers;
	int locked;
	int initialized; /* the record table existed, or open created it */
	int records_read; /* open has read them (under the lock unless read-only) */
	int read_only;  /* opened without the lock: plans may not run */
	char *uri;
};

/* Free the records and marks as read (records.c). */
void flux_project_clear_records(flux_project *p);
/* The mark of migration id, or NULL. */
const struct flux_mark_entry *flux_project_mark(const flux_project *p, const char *id);

/* Take the migration lock, waiting as flux.h's flux_project_open() says
 * (lock_wait.c); timeout < 0 waits for ever. */
int flux_lock_wait(flux_project *p, double timeout, flux_error *err);

/* The SQL one step of a plan runs: a migration's up text or its undo,
 * the file it comes from and its FLUX_MIGRATION_* flags.  sql[len] is a
 * NUL; sql is "" for a migration without undo (run_step.c). */
struct flux_step_text {
	const char *sql;
	size_t len;
	const char *file;
	unsigned int flags;
};
int flux_step_text(const flux_migration *m, flux_plan_kind dir, struct flux_step_text *t,
		   flux_error *err);
/* What the runner and the dry run both start a step from: its text, the
 * step for the backend (id, hash, text, record action) and, for a
 * versioned migration, the mark an earlier run left (NULL: none). */
int flux_step_prepare(flux_project *p, const flux_migration *m, flux_plan_kind dir,
		      int record, struct flux_step_text *t, struct flux_step *st,
		      const struct flux_mark_entry **mark, flux_error *err);
/* Whether a step runs statement by statement: a no-transaction migration,
 * any migration on a database without transactional DDL, and one with a
 * mark from an earlier run that is to be resumed. */
int flux_step_by_statement(const flux_project *p, unsigned int flags,
			   const struct flux_mark_entry *mark, int restart);

/* One statement of a step's SQL: sql[off, off + len), and the MD5 of
 * exactly those bytes (resume.c compares them). */
struct flux_stmt {
	size_t off, len;
	char md5[33];
};
struct flux_stmts {
	struct flux_stmt *items;
	size_t n, cap;
};
/* Cut sql with the backend's split() (run_statements.c). */
int flux_stmts_split(flux_project *p, const char *sql, size_t len, struct flux_stmts *s,
		     flux_error *err);
void flux_stmts_free(struct flux_stmts *s);
/* Where a statement starts for people: its first byte after blanks and
 * comments (its own offset when it has no other), and that byte's
 * 1-based line. */
size_t flux_stmt_start(const char *sql, const struct flux_stmt *st);
int flux_stmt_line(const char *sql, const struct flux_stmt *st);

/* Whether flux_plan_set_restart() was set (plan.c). */
int flux_plan_restarts(const flux_plan *plan);

/* How a step ended, for the messages after a cancel (plan.c). */
struct flux_step_result {
	int by_statement;   /* it ran statement by statement */
	int marked;         /* ... under a mark (a versioned migration) */
	size_t done, total; /* statements completed, of how many */
};

/* The files of an apply plan's next migrations, read by a thread of its
 * own while the running one is in the database (read_ahead.c; the slot
 * protocol is in migrations.c).  start reads nothing when fewer than two
 * texts are left to read; at(i) says migration i runs now; stop joins
 * the thread and drops what was read and not used.  (A rollback's undo
 * texts are all made while it is planned.) */
struct flux_read_ahead {
	const flux_migration *const *items;
	unsigned char *want;  /* items[i] is read ahead */
	size_t n;
	pthread_mutex_t lock;
	pthread_cond_t moved;
	size_t at;            /* under lock: the running migration */
	int stop;             /* under lock */
	pthread_t thread;
	int started;
};
void flux_read_ahead_start(struct flux_read_ahead *ra, const flux_migration *const *items,
			   size_t n);
void flux_read_ahead_at(struct flux_read_ahead *ra, size_t i);
void flux_read_ahead_stop(struct flux_read_ahead *ra);

/* Run one migration (run_step.c): record is enum flux_record_action;
 * restart as flux_plan_set_restart() says. */
int flux_run_step(flux_project *p, const flux_migration *m, flux_plan_kind dir, int record,
		  int restart, struct flux_step_result *res, flux_error *err);
/* The statement-by-statement path (run_statements.c): with a mark for a
 * versioned migration, none for a repeatable one (record NONE). */
int flux_run_statements(flux_project *p, const struct flux_step *st,
			const struct flux_step_text *t, flux_plan_kind dir,
			const struct flux_mark_entry *mark, int restart,
			struct flux_step_result *res, flux_error *err);

/* Resume texts (resume.c): "flux-resume 1 K H1 ... HK", the MD5 of each of
 * the K statements that completed.  encode returns a malloc'd string,
 * NULL when out of memory. */
char *flux_resume_encode(const struct flux_stmts *s, size_t done);
/* How many of s's statements the mark says completed (*start), after
 * checking that the mark is in this direction, has resume data, and that
 * each completed statement is byte-identical to today's; otherwise
 * FLUX_ERR_INCOMPLETE explaining both ways on. */
int flux_resume_check(const flux_project *p, const char *id, flux_plan_kind dir,
		      const struct flux_step_text *t, const struct flux_stmts *s,
		      const struct flux_mark_entry *mark, size_t *start, flux_error *err);

/* Mark progress texts (run_statements.c), shared with the dry run. */
void flux_progress_text(char *out, size_t size, size_t done, size_t total);

#pragma GCC visibility pop

#endif
