/* SPDX-License-Identifier: MIT */
/* Cutting a script into statements the way the mariadb command-line client
 * does, so a migration written for it (or by mysqldump, whose routines and
 * triggers come between DELIMITER ;; and DELIMITER ; lines) applies the
 * same through flux. */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "mdb.h"

/* The client's own limit on a delimiter's length. */
#define DELIM_MAX 16

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* "-- " starts a comment only with a blank or control character after
 * the dashes (so `x--1` stays arithmetic), or at the very end. */
static int dash_comment(const char *s, size_t n)
{
	return n >= 2 && s[0] == '-' && s[1] == '-' &&
	       (n == 2 || (unsigned char)s[2] <= ' ');
}

/* End of the quoted run opened at s[0] (', " or `), or n when unclosed.
 * Backslash escapes count in strings, not in identifiers; a doubled quote
 * is the quote itself. */
static size_t quoted_end(const char *s, size_t n)
{
	char q = s[0];
	for (size_t i = 1; i < n; i++) {
		if (s[i] == '\\' && q != '`') {
			i++;
		} else if (s[i] == q) {
			if (i + 1 < n && s[i + 1] == q)
				i++;
			else
				return i + 1;
		}
	}
	return n;
}

static size_t line_end(const char *s, size_t n)
{
	const char *nl = memchr(s, '\n', n);
	return nl ? (size_t)(nl - s) + 1 : n;
}

/* A DELIMITER command at s: "delimiter", a blank, the new delimiter (its
 * first word) and the rest of the line, which the client ignores.  Returns
 * the length of the line, 0 when s is no DELIMITER command, and sets
 * *why when it is a malformed one. */
static size_t delimiter_command(const char *s, size_t n, char *delim, size_t *dl,
				const char **why)
{
	if (n < 10 || strncasecmp(s, "delimiter", 9) || (s[9] != ' ' && s[9] != '\t'))
		return 0;
	size_t end = line_end(s, n), i = 10;
	while (i < end && (s[i] == ' ' || s[i] == '\t'))
		i++;
	size_t w = i;
	while (w < end && !blank(s[w]))
		w++;
	if (w == i) {
		*why = "DELIMITER must be followed by a delimiter (a character or string)";
		return end;
	}
	if (memchr(s + i, '\\', w - i)) {
		*why = "DELIMITER cannot contain a backslash";
		return end;
	}
	if (w - i > DELIM_MAX) {
		*why = "DELIMITER: the delimiter is longer than 16 bytes";
		return end;
	}
	memcpy(delim, s + i, w - i);
	*dl = w - i;
	return end;
}

int mdb_split(const char *sql, size_t len, mdb_stmt_fn fn, void *ctx, size_t *bad,
	      const char **why)
{
	char delim[DELIM_MAX] = ";";
	size_t dl = 1;
	size_t first = SIZE_MAX; /* the piece's first byte of SQL */
	size_t last = 0;         /* just past its last byte of SQL */
	int in_exec = 0;         /* inside an executable comment */
	size_t i = 0;
	while (i < len) {
		const char *s = sql + i;
		size_t n = len - i;
		char c = *s;
		if (first == SIZE_MAX && !in_exec && (c == 'd' || c == 'D')) {
			const char *w = NULL;
			size_t l = delimiter_command(s, n, delim, &dl, &w);
			if (w) {
				*bad = i;
				*why = w;
				return MDB_SPLIT_BAD;
			}
			if (l) {
				i += l;
				continue;
			}
		}
		if (n >= dl && !memcmp(s, delim, dl)) {
			if (first != SIZE_MAX) {
				int rc = fn(ctx, first, last - first);
				if (rc)
					return rc;
			}
			first = SIZE_MAX;
			i += dl;
			continue;
		}
		size_t step = 1;
		int sql_text = 1;
		if (blank(c)) {
			sql_text = 0;
		} else if (c == '\'' || c == '"' || c == '`') {
			step = quoted_end(s, n);
		} else if (c == '#' || dash_comment(s, n)) {
			step = line_end(s, n);
			sql_text = 0;
		} else if (c == '/' && n >= 2 && s[1] == '*') {
			if (n >= 3 && s[2] == '!') {
				in_exec = 1;
				step = 3;
			} else if (n >= 4 && s[2] == 'M' && s[3] == '!') {
				in_exec = 1;
				step = 4;
			} else {
				const char *e = NULL;
				for (size_t k = 2; k + 1 < n; k++)
					if (s[k] == '*' && s[k + 1] == '/') {
						e = s + k;
						break;
					}
				step = e ? (size_t)(e - s) + 2 : n;
				sql_text = 0;
			}
		} else if (in_exec && c == '*' && n >= 2 && s[1] == '/') {
			in_exec = 0;
			step = 2;
		}
		if (sql_text) {
			if (first == SIZE_MAX)
				first = i;
			last = i + step;
		}
		i += step;
	}
	if (first != SIZE_MAX)
		return fn(ctx, first, last - first);
	return 0;
}
