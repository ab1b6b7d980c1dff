/* SPDX-License-Identifier: MIT */
/* flux init: write flux.toml exactly as the Python tool does. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "versioned.h"

static const size_t sizes[FLUX_INIT_OPTIONS_VERSION + 1] = {
	[1] = sizeof(flux_init_options),
};

static void defaults(flux_init_options *o)
{
	flux_init_options d = FLUX_INIT_OPTIONS_INIT;
	*o = d;
}

int flux_init_options_init(flux_init_options *o, unsigned int version)
{
	flux_init_options full;
	defaults(&full);
	return flux_versioned_init(o, &full, version, sizes, FLUX_INIT_OPTIONS_VERSION);
}

/* What flux writes must read back as the same TOML string. */
static int toml_safe(const char *s)
{
	return !s || !strpbrk(s, "\"\\\n");
}

static int check_strings(const flux_init_options *o, flux_error *err)
{
	if (!o->config_path || !o->migration_directory)
		return flux_error_set(err, FLUX_ERR_INVALID, "no configuration file or "
				      "migration directory given");
	if (!toml_safe(o->migration_directory) || !toml_safe(o->log_level))
		return flux_error_set(err, FLUX_ERR_INVALID, "the migration directory and the "
				      "log level may not contain quotes, backslashes or "
				      "newlines");
	return FLUX_OK;
}

int flux_project_init_check(const flux_init_options *caller, flux_error *err)
{
	flux_error_clear(err);
	flux_init_options o;
	defaults(&o);
	int rc = flux_versioned_read(caller, &o, sizes, FLUX_INIT_OPTIONS_VERSION,
				     "flux_init_options", err);
	if (!rc)
		rc = check_strings(&o, err);
	if (rc)
		return rc;
	/* The Python tool writes any level; it warns when the file is read. */
	if (o.log_level && !flux_log_level_parse(o.log_level) && o.log) {
		char msg[FLUX_ERROR_MESSAGE_MAX];
		snprintf(msg, sizeof(msg), "unknown log level '%s' written to %s", o.log_level,
			 o.config_path);
		o.log(o.log_ctx, FLUX_LOG_WARNING, msg);
	}
	if (access(o.config_path, F_OK) == 0)
		return flux_error_set(err, FLUX_ERR_IO, "%s already exists", o.config_path);
	return FLUX_OK;
}

static int check_backend(const flux_init_options *o, flux_error *err)
{
	const char *name = o->backend;
	if (!name || !name[0] || strpbrk(name, "\"\\\n")) {
		flux_error_set(err, FLUX_ERR_NOT_FOUND, "'%s' is not a backend name",
			       name ? name : "");
		flux_error_hint(err, "`flux backends` lists the installed backends");
		return FLUX_ERR_NOT_FOUND;
	}
	flux_registry *reg;
	int rc = flux_registry_open(o->backend_path, &reg, err);
	if (rc)
		return rc;
	int found = flux_registry_find(reg, name) != NULL;
	flux_registry_free(reg);
	if (found)
		return FLUX_OK;
	flux_error_set(err, FLUX_ERR_NOT_FOUND, "Backend '%s' is not installed", name);
	flux_error_hint(err, "`flux backends` lists the installed backends");
	return FLUX_ERR_NOT_FOUND;
}

int flux_project_init(const flux_init_options *caller, flux_error *err)
{
	flux_error_clear(err);
	flux_init_options o;
	defaults(&o);
	int rc = flux_versioned_read(caller, &o, sizes, FLUX_INIT_OPTIONS_VERSION,
				     "flux_init_options", err);
	if (!rc)
		rc = check_strings(&o, err);
	if (!rc)
		rc = check_backend(&o, err);
	if (rc)
		return rc;
	/* O_EXCL: never overwrite a file that appeared after the check. */
	int fd = open(o.config_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return flux_error_set(err, FLUX_ERR_IO, "%s: %s", o.config_path,
				      errno == EEXIST ? "already exists" : strerror(errno));
	FILE *f = fdopen(fd, "w");
	if (!f) {
		int e = errno;
		close(fd);
		unlink(o.config_path);
		return flux_error_set(err, FLUX_ERR_IO, "%s: %s", o.config_path, strerror(e));
	}
	/* Byte for byte the Python tool's file. */
	fprintf(f, "[flux]\nbackend = \"%s\"\nmigration_directory = \"%s\"\n", o.backend,
		o.migration_directory);
	if (o.log_level)
		fprintf(f, "log_level = \"%s\"\n", o.log_level);
	fprintf(f, "\n[backend]\n# Add backend-specific configuration here\n");
	if (fclose(f) != 0) {
		int e = errno;
		unlink(o.config_path);
		return flux_error_set(err, FLUX_ERR_IO, "writing %s: %s", o.config_path,
				      strerror(e));
	}
	return FLUX_OK;
}
