/* SPDX-License-Identifier: MIT */
/* Reading flux.toml: the TOML subset flux understands.
 *
 * toml_file.c reads the file (bounded), toml_parse.c walks its lines,
 * tables and keys, toml_value.c decodes strings, integers, floats and
 * booleans.  config.c gives the [flux] and [backend] tables their meaning. */
#ifndef FLUX_TOML_VALUE_H
#define FLUX_TOML_VALUE_H

#include "internal.h"

#pragma GCC visibility push(hidden)

/* flux.toml is a few hundred bytes; anything past this is not one, and a
 * bound keeps `flux -c /dev/zero`-like mistakes from eating memory. */
#define FLUX_TOML_MAX_BYTES (1024 * 1024)
/* Dotted keys and table headers deeper than this are refused. */
#define FLUX_TOML_MAX_DEPTH 16

typedef enum toml_kind {
	TOML_STRING,
	TOML_INTEGER,
	TOML_FLOAT,
	TOML_BOOLEAN
} toml_kind;

/* Where the reader is in the text; line is the line c->p is on, so every
 * error can name it. */
typedef struct toml_cursor {
	const char *file;
	const char *p;
	const char *end;
	int line;
	flux_error *err;
} toml_cursor;

/* FLUX_ERR_CONFIG with "FILE:LINE: " and the message, err's file and line
 * set to the cursor's. */
int flux_toml_fail(toml_cursor *c, const char *fmt, ...) FLUX_PRINTF(2, 3);

/* A quoted string at c->p (basic "..." or literal '...'; with multiline,
 * also """...""" and '''...'''), decoded into a malloc'd *out; c->p ends
 * past the closing quote. */
int flux_toml_string(toml_cursor *c, int multiline, char **out);

/* The value right of `=` at c->p: *out is a string's contents, or the
 * canonical text of the literal (integers in decimal, floats as written
 * without `_`, booleans as true/false).  Arrays, inline tables and dates
 * are refused by name. */
int flux_toml_value(toml_cursor *c, char **out, toml_kind *kind);

/* Read path into a malloc'd NUL-terminated *text, refusing anything but a
 * regular file of at most FLUX_TOML_MAX_BYTES.  FLUX_ERR_NOT_FOUND only
 * when the file does not exist (toml_file.c). */
int flux_toml_read(const char *path, char **text, size_t *len, flux_error *err);

/* For each table header (value NULL) and each key (with its value) in
 * document order: the full path (table, then the dotted key's parts),
 * the line the key or header is on.  A non-zero return stops the walk. */
typedef int (*flux_toml_fn)(void *ctx, int line, char *const *path, size_t depth,
			    const char *value, toml_kind kind, flux_error *err);
/* Parse text (len bytes, NULs included) as TOML (toml_parse.c). */
int flux_toml_parse(const char *file, const char *text, size_t len, flux_toml_fn fn,
		    void *ctx, flux_error *err);

#pragma GCC visibility pop

#endif
