/* SPDX-License-Identifier: MIT */
/* The journal's record table and marks as one plain file (records.h). */
#define _GNU_SOURCE /* getline */
#include "records.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* How many fields a row of the table has; 0 for no such table. */
static int fields_of(const char *table)
{
	return strcmp(table, ROWS_APPLIED) == 0 ? 4 : strcmp(table, ROWS_INCOMPLETE) == 0 ? 6 : 0;
}

static void row_free(struct row *r)
{
	for (int i = 0; i < ROW_FIELDS; i++)
		free(r->f[i]);
}

void rows_free(struct rows *t)
{
	for (size_t i = 0; i < t->n; i++)
		row_free(&t->v[i]);
	free(t->v);
	*t = (struct rows){0};
}

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c = strcmp(x->f[ROW_TABLE], y->f[ROW_TABLE]);
	return c ? c : strcmp(x->f[ROW_ID], y->f[ROW_ID]);
}

struct row *rows_find(struct rows *t, const char *table, const char *id)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].f[ROW_TABLE], table) == 0 && strcmp(t->v[i].f[ROW_ID], id) == 0)
			return &t->v[i];
	return NULL;
}

void rows_delete(struct rows *t, const char *table, const char *id)
{
	struct row *r = rows_find(t, table, id);
	if (!r)
		return;
	row_free(r);
	*r = t->v[--t->n];
	qsort(t->v, t->n, sizeof(*t->v), row_cmp);
}

/* Append r (its fields already on the heap, taken even on failure). */
static int rows_take(struct rows *t, struct row *r)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		struct row *v = realloc(t->v, cap * sizeof(*v));
		if (!v) {
			row_free(r);
			return -1;
		}
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = *r;
	return 0;
}

int rows_put(struct rows *t, const char *const *f, int n)
{
	struct row r = {{NULL}};
	for (int i = 0; i < n; i++)
		if (!(r.f[i] = strdup(f[i]))) {
			row_free(&r);
			return -1;
		}
	rows_delete(t, f[ROW_TABLE], f[ROW_ID]);
	if (rows_take(t, &r) != 0)
		return -1;
	qsort(t->v, t->n, sizeof(*t->v), row_cmp);
	return 0;
}

static char *unescape(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\\' && i + 1 < n) {
			c = s[++i];
			c = c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c;
		}
		*o++ = c;
	}
	*o = '\0';
	return out;
}

void rows_escape(FILE *f, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '\t': fputs("\\t", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\\': fputs("\\\\", f); break;
		default: fputc(*s, f);
		}
}

/* Parse one line into r: 0, or -1 with errno EBADMSG or ENOMEM. */
static int parse_row(const char *line, struct row *r)
{
	int n = 0;
	for (const char *p = line;; p++) {
		size_t w = strcspn(p, "\t");
		if (n == ROW_FIELDS) {
			errno = EBADMSG; /* too many fields */
			return -1;
		}
		if (!(r->f[n++] = unescape(p, w)))
			return -1;
		p += w;
		if (!*p)
			break;
	}
	if (n != fields_of(r->f[ROW_TABLE]) ||
	    (n == 6 && strcmp(r->f[2], "apply") != 0 && strcmp(r->f[2], "rollback") != 0)) {
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

int rows_load(int dirfd, const char *name, struct rows *t, int *bad_line)
{
	*t = (struct rows){0};
	*bad_line = 0;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	FILE *f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return -1;
	}
	char *line = NULL;
	size_t size = 0;
	ssize_t len;
	int rc = 0, lineno = 0;
	while (!rc && (len = getline(&line, &size, f)) >= 0) {
		lineno++;
		if (len && line[len - 1] == '\n')
			line[len - 1] = '\0';
		struct row r = {{NULL}};
		if (parse_row(line, &r) != 0) {
			if (errno == EBADMSG)
				*bad_line = lineno;
			row_free(&r);
			rc = -1;
		} else {
			rc = rows_take(t, &r);
		}
	}
	if (!rc && ferror(f))
		rc = -1;
	int saved = errno;
	free(line);
	fclose(f);
	if (rc)
		rows_free(t);
	else
		qsort(t->v, t->n, sizeof(*t->v), row_cmp);
	errno = saved;
	return rc;
}

int rows_save(int dirfd, const char *name, const struct rows *t)
{
	char tmp[256];
	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
	} else {
		for (size_t i = 0; i < t->n; i++) {
			int n = fields_of(t->v[i].f[ROW_TABLE]);
			for (int k = 0; k < n; k++) {
				if (k)
					fputc('\t', f);
				rows_escape(f, t->v[i].f[k]);
			}
			fputc('\n', f);
		}
		int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
		if (fclose(f) == 0 && !bad && renameat(dirfd, tmp, dirfd, name) == 0) {
			fsync(dirfd); /* make the rename itself durable */
			return 0;
		}
	}
	int saved = errno;
	unlinkat(dirfd, tmp, 0);
	errno = saved;
	return -1;
}
