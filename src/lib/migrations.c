/* SPDX-License-Identifier: MIT */
/* Reading a migration directory the way the Python tool does.
 *
 * A migration's id is its file name without extension; ids sort as byte
 * strings (the same order as Python's str sort for UTF-8 names).  Forms:
 * ID.sql (+ ID.undo.sql), ID.py, and executable generator scripts.
 * pre-apply/ and post-apply/ hold repeatable migrations without undo.
 * Hidden files and anything else are ignored. */
#include <config.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash_cache.h"
#include "internal.h"

struct flux_migration {
	char *id;
	char *path;
	char *undo_path;       /* SQL form: ID.undo.sql, or NULL */
	flux_migration_kind kind;
	flux_stage stage;
	char *up;
	size_t up_len;
	char hash[33];
	unsigned int flags;
	int up_loaded;         /* 0: a cache hit, read on first use */
	int has_undo;
	int undo_loaded;
	char *undo;
	size_t undo_len;
	flux_helpers *helpers;  /* the set's, for generating the undo later */
	/* The text read ahead (read_ahead.c): under ahead_lock. */
	int ahead_state;       /* enum ahead */
	char *ahead;
	size_t ahead_len;
};

struct list {
	flux_migration **items;
	size_t count, cap;
};

/* The migrations and their names live in an arena (arena.h), freed
 * together; the texts (up, undo) are malloc'ed: they come and go. */
struct flux_migrations {
	char *dir;
	struct list stage[3];
	flux_helpers *helpers;  /* time limit and cancel of helpers; may be NULL */
	flux_buf notes;         /* for the debug log: see flux_migrations_notes */
	flux_arena mem;         /* the migrations, their ids and paths */
};

static void *set_alloc(flux_migrations *set, size_t n, size_t align)
{
	return flux_arena_alloc(&set->mem, n, align);
}

/* dir/name (name alone when dir is "" or "."), as flux_path_join. */
static char *set_join(flux_migrations *set, const char *dir, const char *name, size_t len)
{
	int bare = !dir[0] || strcmp(dir, ".") == 0;
	size_t dl = bare ? 0 : strlen(dir);
	int slash = dl && dir[dl - 1] != '/';
	char *p = set_alloc(set, dl + (size_t)slash + len + 1, 1);
	if (!p)
		return NULL;
	memcpy(p, dir, dl);
	if (slash)
		p[dl] = '/';
	memcpy(p + dl + slash, name, len);
	return p;
}

static char *set_strndup(flux_migrations *set, const char *s, size_t n)
{
	return flux_arena_strndup(&set->mem, s, n);
}

static void migration_free(flux_migration *m)
{
	if (!m)
		return;
	free(m->ahead);
	free(m->up);
	free(m->undo);
}

void flux_migrations_free(flux_migrations *set)
{
	if (!set)
		return;
	for (int s = 0; s < 3; s++) {
		for (size_t i = 0; i < set->stage[s].count; i++)
			migration_free(set->stage[s].items[i]);
		free(set->stage[s].items);
	}
	flux_arena_free(&set->mem);
	flux_buf_free(&set->notes);
	free(set->dir);
	free(set);
}

static int has_suffix(const char *s, size_t len, const char *suffix)
{
	size_t sl = strlen(suffix);
	return len > sl && memcmp(s + len - sl, suffix, sl) == 0;
}

/* `-- flux: no-transaction` on the first line. */
unsigned int flux_sql_directives(const char *sql, size_t len)
{
	const char *p = sql, *end = sql + len;
	const char *eol = memchr(p, '\n', len);
	if (!eol)
		eol = end;
	while (p < eol && (*p == ' ' || *p == '\t'))
		p++;
	if (eol - p < 2 || p[0] != '-' || p[1] != '-')
		return 0;
	p += 2;
	while (p < eol && (*p == ' ' || *p == '\t'))
		p++;
	static const char tag[] = "flux:";
	if ((size_t)(eol - p) < sizeof(tag) - 1 || memcmp(p, tag, sizeof(tag) - 1))
		return 0;
	p += sizeof(tag) - 1;
	while (p < eol && (*p == ' ' || *p == '\t'))
		p++;
	static const char nt[] = "no-transaction";
	const char *q = p + sizeof(nt) - 1;
	if ((size_t)(eol - p) < sizeof(nt) - 1 || memcmp(p, nt, sizeof(nt) - 1))
		return 0;
	while (q < eol && (*q == ' ' || *q == '\t' || *q == '\r'))
		q++;
	return q == eol ? FLUX_MIGRATION_NO_TRANSACTION : 0;
}

/* Backends get SQL with its length, but every database client parses it
 * as a C string: PostgreSQL silently drops what follows a NUL byte, and
 * sqlite3_prepare_v2() stops there without moving on, for ever.  So SQL
 * holding one is refused here, for every backend, before anything runs.
 * file is the SQL file, or the .py / script whose output sql is. */
static int check_sql(const flux_migration *m, const char *file, const char *sql,
		     size_t len, flux_error *err)
{
	const char *nul = memchr(sql, '\0', len);
	if (!nul)
		return FLUX_OK;
	int generated = m->kind != FLUX_KIND_SQL;
	char where[FLUX_ERROR_PATH_MAX];
	snprintf(where, sizeof(where), "%s%s", file, generated ? " (generated SQL)" : "");
	flux_error_clear(err);
	err->code = FLUX_ERR_LOAD;
	err->position = (long)(nul - sql) + 1;
	flux_error_locate(err, where, m->id, sql, len);
	snprintf(err->message, sizeof(err->message), "%s: %s holds a NUL byte (line %d, "
		 "column %d%s)", file, generated ? "the SQL it produced" : "the SQL",
		 err->line, err->column, generated ? " of that SQL" : "");
	flux_error_detail(err, "databases read SQL only up to a NUL byte, so what follows "
			  "it would be lost; nothing was run");
	flux_error_hint(err, generated ? "line and column count in the SQL the file produced"
				       : "remove the byte (a file saved as UTF-16 is full of them)");
	return FLUX_ERR_LOAD;
}

static int set_up(flux_migration *m, char *sql, size_t len, flux_error *err)
{
	m->up = sql;
	m->up_len = len;
	int rc = check_sql(m, m->path, sql, len, err);
	if (rc)
		return rc;
	flux_md5_hex(sql, len, m->hash);
	m->flags = flux_sql_directives(sql, len);
	m->up_loaded = 1;
	return FLUX_OK;
}

static int run_script(const char *path, const char *mode, flux_helpers *h, char **sql,
		      size_t *len, flux_error *err)
{
	const char *argv[] = {path, mode, NULL};
	char *dir = flux_path_dirname(path);
	char *abs = path[0] == '/' ? flux_strdup(path) : NULL;
	if (!abs) {
		char cwd[4096];
		abs = getcwd(cwd, sizeof(cwd)) ? flux_path_join(cwd, path) : flux_strdup(path);
	}
	argv[0] = abs;
	flux_buf out = {0}, errout = {0};
	int status = 0;
	int rc = dir && abs ? flux_spawn_capture(argv, dir, path, h, &out, &errout, &status,
						 err)
			    : flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
	free(dir);
	free(abs);
	if (rc == FLUX_OK && status != 0) {
		char st[16];
		snprintf(st, sizeof(st), "%d", status);
		flux_error_set(err, FLUX_ERR_LOAD, "%s %s: generator exited with status %s",
			       path, mode, st);
		flux_error_at(err, path, 0);
		flux_error_detail(err, "%s", errout.data ? errout.data : "");
		rc = FLUX_ERR_LOAD;
	}
	flux_buf_free(&errout);
	if (rc) {
		flux_buf_free(&out);
		return rc;
	}
	*len = out.len;
	*sql = flux_buf_steal(&out);
	return *sql ? FLUX_OK : flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
}

struct pending_undo {
	const char *id;         /* not NUL-terminated: idlen bytes */
	size_t idlen;
	char *path;             /* in the set's arena */
};

/* A migration file as the scan found it, before it is a flux_migration:
 * the names of a directory lie together, so sorting them and then making
 * the migrations in id order reads and writes memory in order. */
struct found {
	const char *name;       /* in the reader's names arena */
	size_t len, idlen;
	flux_migration_kind kind;
};

struct found_list {
	struct found *items;
	size_t count, cap;
	char *dir;              /* the stage's directory */
};

struct reader {
	flux_migrations *set;
	struct found_list found[3];
	flux_arena names;
	struct pending_undo *undos;
	size_t nundos, cap_undos;
	flux_hash_cache *cache; /* NULL: every file is read */
	struct flux_read_help *help; /* NULL: no other thread joins */
	int eager_undo;         /* read .undo.sql files now, not on first use */
	int dirfd[3];           /* each stage's directory, for *at() calls */
	flux_error *err;
};

/* A migration's id is printed in tables, prompts and messages and stored
 * in the database: a control character (a newline) would break all of
 * them, and bytes that are not UTF-8 cannot be stored as PostgreSQL text,
 * so such a file name is refused rather than half-handled. */
static int check_name(struct reader *r, const char *dir, const char *name, size_t len)
{
	size_t bad = flux_utf8_check(name, len);
	const char *why = bad < len ? "is not valid UTF-8" : NULL;
	for (size_t i = 0; i < len && !why; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7F)
			why = name[i] == '\n' ? "holds a newline" : "holds a control character";
	if (!why)
		return FLUX_OK;
	char shown[FLUX_ERROR_ID_MAX];
	flux_escape(name, len, shown, sizeof(shown));
	flux_error_set(r->err, FLUX_ERR_LOAD, "%s/%s: the file name %s; a migration id "
		       "must be printable UTF-8", dir, shown, why);
	flux_error_hint(r->err, "rename the file (its name is shown with \\n, \\xNN escapes)");
	return FLUX_ERR_LOAD;
}

static int add_migration(struct reader *r, flux_stage stage, const char *dir,
			 const char *name, size_t idlen, flux_migration_kind kind)
{
	size_t len = strlen(name);
	int rc = check_name(r, dir, name, len);
	if (rc)
		return rc;
	struct found_list *l = &r->found[stage];
	if (!l->dir && !(l->dir = flux_strdup(dir)))
		return flux_error_set(r->err, FLUX_ERR_NOMEM, "out of memory");
	if (flux_grow(&l->items, &l->cap, l->count, sizeof(*l->items), 64))
		return flux_error_set(r->err, FLUX_ERR_NOMEM, "out of memory");
	const char *copy = flux_arena_strndup(&r->names, name, len);
	if (!copy)
		return flux_error_set(r->err, FLUX_ERR_NOMEM, "out of memory");
	l->items[l->count++] = (struct found){copy, len, idlen, kind};
	return FLUX_OK;
}

static int add_undo(struct reader *r, flux_stage stage, const char *dir, const char *name,
		    size_t len)
{
	if (stage != FLUX_STAGE_MAIN) {
		char *p = flux_path_join(dir, name);
		int rc = flux_error_setf_at(r->err, FLUX_ERR_LOAD, p ? p : name, 0,
					    "repeatable migrations cannot have an undo");
		free(p);
		return rc;
	}
	int rc = check_name(r, dir, name, len);
	if (rc)
		return rc;
	if (flux_grow(&r->undos, &r->cap_undos, r->nundos, sizeof(*r->undos), 64))
		return flux_error_set(r->err, FLUX_ERR_NOMEM, "out of memory");
	struct pending_undo *u = &r->undos[r->nundos];
	u->path = set_join(r->set, dir, name, len);
	if (!u->path)
		return flux_error_set(r->err, FLUX_ERR_NOMEM, "out of memory");
	/* The id is the path's last component without ".undo.sql". */
	u->id = u->path + strlen(u->path) - len;
	u->idlen = len - 9;
	r->nundos++;
	return FLUX_OK;
}

/* Why path, which stat() could not follow, is not a migration file. */
static int unreadable_entry(struct reader *r, const char *path, int e)
{
	struct stat lst;
	const char *why = strerror(e);
	if (e == ELOOP)
		why = "a symbolic link loop";
	else if (e == ENOENT && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode))
		why = "a symbolic link to nothing (its target does not exist)";
	return flux_error_setf_at(r->err, FLUX_ERR_LOAD, path, 0,
				  "%s; a migration must be a readable file", why);
}

static const char *kind_of_file(mode_t mode)
{
	return S_ISFIFO(mode) ? "a FIFO (named pipe)"
	       : S_ISSOCK(mode) ? "a socket"
	       : S_ISCHR(mode) || S_ISBLK(mode) ? "a device"
					       : "not a regular file";
}

/* Entries named like a migration (X.sql, X.undo.sql, X.py) or like a
 * repeatable-migration directory must be what their name says: skipping a
 * dangling link, a link loop, a FIFO or a directory without a word would
 * apply a directory that is not the one the user sees. */
static int scan(struct reader *r, const char *dir, flux_stage stage)
{
	DIR *d = opendir(dir);
	if (!d) {
		if (stage != FLUX_STAGE_MAIN && errno == ENOENT)
			return FLUX_OK;
		flux_error_set(r->err, FLUX_ERR_LOAD, "migration directory %s: %s", dir,
			       strerror(errno));
		flux_error_at(r->err, dir, 0);
		return FLUX_ERR_LOAD;
	}
	/* Kept for the fstatat() and openat() of its files (load_texts). */
	if (r->dirfd[stage] < 0)
		r->dirfd[stage] = fcntl(dirfd(d), F_DUPFD_CLOEXEC, 3);
	int rc = FLUX_OK;
	struct dirent *de;
	while (rc == FLUX_OK && (de = readdir(d))) {
		const char *name = de->d_name;
		size_t len = strlen(name);
		if (name[0] == '.')
			continue;
		int named = has_suffix(name, len, ".sql") || has_suffix(name, len, ".py");
		int stage_dir = stage == FLUX_STAGE_MAIN &&
				(strcmp(name, "pre-apply") == 0 || strcmp(name, "post-apply") == 0);
		unsigned char type = de->d_type;
		struct stat st;
		char *path = NULL;
		if (type != DT_REG || !named) {
			path = flux_path_join(dir, name);
			if (!path) {
				rc = flux_error_set(r->err, FLUX_ERR_NOMEM, "out of memory");
				break;
			}
			if (fstatat(dirfd(d), name, &st, 0) != 0) {
				/* Anything else unreadable is nothing flux would run. */
				if (named || stage_dir)
					rc = unreadable_entry(r, path, errno);
				free(path);
				continue;
			}
			type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
		}
		if (stage_dir && type != DT_DIR) {
			rc = flux_error_setf_at(r->err, FLUX_ERR_LOAD, path, 0,
						"is %s, not a directory of repeatable migrations",
						type == DT_REG ? "a file" : kind_of_file(st.st_mode));
		} else if (type == DT_DIR) {
			if (stage_dir)
				rc = scan(r, path, strcmp(name, "pre-apply") == 0 ? FLUX_STAGE_PRE
										 : FLUX_STAGE_POST);
			else if (named)
				rc = flux_error_setf_at(r->err, FLUX_ERR_LOAD, path, 0,
							"is a directory, not a migration file");
		} else if (type == DT_REG) {
			if (has_suffix(name, len, ".undo.sql"))
				rc = add_undo(r, stage, dir, name, len);
			else if (has_suffix(name, len, ".sql"))
				rc = add_migration(r, stage, dir, name, len - 4, FLUX_KIND_SQL);
			else if (has_suffix(name, len, ".py"))
				rc = add_migration(r, stage, dir, name, len - 3, FLUX_KIND_PYTHON);
			else if (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) {
				const char *dot = strrchr(name, '.');
				rc = add_migration(r, stage, dir, name,
						   dot && dot != name ? (size_t)(dot - name) : len,
						   FLUX_KIND_SCRIPT);
			}
		} else if (named || (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH))) {
			/* Never opened: reading a FIFO would wait for a writer. */
			rc = flux_error_setf_at(r->err, FLUX_ERR_LOAD, path, 0,
						"is %s, not a migration file", kind_of_file(st.st_mode));
		}
		free(path);
	}
	closedir(d);
	return rc;
}

/* Sorting by id with the first 16 bytes of each id beside it (big-endian,
 * zero-padded: their order is strcmp's), so that most comparisons read no
 * string. */
struct sort_key {
	uint64_t k0, k1;
	const struct found *f;
};

static uint64_t key_part(const char *s, size_t len, size_t from)
{
	uint64_t k = 0;
	for (size_t i = from; i < from + 8; i++)
		k = k << 8 | (i < len ? (unsigned char)s[i] : 0);
	return k;
}

/* By id, then by file name: two files with one id sort the same way on
 * every run, so the duplicate is named the same way. */
static int by_key(const void *a, const void *b)
{
	const struct sort_key *x = a, *y = b;
	if (x->k0 != y->k0)
		return x->k0 < y->k0 ? -1 : 1;
	if (x->k1 != y->k1)
		return x->k1 < y->k1 ? -1 : 1;
	size_t n = x->f->idlen < y->f->idlen ? x->f->idlen : y->f->idlen;
	int c = memcmp(x->f->name, y->f->name, n);
	if (!c && x->f->idlen != y->f->idlen)
		c = x->f->idlen < y->f->idlen ? -1 : 1;
	return c ? c : strcmp(x->f->name, y->f->name);
}

/* A stable LSD radix sort of the keys on (k0, k1), a byte at a time from
 * the last, skipping the bytes every key shares (ids of one width share
 * most): a few passes over the array where qsort() makes 1.7 million
 * calls for 100,000 ids.  tmp has room for n keys. */
static struct sort_key *radix_sort(struct sort_key *a, struct sort_key *tmp, size_t n)
{
	static const size_t bytes = 16;
	size_t (*count)[256] = calloc(bytes, sizeof(*count));
	if (!count)
		return NULL;
	for (size_t i = 0; i < n; i++)
		for (size_t b = 0; b < bytes; b++) {
			uint64_t k = b < 8 ? a[i].k1 : a[i].k0;
			count[b][(k >> (8 * (b & 7))) & 0xFF]++;
		}
	for (size_t b = 0; b < bytes; b++) {
		size_t first = ((b < 8 ? a[0].k1 : a[0].k0) >> (8 * (b & 7))) & 0xFF;
		if (count[b][first] == n)
			continue;
		size_t at = 0;
		for (int v = 0; v < 256; v++) {
			size_t c = count[b][v];
			count[b][v] = at;
			at += c;
		}
		for (size_t i = 0; i < n; i++) {
			uint64_t k = b < 8 ? a[i].k1 : a[i].k0;
			tmp[count[b][(k >> (8 * (b & 7))) & 0xFF]++] = a[i];
		}
		struct sort_key *t = a;
		a = tmp;
		tmp = t;
	}
	free(count);
	return a;
}

/* The stage's migrations, made from what the scan found, in id order:
 * each with its id and path after it in the set's arena, so that every
 * later pass over them (the files' stats, the cache, the records, the
 * plan) reads memory in order, not at random, which at 100,000 files
 * costs more than the sort. */
static int make_in_order(struct reader *r, flux_stage stage)
{
	const struct found_list *fl = &r->found[stage];
	struct list *l = &r->set->stage[stage];
	size_t n = fl->count;
	if (!n)
		return FLUX_OK;
	size_t size = 2 * n * sizeof(struct sort_key);
	struct sort_key *keys = flux_bulk_alloc(size);
	l->items = malloc(n * sizeof(*l->items));
	if (!keys || !l->items) {
		flux_bulk_free(keys, size);
		return flux_error_set(r->err, FLUX_ERR_NOMEM, "out of memory");
	}
	l->cap = n;
	for (size_t i = 0; i < n; i++) {
		const struct found *f = &fl->items[i];
		size_t len = f->idlen < 16 ? f->idlen : 16;
		keys[i] = (struct sort_key){key_part(f->name, len, 0), key_part(f->name, len, 8), f};
	}
	struct sort_key *sorted = radix_sort(keys, keys + n, n);
	if (!sorted) {
		flux_bulk_free(keys, size);
		return flux_error_set(r->err, FLUX_ERR_NOMEM, "out of memory");
	}
	/* Ids that share their first 16 bytes, in order by the rest. */
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && sorted[j].k0 == sorted[i].k0 && sorted[j].k1 == sorted[i].k1)
			j++;
		if (j - i > 1)
			qsort(sorted + i, j - i, sizeof(*sorted), by_key);
		i = j;
	}
	/* What follows in one block: a struct, an id and a path each. */
	size_t need = 0, dl = strlen(fl->dir) + 1;
	for (size_t i = 0; i < n; i++)
		need += sizeof(flux_migration) + _Alignof(flux_migration) + fl->items[i].idlen +
			dl + fl->items[i].len + 2;
	int rc = flux_arena_reserve(&r->set->mem, need) == 0
		? FLUX_OK : flux_error_set(r->err, FLUX_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n && !rc; i++) {
		const struct found *f = sorted[i].f;
		flux_migration *m = set_alloc(r->set, sizeof(*m), _Alignof(flux_migration));
		if (!m || !(m->id = set_strndup(r->set, f->name, f->idlen)) ||
		    !(m->path = set_join(r->set, fl->dir, f->name, f->len))) {
			rc = flux_error_set(r->err, FLUX_ERR_NOMEM, "out of memory");
			break;
		}
		m->kind = f->kind;
		m->stage = stage;
		m->helpers = r->set->helpers;
		l->items[l->count++] = m;
	}
	flux_bulk_free(keys, size);
	return rc;
}

static flux_migration *find_in(const struct list *l, const char *id)
{
	size_t lo = 0, hi = l->count;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(l->items[mid]->id, id);
		if (c == 0)
			return l->items[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The exception line that ends a Python traceback ("SyntaxError: ..."). */
static void last_line(const char *text, char *out, size_t n)
{
	const char *end = text + strlen(text);
	while (end > text && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	const char *start = end;
	while (start > text && start[-1] != '\n')
		start--;
	snprintf(out, n, "%.*s", (int)(end - start), start);
}

/* Point err at line (and column, when known) of path, with its text. */
static void locate_line(flux_error *err, const char *path, int line, int column)
{
	char *src = NULL;
	size_t len = 0;
	flux_error ignored;
	if (line <= 0 || flux_file_read(path, &src, &len, &ignored) != FLUX_OK) {
		flux_error_at(err, path, 0);
		return;
	}
	size_t bol = 0;
	for (int l = 1; l < line && bol < len; bol++)
		if (src[bol] == '\n')
			l++;
	err->position = (long)bol + (column > 0 ? column : 1);
	flux_error_locate(err, path, NULL, src, len);
	if (column <= 0)
		err->column = 0; /* the line is known, the column is not */
	free(src);
}

/* ---- texts read ahead ----------------------------------------------------
 * While an apply runs, a thread of read_ahead.c reads the files of the
 * next migrations that the open left unread (cache hits), so that the
 * running thread finds each text in memory instead of opening and reading
 * the file between two commits.  The slot is the only thing the two
 * threads share: the reading thread never touches the migration's text,
 * hash or flags, which the running thread makes from the slot's bytes
 * exactly as from the file's.  A file that cannot be read ahead is read
 * by the running thread, which reports why. */
enum ahead { AHEAD_NONE, AHEAD_READING, AHEAD_READY, AHEAD_CLOSED };

static pthread_mutex_t ahead_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ahead_read = PTHREAD_COND_INITIALIZER;

int flux_migration_ahead_open(const flux_migration *cm)
{
	flux_migration *m = (flux_migration *)cm;
	if (m->kind != FLUX_KIND_SQL || m->up_loaded)
		return 0;
	/* Before the reading thread starts: a slot a read outside a run
	 * closed opens again. */
	pthread_mutex_lock(&ahead_lock);
	m->ahead_state = AHEAD_NONE;
	pthread_mutex_unlock(&ahead_lock);
	return 1;
}

void flux_migration_ahead_read(const flux_migration *cm)
{
	flux_migration *m = (flux_migration *)cm;
	pthread_mutex_lock(&ahead_lock);
	int mine = m->ahead_state == AHEAD_NONE;
	if (mine)
		m->ahead_state = AHEAD_READING;
	pthread_mutex_unlock(&ahead_lock);
	if (!mine)
		return;
	char *text = NULL;
	size_t len = 0;
	flux_error ignored;
	int rc = flux_file_read(m->path, &text, &len, &ignored);
	pthread_mutex_lock(&ahead_lock);
	m->ahead = rc ? NULL : text;
	m->ahead_len = len;
	m->ahead_state = rc ? AHEAD_CLOSED : AHEAD_READY;
	pthread_cond_broadcast(&ahead_read);
	pthread_mutex_unlock(&ahead_lock);
}

/* The text read ahead, if any (waiting for a read under way); the slot
 * is closed either way, so the file is not read twice. */
static int take_ahead(flux_migration *m, char **text, size_t *len)
{
	pthread_mutex_lock(&ahead_lock);
	while (m->ahead_state == AHEAD_READING)
		pthread_cond_wait(&ahead_read, &ahead_lock);
	int ready = m->ahead_state == AHEAD_READY;
	if (ready) {
		*text = m->ahead;
		*len = m->ahead_len;
		m->ahead = NULL;
	}
	m->ahead_state = AHEAD_CLOSED;
	pthread_mutex_unlock(&ahead_lock);
	return ready;
}

void flux_migration_ahead_close(const flux_migration *cm)
{
	flux_migration *m = (flux_migration *)cm;
	/* After the reading thread has ended: a text not taken is dropped,
	 * as a later run must read the file as it is then. */
	pthread_mutex_lock(&ahead_lock);
	free(m->ahead);
	m->ahead = NULL;
	m->ahead_state = AHEAD_NONE;
	pthread_mutex_unlock(&ahead_lock);
}

/* The undo text of an SQL migration (its .undo.sql) or a generator (its
 * `undo` output), refused when it holds a NUL byte. */
static int load_undo(flux_migration *m, flux_error *err)
{
	int rc = m->kind == FLUX_KIND_SQL
		? flux_file_read(m->undo_path, &m->undo, &m->undo_len, err)
		: run_script(m->path, "undo", m->helpers, &m->undo, &m->undo_len, err);
	if (rc) {
		if (rc != FLUX_ERR_NOMEM && rc != FLUX_ERR_CANCELLED)
			err->code = FLUX_ERR_LOAD;
		return err->code;
	}
	rc = check_sql(m, flux_migration_undo_path(m), m->undo, m->undo_len, err);
	if (rc) {
		free(m->undo);
		m->undo = NULL;
		m->undo_len = 0;
		return rc;
	}
	m->undo_loaded = 1;
	return FLUX_OK;
}

/* ---- SQL files: stat, cache, read ---------------------------------------
 * Every up .sql (and, for flux_migrations_read, every .undo.sql) is a job:
 * with the cache, fstatat() relative to its directory and either a hit
 * (its hash and directives, nothing read) or a read; without, a read.  A
 * read goes to end of file, then the NUL check and the MD5.  With many
 * files the jobs run on every core (up to 4); the first failing job in id
 * order is the error, as when reading one by one. */

struct job {
	flux_migration *m;
	const char *at;        /* the name to use with fd */
	const char *rel;       /* the name in the migration directory: the cache key */
	int fd;                /* the stage directory, or AT_FDCWD (at is the path) */
	unsigned char undo, hit;
	uint32_t flags;
	flux_file_stamp st;
	unsigned char md5[16];
};

struct flux_file_pool {
	struct job *jobs;
	size_t n;
	const flux_hash_cache *cache;
	atomic_size_t next;
	atomic_size_t stop;    /* the lowest failed job; n: none */
	struct flux_read_help *help; /* where another thread may join; NULL */
	size_t help_failed;    /* under help->lock: a helper's failed job, n */
	flux_error help_err;
};

struct worker {
	struct flux_file_pool *pool;
	pthread_t thread;
	size_t failed;         /* its failed job; n: none */
	flux_error err;
};

#define PARALLEL_MIN 256   /* fewer files are not worth a thread */
#define CHUNK 32           /* jobs taken at a time */

static void md5_to_bin(const char hex[33], unsigned char md5[16])
{
	for (int i = 0; i < 16; i++) {
		unsigned int v = 0;
		for (int k = 0; k < 2; k++) {
			char c = hex[2 * i + k];
			v = v << 4 | (unsigned int)(c >= 'a' ? c - 'a' + 10 : c - '0');
		}
		md5[i] = (unsigned char)v;
	}
}

static void md5_to_hex(const unsigned char md5[16], char hex[33])
{
	static const char digits[] = "0123456789abcdef";
	for (int i = 0; i < 16; i++) {
		hex[2 * i] = digits[md5[i] >> 4];
		hex[2 * i + 1] = digits[md5[i] & 15];
	}
	hex[32] = '\0';
}

/* The last n components of path. */
static const char *tail(const char *path, int n)
{
	const char *p = path + strlen(path);
	while (p > path && !(p[-1] == '/' && --n == 0))
		p--;
	return p;
}

static void set_job(struct job *j, flux_migration *m, int undo, int dirfd)
{
	const char *path = undo ? m->undo_path : m->path;
	j->m = m;
	j->undo = (unsigned char)undo;
	j->fd = dirfd >= 0 ? dirfd : AT_FDCWD;
	j->at = dirfd >= 0 ? tail(path, 1) : path;
	j->rel = tail(path, m->stage == FLUX_STAGE_MAIN ? 1 : 2);
}

static int do_job(const struct flux_file_pool *p, size_t i, flux_buf *scratch,
		  flux_error *err)
{
	struct job *j = &p->jobs[i];
	flux_migration *m = j->m;
	const char *path = j->undo ? m->undo_path : m->path;
	/* Without a cache no stat is needed: the directory entry said it is
	 * a regular file (scan), and the read is non-blocking. */
	size_t size = 4095;
	if (p->cache) {
		struct stat st;
		if (fstatat(j->fd, j->at, &st, 0) != 0)
			return flux_error_set(err, FLUX_ERR_LOAD, "%s: cannot open: %s", path,
					      strerror(errno));
		if (!S_ISREG(st.st_mode))
			return flux_error_set(err, FLUX_ERR_LOAD, "%s: %s", path,
					      S_ISDIR(st.st_mode) ? "is a directory"
								  : "is not a regular file");
		flux_file_stamp_of(&st, &j->st);
		if (flux_hash_cache_find(p->cache, i, j->rel, &j->st, j->md5, &j->flags)) {
			j->hit = 1;
			return FLUX_OK;
		}
		size = (size_t)st.st_size;
	}
	char *text;
	size_t len;
	int rc = flux_file_read_at(j->fd, j->at, path, size, scratch, &text, &len, err);
	if (rc) {
		if (rc != FLUX_ERR_NOMEM)
			err->code = FLUX_ERR_LOAD;
		return err->code;
	}
	if (j->undo) {
		/* flux_migrations_read() only: every file read now, as the
		 * Python tool does. */
		rc = check_sql(m, path, text, len, err);
		if (rc) {
			free(text);
			return rc;
		}
		m->undo = text;
		m->undo_len = len;
		m->undo_loaded = 1;
		return FLUX_OK;
	}
	rc = set_up(m, text, len, err);
	if (rc)
		return rc;
	md5_to_bin(m->hash, j->md5);
	j->flags = m->flags;
	return FLUX_OK;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct flux_file_pool *p = w->pool;
	flux_buf scratch = {0};
	w->failed = p->n;
	for (;;) {
		size_t i = atomic_fetch_add(&p->next, CHUNK);
		if (i >= p->n)
			break;
		for (size_t end = i + CHUNK; i < end && i < p->n; i++) {
			/* Past a failed job nothing is needed; before it, all is. */
			if (i > atomic_load(&p->stop))
				goto out;
			if (do_job(p, i, &scratch, &w->err) != FLUX_OK) {
				w->failed = i;
				size_t s = atomic_load(&p->stop);
				while (i < s && !atomic_compare_exchange_weak(&p->stop, &s, i))
					;
				goto out;
			}
		}
	}
out:
	flux_buf_free(&scratch);
	return NULL;
}

/* The lowest failed job (its error in err), or p->n. */
static size_t run_jobs(struct flux_file_pool *p, flux_error *err)
{
	size_t nthreads = 1;
	if (p->n >= PARALLEL_MIN) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		nthreads = cpus < 2 ? 1 : cpus > 4 ? 4 : (size_t)cpus;
	}
	struct worker *w = calloc(nthreads, sizeof(*w));
	if (!w) {
		flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
		return 0;
	}
	atomic_init(&p->next, 0);
	atomic_init(&p->stop, p->n);
	/* Published before the threads are made: a helper already waiting
	 * starts at once (a thread takes 0.1-0.5 ms to make on a VM). */
	p->help_failed = p->n;
	struct flux_read_help *help = p->help;
	if (help) {
		pthread_mutex_lock(&help->lock);
		help->pool = p;
		pthread_cond_broadcast(&help->changed);
		pthread_mutex_unlock(&help->lock);
	}
	size_t started = 1;
	for (size_t k = 1; k < nthreads; k++) {
		w[k].pool = p;
		if (pthread_create(&w[k].thread, NULL, work, &w[k]) != 0)
			break;
		started++;
	}
	w[0].pool = p;
	work(&w[0]);
	/* The jobs are freed when this returns: no helper may still be on
	 * them, and none may join now. */
	if (help) {
		pthread_mutex_lock(&help->lock);
		help->pool = NULL;
		while (help->helpers)
			pthread_cond_wait(&help->changed, &help->lock);
		pthread_mutex_unlock(&help->lock);
	}
	for (size_t k = 1; k < started; k++)
		pthread_join(w[k].thread, NULL);
	size_t failed = p->help_failed;
	if (failed < p->n)
		*err = p->help_err;
	for (size_t k = 0; k < started; k++)
		if (w[k].failed < failed) {
			failed = w[k].failed;
			*err = w[k].err;
		}
	free(w);
	return failed;
}

void flux_read_help_init(struct flux_read_help *h)
{
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->changed, NULL);
	h->pool = NULL;
	h->helpers = 0;
	h->over = 0;
}

void flux_read_help_destroy(struct flux_read_help *h)
{
	pthread_cond_destroy(&h->changed);
	pthread_mutex_destroy(&h->lock);
}

void flux_read_help_end(struct flux_read_help *h)
{
	pthread_mutex_lock(&h->lock);
	h->over = 1;
	pthread_cond_broadcast(&h->changed);
	pthread_mutex_unlock(&h->lock);
}

void flux_read_help_join(struct flux_read_help *h)
{
	pthread_mutex_lock(&h->lock);
	while (!h->pool && !h->over)
		pthread_cond_wait(&h->changed, &h->lock);
	struct flux_file_pool *p = h->pool;
	if (p)
		h->helpers++;
	pthread_mutex_unlock(&h->lock);
	if (!p)
		return;
	/* A worker like the pool's own: it takes jobs until none is left or
	 * one has failed, and its failure counts as theirs. */
	struct worker w = {.pool = p};
	work(&w);
	pthread_mutex_lock(&h->lock);
	if (w.failed < p->help_failed) {
		p->help_failed = w.failed;
		p->help_err = w.err;
	}
	h->helpers--;
	pthread_cond_broadcast(&h->changed);
	pthread_mutex_unlock(&h->lock);
}

static const char *job_name(void *ctx, size_t i)
{
	return ((const struct job *)ctx)[i].rel;
}

static void job_item(void *ctx, size_t i, flux_hash_cache_item *it)
{
	const struct job *j = &((const struct job *)ctx)[i];
	it->name = j->rel;
	it->st = &j->st;
	it->md5 = j->md5;
	it->flags = j->flags;
	it->hit = j->hit;
}

/* After a run whose SQL files were all good: what it found goes to the
 * cache, and a line to the notes. */
static void update_cache(struct reader *r, struct job *jobs, size_t n)
{
	flux_buf *notes = &r->set->notes;
	flux_hash_cache_save(r->cache, n, job_item, jobs, notes);
	size_t hits, kept;
	flux_hash_cache_counts(r->cache, &hits, &kept);
	flux_buf_appendf(notes, "%shash cache: %zu of %zu SQL files unchanged (not read), "
			 "%zu read, %zu of them too recent to cache", notes->len ? "\n" : "",
			 hits, n, n - hits, n - kept);
}

static int load_texts(struct reader *r)
{
	flux_error *err = r->err;
	size_t npy = 0, cap = 0;
	/* Room for the most jobs there can be: one pass less over the
	 * migrations, which lie in memory in directory order, not id order. */
	for (int s = 0; s < 3; s++)
		cap += r->set->stage[s].count * (r->eager_undo ? 2 : 1);
	size_t size = cap * sizeof(struct job);
	struct job *jobs = flux_bulk_alloc(size);
	if (!jobs)
		return flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
	size_t k = 0;
	for (int s = 0; s < 3; s++)
		for (size_t i = 0; i < r->set->stage[s].count; i++) {
			flux_migration *m = r->set->stage[s].items[i];
			if (m->kind != FLUX_KIND_SQL)
				continue;
			set_job(&jobs[k++], m, 0, r->dirfd[s]);
			if (m->undo_path && r->eager_undo)
				set_job(&jobs[k++], m, 1, r->dirfd[s]);
		}
	size_t njobs = k;
	struct flux_file_pool pool = {.jobs = jobs, .n = njobs, .cache = r->cache,
				      .help = r->help};
	if (r->cache)
		flux_hash_cache_prepare(r->cache, njobs, job_name, jobs);
	flux_error jerr;
	size_t failed = run_jobs(&pool, &jerr);
	if (r->cache && failed == njobs)
		update_cache(r, jobs, njobs);
	/* In directory order, as one by one: the first bad file or failing
	 * generator is the error; generators after a bad file do not run. */
	int rc = FLUX_OK;
	k = 0;
	for (int s = 0; s < 3 && !rc; s++)
		for (size_t i = 0; i < r->set->stage[s].count && !rc; i++) {
			flux_migration *m = r->set->stage[s].items[i];
			if (m->kind == FLUX_KIND_PYTHON) {
				npy++;
			} else if (m->kind == FLUX_KIND_SQL) {
				size_t n = m->undo_path && r->eager_undo ? 2 : 1;
				if (failed < k + n) {
					*err = jerr;
					rc = err->code;
				} else if (jobs[k].hit) {
					md5_to_hex(jobs[k].md5, m->hash);
					m->flags = jobs[k].flags;
				}
				k += n;
			} else {
				char *sql;
				size_t len;
				rc = run_script(m->path, "apply", m->helpers, &sql, &len, err);
				if (!rc)
					rc = set_up(m, sql, len, err);
				m->has_undo = s == FLUX_STAGE_MAIN;
			}
		}
	flux_bulk_free(jobs, size);
	if (rc)
		return rc;
	if (npy == 0)
		return FLUX_OK;
	const char **paths = calloc(npy, sizeof(*paths));
	flux_migration **ms = calloc(npy, sizeof(*ms));
	flux_py_result *res = calloc(npy, sizeof(*res));
	rc = paths && ms && res ? FLUX_OK : flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
	k = 0;
	for (int s = 0; s < 3 && !rc; s++)
		for (size_t i = 0; i < r->set->stage[s].count; i++)
			if (r->set->stage[s].items[i]->kind == FLUX_KIND_PYTHON) {
				ms[k] = r->set->stage[s].items[i];
				paths[k] = ms[k]->path;
				k++;
			}
	if (!rc)
		rc = flux_python_eval(paths, npy, r->set->helpers, res, err);
	for (size_t i = 0; i < npy && res; i++) {
		flux_migration *m = ms[i];
		if (rc == FLUX_OK && res[i].error) {
			char why[256];
			last_line(res[i].error, why, sizeof(why));
			flux_error_set(err, FLUX_ERR_LOAD, "%s: cannot load Python migration: %s",
				       m->path, why);
			locate_line(err, m->path, res[i].error_line, res[i].error_column);
			flux_error_detail(err, "%s", res[i].error);
			rc = FLUX_ERR_LOAD;
		} else if (rc == FLUX_OK && res[i].has_undo && m->stage != FLUX_STAGE_MAIN) {
			rc = flux_error_setf_at(err, FLUX_ERR_LOAD, m->path, 0,
						"repeatable migrations cannot define undo()");
		}
		if (rc == FLUX_OK) {
			rc = set_up(m, res[i].up, res[i].up_len, err);
			res[i].up = NULL;
			m->has_undo = res[i].has_undo;
			m->undo = res[i].undo;
			m->undo_len = res[i].undo_len;
			m->undo_loaded = 1;
			res[i].undo = NULL;
			if (!rc && m->undo)
				rc = check_sql(m, m->path, m->undo, m->undo_len, err);
		}
		free(res[i].up);
		free(res[i].undo);
		free(res[i].error);
	}
	free(paths);
	free(ms);
	free(res);
	return rc;
}

static uint64_t id_hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	return h ^ (h >> 29);
}

/* Each ID.undo.sql to its ID.sql, through a hash table of the ids: a
 * binary search per undo file costs a cache miss per step.  An undo file
 * without its migration is ignored, as upstream does. */
static int match_undos(struct reader *r)
{
	const struct list *l = &r->set->stage[FLUX_STAGE_MAIN];
	if (!r->nundos)
		return FLUX_OK;
	size_t size = 16;
	while (size < 2 * l->count)
		size *= 2;
	size_t *slot = calloc(size, sizeof(*slot));
	if (!slot)
		return flux_error_set(r->err, FLUX_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < l->count; i++) {
		const char *id = l->items[i]->id;
		size_t k = (size_t)id_hash(id, strlen(id)) & (size - 1);
		while (slot[k])
			k = (k + 1) & (size - 1);
		slot[k] = i + 1;
	}
	int rc = FLUX_OK;
	for (size_t i = 0; i < r->nundos && rc == FLUX_OK; i++) {
		const struct pending_undo *u = &r->undos[i];
		flux_migration *m = NULL;
		for (size_t k = (size_t)id_hash(u->id, u->idlen) & (size - 1); slot[k];
		     k = (k + 1) & (size - 1)) {
			flux_migration *c = l->items[slot[k] - 1];
			if (strncmp(c->id, u->id, u->idlen) == 0 && c->id[u->idlen] == '\0') {
				m = c;
				break;
			}
		}
		if (m && m->kind != FLUX_KIND_SQL) {
			rc = flux_error_setf_at(r->err, FLUX_ERR_LOAD, u->path, 0,
						"an undo file belongs to an ID.sql migration, "
						"but %s is not SQL", m->path);
		} else if (m) {
			m->undo_path = u->path;
			m->has_undo = 1;
		}
	}
	free(slot);
	return rc;
}

static int load(const char *dir, flux_helpers *h, int use_cache, int eager_undo,
		struct flux_read_help *help, flux_migrations **out, flux_error *err);

/* Everything read now, as documented in flux.h: no cache, and the undo
 * files too. */
int flux_migrations_read(const char *dir, flux_migrations **out, flux_error *err)
{
	return load(dir, NULL, 0, 1, NULL, out, err);
}

/* A project's read: .undo.sql files are read when first asked for, which
 * a rollback does for all it will undo before it starts (see plan.c), so
 * applying and checking a directory of N migrations touches N files, not
 * 2N, with or without the cache. */
int flux_migrations_load_cached(const char *dir, flux_helpers *h, int use_cache,
				struct flux_read_help *help, flux_migrations **out,
				flux_error *err)
{
	return load(dir, h, use_cache, 0, help, out, err);
}

const char *flux_migrations_notes(const flux_migrations *set)
{
	return set->notes.data ? set->notes.data : "";
}

static int load(const char *dir, flux_helpers *h, int use_cache, int eager_undo,
		struct flux_read_help *help, flux_migrations **out, flux_error *err)
{
	flux_error_clear(err);
	*out = NULL;
	struct reader r = {.err = err, .help = help, .eager_undo = eager_undo,
			   .dirfd = {-1, -1, -1}};
	r.set = calloc(1, sizeof(*r.set));
	if (!r.set || !(r.set->dir = flux_strdup(dir))) {
		free(r.set);
		return flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
	}
	r.set->helpers = h;
	/* Opened first: its clock reading must come before any file's stat
	 * (see RACY_NS in hash_cache.c). */
	if (use_cache && !flux_hash_cache_disabled())
		r.cache = flux_hash_cache_open(dir, &r.set->notes);
	else
		flux_buf_appendf(&r.set->notes, "hash cache: off (%s)", use_cache
				 ? "$FLUX_NO_CACHE" : "flux_open_options.no_cache");
	int rc = scan(&r, dir, FLUX_STAGE_MAIN);
	for (int s = 0; s < 3 && rc == FLUX_OK; s++) {
		struct list *l = &r.set->stage[s];
		rc = make_in_order(&r, s);
		for (size_t i = 1; i < l->count && rc == FLUX_OK; i++)
			if (strcmp(l->items[i - 1]->id, l->items[i]->id) == 0) {
				flux_error_set(err, FLUX_ERR_LOAD,
					       "%s and %s give the same migration id '%s'",
					       l->items[i - 1]->path, l->items[i]->path,
					       l->items[i]->id);
				flux_error_at(err, l->items[i]->path, 0);
				rc = FLUX_ERR_LOAD;
			}
	}
	if (rc == FLUX_OK)
		rc = match_undos(&r);
	free(r.undos);
	for (int s = 0; s < 3; s++) {
		free(r.found[s].items);
		free(r.found[s].dir);
	}
	flux_arena_free(&r.names);
	if (rc == FLUX_OK) {
		rc = load_texts(&r);
	}
	for (int s = 0; s < 3; s++)
		if (r.dirfd[s] >= 0)
			close(r.dirfd[s]);
	flux_hash_cache_free(r.cache);
	if (rc) {
		flux_migrations_free(r.set);
		return rc;
	}
	*out = r.set;
	return FLUX_OK;
}

size_t flux_migrations_count(const flux_migrations *set, flux_stage stage)
{
	return (unsigned)stage < 3 ? set->stage[stage].count : 0;
}

const flux_migration *flux_migrations_get(const flux_migrations *set, flux_stage stage,
					  size_t i)
{
	return i < flux_migrations_count(set, stage) ? set->stage[stage].items[i] : NULL;
}

const flux_migration *flux_migrations_find(const flux_migrations *set, const char *id)
{
	return find_in(&set->stage[FLUX_STAGE_MAIN], id);
}

const char *flux_migration_id(const flux_migration *m) { return m->id; }
const char *flux_migration_path(const flux_migration *m) { return m->path; }
flux_migration_kind flux_migration_kind_of(const flux_migration *m) { return m->kind; }
flux_stage flux_migration_stage(const flux_migration *m) { return m->stage; }
const char *flux_migration_hash(const flux_migration *m) { return m->hash; }
int flux_migration_has_undo(const flux_migration *m) { return m->has_undo; }

int flux_migration_read_up(const flux_migration *cm, flux_error *err)
{
	/* The text is read on first use; the struct is logically const. */
	flux_migration *m = (flux_migration *)cm;
	flux_error_clear(err);
	if (m->up_loaded)
		return FLUX_OK;
	char *sql;
	size_t len;
	int rc = take_ahead(m, &sql, &len) ? FLUX_OK : flux_file_read(m->path, &sql, &len, err);
	if (rc) {
		if (rc != FLUX_ERR_NOMEM)
			err->code = FLUX_ERR_LOAD;
		return err->code;
	}
	rc = check_sql(m, m->path, sql, len, err);
	if (rc) {
		free(sql);
		return rc;
	}
	/* Changed since it was stat'ed: what runs and the hash recorded
	 * with it stay one (m->hash is updated where callers point). */
	m->up = sql;
	m->up_len = len;
	flux_md5_hex(sql, len, m->hash);
	m->flags = flux_sql_directives(sql, len);
	m->up_loaded = 1;
	return FLUX_OK;
}

/* Both read a text a cache hit left unread: the flags are asked for just
 * before the text when a migration runs, and must be the text's. */
unsigned int flux_migration_flags(const flux_migration *m)
{
	flux_error ignored;
	if (!m->up_loaded)
		flux_migration_read_up(m, &ignored);
	return m->flags;
}

/* NULL (and *len 0) only when a text the cache left unread cannot be read
 * any more; flux_migration_read_up() says why. */
const char *flux_migration_up(const flux_migration *m, size_t *len)
{
	flux_error ignored;
	if (!m->up_loaded && flux_migration_read_up(m, &ignored) != FLUX_OK) {
		if (len)
			*len = 0;
		return NULL;
	}
	if (len)
		*len = m->up_len;
	return m->up;
}

const char *flux_migration_undo_path(const flux_migration *m)
{
	return m->undo_path ? m->undo_path : m->path;
}

int flux_migration_undo(const flux_migration *cm, const char **sql, size_t *len,
			flux_error *err)
{
	/* Undo text is produced on first use; the struct is logically const. */
	flux_migration *m = (flux_migration *)cm;
	*sql = NULL;
	*len = 0;
	if (!m->has_undo)
		return FLUX_OK;
	if (!m->undo_loaded) {
		int rc = load_undo(m, err);
		if (rc)
			return rc;
	}
	*sql = m->undo;
	*len = m->undo_len;
	return FLUX_OK;
}
