/* SPDX-License-Identifier: MIT */
/* flux.toml: the [flux] table and the [backend] options. */
#include <config.h>
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
};

struct load_ctx {
	flux_config *cfg;
	char *last_section;
	int saw_flux;
};

static int set_string(flux_config *cfg, char **slot, int *slot_line, const char *key,
		      const char *value, toml_kind kind, int line, flux_error *err)
{
	if (*slot_line) {
		flux_error_set(err, FLUX_ERR_CONFIG,
			       "%s:%d: [flux] %s is defined twice (first on line %d)",
			       cfg->path, line, key, *slot_line);
		return FLUX_ERR_CONFIG;
	}
	if (kind != TOML_STRING) {
		flux_error_set(err, FLUX_ERR_CONFIG, "%s:%d: [flux] %s must be a string",
			       cfg->path, line, key);
		return FLUX_ERR_CONFIG;
	}
	*slot_line = line;
	*slot = flux_strdup(value);
	return *slot ? FLUX_OK : flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
}

static int on_pair(void *ctx, int line, const char *section, const char *key,
		   const char *raw, flux_error *err)
{
	struct load_ctx *lc = ctx;
	flux_config *cfg = lc->cfg;
	for (const char *k = key; *k; k++)
		if (!(k[0] == '_' || k[0] == '-' || (k[0] >= '0' && k[0] <= '9') ||
		      (k[0] >= 'a' && k[0] <= 'z') || (k[0] >= 'A' && k[0] <= 'Z'))) {
			flux_error_set(err, FLUX_ERR_CONFIG,
				       "%s:%d: invalid key '%s' (use letters, digits, _ and -)",
				       cfg->path, line, key);
			return FLUX_ERR_CONFIG;
		}
	char *value = NULL;
	toml_kind kind;
	int rc = flux_toml_value(raw, cfg->path, line, &value, &kind, err);
	if (rc)
		return rc;
	if (strcmp(section, "flux") == 0) {
		lc->saw_flux = 1;
		if (strcmp(key, "backend") == 0)
			rc = set_string(cfg, &cfg->backend, &cfg->line_backend, key, value,
					kind, line, err);
		else if (strcmp(key, "migration_directory") == 0)
			rc = set_string(cfg, &cfg->migration_directory, &cfg->line_dir, key,
					value, kind, line, err);
		else if (strcmp(key, "log_level") == 0) {
			rc = set_string(cfg, &cfg->log_level, &cfg->line_log, key, value,
					kind, line, err);
			if (!rc && !flux_log_level_parse(cfg->log_level)) {
				flux_error_set(err, FLUX_ERR_CONFIG,
					       "%s:%d: unknown log_level '%s' (use DEBUG, INFO, "
					       "WARNING, ERROR or CRITICAL)", cfg->path, line, value);
				rc = FLUX_ERR_CONFIG;
			}
		} else if (strcmp(key, "apply_repeatable_on_undo") == 0) {
			if (cfg->line_repeat) {
				flux_error_set(err, FLUX_ERR_CONFIG,
					       "%s:%d: [flux] %s is defined twice (first on line %d)",
					       cfg->path, line, key, cfg->line_repeat);
				rc = FLUX_ERR_CONFIG;
			} else if (kind != TOML_BOOLEAN) {
				flux_error_set(err, FLUX_ERR_CONFIG,
					       "%s:%d: [flux] %s must be true or false",
					       cfg->path, line, key);
				rc = FLUX_ERR_CONFIG;
			} else {
				cfg->line_repeat = line;
				cfg->apply_repeatable_on_undo = strcmp(value, "true") == 0;
			}
		}
		/* Other [flux] keys are left for newer versions, as upstream does. */
	} else if (strcmp(section, "backend") == 0) {
		rc = flux_options_add(cfg->options, key, value, kind == TOML_STRING, line,
				      err);
	}
	free(value);
	return rc;
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
	struct load_ctx lc = {.cfg = cfg};
	int rc = flux_ini_read(path, 1, on_pair, &lc, err);
	if (rc == FLUX_ERR_NOT_FOUND) {
		flux_error_set(err, FLUX_ERR_CONFIG, "%s not found", path);
		flux_error_hint(err, "run `flux init BACKEND` to create one, or pass "
			       "--config");
	}
	if (rc) {
		if (err->code == FLUX_ERR_NOT_FOUND)
			err->code = FLUX_ERR_CONFIG;
		flux_config_free(cfg);
		return err->code ? err->code : FLUX_ERR_CONFIG;
	}
	const char *missing = !cfg->backend ? "backend"
			      : !cfg->migration_directory ? "migration_directory" : NULL;
	if (missing) {
		flux_error_set(err, FLUX_ERR_CONFIG, "%s: [flux] %s is required", path, missing);
		flux_error_at(err, path, 0);
		flux_config_free(cfg);
		return FLUX_ERR_CONFIG;
	}
	if (!cfg->migration_directory[0]) {
		flux_error_set(err, FLUX_ERR_CONFIG, "%s:%d: [flux] migration_directory is empty",
			       path, cfg->line_dir);
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
	static const struct { const char *name; int level; } levels[] = {
		{"DEBUG", FLUX_LOG_DEBUG}, {"INFO", FLUX_LOG_INFO},
		{"WARNING", FLUX_LOG_WARNING}, {"WARN", FLUX_LOG_WARNING},
		{"ERROR", FLUX_LOG_ERROR}, {"CRITICAL", 50},
	};
	for (size_t i = 0; name && i < sizeof(levels) / sizeof(levels[0]); i++)
		if (strcasecmp(name, levels[i].name) == 0)
			return levels[i].level;
	return 0;
}
