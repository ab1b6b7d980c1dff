/* SPDX-License-Identifier: MIT */
/* Memory for many small things that are freed together (the migrations of
 * a directory, the records of a table), and zeroed arrays over many files.
 * Not installed. */
#ifndef FLUX_ARENA_H
#define FLUX_ARENA_H

#include <stddef.h>

#pragma GCC visibility push(hidden)

/* Blocks that grow from 16 KiB to 4 MiB; everything in them goes at once
 * with flux_arena_free().  A zeroed arena ({0}) is empty and ready. */
typedef struct flux_arena {
	struct flux_arena_block *blocks;
} flux_arena;

/* n zeroed bytes aligned to align (a power of two), or NULL. */
void *flux_arena_alloc(flux_arena *a, size_t n, size_t align);
/* Room for n bytes in one block, so that many allocations to come share
 * one mapping (of huge pages, when large); 0, or -1 when out of memory. */
int flux_arena_reserve(flux_arena *a, size_t n);
/* The n bytes at s and a NUL, or NULL. */
char *flux_arena_strndup(flux_arena *a, const char *s, size_t n);
/* Frees every block; the arena is empty and ready again. */
void flux_arena_free(flux_arena *a);

/* Zeroed memory for arrays over many files: from n bytes on that are worth
 * it, mapped with its pages present (one system call rather than a page
 * fault each, which a virtual machine makes costly).  Freed with its size. */
void *flux_bulk_alloc(size_t n);
void flux_bulk_free(void *p, size_t n);

#pragma GCC visibility pop

#endif
