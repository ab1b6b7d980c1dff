/* SPDX-License-Identifier: MIT */
/* Error reporting, logging and shared argument helpers of the CLI. */
#include <config.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_exit_code(const flux_error *err)
{
	switch (err->code) {
	case FLUX_OK:
		return EXIT_OK;
	case FLUX_ERR_MIGRATION:
	case FLUX_ERR_INCOMPLETE:
		return EXIT_MIGRATION_FAILED;
	case FLUX_ERR_CONNECTION:
		return err->migration[0] ? EXIT_MIGRATION_FAILED : EXIT_BACKEND;
	case FLUX_ERR_CORRUPT:
		return EXIT_CORRUPT;
	case FLUX_ERR_INVALID:
	case FLUX_ERR_CONFIG:
	case FLUX_ERR_LOAD:
	case FLUX_ERR_NOT_FOUND:
	case FLUX_ERR_IO:
		return EXIT_USAGE;
	default:
		return EXIT_BACKEND;
	}
}

/* message, then where (file:line:col with the line and a caret), then
 * SQLSTATE, detail and hint, as PostgreSQL's own clients do. */
void cli_print_error(const flux_error *err)
{
	fprintf(stderr, "flux: error: %s\n", err->message);
	/* Config messages already start with file:line; add a location
	 * only when it says more (a column, or a file not yet named). */
	if (err->file[0] && err->line > 0 &&
	    (err->column > 0 || err->line_text[0] || !strstr(err->message, err->file))) {
		if (err->column > 0)
			fprintf(stderr, "  --> %s:%d:%d\n", err->file, err->line, err->column);
		else
			fprintf(stderr, "  --> %s:%d\n", err->file, err->line);
	}
	if (err->line_text[0]) {
		fprintf(stderr, "%5d | %s\n", err->line, err->line_text);
		if (err->column > 0) {
			fprintf(stderr, "      | ");
			/* Keep tabs so the caret lines up under them. */
			int col = 1;
			for (const char *p = err->line_text; *p && col < err->column; p++) {
				if (((unsigned char)*p & 0xC0) == 0x80)
					continue;
				fputc(*p == '\t' ? '\t' : ' ', stderr);
				col++;
			}
			fputs("^\n", stderr);
		}
	}
	if (err->migration[0] && !strstr(err->message, err->migration))
		fprintf(stderr, "  migration: %s\n", err->migration);
	if (err->sqlstate[0])
		fprintf(stderr, "  SQLSTATE: %s\n", err->sqlstate);
	if (err->detail[0]) {
		/* Multi-line details (tracebacks, problem lists) stay indented. */
		fputs("  detail: ", stderr);
		for (const char *p = err->detail; *p; p++) {
			fputc(*p, stderr);
			if (*p == '\n' && p[1])
				fputs("    ", stderr);
		}
		if (err->detail[strlen(err->detail) - 1] != '\n')
			fputc('\n', stderr);
	}
	if (err->hint[0])
		fprintf(stderr, "  hint: %s\n", err->hint);
}

void cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("flux: error: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'flux %s%s--help'.\n", cmd ? cmd : "", cmd ? " " : "");
}

void cli_log(void *ctx, int level, const char *message)
{
	(void)ctx;
	const char *tag = level >= FLUX_LOG_ERROR ? "error"
			  : level >= FLUX_LOG_WARNING ? "warning"
			  : level >= FLUX_LOG_INFO ? "info" : "debug";
	fprintf(stderr, "flux: %s: %s\n", tag, message);
}

const char *cli_uri(const char *cmd, const char *arg)
{
	if (arg && *arg)
		return arg;
	const char *env = getenv("FLUX_DATABASE_URL");
	if (env && *env)
		return env;
	cli_usage_error(cmd, "no database URI: give one as an argument or set "
			"FLUX_DATABASE_URL");
	return NULL;
}

long cli_count(const char *s)
{
	char *end;
	errno = 0;
	long n = strtol(s, &end, 10);
	if (!*s || *end || errno || n < 0)
		return -1;
	return n;
}

double cli_seconds(const char *cmd, const char *s)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (!*s || *end || errno || v < 0) {
		cli_usage_error(cmd, "--lock-timeout takes seconds, not '%s'", s);
		return -1;
	}
	return v;
}

int cli_open(struct cli *cli, const char *uri, double lock_timeout, flux_project **out,
	     flux_error *err)
{
	flux_open_options o;
	flux_open_options_init(&o);
	o.config_path = cli->config_path;
	o.backend_path = cli->backend_path;
	o.uri = uri;
	o.lock_timeout = lock_timeout;
	o.log = cli_log;
	o.log_level = cli->log_level;
	return flux_project_open(&o, out, err);
}
