/* SPDX-License-Identifier: MIT */
/* Dry runs: the SQL a real flux_plan_execute() would send, step by step,
 * as a script the database's own client can run, from the backend's
 * describe_sql() and the migrations' texts.  It follows the runner's
 * choices (run_step.c, run_statements.c) one for one and sends nothing. */
#include <config.h>
#include <stdlib.h>
#include <string.h>

#include "project.h"

struct script {
	flux_buf buf;
};

static int add_text(void *ctx, const char *text, size_t len)
{
	struct script *s = ctx;
	if (flux_buf_append(&s->buf, text, len) != 0 ||
	    (len && text[len - 1] != '\n' && flux_buf_append(&s->buf, "\n", 1) != 0))
		return FLUX_ERR_NOMEM;
	return 0;
}

static int nomem(flux_error *err)
{
	return flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
}

static int describe(flux_project *p, int kind, const struct flux_step *st,
		    const struct flux_mark *mark, struct script *s, flux_error *err)
{
	flux_error_clear(err);
	int rc = p->backend->describe_sql(p->state, kind, st, mark, add_text, s, err);
	if (rc == FLUX_ERR_NOMEM && !err->message[0])
		nomem(err);
	return rc;
}

/* A whole migration text as execute() gets it, ended so that a client
 * reading a script does not join its last statement to the next line. */
static int add_migration_text(flux_project *p, const struct flux_step_text *t,
			      struct script *s, flux_error *err)
{
	if (!t->len)
		return FLUX_OK;
	struct flux_stmts stmts;
	int rc = flux_stmts_split(p, t->sql, t->len, &stmts, err);
	if (rc)
		return rc;
	int open_end = 0;
	if (stmts.n) {
		const struct flux_stmt *last = &stmts.items[stmts.n - 1];
		size_t end = last->off + last->len;
		open_end = !memchr(t->sql + end, ';', t->len - end);
	}
	flux_stmts_free(&stmts);
	if (add_text(s, t->sql, t->len) || (open_end && add_text(s, ";", 1)))
		return nomem(err);
	return FLUX_OK;
}

static int record_sql(flux_project *p, const struct flux_step *st, struct script *s,
		      flux_error *err)
{
	if (st->record == FLUX_RECORD_REGISTER)
		return describe(p, FLUX_SQL_REGISTER, st, NULL, s, err);
	if (st->record == FLUX_RECORD_UNREGISTER)
		return describe(p, FLUX_SQL_UNREGISTER, st, NULL, s, err);
	return FLUX_OK;
}

static int mark_sql(flux_project *p, const struct flux_step *st, flux_plan_kind dir,
		    const struct flux_stmts *stmts, size_t done, struct script *s,
		    flux_error *err)
{
	char progress[128];
	flux_progress_text(progress, sizeof(progress), done, stmts->n);
	char *resume = flux_resume_encode(stmts, done);
	if (!resume)
		return nomem(err);
	struct flux_mark mark = {.id = st->id, .started_at = "", .progress = progress,
				 .resume = resume,
				 .direction = dir == FLUX_PLAN_APPLY ? FLUX_MARK_APPLY
								     : FLUX_MARK_ROLLBACK};
	int rc = describe(p, FLUX_SQL_MARK_SAVE, st, &mark, s, err);
	free(resume);
	return rc;
}

/* One statement of path c, as the backend's client would run it alone
 * (DELIMITER lines for MySQL's), or followed by ";" when the backend does
 * not say. */
static int statement_sql(flux_project *p, const struct flux_step *st, const char *sql,
			 size_t len, struct script *s, flux_error *err)
{
	/* The statement's own copy: step->sql[len] is NUL by the ABI. */
	char *text = flux_strndup(sql, len);
	if (!text)
		return nomem(err);
	struct flux_step one = *st;
	one.sql = text;
	one.len = len;
	size_t before = s->buf.len;
	int rc = describe(p, FLUX_SQL_STATEMENT, &one, NULL, s, err);
	free(text);
	if (rc == FLUX_ERR_UNSUPPORTED) {
		s->buf.len = before;
		flux_error_clear(err);
		if (flux_buf_append(&s->buf, sql, len) || flux_buf_append(&s->buf, ";\n", 2))
			return nomem(err);
		rc = FLUX_OK;
	}
	return rc;
}

/* Path c, as run_statements.c runs it. */
static int statements_sql(flux_project *p, const struct flux_step *st,
			  const struct flux_step_text *t, flux_plan_kind dir,
			  const struct flux_mark_entry *mark, int restart, struct script *s,
			  flux_error *err)
{
	int marked = st->record != FLUX_RECORD_NONE;
	struct flux_stmts stmts;
	int rc = flux_stmts_split(p, t->sql, t->len, &stmts, err);
	if (rc)
		return rc;
	size_t start = 0;
	if (mark && !restart)
		rc = flux_resume_check(p, st->id, dir, t, &stmts, mark, &start, err);
	else if (mark)
		rc = describe(p, FLUX_SQL_MARK_DELETE, st, NULL, s, err);
	if (!rc && marked)
		rc = mark_sql(p, st, dir, &stmts, start, s, err);
	for (size_t i = start; i < stmts.n && !rc; i++) {
		rc = statement_sql(p, st, t->sql + stmts.items[i].off, stmts.items[i].len, s, err);
		if (!rc && marked)
			rc = mark_sql(p, st, dir, &stmts, i + 1, s, err);
	}
	if (!rc && marked) {
		rc = describe(p, FLUX_SQL_BEGIN, st, NULL, s, err);
		if (!rc)
			rc = record_sql(p, st, s, err);
		if (!rc)
			rc = describe(p, FLUX_SQL_MARK_DELETE, st, NULL, s, err);
		if (!rc)
			rc = describe(p, FLUX_SQL_COMMIT, st, NULL, s, err);
	}
	flux_stmts_free(&stmts);
	return rc;
}

/* One migration: the SQL of the path flux_run_step() would take. */
static int step_sql(flux_project *p, const flux_plan *plan, const flux_migration *m,
		    flux_plan_kind dir, int record, flux_dry_run_fn fn, void *ctx,
		    flux_error *err)
{
	struct flux_step_text t;
	struct flux_step st;
	const struct flux_mark_entry *mark;
	int rc = flux_step_prepare(p, m, dir, record, &t, &st, &mark, err);
	if (rc)
		return rc;
	int restart = flux_plan_restarts(plan);
	struct script s = {0};
	if (flux_step_by_statement(p, t.flags, mark, restart)) {
		rc = statements_sql(p, &st, &t, dir, mark, restart, &s, err);
	} else if (FLUX_BACKEND_HAS(p->backend, run_step) && !mark) {
		rc = describe(p, FLUX_SQL_RUN_STEP, &st, NULL, &s, err);
	} else {
		rc = describe(p, FLUX_SQL_BEGIN, &st, NULL, &s, err);
		if (!rc)
			rc = add_migration_text(p, &t, &s, err);
		if (!rc)
			rc = record_sql(p, &st, &s, err);
		if (!rc && mark)
			rc = describe(p, FLUX_SQL_MARK_DELETE, &st, NULL, &s, err);
		if (!rc)
			rc = describe(p, FLUX_SQL_COMMIT, &st, NULL, &s, err);
	}
	if (!rc) {
		flux_dry_step ds = {.migration = m, .direction = dir, .file = t.file,
				    .sql = s.buf.data ? s.buf.data : "", .len = s.buf.len};
		rc = fn(ctx, &ds);
	}
	flux_buf_free(&s.buf);
	if (rc && !err->code)
		flux_error_set(err, (flux_status)rc, "the dry run stopped at '%s'", st.id);
	if (rc && !err->migration[0])
		snprintf(err->migration, sizeof(err->migration), "%s", st.id);
	return rc;
}

static int stage_sql(flux_project *p, const flux_plan *plan, flux_stage stage,
		     flux_dry_run_fn fn, void *ctx, flux_error *err)
{
	for (size_t i = 0; i < flux_migrations_count(p->migrations, stage); i++) {
		int rc = step_sql(p, plan, flux_migrations_get(p->migrations, stage, i),
				  FLUX_PLAN_APPLY, FLUX_RECORD_NONE, fn, ctx, err);
		if (rc)
			return rc;
	}
	return FLUX_OK;
}

int flux_plan_dry_run(flux_project *p, const flux_plan *plan, flux_dry_run_fn fn, void *ctx,
		      flux_error *err)
{
	flux_error_clear(err);
	if (!FLUX_BACKEND_HAS(p->backend, describe_sql))
		return flux_error_set(err, FLUX_ERR_UNSUPPORTED, "backend '%s' cannot show the SQL "
				      "it would send (it has no describe_sql), so it has no dry "
				      "run", p->backend->name);
	int rc = flux_plan_check(p, plan, err);
	if (rc)
		return rc;
	if (!p->initialized) {
		struct script s = {0};
		rc = describe(p, FLUX_SQL_INITIALIZE, NULL, NULL, &s, err);
		if (!rc) {
			flux_dry_step ds = {.direction = flux_plan_kind_of(plan),
					    .sql = s.buf.data ? s.buf.data : "", .len = s.buf.len};
			rc = fn(ctx, &ds);
			if (rc && !err->code)
				flux_error_set(err, (flux_status)rc, "the dry run stopped");
		}
		flux_buf_free(&s.buf);
		if (rc)
			return rc;
	}
	int repeatable = flux_plan_runs_repeatable(plan);
	if (repeatable && (rc = stage_sql(p, plan, FLUX_STAGE_PRE, fn, ctx, err)))
		return rc;
	flux_plan_kind kind = flux_plan_kind_of(plan);
	int record = kind == FLUX_PLAN_APPLY ? FLUX_RECORD_REGISTER : FLUX_RECORD_UNREGISTER;
	for (size_t i = 0; i < flux_plan_count(plan); i++)
		if ((rc = step_sql(p, plan, flux_plan_get(plan, i), kind, record, fn, ctx, err)))
			return rc;
	if (repeatable)
		rc = stage_sql(p, plan, FLUX_STAGE_POST, fn, ctx, err);
	return rc;
}
