/* SPDX-License-Identifier: MIT */
/* Backend discovery: the C mirror of Python's `flux.backend` entry points.
 *
 * Every *.ini file in a manifest directory may hold a [flux.backend]
 * section of `NAME = MODULE:SYMBOL` lines.  Directories are searched in
 * order; the first definition of a name wins and later ones are kept as
 * shadowed, so `flux backends` can show them.  Scanning reads manifests
 * only; modules are opened by flux_registry_load().
 *
 * Trust (trust.c): a manifest that someone other than root or the user
 * flux runs as could have written, or one in such a directory, is still
 * read (bounded, like any manifest) but each backend it defines is marked
 * refused with the reason.  It keeps its place in the search order, so a
 * planted or tampered definition makes its name fail loudly instead of
 * silently falling through to a later directory.  What is not a regular
 * file (a FIFO would block the open, /dev/zero never ends) is skipped. */
#include <config.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry.h"

/* A manifest is a few lines; anything much longer is not one. */
#define MANIFEST_MAX 65536

struct flux_registry {
	char **dirs;
	int *dir_exists;
	size_t ndirs;
	struct flux_backend_info **items;
	size_t count, cap;
	flux_error *problems;
	size_t nproblems, problems_cap;
	int module_system;
	int enforce;        /* trust checks on (flux_trust_enforced()) */
};

const char *flux_registry_system_dir(void)
{
	return FLUX_BACKEND_DIRS;
}

static int add_problem(flux_registry *reg, const flux_error *e)
{
	if (flux_grow(&reg->problems, &reg->problems_cap, reg->nproblems,
		      sizeof(*reg->problems), 4))
		return FLUX_ERR_NOMEM;
	reg->problems[reg->nproblems++] = *e;
	return FLUX_OK;
}

/* A problem in a manifest ("FILE:LINE: message"), or with a whole file or
 * directory when line is 0 ("PATH: message"). */
static int problem(flux_registry *reg, const char *file, int line, const char *fmt, ...)
	FLUX_PRINTF(4, 5);

static int problem(flux_registry *reg, const char *file, int line, const char *fmt, ...)
{
	flux_error e;
	va_list ap;
	va_start(ap, fmt);
	flux_error_vsetf_at(&e, FLUX_ERR_PLUGIN, file, line, fmt, ap);
	va_end(ap);
	return add_problem(reg, &e);
}

static void info_free(struct flux_backend_info *info)
{
	if (!info)
		return;
	flux_module_unload(info);
	free(info->name);
	free(info->module);
	free(info->symbol);
	free(info->manifest);
	free(info);
}

void flux_registry_free(flux_registry *reg)
{
	if (!reg)
		return;
	for (size_t i = 0; i < reg->count; i++)
		info_free(reg->items[i]);
	free(reg->items);
	for (size_t i = 0; i < reg->ndirs; i++)
		free(reg->dirs[i]);
	free(reg->dirs);
	free(reg->dir_exists);
	free(reg->problems);
	if (reg->module_system)
		flux_module_system_exit();
	free(reg);
}

static int valid_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!(*s == '_' || *s == '-' || *s == '.' || (*s >= '0' && *s <= '9') ||
		      (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
			return 0;
	return 1;
}

static int valid_symbol(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return 0;
	for (; *s; s++)
		if (!(*s == '_' || (*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= 'A' && *s <= 'Z')))
			return 0;
	return 1;
}

struct scan_ctx {
	flux_registry *reg;
	const char *manifest;
	char *manifest_dir;
	size_t dir_index;
	const char *refused; /* why the manifest is not trusted, or NULL */
};

static const struct flux_backend_info *visible(const flux_registry *reg, const char *name)
{
	for (size_t i = 0; i < reg->count; i++)
		if (!reg->items[i]->shadowed_by && strcmp(reg->items[i]->name, name) == 0)
			return reg->items[i];
	return NULL;
}

static int on_entry(void *ctx, int line, const char *section, const char *key,
		    const char *value, flux_error *err)
{
	struct scan_ctx *sc = ctx;
	flux_registry *reg = sc->reg;
	if (strcmp(section, "flux.backend") != 0)
		return FLUX_OK; /* other groups are for later use */
	if (!valid_name(key))
		return problem(reg, sc->manifest, line,
			       "invalid backend name '%s' (letters, digits, '_', '-', '.')", key)
		       ? flux_error_set(err, FLUX_ERR_NOMEM, "out of memory") : FLUX_OK;
	const char *colon = strrchr(value, ':');
	if (!colon || colon == value || !valid_symbol(colon + 1))
		return problem(reg, sc->manifest, line,
			       "malformed entry for '%s': expected MODULE:SYMBOL, got '%s'",
			       key, value)
		       ? flux_error_set(err, FLUX_ERR_NOMEM, "out of memory") : FLUX_OK;
	const struct flux_backend_info *first = visible(reg, key);
	if (first && first->dir_index == sc->dir_index) {
		return problem(reg, sc->manifest, line,
			       "backend '%s' is defined twice in one directory "
			       "(first at %s:%d); this one is ignored", key, first->manifest,
			       first->line)
		       ? flux_error_set(err, FLUX_ERR_NOMEM, "out of memory") : FLUX_OK;
	}
	struct flux_backend_info *info = calloc(1, sizeof(*info));
	char *module = info ? flux_strndup(value, (size_t)(colon - value)) : NULL;
	if (info && module) {
		info->name = flux_strdup(key);
		info->module = flux_path_join(sc->manifest_dir, module);
		info->symbol = flux_strdup(colon + 1);
		info->manifest = flux_strdup(sc->manifest);
	}
	free(module);
	if (!info || !info->name || !info->module || !info->symbol || !info->manifest) {
		info_free(info);
		return flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
	}
	info->line = line;
	info->dir_index = sc->dir_index;
	info->shadowed_by = first;
	if (sc->refused) {
		/* Never opened: loading it reports why. */
		info->load_tried = 1;
		flux_error_set(&info->load_error, FLUX_ERR_PLUGIN,
			       "%s:%d: backend '%s': refused: %s", sc->manifest, line, key,
			       sc->refused);
		flux_error_at(&info->load_error, sc->manifest, line);
		flux_error_hint(&info->load_error, "flux uses only manifests that no one but "
				"root and the user flux runs as can change (chmod go-w, chown); "
				"FLUX_INSECURE_BACKENDS=1 turns this off for a development tree");
	}
	if (flux_grow(&reg->items, &reg->cap, reg->count, sizeof(*reg->items), 8)) {
		info_free(info);
		return flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
	}
	reg->items[reg->count++] = info;
	return FLUX_OK;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One manifest: skipped when it is not a regular file, read (bounded)
 * otherwise; its entries are refused when it, or its directory
 * (dir_refused), is not trusted.  Returns FLUX_OK or FLUX_ERR_NOMEM. */
static int scan_manifest(flux_registry *reg, size_t index, const char *path,
			 const char *dir_refused)
{
	char why[FLUX_ERROR_MESSAGE_MAX / 2], reason[FLUX_ERROR_MESSAGE_MAX / 2 + FLUX_ERROR_PATH_MAX];
	char *real = NULL;
	struct stat st;
	/* In a refused directory only the file's type matters: the directory
	 * is the reason given. */
	int t = flux_trust_path(path, 0, reg->enforce && !dir_refused, &real, &st, why,
				sizeof(why));
	const char *refused = dir_refused;
	int rc = FLUX_OK;
	FILE *fp = NULL;
	switch (t) {
	case FLUX_TRUST_OK:
		break;
	case FLUX_TRUST_REFUSED:
		snprintf(reason, sizeof(reason), "%s: %s", path, why);
		refused = reason;
		rc = problem(reg, path, 0, "refused: %s", why);
		break;
	case FLUX_TRUST_NOMEM:
		rc = FLUX_ERR_NOMEM;
		break;
	case FLUX_TRUST_WRONG_TYPE:
		rc = problem(reg, path, 0, "skipped: not a regular file (%s)", why);
		goto done;
	default:
		rc = problem(reg, path, 0, "cannot open: %s", why);
		goto done;
	}
	if (rc)
		goto done;
	/* O_NONBLOCK: should a FIFO have replaced the file since the check,
	 * opening it must not wait for a writer. */
	int fd = open(real, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat now;
	if (fd < 0) {
		rc = problem(reg, path, 0, "cannot open: %s", strerror(errno));
		goto done;
	}
	if (fstat(fd, &now) != 0 || now.st_dev != st.st_dev || now.st_ino != st.st_ino) {
		close(fd);
		rc = problem(reg, path, 0, "skipped: it changed while it was being checked");
		goto done;
	}
	if (now.st_size > MANIFEST_MAX) {
		close(fd);
		rc = problem(reg, path, 0, "skipped: larger than %d bytes, too large for a manifest",
			     MANIFEST_MAX);
		goto done;
	}
	if (!(fp = fdopen(fd, "r"))) {
		close(fd);
		rc = FLUX_ERR_NOMEM;
		goto done;
	}
	struct scan_ctx sc = {.reg = reg, .manifest = path, .manifest_dir = reg->dirs[index],
			      .dir_index = index, .refused = refused};
	flux_error e;
	int r = flux_ini_read_stream(fp, path, MANIFEST_MAX, on_entry, &sc, &e);
	if (r == FLUX_ERR_NOMEM) {
		rc = r;
	} else if (r != FLUX_OK) {
		e.code = FLUX_ERR_PLUGIN;
		rc = add_problem(reg, &e);
	}
done:
	if (fp)
		fclose(fp);
	free(real);
	return rc;
}

static int scan_dir(flux_registry *reg, size_t index, flux_error *err)
{
	const char *dir = reg->dirs[index];
	char why[FLUX_ERROR_MESSAGE_MAX / 2], reason[FLUX_ERROR_MESSAGE_MAX / 2 + FLUX_ERROR_PATH_MAX];
	const char *refused = NULL;
	char *real = NULL;
	struct stat st;
	int rc = FLUX_OK;
	switch (flux_trust_path(dir, 1, reg->enforce, &real, &st, why, sizeof(why))) {
	case FLUX_TRUST_OK:
		break;
	case FLUX_TRUST_MISSING:
		free(real);
		return FLUX_OK; /* a missing directory holds no backends */
	case FLUX_TRUST_REFUSED:
		/* Anyone who can write here could have put any manifest here. */
		snprintf(reason, sizeof(reason), "%s: %s", dir, why);
		refused = reason;
		rc = problem(reg, dir, 0, "refused: %s; no backend defined there is used", why);
		break;
	case FLUX_TRUST_NOMEM:
		rc = FLUX_ERR_NOMEM;
		break;
	case FLUX_TRUST_WRONG_TYPE:
		rc = problem(reg, dir, 0, "not a directory (%s)", why);
		free(real);
		return rc ? flux_error_set(err, rc, "out of memory") : FLUX_OK;
	default:
		rc = problem(reg, dir, 0, "cannot open: %s", why);
		free(real);
		return rc ? flux_error_set(err, rc, "out of memory") : FLUX_OK;
	}
	DIR *d = rc ? NULL : opendir(real);
	free(real);
	if (rc)
		return flux_error_set(err, rc, "out of memory");
	if (!d) {
		rc = problem(reg, dir, 0, "cannot open: %s", strerror(errno));
		return rc ? flux_error_set(err, rc, "out of memory") : FLUX_OK;
	}
	reg->dir_exists[index] = 1;
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 5 || strcmp(de->d_name + len - 4, ".ini"))
			continue;
		if (flux_grow(&names, &cap, n, sizeof(*names), 8)) {
			rc = FLUX_ERR_NOMEM;
			break;
		}
		if (!(names[n] = flux_strdup(de->d_name))) {
			rc = FLUX_ERR_NOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	/* A fixed order, so "first definition wins" means the same thing on
	 * every file system. */
	if (n)
		qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n && rc == FLUX_OK; i++) {
		char *path = flux_path_join(dir, names[i]);
		rc = path ? scan_manifest(reg, index, path, refused) : FLUX_ERR_NOMEM;
		free(path);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (rc)
		return flux_error_set(err, rc, "out of memory reading manifests in %s", dir);
	return FLUX_OK;
}

static int add_dir(flux_registry *reg, const char *dir, size_t len)
{
	if (len == 0)
		return FLUX_OK; /* an empty element never means the current directory */
	for (size_t i = 0; i < reg->ndirs; i++)
		if (strlen(reg->dirs[i]) == len && !memcmp(reg->dirs[i], dir, len))
			return FLUX_OK; /* named twice: the first place wins anyway */
	char **d = realloc(reg->dirs, (reg->ndirs + 1) * sizeof(*d));
	if (!d)
		return FLUX_ERR_NOMEM;
	reg->dirs = d;
	int *e = realloc(reg->dir_exists, (reg->ndirs + 1) * sizeof(*e));
	if (!e)
		return FLUX_ERR_NOMEM;
	reg->dir_exists = e;
	if (!(reg->dirs[reg->ndirs] = flux_strndup(dir, len)))
		return FLUX_ERR_NOMEM;
	reg->dir_exists[reg->ndirs++] = 0;
	return FLUX_OK;
}

int flux_registry_open(const char *search_path, flux_registry **out, flux_error *err)
{
	flux_error_clear(err);
	*out = NULL;
	flux_registry *reg = calloc(1, sizeof(*reg));
	if (!reg)
		return flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
	int rc = FLUX_OK;
	reg->enforce = flux_trust_enforced();
	/* secure_getenv: a setuid or setgid flux must not let whoever starts
	 * it choose the code it loads. */
	const char *env = secure_getenv("FLUX_BACKEND_PATH");
	const char *path = search_path ? search_path : env;
	for (const char *p = path; p && *p && rc == FLUX_OK;) {
		size_t len = strcspn(p, ":");
		rc = add_dir(reg, p, len);
		p += len + (p[len] == ':');
	}
	/* Then the compiled-in directories (configure.ac): the admin's, this
	 * prefix's, the distribution's. */
	for (const char *p = FLUX_BACKEND_DIRS; !search_path && *p && rc == FLUX_OK;) {
		size_t len = strcspn(p, ":");
		rc = add_dir(reg, p, len);
		p += len + (p[len] == ':');
	}
	if (rc) {
		flux_registry_free(reg);
		return flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < reg->ndirs; i++)
		if ((rc = scan_dir(reg, i, err))) {
			flux_registry_free(reg);
			return rc;
		}
	*out = reg;
	return FLUX_OK;
}

size_t flux_registry_count(const flux_registry *reg) { return reg->count; }

const flux_backend_info *flux_registry_get(const flux_registry *reg, size_t i)
{
	return i < reg->count ? reg->items[i] : NULL;
}

const flux_backend_info *flux_registry_find(const flux_registry *reg, const char *name)
{
	return visible(reg, name);
}

size_t flux_registry_problem_count(const flux_registry *reg) { return reg->nproblems; }

const flux_error *flux_registry_problem(const flux_registry *reg, size_t i)
{
	return i < reg->nproblems ? &reg->problems[i] : NULL;
}

size_t flux_registry_dir_count(const flux_registry *reg) { return reg->ndirs; }

const char *flux_registry_dir(const flux_registry *reg, size_t i, int *exists)
{
	if (i >= reg->ndirs)
		return NULL;
	if (exists)
		*exists = reg->dir_exists[i];
	return reg->dirs[i];
}

int flux_registry_load(flux_registry *reg, const flux_backend_info *cinfo,
		       const struct flux_backend **out, flux_error *err)
{
	flux_error_clear(err);
	*out = NULL;
	struct flux_backend_info *info = NULL;
	for (size_t i = 0; i < reg->count; i++)
		if (reg->items[i] == cinfo)
			info = reg->items[i];
	if (!info)
		return flux_error_set(err, FLUX_ERR_INVALID, "backend entry not in this registry");
	if (!reg->module_system) {
		int rc = flux_module_system_init(err);
		if (rc)
			return rc;
		reg->module_system = 1;
	}
	int rc = flux_module_load(info, flux_host_table(), reg->enforce, err);
	if (rc == FLUX_OK)
		*out = info->backend;
	return rc;
}

const char *flux_backend_info_name(const flux_backend_info *i) { return i->name; }
const char *flux_backend_info_module(const flux_backend_info *i) { return i->module; }
const char *flux_backend_info_symbol(const flux_backend_info *i) { return i->symbol; }
const char *flux_backend_info_manifest(const flux_backend_info *i) { return i->manifest; }
int flux_backend_info_line(const flux_backend_info *i) { return i->line; }
const flux_backend_info *flux_backend_info_shadowed_by(const flux_backend_info *i)
{
	return i->shadowed_by;
}
