/* SPDX-License-Identifier: MIT */
/* The hash cache (hash_cache.c) and what the migration reader needs to use
 * it; libflux's own, not installed. */
#ifndef FLUX_HASH_CACHE_H
#define FLUX_HASH_CACHE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "arena.h"
#include "internal.h"

#pragma GCC visibility push(hidden)

/* What a file's cached hash is keyed on, as git's index does: a file whose
 * stamp is unchanged is taken to hold the bytes that were hashed. */
typedef struct flux_file_stamp {
	uint64_t dev, ino, size;
	int64_t mtime_sec, ctime_sec;
	uint32_t mtime_nsec, ctime_nsec;
} flux_file_stamp;

void flux_file_stamp_of(const struct stat *st, flux_file_stamp *out);

typedef struct flux_hash_cache flux_hash_cache;

/* The cache of the migration directory dir, read now.  NULL when it is off
 * ($FLUX_NO_CACHE) or out of memory; a cache that cannot be used (no
 * directory, another user's, corrupt, another version) yields an empty one
 * that may still be written.  Each problem adds a line to notes, for the
 * debug log: none of them fails anything. */
flux_hash_cache *flux_hash_cache_open(const char *dir, flux_buf *notes);
/* Whether $FLUX_NO_CACHE (set, not empty, not "0") turns the cache off. */
int flux_hash_cache_disabled(void);

/* Lookups, in the order the reader visits files: name_at(i) is the name of
 * the i-th (relative to the migration directory).  Call once before any
 * find; when the names are the ones of the last run, in the same order
 * (the usual case), no index is built. */
int flux_hash_cache_prepare(flux_hash_cache *c, size_t n,
			    const char *(*name_at)(void *ctx, size_t i), void *ctx);
/* 1 and the file's MD5 and directive flags when the i-th file, name, has
 * exactly stamp st in the cache.  Safe from several threads at once. */
int flux_hash_cache_find(const flux_hash_cache *c, size_t i, const char *name,
			 const flux_file_stamp *st, unsigned char md5[16], uint32_t *flags);

/* What the run verified, file by file in visiting order: a hit, or a file
 * read now (its MD5 and flags computed from what was read). */
typedef struct flux_hash_cache_item {
	const char *name;       /* relative to the migration directory */
	const flux_file_stamp *st;
	const unsigned char *md5;
	uint32_t flags;
	int hit;
} flux_hash_cache_item;
typedef void (*flux_hash_cache_item_fn)(void *ctx, size_t i, flux_hash_cache_item *out);
/* Write the n items as the new cache (temp file, rename) unless they are
 * exactly its entries; a file read now whose mtime or ctime is too recent
 * to tell a later same-size edit apart (racy) is left out.  Failures are
 * notes. */
void flux_hash_cache_save(flux_hash_cache *c, size_t n, flux_hash_cache_item_fn item_at,
			  void *ctx, flux_buf *notes);
void flux_hash_cache_free(flux_hash_cache *c);

/* After save: how many items were hits, and how many it kept. */
void flux_hash_cache_counts(const flux_hash_cache *c, size_t *hits, size_t *kept);

/* util.c: read the regular file name in the directory open as dirfd (path
 * names it in messages) to its end: size (from the fstatat that found it,
 * or a guess) is where the buffer starts, and only a file longer than that
 * is fstat'ed, to size the buffer exactly.  With scratch (a buffer reused
 * from file to file), *data is malloc'ed at the size read, except that a
 * scratch grown past 1 MiB becomes *data itself (no second copy of a large
 * migration).  *data is NUL-terminated. */
int flux_file_read_at(int dirfd, const char *name, const char *path, size_t size,
		      flux_buf *scratch, char **data, size_t *len, flux_error *err);

/* migrations.c: another thread's help with a load's files (their stat,
 * their cache lookup, and the reading and hashing of those the cache does
 * not know).  The load runs in a thread of its own while the opening
 * thread loads the backend, connects and reads the records; the opening
 * thread, then done, would only wait, so it joins the file jobs instead:
 * on two cores the 1,000 stats of a no-op are shared, not left to the
 * load's thread (a no-op over 1,000 SQLite migrations took 16.1 ms
 * instead of 17.1, 301 alternated rounds).  The load's thread publishes
 * its jobs while they run (help may be NULL: no one joins) and calls
 * flux_read_help_end() when the load returns. */
struct flux_file_pool;
struct flux_read_help {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct flux_file_pool *pool; /* the running jobs, or NULL; under lock */
	int helpers;                 /* threads working on pool; under lock */
	int over;                    /* the load has returned; under lock */
};
void flux_read_help_init(struct flux_read_help *h);
void flux_read_help_destroy(struct flux_read_help *h);
void flux_read_help_end(struct flux_read_help *h);
/* Works on the load's file jobs alongside its threads until none is left,
 * after waiting for them to start; returns at once when the load has
 * returned.  A failed job is the load's error, as if its thread failed. */
void flux_read_help_join(struct flux_read_help *h);

/* migrations.c: the project's read of its migrations, whose helpers (.py
 * evaluation, generators, now and for undo later) obey h, which must
 * outlive the set (NULL: none), with the cache on or off (the project's
 * flux_open_options.no_cache); FLUX_NO_CACHE turns it off too.
 * Unlike flux_migrations_read(), .undo.sql files are read when first asked
 * for (a rollback plan asks for all before it starts), and on a cache hit
 * the up text too.  help: see above (NULL: no other thread joins). */
int flux_migrations_load_cached(const char *dir, flux_helpers *h, int use_cache,
				struct flux_read_help *help, flux_migrations **out,
				flux_error *err);

/* What the read has to say for the debug log (cache problems, counts), one
 * message per line; "" when nothing. */
const char *flux_migrations_notes(const flux_migrations *set);
/* Read now the up SQL of m that a cache hit left unread, with an error
 * (FLUX_ERR_LOAD naming the file) when it cannot be.  When the file changed
 * since it was stat'ed, the hash and flags follow the text read. */
int flux_migration_read_up(const flux_migration *m, flux_error *err);

#pragma GCC visibility pop

#endif
