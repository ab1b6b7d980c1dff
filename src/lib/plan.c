/* SPDX-License-Identifier: MIT */
/* Planning what to run, then running it.  Plans are separate from running
 * so status, confirmation prompts and reports all come from one plan. */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "project.h"

struct flux_plan {
	flux_plan_kind kind;
	const flux_migration **items;
	size_t count;
	int repeatable;
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
	for (size_t i = 0; i < nf && (n < 0 || plan->count < (size_t)n); i++) {
		const flux_migration *m = flux_migrations_get(p->migrations, FLUX_STAGE_MAIN, i);
		if (!flux_project_record_find(p, flux_migration_id(m)))
			plan->items[plan->count++] = m;
	}
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

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The generic composition of required operations, for backends without
 * run_step() and for steps that must also end a mark. */
static int compose_step(flux_project *p, const struct flux_step *st, int end_mark,
			flux_error *err)
{
	const struct flux_backend *b = p->backend;
	int rc = b->begin(p->state, err);
	if (rc)
		return rc;
	if (st->len)
		rc = b->apply(p->state, st->sql, st->len, 0, err);
	if (!rc && st->record == FLUX_RECORD_REGISTER)
		rc = b->register_migration(p->state, st->id, st->hash, err);
	else if (!rc && st->record == FLUX_RECORD_UNREGISTER)
		rc = b->unregister_migration(p->state, st->id, err);
	if (!rc && end_mark)
		rc = b->mark_end(p->state, st->id, err);
	if (!rc)
		rc = b->commit(p->state, err);
	if (rc) {
		flux_error ignored;
		b->rollback(p->state, &ignored);
	}
	return rc;
}

/* A no-transaction migration runs on its own; its record follows in a
 * transaction of its own.  With a backend that keeps marks, a mark is
 * committed before the first statement and removed together with the
 * record, so whatever stops it half-way (a failed statement, a lost
 * connection, a killed process) stays visible in status and validate. */
static int no_transaction_step(flux_project *p, const struct flux_step *st,
			       flux_error *err)
{
	const struct flux_backend *b = p->backend;
	int marks = st->record != FLUX_RECORD_NONE && FLUX_BACKEND_HAS(b, mark_begin);
	int rc = FLUX_OK;
	if (marks) {
		const flux_incomplete *old = flux_project_incomplete_find(p, st->id);
		if (old)
			flux_logf(&p->logger, FLUX_LOG_WARNING, "running '%s' again from its "
				  "first statement; it stopped half-way before (started %s: %s)",
				  st->id, old->started_at, old->progress);
		rc = b->mark_begin(p->state, st->id,
				   st->record == FLUX_RECORD_REGISTER ? FLUX_MARK_APPLY
								      : FLUX_MARK_ROLLBACK, err);
		if (rc)
			return rc;
	}
	rc = b->apply(p->state, st->sql, st->len, FLUX_APPLY_NO_TRANSACTION, err);
	if (rc) {
		if (marks && !err->hint[0])
			flux_error_hint(err, "`flux status` shows '%s' as incomplete until it "
					"runs to the end", st->id);
		return rc;
	}
	if (st->record == FLUX_RECORD_NONE)
		return FLUX_OK;
	struct flux_step rec = *st;
	rec.sql = "";
	rec.len = 0;
	rc = compose_step(p, &rec, marks, err);
	if (rc) {
		flux_error_detail(err, "the no-transaction migration '%s' ran completely, but "
				  "its record could not be %s", st->id,
				  st->record == FLUX_RECORD_REGISTER ? "written" : "deleted");
	}
	return rc;
}

static int run_one(flux_project *p, const flux_migration *m, flux_plan_kind dir,
		   int record, flux_error *err)
{
	struct flux_step st = {.id = flux_migration_id(m), .hash = flux_migration_hash(m),
			       .record = record};
	const char *file = flux_migration_path(m);
	unsigned int flags = flux_migration_flags(m);
	if (dir == FLUX_PLAN_APPLY) {
		st.sql = flux_migration_up(m, &st.len);
	} else {
		int rc = flux_migration_undo(m, &st.sql, &st.len, err);
		if (rc)
			return rc;
		if (!st.sql) {
			st.sql = "";
			st.len = 0;
		}
		file = flux_migration_undo_path(m);
		/* An undo carries its own directive line. */
		flags = flux_sql_directives(st.sql, st.len);
	}
	int rc;
	flux_error_clear(err);
	/* A mark left by an earlier no-transaction run of this migration (whose
	 * directive has since been removed) goes with this step's record. */
	int stale_mark = FLUX_BACKEND_HAS(p->backend, mark_end) &&
			 flux_project_incomplete_find(p, st.id);
	flux_logf(&p->logger, FLUX_LOG_DEBUG, "%s %s (%s, %zu bytes%s%s)",
		  dir == FLUX_PLAN_APPLY ? "applying" : "undoing", st.id, file, st.len,
		  flags & FLUX_APPLY_NO_TRANSACTION ? ", no transaction" : "",
		  stale_mark ? ", ending an old mark" : "");
	if (flags & FLUX_APPLY_NO_TRANSACTION)
		rc = no_transaction_step(p, &st, err);
	else if (FLUX_BACKEND_HAS(p->backend, run_step) && !stale_mark)
		rc = p->backend->run_step(p->state, &st, err);
	else
		rc = compose_step(p, &st, stale_mark, err);
	if (rc) {
		if (rc == FLUX_ERR_BACKEND)
			rc = err->code = FLUX_ERR_MIGRATION;
		flux_error_locate(err, file, st.id, st.sql, st.len);
		if (flux_migration_kind_of(m) != FLUX_KIND_SQL)
			flux_error_locate_generated(err, file);
	}
	return rc;
}

static void emit(flux_progress_fn fn, void *ctx, flux_event_type type,
		 flux_plan_kind dir, const flux_migration *m, double secs)
{
	if (!fn)
		return;
	flux_event ev = {.type = type, .direction = dir, .migration = m, .seconds = secs};
	fn(ctx, &ev);
}

/* After flux_project_cancel(): nothing more starts, and a step that
 * failed because the database cancelled it says so. */
static int cancelled(flux_project *p, const flux_migration *m, flux_plan_kind dir,
		     int failed, flux_error *err)
{
	const char *id = flux_migration_id(m);
	if (!failed) {
		flux_error_set(err, FLUX_ERR_CANCELLED, "cancelled before '%s' started", id);
		snprintf(err->migration, sizeof(err->migration), "%s", id);
		return FLUX_ERR_CANCELLED;
	}
	char why[FLUX_ERROR_MESSAGE_MAX];
	snprintf(why, sizeof(why), "%s", err->message);
	int partial = flux_migration_stage(m) == FLUX_STAGE_MAIN &&
		      flux_project_incomplete_find(p, id);
	snprintf(err->message, sizeof(err->message), "cancelled while %s '%s'; %s",
		 dir == FLUX_PLAN_APPLY ? "applying" : "undoing", id,
		 partial ? "it ran outside a transaction and stopped half-way"
			 : "it was rolled back");
	err->code = FLUX_ERR_CANCELLED;
	if (!err->detail[0])
		snprintf(err->detail, sizeof(err->detail), "the database said: %s", why);
	return FLUX_ERR_CANCELLED;
}

/* One migration with its progress events, unless the run was cancelled. */
static int step(flux_project *p, const flux_migration *m, flux_plan_kind dir, int record,
		flux_progress_fn fn, void *ctx, flux_error *err)
{
	if (p->cancelled)
		return cancelled(p, m, dir, 0, err);
	emit(fn, ctx, FLUX_EVENT_START, dir, m, 0);
	double t0 = now();
	int rc = run_one(p, m, dir, record, err);
	emit(fn, ctx, rc ? FLUX_EVENT_FAILED : FLUX_EVENT_DONE, dir, m, now() - t0);
	if (rc && p->cancelled && rc != FLUX_ERR_CONNECTION) {
		/* The marks are re-read so the message can tell a half-done
		 * no-transaction migration from a rolled-back one. */
		flux_error ignored;
		flux_project_refresh(p, &ignored);
		rc = cancelled(p, m, dir, 1, err);
	}
	return rc;
}

static int run_stage(flux_project *p, flux_stage stage, flux_progress_fn fn, void *ctx,
		     flux_error *err)
{
	for (size_t i = 0; i < flux_migrations_count(p->migrations, stage); i++) {
		int rc = step(p, flux_migrations_get(p->migrations, stage, i), FLUX_PLAN_APPLY,
			      FLUX_RECORD_NONE, fn, ctx, err);
		if (rc)
			return rc;
	}
	return FLUX_OK;
}

void flux_project_cancel(flux_project *p)
{
	/* Only flag writes, kill(2) and the backend's own signal-safe call. */
	p->cancelled = 1;
	flux_helpers_cancel(&p->helpers);
	if (p->connected && FLUX_BACKEND_HAS(p->backend, cancel))
		p->backend->cancel(p->state);
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
	if (p->cancelled)
		return flux_error_set(err, FLUX_ERR_CANCELLED, "this project's run was "
				      "cancelled; open it again to go on");
	int rc = FLUX_OK;
	if (plan->repeatable)
		rc = run_stage(p, FLUX_STAGE_PRE, fn, ctx, err);
	if (rc)
		goto refresh;
	int record = plan->kind == FLUX_PLAN_APPLY ? FLUX_RECORD_REGISTER
						   : FLUX_RECORD_UNREGISTER;
	for (size_t i = 0; i < plan->count && !rc; i++)
		rc = step(p, plan->items[i], plan->kind, record, fn, ctx, err);
	/* Post-apply runs even after a failed migration, as upstream does;
	 * the migration's error stays the one reported.  Not after a lost
	 * connection or a cancel: the user asked to stop. */
	if (plan->repeatable && rc != FLUX_ERR_CONNECTION && rc != FLUX_ERR_CANCELLED) {
		flux_error post;
		int prc = run_stage(p, FLUX_STAGE_POST, fn, ctx, rc ? &post : err);
		if (prc && rc)
			flux_logf(&p->logger, FLUX_LOG_ERROR, "post-apply migration '%s' also "
				  "failed: %s", post.migration, post.message);
		if (!rc)
			rc = prc;
	}
refresh:;
	flux_error e2;
	int rrc = flux_project_refresh(p, rc ? &e2 : err);
	return rc ? rc : rrc;
}
