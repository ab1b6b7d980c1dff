/* SPDX-License-Identifier: MIT */
/* The journal's "database": its record table and marks, kept together in
 * one plain file so that a change to both is one rename.  Each line is a
 * row of tab-separated fields, the first naming its table:
 *   applied     ID HASH APPLIED_AT
 *   incomplete  ID DIRECTION STARTED_AT PROGRESS RESUME
 * Tab, newline, carriage return and backslash are written as \t \n \r \\,
 * so every text comes back byte for byte.  Nothing here knows flux: a real
 * backend has its database where the journal has this file. */
#ifndef JOURNAL_RECORDS_H
#define JOURNAL_RECORDS_H

#include <stdio.h>

enum { ROW_TABLE, ROW_ID, ROW_FIELDS = 6 };
#define ROWS_APPLIED "applied"
#define ROWS_INCOMPLETE "incomplete"

struct row {
	char *f[ROW_FIELDS];
};

/* Sorted by table, then id (byte order). */
struct rows {
	struct row *v;
	size_t n, cap;
};

/* Read file name in directory dirfd into *t; a missing file is no rows.
 * Returns 0, or -1 with errno set: EBADMSG when line *bad_line is not a
 * row, ENOMEM, or the error of the failing system call. */
int rows_load(int dirfd, const char *name, struct rows *t, int *bad_line);
/* Replace the file through name.tmp, fsync and rename, so a crash leaves
 * the old or the new file, never half of one.  0, or -1 with errno set. */
int rows_save(int dirfd, const char *name, const struct rows *t);
struct row *rows_find(struct rows *t, const char *table, const char *id);
void rows_delete(struct rows *t, const char *table, const char *id);
/* Insert a copy of f[0..n) (table, id, ...) in place of the row with the
 * same table and id, if any.  0, or -1 (ENOMEM). */
int rows_put(struct rows *t, const char *const *f, int n);
void rows_free(struct rows *t);
/* Write s with the file's escapes (also for one-line messages). */
void rows_escape(FILE *f, const char *s);

#endif
