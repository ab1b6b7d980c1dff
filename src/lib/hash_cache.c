/* SPDX-License-Identifier: MIT */
/* The hash cache: for each migration file, its MD5 and directive flags
 * keyed on (device, inode, size, mtime, ctime), so that an unchanged file
 * costs a stat, not an open and a read.  In the spirit of git's index.
 *
 * One file per migration directory, named after a hash of its real path
 * (which it also holds), in $XDG_CACHE_HOME/flux/ (else ~/.cache/flux/):
 * the user's own, outside the project; written to a temporary file and
 * renamed, and only when what it would hold changed.  It is only ever a shortcut, so anything wrong with it (no
 * home, another user's directory or file, a corrupt or truncated file,
 * another flux or format version, a read-only disk) means reading the
 * files as without it, and a line in the debug log.  A cache another user
 * could write is never read: a poisoned entry would let a changed file
 * through unverified.
 *
 * Layout (integers little-endian, "var" = LEB128, "zig" = zigzag LEB128):
 *   "flux-hc\n"  u32 format  u32 n + flux version  u32 n + real path
 *   u32 count, then per entry:
 *     the name (relative to the migration directory) and a NUL,
 *     var dev, ino, size, zig mtime s, var mtime ns, zig ctime s - mtime s,
 *     var ctime ns, 16 bytes MD5, var flags
 *   u64 checksum of everything before it.
 * Entries are decoded where they lie, on lookup: the file is read once and
 * nothing is copied out of it. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hash_cache.h"

#define MAGIC "flux-hc\n"
#define FORMAT 1u
/* A file read now is kept only when its mtime and ctime are this much
 * older than the run's start: an edit of the same size within the
 * timestamp granularity (a second on some file systems, two on FAT)
 * would otherwise leave its stamp unchanged, which is git's "racy" case.
 * Such files are read again by the next runs until they are old enough. */
#define RACY_NS 2000000000LL
#define MAX_FILE (1u << 30)
#define MAX_NAME 8192

struct flux_hash_cache {
	int usable;           /* 0: neither read nor written */
	int dirfd;            /* the checked cache directory, or -1 */
	char *base;           /* $XDG_CACHE_HOME or ~/.cache */
	char *dirpath;        /* base/flux */
	char *file;           /* the cache file's name in it */
	char *realdir;        /* the migration directory's real path */
	int64_t t0;           /* CLOCK_REALTIME at open, in ns */
	unsigned char *data;  /* the file as read (flux_bulk_alloc) */
	size_t len, cap;
	uint32_t *off;        /* where each entry starts in data */
	size_t nold;
	uint32_t *index;      /* open addressing over entries (i + 1), or NULL */
	size_t mask;
	int positional;       /* the i-th lookup is the i-th entry */
	size_t hits, kept;
	int changed;          /* rewrite even when the entries are the same */
};

void flux_file_stamp_of(const struct stat *st, flux_file_stamp *out)
{
	out->dev = (uint64_t)st->st_dev;
	out->ino = (uint64_t)st->st_ino;
	out->size = (uint64_t)st->st_size;
	out->mtime_sec = (int64_t)st->st_mtim.tv_sec;
	out->mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
	out->ctime_sec = (int64_t)st->st_ctim.tv_sec;
	out->ctime_nsec = (uint32_t)st->st_ctim.tv_nsec;
}

static int stamp_eq(const flux_file_stamp *a, const flux_file_stamp *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime_sec == b->mtime_sec && a->mtime_nsec == b->mtime_nsec &&
	       a->ctime_sec == b->ctime_sec && a->ctime_nsec == b->ctime_nsec;
}

/* FNV-1a from a given start, finished so that the low bits mix. */
static uint64_t name_hash2(const char *s, uint64_t h)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h ^ (h >> 32);
}

static uint64_t name_hash(const char *s)
{
	return name_hash2(s, 0xcbf29ce484222325ULL);
}

int flux_hash_cache_disabled(void)
{
	const char *e = getenv("FLUX_NO_CACHE");
	return e && *e && strcmp(e, "0") != 0;
}

static void note(flux_buf *notes, const char *fmt, ...) FLUX_PRINTF(2, 3);
static void note(flux_buf *notes, const char *fmt, ...)
{
	if (!notes)
		return;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	flux_buf_appendf(notes, "%shash cache: %s", notes->len ? "\n" : "", line);
}

/* ---- encoding ---------------------------------------------------------- */

static uint64_t load_le64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t load_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Catches truncation and flipped bits; not a defence against anyone (the
 * file's owner and mode are). */
static uint64_t checksum(const unsigned char *p, size_t n)
{
	uint64_t h = 0x6a09e667f3bcc909ULL ^ (uint64_t)n;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		h = (h ^ load_le64(p + i)) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 31;
	}
	for (; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 32);
}

static int put_bytes(flux_buf *b, const void *p, size_t n)
{
	return flux_buf_append(b, p, n);
}

static int put_le32(flux_buf *b, uint32_t v)
{
	unsigned char p[4] = {(unsigned char)v, (unsigned char)(v >> 8),
			      (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
	return put_bytes(b, p, 4);
}

static int put_le64(flux_buf *b, uint64_t v)
{
	unsigned char p[8];
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
	return put_bytes(b, p, 8);
}

static int put_var(flux_buf *b, uint64_t v)
{
	unsigned char p[10];
	size_t n = 0;
	do {
		p[n] = (unsigned char)(v & 0x7F);
		v >>= 7;
		if (v)
			p[n] |= 0x80;
		n++;
	} while (v);
	return put_bytes(b, p, n);
}

static int put_zig(flux_buf *b, int64_t v)
{
	return put_var(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

struct reader {
	const unsigned char *p, *end;
	const char *why; /* the first problem; then p == end */
};

static void bad(struct reader *r, const char *why)
{
	if (!r->why)
		r->why = why;
	r->p = r->end;
}

static uint64_t get_var(struct reader *r)
{
	uint64_t v = 0;
	for (unsigned int shift = 0; shift < 64; shift += 7) {
		if (r->p >= r->end) {
			bad(r, "truncated");
			return 0;
		}
		unsigned char c = *r->p++;
		v |= (uint64_t)(c & 0x7F) << shift;
		if (!(c & 0x80))
			return v;
	}
	bad(r, "bad number");
	return 0;
}

static int64_t get_zig(struct reader *r)
{
	uint64_t v = get_var(r);
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static const unsigned char *get_bytes(struct reader *r, size_t n)
{
	if ((size_t)(r->end - r->p) < n) {
		bad(r, "truncated");
		return NULL;
	}
	const unsigned char *p = r->p;
	r->p += n;
	return p;
}

static uint32_t get_le32(struct reader *r)
{
	const unsigned char *p = get_bytes(r, 4);
	return p ? load_le32(p) : 0;
}

/* The entry at r->p after its name: stamp, MD5, flags. */
static void get_entry(struct reader *r, flux_file_stamp *st, unsigned char md5[16],
		      uint32_t *flags)
{
	st->dev = get_var(r);
	st->ino = get_var(r);
	st->size = get_var(r);
	st->mtime_sec = get_zig(r);
	st->mtime_nsec = (uint32_t)get_var(r);
	st->ctime_sec = st->mtime_sec + get_zig(r);
	st->ctime_nsec = (uint32_t)get_var(r);
	const unsigned char *p = get_bytes(r, 16);
	if (p)
		memcpy(md5, p, 16);
	*flags = (uint32_t)get_var(r);
}

/* Check the whole file and note where each entry starts; NULL on
 * success, else what is wrong with it. */
static const char *parse(flux_hash_cache *c, const unsigned char *data, size_t len)
{
	if (len < sizeof(MAGIC) - 1 + 4 + 8 || memcmp(data, MAGIC, sizeof(MAGIC) - 1))
		return "not a flux hash cache";
	if (checksum(data, len - 8) != load_le64(data + len - 8))
		return "corrupt (checksum)";
	struct reader r = {data + sizeof(MAGIC) - 1, data + len - 8, NULL};
	if (get_le32(&r) != FORMAT)
		return "another format version";
	uint32_t n = get_le32(&r);
	const unsigned char *v = get_bytes(&r, n);
	const char *ours = flux_version();
	if (!v || n != strlen(ours) || memcmp(v, ours, n))
		return r.why ? r.why : "written by another flux version";
	n = get_le32(&r);
	v = get_bytes(&r, n);
	if (!v || n != strlen(c->realdir) || memcmp(v, c->realdir, n))
		return r.why ? r.why : "written for another directory";
	uint32_t count = get_le32(&r);
	/* Each entry takes at least 26 bytes: a bound before allocating. */
	if (r.why || count > (size_t)(r.end - r.p) / 26)
		return r.why ? r.why : "bad entry count";
	c->off = flux_bulk_alloc(count * sizeof(*c->off));
	if (!c->off)
		return "out of memory";
	for (uint32_t i = 0; i < count && !r.why; i++) {
		const unsigned char *nul = memchr(r.p, '\0', (size_t)(r.end - r.p));
		if (!nul || nul == r.p || nul - r.p > MAX_NAME) {
			bad(&r, "bad name");
			break;
		}
		c->off[i] = (uint32_t)(r.p - data);
		r.p = nul + 1;
		flux_file_stamp st;
		unsigned char md5[16];
		uint32_t flags;
		get_entry(&r, &st, md5, &flags);
	}
	if (!r.why && r.p != r.end)
		bad(&r, "trailing bytes");
	if (r.why) {
		flux_bulk_free(c->off, count * sizeof(*c->off));
		c->off = NULL;
		return r.why;
	}
	c->nold = count;
	return NULL;
}

/* ---- the cache directory and file ------------------------------------- */

/* Only a directory of our own that nobody else can write is used. */
static int trusted(int fd, const char *path, const char *what, flux_buf *notes)
{
	struct stat st;
	if (fstat(fd, &st) != 0) {
		note(notes, "%s: %s; not used", path, strerror(errno));
		return 0;
	}
	const char *why = st.st_uid != geteuid() ? "belongs to another user"
			  : st.st_mode & (S_IWGRP | S_IWOTH) ? "is writable by others"
							     : NULL;
	if (!why && !strcmp(what, "file") && !S_ISREG(st.st_mode))
		why = "is not a regular file";
	if (!why)
		return 1;
	char msg[128];
	snprintf(msg, sizeof(msg), "%s; %s", why, strcmp(what, "file") == 0
		 ? "ignored (and replaced)" : "the cache is not used");
	note(notes, "%s %s", path, msg);
	return 0;
}

static void read_file(flux_hash_cache *c, flux_buf *notes)
{
	char *path = flux_path_join(c->dirpath, c->file);
	int fd = openat(c->dirfd, c->file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		if (errno != ENOENT) {
			note(notes, "%s: %s; ignored (and replaced)", path, strerror(errno));
			c->changed = 1;
		}
		free(path);
		return;
	}
	struct stat st;
	if (!trusted(fd, path, "file", notes) || fstat(fd, &st) != 0) {
		close(fd);
		free(path);
		c->changed = 1;
		return;
	}
	const char *why = NULL;
	unsigned char *data = NULL;
	size_t len = 0;
	if ((uint64_t)st.st_size > MAX_FILE)
		why = "too large";
	else if (!(data = flux_bulk_alloc(c->cap = (size_t)st.st_size + 1)))
		why = "out of memory";
	while (!why) {
		ssize_t n = read(fd, data + len, (size_t)st.st_size + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			why = strerror(errno);
		else if (n == 0)
			break;
		else if ((len += (size_t)n) > (size_t)st.st_size)
			why = "changed while read";
	}
	close(fd);
	if (!why)
		why = parse(c, data, len);
	if (why) {
		note(notes, "%s: %s; ignored and rebuilt", path, why);
		c->changed = 1;
		flux_bulk_free(data, c->cap);
		c->cap = 0;
	} else {
		c->data = data;
		c->len = len;
	}
	free(path);
}

flux_hash_cache *flux_hash_cache_open(const char *dir, flux_buf *notes)
{
	flux_hash_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->dirfd = -1;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	c->t0 = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	/* The XDG spec: a relative $XDG_CACHE_HOME is to be ignored. */
	if (xdg && xdg[0] == '/')
		c->base = flux_strdup(xdg);
	else if (home && home[0] == '/')
		c->base = flux_path_join(home, ".cache");
	else {
		note(notes, "no $XDG_CACHE_HOME or $HOME; not used");
		return c;
	}
	c->dirpath = c->base ? flux_path_join(c->base, "flux") : NULL;
	c->realdir = realpath(dir, NULL);
	if (!c->dirpath || !c->realdir)
		return c; /* the reader says what is wrong with dir */
	/* A name, not a checksum: FNV is enough.  The file holds the path,
	 * so a collision only costs two projects their cache. */
	c->file = malloc(40);
	if (!c->file)
		return c;
	snprintf(c->file, 40, "%016llx%016llx.hashes",
		 (unsigned long long)name_hash2(c->realdir, 0xcbf29ce484222325ULL),
		 (unsigned long long)name_hash2(c->realdir, 0x84222325cbf29ce4ULL));
	c->usable = 1;
	int fd = open(c->dirpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT) {
			note(notes, "%s: %s; not used", c->dirpath, strerror(errno));
			c->usable = 0;
		}
		return c;
	}
	if (!trusted(fd, c->dirpath, "directory", notes)) {
		close(fd);
		c->usable = 0;
		return c;
	}
	c->dirfd = fd;
	read_file(c, notes);
	return c;
}

void flux_hash_cache_free(flux_hash_cache *c)
{
	if (!c)
		return;
	if (c->dirfd >= 0)
		close(c->dirfd);
	free(c->base);
	free(c->dirpath);
	free(c->file);
	free(c->realdir);
	flux_bulk_free(c->data, c->cap);
	flux_bulk_free(c->off, c->nold * sizeof(*c->off));
	free(c->index);
	free(c);
}

/* ---- lookups ------------------------------------------------------------ */

static const char *name_of(const flux_hash_cache *c, size_t i)
{
	return (const char *)c->data + c->off[i];
}

int flux_hash_cache_prepare(flux_hash_cache *c, size_t n,
			    const char *(*name_at)(void *ctx, size_t i), void *ctx)
{
	if (!c->nold)
		return 0;
	if (n == c->nold) {
		size_t i = 0;
		while (i < n && strcmp(name_at(ctx, i), name_of(c, i)) == 0)
			i++;
		if (i == n) {
			c->positional = 1;
			return 0;
		}
	}
	size_t size = 16;
	while (size < 2 * c->nold)
		size *= 2;
	c->index = calloc(size, sizeof(*c->index));
	if (!c->index)
		return -1; /* finds then miss: every file is read */
	c->mask = size - 1;
	for (size_t i = 0; i < c->nold; i++) {
		size_t k = (size_t)name_hash(name_of(c, i)) & c->mask;
		while (c->index[k])
			k = (k + 1) & c->mask;
		c->index[k] = (uint32_t)i + 1;
	}
	return 0;
}

int flux_hash_cache_find(const flux_hash_cache *c, size_t i, const char *name,
			 const flux_file_stamp *st, unsigned char md5[16], uint32_t *flags)
{
	size_t e = c->nold;
	if (c->positional) {
		e = i;
	} else if (c->index) {
		size_t k = (size_t)name_hash(name) & c->mask;
		for (; c->index[k]; k = (k + 1) & c->mask)
			if (strcmp(name_of(c, c->index[k] - 1), name) == 0) {
				e = c->index[k] - 1;
				break;
			}
	}
	if (e >= c->nold)
		return 0;
	const char *at = name_of(c, e);
	struct reader r = {(const unsigned char *)at + strlen(at) + 1, c->data + c->len - 8,
			   NULL};
	flux_file_stamp old;
	unsigned char sum[16];
	uint32_t fl;
	get_entry(&r, &old, sum, &fl);
	if (r.why || !stamp_eq(&old, st))
		return 0;
	memcpy(md5, sum, 16);
	*flags = fl;
	return 1;
}

/* ---- writing -------------------------------------------------------------- */

static int racy(const flux_hash_cache *c, const flux_file_stamp *st)
{
	int64_t limit = c->t0 - RACY_NS;
	return st->mtime_sec * 1000000000LL + st->mtime_nsec >= limit ||
	       st->ctime_sec * 1000000000LL + st->ctime_nsec >= limit;
}

void flux_hash_cache_counts(const flux_hash_cache *c, size_t *hits, size_t *kept)
{
	*hits = c->hits;
	*kept = c->kept;
}

static int encode(const flux_hash_cache *c, size_t n, flux_hash_cache_item_fn item_at,
		  void *ctx, flux_buf *b)
{
	const char *v = flux_version();
	int rc = put_bytes(b, MAGIC, sizeof(MAGIC) - 1) | put_le32(b, FORMAT) |
		 put_le32(b, (uint32_t)strlen(v)) | put_bytes(b, v, strlen(v)) |
		 put_le32(b, (uint32_t)strlen(c->realdir)) |
		 put_bytes(b, c->realdir, strlen(c->realdir)) | put_le32(b, (uint32_t)c->kept);
	for (size_t i = 0; i < n && !rc; i++) {
		flux_hash_cache_item it;
		item_at(ctx, i, &it);
		if (!it.hit && racy(c, it.st))
			continue;
		const flux_file_stamp *st = it.st;
		rc = put_bytes(b, it.name, strlen(it.name) + 1) | put_var(b, st->dev) |
		     put_var(b, st->ino) | put_var(b, st->size) | put_zig(b, st->mtime_sec) |
		     put_var(b, st->mtime_nsec) | put_zig(b, st->ctime_sec - st->mtime_sec) |
		     put_var(b, st->ctime_nsec) | put_bytes(b, it.md5, 16) |
		     put_var(b, it.flags);
	}
	if (!rc)
		rc = put_le64(b, checksum((const unsigned char *)b->data, b->len));
	return rc;
}

/* mkdir -p with mode 0700 for what it creates. */
static int make_dirs(char *path)
{
	for (char *s = strchr(path + 1, '/');; s = strchr(s + 1, '/')) {
		if (s)
			*s = '\0';
		int rc = mkdir(path, 0700);
		int e = errno;
		if (s)
			*s = '/';
		if (rc != 0 && e != EEXIST) {
			errno = e;
			return -1;
		}
		if (!s)
			return 0;
	}
}

static int open_for_write(flux_hash_cache *c, flux_buf *notes)
{
	if (c->dirfd >= 0)
		return 0;
	char *p = flux_strdup(c->dirpath);
	int rc = p ? make_dirs(p) : -1;
	free(p);
	int fd = rc == 0 ? open(c->dirpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (fd < 0) {
		note(notes, "%s: cannot create: %s; not written", c->dirpath, strerror(errno));
		return -1;
	}
	if (!trusted(fd, c->dirpath, "directory", notes)) {
		close(fd);
		return -1;
	}
	c->dirfd = fd;
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

void flux_hash_cache_save(flux_hash_cache *c, size_t n, flux_hash_cache_item_fn item_at,
			  void *ctx, flux_buf *notes)
{
	int fresh = 0;
	c->hits = c->kept = 0;
	for (size_t i = 0; i < n; i++) {
		flux_hash_cache_item it;
		item_at(ctx, i, &it);
		if (it.hit)
			c->hits++;
		else if (racy(c, it.st))
			continue;
		else
			fresh = 1;
		c->kept++;
	}
	/* Only hits, as many as there were entries: the same entries. */
	if (!c->usable || (!c->changed && !fresh && c->kept == c->nold))
		return;
	if (open_for_write(c, notes) < 0)
		return;
	flux_buf b = {0};
	char tmp[64];
	snprintf(tmp, sizeof(tmp), "%.40s.%ld.tmp", c->file, (long)getpid());
	int fd = -1;
	if (encode(c, n, item_at, ctx, &b) != 0) {
		note(notes, "out of memory; %s not written", c->file);
		goto out;
	}
	/* A temporary file left by a crashed run of the same pid is ours. */
	for (int tries = 0; fd < 0 && tries < 2; tries++) {
		fd = openat(c->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
			    0600);
		if (fd < 0 && errno == EEXIST)
			unlinkat(c->dirfd, tmp, 0);
		else
			break;
	}
	if (fd < 0) {
		note(notes, "%s: %s; not written", c->dirpath, strerror(errno));
		goto out;
	}
	/* No fsync: after a crash the checksum catches a torn file, which is
	 * then rebuilt like any other bad cache. */
	int rc = write_all(fd, b.data, b.len);
	int e = errno;
	if (close(fd) != 0 && !rc) {
		rc = -1;
		e = errno;
	}
	if (rc == 0 && renameat(c->dirfd, tmp, c->dirfd, c->file) != 0) {
		rc = -1;
		e = errno;
	}
	if (rc) {
		unlinkat(c->dirfd, tmp, 0);
		note(notes, "%s: %s; not written", c->dirpath, strerror(e));
	}
out:
	flux_buf_free(&b);
}
