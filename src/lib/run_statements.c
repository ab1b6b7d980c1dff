/* SPDX-License-Identifier: MIT */
/* The statement-by-statement path (backend.h, LIFECYCLE c): for
 * `-- flux: no-transaction` migrations, and for every migration when the
 * database has no transactional DDL.  Nothing rolls such a run back, so
 * a mark, committed before the first statement and brought up to date
 * after each one, says how far it got; its resume text (resume.c) lets
 * the next run go on after the statements that completed.  The record
 * follows in a transaction of its own, which also deletes the mark.
 * Repeatable migrations (pre-apply, post-apply) run the same way without
 * mark or record. */
#include <config.h>
#include <stdlib.h>
#include <string.h>

#include "project.h"

struct collect {
	struct flux_stmts *s;
	size_t len;
	int outside;
};

static int on_statement(void *ctx, size_t off, size_t len)
{
	struct collect *c = ctx;
	if (off > c->len || len > c->len - off) {
		c->outside = 1;
		return FLUX_ERR_PLUGIN;
	}
	if (!len)
		return 0;
	struct flux_stmts *s = c->s;
	if (flux_grow(&s->items, &s->cap, s->n, sizeof(*s->items), 16))
		return FLUX_ERR_NOMEM;
	s->items[s->n].off = off;
	s->items[s->n].len = len;
	s->n++;
	return 0;
}

void flux_stmts_free(struct flux_stmts *s)
{
	free(s->items);
	memset(s, 0, sizeof(*s));
}

int flux_stmts_split(flux_project *p, const char *sql, size_t len, struct flux_stmts *s,
		     flux_error *err)
{
	memset(s, 0, sizeof(*s));
	flux_error_clear(err);
	struct collect c = {.s = s, .len = len};
	int rc = p->backend->split(p->state, sql, len, on_statement, &c, err);
	if (c.outside)
		rc = flux_error_set(err, FLUX_ERR_PLUGIN, "backend '%s' split the SQL into a "
				    "statement that ends beyond it", p->backend->name);
	else if (rc == FLUX_ERR_NOMEM && !err->message[0])
		flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
	if (rc) {
		flux_stmts_free(s);
		return rc;
	}
	for (size_t i = 0; i < s->n; i++)
		flux_md5_hex(sql + s->items[i].off, s->items[i].len, s->items[i].md5);
	return FLUX_OK;
}

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

size_t flux_stmt_start(const char *sql, const struct flux_stmt *st)
{
	const char *p = sql + st->off, *end = p + st->len;
	for (;;) {
		while (p < end && blank(*p))
			p++;
		if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
			while (p < end && *p != '\n')
				p++;
		} else if (end - p >= 2 && p[0] == '/' && p[1] == '*') {
			const char *close = p + 2;
			while (close + 1 < end && !(close[0] == '*' && close[1] == '/'))
				close++;
			if (close + 1 >= end)
				break; /* unterminated: the statement starts here */
			p = close + 2;
		} else {
			break;
		}
	}
	return p < end ? (size_t)(p - sql) : st->off;
}

int flux_stmt_line(const char *sql, const struct flux_stmt *st)
{
	size_t at = flux_stmt_start(sql, st);
	int line = 1;
	for (size_t i = 0; i < at; i++)
		line += sql[i] == '\n';
	return line;
}

void flux_progress_text(char *out, size_t size, size_t done, size_t total)
{
	snprintf(out, size, "%zu of %zu statements ran", done, total);
}

/* mark_save() with the progress text and the resume text for done
 * completed statements. */
static int save_mark(flux_project *p, const char *id, flux_plan_kind dir,
		     const struct flux_stmts *s, size_t done, const char *progress,
		     flux_error *err)
{
	char *resume = flux_resume_encode(s, done);
	if (!resume)
		return flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
	struct flux_mark mark = {.id = id, .started_at = "", .progress = progress,
				 .resume = resume,
				 .direction = dir == FLUX_PLAN_APPLY ? FLUX_MARK_APPLY
								     : FLUX_MARK_ROLLBACK};
	flux_error_clear(err);
	int rc = p->backend->mark_save(p->state, &mark, err);
	free(resume);
	return rc;
}

/* Statement i, from a NUL-terminated copy as execute() wants it; a
 * position the backend reports becomes one in the whole text. */
static int execute_one(flux_project *p, const char *sql, const struct flux_stmt *st,
		       flux_error *err)
{
	char *one = malloc(st->len + 1);
	if (!one)
		return flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
	memcpy(one, sql + st->off, st->len);
	one[st->len] = '\0';
	flux_error_clear(err);
	int rc = p->backend->execute(p->state, one, st->len, err);
	free(one);
	if (!rc)
		return FLUX_OK;
	if (err->position > 0 && (size_t)err->position <= st->len + 1)
		err->position += (long)st->off;
	else
		err->position = (long)flux_stmt_start(sql, st) + 1;
	return rc;
}

/* Why the step ran statement by statement, for messages. */
static const char *how(const struct flux_step_text *t)
{
	return t->flags & FLUX_MIGRATION_NO_TRANSACTION
		? "no-transaction migration"
		: "migration run statement by statement (the database has no "
		  "transactional DDL)";
}

/* Statement i failed: its mark says so (best effort: the failure is what
 * is reported), and the messages say what ran and how to go on. */
static int failed(flux_project *p, const struct flux_step *st, const struct flux_step_text *t,
		  flux_plan_kind dir, const struct flux_stmts *s, size_t i, int marked, int rc,
		  flux_error *err)
{
	if (rc == FLUX_ERR_BACKEND)
		rc = err->code = FLUX_ERR_MIGRATION;
	if (marked && rc != FLUX_ERR_CONNECTION) {
		char progress[FLUX_ERROR_MESSAGE_MAX + 160];
		snprintf(progress, sizeof(progress), "statement %zu of %zu failed%s%s%s: %s; %zu "
			 "of %zu ran before it", i + 1, s->n, err->sqlstate[0] ? " (SQLSTATE " : "",
			 err->sqlstate, err->sqlstate[0] ? ")" : "", err->message, i, s->n);
		flux_error ignored;
		save_mark(p, st->id, dir, s, i, progress, &ignored);
	}
	const char *cmd = dir == FLUX_PLAN_APPLY ? "apply" : "rollback";
	char advice[FLUX_ERROR_HINT_MAX];
	if (!marked)
		snprintf(advice, sizeof(advice), "it runs again from its first statement on the "
			 "next run: make its statements safe to repeat (IF NOT EXISTS)");
	else if (i == 0)
		snprintf(advice, sizeof(advice), "fix statement 1 and run `flux %s` again", cmd);
	else
		snprintf(advice, sizeof(advice), "fix statement %zu and run `flux %s` again: it "
			 "resumes after the %zu statements that completed (leave them "
			 "unchanged); or `flux %s --restart` runs '%s' from its first statement",
			 i + 1, cmd, i, cmd, st->id);
	char detail[FLUX_ERROR_DETAIL_MAX];
	snprintf(detail, sizeof(detail), "%s%s%s: statement %zu of %zu failed; %s%s%s",
		 err->detail, err->detail[0] ? "\n" : "", how(t), i + 1, s->n,
		 i == 0 ? "no statement before it ran"
			: "the statements before it ran and stay in effect",
		 err->hint[0] ? "\n" : "", err->hint[0] ? advice : "");
	memcpy(err->detail, detail, sizeof(err->detail));
	if (!err->hint[0])
		snprintf(err->hint, sizeof(err->hint), "%s", advice);
	return rc;
}

/* The record in a transaction of its own, which also ends the mark. */
static int write_record(flux_project *p, const struct flux_step *st, flux_plan_kind dir,
			flux_error *err)
{
	const struct flux_backend *b = p->backend;
	flux_error_clear(err);
	int rc = b->begin(p->state, err);
	int begun = rc == FLUX_OK;
	if (!rc)
		rc = st->record == FLUX_RECORD_REGISTER
			? b->register_migration(p->state, st->id, st->hash, err)
			: b->unregister_migration(p->state, st->id, err);
	if (!rc)
		rc = b->mark_delete(p->state, st->id, err);
	if (!rc)
		rc = b->commit(p->state, err);
	if (!rc)
		return FLUX_OK;
	if (begun) {
		flux_error ignored;
		b->rollback(p->state, &ignored);
	}
	flux_error_detail(err, "every statement of '%s' ran, but its record could not be %s",
			  st->id, st->record == FLUX_RECORD_REGISTER ? "written" : "deleted");
	if (!err->hint[0])
		flux_error_hint(err, "`flux %s` writes it: '%s' resumes with no statement left "
				"to run", dir == FLUX_PLAN_APPLY ? "apply" : "rollback", st->id);
	return rc;
}

int flux_run_statements(flux_project *p, const struct flux_step *st,
			const struct flux_step_text *t, flux_plan_kind dir,
			const struct flux_mark_entry *mark, int restart,
			struct flux_step_result *res, flux_error *err)
{
	int marked = st->record != FLUX_RECORD_NONE;
	res->by_statement = 1;
	res->marked = marked;
	struct flux_stmts s;
	int rc = flux_stmts_split(p, t->sql, t->len, &s, err);
	if (rc)
		return rc;
	res->total = s.n;
	size_t start = 0;
	if (mark && !restart) {
		rc = flux_resume_check(p, st->id, dir, t, &s, mark, &start, err);
		if (rc)
			goto out;
		flux_logf(&p->logger, FLUX_LOG_INFO, "resuming '%s' after its %zu completed "
			  "statement%s", st->id, start, start == 1 ? "" : "s");
	} else if (mark) {
		/* --restart: the old mark goes first, committed at once. */
		flux_error_clear(err);
		rc = p->backend->mark_delete(p->state, st->id, err);
		if (rc)
			goto out;
	}
	res->done = start;
	char progress[128];
	if (marked) {
		flux_progress_text(progress, sizeof(progress), start, s.n);
		rc = save_mark(p, st->id, dir, &s, start, progress, err);
		if (rc)
			goto out;
	}
	for (size_t i = start; i < s.n; i++) {
		/* Only between statements when the backend cannot cancel one. */
		if (atomic_load(&p->cancelled)) {
			rc = flux_error_set(err, FLUX_ERR_CANCELLED, "cancelled before statement "
					    "%zu of %zu", i + 1, s.n);
			goto out;
		}
		rc = execute_one(p, t->sql, &s.items[i], err);
		if (rc) {
			rc = failed(p, st, t, dir, &s, i, marked, rc, err);
			goto out;
		}
		res->done = i + 1;
		if (!marked)
			continue;
		flux_progress_text(progress, sizeof(progress), i + 1, s.n);
		rc = save_mark(p, st->id, dir, &s, i + 1, progress, err);
		if (rc) {
			/* Going on would leave a mark that undercounts what ran. */
			flux_error_detail(err, "statement %zu of %zu of '%s' ran, but its mark could "
					  "not be brought up to date; resuming would run that "
					  "statement again", i + 1, s.n, st->id);
			goto out;
		}
	}
	if (marked)
		rc = write_record(p, st, dir, err);
out:
	flux_stmts_free(&s);
	return rc;
}
