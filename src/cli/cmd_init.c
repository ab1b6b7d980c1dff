/* SPDX-License-Identifier: MIT */
/* flux init: write flux.toml exactly as the Python tool does. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
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
	/* The Python tool writes any level; it warns when the file is read. */
	if (level && !flux_log_level_parse(level))
		fprintf(stderr, "flux: warning: unknown log level '%s' written to %s\n",
			level, cli->config_path);
	char asked[256];
	const char *backend = optind < argc ? argv[optind] : NULL;
	if (access(cli->config_path, F_OK) == 0)
		return cli_fail(FLUX_ERR_IO, "exists", NULL, "%s already exists", cli->config_path);
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
	if (!backend[0] || strpbrk(backend, "\"\\\n"))
		return cli_fail(FLUX_ERR_NOT_FOUND, NULL, "`flux backends` lists the installed "
				"backends", "'%s' is not a backend name", backend);
	flux_registry *reg;
	flux_error err;
	if (flux_registry_open(cli->backend_path, &reg, &err)) {
		cli_print_error(&err);
		return cli_exit_code(&err);
	}
	int found = flux_registry_find(reg, backend) != NULL;
	flux_registry_free(reg);
	if (!found)
		return cli_fail(FLUX_ERR_NOT_FOUND, NULL, "`flux backends` lists the installed "
				"backends", "Backend '%s' is not installed", backend);
	/* O_EXCL: never overwrite a flux.toml that appeared meanwhile. */
	int fd = open(cli->config_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return cli_fail(FLUX_ERR_IO, errno == EEXIST ? "exists" : NULL, NULL, "%s: %s",
				cli->config_path,
				errno == EEXIST ? "already exists" : strerror(errno));
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(cli->config_path);
		return cli_fail(FLUX_ERR_IO, NULL, NULL, "%s: %s", cli->config_path,
				strerror(errno));
	}
	/* Byte for byte the Python tool's file. */
	fprintf(f, "[flux]\nbackend = \"%s\"\nmigration_directory = \"%s\"\n", backend, dir);
	if (level)
		fprintf(f, "log_level = \"%s\"\n", level);
	fprintf(f, "\n[backend]\n# Add backend-specific configuration here\n");
	if (fclose(f) != 0) {
		int e = errno;
		unlink(cli->config_path);
		return cli_fail(FLUX_ERR_IO, NULL, NULL, "writing %s: %s", cli->config_path,
				strerror(e));
	}
	if (cli_json_on()) {
		cli_json_set("created", cli_json_str(cli->config_path));
		cli_json_set("backend", cli_json_str(backend));
		cli_json_set("migration_directory", cli_json_str(dir));
		return EXIT_OK;
	}
	printf("Created %s\n", cli->config_path);
	return EXIT_OK;
}
