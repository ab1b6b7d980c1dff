/* SPDX-License-Identifier: MIT */
/* The backend's split operation: PostgreSQL's statement boundaries, for
 * the host's statement-by-statement runs.  libpq runs a multi-statement
 * string as one implicit transaction, which is exactly what CREATE INDEX
 * CONCURRENTLY and VACUUM refuse, so such migrations go to the server one
 * statement at a time.  Needs neither libpq nor a connection. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "pg.h"

/* Length of a dollar-quote tag starting at p ("$tag$" or "$$"), or 0. */
static size_t dollar_tag(const char *p, const char *end)
{
	const char *q = p + 1;
	if (q < end && (isdigit((unsigned char)*q)))
		return 0; /* $1 is a parameter, not a quote */
	while (q < end && (isalnum((unsigned char)*q) || *q == '_' || (unsigned char)*q >= 0x80))
		q++;
	return q < end && *q == '$' ? (size_t)(q - p + 1) : 0;
}

static int word_is(const char *w, size_t n, const char *kw)
{
	return strlen(kw) == n && strncasecmp(w, kw, n) == 0;
}

/* SQL-standard routine bodies (CREATE FUNCTION ... BEGIN ATOMIC ... END)
 * hold semicolons outside any quotes.  As psql does, a statement that
 * starts CREATE [OR REPLACE] FUNCTION|PROCEDURE counts BEGIN, CASE and END
 * outside parentheses, and does not end while inside such a block. */
struct routine {
	char head[4];   /* first letters of the statement's first four words */
	size_t words;
	int parens;
	int depth;
};

static void on_word(struct routine *r, const char *w, size_t n)
{
	if (r->words < sizeof(r->head)) {
		char k = 'x';
		if (word_is(w, n, "create"))
			k = 'c';
		else if (word_is(w, n, "or"))
			k = 'o';
		else if (word_is(w, n, "replace"))
			k = 'r';
		else if (word_is(w, n, "function") || word_is(w, n, "procedure"))
			k = 'f';
		r->head[r->words] = k;
	}
	r->words++;
	int routine = r->head[0] == 'c' &&
		      (r->head[1] == 'f' ||
		       (r->head[1] == 'o' && r->head[2] == 'r' && r->head[3] == 'f'));
	if (!routine || r->parens != 0)
		return;
	if (word_is(w, n, "begin"))
		r->depth++;
	else if (word_is(w, n, "case") && r->depth > 0)
		r->depth++;
	else if (word_is(w, n, "end") && r->depth > 0)
		r->depth--;
}

int pg_split(const char *sql, size_t len, flux_statement_fn fn, void *ctx)
{
	const char *p = sql, *end = sql + len;
	int content = 0; /* the statement has more than blanks and comments */
	const char *first = sql, *last = sql; /* its first such byte, past its last */
	struct routine r = {{0}, 0, 0, 0};
	while (p <= end) {
		if (p == end || (*p == ';' && r.depth == 0)) {
			/* Without blanks and comments around it: error positions
			 * land inside the statement sent, and the bounds (which
			 * the host hashes to resume) stay put. */
			int rc = content ? fn(ctx, (size_t)(first - sql), (size_t)(last - first)) : 0;
			if (rc)
				return rc;
			p++;
			content = 0;
			memset(&r, 0, sizeof(r));
			continue;
		}
		char c = *p;
		if (c == '-' && p + 1 < end && p[1] == '-') {
			while (p < end && *p != '\n')
				p++;
			continue;
		}
		if (c == '/' && p + 1 < end && p[1] == '*') {
			int depth = 0;
			while (p < end) {
				if (*p == '/' && p + 1 < end && p[1] == '*') {
					depth++;
					p += 2;
				} else if (*p == '*' && p + 1 < end && p[1] == '/') {
					p += 2;
					if (--depth == 0)
						break;
				} else {
					p++;
				}
			}
			continue;
		}
		if (!isspace((unsigned char)c) && !content) {
			content = 1;
			first = p;
		}
		if (c == '\'' || c == '"') {
			/* E'' strings take backslash escapes. */
			int backslash = c == '\'' && p > sql && (p[-1] == 'E' || p[-1] == 'e') &&
					(p - 1 == sql || !isalnum((unsigned char)p[-2]));
			p++;
			while (p < end) {
				if (backslash && *p == '\\' && p + 1 < end) {
					p += 2;
					continue;
				}
				if (*p == c) {
					if (p + 1 < end && p[1] == c) {
						p += 2;
						continue;
					}
					break;
				}
				p++;
			}
			if (p < end)
				p++;
			last = p;
			continue;
		}
		if (isalpha((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80) {
			const char *w = p;
			while (p < end && (isalnum((unsigned char)*p) || *p == '_' || *p == '$' ||
					   (unsigned char)*p >= 0x80))
				p++;
			on_word(&r, w, (size_t)(p - w));
			last = p;
			continue;
		}
		if (c == '(')
			r.parens++;
		else if (c == ')')
			r.parens--;
		if (c == '$' && !(p > sql && (isalnum((unsigned char)p[-1]) || p[-1] == '_'))) {
			size_t tl = dollar_tag(p, end);
			if (tl) {
				const char *q = p + tl;
				while (q + tl <= end && memcmp(q, p, tl) != 0)
					q++;
				p = last = q + tl <= end ? q + tl : end;
				continue;
			}
		}
		if (!isspace((unsigned char)*p++))
			last = p;
	}
	return 0;
}
