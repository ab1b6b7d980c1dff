/* SPDX-License-Identifier: MIT */
/* The structure of a TOML document: lines, comments, [table] headers and
 * `key = value` pairs with bare, quoted and dotted keys (TOML 1.0).
 *
 * The whole text is parsed, not line by line, so a line may be as long as
 * the file and a multi-line string may span lines.  Every path to a value
 * goes to the caller, which decides what it means; nothing is kept here. */
#include <config.h>
#include <stdlib.h>
#include <string.h>

#include "toml_value.h"

struct path {
	char *part[FLUX_TOML_MAX_DEPTH];
	size_t n;
};

static void path_clear(struct path *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->part[i]);
	p->n = 0;
}

static int blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

static void skip_blanks(toml_cursor *c)
{
	while (c->p < c->end && blank(*c->p))
		c->p++;
}

static int bare_char(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	       (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
}

/* TOML is UTF-8 text.  A NUL byte would cut C strings short and silently
 * lose the rest of its line, so it is refused up front, as is any byte
 * that is not UTF-8; the error names the line of the first one. */
static int check_text(toml_cursor *c)
{
	size_t n = (size_t)(c->end - c->p);
	const char *nul = memchr(c->p, '\0', n);
	size_t bad = flux_utf8_check(c->p, n);
	if (!nul && bad == n)
		return FLUX_OK;
	const char *at = nul && (size_t)(nul - c->p) < bad ? nul : c->p + bad;
	for (const char *q = c->p; q < at; q++)
		if (*q == '\n')
			c->line++;
	if (at == nul)
		return flux_toml_fail(c, "NUL byte (flux.toml must be text)");
	return flux_toml_fail(c, "invalid UTF-8 (byte 0x%02X)", (unsigned char)*at);
}

static int at_line_end(const toml_cursor *c)
{
	return c->p == c->end || *c->p == '\n' ||
	       (*c->p == '\r' && c->end - c->p > 1 && c->p[1] == '\n');
}

/* Blanks, an optional comment and the end of the line (or file). */
static int end_line(toml_cursor *c, const char *after)
{
	skip_blanks(c);
	if (c->p < c->end && *c->p == '#') {
		for (c->p++; !at_line_end(c); c->p++) {
			unsigned char ch = (unsigned char)*c->p;
			if ((ch < 0x20 && ch != '\t') || ch == 0x7F)
				return flux_toml_fail(c, ch == '\r' ? "carriage return without "
							 "a line feed in a comment"
							 : "control character 0x%02X in a comment",
						      ch);
		}
	}
	if (c->p == c->end)
		return FLUX_OK;
	if (!at_line_end(c)) {
		if (*c->p == '\r')
			return flux_toml_fail(c, "carriage return without a line feed");
		return flux_toml_fail(c, "unexpected text after %s", after);
	}
	c->p += *c->p == '\r' ? 2 : 1;
	c->line++;
	return FLUX_OK;
}

/* One bare or quoted key; 0 and *out NULL when there is none at c->p. */
static int simple_key(toml_cursor *c, char **out)
{
	*out = NULL;
	if (c->p < c->end && (*c->p == '"' || *c->p == '\'')) {
		int rc = flux_toml_string(c, 0, out);
		if (rc)
			return rc;
		/* Keys appear in messages, one per line: no control characters. */
		for (const char *k = *out; *k; k++)
			if ((unsigned char)*k < 0x20 || *k == 0x7F) {
				free(*out);
				*out = NULL;
				return flux_toml_fail(c, "control character in a key");
			}
		if (!**out) {
			free(*out);
			*out = NULL;
			return flux_toml_fail(c, "empty key");
		}
		return FLUX_OK;
	}
	const char *s = c->p;
	while (c->p < c->end && bare_char(*c->p))
		c->p++;
	if (c->p == s)
		return FLUX_OK;
	*out = flux_strndup(s, (size_t)(c->p - s));
	return *out ? FLUX_OK : flux_error_set(c->err, FLUX_ERR_NOMEM, "out of memory");
}

/* key, or key.key.key with blanks allowed around the dots; appended to p. */
static int dotted_key(toml_cursor *c, struct path *p, const char *what)
{
	for (;;) {
		char *part;
		int rc = simple_key(c, &part);
		if (rc)
			return rc;
		if (!part)
			return flux_toml_fail(c, "%s", what);
		if (p->n == FLUX_TOML_MAX_DEPTH) {
			free(part);
			return flux_toml_fail(c, "key nested deeper than %d levels",
					      FLUX_TOML_MAX_DEPTH);
		}
		p->part[p->n++] = part;
		skip_blanks(c);
		if (c->p == c->end || *c->p != '.')
			return FLUX_OK;
		c->p++;
		skip_blanks(c);
		what = "expected a key after `.`";
	}
}

static int header(toml_cursor *c, struct path *table, flux_toml_fn fn, void *ctx)
{
	int line = c->line;
	c->p++;
	if (c->p < c->end && *c->p == '[')
		return flux_toml_fail(c, "arrays of tables ([[...]]) are not supported in "
				      "flux.toml");
	path_clear(table);
	skip_blanks(c);
	int rc = dotted_key(c, table, "expected a table name after `[`");
	if (rc)
		return rc;
	if (c->p == c->end || *c->p != ']')
		return flux_toml_fail(c, "expected `]` to close the table header");
	c->p++;
	rc = fn(ctx, line, table->part, table->n, NULL, TOML_STRING, c->err);
	return rc ? rc : end_line(c, "the table header");
}

static int keyval(toml_cursor *c, const struct path *table, flux_toml_fn fn, void *ctx)
{
	int line = c->line;
	struct path full = {.n = 0};
	int rc = FLUX_OK;
	for (size_t i = 0; i < table->n && !rc; i++)
		if (!(full.part[full.n++] = flux_strdup(table->part[i])))
			rc = flux_error_set(c->err, FLUX_ERR_NOMEM, "out of memory");
	size_t first = full.n;
	if (!rc && c->p < c->end && *c->p == '=')
		rc = flux_toml_fail(c, "missing key before `=`");
	if (!rc)
		rc = dotted_key(c, &full, "expected `key = value` or `[table]`");
	if (!rc && (c->p == c->end || *c->p != '=')) {
		/* A line of words, or a key with `:` or nothing after it. */
		rc = flux_toml_fail(c, "expected `=` after '%s' (lines are `key = value` "
				    "or `[table]`)", full.part[first]);
	}
	char *value = NULL;
	toml_kind kind = TOML_STRING;
	if (!rc) {
		c->p++;
		skip_blanks(c);
		rc = flux_toml_value(c, &value, &kind);
	}
	if (!rc)
		rc = fn(ctx, line, full.part, full.n, value, kind, c->err);
	free(value);
	path_clear(&full);
	return rc ? rc : end_line(c, "the value");
}

int flux_toml_parse(const char *file, const char *text, size_t len, flux_toml_fn fn,
		    void *ctx, flux_error *err)
{
	flux_error_clear(err);
	toml_cursor c = {.file = file, .p = text, .end = text + len, .line = 1, .err = err};
	/* Editors on some systems start UTF-8 files with a byte order mark. */
	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
		c.p += 3;
	int rc = check_text(&c);
	struct path table = {.n = 0};
	while (!rc) {
		skip_blanks(&c);
		if (c.p == c.end)
			break;
		if (*c.p == '[')
			rc = header(&c, &table, fn, ctx);
		else if (*c.p == '#' || *c.p == '\n' || *c.p == '\r')
			rc = end_line(&c, "the comment");
		else
			rc = keyval(&c, &table, fn, ctx);
	}
	path_clear(&table);
	/* The callback's own errors name the file and line it was given. */
	if (rc && err->line == 0 && err->code != FLUX_ERR_NOMEM)
		flux_error_at(err, file, c.line);
	return rc;
}
