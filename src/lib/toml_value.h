/* SPDX-License-Identifier: MIT */
/* Parsing one TOML value as found right of `=` in flux.toml. */
#ifndef FLUX_TOML_VALUE_H
#define FLUX_TOML_VALUE_H

#include "internal.h"

#pragma GCC visibility push(hidden)

typedef enum toml_kind {
	TOML_STRING,
	TOML_INTEGER,
	TOML_FLOAT,
	TOML_BOOLEAN
} toml_kind;

/* Decode raw (as handed over by ini_file.c) into a malloc'd string in
 * *out: the string's contents, or the literal's canonical text.  On error
 * fills err with a message naming file:line. */
int flux_toml_value(const char *raw, const char *file, int line, char **out,
		    toml_kind *kind, flux_error *err);

#pragma GCC visibility pop

#endif
