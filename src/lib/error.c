/* SPDX-License-Identifier: MIT */
/* Filling flux_error records, status names and URI redaction. */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

const char *flux_version(void)
{
	return PACKAGE_VERSION;
}

const char *flux_status_name(flux_status code)
{
	switch (code) {
	case FLUX_OK: return "success";
	case FLUX_ERR_INVALID: return "invalid argument";
	case FLUX_ERR_CONFIG: return "configuration error";
	case FLUX_ERR_PLUGIN: return "backend plugin error";
	case FLUX_ERR_BACKEND: return "database error";
	case FLUX_ERR_LOAD: return "migration loading error";
	case FLUX_ERR_CORRUPT: return "migration directory corrupted";
	case FLUX_ERR_MIGRATION: return "migration failed";
	case FLUX_ERR_LOCK_TIMEOUT: return "lock timeout";
	case FLUX_ERR_NOMEM: return "out of memory";
	case FLUX_ERR_IO: return "input/output error";
	case FLUX_ERR_NOT_FOUND: return "not found";
	case FLUX_ERR_UNSUPPORTED: return "not supported";
	case FLUX_ERR_CONNECTION: return "connection lost";
	case FLUX_ERR_INCOMPLETE: return "migration incomplete";
	case FLUX_ERR_CANCELLED: return "cancelled";
	}
	return "unknown error";
}

void flux_error_clear(flux_error *err)
{
	if (!err)
		return;
	memset(err, 0, sizeof(*err));
}

int flux_error_vset(flux_error *err, flux_status code, const char *fmt, va_list ap)
{
	if (!err)
		return code;
	flux_error_clear(err);
	err->code = code;
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	return code;
}

int flux_error_set(flux_error *err, flux_status code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	flux_error_vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

/* The message as the user reads it, "FILE:LINE: ..." ("FILE: ..." without
 * a line), and the same place in err->file and err->line. */
int flux_error_vsetf_at(flux_error *err, flux_status code, const char *file, int line,
			const char *fmt, va_list ap)
{
	if (!err)
		return code;
	char msg[sizeof(err->message)];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	flux_error_clear(err);
	err->code = code;
	if (file && *file && line > 0)
		snprintf(err->message, sizeof(err->message), "%s:%d: %s", file, line, msg);
	else if (file && *file)
		snprintf(err->message, sizeof(err->message), "%s: %s", file, msg);
	else
		memcpy(err->message, msg, sizeof(err->message));
	flux_error_at(err, file, line);
	return code;
}

int flux_error_setf_at(flux_error *err, flux_status code, const char *file, int line,
		       const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	flux_error_vsetf_at(err, code, file, line, fmt, ap);
	va_end(ap);
	return code;
}

void flux_error_detail(flux_error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
}

void flux_error_hint(flux_error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->hint, sizeof(err->hint), fmt, ap);
	va_end(ap);
}

void flux_error_at(flux_error *err, const char *file, int line)
{
	snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
	err->line = line;
}

void flux_error_locate(flux_error *err, const char *file, const char *migration,
		       const char *text, size_t len)
{
	if (file)
		snprintf(err->file, sizeof(err->file), "%s", file);
	if (migration)
		snprintf(err->migration, sizeof(err->migration), "%s", migration);
	if (err->position <= 0 || !text || (size_t)err->position > len + 1)
		return;
	size_t off = (size_t)err->position - 1;
	int line = 1;
	size_t bol = 0;
	for (size_t i = 0; i < off && i < len; i++)
		if (text[i] == '\n') {
			line++;
			bol = i + 1;
		}
	/* Columns count characters, not bytes: skip UTF-8 continuation bytes. */
	int col = 1;
	for (size_t i = bol; i < off && i < len; i++)
		if (((unsigned char)text[i] & 0xC0) != 0x80)
			col++;
	size_t eol = bol;
	while (eol < len && text[eol] != '\n' && text[eol] != '\r')
		eol++;
	err->line = line;
	err->column = col;
	size_t n = eol - bol;
	if (n >= sizeof(err->line_text))
		n = sizeof(err->line_text) - 1;
	memcpy(err->line_text, text + bol, n);
	err->line_text[n] = '\0';
}

static size_t indent_of(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

void flux_error_locate_generated(flux_error *err, const char *source_path)
{
	if (err->line <= 0)
		return;
	char *src = NULL;
	size_t len = 0;
	flux_error ignored;
	size_t tl = strlen(err->line_text), tind = indent_of(err->line_text, tl);
	const char *want = err->line_text + tind;
	size_t wl = tl - tind;
	/* A line cut to fit line_text matches any source line it starts. */
	int cut = tl == sizeof(err->line_text) - 1;
	int found = 0, at_line = 0;
	size_t at_bol = 0, at_len = 0;
	if (wl && flux_file_read(source_path, &src, &len, &ignored) == FLUX_OK) {
		int line = 1;
		for (size_t bol = 0; bol < len && found < 2; line++) {
			size_t eol = bol;
			while (eol < len && src[eol] != '\n')
				eol++;
			size_t n = eol - bol;
			if (n && src[bol + n - 1] == '\r')
				n--;
			size_t ind = indent_of(src + bol, n);
			if ((cut ? n - ind >= wl : n - ind == wl) && !memcmp(src + bol + ind, want, wl)) {
				found++;
				at_line = line;
				at_bol = bol;
				at_len = n;
			}
			bol = eol + 1;
		}
	}
	if (found == 1) {
		size_t sind = indent_of(src + at_bol, at_len);
		long col = (long)err->column - (long)tind + (long)sind;
		err->line = at_line;
		err->column = col > (long)sind ? (int)col : (int)sind + 1;
		size_t n = at_len < sizeof(err->line_text) - 1 ? at_len : sizeof(err->line_text) - 1;
		memcpy(err->line_text, src + at_bol, n);
		err->line_text[n] = '\0';
	} else {
		/* Line and column count in the SQL the file produced, not in it. */
		char file[sizeof(err->file)];
		snprintf(file, sizeof(file), "%s (generated SQL)", source_path);
		memcpy(err->file, file, sizeof(err->file));
	}
	free(src);
}

/* Keys whose values are secrets: libpq's password and the passphrase of
 * the client key. */
static int secret_key(const char *key, size_t len)
{
	return (len == 8 && !memcmp(key, "password", 8)) ||
	       (len == 11 && !memcmp(key, "sslpassword", 11));
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Whether the percent-encoded query key [key, key + len) decodes, as libpq
 * decodes it, to a secret key (pass%77ord is password). */
static int secret_query_key(const char *key, size_t len)
{
	char dec[16];
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (n == sizeof(dec))
			return 0;
		if (key[i] == '%' && i + 2 < len && hexval(key[i + 1]) >= 0 &&
		    hexval(key[i + 2]) >= 0) {
			dec[n++] = (char)(hexval(key[i + 1]) * 16 + hexval(key[i + 2]));
			i += 2;
		} else {
			dec[n++] = key[i];
		}
	}
	return secret_key(dec, n);
}

static void redact_into(flux_buf *b, const char *uri);

/* scheme://user:PASSWORD@host/db?password=...&sslpassword=...  The user
 * part runs to the last '@' of the whole string, not of the authority:
 * a password with an unencoded '/', '?' or '#' is still a password, and
 * hiding too much of a malformed URI is better than showing a secret. */
static void redact_url(flux_buf *b, const char *uri, const char *auth)
{
	const char *at = strrchr(auth, '@');
	const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	const char *p = uri;
	if (colon) {
		flux_buf_append(b, uri, (size_t)(colon + 1 - uri));
		flux_buf_append(b, "****", 4);
		p = at;
	}
	const char *qm = strchr(p, '?');
	if (!qm) {
		flux_buf_append(b, p, strlen(p));
		return;
	}
	flux_buf_append(b, p, (size_t)(qm + 1 - p));
	for (p = qm + 1; *p;) {
		size_t l = strcspn(p, "&");
		const char *eq = memchr(p, '=', l);
		if (eq && secret_query_key(p, (size_t)(eq - p))) {
			flux_buf_append(b, p, (size_t)(eq + 1 - p));
			flux_buf_append(b, "****", 4);
		} else {
			flux_buf_append(b, p, l);
		}
		p += l;
		if (*p == '&') {
			flux_buf_append(b, "&", 1);
			p++;
		}
	}
}

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* libpq's key = value form: blanks (any isspace) separate pairs, a value
 * is '...' with backslash escapes or runs to a blank, where a backslash
 * also escapes the next character. */
static void redact_conninfo(flux_buf *b, const char *s)
{
	const char *p = s;
	while (*p) {
		const char *k = p;
		while (blank(*p))
			p++;
		const char *key = p;
		while (*p && *p != '=' && !blank(*p))
			p++;
		size_t kl = (size_t)(p - key);
		while (blank(*p))
			p++;
		if (*p != '=') {
			flux_buf_append(b, k, (size_t)(p - k));
			continue;
		}
		p++;
		while (blank(*p))
			p++;
		const char *v = p;
		int quoted = *p == '\'';
		if (quoted)
			p++;
		while (*p && (quoted ? *p != '\'' : !blank(*p))) {
			if (*p == '\\' && p[1])
				p++;
			p++;
		}
		if (quoted && *p)
			p++;
		flux_buf_append(b, k, (size_t)(v - k));
		if (secret_key(key, kl)) {
			flux_buf_append(b, "****", 4);
		} else if (memchr(v, ':', (size_t)(p - v)) && memchr(v, '@', (size_t)(p - v))) {
			/* dbname may itself be a URI with a password. */
			char *inner = flux_strndup(v, (size_t)(p - v));
			if (inner)
				redact_into(b, inner);
			else
				flux_buf_append(b, "****", 4);
			free(inner);
		} else {
			flux_buf_append(b, v, (size_t)(p - v));
		}
	}
}

static void redact_into(flux_buf *b, const char *uri)
{
	const char *scheme = strstr(uri, "://");
	/* A scheme has no '=' or blank: "dbname=x://" is key = value. */
	if (scheme && strcspn(uri, "= \t\n\r\f\v") >= (size_t)(scheme - uri))
		redact_url(b, uri, scheme + 3);
	else
		redact_conninfo(b, uri);
}

/* Passwords hide in URLs (user:PASSWORD@, ?password=, percent-encoded
 * keys), in libpq's key=value form (password=..., possibly quoted or
 * escaped) and in URIs inside it.  Whatever the scheme: a URI meant for
 * another backend must not show its password either. */
void flux_uri_redact(const char *uri, char *out, size_t outsz)
{
	if (!outsz)
		return;
	flux_buf b = {0};
	redact_into(&b, uri);
	/* Out of memory: show nothing rather than something unredacted. */
	snprintf(out, outsz, "%s", b.data ? b.data : uri[0] ? "****" : "");
	flux_buf_free(&b);
}
