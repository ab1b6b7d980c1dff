/* SPDX-License-Identifier: MIT */
/* flux init: options, the backend question and the report; libflux's
 * flux_project_init writes the file. */
#include <config.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static void help(void)
{
	printf("Usage: flux init [OPTIONS] [BACKEND]\n"
	       "\n"
	       "Create flux.toml in the current directory for BACKEND, which is asked\n"
	       "for on standard input when omitted.\n"
	       "\n"
	       "Options:\n"
	       "      --migration-dir DIR   migration directory (default: migrations)\n"
	       "      --log-level LEVEL     add log_level (a Python level name: DEBUG,\n"
	       "                            INFO, WARNING, ERROR, CRITICAL, ...)\n"
	       "  -h, --help                show this help\n");
}

/* "exists" for --json when the file is there (flux init never overwrites
 * it), else the error's own kind. */
static int init_failed(const flux_init_options *o, flux_error *err)
{
	int exists = err->code == FLUX_ERR_IO && access(o->config_path, F_OK) == 0;
	if (!cli_json_record_error(err, exists ? "exists" : NULL))
		cli_print_error(err);
	return cli_exit_code(err);
}

int cmd_init(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"migration-dir", required_argument, NULL, 'd'},
		{"log-level", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dir = "migrations", *level = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'l': level = optarg; break;
		case 'h': help(); return EXIT_OK;
		default: fprintf(stderr, "Try 'flux init --help'.\n"); return EXIT_USAGE;
		}
	}
	if (argc - optind > 1) {
		cli_usage_error("init", "too many arguments");
		return EXIT_USAGE;
	}
	/* What flux writes must read back as the same TOML string. */
	if (strpbrk(dir, "\"\\\n") || (level && strpbrk(level, "\"\\\n"))) {
		cli_usage_error("init", "--migration-dir and --log-level may not contain "
				"quotes, backslashes or newlines");
		return EXIT_USAGE;
	}
	flux_init_options o;
	flux_init_options_init(&o, FLUX_INIT_OPTIONS_VERSION);
	o.config_path = cli->config_path;
	o.migration_directory = dir;
	o.log_level = level;
	o.backend_path = cli->backend_path;
	o.log = cli_log;
	flux_error err;
	if (flux_project_init_check(&o, &err))
		return init_failed(&o, &err);
	char asked[256];
	const char *backend = optind < argc ? argv[optind] : NULL;
	if (!backend && cli_json_on()) {
		/* A JSON consumer reads stdout: it cannot see a question. */
		cli_usage_error("init", "give BACKEND with --json");
		return EXIT_USAGE;
	}
	if (!backend) {
		/* Asked whether or not stdin is a terminal, as the Python tool
		 * does: `echo postgres | flux init` works. */
		if (cli_ask("Enter the name of the backend to use: ", asked, sizeof(asked)) < 0)
			return cli_fail(FLUX_ERR_INVALID, "no_answer", NULL, "no backend name was "
					"read from standard input; nothing was written");
		backend = asked;
	}
	o.backend = backend;
	if (flux_project_init(&o, &err))
		return init_failed(&o, &err);
	if (cli_json_on()) {
		cli_json_set("created", cli_json_str(cli->config_path));
		cli_json_set("backend", cli_json_str(backend));
		cli_json_set("migration_directory", cli_json_str(dir));
		return EXIT_OK;
	}
	printf("Created %s\n", cli->config_path);
	return EXIT_OK;
}
