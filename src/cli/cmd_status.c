/* SPDX-License-Identifier: MIT */
/* flux status: every migration id with Applied / Not Applied / Incomplete. */
#include <config.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void help(void)
{
	printf("Usage: flux status [OPTIONS] [URI]\n"
	       "\n"
	       "Show every migration and whether it is applied, or Incomplete: a\n"
	       "no-transaction migration that stopped half-way.  Exits as flux validate\n"
	       "does.  Reads only: no lock, nothing created.  URI defaults to\n"
	       "$FLUX_DATABASE_URL.\n"
	       "\n"
	       "Options:\n"
	       "      --exit-code            also exit 1 when a migration is not applied\n"
	       "      --lock-timeout SECONDS accepted and ignored: status takes no lock\n"
	       "  -h, --help                 show this help\n");
}

/* The migrations and the records side by side, from one merge of the two
 * lists (both in byte order of id) rather than a binary search per
 * migration and per record: 200,000 of them for 100,000 migrations.
 * rec[i] is migration i's record or NULL; filed[k] says whether record k
 * has a file. */
struct joined {
	const flux_record **rec;
	unsigned char *filed;
	size_t applied;
};

static int join(flux_project *p, struct joined *j)
{
	const flux_migrations *set = flux_project_migrations(p);
	size_t n = flux_migrations_count(set, FLUX_STAGE_MAIN);
	size_t nr = flux_project_record_count(p);
	j->rec = calloc(n ? n : 1, sizeof(*j->rec));
	j->filed = calloc(nr ? nr : 1, 1);
	j->applied = 0;
	if (!j->rec || !j->filed)
		return -1;
	for (size_t i = 0, k = 0; i < n && k < nr;) {
		const flux_record *r = flux_project_record(p, k);
		int c = strcmp(flux_migration_id(flux_migrations_get(set, FLUX_STAGE_MAIN, i)),
			       r->id);
		if (c == 0) {
			j->rec[i++] = r;
			j->filed[k++] = 1;
			j->applied++;
		} else if (c < 0) {
			i++;
		} else {
			k++;
		}
	}
	return 0;
}

/* The Python tool's table, with flux's own additions. */
static void status_text(flux_project *p, const char *safe_uri, const struct joined *j)
{
	size_t applied = j->applied;
	const flux_migrations *set = flux_project_migrations(p);
	size_t n = flux_migrations_count(set, FLUX_STAGE_MAIN), width = 2;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(flux_migration_id(flux_migrations_get(set, FLUX_STAGE_MAIN, i)));
		if (l > width)
			width = l;
	}
	printf("Database: %s (backend %s)\n\n", safe_uri, flux_project_backend(p)->name);
	/* The Python tool's header words; "Applied at" is flux's own. */
	printf("%-*s  %-11s  %s\n", (int)width, "ID", "Status", "Applied at");
	for (size_t i = 0; i < n; i++) {
		const flux_migration *m = flux_migrations_get(set, FLUX_STAGE_MAIN, i);
		const flux_record *r = j->rec[i];
		const flux_incomplete *inc = flux_project_incomplete_find(p, flux_migration_id(m));
		printf("%-*s  %-11s  %s\n", (int)width, flux_migration_id(m),
		       inc ? "Incomplete" : r ? "Applied" : "Not Applied",
		       r ? r->applied_at : "");
	}
	/* Records without a file are shown too: validation will refuse them. */
	for (size_t i = 0; i < flux_project_record_count(p); i++) {
		const flux_record *r = flux_project_record(p, i);
		if (!j->filed[i])
			printf("%-*s  %-11s  %s\n", (int)width, r->id, "No File", r->applied_at);
	}
	printf("\n%zu of %zu applied; %zu pre-apply, %zu post-apply repeatable.\n", applied,
	       n, flux_migrations_count(set, FLUX_STAGE_PRE),
	       flux_migrations_count(set, FLUX_STAGE_POST));
	size_t ninc = flux_project_incomplete_count(p);
	if (ninc)
		printf("\nIncomplete: ran outside a transaction and stopped half-way; the "
		       "statements\nthat ran stay in effect.\n");
	for (size_t i = 0; i < ninc; i++) {
		const flux_incomplete *inc = flux_project_incomplete(p, i);
		printf("  %s: %s started %s: %s\n", inc->id,
		       inc->direction == FLUX_PLAN_APPLY ? "apply" : "rollback",
		       inc->started_at, inc->progress);
	}
}

/* What --json's "migrations" elements are made from, one at a time
 * when the document is printed: the files in id order, then the records
 * that no file has. */
struct status_items {
	flux_project *p;
	const struct joined *j;
	size_t n;         /* migration files */
	size_t *no_file;  /* the records without one, by index */
};

static json_t *status_item(void *ctx, size_t i)
{
	const struct status_items *s = ctx;
	if (i >= s->n) {
		const flux_record *r = flux_project_record(s->p, s->no_file[i - s->n]);
		return json_pack("{s:o, s:s, s:o, s:n}", "id", cli_json_str(r->id), "status",
				 "no_file", "applied_at", cli_json_str(r->applied_at), "path");
	}
	const flux_migrations *set = flux_project_migrations(s->p);
	const flux_migration *m = flux_migrations_get(set, FLUX_STAGE_MAIN, i);
	const flux_record *r = s->j->rec[i];
	const flux_incomplete *inc = flux_project_incomplete_find(s->p, flux_migration_id(m));
	return json_pack("{s:o, s:s, s:o, s:o}", "id", cli_json_str(flux_migration_id(m)),
			 "status", inc ? "incomplete" : r ? "applied" : "not_applied",
			 "applied_at", cli_json_str(r ? r->applied_at : NULL),
			 "path", cli_json_str(flux_migration_path(m)));
}

/* The same facts as the table, for --json; s must live until the
 * document is printed.  Returns -1 when out of memory. */
static int status_json(flux_project *p, const char *safe_uri, const struct joined *j,
		       struct status_items *s)
{
	size_t applied = j->applied;
	const flux_migrations *set = flux_project_migrations(p);
	size_t n = flux_migrations_count(set, FLUX_STAGE_MAIN);
	size_t nrec = flux_project_record_count(p), orphans = 0;
	*s = (struct status_items){.p = p, .j = j, .n = n};
	for (size_t i = 0; i < nrec; i++)
		orphans += !j->filed[i];
	if (orphans && !(s->no_file = malloc(orphans * sizeof(*s->no_file))))
		return -1;
	orphans = 0;
	for (size_t i = 0; i < nrec; i++)
		if (!j->filed[i])
			s->no_file[orphans++] = i;
	json_t *inc = json_array();
	for (size_t i = 0; i < flux_project_incomplete_count(p); i++) {
		const flux_incomplete *c = flux_project_incomplete(p, i);
		json_array_append_new(inc, json_pack("{s:o, s:s, s:o, s:o}",
			"id", cli_json_str(c->id),
			"direction", c->direction == FLUX_PLAN_APPLY ? "apply" : "rollback",
			"started_at", cli_json_str(c->started_at),
			"progress", cli_json_str(c->progress)));
	}
	cli_json_set("database", cli_json_str(safe_uri));
	cli_json_set("backend", cli_json_str(flux_project_backend(p)->name));
	cli_json_set_items("migrations", n + orphans, status_item, s);
	cli_json_set("applied", json_integer((json_int_t)applied));
	cli_json_set("pending", json_integer((json_int_t)(n - applied)));
	cli_json_set("pre_apply", json_integer((json_int_t)flux_migrations_count(set, FLUX_STAGE_PRE)));
	cli_json_set("post_apply",
		     json_integer((json_int_t)flux_migrations_count(set, FLUX_STAGE_POST)));
	cli_json_set("incomplete", inc);
	return 0;
}

int cmd_status(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"lock-timeout", required_argument, NULL, 'L'},
		{"exit-code", no_argument, NULL, 'e'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	double lock_timeout = -1;
	int exit_code = 0, c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'L':
			/* Checked, then unused: status takes no lock, so
			 * it never waits (scripts that pass it still work). */
			if ((lock_timeout = cli_seconds("status", optarg)) < 0)
				return EXIT_USAGE;
			break;
		case 'e': exit_code = 1; break;
		case 'h': help(); return EXIT_OK;
		default: fprintf(stderr, "Try 'flux status --help'.\n"); return EXIT_USAGE;
		}
	}
	if (argc - optind > 1) {
		cli_usage_error("status", "too many arguments");
		return EXIT_USAGE;
	}
	const char *uri = cli_uri("status", optind < argc ? argv[optind] : NULL);
	if (!uri)
		return EXIT_USAGE;
	flux_project *p;
	flux_error err;
	if (cli_open(cli, uri, lock_timeout, &p, &err)) {
		cli_print_error(&err);
		return cli_exit_code(&err);
	}
	const flux_migrations *set = flux_project_migrations(p);
	size_t n = flux_migrations_count(set, FLUX_STAGE_MAIN);
	struct joined j;
	if (join(p, &j) != 0) {
		free(j.rec);
		free(j.filed);
		flux_project_close(p);
		return cli_fail(FLUX_ERR_NOMEM, NULL, NULL, "out of memory");
	}
	size_t applied = j.applied;
	char safe[512];
	flux_project_redact_uri(p, safe, sizeof(safe));
	struct status_items items = {0};
	int code = EXIT_OK;
	if (cli_json_on() && status_json(p, safe, &j, &items) != 0)
		code = cli_fail(FLUX_ERR_NOMEM, NULL, NULL, "out of memory");
	else if (!cli_json_on())
		status_text(p, safe, &j);
	int rc = code ? FLUX_OK : flux_project_validate(p, &err);
	if (!rc && !code)
		rc = flux_project_check_incomplete(p, &err);
	if (rc) {
		if (!cli_json_on())
			printf("\n");
		cli_print_error(&err);
		code = cli_exit_code(&err);
	} else if (!code && exit_code && applied < n) {
		/* CI's "is the database behind?": pending is not an error
		 * otherwise, so it is said on stderr only when it decides the
		 * status. */
		code = cli_fail(FLUX_OK, "pending", NULL, "%zu migration%s not applied",
				n - applied, n - applied == 1 ? " is" : "s are");
	}
	/* Printed while the project is open: the elements are made from it
	 * as they are written (main's cli_json_end then has nothing left). */
	code = cli_json_end(code);
	free(items.no_file);
	free(j.rec);
	free(j.filed);
	flux_project_close(p);
	return code;
}
