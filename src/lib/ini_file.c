/* SPDX-License-Identifier: MIT */
/* Reading backend manifests (INI files) through inih.  flux.toml has a
 * reader of its own (toml_file.c, toml_parse.c).
 *
 * inih's handler never learns the line number and inih silently splits
 * lines longer than its buffer, so we feed it through our own reader: it
 * counts lines (the handler runs before the next line is read, so the
 * count is the handler's line), refuses over-long lines, and strips
 * leading blanks so an indented line is never taken for one of inih's
 * continuation lines.
 *
 * Reads are bounded: a line may hold at most LINE_RAW_MAX bytes before
 * it is refused (so /dev/zero or a file without newlines cannot grow a
 * buffer), a NUL byte is refused (it would silently cut the line), and a
 * caller may cap the whole file's size. */
#include <config.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Raw bytes of one line, leading blanks included; inih's own limit on
 * what is left after them is checked separately. */
#define LINE_RAW_MAX 4096

struct reader {
	FILE *fp;
	const char *path;
	int line;
	char buf[LINE_RAW_MAX + 1];
	size_t max_bytes, total;
	int failed;
	flux_ini_fn fn;
	void *ctx;
	flux_error *err;
};

static int fail(struct reader *r, const char *fmt, ...) FLUX_PRINTF(2, 3);

static int fail(struct reader *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	flux_error_vsetf_at(r->err, FLUX_ERR_CONFIG, r->path, r->line, fmt, ap);
	va_end(ap);
	r->failed = 1;
	return -1;
}

static char *read_line(char *str, int num, void *stream)
{
	struct reader *r = stream;
	if (r->failed)
		return NULL;
	size_t n = 0;
	int c = EOF;
	r->line++;
	while ((c = getc(r->fp)) != EOF) {
		if (r->max_bytes && ++r->total > r->max_bytes) {
			fail(r, "file larger than %zu bytes", r->max_bytes);
			return NULL;
		}
		if (c == '\0') {
			fail(r, "NUL byte in file");
			return NULL;
		}
		if (n == LINE_RAW_MAX) {
			fail(r, "line longer than %d bytes", num - 2);
			return NULL;
		}
		r->buf[n++] = (char)c;
		if (c == '\n')
			break;
	}
	if (n == 0) {
		r->line--; /* end of file: no line was read */
		return NULL;
	}
	r->buf[n] = '\0';
	char *s = r->buf;
	/* inih itself strips a UTF-8 BOM only on line 1, before our
	 * stripping would hide it; do it here too for safety. */
	if (r->line == 1 && (unsigned char)s[0] == 0xEF &&
	    (unsigned char)s[1] == 0xBB && (unsigned char)s[2] == 0xBF)
		s += 3;
	while (*s == ' ' || *s == '\t')
		s++;
	if ((int)strlen(s) > num - 2) {
		fail(r, "line longer than %d bytes", num - 2);
		return NULL;
	}
	memcpy(str, s, strlen(s) + 1);
	return str;
}

static int on_pair(void *user, const char *section, const char *name,
		   const char *value)
{
	struct reader *r = user;
	if (r->failed)
		return 0;
	if (r->fn(r->ctx, r->line, section, name, value, r->err) != FLUX_OK) {
		if (r->err->line == 0)
			flux_error_at(r->err, r->path, r->line);
		r->failed = 1;
		return 0;
	}
	return 1;
}

int flux_ini_read_stream(FILE *fp, const char *path, size_t max_bytes, flux_ini_fn fn,
			 void *ctx, flux_error *err)
{
	struct reader *r = calloc(1, sizeof(*r));
	if (!r)
		return flux_error_set(err, FLUX_ERR_NOMEM, "%s: out of memory", path);
	*r = (struct reader){.fp = fp, .path = path, .max_bytes = max_bytes, .fn = fn, .ctx = ctx, .err = err};
	int rc = ini_parse_stream(read_line, r, on_pair, r);
	int io = ferror(fp), failed = r->failed;
	free(r);
	if (failed)
		return err->code;
	if (io)
		return flux_error_set(err, FLUX_ERR_IO, "%s: read error", path);
	if (rc > 0) {
		flux_error_set(err, FLUX_ERR_CONFIG,
			       "%s:%d: expected `key = value` or `[section]`", path, rc);
		flux_error_at(err, path, rc);
		return FLUX_ERR_CONFIG;
	}
	if (rc < 0)
		return flux_error_set(err, FLUX_ERR_NOMEM, "%s: out of memory", path);
	return FLUX_OK;
}
