/* SPDX-License-Identifier: MIT */
/* What the database says was done: the records and marks as read from the
 * backend, checked and sorted; the incomplete migrations; and the
 * validation of the directory against the records that guards every apply
 * and rollback. */
#include <config.h>
#include <stdlib.h>
#include <string.h>

#include "project.h"

void flux_project_clear_records(flux_project *p)
{
	flux_arena_free(&p->record_mem);
	p->nrecords = 0;
	for (size_t i = 0; i < p->nmarks; i++) {
		free((char *)p->marks[i].pub.id);
		free((char *)p->marks[i].pub.started_at);
		free((char *)p->marks[i].pub.progress);
		free(p->marks[i].resume);
	}
	p->nmarks = 0;
}

/* The callbacks return FLUX_ERR_NOMEM when out of memory, which the
 * backend hands back unchanged (backend.h, CALLBACKS). */
static int on_record(void *ctx, const char *id, const char *hash, const char *at)
{
	flux_project *p = ctx;
	if (flux_grow(&p->records, &p->cap_records, p->nrecords, sizeof(*p->records), 64))
		return FLUX_ERR_NOMEM;
	/* In one arena: 100,000 records are 300,000 strings. */
	flux_record *r = &p->records[p->nrecords];
	if (!id)
		id = ""; /* a NULL id is refused by check_id() */
	if (!hash)
		hash = "";
	if (!at)
		at = "";
	size_t il = strlen(id), hl = strlen(hash), al = strlen(at);
	char *mem = flux_arena_alloc(&p->record_mem, il + hl + al + 3, 1);
	if (!mem)
		return FLUX_ERR_NOMEM;
	r->id = memcpy(mem, id, il + 1);
	r->hash = memcpy(mem + il + 1, hash, hl + 1);
	r->applied_at = memcpy(mem + il + hl + 2, at, al + 1);
	p->nrecords++;
	return 0;
}

static int on_mark(void *ctx, const struct flux_mark *mark)
{
	flux_project *p = ctx;
	if (flux_grow(&p->marks, &p->cap_marks, p->nmarks, sizeof(*p->marks), 8))
		return FLUX_ERR_NOMEM;
	struct flux_mark_entry *e = &p->marks[p->nmarks];
	flux_incomplete *m = &e->pub;
	m->id = flux_strdup(mark->id ? mark->id : "");
	m->direction = mark->direction == FLUX_MARK_ROLLBACK ? FLUX_PLAN_ROLLBACK
							     : FLUX_PLAN_APPLY;
	m->started_at = flux_strdup(mark->started_at ? mark->started_at : "");
	m->progress = flux_strdup(mark->progress ? mark->progress : "");
	e->resume = mark->resume && mark->resume[0] ? flux_strdup(mark->resume) : NULL;
	if (!m->id || !m->started_at || !m->progress ||
	    (mark->resume && mark->resume[0] && !e->resume)) {
		free((char *)m->id);
		free((char *)m->started_at);
		free((char *)m->progress);
		free(e->resume);
		return FLUX_ERR_NOMEM;
	}
	p->nmarks++;
	return 0;
}

static int by_record_id(const void *a, const void *b)
{
	return strcmp(((const flux_record *)a)->id, ((const flux_record *)b)->id);
}

static int by_mark_id(const void *a, const void *b)
{
	return strcmp(((const struct flux_mark_entry *)a)->pub.id,
		      ((const struct flux_mark_entry *)b)->pub.id);
}

static int sorted(const void *base, size_t n, size_t size,
		  int (*cmp)(const void *, const void *))
{
	const char *p = base;
	for (size_t i = 1; i < n; i++)
		if (cmp(p + (i - 1) * size, p + i * size) > 0)
			return 0;
	return 1;
}

/* A record whose id no migration file can have (NULL or empty, a control
 * character, bytes that are not UTF-8) was written by hand or by another
 * tool; it is named rather than compared, printed or deleted. */
static int check_id(const flux_project *p, const char *id, const char *what,
		    const char *hash, flux_error *err)
{
	size_t len = strlen(id);
	const char *why = !len ? "is NULL or empty"
			  : flux_utf8_check(id, len) < len ? "is not valid UTF-8" : NULL;
	for (size_t i = 0; i < len && !why; i++)
		if ((unsigned char)id[i] < 0x20 || id[i] == 0x7F)
			why = "holds a control character";
	if (!why)
		return FLUX_OK;
	char shown[FLUX_ERROR_ID_MAX];
	flux_escape(id, len, shown, sizeof(shown));
	flux_error_set(err, FLUX_ERR_CORRUPT, "the %s of backend '%s' has a row whose id %s: "
		       "'%s'%s%s%s", what, p->backend->name, why, shown, hash ? " (hash " : "",
		       hash ? hash : "", hash ? ")" : "");
	flux_error_hint(err, "no migration file can have that id; fix or delete the row "
			"(the id is shown with \\n, \\xNN escapes)");
	return FLUX_ERR_CORRUPT;
}

/* A backend that stops because a callback returned FLUX_ERR_NOMEM need
 * not fill err (backend.h): say it here. */
static int listed(int rc, flux_error *err)
{
	if (rc == FLUX_ERR_NOMEM && !err->message[0])
		flux_error_set(err, FLUX_ERR_NOMEM, "out of memory reading the records");
	return rc;
}

int flux_project_refresh(flux_project *p, flux_error *err)
{
	flux_project_clear_records(p);
	flux_error_clear(err);
	int rc = listed(p->backend->list_applied(p->state, on_record, p, err), err);
	if (!rc)
		rc = listed(p->backend->list_marks(p->state, on_mark, p, err), err);
	for (size_t i = 0; i < p->nrecords && !rc; i++)
		rc = check_id(p, p->records[i].id, "record table", p->records[i].hash, err);
	for (size_t i = 0; i < p->nmarks && !rc; i++)
		rc = check_id(p, p->marks[i].pub.id, "table of incomplete migrations", NULL, err);
	if (rc)
		return rc;
	/* Backends need not order the rows (backend.h); most tables come back
	 * in id order all the same, which one pass sees. */
	if (!sorted(p->records, p->nrecords, sizeof(*p->records), by_record_id))
		qsort(p->records, p->nrecords, sizeof(*p->records), by_record_id);
	if (!sorted(p->marks, p->nmarks, sizeof(*p->marks), by_mark_id))
		qsort(p->marks, p->nmarks, sizeof(*p->marks), by_mark_id);
	return FLUX_OK;
}

size_t flux_project_incomplete_count(const flux_project *p) { return p->nmarks; }

const flux_incomplete *flux_project_incomplete(const flux_project *p, size_t i)
{
	return i < p->nmarks ? &p->marks[i].pub : NULL;
}

const struct flux_mark_entry *flux_project_mark(const flux_project *p, const char *id)
{
	struct flux_mark_entry key = {.pub = {.id = id}};
	if (!p->nmarks)
		return NULL;
	return bsearch(&key, p->marks, p->nmarks, sizeof(*p->marks), by_mark_id);
}

const flux_incomplete *flux_project_incomplete_find(const flux_project *p, const char *id)
{
	const struct flux_mark_entry *e = flux_project_mark(p, id);
	return e ? &e->pub : NULL;
}

int flux_project_check_incomplete(const flux_project *p, flux_error *err)
{
	flux_error_clear(err);
	if (!p->nmarks)
		return FLUX_OK;
	const flux_incomplete *m = &p->marks[0].pub;
	const flux_migration *f = flux_migrations_find(p->migrations, m->id);
	int apply = m->direction == FLUX_PLAN_APPLY;
	flux_error_set(err, FLUX_ERR_INCOMPLETE, "migration '%s' stopped half-way %s "
		       "(started %s): %s", m->id, apply ? "while being applied"
						   : "while being rolled back",
		       m->started_at, m->progress);
	snprintf(err->migration, sizeof(err->migration), "%s", m->id);
	if (f)
		snprintf(err->file, sizeof(err->file), "%s",
			 apply ? flux_migration_path(f) : flux_migration_undo_path(f));
	flux_error_detail(err, "it runs statement by statement outside a transaction "
			  "(-- flux: no-transaction, or a database without transactional "
			  "DDL), so the statements that completed stay in effect%s",
			  p->nmarks > 1 ? "; more migrations are in the same state "
					  "(flux status lists them)" : "");
	const char *cmd = apply ? "apply" : "rollback";
	flux_error_hint(err, "fix the statement that stopped it and run `flux %s`: it "
			"resumes after the statements that completed, which must stay "
			"unchanged; or make its statements safe to repeat (IF NOT EXISTS) "
			"and run `flux %s --restart` to run it from its first statement",
			cmd, cmd);
	return FLUX_ERR_INCOMPLETE;
}

size_t flux_project_record_count(const flux_project *p) { return p->nrecords; }
const flux_record *flux_project_record(const flux_project *p, size_t i)
{
	return i < p->nrecords ? &p->records[i] : NULL;
}

const flux_record *flux_project_record_find(const flux_project *p, const char *id)
{
	flux_record key = {.id = id};
	if (!p->nrecords)
		return NULL;
	return bsearch(&key, p->records, p->nrecords, sizeof(*p->records), by_record_id);
}

/* Upstream's rule: with L the largest applied id, the migration files with
 * id <= L must be exactly the applied ones, each with its stored hash. */
int flux_project_validate(flux_project *p, flux_error *err)
{
	flux_error_clear(err);
	const flux_migrations *set = p->migrations;
	size_t nf = flux_migrations_count(set, FLUX_STAGE_MAIN);
	if (p->nrecords == 0)
		return FLUX_OK;
	const char *last = p->records[p->nrecords - 1].id;
	flux_buf all = {0};
	size_t problems = 0;
	size_t i = 0, j = 0;
	char first[FLUX_ERROR_MESSAGE_MAX] = "";
	const char *first_file = NULL;
	while (i < nf || j < p->nrecords) {
		const flux_migration *m = i < nf ? flux_migrations_get(set, FLUX_STAGE_MAIN, i) : NULL;
		if (m && strcmp(flux_migration_id(m), last) > 0)
			m = NULL;
		const flux_record *r = j < p->nrecords ? &p->records[j] : NULL;
		if (!m && !r)
			break;
		char line[FLUX_ERROR_MESSAGE_MAX];
		const char *file = NULL;
		int c = !m ? 1 : !r ? -1 : strcmp(flux_migration_id(m), r->id);
		if (c == 0) {
			i++, j++;
			if (strcmp(flux_migration_hash(m), r->hash) == 0)
				continue;
			snprintf(line, sizeof(line),
				 "migration '%s' changed after it was applied (%s: stored hash %s, "
				 "file hash %s)", r->id, flux_migration_path(m), r->hash,
				 flux_migration_hash(m));
			file = flux_migration_path(m);
		} else if (c < 0) {
			i++;
			snprintf(line, sizeof(line),
				 "migration '%s' (%s) is not applied but comes before the last "
				 "applied migration '%s'", flux_migration_id(m),
				 flux_migration_path(m), last);
			file = flux_migration_path(m);
		} else {
			j++;
			snprintf(line, sizeof(line),
				 "applied migration '%s' has no file in %s", r->id,
				 flux_config_migration_path(p->config));
		}
		if (problems++ == 0) {
			memcpy(first, line, sizeof(first));
			first_file = file;
		}
		flux_buf_appendf(&all, "%s%s", all.len ? "\n" : "", line);
	}
	if (problems == 0) {
		flux_buf_free(&all);
		return FLUX_OK;
	}
	flux_error_set(err, FLUX_ERR_CORRUPT, "%s", first);
	if (first_file)
		flux_error_at(err, first_file, 0);
	if (problems > 1)
		flux_error_detail(err, "%zu problems:\n%s", problems, all.data);
	flux_error_hint(err, "restore the migration directory to match the applied "
			"migrations; nothing was changed");
	flux_buf_free(&all);
	return FLUX_ERR_CORRUPT;
}
