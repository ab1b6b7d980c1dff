/* SPDX-License-Identifier: MIT */
/* Filling flux_error records, status names, and the scheme-only form of a
 * URI. */
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

/* Without the backend's own rules for its URIs nothing after the scheme
 * can be known to hold no password. */
size_t flux_uri_scheme_only(const char *uri, char *out, size_t size)
{
	size_t n = 0;
	if ((uri[0] >= 'a' && uri[0] <= 'z') || (uri[0] >= 'A' && uri[0] <= 'Z'))
		n = strspn(uri, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			   "0123456789+.-");
	const char *rest = uri[n] != ':' ? "\xe2\x80\xa6"
			   : strncmp(uri + n, "://", 3) == 0 ? "://\xe2\x80\xa6" : ":\xe2\x80\xa6";
	if (uri[n] != ':')
		n = 0;
	int len = snprintf(out, size, "%.*s%s", (int)n, uri, rest);
	return len < 0 ? 0 : (size_t)len;
}
