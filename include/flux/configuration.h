/* SPDX-License-Identifier: MIT */
/* flux.toml: the configuration and its [backend] options (part of
 * flux.h). */
#ifndef FLUX_API_CONFIGURATION_H
#define FLUX_API_CONFIGURATION_H

#include <stddef.h>
#include <flux/error.h>
#include <flux/backend.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct flux_config flux_config;

/* Read a flux.toml.  Errors name the file and line. */
int flux_config_load(const char *path, flux_config **out, flux_error *err);
void flux_config_free(flux_config *cfg);
const char *flux_config_path(const flux_config *cfg);
const char *flux_config_backend(const flux_config *cfg);
/* As written in the file; relative paths are relative to the file's
 * directory (see flux_config_migration_path). */
const char *flux_config_migration_directory(const flux_config *cfg);
/* The migration directory resolved against the config file's directory;
 * owned by cfg. */
const char *flux_config_migration_path(const flux_config *cfg);
const char *flux_config_log_level(const flux_config *cfg);   /* or NULL */
int flux_config_apply_repeatable_on_undo(const flux_config *cfg);
const struct flux_options *flux_config_backend_options(const flux_config *cfg);

/* Typed reads of [backend] options; the same functions back the host
 * services handed to plugins. */
int flux_options_string(const struct flux_options *opts, const char *key,
			const char *def, const char **out, flux_error *err);
int flux_options_int(const struct flux_options *opts, const char *key,
		     long long def, long long *out, flux_error *err);
int flux_options_bool(const struct flux_options *opts, const char *key,
		      int def, int *out, flux_error *err);
/* FLUX_ERR_CONFIG about key's value: "flux.toml:LINE: " and the message,
 * with err's file and line set to where key is. */
int flux_options_error(const struct flux_options *opts, const char *key, flux_error *err,
		       const char *fmt, ...) FLUX_PRINTF(4, 5);
/* A string naming a database object: it must match ^[A-Za-z0-9_]+$ and be
 * at most max_len bytes, else FLUX_ERR_CONFIG as flux_options_error()
 * says it.  A missing key yields def, unchecked. */
int flux_options_identifier(const struct flux_options *opts, const char *key,
			    const char *def, size_t max_len, const char **out,
			    flux_error *err);
size_t flux_options_count(const struct flux_options *opts);
const char *flux_options_key(const struct flux_options *opts, size_t i);
/* Line of key i in flux.toml, and whether any accessor has read it. */
int flux_options_line(const struct flux_options *opts, size_t i);
int flux_options_used(const struct flux_options *opts, size_t i);

/* Parse a log level name as Python's logging does, in any case: CRITICAL
 * and FATAL (50), ERROR, WARNING and WARN, INFO, DEBUG, and NOTSET, which
 * lets everything through and gives 1; returns 0 for an unknown name. */
int flux_log_level_parse(const char *name);

#ifdef __cplusplus
}
#endif
#endif
