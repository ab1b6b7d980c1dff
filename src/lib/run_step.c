/* SPDX-License-Identifier: MIT */
/* One migration of a plan, by one of the three paths backend.h's
 * LIFECYCLE lists:
 *   a. run_step(), a plain transactional step on a backend that has it;
 *   b. begin, execute (the whole text), register or unregister,
 *      mark_delete when an old mark is left, commit;
 *   c. statement by statement (run_statements.c).
 * Failures of the migration's own SQL become FLUX_ERR_MIGRATION, located
 * at file:line:column of the file the SQL came from. */
#include <config.h>
#include <string.h>

#include "project.h"

int flux_step_text(const flux_migration *m, flux_plan_kind dir, struct flux_step_text *t,
		   flux_error *err)
{
	if (dir == FLUX_PLAN_APPLY) {
		t->sql = flux_migration_up(m, &t->len);
		t->file = flux_migration_path(m);
		t->flags = flux_migration_flags(m);
		return FLUX_OK;
	}
	int rc = flux_migration_undo(m, &t->sql, &t->len, err);
	if (rc)
		return rc;
	if (!t->sql) {
		t->sql = "";
		t->len = 0;
	}
	t->file = flux_migration_undo_path(m);
	/* An undo carries its own directive line. */
	t->flags = flux_sql_directives(t->sql, t->len);
	return FLUX_OK;
}

int flux_step_prepare(flux_project *p, const flux_migration *m, flux_plan_kind dir,
		      int record, struct flux_step_text *t, struct flux_step *st,
		      const struct flux_mark_entry **mark, flux_error *err)
{
	int rc = flux_step_text(m, dir, t, err);
	if (rc)
		return rc;
	*st = (struct flux_step){.id = flux_migration_id(m), .hash = flux_migration_hash(m),
				 .sql = t->sql, .len = t->len, .record = record};
	/* Only versioned migrations have marks; a repeatable one never does. */
	*mark = record != FLUX_RECORD_NONE ? flux_project_mark(p, st->id) : NULL;
	return FLUX_OK;
}

int flux_step_by_statement(const flux_project *p, unsigned int flags,
			   const struct flux_mark_entry *mark, int restart)
{
	return (flags & FLUX_MIGRATION_NO_TRANSACTION) ||
	       !(p->backend->capabilities & FLUX_CAP_TRANSACTIONAL_DDL) || (mark && !restart);
}

/* Path b. */
static int in_transaction(flux_project *p, const struct flux_step *st, int end_mark,
			  flux_error *err)
{
	const struct flux_backend *b = p->backend;
	int rc = b->begin(p->state, err);
	if (rc)
		return rc;
	if (st->len)
		rc = b->execute(p->state, st->sql, st->len, err);
	if (!rc && st->record == FLUX_RECORD_REGISTER)
		rc = b->register_migration(p->state, st->id, st->hash, err);
	else if (!rc && st->record == FLUX_RECORD_UNREGISTER)
		rc = b->unregister_migration(p->state, st->id, err);
	if (!rc && end_mark)
		rc = b->mark_delete(p->state, st->id, err);
	if (!rc)
		rc = b->commit(p->state, err);
	if (rc) {
		flux_error ignored;
		b->rollback(p->state, &ignored);
	}
	return rc;
}

int flux_run_step(flux_project *p, const flux_migration *m, flux_plan_kind dir, int record,
		  int restart, struct flux_step_result *res, flux_error *err)
{
	memset(res, 0, sizeof(*res));
	struct flux_step_text t;
	struct flux_step st;
	const struct flux_mark_entry *mark;
	int rc = flux_step_prepare(p, m, dir, record, &t, &st, &mark, err);
	if (rc)
		return rc;
	flux_error_clear(err);
	int by_statement = flux_step_by_statement(p, t.flags, mark, restart);
	flux_logf(&p->logger, FLUX_LOG_DEBUG, "%s %s (%s, %zu bytes%s%s)",
		  dir == FLUX_PLAN_APPLY ? "applying" : "undoing", st.id, t.file, st.len,
		  by_statement ? ", statement by statement" : "",
		  mark ? (restart ? ", restarting" : ", resuming") : "");
	if (mark && restart)
		flux_logf(&p->logger, FLUX_LOG_WARNING, "running '%s' again from its first "
			  "statement; it stopped half-way before (started %s: %s)", st.id,
			  mark->pub.started_at, mark->pub.progress);
	if (by_statement)
		rc = flux_run_statements(p, &st, &t, dir, mark, restart, res, err);
	else if (FLUX_BACKEND_HAS(p->backend, run_step) && !mark)
		rc = p->backend->run_step(p->state, &st, err);
	else
		rc = in_transaction(p, &st, mark != NULL, err);
	if (!rc)
		return FLUX_OK;
	/* The statement-by-statement path says itself which failures were the
	 * migration's SQL. */
	if (rc == FLUX_ERR_BACKEND && !by_statement)
		rc = err->code = FLUX_ERR_MIGRATION;
	if (!err->code)
		err->code = rc;
	flux_error_locate(err, t.file, st.id, t.sql, t.len);
	if (flux_migration_kind_of(m) != FLUX_KIND_SQL)
		flux_error_locate_generated(err, t.file);
	return rc;
}
