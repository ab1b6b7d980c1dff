/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: the PostgreSQL statement splitter used for
 * no-transaction migrations (plugins/postgres/pg_split.c, compiled in).
 * Checks, besides memory errors, what the backend relies on: statements
 * lie inside the input, in order, without overlap, start and end at a
 * non-blank byte (but for a quote left open at the end), and each one split again on its own is that one
 * statement (no top-level semicolon was missed or invented). */
#include <config.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "pg.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct pieces {
	size_t n, cap;
	size_t *offset, *len;
};

static int collect(void *ctx, size_t offset, size_t len)
{
	struct pieces *p = ctx;
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 16;
		p->offset = realloc(p->offset, p->cap * sizeof(size_t));
		p->len = realloc(p->len, p->cap * sizeof(size_t));
		FUZZ_ASSERT(p->offset != NULL && p->len != NULL);
	}
	p->offset[p->n] = offset;
	p->len[p->n++] = len;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes, so ASan sees any read past the end. */
	char *sql = malloc(size ? size : 1);
	FUZZ_ASSERT(sql != NULL);
	memcpy(sql, data, size);
	struct pieces st = {0};
	FUZZ_ASSERT(pg_split(sql, size, collect, &st) == 0);
	size_t prev_end = 0;
	for (size_t i = 0; i < st.n; i++) {
		FUZZ_ASSERT(st.len[i] > 0);
		FUZZ_ASSERT(st.offset[i] >= prev_end);
		FUZZ_ASSERT(st.offset[i] <= size && st.len[i] <= size - st.offset[i]);
		FUZZ_ASSERT(!isspace((unsigned char)sql[st.offset[i]]));
		/* (Blanks end one only inside a quote the input leaves open.) */
		FUZZ_ASSERT(st.offset[i] + st.len[i] == size ||
			    !isspace((unsigned char)sql[st.offset[i] + st.len[i] - 1]));
		prev_end = st.offset[i] + st.len[i];

		char *one = malloc(st.len[i]);
		FUZZ_ASSERT(one != NULL);
		memcpy(one, sql + st.offset[i], st.len[i]);
		struct pieces again = {0};
		FUZZ_ASSERT(pg_split(one, st.len[i], collect, &again) == 0);
		FUZZ_ASSERT(again.n == 1);
		FUZZ_ASSERT(again.offset[0] == 0 && again.len[0] == st.len[i]);
		free(again.offset);
		free(again.len);
		free(one);
	}
	free(st.offset);
	free(st.len);
	free(sql);
	return 0;
}
