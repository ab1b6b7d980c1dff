/* SPDX-License-Identifier: MIT */
/* flux apply, flux rollback and flux validate: plan, confirm, run, report. */
#include <config.h>
#include <ctype.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

struct run_opts {
	int auto_approve;
	double lock_timeout;
	const char *to;
	int repeatable;    /* -1: flux.toml decides */
	const char *uri;
	long n;
	int restart;       /* --restart */
	int dry_run;       /* --dry-run */
};

static void apply_help(void)
{
	printf("Usage: flux apply [OPTIONS] [URI] [N]\n"
	       "\n"
	       "Apply the first N migrations that are not applied yet (all when N is\n"
	       "omitted), after running pre-apply/ and before post-apply/.  URI defaults\n"
	       "to $FLUX_DATABASE_URL.\n"
	       "\n"
	       "Options:\n"
	       "      --to ID                apply the migrations up to and including ID\n"
	       "      --restart              run a migration that stopped half-way from its\n"
	       "                             first statement instead of resuming it\n"
	       "      --dry-run              print the SQL it would send, as a script;\n"
	       "                             change nothing (no lock, no record table)\n"
	       "  -y, --auto-approve         do not ask for confirmation\n"
	       "      --lock-timeout SECONDS give up waiting for the migration lock\n"
	       "  -h, --help                 show this help\n");
}

static void rollback_help(void)
{
	printf("Usage: flux rollback [OPTIONS] [URI] [N]\n"
	       "\n"
	       "Undo the last N applied migrations, newest first (all when N is omitted).\n"
	       "URI defaults to $FLUX_DATABASE_URL.\n"
	       "\n"
	       "Options:\n"
	       "      --to ID                undo ID and every migration applied after it\n"
	       "      --repeatable           run pre-apply/ and post-apply/ around the undo\n"
	       "      --no-repeatable        do not (default: apply_repeatable_on_undo)\n"
	       "      --restart              run an undo that stopped half-way from its\n"
	       "                             first statement instead of resuming it\n"
	       "      --dry-run              print the SQL it would send, as a script;\n"
	       "                             change nothing (no lock, no record table)\n"
	       "  -y, --auto-approve         do not ask for confirmation\n"
	       "      --lock-timeout SECONDS give up waiting for the migration lock\n"
	       "  -h, --help                 show this help\n");
}

static void validate_help(void)
{
	printf("Usage: flux validate [OPTIONS] [URI]\n"
	       "\n"
	       "Check that the migration files match the applied migrations: no applied\n"
	       "file removed or changed, no new file before the last applied one.\n"
	       "Exit status 1 when they do not, or when a migration run statement by\n"
	       "statement stopped half-way.\n"
	       "\n"
	       "Options:\n"
	       "      --lock-timeout SECONDS give up waiting for the migration lock\n"
	       "  -h, --help                 show this help\n");
}

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

static int parse(const char *cmd, int argc, char **argv, struct run_opts *ro,
		 void (*help)(void), int takes_count)
{
	static const struct option opts[] = {
		{"auto-approve", no_argument, NULL, 'y'},
		{"lock-timeout", required_argument, NULL, 'L'},
		{"to", required_argument, NULL, 't'},
		{"repeatable", no_argument, NULL, 'r'},
		{"no-repeatable", no_argument, NULL, 'R'},
		{"restart", no_argument, NULL, 'S'},
		{"dry-run", no_argument, NULL, 'D'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	memset(ro, 0, sizeof(*ro));
	ro->lock_timeout = -1;
	ro->repeatable = -1;
	ro->n = -1;
	int rollback = strcmp(cmd, "rollback") == 0;
	int c;
	while ((c = getopt_long(argc, argv, "yh", opts, NULL)) != -1) {
		switch (c) {
		case 'y':
			if (!takes_count)
				goto bad;
			ro->auto_approve = 1;
			break;
		case 'L':
			if ((ro->lock_timeout = cli_seconds(cmd, optarg)) < 0)
				return -1;
			break;
		case 't':
			if (!takes_count)
				goto bad;
			ro->to = optarg;
			break;
		case 'S':
			if (!takes_count)
				goto bad;
			ro->restart = 1;
			break;
		case 'D':
			if (!takes_count)
				goto bad;
			ro->dry_run = 1;
			break;
		case 'r':
		case 'R':
			if (!rollback)
				goto bad;
			ro->repeatable = c == 'r';
			break;
		case 'h':
			help();
			return 1;
		default:
		bad:
			fprintf(stderr, "Try 'flux %s --help'.\n", cmd);
			return -1;
		}
	}
	const char *uri = NULL, *count = NULL;
	int npos = argc - optind;
	if (npos > (takes_count ? 2 : 1)) {
		cli_usage_error(cmd, "too many arguments");
		return -1;
	}
	if (npos == 2) {
		uri = argv[optind];
		count = argv[optind + 1];
	} else if (npos == 1 && takes_count && all_digits(argv[optind])) {
		count = argv[optind];
	} else if (npos == 1) {
		uri = argv[optind];
	}
	if (count) {
		if (ro->to) {
			cli_usage_error(cmd, "give either N or --to, not both");
			return -1;
		}
		if ((ro->n = cli_count(count)) < 0) {
			cli_usage_error(cmd, "N must be a non-negative number, not '%s'", count);
			return -1;
		}
	}
	if (!(ro->uri = cli_uri(cmd, uri)))
		return -1;
	return 0;
}

/* Whether the plan runs pre-apply or post-apply migrations (there are
 * some, and the plan runs them). */
static int runs_repeatable(flux_project *p, const flux_plan *plan)
{
	const flux_migrations *set = flux_project_migrations(p);
	return flux_plan_runs_repeatable(plan) && flux_migrations_count(set, FLUX_STAGE_PRE) +
							  flux_migrations_count(set, FLUX_STAGE_POST);
}

/* What will run, before the question: the migrations in order, or why
 * there are none, and the repeatable migrations around them. */
static void describe_plan(flux_project *p, const flux_plan *plan, int rollback,
			  const struct run_opts *ro)
{
	size_t n = flux_plan_count(plan);
	const flux_migrations *set = flux_project_migrations(p);
	size_t applied = flux_project_record_count(p);
	if (n) {
		printf("%s (%zu):\n", rollback ? "To Undo" : "To Apply", n);
		for (size_t i = 0; i < n; i++)
			printf("  %s\n", flux_migration_id(flux_plan_get(plan, i)));
	} else if (!rollback && ro->to) {
		printf("Nothing to apply: '%s' is applied already.\n", ro->to);
	} else if (ro->n == 0) {
		size_t total = flux_migrations_count(set, FLUX_STAGE_MAIN);
		printf("Nothing to %s: N is 0 (%zu of %zu migration%s applied).\n",
		       rollback ? "undo" : "apply", applied, total,
		       total == 1 ? " is" : "s are");
	} else if (rollback) {
		printf("Nothing to undo: no migration is applied.\n");
	} else {
		size_t total = flux_migrations_count(set, FLUX_STAGE_MAIN);
		if (total == 0)
			printf("Nothing to apply: there are no migrations.\n");
		else if (total == 1)
			printf("Nothing to apply: the one migration is applied.\n");
		else
			printf("Nothing to apply: all %zu migrations are applied.\n", total);
	}
	if (runs_repeatable(p, plan))
		printf("Repeatable: %zu pre-apply before, %zu post-apply after.\n",
		       flux_migrations_count(set, FLUX_STAGE_PRE),
		       flux_migrations_count(set, FLUX_STAGE_POST));
}

/* The plan for --json: what describe_plan says, as facts, with the
 * database (redacted) and the backend. */
static void plan_json(flux_project *p, const flux_plan *plan)
{
	char safe[512];
	flux_project_redact_uri(p, safe, sizeof(safe));
	cli_json_set("database", cli_json_str(safe));
	cli_json_set("backend", cli_json_str(flux_project_backend(p)->name));
	int rollback = flux_plan_kind_of(plan) == FLUX_PLAN_ROLLBACK;
	const flux_migrations *set = flux_project_migrations(p);
	json_t *ids = json_array(), *pre = json_array(), *post = json_array();
	for (size_t i = 0; i < flux_plan_count(plan); i++)
		json_array_append_new(ids, cli_json_str(flux_migration_id(flux_plan_get(plan, i))));
	int rep = flux_plan_runs_repeatable(plan);
	for (size_t i = 0; rep && i < flux_migrations_count(set, FLUX_STAGE_PRE); i++)
		json_array_append_new(pre, cli_json_str(flux_migration_id(
			flux_migrations_get(set, FLUX_STAGE_PRE, i))));
	for (size_t i = 0; rep && i < flux_migrations_count(set, FLUX_STAGE_POST); i++)
		json_array_append_new(post, cli_json_str(flux_migration_id(
			flux_migrations_get(set, FLUX_STAGE_POST, i))));
	cli_json_set("plan", json_pack("{s:s, s:o, s:o, s:o}",
		"direction", rollback ? "rollback" : "apply", "migrations", ids,
		"pre_apply", pre, "post_apply", post));
}

/* The Python tool's question, read from standard input whether or not it
 * is a terminal (`echo y | flux apply` proceeds).  0 to go on, else the
 * exit status. */
static int confirm(const char *question)
{
	char prompt[64], answer[64];
	snprintf(prompt, sizeof(prompt), "%s [y/n]: ", question);
	int yes = cli_ask(prompt, answer, sizeof(answer));
	if (yes > 0)
		return 0;
	if (yes < 0)
		fprintf(stderr, "flux: error: no answer was read from standard input; "
			"nothing was changed\n  hint: pass --auto-approve (-y) to run "
			"without asking\n");
	else
		fprintf(stderr, "flux: declined; nothing was changed\n");
	return EXIT_ERROR;
}

struct report {
	size_t done;
	size_t failed;
	double seconds;
	/* The step that failed ran statement by statement: how far it got. */
	int failed_by_statement;
	size_t failed_done, failed_total;
	json_t *steps;   /* --json: each step's result; else NULL */
	struct cli_progress *progress;   /* text: the live lines */
};

/* The JSON word for a step's stage; a step without a migration creates
 * the record table. */
static const char *stage_word(const flux_migration *m)
{
	if (!m)
		return "initialize";
	flux_stage stage = flux_migration_stage(m);
	return stage == FLUX_STAGE_PRE ? "pre_apply"
	       : stage == FLUX_STAGE_POST ? "post_apply" : "migration";
}

static void on_event(void *ctx, const flux_event *ev)
{
	struct report *r = ctx;
	if (ev->type == FLUX_EVENT_START) {
		if (r->progress)
			cli_progress_event(r->progress, ev);
		return;
	}
	flux_stage stage = flux_migration_stage(ev->migration);
	if (ev->type == FLUX_EVENT_FAILED) {
		r->failed_by_statement = ev->by_statement;
		r->failed_done = ev->statements_done;
		r->failed_total = ev->statements_total;
	}
	if (r->steps) {
		json_array_append_new(r->steps, json_pack("{s:o, s:s, s:s, s:s, s:f}",
			"id", cli_json_str(flux_migration_id(ev->migration)),
			"stage", stage_word(ev->migration),
			"direction", ev->direction == FLUX_PLAN_APPLY ? "apply" : "rollback",
			"result", ev->type == FLUX_EVENT_FAILED ? "failed" : "done",
			"seconds", ev->seconds));
		goto count;
	}
	if (r->progress)
		cli_progress_event(r->progress, ev);
count:
	if (stage == FLUX_STAGE_MAIN) {
		if (ev->type == FLUX_EVENT_DONE)
			r->done++;
		else
			r->failed++;
	}
	r->seconds += ev->seconds;
}

/* --dry-run: each step's SQL on stdout after a comment line naming it,
 * or with --json in the document's dry_run array. */
static int on_dry_step(void *ctx, const flux_dry_step *ds)
{
	json_t *steps = ctx;
	const char *id = ds->migration ? flux_migration_id(ds->migration) : NULL;
	const char *dir = ds->direction == FLUX_PLAN_ROLLBACK ? "rollback" : "apply";
	if (steps) {
		json_array_append_new(steps, json_pack("{s:o, s:s, s:o, s:o, s:o}",
			"id", cli_json_str(id), "stage", stage_word(ds->migration),
			"direction", ds->migration ? json_string(dir) : json_null(),
			"file", cli_json_str(ds->file), "sql", cli_json_str(ds->sql)));
		return 0;
	}
	if (ds->migration)
		printf("-- flux: %s %s (%s)\n", dir, id, ds->file);
	else
		printf("-- flux: create the record table\n");
	fwrite(ds->sql, 1, ds->len, stdout);
	return ferror(stdout) ? FLUX_ERR_IO : 0;
}

static int dry_run(flux_project *p, const flux_plan *plan, const char *cmd)
{
	json_t *steps = cli_json_on() ? json_array() : NULL;
	flux_error err;
	if (!steps) {
		char safe[512];
		flux_project_redact_uri(p, safe, sizeof(safe));
		printf("-- flux: dry run of `flux %s` on %s (backend %s): the SQL it would "
		       "send\n", cmd, safe, flux_project_backend(p)->name);
	}
	int rc = flux_plan_dry_run(p, plan, on_dry_step, steps, &err);
	if (rc == FLUX_ERR_IO && !err.message[0])
		flux_error_set(&err, FLUX_ERR_IO, "cannot write the dry run to standard output");
	if (fflush(stdout) != 0 && !rc)
		rc = flux_error_set(&err, FLUX_ERR_IO, "cannot write the dry run to standard "
				    "output");
	if (steps)
		cli_json_set("dry_run", steps);
	if (rc) {
		cli_print_error(&err);
		return cli_exit_code(&err);
	}
	return EXIT_OK;
}

static int run(struct cli *cli, const char *cmd, struct run_opts *ro)
{
	int rollback = strcmp(cmd, "rollback") == 0;
	flux_project *p;
	flux_error err;
	/* A dry run takes no lock and creates nothing. */
	if (cli_open_mode(cli, ro->uri, ro->lock_timeout, ro->dry_run, &p, &err)) {
		cli_print_error(&err);
		return cli_exit_code(&err);
	}
	flux_plan *plan = NULL;
	/* Planning a rollback runs undo generators and .py undo(): a signal
	 * then kills them (not only flux) and says so. */
	cli_interrupt_begin(p);
	int rc = rollback ? flux_plan_rollback(p, ro->n, ro->to, ro->repeatable, &plan, &err)
			  : ro->to ? flux_plan_apply_to(p, ro->to, &plan, &err)
				   : flux_plan_apply(p, ro->n, &plan, &err);
	int plan_sig = cli_interrupt_end();
	if (!rc) {
		/* A migration that stopped half-way and cannot be resumed is
		 * refused before the question, not after it. */
		flux_plan_set_restart(plan, ro->restart);
		rc = flux_plan_check(p, plan, &err);
	}
	if (rc) {
		cli_print_error(&err);
		flux_plan_free(plan);
		flux_project_close(p);
		return rc == FLUX_ERR_CANCELLED ? 128 + (plan_sig ? plan_sig : SIGINT)
						: cli_exit_code(&err);
	}
	size_t n = flux_plan_count(plan);
	int json = cli_json_on();
	if (json)
		plan_json(p, plan);
	if (ro->dry_run) {
		rc = dry_run(p, plan, cmd);
		flux_plan_free(plan);
		flux_project_close(p);
		return rc;
	}
	if (!json)
		describe_plan(p, plan, rollback, ro);
	/* A JSON consumer reads stdout and cannot answer a question there:
	 * --json never asks, and without -y it only shows the plan. */
	if (!ro->auto_approve && json)
		rc = cli_fail(FLUX_ERR_INVALID, "approval_required",
			      "pass --auto-approve (-y) to run",
			      "--json does not ask for confirmation; nothing was changed");
	else if (!ro->auto_approve)
		rc = confirm(rollback ? "Undo these migrations?" : "Apply these migrations?");
	if (rc) {
		flux_plan_free(plan);
		flux_project_close(p);
		return rc;
	}
	struct report rep = {0};
	if (json)
		rep.steps = json_array();
	else
		rep.progress = cli_progress_new(cli->color);
	cli_interrupt_begin(p);
	rc = flux_plan_execute(p, plan, on_event, &rep, &err);
	int sig = cli_interrupt_end();
	int code = EXIT_OK;
	if (rc) {
		cli_print_error(&err);
		code = cli_exit_code(&err);
	}
	/* The shell's convention for "stopped by this signal". */
	if (rc == FLUX_ERR_CANCELLED)
		code = 128 + (sig ? sig : SIGINT);
	if (json) {
		cli_json_set("steps", rep.steps);
		cli_json_set("summary", json_pack("{s:I, s:I, s:I, s:f, s:b, s:o}",
			"planned", (json_int_t)n, "done", (json_int_t)rep.done,
			"failed", (json_int_t)rep.failed, "seconds", rep.seconds,
			"cancelled", rc == FLUX_ERR_CANCELLED,
			"incomplete", rc && err.migration[0] &&
					      flux_project_incomplete_find(p, err.migration)
				      ? json_string(err.migration) : json_null()));
	} else if (rc == FLUX_ERR_CANCELLED) {
		printf("%s %zu of %zu migrations; cancelled.\n", rollback ? "Undid" : "Applied",
		       rep.done, n);
	} else if (rc && err.migration[0] && flux_project_incomplete_find(p, err.migration))
		printf("%s %zu of %zu migrations; '%s' ran outside a transaction and stopped "
		       "half-way (see flux status).\n", rollback ? "Undid" : "Applied",
		       rep.done, n, err.migration);
	else if (rc && err.migration[0] && rep.failed_by_statement)
		printf("%s %zu of %zu migrations; '%s' ran outside a transaction and stopped "
		       "after %zu of its %zu statements.\n", rollback ? "Undid" : "Applied",
		       rep.done, n, err.migration, rep.failed_done, rep.failed_total);
	else if (rc && err.migration[0])
		printf("%s %zu of %zu migrations; '%s' failed and was rolled back.\n",
		       rollback ? "Undid" : "Applied", rep.done, n, err.migration);
	else if (!rc && (n || runs_repeatable(p, plan)))
		printf("%s%s %zu migration%s in %.1f ms.%s\n",
		       cli_progress_sgr(rep.progress, "\033[1m"), rollback ? "Undid" : "Applied",
		       rep.done, rep.done == 1 ? "" : "s", rep.seconds * 1000.0,
		       cli_progress_sgr(rep.progress, "\033[0m"));
	cli_progress_free(rep.progress);
	flux_plan_free(plan);
	flux_project_close(p);
	return code;
}

int cmd_apply(struct cli *cli, int argc, char **argv)
{
	struct run_opts ro;
	int rc = parse("apply", argc, argv, &ro, apply_help, 1);
	return rc < 0 ? EXIT_USAGE : rc > 0 ? EXIT_OK : run(cli, "apply", &ro);
}

int cmd_rollback(struct cli *cli, int argc, char **argv)
{
	struct run_opts ro;
	int rc = parse("rollback", argc, argv, &ro, rollback_help, 1);
	return rc < 0 ? EXIT_USAGE : rc > 0 ? EXIT_OK : run(cli, "rollback", &ro);
}

int cmd_validate(struct cli *cli, int argc, char **argv)
{
	struct run_opts ro;
	int rc = parse("validate", argc, argv, &ro, validate_help, 0);
	if (rc)
		return rc < 0 ? EXIT_USAGE : EXIT_OK;
	flux_project *p;
	flux_error err;
	if (cli_open(cli, ro.uri, ro.lock_timeout, &p, &err)) {
		cli_print_error(&err);
		return cli_exit_code(&err);
	}
	rc = flux_project_validate(p, &err);
	if (!rc)
		rc = flux_project_check_incomplete(p, &err);
	if (rc)
		cli_print_error(&err);
	else if (cli_json_on())
		cli_json_set("applied", json_integer((json_int_t)flux_project_record_count(p)));
	else
		printf("OK: %zu applied migrations match their files.\n",
		       flux_project_record_count(p));
	flux_project_close(p);
	return rc ? cli_exit_code(&err) : EXIT_OK;
}
