/* SPDX-License-Identifier: MIT */
/* flux new: create ID.py (the default) or ID.sql + an empty ID.undo.sql,
 * named YYYYMMDD_NNN_slug with NNN the first free index for that date,
 * with the Python tool's templates byte for byte. */
#include <config.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "slug.h"
#include "versioned.h"

/* The Python tool's limit is the file system's; this one keeps the file
 * name (date, index, slug, extension) well within NAME_MAX. */
#define SLUG_MAX 200

struct flux_new_migration {
	char *id;
	char *files[2];
	size_t nfiles;
};

static const size_t sizes[FLUX_NEW_OPTIONS_VERSION + 1] = {
	[1] = sizeof(flux_new_options),
};

static void defaults(flux_new_options *o)
{
	flux_new_options d = FLUX_NEW_OPTIONS_INIT;
	*o = d;
}

int flux_new_options_init(flux_new_options *o, unsigned int version)
{
	flux_new_options full;
	defaults(&full);
	return flux_versioned_init(o, &full, version, sizes, FLUX_NEW_OPTIONS_VERSION);
}

/* The slug of a usable description into *slug (malloc'd). */
static int make_slug(const char *desc, char **slug, flux_error *err)
{
	*slug = NULL;
	if (!desc)
		return flux_error_set(err, FLUX_ERR_INVALID, "no DESCRIPTION given");
	if (strchr(desc, '/'))
		return flux_error_set(err, FLUX_ERR_INVALID, "DESCRIPTION may not contain '/'");
	char *s = flux_slug(desc);
	if (!s)
		return flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
	if (!s[0] || strlen(s) > SLUG_MAX) {
		free(s);
		return flux_error_set(err, FLUX_ERR_INVALID, "DESCRIPTION must have 1 to %d "
				      "characters besides white space", SLUG_MAX);
	}
	*slug = s;
	return FLUX_OK;
}

int flux_new_description_check(const char *description, flux_error *err)
{
	flux_error_clear(err);
	char *slug;
	int rc = make_slug(description, &slug, err);
	free(slug);
	return rc;
}

void flux_new_migration_free(flux_new_migration *m)
{
	if (!m)
		return;
	free(m->id);
	for (size_t i = 0; i < m->nfiles; i++)
		free(m->files[i]);
	free(m);
}

const char *flux_new_migration_id(const flux_new_migration *m) { return m->id; }
size_t flux_new_migration_file_count(const flux_new_migration *m) { return m->nfiles; }

const char *flux_new_migration_file(const flux_new_migration *m, size_t i)
{
	return i < m->nfiles ? m->files[i] : NULL;
}

/* The description as the docstring's body.  The Python tool writes it as
 * it is; flux does too, unless that would not read back as the same text
 * (a backslash, or three quotes in a row): then backslashes and quotes
 * are escaped, so the module still loads. */
static char *py_docstring(const char *desc)
{
	int escape = strchr(desc, '\\') || strstr(desc, "\"\"\"");
	char *out = malloc(2 * strlen(desc) + 1), *o = out;
	if (!out)
		return NULL;
	for (const char *p = desc; *p; p++) {
		if (escape && (*p == '\\' || *p == '"'))
			*o++ = '\\';
		*o++ = *p;
	}
	*o = '\0';
	return out;
}

/* The smallest NNN from 001 that no file in dir starts DATE_NNN with, as
 * the Python tool counts; -1 when all 999 are taken. */
static int first_free_index(const char *dir, const char *date)
{
	char used[1000] = {0};
	DIR *d = opendir(dir);
	size_t dl = strlen(date);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		const char *n = de->d_name;
		if (strncmp(n, date, dl) == 0 && n[dl] == '_' && isdigit((unsigned char)n[dl + 1]) &&
		    isdigit((unsigned char)n[dl + 2]) && isdigit((unsigned char)n[dl + 3]))
			used[(n[dl + 1] - '0') * 100 + (n[dl + 2] - '0') * 10 + (n[dl + 3] - '0')] = 1;
	}
	if (d)
		closedir(d);
	for (int i = 1; i < 1000; i++)
		if (!used[i])
			return i;
	return -1;
}

/* The Python tool creates the directories on demand too. */
static int make_dirs(const char *dir, int repeatable, flux_error *err)
{
	char *parent = flux_strdup(dir);
	if (!parent)
		return flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
	char *slash = strrchr(parent, '/');
	if (repeatable && slash)
		*slash = '\0';
	int failed = (mkdir(parent, 0755) != 0 && errno != EEXIST) ||
		     (repeatable && mkdir(dir, 0755) != 0 && errno != EEXIST);
	int e = errno;
	free(parent);
	if (failed)
		return flux_error_set(err, FLUX_ERR_IO, "cannot create %s: %s", dir, strerror(e));
	return FLUX_OK;
}

/* PATH with TEXT, never over an existing file; m owns the path after. */
static int write_file(flux_new_migration *m, char *path, const char *text, flux_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		flux_error_set(err, FLUX_ERR_IO, "%s: %s", path, strerror(errno));
		free(path);
		return FLUX_ERR_IO;
	}
	size_t len = strlen(text);
	ssize_t n = len ? write(fd, text, len) : 0;
	if (close(fd) != 0 || n != (ssize_t)len) {
		flux_error_set(err, FLUX_ERR_IO, "writing %s failed", path);
		unlink(path);
		free(path);
		return FLUX_ERR_IO;
	}
	m->files[m->nfiles++] = path;
	return FLUX_OK;
}

static char *path_of(const char *base, const char *ext)
{
	flux_buf b = {0};
	if (flux_buf_appendf(&b, "%s%s", base, ext)) {
		flux_buf_free(&b);
		return NULL;
	}
	return flux_buf_steal(&b);
}

static int write_python(flux_new_migration *m, const char *base, const char *desc,
			int repeatable, flux_error *err)
{
	char *doc = py_docstring(desc);
	flux_buf text = {0};
	char *path = path_of(base, ".py");
	/* The Python tool's template; repeatable migrations have no undo. */
	int rc = !doc || !path || flux_buf_appendf(&text, "\"\"\"\n%s\n\"\"\"\n\n\ndef apply():\n"
						   "    return \"\"\" \"\"\"\n\n%s", doc,
						   repeatable ? "" : "\ndef undo():\n    return "
						   "\"\"\" \"\"\"\n\n");
	free(doc);
	if (rc) {
		free(path);
		flux_buf_free(&text);
		return flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
	}
	rc = write_file(m, path, text.data, err);
	flux_buf_free(&text);
	return rc;
}

static int write_sql(flux_new_migration *m, const char *base, int repeatable,
		     flux_error *err)
{
	char *path = path_of(base, ".sql");
	if (!path)
		return flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
	int rc = write_file(m, path, "", err);
	if (rc || repeatable)
		return rc;
	if (!(path = path_of(base, ".undo.sql")))
		return flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
	return write_file(m, path, "", err);
}

static int check_options(const flux_new_options *o, char date[9], flux_error *err)
{
	if (!o->config_path)
		return flux_error_set(err, FLUX_ERR_INVALID, "no configuration file given");
	if (o->kind != FLUX_KIND_PYTHON && o->kind != FLUX_KIND_SQL)
		return flux_error_set(err, FLUX_ERR_INVALID, "a new migration is of kind "
				      "FLUX_KIND_PYTHON or FLUX_KIND_SQL, not %d", (int)o->kind);
	if (o->stage != FLUX_STAGE_PRE && o->stage != FLUX_STAGE_MAIN &&
	    o->stage != FLUX_STAGE_POST)
		return flux_error_set(err, FLUX_ERR_INVALID, "no migration stage %d",
				      (int)o->stage);
	if (!o->date) {
		time_t t = time(NULL);
		struct tm tm;
		if (!localtime_r(&t, &tm) || strftime(date, 9, "%Y%m%d", &tm) != 8)
			return flux_error_set(err, FLUX_ERR_IO, "cannot tell today's date");
		return FLUX_OK;
	}
	for (int i = 0; i < 8; i++)
		if (!isdigit((unsigned char)o->date[i]))
			return flux_error_set(err, FLUX_ERR_INVALID, "the date of a new migration "
					      "is YYYYMMDD, not '%s'", o->date);
	if (o->date[8])
		return flux_error_set(err, FLUX_ERR_INVALID, "the date of a new migration is "
				      "YYYYMMDD, not '%s'", o->date);
	memcpy(date, o->date, 9);
	return FLUX_OK;
}

/* The stage's directory: the migration directory as flux.toml resolves
 * it, with pre-apply/ or post-apply/ appended as the Python tool does. */
static char *stage_dir(const char *config_path, flux_stage stage, flux_error *err)
{
	flux_config *cfg;
	if (flux_config_load(config_path, &cfg, err))
		return NULL;
	flux_buf b = {0};
	int rc = flux_buf_appendf(&b, "%s%s", flux_config_migration_path(cfg),
				  stage == FLUX_STAGE_PRE ? "/pre-apply"
				  : stage == FLUX_STAGE_POST ? "/post-apply" : "");
	flux_config_free(cfg);
	if (rc) {
		flux_buf_free(&b);
		flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
		return NULL;
	}
	return flux_buf_steal(&b);
}

int flux_new_migration_create(const flux_new_options *caller, flux_new_migration **out,
			      flux_error *err)
{
	flux_error_clear(err);
	*out = NULL;
	flux_new_options o;
	defaults(&o);
	char date[9], *slug = NULL, *dir = NULL;
	flux_buf base = {0};
	int rc = flux_versioned_read(caller, &o, sizes, FLUX_NEW_OPTIONS_VERSION,
				     "flux_new_options", err);
	if (!rc)
		rc = make_slug(o.description, &slug, err);
	if (!rc)
		rc = check_options(&o, date, err);
	if (!rc && !(dir = stage_dir(o.config_path, o.stage, err)))
		rc = err->code;
	int repeatable = o.stage != FLUX_STAGE_MAIN;
	if (!rc)
		rc = make_dirs(dir, repeatable, err);
	int index = rc ? 0 : first_free_index(dir, date);
	if (!rc && index < 0)
		rc = flux_error_set(err, FLUX_ERR_IO, "no free migration index left for %s in %s",
				    date, dir);
	flux_new_migration *m = NULL;
	if (!rc && (!(m = calloc(1, sizeof(*m))) ||
		    flux_buf_appendf(&base, "%s/%s_%03d_%s", dir, date, index, slug) ||
		    !(m->id = flux_strdup(base.data + strlen(dir) + 1))))
		rc = flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
	if (!rc)
		rc = o.kind == FLUX_KIND_SQL ? write_sql(m, base.data, repeatable, err)
					     : write_python(m, base.data, o.description,
							    repeatable, err);
	free(slug);
	free(dir);
	flux_buf_free(&base);
	if (rc) {
		/* All or nothing: a .sql without its .undo.sql is not kept. */
		for (size_t i = 0; m && i < m->nfiles; i++)
			unlink(m->files[i]);
		flux_new_migration_free(m);
		return rc;
	}
	*out = m;
	return FLUX_OK;
}
