/* SPDX-License-Identifier: MIT */
/* Shared pieces of the flux command. */
#ifndef FLUX_CLI_H
#define FLUX_CLI_H

#include <flux/flux.h>

/* Exit codes; documented in flux(1).  Never renumbered. */
enum {
	EXIT_OK = 0,
	EXIT_MIGRATION_FAILED = 1,
	EXIT_USAGE = 2,      /* bad arguments, flux.toml or migration files */
	EXIT_BACKEND = 3,    /* plugin, connection, lock */
	EXIT_CORRUPT = 4,    /* migration directory does not match the database */
	EXIT_DECLINED = 5    /* confirmation declined or impossible */
};

struct cli {
	const char *config_path;
	const char *backend_path;   /* NULL: FLUX_BACKEND_PATH + system dir */
	int log_level;
};

int cmd_init(struct cli *cli, int argc, char **argv);
int cmd_new(struct cli *cli, int argc, char **argv);
int cmd_apply(struct cli *cli, int argc, char **argv);
int cmd_rollback(struct cli *cli, int argc, char **argv);
int cmd_status(struct cli *cli, int argc, char **argv);
int cmd_validate(struct cli *cli, int argc, char **argv);
int cmd_backends(struct cli *cli, int argc, char **argv);

/* output.c */
void cli_print_error(const flux_error *err);
int cli_exit_code(const flux_error *err);
void cli_usage_error(const char *cmd, const char *fmt, ...) FLUX_PRINTF(2, 3);
void cli_log(void *ctx, int level, const char *message);
/* Open the project for a command that talks to a database. */
int cli_open(struct cli *cli, const char *uri, double lock_timeout, flux_project **out,
	     flux_error *err);
/* The URI argument, else $FLUX_DATABASE_URL; NULL after an error message. */
const char *cli_uri(const char *cmd, const char *arg);
/* Parse a non-negative count; -1 on bad input. */
long cli_count(const char *s);
/* Parse --lock-timeout SECONDS (non-negative); -1 after a usage message. */
double cli_seconds(const char *cmd, const char *s);

/* interrupt.c: SIGINT and SIGTERM cancel p's run between begin and end;
 * end returns the signal caught, or 0. */
void cli_interrupt_begin(flux_project *p);
int cli_interrupt_end(void);

#endif
