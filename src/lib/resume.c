/* SPDX-License-Identifier: MIT */
/* Resuming a migration that stopped half-way while it ran statement by
 * statement.
 *
 * The mark's resume text is the host's own: "flux-resume 1 K H1 ... HK",
 * the format's version, how many statements completed, and the MD5 (lower
 * case hex) of the exact bytes of each of them, as the backend's split()
 * cut them.  A later run in the same direction skips those K statements
 * when today's first K are byte-identical (the usual fix edits only the
 * statement that failed), so nothing that ran runs twice; anything else
 * is refused with both ways on: restore the text, or --restart. */
#include <config.h>
#include <stdlib.h>
#include <string.h>

#include "project.h"

#define RESUME_TAG "flux-resume 1"

char *flux_resume_encode(const struct flux_stmts *s, size_t done)
{
	flux_buf b = {0};
	int bad = flux_buf_appendf(&b, "%s %zu", RESUME_TAG, done);
	for (size_t i = 0; i < done && !bad; i++)
		bad = flux_buf_appendf(&b, " %s", s->items[i].md5);
	if (bad) {
		flux_buf_free(&b);
		return NULL;
	}
	return flux_buf_steal(&b);
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* *k and where the hashes start (each is " " and 32 hex digits), or -1
 * for text this flux did not write. */
static int decode(const char *text, size_t *k, const char **hashes)
{
	size_t tl = strlen(RESUME_TAG);
	if (strncmp(text, RESUME_TAG, tl) != 0 || text[tl] != ' ')
		return -1;
	const char *p = text + tl + 1;
	size_t n = 0, digits = 0;
	for (; *p >= '0' && *p <= '9' && digits < 19; p++, digits++)
		n = n * 10 + (size_t)(*p - '0');
	if (!digits || (*p != ' ' && *p != '\0'))
		return -1;
	*hashes = p;
	for (size_t i = 0; i < n; i++, p += 33) {
		if (*p != ' ')
			return -1;
		for (int j = 1; j <= 32; j++)
			if (!is_hex(p[j]))
				return -1;
	}
	if (*p)
		return -1;
	*k = n;
	return 0;
}

/* err's location: file, the statement's first line and its text. */
static void at_statement(flux_error *err, const struct flux_step_text *t,
			 const struct flux_stmt *st)
{
	flux_error_at(err, t->file, flux_stmt_line(t->sql, st));
	/* The text of the line where the statement starts. */
	const char *s = t->sql + flux_stmt_start(t->sql, st);
	const char *b = s;
	while (b > t->sql && b[-1] != '\n')
		b--;
	const char *e = s;
	while (e < t->sql + t->len && *e != '\n' && *e != '\r')
		e++;
	size_t n = (size_t)(e - b);
	if (n >= sizeof(err->line_text))
		n = sizeof(err->line_text) - 1;
	memcpy(err->line_text, b, n);
	err->line_text[n] = '\0';
}

int flux_resume_check(const flux_project *p, const char *id, flux_plan_kind dir,
		      const struct flux_step_text *t, const struct flux_stmts *s,
		      const struct flux_mark_entry *mark, size_t *start, flux_error *err)
{
	(void)p;
	*start = 0;
	flux_error_clear(err);
	int apply = dir == FLUX_PLAN_APPLY;
	const char *cmd = apply ? "apply" : "rollback";
	const flux_incomplete *m = &mark->pub;
	if (m->direction != dir) {
		flux_error_set(err, FLUX_ERR_INCOMPLETE, "migration '%s' stopped half-way while "
			       "being %s (started %s: %s), so `flux %s` cannot resume it", id,
			       apply ? "rolled back" : "applied", m->started_at, m->progress, cmd);
		flux_error_hint(err, "finish what it was doing with `flux %s`, which resumes it; "
				"or check which of those statements took effect and run `flux %s "
				"--restart` to %s '%s' from its first statement",
				apply ? "rollback" : "apply", cmd, apply ? "apply" : "undo", id);
		goto located;
	}
	size_t k = 0;
	const char *hashes = NULL;
	if (!mark->resume || decode(mark->resume, &k, &hashes) != 0) {
		flux_error_set(err, FLUX_ERR_INCOMPLETE, "migration '%s' stopped half-way while "
			       "being %s (started %s: %s), and its mark does not say which "
			       "statements completed", id, apply ? "applied" : "rolled back",
			       m->started_at, m->progress);
		flux_error_detail(err, "the mark was written by an older flux, which kept no "
				  "resume data: it can only run again from its first statement");
		flux_error_hint(err, "make its statements safe to repeat (IF NOT EXISTS) or undo "
				"what ran, then `flux %s --restart` runs it from its first "
				"statement", cmd);
		goto located;
	}
	if (k > s->n) {
		flux_error_set(err, FLUX_ERR_INCOMPLETE, "cannot resume migration '%s': its mark "
			       "says %zu statements completed, but it now has %zu", id, k, s->n);
		flux_error_detail(err, "resuming skips the statements that completed, so they "
				  "must be byte-for-byte what ran");
		flux_error_hint(err, "restore the statements that ran to resume after them; or, "
				"if its statements are safe to repeat, `flux %s --restart` runs "
				"'%s' from its first statement", cmd, id);
		goto located;
	}
	for (size_t i = 0; i < k; i++) {
		const char *want = hashes + i * 33 + 1;
		if (memcmp(s->items[i].md5, want, 32) == 0)
			continue;
		flux_error_set(err, FLUX_ERR_INCOMPLETE, "cannot resume migration '%s': statement "
			       "%zu of the %zu that completed before it stopped has changed", id,
			       i + 1, k);
		flux_error_detail(err, "resuming skips the statements that completed, so each "
				  "must be byte-for-byte what ran; statement %zu is not (MD5 %.32s "
				  "when it ran, %s now)", i + 1, want, s->items[i].md5);
		flux_error_hint(err, "restore statement %zu as it was to resume after the %zu "
				"completed statements; or, if its statements are safe to repeat "
				"(IF NOT EXISTS), `flux %s --restart` runs '%s' from its first "
				"statement", i + 1, k, cmd, id);
		snprintf(err->migration, sizeof(err->migration), "%s", id);
		at_statement(err, t, &s->items[i]);
		return FLUX_ERR_INCOMPLETE;
	}
	*start = k;
	return FLUX_OK;
located:
	snprintf(err->migration, sizeof(err->migration), "%s", id);
	flux_error_at(err, t->file, 0);
	return FLUX_ERR_INCOMPLETE;
}
