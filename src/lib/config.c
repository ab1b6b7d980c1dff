/* SPDX-License-Identifier: MIT */
/* flux.toml: the [flux] table and the [backend] options. */
#include <config.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "toml_value.h"

struct flux_config {
	char *path;
	char *backend;
	char *migration_directory;
	char *migration_path;
	char *log_level;
	int apply_repeatable_on_undo;
	struct flux_options *options;
	/* line of each [flux] key, for duplicate detection */
	int line_backend, line_dir, line_log, line_repeat;
	/* line of the [flux] and [backend] headers: TOML defines a table once */
	int line_flux_table, line_backend_table;
	/* problems that do not stop flux (an unknown log_level); the project
	 * logs them through its logger */
	char **warnings;
	size_t nwarnings;
};

static int config_fail(flux_config *cfg, int line, flux_error *err, const char *fmt, ...)
	FLUX_PRINTF(4, 5);
static int config_fail(flux_config *cfg, int line, flux_error *err, const char *fmt, ...)
{
	char msg[FLUX_ERROR_MESSAGE_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	flux_error_set(err, FLUX_ERR_CONFIG, "%s:%d: %s", cfg->path, line, msg);
	flux_error_at(err, cfg->path, line);
	return FLUX_ERR_CONFIG;
}

static int warn(flux_config *cfg, flux_error *err, const char *fmt, ...) FLUX_PRINTF(3, 4);
static int warn(flux_config *cfg, flux_error *err, const char *fmt, ...)
{
	char msg[FLUX_ERROR_MESSAGE_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	char **w = realloc(cfg->warnings, (cfg->nwarnings + 1) * sizeof(*w));
	if (!w)
		return flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
	cfg->warnings = w;
	if (!(w[cfg->nwarnings] = flux_strdup(msg)))
		return flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
	cfg->nwarnings++;
	return FLUX_OK;
}

static int set_string(flux_config *cfg, char **slot, int *slot_line, const char *key,
		      const char *value, toml_kind kind, int line, flux_error *err)
{
	if (*slot_line)
		return config_fail(cfg, line, err, "[flux] %s is defined twice (first on line %d)",
				   key, *slot_line);
	*slot_line = line;
	if (!value || kind != TOML_STRING)
		return config_fail(cfg, line, err, "[flux] %s must be a string", key);
	/* An empty backend or directory name can only be a mistake, and an
	 * empty directory would silently mean flux.toml's own directory. */
	if (!value[0])
		return config_fail(cfg, line, err, "[flux] %s is empty", key);
	*slot = flux_strdup(value);
	return *slot ? FLUX_OK : flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
}

/* log_level takes what the Python tool takes; anything else is a warning
 * and the default level stays, as the Python tool never failed on it. */
static int set_log_level(flux_config *cfg, const char *value, toml_kind kind, int line,
			 flux_error *err)
{
	if (cfg->line_log)
		return config_fail(cfg, line, err,
				   "[flux] log_level is defined twice (first on line %d)",
				   cfg->line_log);
	cfg->line_log = line;
	if (value && kind == TOML_STRING && flux_log_level_parse(value)) {
		cfg->log_level = flux_strdup(value);
		return cfg->log_level ? FLUX_OK
				      : flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
	}
	/* Shown escaped: a value may hold a newline (a TOML escape). */
	const char *v = value ? value : "(a table)";
	char text[64];
	flux_escape(v, strlen(v), text, sizeof(text));
	return warn(cfg, err, "%s:%d: unknown log_level '%s' ignored (use CRITICAL, ERROR, "
		    "WARNING, INFO, DEBUG or NOTSET)", cfg->path, line, text);
}

static int flux_key(flux_config *cfg, const char *key, const char *value, toml_kind kind,
		    int line, flux_error *err)
{
	if (strcmp(key, "backend") == 0)
		return set_string(cfg, &cfg->backend, &cfg->line_backend, key, value, kind,
				  line, err);
	if (strcmp(key, "migration_directory") == 0)
		return set_string(cfg, &cfg->migration_directory, &cfg->line_dir, key, value,
				  kind, line, err);
	if (strcmp(key, "log_level") == 0)
		return set_log_level(cfg, value, kind, line, err);
	if (strcmp(key, "apply_repeatable_on_undo") == 0) {
		if (cfg->line_repeat)
			return config_fail(cfg, line, err,
					   "[flux] %s is defined twice (first on line %d)", key,
					   cfg->line_repeat);
		cfg->line_repeat = line;
		if (!value || kind != TOML_BOOLEAN)
			return config_fail(cfg, line, err, "[flux] %s must be true or false",
					   key);
		cfg->apply_repeatable_on_undo = strcmp(value, "true") == 0;
	}
	/* Other [flux] keys are left for newer versions, as upstream does. */
	return FLUX_OK;
}

/* A [flux] or [backend] header; other tables are read for their syntax
 * only, as the Python tool ignores them. */
static int on_table(flux_config *cfg, int line, char *const *path, size_t depth,
		    flux_error *err)
{
	int *seen = NULL;
	if (strcmp(path[0], "backend") == 0 && depth > 1)
		return config_fail(cfg, line, err, "[backend.%s]: tables inside [backend] are "
				   "not supported (its values are strings, integers, floats "
				   "or booleans)", path[1]);
	if (depth == 1 && strcmp(path[0], "flux") == 0)
		seen = &cfg->line_flux_table;
	else if (depth == 1 && strcmp(path[0], "backend") == 0)
		seen = &cfg->line_backend_table;
	if (!seen)
		return FLUX_OK;
	if (*seen)
		return config_fail(cfg, line, err, "[%s] is defined twice (first on line %d)",
				   path[0], *seen);
	*seen = line;
	return FLUX_OK;
}

static int on_item(void *ctx, int line, char *const *path, size_t depth, const char *value,
		   toml_kind kind, flux_error *err)
{
	flux_config *cfg = ctx;
	if (!value)
		return on_table(cfg, line, path, depth, err);
	/* Keys outside any table are ignored, as upstream reads only [flux]
	 * and [backend]; `flux.backend = "x"` is [flux] backend in TOML. */
	if (depth < 2)
		return FLUX_OK;
	if (strcmp(path[0], "flux") == 0) {
		/* flux.backend.x = 1 makes backend a table: a wrong type. */
		return flux_key(cfg, path[1], depth == 2 ? value : NULL, kind, line, err);
	}
	if (strcmp(path[0], "backend") == 0) {
		if (depth > 2)
			return config_fail(cfg, line, err, "[backend] %s.%s: tables inside "
					   "[backend] are not supported (use a plain key)",
					   path[1], path[2]);
		return flux_options_add(cfg->options, path[1], value, kind == TOML_STRING, line,
					err);
	}
	return FLUX_OK;
}

void flux_config_free(flux_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->path);
	free(cfg->backend);
	free(cfg->migration_directory);
	free(cfg->migration_path);
	free(cfg->log_level);
	flux_options_free(cfg->options);
	for (size_t i = 0; i < cfg->nwarnings; i++)
		free(cfg->warnings[i]);
	free(cfg->warnings);
	free(cfg);
}

int flux_config_load(const char *path, flux_config **out, flux_error *err)
{
	flux_error_clear(err);
	*out = NULL;
	if (!path)
		path = "flux.toml";
	flux_config *cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
	cfg->apply_repeatable_on_undo = 1;
	cfg->path = flux_strdup(path);
	cfg->options = flux_options_new(path);
	if (!cfg->path || !cfg->options) {
		flux_config_free(cfg);
		return flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
	}
	char *text;
	size_t len;
	int rc = flux_toml_read(path, &text, &len, err);
	if (rc == FLUX_ERR_NOT_FOUND) {
		err->code = rc = FLUX_ERR_CONFIG;
		flux_error_hint(err, "run `flux init BACKEND` to create one, or pass "
			       "--config");
	}
	if (!rc) {
		rc = flux_toml_parse(path, text, len, on_item, cfg, err);
		free(text);
	}
	if (rc) {
		flux_config_free(cfg);
		return rc;
	}
	const char *missing = !cfg->backend ? "backend"
			      : !cfg->migration_directory ? "migration_directory" : NULL;
	if (missing) {
		flux_error_set(err, FLUX_ERR_CONFIG, "%s: [flux] %s is required", path, missing);
		flux_error_at(err, path, 0);
		flux_config_free(cfg);
		return FLUX_ERR_CONFIG;
	}
	char *dir = flux_path_dirname(path);
	cfg->migration_path = dir ? flux_path_join(dir, cfg->migration_directory) : NULL;
	free(dir);
	if (!cfg->migration_path) {
		flux_config_free(cfg);
		return flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
	}
	*out = cfg;
	return FLUX_OK;
}

size_t flux_config_warning_count(const flux_config *cfg)
{
	return cfg ? cfg->nwarnings : 0;
}

const char *flux_config_warning(const flux_config *cfg, size_t i)
{
	return i < flux_config_warning_count(cfg) ? cfg->warnings[i] : NULL;
}

const char *flux_config_path(const flux_config *cfg) { return cfg->path; }
const char *flux_config_backend(const flux_config *cfg) { return cfg->backend; }
const char *flux_config_migration_directory(const flux_config *cfg)
{
	return cfg->migration_directory;
}
const char *flux_config_migration_path(const flux_config *cfg)
{
	return cfg->migration_path;
}
const char *flux_config_log_level(const flux_config *cfg) { return cfg->log_level; }
int flux_config_apply_repeatable_on_undo(const flux_config *cfg)
{
	return cfg->apply_repeatable_on_undo;
}
const struct flux_options *flux_config_backend_options(const flux_config *cfg)
{
	return cfg->options;
}

int flux_log_level_parse(const char *name)
{
	/* Python's logging level names, in any case.  NOTSET lets every
	 * message through (Python's root logger at NOTSET does the same); it
	 * is 1, not Python's 0, because 0 says "unknown" here. */
	static const struct { const char *name; int level; } levels[] = {
		{"DEBUG", FLUX_LOG_DEBUG}, {"INFO", FLUX_LOG_INFO},
		{"WARNING", FLUX_LOG_WARNING}, {"WARN", FLUX_LOG_WARNING},
		{"ERROR", FLUX_LOG_ERROR}, {"CRITICAL", 50}, {"FATAL", 50},
		{"NOTSET", 1},
	};
	for (size_t i = 0; name && i < sizeof(levels) / sizeof(levels[0]); i++)
		if (strcasecmp(name, levels[i].name) == 0)
			return levels[i].level;
	return 0;
}
