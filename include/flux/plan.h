/* SPDX-License-Identifier: MIT */
/* Plans: what apply or rollback would run, running it, cancelling it
 * (part of flux.h). */
#ifndef FLUX_API_PLAN_H
#define FLUX_API_PLAN_H

#include <stddef.h>
#include <flux/error.h>
#include <flux/migrations.h>
#include <flux/project.h>

#ifdef __cplusplus
extern "C" {
#endif

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

#ifdef __cplusplus
}
#endif
#endif
