/* SPDX-License-Identifier: MIT */
/* Which file an sqlite: URI names, opening it, and the lock on it.
 *
 * The path after "sqlite:" goes to SQLite as it is, so SQLite's own URI
 * filenames work (sqlite:file:app.db?mode=ro): SQLite alone knows which
 * file such a name opens, so the file is opened first and the lock is
 * then taken on the file SQLite reports (sqlite3_db_filename), never on
 * the spelling.  Two processes naming one file differently (app.db,
 * file:app.db, ./app.db) therefore take one lock.  A database that is not
 * a file (:memory:, mode=memory, a memory VFS) is refused: the migrations
 * would vanish when flux exits.  A plain path with '?' is refused too:
 * SQLite would create a file named "app.db?mode=ro", which is never what
 * was meant.
 *
 * A database file that does not exist is created only by the operations
 * that write (the lock comes first), so status and validate create
 * nothing.  The file is opened read-write when the user may write it and
 * read-only otherwise (SQLite falls back by itself), and the lock's
 * descriptor is read-only: flock(2) needs no write access, so reading a
 * database one may only read works.
 *
 * The run-long migration lock is an flock(2) on the database file itself,
 * taken on a descriptor of our own.  flock locks are independent of the
 * POSIX record locks SQLite uses, so it never blocks ordinary readers and
 * writers of the database, only other flux processes; the kernel drops it
 * when a process dies.  Our descriptor is closed after SQLite's, because closing any
 * descriptor of a file drops the process's POSIX locks on it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "sqlite.h"

static int db_error(struct sq *s, sqlite3 *db, flux_error *err, const char *what)
{
	int code = sqlite3_extended_errcode(db);
	s->host->error_set(err, FLUX_ERR_BACKEND, "%s%s%s", what ? what : "",
			   what ? ": " : "", sqlite3_errmsg(db));
	s->host->error_detail(err, "SQLite result code %d (%s)", code, sqlite3_errstr(code));
	return FLUX_ERR_BACKEND;
}

int sq_db_error(struct sq *s, flux_error *err, const char *what)
{
	return db_error(s, s->db, err, what);
}

/* The scheme of a URI ("postgresql" of postgresql://...), as long as it
 * looks like one (RFC 3986: a letter, then letters, digits, + - .): safe
 * to show, unlike the rest, which may hold a password. */
static int scheme_length(const char *uri)
{
	int n = 0;
	if (!((uri[0] >= 'a' && uri[0] <= 'z') || (uri[0] >= 'A' && uri[0] <= 'Z')))
		return 0;
	while (uri[n] && uri[n] != ':' && n < 32) {
		char c = uri[n];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '-' || c == '.'))
			return 0;
		n++;
	}
	return uri[n] == ':' ? n : 0;
}

int sq_uri_path(const struct flux_host *host, const char *uri, const char **path,
		flux_error *err)
{
	if (strncmp(uri, "sqlite:///", 10) == 0) {
		*path = uri + 9;
	} else if (strncmp(uri, "sqlite://", 9) == 0) {
		return host->error_set(err, FLUX_ERR_INVALID, "unsupported SQLite URI form "
				       "sqlite://HOST/...: use sqlite:PATH or "
				       "sqlite:///ABSOLUTE/PATH");
	} else if (strncmp(uri, "sqlite:", 7) == 0) {
		*path = uri + 7;
	} else {
		int n = scheme_length(uri);
		if (n)
			return host->error_set(err, FLUX_ERR_INVALID, "not an SQLite URI: it "
					       "starts with '%.*s:' (expected sqlite:PATH)",
					       n, uri);
		return host->error_set(err, FLUX_ERR_INVALID,
				       "not an SQLite URI (expected sqlite:PATH)");
	}
	if (!**path)
		return host->error_set(err, FLUX_ERR_INVALID, "SQLite URI names no file "
				       "(expected sqlite:PATH)");
	if (strncmp(*path, "file:", 5) != 0 && strchr(*path, '?'))
		return host->error_set(err, FLUX_ERR_INVALID, "SQLite path with '?': SQLite "
				       "reads parameters only from a file: URI, so it would "
				       "create a file of that name; write sqlite:file:PATH?"
				       "PARAMS (and %%3F for a '?' in a file name)");
	return FLUX_OK;
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The directory the file of name (a path, or an SQLite file: URI) would be
 * in, into dir; 0 when it cannot be known (a file: URI with another
 * authority, a name too long). */
static int directory_of(const char *name, char *dir, size_t size)
{
	const char *p = name, *end;
	int uri = strncmp(p, "file:", 5) == 0;
	if (uri) {
		p += 5;
		if (strncmp(p, "//localhost/", 12) == 0)
			p += 11;
		else if (strncmp(p, "///", 3) == 0)
			p += 2;
		else if (strncmp(p, "//", 2) == 0)
			return 0;
		end = p + strcspn(p, "?#");
	} else {
		end = p + strlen(p);
	}
	size_t n = 0;
	for (; p < end && n + 1 < size; p++) {
		int hi, lo;
		if (uri && *p == '%' && (hi = hex_digit(p[1])) >= 0 && (lo = hex_digit(p[2])) >= 0) {
			dir[n++] = (char)(hi * 16 + lo);
			p += 2;
		} else {
			dir[n++] = *p;
		}
	}
	if (p < end)
		return 0;
	dir[n] = '\0';
	char *slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, size, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	return 1;
}

int sq_open(struct sq *s, int create, flux_error *err)
{
	/* SQLITE_OPEN_URI: file: names mean the same whatever SQLite was
	 * built with.  READWRITE opens read-only when the OS denies writing.
	 * NOMUTEX: one thread at a time uses the connection (backend.h), and
	 * cancel()'s sqlite3_interrupt() is safe from any thread without the
	 * connection's mutex, which otherwise every call takes (about 0.2% of
	 * the instructions of applying 1000 small migrations). */
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX |
		    (create ? SQLITE_OPEN_CREATE : 0);
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(s->path, &db, flags, NULL);
	/* s->db is set only once db is fit for use: cancel() may read it. */
	if (rc != SQLITE_OK) {
		int gone = !create && rc == SQLITE_CANTOPEN && sqlite3_system_errno(db) == ENOENT;
		char what[FLUX_ERROR_MESSAGE_MAX / 2], dir[4096];
		struct stat st;
		snprintf(what, sizeof(what), "cannot open SQLite database %s", s->path);
		/* A missing file reads as a database with nothing applied (apply
		 * would create it); a missing directory is a wrong path, which
		 * apply would fail on too: status must not call it "pending". */
		if (gone && directory_of(s->path, dir, sizeof(dir)) &&
		    (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
			sqlite3_close(db);
			s->host->error_set(err, FLUX_ERR_BACKEND, "%s: directory %s does not exist",
					   what, dir);
			return FLUX_ERR_BACKEND;
		}
		if (!gone)
			db_error(s, db, err, what);
		sqlite3_close(db);
		return gone ? FLUX_OK : FLUX_ERR_BACKEND;
	}
	/* The unix VFS reports an absolute path; "" means memory or a
	 * temporary database, a relative name a VFS of its own (memdb). */
	const char *file = sqlite3_db_filename(db, "main");
	if (!file || file[0] != '/') {
		sqlite3_close(db);
		s->host->error_set(err, FLUX_ERR_INVALID, "SQLite database %s is not a file "
				   "on disk (in memory, or a VFS without one): migrations "
				   "applied to it would vanish when flux exits", s->path);
		s->host->error_hint(err, "name a database file: sqlite:PATH, "
				    "sqlite:///ABSOLUTE/PATH or sqlite:file:PATH?PARAMS");
		return FLUX_ERR_INVALID;
	}
	free(s->file);
	if (!(s->file = strdup(file))) {
		sqlite3_close(db);
		return s->host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
	}
	sqlite3_busy_timeout(db, (int)s->busy_ms);
	sqlite3_extended_result_codes(db, 1);
	s->db = db;
	return FLUX_OK;
}

int sq_need_db(struct sq *s, flux_error *err)
{
	return s->db ? FLUX_OK : sq_open(s, 1, err);
}

static int open_lockfd(struct sq *s, flux_error *err)
{
	if (s->lockfd >= 0)
		return FLUX_OK;
	int rc = sq_need_db(s, err);
	if (rc)
		return rc;
	/* Closed only after SQLite's connection (sq_disconnect). */
	s->lockfd = open(s->file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (s->lockfd < 0)
		return s->host->error_set(err, FLUX_ERR_BACKEND, "cannot open %s to lock it: %s",
					  s->file, strerror(errno));
	return FLUX_OK;
}

int sq_try_lock(void *state, int *acquired, flux_error *err)
{
	struct sq *s = state;
	*acquired = 0;
	int rc = open_lockfd(s, err);
	if (rc)
		return rc;
	if (flock(s->lockfd, LOCK_EX | LOCK_NB) == 0)
		*acquired = 1;
	else if (errno != EWOULDBLOCK && errno != EINTR)
		return s->host->error_set(err, FLUX_ERR_BACKEND, "cannot lock %s: %s", s->file,
					  strerror(errno));
	return FLUX_OK;
}

int sq_unlock(void *state, flux_error *err)
{
	struct sq *s = state;
	if (s->lockfd >= 0 && flock(s->lockfd, LOCK_UN) != 0)
		return s->host->error_set(err, FLUX_ERR_BACKEND, "cannot unlock %s: %s",
					  s->file, strerror(errno));
	return FLUX_OK;
}

/* Linux lists flock holders in /proc/locks by device and inode:
 * "1: FLOCK  ADVISORY  WRITE 4242 08:01:1234 0 EOF" (waiters: "1: -> FLOCK").
 * Elsewhere the holder stays unnamed. */
void sq_describe_lock(void *state, char *lock, size_t lock_size, char *holder,
		      size_t holder_size)
{
	struct sq *s = state;
	snprintf(lock, lock_size, "the migration lock on %s", s->file ? s->file : s->path);
	snprintf(holder, holder_size, "%s", "");
	struct stat st;
	FILE *f;
	if (s->lockfd < 0 || fstat(s->lockfd, &st) != 0 || !(f = fopen("/proc/locks", "re")))
		return;
	char want[64], line[256], type[16], dev[64];
	long pid;
	snprintf(want, sizeof(want), "%02x:%02x:%llu", major(st.st_dev), minor(st.st_dev),
		 (unsigned long long)st.st_ino);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*d: %15s %*s %*s %ld %63s", type, &pid, dev) == 3 &&
		    !strcmp(type, "FLOCK") && !strcmp(dev, want) && pid > 0) {
			char path[64], comm[32] = "";
			snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
			FILE *c = fopen(path, "re");
			if (c && fgets(comm, sizeof(comm), c))
				comm[strcspn(comm, "\n")] = '\0';
			if (c)
				fclose(c);
			snprintf(holder, holder_size, comm[0] ? "pid %ld (%s)" : "pid %ld", pid, comm);
			break;
		}
	fclose(f);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Query parameters an encryption extension reads its key from (SQLite's
 * SEE: key, hexkey, textkey); the system SQLite ignores them, but a user
 * may still have written one.  Names are compared percent-decoded, as
 * SQLite decodes them. */
static int secret_param(const char *p, size_t len)
{
	static const char *const names[] = {"key", "hexkey", "textkey", "password"};
	char name[16];
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (n == sizeof(name))
			return 0;
		if (p[i] == '%' && i + 2 < len && hexval(p[i + 1]) >= 0 && hexval(p[i + 2]) >= 0) {
			name[n++] = (char)(hexval(p[i + 1]) * 16 + hexval(p[i + 2]));
			i += 2;
		} else {
			name[n++] = p[i];
		}
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && !memcmp(names[i], name, n))
			return 1;
	return 0;
}

static void put(char *out, size_t size, size_t *o, const char *p, size_t n)
{
	n = n < size - 1 - *o ? n : size - 1 - *o;
	memcpy(out + *o, p, n);
	*o += n;
}

/* An SQLite path holds no secret; a file: URI's query may, and so may a
 * foreign URI's user:PASSWORD@ (sqlite://u:pw@h/db is refused, but its
 * text may still be shown). */
size_t sq_redact_uri(const char *uri, char *out, size_t size)
{
	if (!size)
		return 0;
	size_t o = 0;
	const char *p = uri, *auth = strstr(uri, "://");
	const char *at = auth ? strrchr(auth, '@') : NULL;
	const char *colon = at ? memchr(auth + 3, ':', (size_t)(at - auth - 3)) : NULL;
	if (colon) {
		put(out, size, &o, uri, (size_t)(colon + 1 - uri));
		put(out, size, &o, "****", 4);
		p = at;
	}
	const char *q = strchr(p, '?');
	put(out, size, &o, p, q ? (size_t)(q - p) : strlen(p));
	while (q && *q) {
		put(out, size, &o, q++, 1); /* '?' or '&' */
		size_t l = strcspn(q, "&#"), kl = strcspn(q, "=");
		if (kl < l && secret_param(q, kl)) {
			put(out, size, &o, q, kl + 1);
			put(out, size, &o, "****", 4);
		} else {
			put(out, size, &o, q, l);
		}
		q += l;
		if (*q == '#') {
			put(out, size, &o, q, strlen(q));
			break;
		}
	}
	out[o] = '\0';
	return o;
}
