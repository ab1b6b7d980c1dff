/* SPDX-License-Identifier: MIT */
/* SQL text: building statements with quoted values, and reading where the
 * server says a statement went wrong. */
#include <stdlib.h>
#include <string.h>

#include "mdb.h"

void mdb_buf_add(struct mdb_buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *ns = realloc(b->s, cap);
		if (!ns) {
			b->oom = 1;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void mdb_buf_str(struct mdb_buf *b, const char *s)
{
	mdb_buf_add(b, s, strlen(s));
}

/* Doubling a quote reads the same in every sql_mode; a backslash does not
 * (NO_BACKSLASH_ESCAPES makes it a plain character), so a value with one
 * goes as hex, which no mode reads differently. */
void mdb_buf_literal(struct mdb_buf *b, const char *s)
{
	int plain = 1;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p == '\\' || *p < ' ' || *p == 0x7f)
			plain = 0;
	if (plain) {
		mdb_buf_add(b, "'", 1);
		for (const char *p = s; *p; p++)
			mdb_buf_add(b, *p == '\'' ? "''" : p, *p == '\'' ? 2 : 1);
		mdb_buf_add(b, "'", 1);
		return;
	}
	static const char hex[] = "0123456789abcdef";
	mdb_buf_str(b, "_utf8mb4 X'");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char two[2] = {hex[*p >> 4], hex[*p & 15]};
		mdb_buf_add(b, two, 2);
	}
	mdb_buf_add(b, "'", 1);
}

void mdb_buf_free(struct mdb_buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}

/* The parser's message ends "... near 'REST' at line N", REST being the
 * statement from the failing token on (cut to 80 characters by the
 * server; '' at the end of the text). */
static int ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '$' || (unsigned char)c >= 0x80;
}

/* The first place name[0, n) stands in sql as a whole identifier. */
static long find_ident(const char *sql, size_t len, const char *name, size_t n)
{
	if (!n)
		return 0;
	for (size_t k = 0; k + n <= len; k++)
		if (!memcmp(sql + k, name, n) && (k == 0 || !ident_char(sql[k - 1])) &&
		    (k + n == len || !ident_char(sql[k + n])))
			return (long)k + 1;
	return 0;
}

/* The server names the column or table it does not know, quoted
 * ("Unknown column 't.x' in 'field list'", "Table 'db.t' doesn't exist"):
 * its first use in the statement is where to look. */
static long named_position(const char *sql, size_t len, const char *message, const char *lead)
{
	const char *p = strstr(message, lead);
	if (!p)
		return 0;
	p += strlen(lead);
	const char *end = strchr(p, '\'');
	if (!end)
		return 0;
	long at = find_ident(sql, len, p, (size_t)(end - p));
	if (at)
		return at;
	const char *dot = memchr(p, '.', (size_t)(end - p));
	for (const char *d = dot; d && d < end; d = memchr(d + 1, '.', (size_t)(end - d - 1)))
		dot = d;
	return dot ? find_ident(sql, len, dot + 1, (size_t)(end - dot - 1)) : 0;
}

long mdb_error_position(const char *sql, size_t len, unsigned int errnum, const char *message)
{
	if (errnum == 1054) /* ER_BAD_FIELD_ERROR */
		return named_position(sql, len, message, "Unknown column '");
	if (errnum == 1146) /* ER_NO_SUCH_TABLE */
		return named_position(sql, len, message, "Table '");
	static const char tail[] = "' at line ";
	const char *at = NULL;
	for (const char *p = strstr(message, tail); p; p = strstr(p + 1, tail))
		at = p;
	if (!at)
		return 0;
	char *end;
	long line = strtol(at + sizeof(tail) - 1, &end, 10);
	if (line < 1 || end == at + sizeof(tail) - 1)
		return 0;
	size_t start = 0;
	for (long l = 1; l < line; l++) {
		const char *nl = memchr(sql + start, '\n', len - start);
		if (!nl)
			return 0;
		start = (size_t)(nl - sql) + 1;
	}
	const char *near = strstr(message, "near '");
	if (!near || near + 6 > at)
		return (long)start + 1;
	const char *rest = near + 6;
	size_t rl = (size_t)(at - rest);
	if (rl == 0) {
		/* Nothing left: the text ended too soon; point at its last
		 * character that is not blank. */
		size_t e = len;
		while (e > start && (sql[e - 1] == ' ' || sql[e - 1] == '\n' ||
				     sql[e - 1] == '\t' || sql[e - 1] == '\r'))
			e--;
		return (long)(e > start ? e : start + 1);
	}
	/* The server may have cut REST inside a character: compare a prefix
	 * short of the cut. */
	if (rl > 40)
		rl = 40;
	for (size_t k = start; k + rl <= len; k++)
		if (!memcmp(sql + k, rest, rl))
			return (long)k + 1;
	return (long)start + 1;
}
