/* SPDX-License-Identifier: MIT */
/* flux new: options and the report; libflux's flux_new_migration_create
 * writes ID.py, or ID.sql and ID.undo.sql. */
#include <config.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void help(void)
{
	printf("Usage: flux new [OPTIONS] DESCRIPTION\n"
	       "\n"
	       "Create a migration named YYYYMMDD_NNN_description in the migration\n"
	       "directory of flux.toml: ID.py with apply() and undo() by default.\n"
	       "\n"
	       "Options:\n"
	       "      --sql           write an empty ID.sql and an empty ID.undo.sql\n"
	       "      --python        write ID.py (the default)\n"
	       "      --kind KIND     sql or python, as the --sql/--python options\n"
	       "      --pre           a repeatable migration in pre-apply/ (no undo)\n"
	       "      --post          a repeatable migration in post-apply/ (no undo)\n"
	       "  -h, --help          show this help\n");
}

int cmd_new(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"sql", no_argument, NULL, 's'},
		{"python", no_argument, NULL, 'p'},
		{"kind", required_argument, NULL, 'k'},
		{"pre", no_argument, NULL, 'P'},
		{"post", no_argument, NULL, 'O'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int python = 0, sql = 0, pre = 0, post = 0, c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': sql = 1; break;
		case 'p': python = 1; break;
		case 'k':
			if (strcmp(optarg, "sql") == 0)
				sql = 1;
			else if (strcmp(optarg, "python") == 0)
				python = 1;
			else {
				cli_usage_error("new", "--kind is sql or python, not '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'P': pre = 1; break;
		case 'O': post = 1; break;
		case 'h': help(); return EXIT_OK;
		default: fprintf(stderr, "Try 'flux new --help'.\n"); return EXIT_USAGE;
		}
	}
	if (sql && python) {
		cli_usage_error("new", "--sql and --python cannot be used together");
		return EXIT_USAGE;
	}
	if (argc - optind != 1) {
		cli_usage_error("new", argc - optind ? "give one DESCRIPTION (quote it)"
						     : "missing DESCRIPTION");
		return EXIT_USAGE;
	}
	const char *desc = argv[optind];
	flux_error err;
	if (cli_need_config(cli, &err)) {
		cli_print_error(&err);
		return EXIT_ERROR;
	}
	cli_json_set("description", cli_json_str(desc));
	/* The Python tool's message and status, after its config check. */
	if (pre && post)
		return cli_fail(FLUX_ERR_INVALID, NULL, NULL,
				"Cannot create migration with both --pre and --post");
	if (flux_new_description_check(desc, &err)) {
		if (err.code != FLUX_ERR_INVALID) {
			cli_print_error(&err);
			return cli_exit_code(&err);
		}
		cli_usage_error("new", "%s", err.message);
		return EXIT_USAGE;
	}
	flux_new_options o;
	flux_new_options_init(&o, FLUX_NEW_OPTIONS_VERSION);
	o.config_path = cli->config_path;
	o.description = desc;
	o.kind = sql ? FLUX_KIND_SQL : FLUX_KIND_PYTHON;
	o.stage = pre ? FLUX_STAGE_PRE : post ? FLUX_STAGE_POST : FLUX_STAGE_MAIN;
	flux_new_migration *m;
	if (flux_new_migration_create(&o, &m, &err)) {
		cli_print_error(&err);
		return cli_exit_code(&err);
	}
	json_t *created = json_array();
	for (size_t i = 0; i < flux_new_migration_file_count(m); i++) {
		const char *path = flux_new_migration_file(m, i);
		if (cli_json_on())
			json_array_append_new(created, cli_json_str(path));
		else
			printf("Created %s\n", path);
	}
	cli_json_set("created", created);
	flux_new_migration_free(m);
	return EXIT_OK;
}
