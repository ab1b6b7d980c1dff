/* SPDX-License-Identifier: MIT */
/* TOML 1.0 values, the ones a flux.toml has a use for: strings (basic with
 * escapes, literal, both multi-line forms), integers (decimal, 0x, 0o, 0b,
 * `_` between digits), floats and booleans.  Arrays, inline tables and
 * dates are refused by name rather than misread.  Everything TOML's
 * grammar rejects is rejected, naming file:line. */
#include <config.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toml_value.h"

int flux_toml_fail(toml_cursor *c, const char *fmt, ...)
{
	char msg[FLUX_ERROR_MESSAGE_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	flux_error_set(c->err, FLUX_ERR_CONFIG, "%s:%d: %s", c->file, c->line, msg);
	flux_error_at(c->err, c->file, c->line);
	return FLUX_ERR_CONFIG;
}

static int nomem(toml_cursor *c)
{
	return flux_error_set(c->err, FLUX_ERR_NOMEM, "out of memory");
}

/* TOML forbids control characters other than tab in strings and comments;
 * a raw newline ends a single-line string, so the caller tests that first. */
static int is_control(unsigned char ch)
{
	return (ch < 0x20 && ch != '\t') || ch == 0x7F;
}

static int bad_control(toml_cursor *c, unsigned char ch, const char *where)
{
	if (ch == '\r')
		return flux_toml_fail(c, "carriage return without a line feed %s", where);
	return flux_toml_fail(c, "control character 0x%02X %s (write it as an escape)", ch,
			      where);
}

static size_t left(const toml_cursor *c)
{
	return (size_t)(c->end - c->p);
}

static int at_newline(const toml_cursor *c)
{
	return left(c) && (c->p[0] == '\n' || (c->p[0] == '\r' && left(c) > 1 && c->p[1] == '\n'));
}

/* Step over the newline at c->p (LF or CRLF). */
static void skip_newline(toml_cursor *c)
{
	c->p += c->p[0] == '\r' ? 2 : 1;
	c->line++;
}

static int put_utf8(flux_buf *b, unsigned long cp)
{
	unsigned char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xC0 | (cp >> 6));
		u[1] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xE0 | (cp >> 12));
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xF0 | (cp >> 18));
		u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return flux_buf_append(b, u, n);
}

static int hex_digit(char h)
{
	if (h >= '0' && h <= '9')
		return h - '0';
	if (h >= 'a' && h <= 'f')
		return h - 'a' + 10;
	if (h >= 'A' && h <= 'F')
		return h - 'A' + 10;
	return -1;
}

/* \uXXXX or \UXXXXXXXX with c->p on the u; appends the code point. */
static int unicode_escape(toml_cursor *c, flux_buf *b)
{
	int digits = *c->p == 'u' ? 4 : 8;
	const char *start = c->p;
	c->p++;
	unsigned long cp = 0;
	for (int i = 0; i < digits; i++, c->p++) {
		int d = left(c) ? hex_digit(*c->p) : -1;
		if (d < 0)
			return flux_toml_fail(c, "\\%c needs %d hexadecimal digits", *start, digits);
		cp = cp * 16 + (unsigned long)d;
	}
	/* Values are C strings: a NUL would silently cut them short. */
	if (cp == 0)
		return flux_toml_fail(c, "\\%.*s (NUL) is not allowed in flux.toml strings",
				      digits + 1, start);
	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return flux_toml_fail(c, "\\%.*s is not a Unicode scalar value", digits + 1, start);
	return put_utf8(b, cp) < 0 ? nomem(c) : FLUX_OK;
}

/* One escape of a basic string, c->p just past the backslash. */
static int escape(toml_cursor *c, int multiline, flux_buf *b)
{
	if (multiline) {
		/* A backslash ending a line eats the newline and all blanks and
		 * newlines after it. */
		const char *q = c->p;
		while (q < c->end && (*q == ' ' || *q == '\t'))
			q++;
		toml_cursor probe = *c;
		probe.p = q;
		if (at_newline(&probe)) {
			*c = probe;
			while (left(c) && (*c->p == ' ' || *c->p == '\t' || at_newline(c))) {
				if (*c->p == ' ' || *c->p == '\t')
					c->p++;
				else
					skip_newline(c);
			}
			return FLUX_OK;
		}
	}
	if (!left(c))
		return flux_toml_fail(c, "unterminated string");
	char e = *c->p, out;
	switch (e) {
	case 'b': out = '\b'; break;
	case 't': out = '\t'; break;
	case 'n': out = '\n'; break;
	case 'f': out = '\f'; break;
	case 'r': out = '\r'; break;
	case '"': out = '"'; break;
	case '\\': out = '\\'; break;
	case 'u':
	case 'U':
		return unicode_escape(c, b);
	default:
		if ((unsigned char)e < 0x20 || (unsigned char)e >= 0x7F)
			return flux_toml_fail(c, "invalid escape sequence in string");
		return flux_toml_fail(c, "invalid escape sequence \\%c in string", e);
	}
	c->p++;
	return flux_buf_append(b, &out, 1) < 0 ? nomem(c) : FLUX_OK;
}

int flux_toml_string(toml_cursor *c, int multiline, char **out)
{
	char q = *c->p;
	int line0 = c->line;
	int multi = left(c) >= 3 && c->p[1] == q && c->p[2] == q;
	if (multi && !multiline)
		return flux_toml_fail(c, "a key cannot be a multi-line string");
	c->p += multi ? 3 : 1;
	/* A newline right after the opening quotes is not part of the string. */
	if (multi && at_newline(c))
		skip_newline(c);
	flux_buf b = {0};
	/* Appending nothing still allocates and terminates: an empty string
	 * comes back as "", never as an unterminated buffer. */
	if (flux_buf_append(&b, "", 0) < 0)
		return nomem(c);
	int rc = FLUX_OK;
	for (;;) {
		if (!left(c)) {
			c->line = line0;
			rc = flux_toml_fail(c, multi ? "unterminated multi-line string"
						     : "unterminated string");
			break;
		}
		unsigned char ch = (unsigned char)*c->p;
		if (ch == (unsigned char)q) {
			size_t run = 1;
			while (multi && run < left(c) && run < 6 && c->p[run] == q)
				run++;
			if (!multi) {
				c->p++;
				break;
			}
			/* Up to two quotes may stand right before the closing three. */
			if (run > 5) {
				rc = flux_toml_fail(c, "too many quotes in a row in a multi-line "
						    "string");
				break;
			}
			size_t keep = run >= 3 ? run - 3 : run;
			if (flux_buf_append(&b, c->p, keep) < 0) {
				rc = nomem(c);
				break;
			}
			c->p += run;
			if (run >= 3)
				break;
			continue;
		}
		if (ch == '\n' || ch == '\r') {
			if (!multi) {
				rc = flux_toml_fail(c, "unterminated string (a newline before the "
						    "closing quote)");
				break;
			}
			if (!at_newline(c)) {
				rc = bad_control(c, ch, "in a string");
				break;
			}
			skip_newline(c);
			if (flux_buf_append(&b, "\n", 1) < 0) {
				rc = nomem(c);
				break;
			}
			continue;
		}
		if (ch == '\\' && q == '"') {
			c->p++;
			if ((rc = escape(c, multi, &b)) != FLUX_OK)
				break;
			continue;
		}
		if (ch == 0) {
			rc = flux_toml_fail(c, "NUL byte in a string");
			break;
		}
		if (is_control(ch)) {
			rc = bad_control(c, ch, "in a string");
			break;
		}
		if (flux_buf_append(&b, c->p, 1) < 0) {
			rc = nomem(c);
			break;
		}
		c->p++;
	}
	if (rc) {
		flux_buf_free(&b);
		return rc;
	}
	*out = flux_buf_steal(&b);
	return FLUX_OK;
}

static int is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* Digits of base with `_` only between two digits; the count, or -1. */
static int digit_run(const char **s, const char *e, int base, unsigned long long *acc,
		     int *overflow)
{
	const char *p = *s;
	int n = 0;
	while (p < e) {
		int d = hex_digit(*p);
		if (*p == '_') {
			if (!n || p + 1 >= e || hex_digit(p[1]) < 0 || hex_digit(p[1]) >= base)
				return -1;
			p++;
			continue;
		}
		if (d < 0 || d >= base)
			break;
		if (acc) {
			if (*acc > (~0ULL - (unsigned)d) / (unsigned)base)
				*overflow = 1;
			else
				*acc = *acc * (unsigned)base + (unsigned)d;
		}
		p++;
		n++;
	}
	*s = p;
	return n;
}

/* TOML integers and floats; *canon gets the integer in decimal or the float
 * without its underscores.  -1 when tok is not a valid number. */
static int number(toml_cursor *c, const char *tok, size_t n, char **canon, toml_kind *kind)
{
	const char *p = tok, *e = tok + n;
	int neg = 0, signed_ = 0;
	if (*p == '+' || *p == '-') {
		neg = *p == '-';
		signed_ = 1;
		p++;
	}
	if ((size_t)(e - p) == 3 && (!memcmp(p, "inf", 3) || !memcmp(p, "nan", 3))) {
		*kind = TOML_FLOAT;
		*canon = flux_strndup(tok, n);
		return *canon ? FLUX_OK : nomem(c);
	}
	unsigned long long v = 0;
	int overflow = 0, base = 10;
	if (e - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'o' || p[1] == 'b')) {
		/* Prefixed integers take no sign in TOML. */
		if (signed_)
			return -1;
		base = p[1] == 'x' ? 16 : p[1] == 'o' ? 8 : 2;
		p += 2;
		if (digit_run(&p, e, base, &v, &overflow) <= 0 || p != e)
			return -1;
	} else {
		/* No leading zeros: "0", "0.5", "0e1" but not "01" or "0_1". */
		if (p < e && *p == '0' && p + 1 < e && (p[1] == '_' || is_digit(p[1])))
			return -1;
		if (digit_run(&p, e, 10, &v, &overflow) <= 0)
			return -1;
		int is_float = 0;
		if (p < e && *p == '.') {
			p++;
			if (digit_run(&p, e, 10, NULL, NULL) <= 0)
				return -1;
			is_float = 1;
		}
		if (p < e && (*p == 'e' || *p == 'E')) {
			p++;
			if (p < e && (*p == '+' || *p == '-'))
				p++;
			if (digit_run(&p, e, 10, NULL, NULL) <= 0)
				return -1;
			is_float = 1;
		}
		if (p != e)
			return -1;
		if (is_float) {
			char *s = malloc(n + 1);
			if (!s)
				return nomem(c);
			size_t k = 0;
			for (size_t i = 0; i < n; i++)
				if (tok[i] != '_')
					s[k++] = tok[i];
			s[k] = '\0';
			*kind = TOML_FLOAT;
			*canon = s;
			return FLUX_OK;
		}
	}
	/* Signed 64-bit, as TOML requires: -2^63 .. 2^63-1. */
	if (overflow || v > (neg ? 1ULL << 63 : (1ULL << 63) - 1))
		return flux_toml_fail(c, "integer out of range: %.*s", (int)(n > 64 ? 64 : n), tok);
	char text[32];
	if (neg && v == 1ULL << 63)
		snprintf(text, sizeof(text), "-9223372036854775808");
	else
		snprintf(text, sizeof(text), "%s%llu", neg && v ? "-" : "", v);
	*kind = TOML_INTEGER;
	*canon = flux_strdup(text);
	return *canon ? FLUX_OK : nomem(c);
}

/* 1979-05-27, 07:32:00 and the like, which TOML reads as dates and times. */
static int looks_like_date(const char *t, size_t n)
{
	int d4 = n >= 5 && is_digit(t[0]) && is_digit(t[1]) && is_digit(t[2]) &&
		 is_digit(t[3]) && t[4] == '-';
	int t2 = n >= 3 && is_digit(t[0]) && is_digit(t[1]) && t[2] == ':';
	return d4 || t2;
}

int flux_toml_value(toml_cursor *c, char **out, toml_kind *kind)
{
	if (!left(c) || at_newline(c) || *c->p == '#' || *c->p == '\r')
		return flux_toml_fail(c, "missing value after `=`");
	char ch = *c->p;
	if (ch == '"' || ch == '\'') {
		*kind = TOML_STRING;
		return flux_toml_string(c, 1, out);
	}
	if (ch == '[')
		return flux_toml_fail(c, "arrays are not supported in flux.toml");
	if (ch == '{')
		return flux_toml_fail(c, "inline tables are not supported in flux.toml");
	/* A literal runs to the next blank, comment or end of line. */
	const char *tok = c->p;
	while (c->p < c->end && (is_digit(*c->p) || (*c->p >= 'a' && *c->p <= 'z') ||
				 (*c->p >= 'A' && *c->p <= 'Z') || *c->p == '_' ||
				 *c->p == '+' || *c->p == '-' || *c->p == '.' || *c->p == ':'))
		c->p++;
	size_t n = (size_t)(c->p - tok);
	int shown = n > 64 ? 64 : (int)n;
	if (n == 0)
		return flux_toml_fail(c, "invalid value (strings need quotes)");
	if ((n == 4 && !memcmp(tok, "true", 4)) || (n == 5 && !memcmp(tok, "false", 5))) {
		*kind = TOML_BOOLEAN;
		*out = flux_strndup(tok, n);
		return *out ? FLUX_OK : nomem(c);
	}
	if (looks_like_date(tok, n))
		return flux_toml_fail(c, "dates and times are not supported in flux.toml");
	int special = n == 3 && (!memcmp(tok, "inf", 3) || !memcmp(tok, "nan", 3));
	if (!is_digit(tok[0]) && tok[0] != '+' && tok[0] != '-' && !special)
		return flux_toml_fail(c, "invalid value '%.*s' (strings need quotes)", shown, tok);
	int rc = number(c, tok, n, out, kind);
	if (rc < 0)
		return flux_toml_fail(c, "invalid number '%.*s'", shown, tok);
	return rc;
}
