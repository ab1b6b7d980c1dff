/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: the PostgreSQL statement splitter used for
 * no-transaction migrations (plugins/postgres/pg_split.c, compiled in).
 * Checks, besides memory errors, what the backend relies on: statements
 * lie inside the input, in order, without overlap, start at a non-blank
 * byte, and each one split again on its own is that one statement (no
 * top-level semicolon was missed or invented). */
#include <config.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "pg.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes, so ASan sees any read past the end. */
	char *sql = malloc(size ? size : 1);
	FUZZ_ASSERT(sql != NULL);
	memcpy(sql, data, size);
	struct pg_stmt *st = NULL;
	size_t n = pg_split(sql, size, &st);
	FUZZ_ASSERT(n != (size_t)-1);
	size_t prev_end = 0;
	for (size_t i = 0; i < n; i++) {
		FUZZ_ASSERT(st[i].len > 0);
		FUZZ_ASSERT(st[i].offset >= prev_end);
		FUZZ_ASSERT(st[i].offset <= size && st[i].len <= size - st[i].offset);
		FUZZ_ASSERT(!isspace((unsigned char)sql[st[i].offset]));
		prev_end = st[i].offset + st[i].len;

		char *one = malloc(st[i].len);
		FUZZ_ASSERT(one != NULL);
		memcpy(one, sql + st[i].offset, st[i].len);
		struct pg_stmt *again = NULL;
		size_t m = pg_split(one, st[i].len, &again);
		FUZZ_ASSERT(m == 1);
		FUZZ_ASSERT(again[0].offset == 0 && again[0].len == st[i].len);
		free(again);
		free(one);
	}
	free(st);
	free(sql);
	return 0;
}
