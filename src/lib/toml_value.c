/* SPDX-License-Identifier: MIT */
/* TOML values: the subset flux projects use.  Strings (basic with escapes,
 * literal), integers (decimal with underscores, 0x/0o/0b), floats and
 * booleans.  Arrays, inline tables, multi-line strings and dates are
 * refused by name rather than misread. */
#include <config.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toml_value.h"

static int refuse(flux_error *err, const char *file, int line, const char *what)
{
	flux_error_set(err, FLUX_ERR_CONFIG, "%s:%d: %s", file, line, what);
	flux_error_at(err, file, line);
	return FLUX_ERR_CONFIG;
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

static int string_value(const char *s, const char *file, int line, char **out,
			flux_error *err)
{
	char q = *s++;
	flux_buf b = {0};
	for (;; s++) {
		char c = *s;
		if (c == '\0' || c == '\n' || c == '\r') {
			flux_buf_free(&b);
			return refuse(err, file, line, "unterminated string");
		}
		if (c == q)
			break;
		if (c == 0x01)
			c = ';';
		if (q == '"' && c == '\\') {
			char e = *++s;
			unsigned long cp = 0;
			int digits = 0;
			switch (e) {
			case 'b': c = '\b'; break;
			case 't': c = '\t'; break;
			case 'n': c = '\n'; break;
			case 'f': c = '\f'; break;
			case 'r': c = '\r'; break;
			case '"': c = '"'; break;
			case '\\': c = '\\'; break;
			case 'u': digits = 4; break;
			case 'U': digits = 8; break;
			default:
				flux_buf_free(&b);
				return refuse(err, file, line, "invalid escape sequence in string");
			}
			if (digits) {
				for (int i = 0; i < digits; i++) {
					char h = *++s;
					if (!isxdigit((unsigned char)h)) {
						flux_buf_free(&b);
						return refuse(err, file, line,
							      "invalid unicode escape in string");
					}
					cp = cp * 16 + (unsigned long)(isdigit((unsigned char)h)
						? h - '0' : (tolower((unsigned char)h) - 'a' + 10));
				}
				if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
					flux_buf_free(&b);
					return refuse(err, file, line,
						      "invalid unicode escape in string");
				}
				if (put_utf8(&b, cp) < 0)
					goto nomem;
				continue;
			}
		}
		if (flux_buf_append(&b, &c, 1) < 0)
			goto nomem;
	}
	s++;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s) {
		flux_buf_free(&b);
		return refuse(err, file, line, "unexpected text after string");
	}
	*out = flux_buf_steal(&b);
	if (!*out)
		return flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
	return FLUX_OK;
nomem:
	flux_buf_free(&b);
	return flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
}

static int number_value(const char *s, const char *file, int line, char **out,
			toml_kind *kind, flux_error *err)
{
	/* Drop TOML's digit separators, then let strtoll/strtod judge. */
	char clean[128];
	size_t n = 0;
	int is_float = 0;
	for (const char *p = s; *p; p++) {
		if (*p == '_')
			continue;
		if (n + 1 >= sizeof(clean))
			return refuse(err, file, line, "number too long");
		if (*p == '.' || ((*p == 'e' || *p == 'E') && strncmp(s, "0x", 2)))
			is_float = 1;
		clean[n++] = *p;
	}
	clean[n] = '\0';
	char *end;
	errno = 0;
	char text[64];
	if (is_float) {
		double d = strtod(clean, &end);
		if (*end || errno || end == clean)
			return refuse(err, file, line, "invalid value (strings need quotes)");
		snprintf(text, sizeof(text), "%.17g", d);
		*kind = TOML_FLOAT;
	} else {
		int base = 10;
		const char *digits = clean;
		int neg = 0;
		if (*digits == '+' || *digits == '-')
			neg = *digits++ == '-';
		if (digits[0] == '0' && digits[1] == 'x') base = 16;
		else if (digits[0] == '0' && digits[1] == 'o') base = 8;
		else if (digits[0] == '0' && digits[1] == 'b') base = 2;
		if (base != 10)
			digits += 2;
		if (!*digits)
			return refuse(err, file, line, "invalid value (strings need quotes)");
		long long v = strtoll(digits, &end, base);
		if (*end || errno)
			return refuse(err, file, line,
				      errno == ERANGE ? "integer out of range"
						      : "invalid value (strings need quotes)");
		snprintf(text, sizeof(text), "%lld", neg ? -v : v);
		*kind = TOML_INTEGER;
	}
	*out = flux_strdup(text);
	return *out ? FLUX_OK : flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
}

int flux_toml_value(const char *raw, const char *file, int line, char **out,
		    toml_kind *kind, flux_error *err)
{
	const char *s = raw;
	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return refuse(err, file, line, "missing value after `=`");
	if (strncmp(s, "\"\"\"", 3) == 0 || strncmp(s, "'''", 3) == 0)
		return refuse(err, file, line, "multi-line strings are not supported");
	if (*s == '"' || *s == '\'') {
		*kind = TOML_STRING;
		return string_value(s, file, line, out, err);
	}
	if (*s == '[')
		return refuse(err, file, line, "arrays are not supported");
	if (*s == '{')
		return refuse(err, file, line, "inline tables are not supported");
	if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0) {
		*kind = TOML_BOOLEAN;
		*out = flux_strdup(s);
		return *out ? FLUX_OK : flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
	}
	if (isdigit((unsigned char)*s) || *s == '+' || *s == '-') {
		if (strchr(s, ':') || (strlen(s) >= 10 && s[4] == '-' && s[7] == '-'))
			return refuse(err, file, line, "dates and times are not supported");
		return number_value(s, file, line, out, kind, err);
	}
	return refuse(err, file, line, "invalid value (strings need quotes)");
}
