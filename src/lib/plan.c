/* SPDX-License-Identifier: MIT */
/* Planning what to run, then running it: the stages, the events, what a
 * cancel means for each step.  Plans are separate from running so status,
 * confirmation prompts and reports all come from one plan; one migration
 * runs in run_step.c. */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "project.h"

struct flux_plan {
	flux_plan_kind kind;
	const flux_migration **items;
	size_t count;
	int repeatable;
	int restart;    /* flux_plan_set_restart() */
};

void flux_plan_free(flux_plan *plan)
{
	if (!plan)
		return;
	free(plan->items);
	free(plan);
}

static flux_plan *plan_new(flux_plan_kind kind, size_t cap)
{
	flux_plan *plan = calloc(1, sizeof(*plan));
	if (!plan)
		return NULL;
	plan->kind = kind;
	plan->items = calloc(cap ? cap : 1, sizeof(*plan->items));
	if (!plan->items) {
		free(plan);
		return NULL;
	}
	return plan;
}

int flux_plan_apply(flux_project *p, long n, flux_plan **out, flux_error *err)
{
	*out = NULL;
	int rc = flux_project_validate(p, err);
	if (rc)
		return rc;
	size_t nf = flux_migrations_count(p->migrations, FLUX_STAGE_MAIN);
	flux_plan *plan = plan_new(FLUX_PLAN_APPLY, nf);
	if (!plan)
		return flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
	plan->repeatable = 1;
	/* Validated: the files up to the last applied id are the applied
	 * ones, so what is not applied is every file after it, found by
	 * bisection rather than a lookup per file. */
	size_t first = 0;
	if (p->nrecords) {
		const char *last = p->records[p->nrecords - 1].id;
		size_t hi = nf;
		while (first < hi) {
			size_t mid = first + (hi - first) / 2;
			const flux_migration *m = flux_migrations_get(p->migrations,
								      FLUX_STAGE_MAIN, mid);
			if (strcmp(flux_migration_id(m), last) <= 0)
				first = mid + 1;
			else
				hi = mid;
		}
	}
	for (size_t i = first; i < nf && (n < 0 || plan->count < (size_t)n); i++)
		plan->items[plan->count++] = flux_migrations_get(p->migrations, FLUX_STAGE_MAIN, i);
	*out = plan;
	return FLUX_OK;
}

int flux_plan_apply_to(flux_project *p, const char *to_id, flux_plan **out, flux_error *err)
{
	*out = NULL;
	if (!flux_migrations_find(p->migrations, to_id)) {
		flux_error_set(err, FLUX_ERR_NOT_FOUND, "no migration '%s' in %s", to_id,
			       flux_config_migration_path(p->config));
		flux_error_hint(err, "`flux status` lists the migration ids");
		return FLUX_ERR_NOT_FOUND;
	}
	int rc = flux_plan_apply(p, -1, out, err);
	if (rc)
		return rc;
	/* Unapplied migrations sort after every applied one (validated), so the
	 * plan is in id order and cut where the ids pass to_id. */
	flux_plan *plan = *out;
	size_t keep = 0;
	while (keep < plan->count && strcmp(flux_migration_id(plan->items[keep]), to_id) <= 0)
		keep++;
	plan->count = keep;
	return FLUX_OK;
}

int flux_plan_rollback(flux_project *p, long n, const char *to_id, int repeatable,
		       flux_plan **out, flux_error *err)
{
	*out = NULL;
	int rc = flux_project_validate(p, err);
	if (rc)
		return rc;
	size_t stop = 0; /* index of the oldest record to undo */
	if (to_id) {
		const flux_record *r = flux_project_record_find(p, to_id);
		if (!r) {
			flux_error_set(err, FLUX_ERR_NOT_FOUND, "migration '%s' is not applied",
				       to_id);
			flux_error_hint(err, flux_migrations_find(p->migrations, to_id)
				       ? "only applied migrations can be rolled back to"
				       : "no migration has that id; `flux status` lists them");
			return FLUX_ERR_NOT_FOUND;
		}
		stop = (size_t)(r - p->records);
	} else if (n >= 0 && (size_t)n < p->nrecords) {
		stop = p->nrecords - (size_t)n;
	}
	flux_plan *plan = plan_new(FLUX_PLAN_ROLLBACK, p->nrecords);
	if (!plan)
		return flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
	plan->repeatable = repeatable < 0 ? flux_config_apply_repeatable_on_undo(p->config)
					  : repeatable;
	/* Validation guarantees every applied id has its file. */
	for (size_t k = p->nrecords; k-- > stop;)
		plan->items[plan->count++] = flux_migrations_find(p->migrations,
								  p->records[k].id);
	/* Every undo is produced now (a generator's or a .py's undo() runs
	 * here, and is kept), so a bad one stops the rollback before anything
	 * is undone rather than half-way through it. */
	for (size_t i = 0; i < plan->count; i++) {
		const char *sql;
		size_t len;
		rc = flux_migration_undo(plan->items[i], &sql, &len, err);
		if (rc) {
			if (rc == FLUX_ERR_CANCELLED)
				flux_error_set(err, rc, "cancelled while producing the undo of "
					       "'%s'; nothing was undone",
					       flux_migration_id(plan->items[i]));
			flux_plan_free(plan);
			return rc;
		}
	}
	*out = plan;
	return FLUX_OK;
}

flux_plan_kind flux_plan_kind_of(const flux_plan *plan) { return plan->kind; }
size_t flux_plan_count(const flux_plan *plan) { return plan->count; }
const flux_migration *flux_plan_get(const flux_plan *plan, size_t i)
{
	return i < plan->count ? plan->items[i] : NULL;
}
int flux_plan_runs_repeatable(const flux_plan *plan) { return plan->repeatable; }
void flux_plan_set_restart(flux_plan *plan, int restart) { plan->restart = restart != 0; }
int flux_plan_restarts(const flux_plan *plan) { return plan->restart; }

int flux_plan_check(flux_project *p, const flux_plan *plan, flux_error *err)
{
	flux_error_clear(err);
	if (plan->restart)
		return FLUX_OK;
	for (size_t i = 0; i < plan->count; i++) {
		const flux_migration *m = plan->items[i];
		const struct flux_mark_entry *mark = flux_project_mark(p, flux_migration_id(m));
		if (!mark)
			continue;
		struct flux_step_text t;
		struct flux_stmts s;
		size_t start;
		int rc = flux_step_text(m, plan->kind, &t, err);
		if (!rc)
			rc = flux_stmts_split(p, t.sql, t.len, &s, err);
		if (rc)
			return rc;
		rc = flux_resume_check(p, flux_migration_id(m), plan->kind, &t, &s, mark, &start,
				       err);
		flux_stmts_free(&s);
		if (rc)
			return rc;
	}
	return FLUX_OK;
}

static void emit(flux_progress_fn fn, void *ctx, flux_event_type type, flux_plan_kind dir,
		 const flux_migration *m, double secs, const struct flux_step_result *res)
{
	if (!fn)
		return;
	flux_event ev = {.type = type, .direction = dir, .migration = m, .seconds = secs};
	if (res) {
		ev.by_statement = res->by_statement;
		ev.statements_done = res->done;
		ev.statements_total = res->total;
	}
	fn(ctx, &ev);
}

/* After flux_project_cancel(): nothing more starts, and a step that
 * failed because of the cancel says what it left behind. */
static int cancelled(const flux_migration *m, flux_plan_kind dir,
		     const struct flux_step_result *res, flux_error *err)
{
	const char *id = flux_migration_id(m);
	if (!res) {
		flux_error_set(err, FLUX_ERR_CANCELLED, "cancelled before '%s' started", id);
		snprintf(err->migration, sizeof(err->migration), "%s", id);
		return FLUX_ERR_CANCELLED;
	}
	/* The host stopped between statements, or the database stopped one. */
	int between = err->code == FLUX_ERR_CANCELLED;
	char why[FLUX_ERROR_MESSAGE_MAX];
	snprintf(why, sizeof(why), "%s", err->message);
	const char *doing = dir == FLUX_PLAN_APPLY ? "applying" : "undoing";
	if (res->by_statement) {
		snprintf(err->message, sizeof(err->message), "cancelled while %s '%s'; it ran "
			 "outside a transaction and stopped half-way", doing, id);
		snprintf(err->detail, sizeof(err->detail), "%zu of %zu statements completed and "
			 "stay in effect%s%s", res->done, res->total,
			 between ? "" : "; the database said: ", between ? "" : why);
		if (res->marked)
			snprintf(err->hint, sizeof(err->hint), "`flux %s` resumes it after them; "
				 "`flux status` shows it as incomplete until then",
				 dir == FLUX_PLAN_APPLY ? "apply" : "rollback");
		else
			err->hint[0] = '\0';
	} else {
		snprintf(err->message, sizeof(err->message), "cancelled while %s '%s'; it was "
			 "rolled back", doing, id);
		if (!err->detail[0])
			snprintf(err->detail, sizeof(err->detail), "the database said: %s", why);
	}
	err->code = FLUX_ERR_CANCELLED;
	snprintf(err->migration, sizeof(err->migration), "%s", id);
	return FLUX_ERR_CANCELLED;
}

/* One migration with its progress events, unless the run was cancelled. */
static int step(flux_project *p, const flux_plan *plan, const flux_migration *m,
		flux_plan_kind dir, int record, flux_progress_fn fn, void *ctx, flux_error *err)
{
	if (atomic_load(&p->cancelled))
		return cancelled(m, dir, NULL, err);
	emit(fn, ctx, FLUX_EVENT_START, dir, m, 0, NULL);
	double t0 = flux_clock_now();
	struct flux_step_result res;
	int rc = flux_run_step(p, m, dir, record, plan->restart, &res, err);
	emit(fn, ctx, rc ? FLUX_EVENT_FAILED : FLUX_EVENT_DONE, dir, m, flux_clock_now() - t0,
	     &res);
	if (rc && atomic_load(&p->cancelled) && rc != FLUX_ERR_CONNECTION)
		rc = cancelled(m, dir, &res, err);
	return rc;
}

static int run_stage(flux_project *p, const flux_plan *plan, flux_stage stage,
		     flux_progress_fn fn, void *ctx, flux_error *err)
{
	for (size_t i = 0; i < flux_migrations_count(p->migrations, stage); i++) {
		int rc = step(p, plan, flux_migrations_get(p->migrations, stage, i),
			      FLUX_PLAN_APPLY, FLUX_RECORD_NONE, fn, ctx, err);
		if (rc)
			return rc;
	}
	return FLUX_OK;
}

int flux_plan_execute(flux_project *p, const flux_plan *plan, flux_progress_fn fn,
		      void *ctx, flux_error *err)
{
	flux_error_clear(err);
	/* An empty plan still runs pre-apply and post-apply, as the Python
	 * tool does on every apply (and rollback, unless told otherwise):
	 * teams recreate views or re-grant privileges there on every deploy. */
	/* Without the lock another flux could be running the same plan. */
	if (p->read_only)
		return flux_error_set(err, FLUX_ERR_INVALID, "this project was opened "
				      "read-only (no lock); open it without read_only to "
				      "apply or roll back");
	if (atomic_load(&p->cancelled))
		return flux_error_set(err, FLUX_ERR_CANCELLED, "this project's run was "
				      "cancelled; open it again to go on");
	/* A migration that cannot be resumed stops the run before anything
	 * of it, pre-apply included, has run. */
	int rc = flux_plan_check(p, plan, err);
	if (rc)
		return rc;
	if (plan->repeatable)
		rc = run_stage(p, plan, FLUX_STAGE_PRE, fn, ctx, err);
	if (rc)
		goto refresh;
	int record = plan->kind == FLUX_PLAN_APPLY ? FLUX_RECORD_REGISTER
						   : FLUX_RECORD_UNREGISTER;
	struct flux_read_ahead ahead;
	flux_read_ahead_start(&ahead, plan->items,
			      plan->kind == FLUX_PLAN_APPLY ? plan->count : 0);
	for (size_t i = 0; i < plan->count && !rc; i++) {
		flux_read_ahead_at(&ahead, i);
		rc = step(p, plan, plan->items[i], plan->kind, record, fn, ctx, err);
	}
	flux_read_ahead_stop(&ahead);
	/* Post-apply runs even after a failed migration, as upstream does;
	 * the migration's error stays the one reported.  Not after a lost
	 * connection or a cancel: the user asked to stop. */
	if (plan->repeatable && rc != FLUX_ERR_CONNECTION && rc != FLUX_ERR_CANCELLED) {
		flux_error post;
		int prc = run_stage(p, plan, FLUX_STAGE_POST, fn, ctx, rc ? &post : err);
		if (prc && rc)
			flux_logf(&p->logger, FLUX_LOG_ERROR, "post-apply migration '%s' also "
				  "failed: %s", post.migration, post.message);
		if (!rc)
			rc = prc;
	}
refresh:;
	/* Nothing was sent, so the records read at open still hold: reading
	 * 100,000 of them again would double a no-op's time. */
	if (!plan->count && (!plan->repeatable ||
			     !(flux_migrations_count(p->migrations, FLUX_STAGE_PRE) +
			       flux_migrations_count(p->migrations, FLUX_STAGE_POST))))
		return rc;
	flux_error e2;
	int rrc = flux_project_refresh(p, rc ? &e2 : err);
	/* A cancel request that reached the database after the operation it
	 * was meant for ended can stop the next one instead (PostgreSQL's
	 * request travels on a connection of its own): this read.  It stops
	 * one, so a second read gives the records as they are, not none. */
	if (rrc && rc == FLUX_ERR_CANCELLED)
		rrc = flux_project_refresh(p, &e2);
	return rc ? rc : rrc;
}
