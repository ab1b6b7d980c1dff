/* SPDX-License-Identifier: MIT */
/* Small helpers: byte buffers, strings, paths, whole-file reads, the clock. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hash_cache.h"
#include "internal.h"

/* Room for extra more bytes and the NUL: doubling (appends in a loop
 * stay linear), or exactly (see buf_reserve_exact). */
static int buf_grow(flux_buf *b, size_t extra, int exact)
{
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = exact ? need : b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	char *p = realloc(b->data, cap);
	if (!p)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

static int buf_reserve(flux_buf *b, size_t extra)
{
	return buf_grow(b, extra, 0);
}

int flux_buf_append(flux_buf *b, const void *data, size_t len)
{
	if (buf_reserve(b, len) < 0)
		return -1;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int flux_buf_appendf(flux_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void flux_buf_free(flux_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

char *flux_buf_steal(flux_buf *b)
{
	if (!b->data && buf_reserve(b, 0) < 0)
		return NULL;
	/* An empty buffer is the empty string, not 64 bytes of garbage. */
	b->data[b->len] = '\0';
	char *p = b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

int flux_grow(void *items, size_t *cap, size_t count, size_t size, size_t first)
{
	if (count < *cap)
		return 0;
	size_t n = *cap ? *cap : first;
	if (*cap && n > SIZE_MAX / 2 / size)
		return -1;
	if (*cap)
		n *= 2;
	void *old;
	memcpy(&old, items, sizeof(old));
	void *p = realloc(old, n * size);
	if (!p)
		return -1;
	memcpy(items, &p, sizeof(p));
	*cap = n;
	return 0;
}

char *flux_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

char *flux_strndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *flux_path_join(const char *dir, const char *name)
{
	if (name[0] == '/' || !dir || !dir[0] || strcmp(dir, ".") == 0)
		return strdup(name);
	size_t dl = strlen(dir), nl = strlen(name);
	int slash = dir[dl - 1] != '/';
	char *p = malloc(dl + slash + nl + 1);
	if (!p)
		return NULL;
	memcpy(p, dir, dl);
	if (slash)
		p[dl] = '/';
	memcpy(p + dl + slash, name, nl + 1);
	return p;
}

char *flux_path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return flux_strndup(path, (size_t)(slash - path));
}

size_t flux_utf8_check(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		unsigned char c = p[i];
		size_t n;
		unsigned int cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xC2 && c <= 0xDF) {
			n = 1, cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2, cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3, cp = c & 0x07;
		} else {
			return i;
		}
		if (len - i <= n)
			return i;
		for (size_t k = 1; k <= n; k++) {
			if ((p[i + k] & 0xC0) != 0x80)
				return i;
			cp = cp << 6 | (p[i + k] & 0x3F);
		}
		/* Overlong forms, UTF-16 surrogates and code points past
		 * U+10FFFF are not UTF-8 (PostgreSQL refuses them too). */
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return i;
		i += n + 1;
	}
	return len;
}

void flux_escape(const char *s, size_t len, char *out, size_t outsz)
{
	if (!outsz)
		return;
	size_t o = 0, good = flux_utf8_check(s, len);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char piece[5];
		size_t n;
		if (i == good) {
			/* Past the first bad byte, re-check from the next one. */
			n = (size_t)snprintf(piece, sizeof(piece), "\\x%02X", c);
			good = i + 1 + flux_utf8_check(s + i + 1, len - i - 1);
		} else if (c == '\n' || c == '\t' || c == '\r') {
			n = (size_t)snprintf(piece, sizeof(piece), "\\%c",
					     c == '\n' ? 'n' : c == '\t' ? 't' : 'r');
		} else if (c < 0x20 || c == 0x7F) {
			n = (size_t)snprintf(piece, sizeof(piece), "\\x%02X", c);
		} else {
			piece[0] = (char)c;
			n = 1;
		}
		if (o + n >= outsz)
			break;
		memcpy(out + o, piece, n);
		o += n;
	}
	out[o] = '\0';
}

/* Room for extra more bytes and the NUL, allocated exactly: for a file
 * whose size is known a power of two above it would be up to twice the
 * file in address space, and below glibc's mmap threshold realloc's
 * growth copies. */
static int buf_reserve_exact(flux_buf *b, size_t extra)
{
	return buf_grow(b, extra, 1);
}

/* Read fd to its end, appending to b; 0 or an errno.  guess is the size
 * expected; sized: it came from fstat.  A file longer than a guess is
 * fstat'ed then, once, and the buffer made exactly its size, with a spare
 * byte so the read that sees end of file needs no growth: a 50 MB
 * migration costs 50 MB, not the 64 MiB of a doubling buffer.  Only a
 * file still growing after that grows the buffer by doubling. */
static int read_to_end(int fd, flux_buf *b, size_t guess, int sized)
{
	if (buf_reserve_exact(b, guess + 1) < 0)
		return ENOMEM;
	for (;;) {
		if (b->cap - b->len <= 1) {
			struct stat st;
			size_t extra = b->len; /* it grew: double */
			if (!sized && fstat(fd, &st) == 0 && (size_t)st.st_size > b->len)
				extra = (size_t)st.st_size - b->len + 1;
			sized = 1;
			if (buf_reserve_exact(b, extra) < 0)
				return ENOMEM;
		}
		ssize_t n = read(fd, b->data + b->len, b->cap - b->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			break;
		b->len += (size_t)n;
	}
	b->data[b->len] = '\0';
	return 0;
}

/* The error of a read_to_end() that returned e. */
static int read_failed(int e, const char *path, flux_error *err)
{
	return e == ENOMEM ? flux_error_set(err, FLUX_ERR_NOMEM, "out of memory reading %s", path)
			   : flux_error_set(err, FLUX_ERR_IO, "%s: read failed: %s", path,
					    strerror(e));
}

int flux_file_read(const char *path, char **data, size_t *len, flux_error *err)
{
	/* O_NONBLOCK: a FIFO put where a migration was expected must fail
	 * the S_ISREG check below, not block open() until a writer comes;
	 * for a regular file the flag changes nothing. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return flux_error_set(err, errno == ENOENT ? FLUX_ERR_NOT_FOUND : FLUX_ERR_IO,
				      "%s: cannot open: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return flux_error_set(err, FLUX_ERR_IO, "%s: %s", path, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return flux_error_set(err, FLUX_ERR_IO, "%s: %s", path,
				      S_ISDIR(st.st_mode) ? "is a directory"
							  : "is not a regular file");
	}
	/* Sized from fstat: one allocation for a file that holds still, and
	 * still correct for one that grows while being read. */
	flux_buf b = {0};
	int e = read_to_end(fd, &b, (size_t)st.st_size, 1);
	close(fd);
	if (e) {
		flux_buf_free(&b);
		return read_failed(e, path, err);
	}
	*len = b.len;
	*data = flux_buf_steal(&b);
	return FLUX_OK;
}

double flux_clock_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A scratch buffer grown past this is handed over as the text rather than
 * copied out (and the next file starts a new one): a large migration is
 * then in memory once, not twice. */
#define SCRATCH_MAX ((size_t)1 << 20)

/* For files the directory scan has just listed (and, with the cache,
 * fstatat()ed) as regular: no stat here, and openat() relative to the
 * directory, so a directory of many files costs open, read, read (end of
 * file), close each.  size is a first guess only: a file longer than it
 * is fstat'ed once to size the buffer, and read to its end whatever it
 * holds now.  With scratch, the bytes are read into it and copied out at
 * their size: thousands of texts then share pages rather than each
 * filling a buffer sized by a guess. */
int flux_file_read_at(int dirfd, const char *name, const char *path, size_t size,
		      flux_buf *scratch, char **data, size_t *len, flux_error *err)
{
	/* O_NONBLOCK: a FIFO swapped in since the listing gives an empty
	 * read or EAGAIN, never a wait. */
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return flux_error_set(err, errno == ENOENT ? FLUX_ERR_NOT_FOUND : FLUX_ERR_IO,
				      "%s: cannot open: %s", path, strerror(errno));
	flux_buf own = {0}, *b = scratch ? scratch : &own;
	b->len = 0;
	int e = read_to_end(fd, b, size, 0);
	close(fd);
	if (e) {
		flux_buf_free(&own);
		return read_failed(e, path, err);
	}
	if (!scratch || scratch->cap > SCRATCH_MAX) {
		*len = b->len;
		*data = flux_buf_steal(b);
		return FLUX_OK;
	}
	*data = malloc(b->len + 1);
	if (!*data)
		return flux_error_set(err, FLUX_ERR_NOMEM, "out of memory reading %s", path);
	memcpy(*data, b->data, b->len + 1);
	*len = b->len;
	return FLUX_OK;
}
