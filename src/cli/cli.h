/* SPDX-License-Identifier: MIT */
/* Shared pieces of the flux command. */
#ifndef FLUX_CLI_H
#define FLUX_CLI_H

#include <flux/flux.h>
#include <jansson.h>

/* Exit codes; documented in flux(1).  The Python tool's: 1 for every
 * runtime failure (the reason is in the message), 2 for command-line usage
 * errors (its CLI library's convention); 128+N after signal N. */
enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1,  /* a migration failed, corrupt directory, backend,
			    connection, lock, flux.toml, declined prompt */
	EXIT_USAGE = 2   /* bad command-line arguments */
};

struct cli {
	const char *config_path;
	const char *backend_path;   /* NULL: FLUX_BACKEND_PATH + system dir */
	double helper_timeout;      /* --helper-timeout; 0: none */
	int log_level;
	int verbose;                /* how many -v */
	int json;                   /* --json: see json.c */
	int color;                  /* --color: -1 auto, 0 never, 1 always */
	/* The command only reads (status, validate; main.c's table):
	 * cli_open takes no lock and creates nothing. */
	int read_only;
};

int cmd_init(struct cli *cli, int argc, char **argv);
int cmd_new(struct cli *cli, int argc, char **argv);
int cmd_apply(struct cli *cli, int argc, char **argv);
int cmd_rollback(struct cli *cli, int argc, char **argv);
int cmd_status(struct cli *cli, int argc, char **argv);
int cmd_validate(struct cli *cli, int argc, char **argv);
int cmd_backends(struct cli *cli, int argc, char **argv);
/* cmd_version.c: flux --version (with -v, each backend found). */
int cli_version(const struct cli *cli);

/* output.c */
void cli_print_error(const flux_error *err);
int cli_exit_code(const flux_error *err);
void cli_usage_error(const char *cmd, const char *fmt, ...) FLUX_PRINTF(2, 3);
void cli_log(void *ctx, int level, const char *message);
/* Open the project for a command that talks to a database; read-only
 * (lock_timeout unused) when cli->read_only says so. */
int cli_open(struct cli *cli, const char *uri, double lock_timeout, flux_project **out,
	     flux_error *err);
/* The same, read_only as flux_open_options says (no lock, nothing
 * created): for dry runs. */
int cli_open_mode(struct cli *cli, const char *uri, double lock_timeout, int read_only,
		  flux_project **out, flux_error *err);
/* FLUX_OK when the configuration file exists; otherwise err gets the
 * Python tool's "Please run `flux init` ..." message.  cli_open checks it. */
int cli_need_config(const struct cli *cli, flux_error *err);
/* Ask QUESTION on stdout and read one line of stdin (terminal or not, as
 * the Python tool does).  1 for y/yes, 0 for any other answer, -1 at end
 * of input.  answer gets the line without its newline. */
int cli_ask(const char *question, char *answer, size_t size);
/* The URI argument, else $FLUX_DATABASE_URL; NULL after an error message. */
const char *cli_uri(const char *cmd, const char *arg);
/* Parse a non-negative count; -1 on bad input. */
long cli_count(const char *s);
/* Parse --lock-timeout SECONDS (non-negative); -1 after a usage message. */
double cli_seconds(const char *cmd, const char *s);

/* json.c: with --json (cli_json_begin called), each command's one
 * document.  cli_print_error and cli_usage_error record the first error
 * in it instead of printing; cli_json_end prints it with "ok" and
 * "exit_status" and returns status (main calls it when the command
 * returns; a command that must print first, as status does while its
 * project is open, calls it itself, and main's call then does nothing).
 * Without --json these do nothing. */
void cli_json_begin(void);
int cli_json_on(void);
json_t *cli_json_doc(void);
/* Set doc[key] (stealing value); drops value without --json. */
void cli_json_set(const char *key, json_t *value);
/* Set doc[key] to an array of n elements that cli_json_end makes one at
 * a time, fn(ctx, i) each (a new reference, freed once printed), so
 * ctx must live until then; one such member per document. */
typedef json_t *(*cli_json_item_fn)(void *ctx, size_t i);
void cli_json_set_items(const char *key, size_t n, cli_json_item_fn fn, void *ctx);
int cli_json_end(int status);
/* The stable word for a status ("config", "migration_failed", ...). */
const char *cli_json_kind(flux_status code);
/* A string, or null for NULL and ""; never NULL. */
json_t *cli_json_str(const char *s);
/* The error object: kind (a word of cli_json_kind, or KIND), message,
 * file, line, column, sqlstate, detail, hint, migration. */
json_t *cli_json_error(const flux_error *err, const char *kind);
/* With --json, record err (kind NULL: from its code) and return 1. */
int cli_json_record_error(const flux_error *err, const char *kind);
/* A failure the CLI itself finds: printed as "flux: error: ..." (and
 * hint), or recorded with --json.  Returns EXIT_ERROR. */
int cli_fail(flux_status code, const char *kind, const char *hint, const char *fmt, ...)
	FLUX_PRINTF(4, 5);

/* progress.c: apply/rollback progress on stdout (see the file). */
struct cli_progress;
/* Whether to colour output to fd: mode 0/1 as --color said; -1 (auto)
 * when fd is a terminal and NO_COLOR is unset or empty. */
int cli_color_enabled(int mode, int fd);
struct cli_progress *cli_progress_new(int color_mode);   /* NULL: no memory */
void cli_progress_event(struct cli_progress *pr, const flux_event *ev);
/* CODE (an SGR escape) when pr colours, else "". */
const char *cli_progress_sgr(const struct cli_progress *pr, const char *code);
void cli_progress_free(struct cli_progress *pr);

/* interrupt.c: SIGINT and SIGTERM cancel p's run between begin and end
 * (a watcher thread calls flux_project_cancel); end returns the signal
 * caught, or 0. */
void cli_interrupt_begin(flux_project *p);
int cli_interrupt_end(void);
/* Around flux_project_open: sets o's opening callback, so a signal
 * cancels the opening project (kills the running helper, ends a wait for
 * the lock).  end returns the signal caught, or 0: the caller then says
 * why the open failed and calls cli_interrupt_die. */
void cli_interrupt_open_begin(flux_open_options *o);
int cli_interrupt_open_end(void);
/* Die of sig, as the default action would have. */
void cli_interrupt_die(int sig);

#endif
