/* SPDX-License-Identifier: MIT */
/* Arenas and bulk arrays: a directory of 100,000 migrations is 300,000
 * fewer malloc/free pairs, and the pages come in a few system calls. */
#include <config.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arena.h"

struct flux_arena_block {
	struct flux_arena_block *next;
	size_t used, cap;
	max_align_t data[];
};

#define BLOCK_FIRST 16384
#define BLOCK_MAX (4u << 20)

void *flux_arena_alloc(flux_arena *a, size_t n, size_t align)
{
	struct flux_arena_block *b = a->blocks;
	size_t at = b ? (b->used + align - 1) & ~(align - 1) : 0;
	if (!b || at > b->cap || b->cap - at < n) {
		size_t cap = b ? (sizeof(*b) + b->cap) * 2 : BLOCK_FIRST;
		if (cap > BLOCK_MAX)
			cap = BLOCK_MAX;
		if (n > SIZE_MAX - sizeof(*b))
			return NULL;
		if (cap < sizeof(*b) + n)
			cap = sizeof(*b) + n;
		struct flux_arena_block *nb = flux_bulk_alloc(cap);
		if (!nb)
			return NULL;
		nb->cap = cap - sizeof(*nb);
		nb->next = b;
		a->blocks = b = nb;
		at = 0;
	}
	b->used = at + n;
	return (char *)b->data + at;
}

int flux_arena_reserve(flux_arena *a, size_t n)
{
	struct flux_arena_block *b = a->blocks;
	if (b && b->cap - b->used >= n)
		return 0;
	if (n > SIZE_MAX - sizeof(*b))
		return -1;
	struct flux_arena_block *nb = flux_bulk_alloc(sizeof(*nb) + n);
	if (!nb)
		return -1;
	nb->cap = n;
	nb->next = b;
	a->blocks = nb;
	return 0;
}

char *flux_arena_strndup(flux_arena *a, const char *s, size_t n)
{
	char *p = n < SIZE_MAX ? flux_arena_alloc(a, n + 1, 1) : NULL;
	if (p)
		memcpy(p, s, n);
	return p;
}

void flux_arena_free(flux_arena *a)
{
	while (a->blocks) {
		struct flux_arena_block *b = a->blocks;
		a->blocks = b->next;
		flux_bulk_free(b, sizeof(*b) + b->cap);
	}
}

#define BULK_MIN (128 * 1024)
#define HUGE_PAGE ((size_t)2 << 20)

/* From 2 MiB on, the mapping is aligned to 2 MiB and asked to use huge
 * pages (where transparent huge pages are on, as Debian's "madvise"
 * default allows): one page fault per 2 MiB instead of 512, and TLB
 * misses that no longer dominate a pass over 100,000 migrations in id
 * order, which a virtual machine's nested page tables make costly. */
static void *map_huge(size_t n)
{
	/* munmap() takes page-aligned addresses: the tail is cut after the
	 * last page n touches, as flux_bulk_free(p, n) frees up to it. */
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	n = (n + page - 1) & ~(page - 1);
	size_t len = n + HUGE_PAGE;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	char *q = (char *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
	if (q > p)
		munmap(p, (size_t)(q - p));
	size_t tail = (size_t)(p + len - (q + n));
	if (tail)
		munmap(q + n, tail);
	madvise(q, n, MADV_HUGEPAGE);
	return q;
}

void *flux_bulk_alloc(size_t n)
{
#if defined(MADV_HUGEPAGE)
	if (n >= HUGE_PAGE)
		return map_huge(n);
#endif
#ifdef MAP_POPULATE
	if (n >= BULK_MIN) {
		void *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		return p == MAP_FAILED ? NULL : p;
	}
#endif
	return calloc(1, n ? n : 1);
}

void flux_bulk_free(void *p, size_t n)
{
	if (!p)
		return;
#ifdef MAP_POPULATE
	if (n >= BULK_MIN) {
		munmap(p, n);
		return;
	}
#endif
	free(p);
}
