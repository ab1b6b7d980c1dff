/* SPDX-License-Identifier: MIT */
/* Error reporting, logging and shared argument helpers of the CLI. */
#include <config.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

int cli_exit_code(const flux_error *err)
{
	/* The Python tool exits 1 whatever went wrong at run time; the reason
	 * is in the message (and its status code in libflux's flux_error). */
	return err->code == FLUX_OK ? EXIT_OK : EXIT_ERROR;
}

/* message, then where (file:line:col with the line and a caret), then
 * SQLSTATE, detail and hint, as PostgreSQL's own clients do. */
void cli_print_error(const flux_error *err)
{
	if (cli_json_record_error(err, NULL))
		return;
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
	if (cli_json_on()) {
		flux_error err;
		memset(&err, 0, sizeof(err));
		err.code = FLUX_ERR_INVALID;
		va_start(ap, fmt);
		vsnprintf(err.message, sizeof(err.message), fmt, ap);
		va_end(ap);
		snprintf(err.hint, sizeof(err.hint), "flux %s%s--help", cmd ? cmd : "",
			 cmd ? " " : "");
		cli_json_record_error(&err, "usage");
		return;
	}
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

int cli_need_config(const struct cli *cli, flux_error *err)
{
	struct stat st;
	memset(err, 0, sizeof(*err));
	if (stat(cli->config_path, &st) == 0 || errno != ENOENT)
		return FLUX_OK; /* present, or unreadable: flux_config_load says why */
	/* The Python tool's words, then where flux looked. */
	err->code = FLUX_ERR_CONFIG;
	snprintf(err->message, sizeof(err->message),
		 "Please run `flux init` to create a configuration file");
	snprintf(err->detail, sizeof(err->detail), "%s does not exist", cli->config_path);
	return FLUX_ERR_CONFIG;
}

int cli_ask(const char *question, char *answer, size_t size)
{
	printf("%s", question);
	fflush(stdout);
	if (!fgets(answer, (int)size, stdin)) {
		answer[0] = '\0';
		printf("\n");
		return -1;
	}
	/* A line longer than the buffer: drop the rest so that nothing
	 * left in stdin answers a later question. */
	if (!strchr(answer, '\n')) {
		int c;
		while ((c = getchar()) != EOF && c != '\n')
			;
	}
	/* A terminal echoed the answer and its newline; a pipe did not. */
	if (!isatty(STDIN_FILENO))
		printf("\n");
	answer[strcspn(answer, "\r\n")] = '\0';
	/* Like the Python tool's prompt, surrounding blanks do not count. */
	char *a = answer;
	while (*a == ' ' || *a == '\t')
		a++;
	size_t n = strlen(a);
	while (n && (a[n - 1] == ' ' || a[n - 1] == '\t'))
		a[--n] = '\0';
	memmove(answer, a, n + 1);
	return strcasecmp(answer, "y") == 0 || strcasecmp(answer, "yes") == 0;
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

int cli_open_mode(struct cli *cli, const char *uri, double lock_timeout, int read_only,
		  flux_project **out, flux_error *err)
{
	int rc = cli_need_config(cli, err);
	if (rc)
		return rc;
	flux_open_options o;
	flux_open_options_init(&o, FLUX_OPEN_OPTIONS_VERSION);
	o.config_path = cli->config_path;
	o.backend_path = cli->backend_path;
	o.uri = uri;
	o.lock_timeout = lock_timeout;
	o.log = cli_log;
	o.log_level = cli->log_level;
	o.helper_timeout = cli->helper_timeout;
	/* status and validate (the command table), and dry runs. */
	o.read_only = read_only || cli->read_only;
	/* Helpers run and the lock is waited for while the project opens: a
	 * signal must reach them. */
	cli_interrupt_open_begin(&o);
	rc = flux_project_open(&o, out, err);
	int sig = cli_interrupt_open_end();
	if (sig) {
		/* Nothing has changed yet: say why the open stopped (the lock
		 * wait that was cancelled, say), then die of the signal. */
		if (rc)
			cli_print_error(err);
		cli_interrupt_die(sig);
	}
	return rc;
}

int cli_open(struct cli *cli, const char *uri, double lock_timeout, flux_project **out,
	     flux_error *err)
{
	return cli_open_mode(cli, uri, lock_timeout, 0, out, err);
}
