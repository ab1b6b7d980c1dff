/* A statement splitter for no-transaction migrations.  libpq runs a
 * multi-statement string as one implicit transaction, which is exactly
 * what CREATE INDEX CONCURRENTLY and VACUUM refuse, so such migrations go
 * to the server one statement at a time. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

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

size_t pg_split(const char *sql, size_t len, struct pg_stmt **out)
{
	size_t cap = 8, n = 0;
	struct pg_stmt *v = malloc(cap * sizeof(*v));
	if (!v)
		return (size_t)-1;
	const char *p = sql, *end = sql + len, *start = sql;
	int content = 0; /* the statement has more than blanks and comments */
	const char *first = sql; /* its first such character */
	while (p <= end) {
		if (p == end || *p == ';') {
			if (content) {
				if (n == cap) {
					cap *= 2;
					struct pg_stmt *nv = realloc(v, cap * sizeof(*v));
					if (!nv) {
						free(v);
						return (size_t)-1;
					}
					v = nv;
				}
				/* Start past leading blanks and comments, so error
				 * positions land inside the statement sent. */
				start = first;
				v[n].offset = (size_t)(start - sql);
				v[n].len = (size_t)(p - start);
				n++;
			}
			p++;
			start = p;
			content = 0;
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
			continue;
		}
		if (c == '$' && !(p > sql && (isalnum((unsigned char)p[-1]) || p[-1] == '_'))) {
			size_t tl = dollar_tag(p, end);
			if (tl) {
				const char *q = p + tl;
				while (q + tl <= end && memcmp(q, p, tl) != 0)
					q++;
				p = q + tl <= end ? q + tl : end;
				continue;
			}
		}
		p++;
	}
	*out = v;
	return n;
}
