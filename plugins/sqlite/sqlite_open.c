/* SPDX-License-Identifier: MIT */
/* Which file an sqlite: URI names, and opening it.
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
 * database one may only read works. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sqlite.h"

int sq_db_error(struct sq *s, flux_error *err, const char *what)
{
	int code = sqlite3_extended_errcode(s->db);
	s->host->error_set(err, FLUX_ERR_BACKEND, "%s%s%s", what ? what : "",
			   what ? ": " : "", sqlite3_errmsg(s->db));
	snprintf(err->detail, sizeof(err->detail), "SQLite result code %d (%s)", code,
		 sqlite3_errstr(code));
	return FLUX_ERR_BACKEND;
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

int sq_open(struct sq *s, int create, flux_error *err)
{
	/* SQLITE_OPEN_URI: file: names mean the same whatever SQLite was
	 * built with.  READWRITE opens read-only when the OS denies writing. */
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI | (create ? SQLITE_OPEN_CREATE : 0);
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(s->path, &db, flags, NULL);
	s->db = db;
	if (rc != SQLITE_OK) {
		int gone = !create && rc == SQLITE_CANTOPEN && sqlite3_system_errno(db) == ENOENT;
		char what[FLUX_ERROR_MESSAGE_MAX / 2];
		snprintf(what, sizeof(what), "cannot open SQLite database %s", s->path);
		if (!gone)
			sq_db_error(s, err, what);
		sqlite3_close(db);
		s->db = NULL;
		return gone ? FLUX_OK : FLUX_ERR_BACKEND;
	}
	/* The unix VFS reports an absolute path; "" means memory or a
	 * temporary database, a relative name a VFS of its own (memdb). */
	const char *file = sqlite3_db_filename(db, "main");
	if (!file || file[0] != '/') {
		sqlite3_close(db);
		s->db = NULL;
		s->host->error_set(err, FLUX_ERR_INVALID, "SQLite database %s is not a file "
				   "on disk (in memory, or a VFS without one): migrations "
				   "applied to it would vanish when flux exits", s->path);
		snprintf(err->hint, sizeof(err->hint), "name a database file: sqlite:PATH, "
			 "sqlite:///ABSOLUTE/PATH or sqlite:file:PATH?PARAMS");
		return FLUX_ERR_INVALID;
	}
	free(s->file);
	if (!(s->file = strdup(file))) {
		sqlite3_close(db);
		s->db = NULL;
		return s->host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
	}
	sqlite3_busy_timeout(db, (int)s->busy_ms);
	sqlite3_extended_result_codes(db, 1);
	return FLUX_OK;
}

int sq_need_db(struct sq *s, flux_error *err)
{
	return s->db ? FLUX_OK : sq_open(s, 1, err);
}

int sq_open_lockfd(struct sq *s, flux_error *err)
{
	if (s->lockfd >= 0)
		return FLUX_OK;
	int rc = sq_need_db(s, err);
	if (rc)
		return rc;
	/* Closed only after SQLite's connection (sq_disconnect): closing any
	 * descriptor of a file drops all of the process's POSIX locks on it,
	 * SQLite's included.  flock locks are independent of those. */
	s->lockfd = open(s->file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (s->lockfd < 0)
		return s->host->error_set(err, FLUX_ERR_BACKEND, "cannot open %s to lock it: %s",
					  s->file, strerror(errno));
	return FLUX_OK;
}
