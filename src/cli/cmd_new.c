/* SPDX-License-Identifier: MIT */
/* flux new: create ID.py (the default) or ID.sql + an empty ID.undo.sql,
 * named YYYYMMDD_NNN_slug with NNN the first free index for today, with
 * the Python tool's templates byte for byte. */
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

/* The description as the docstring's body.  The Python tool writes it as
 * it is; flux does too, unless that would not read back as the same text
 * (a backslash, or three quotes in a row): then backslashes and quotes
 * are escaped, so the module still loads. */
static char *py_docstring(const char *desc)
{
	int escape = strchr(desc, '\\') || strstr(desc, "\"\"\"");
	char *out = malloc(2 * strlen(desc) + 1), *o = out;
	if (!out)
		return NULL;
	for (const char *p = desc; *p; p++) {
		if (escape && (*p == '\\' || *p == '"'))
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
		cli_fail(FLUX_ERR_IO, NULL, NULL, "%s: %s", path, strerror(errno));
		return -1;
	}
	size_t len = strlen(text);
	ssize_t n = write(fd, text, len);
	if (close(fd) != 0 || n != (ssize_t)len) {
		cli_fail(FLUX_ERR_IO, NULL, NULL, "writing %s failed", path);
		unlink(path);
		return -1;
	}
	json_t *doc = cli_json_doc();
	if (doc) {
		json_t *created = json_object_get(doc, "created");
		if (!created) {
			created = json_array();
			json_object_set_new(doc, "created", created);
		}
		json_array_append_new(created, cli_json_str(path));
	} else {
		printf("Created %s\n", path);
	}
	return 0;
}

/* The smallest NNN from 001 that no file in dir starts DATE_NNN with, as
 * the Python tool counts. */
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

static int make_dirs(const char *dir, int repeatable)
{
	/* The Python tool creates the directories on demand too. */
	char parent[4096];
	snprintf(parent, sizeof(parent), "%s", dir);
	if (repeatable)
		*strrchr(parent, '/') = '\0';
	if ((mkdir(parent, 0755) != 0 && errno != EEXIST) ||
	    (repeatable && mkdir(dir, 0755) != 0 && errno != EEXIST)) {
		cli_fail(FLUX_ERR_IO, NULL, NULL, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

static int write_python(const char *base, const char *desc, int repeatable)
{
	char path[4500];
	snprintf(path, sizeof(path), "%s.py", base);
	char *doc = py_docstring(desc);
	size_t tl = (doc ? strlen(doc) : 0) + 128;
	char *text = doc ? malloc(tl) : NULL;
	if (!text) {
		free(doc);
		return cli_fail(FLUX_ERR_NOMEM, NULL, NULL, "out of memory");
	}
	/* The Python tool's template; repeatable migrations have no undo. */
	snprintf(text, tl, "\"\"\"\n%s\n\"\"\"\n\n\ndef apply():\n    return \"\"\" \"\"\"\n\n%s",
		 doc, repeatable ? "" : "\ndef undo():\n    return \"\"\" \"\"\"\n\n");
	int rc = write_file(path, text) ? EXIT_ERROR : EXIT_OK;
	free(text);
	free(doc);
	return rc;
}

static int write_sql(const char *base, int repeatable)
{
	char path[4500];
	snprintf(path, sizeof(path), "%s.sql", base);
	if (write_file(path, ""))
		return EXIT_ERROR;
	if (repeatable)
		return EXIT_OK;
	snprintf(path, sizeof(path), "%s.undo.sql", base);
	return write_file(path, "") ? EXIT_ERROR : EXIT_OK;
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
	if (strchr(desc, '/')) {
		cli_usage_error("new", "DESCRIPTION may not contain '/'");
		return EXIT_USAGE;
	}
	char *slug = cli_slug(desc);
	if (!slug)
		return cli_fail(FLUX_ERR_NOMEM, NULL, NULL, "out of memory");
	if (!slug[0] || strlen(slug) > 200) {
		free(slug);
		cli_usage_error("new", "DESCRIPTION must have 1 to 200 characters besides "
				"white space");
		return EXIT_USAGE;
	}
	flux_config *cfg;
	if (flux_config_load(cli->config_path, &cfg, &err)) {
		free(slug);
		cli_print_error(&err);
		return cli_exit_code(&err);
	}
	int repeatable = pre || post;
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s%s", flux_config_migration_path(cfg),
		 pre ? "/pre-apply" : post ? "/post-apply" : "");
	flux_config_free(cfg);
	if (make_dirs(dir, repeatable)) {
		free(slug);
		return EXIT_ERROR;
	}
	time_t t = time(NULL);
	char date[16];
	strftime(date, sizeof(date), "%Y%m%d", localtime(&t));
	int index = first_free_index(dir, date);
	if (index < 0) {
		free(slug);
		return cli_fail(FLUX_ERR_IO, NULL, NULL, "no free migration index left for %s in %s",
				date, dir);
	}
	char base[4400];
	snprintf(base, sizeof(base), "%s/%s_%03d_%s", dir, date, index, slug);
	free(slug);
	return sql ? write_sql(base, repeatable) : write_python(base, desc, repeatable);
}
