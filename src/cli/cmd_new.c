/* SPDX-License-Identifier: MIT */
/* flux new: create ID.sql (+ empty ID.undo.sql) or ID.py, named
 * YYYYMMDD_NNN_slug with NNN the first free index for today. */
#include <config.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static void help(void)
{
	printf("Usage: flux new [OPTIONS] DESCRIPTION\n"
	       "\n"
	       "Create a migration named YYYYMMDD_NNN_description in the migration\n"
	       "directory of flux.toml.\n"
	       "\n"
	       "Options:\n"
	       "      --sql       write ID.sql and an empty ID.undo.sql (the default)\n"
	       "      --python    write ID.py with apply() and undo()\n"
	       "      --pre       a repeatable migration in pre-apply/ (no undo)\n"
	       "      --post      a repeatable migration in post-apply/ (no undo)\n"
	       "  -h, --help      show this help\n");
}

/* The description as the body of a Python docstring: backslashes and
 * quotes escaped, so that any text (three quotes, a trailing quote, a
 * backslash) still makes a valid module that reads back as typed. */
static char *py_docstring(const char *desc)
{
	char *out = malloc(2 * strlen(desc) + 1), *o = out;
	if (!out)
		return NULL;
	for (const char *p = desc; *p; p++) {
		if (*p == '\\' || *p == '"')
			*o++ = '\\';
		*o++ = *p;
	}
	*o = '\0';
	return out;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "flux: error: %s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t len = strlen(text);
	ssize_t n = write(fd, text, len);
	if (close(fd) != 0 || n != (ssize_t)len) {
		fprintf(stderr, "flux: error: writing %s failed\n", path);
		unlink(path);
		return -1;
	}
	printf("Created %s\n", path);
	return 0;
}

/* The smallest NNN from 001 not used by a file named DATE_NNN... */
static int first_free_index(const char *dir, const char *date)
{
	char used[1000] = {0};
	DIR *d = opendir(dir);
	size_t dl = strlen(date);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		const char *n = de->d_name;
		if (strncmp(n, date, dl) == 0 && n[dl] == '_' && isdigit((unsigned char)n[dl + 1]) &&
		    isdigit((unsigned char)n[dl + 2]) && isdigit((unsigned char)n[dl + 3]))
			used[(n[dl + 1] - '0') * 100 + (n[dl + 2] - '0') * 10 + (n[dl + 3] - '0')] = 1;
	}
	if (d)
		closedir(d);
	for (int i = 1; i < 1000; i++)
		if (!used[i])
			return i;
	return -1;
}

int cmd_new(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"sql", no_argument, NULL, 's'},
		{"python", no_argument, NULL, 'p'},
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
		case 'P': pre = 1; break;
		case 'O': post = 1; break;
		case 'h': help(); return EXIT_OK;
		default: fprintf(stderr, "Try 'flux new --help'.\n"); return EXIT_USAGE;
		}
	}
	if (pre && post) {
		cli_usage_error("new", "--pre and --post cannot be used together");
		return EXIT_USAGE;
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
	char slug[200];
	size_t n = 0;
	int in_space = 0;
	for (const char *p = desc; *p && n + 1 < sizeof(slug); p++) {
		if (isspace((unsigned char)*p)) {
			in_space = 1;
			continue;
		}
		if (in_space && n)
			slug[n++] = '-';
		in_space = 0;
		if (*p == '/') {
			cli_usage_error("new", "DESCRIPTION may not contain '/'");
			return EXIT_USAGE;
		}
		slug[n++] = (char)tolower((unsigned char)*p);
	}
	slug[n] = '\0';
	if (!n) {
		cli_usage_error("new", "DESCRIPTION is empty");
		return EXIT_USAGE;
	}
	flux_config *cfg;
	flux_error err;
	if (flux_config_load(cli->config_path, &cfg, &err)) {
		cli_print_error(&err);
		return cli_exit_code(&err);
	}
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s%s", flux_config_migration_path(cfg),
		 pre ? "/pre-apply" : post ? "/post-apply" : "");
	flux_config_free(cfg);
	/* The Python tool creates the directories on demand too. */
	char parent[4096];
	snprintf(parent, sizeof(parent), "%s", dir);
	if (pre || post)
		*strrchr(parent, '/') = '\0';
	if ((mkdir(parent, 0755) != 0 && errno != EEXIST) ||
	    ((pre || post) && mkdir(dir, 0755) != 0 && errno != EEXIST)) {
		fprintf(stderr, "flux: error: cannot create %s: %s\n", dir, strerror(errno));
		return EXIT_USAGE;
	}
	time_t t = time(NULL);
	char date[16];
	strftime(date, sizeof(date), "%Y%m%d", localtime(&t));
	int index = first_free_index(dir, date);
	if (index < 0) {
		fprintf(stderr, "flux: error: no free migration index left for %s in %s\n",
			date, dir);
		return EXIT_USAGE;
	}
	char base[4400], path[4500];
	snprintf(base, sizeof(base), "%s/%s_%03d_%s", dir, date, index, slug);
	int repeatable = pre || post;
	if (python) {
		snprintf(path, sizeof(path), "%s.py", base);
		char *doc = py_docstring(desc);
		size_t tl = (doc ? strlen(doc) : 0) + 128;
		char *text = doc ? malloc(tl) : NULL;
		if (!text) {
			free(doc);
			fprintf(stderr, "flux: error: out of memory\n");
			return EXIT_USAGE;
		}
		snprintf(text, tl,
			 "\"\"\"%s\"\"\"\n\n\ndef apply():\n    return \"\"\"\n    \"\"\"\n%s",
			 doc, repeatable ? ""
				: "\n\ndef undo():\n    return \"\"\"\n    \"\"\"\n");
		int rc = write_file(path, text) ? EXIT_USAGE : EXIT_OK;
		free(text);
		free(doc);
		return rc;
	}
	snprintf(path, sizeof(path), "%s.sql", base);
	const char *title = strpbrk(desc, "\r\n") ? slug : desc;
	size_t tl = strlen(title) + 5;
	char *text = malloc(tl);
	if (!text) {
		fprintf(stderr, "flux: error: out of memory\n");
		return EXIT_USAGE;
	}
	snprintf(text, tl, "-- %s\n", title);
	int wrc = write_file(path, text);
	free(text);
	if (wrc)
		return EXIT_USAGE;
	if (repeatable)
		return EXIT_OK;
	snprintf(path, sizeof(path), "%s.undo.sql", base);
	return write_file(path, "") ? EXIT_USAGE : EXIT_OK;
}
