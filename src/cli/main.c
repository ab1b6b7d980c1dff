/* SPDX-License-Identifier: MIT */
/* flux: command dispatch and global options. */
#include <config.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* read_only: the command only looks at the database, so it opens it
 * without the lock and creates nothing (no record table, no SQLite file):
 * it works while another flux migrates, and where one may only read. */
static const struct {
	const char *name;
	int (*run)(struct cli *, int, char **);
	const char *summary;
	int read_only;
} commands[] = {
	{"init", cmd_init, "create flux.toml for a backend", 0},
	{"new", cmd_new, "create a new migration file", 0},
	{"apply", cmd_apply, "apply migrations that are not applied yet", 0},
	{"rollback", cmd_rollback, "undo applied migrations", 0},
	{"status", cmd_status, "show every migration and whether it is applied", 1},
	{"validate", cmd_validate, "check the migration directory against the database", 1},
	{"backends", cmd_backends, "list installed backends", 0},
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: flux [OPTIONS] COMMAND [ARGS]...\n"
		"\n"
		"A database migration tool, compatible with flux-migrations projects.\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE        configuration file (default: flux.toml)\n"
		"      --backend-path PATH  manifest directories to search, colon-separated\n"
		"                           (default: $FLUX_BACKEND_PATH, then %s)\n"
		"      --helper-timeout S   stop a .py migration's python3 or a generator\n"
		"                           (and all it started) after S seconds (default:\n"
		"                           no limit)\n"
		"      --color WHEN         colour apply/rollback progress: auto (a terminal\n"
		"                           without NO_COLOR; the default), always, never\n"
		"      --no-cache           read and hash every migration file, trusting no\n"
		"                           cached hash (same as FLUX_NO_CACHE=1)\n"
		"      --json               one JSON document on stdout, errors included\n"
		"                           (see flux(1); apply and rollback need -y)\n"
		"  -v, --verbose            log more (repeat for debug output)\n"
		"  -h, --help               show this help\n"
		"      --version            show the version and the backend ABI (with -v,\n"
		"                           each backend found and its ABI)\n"
		"\n"
		"Commands:\n", flux_registry_system_dir());
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nRun 'flux COMMAND --help' for a command's options; see flux(1).\n");
}

int main(int argc, char **argv)
{
	struct cli cli = {.config_path = "flux.toml", .color = -1};
	const char *env = getenv("FLUX_LOG_LEVEL");
	if (env && *env) {
		cli.log_level = flux_log_level_parse(env);
		/* As for log_level in flux.toml: a warning, not a failure. */
		if (!cli.log_level)
			fprintf(stderr, "flux: warning: unknown FLUX_LOG_LEVEL '%s' ignored\n",
				env);
	}
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"backend-path", required_argument, NULL, 'B'},
		{"helper-timeout", required_argument, NULL, 'T'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{"json", no_argument, NULL, 'J'},
		{"color", required_argument, NULL, 'C'},
		{"no-cache", no_argument, NULL, 'H'},
		{NULL, 0, NULL, 0},
	};
	int c, version = 0;
	while ((c = getopt_long(argc, argv, "+c:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cli.config_path = optarg; break;
		case 'B': cli.backend_path = optarg; break;
		case 'T': {
			char *end;
			errno = 0;
			cli.helper_timeout = strtod(optarg, &end);
			if (!*optarg || *end || errno || !isfinite(cli.helper_timeout) ||
			    cli.helper_timeout <= 0) {
				cli_usage_error(NULL, "--helper-timeout takes a positive number "
						"of seconds, not '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		}
		case 'v':
			cli.verbose++;
			cli.log_level = cli.log_level == FLUX_LOG_INFO ? FLUX_LOG_DEBUG
								       : FLUX_LOG_INFO;
			break;
		case 'h': usage(stdout); return EXIT_OK;
		case 'V': version = 1; break; /* after the loop: -v may follow */
		case 'J': cli.json = 1; break;
		/* Through the environment, which libflux reads wherever the
		 * migrations are read (flux_open_options.no_cache is the
		 * library's way to say it). */
		case 'H': setenv("FLUX_NO_CACHE", "1", 1); break;
		case 'C':
			if (strcmp(optarg, "auto") == 0)
				cli.color = -1;
			else if (strcmp(optarg, "always") == 0)
				cli.color = 1;
			else if (strcmp(optarg, "never") == 0)
				cli.color = 0;
			else {
				cli_usage_error(NULL, "--color takes auto, always or never, not '%s'",
						optarg);
				return EXIT_USAGE;
			}
			break;
		default:
			fprintf(stderr, "Try 'flux --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (version)
		return cli_version(&cli);
	if (cli.json)
		cli_json_begin();
	if (optind >= argc) {
		if (!cli.json) {
			usage(stderr);
			return EXIT_USAGE;
		}
		cli_usage_error(NULL, "missing COMMAND");
		return cli_json_end(EXIT_USAGE);
	}
	const char *name = argv[optind];
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(name, commands[i].name) == 0) {
			/* Each command parses its own options from its name on. */
			int sub_argc = argc - optind;
			char **sub_argv = argv + optind;
			optind = 0; /* 0 makes GNU getopt start afresh */
			cli_json_set("command", json_string(name));
			cli.read_only = commands[i].read_only;
			return cli_json_end(commands[i].run(&cli, sub_argc, sub_argv));
		}
	cli_usage_error(NULL, "unknown command '%s'", name);
	return cli_json_end(EXIT_USAGE);
}
