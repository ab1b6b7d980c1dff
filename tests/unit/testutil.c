/* SPDX-License-Identifier: MIT */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include "testutil.h"

static char *dirs[256];
static int ndirs;

char *tu_tmpdir(void)
{
	char tmpl[] = "/tmp/flux-test-XXXXXX";
	char *d = mkdtemp(tmpl);
	ck_assert_ptr_nonnull(d);
	dirs[ndirs++] = strdup(d);
	return dirs[ndirs - 1];
}

void tu_cleanup(void)
{
	for (int i = 0; i < ndirs; i++) {
		char cmd[600];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dirs[i]);
		if (system(cmd) != 0)
			fprintf(stderr, "# could not remove %s\n", dirs[i]);
		free(dirs[i]);
	}
	ndirs = 0;
}

char *tu_write(const char *dir, const char *name, const char *text)
{
	static char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	for (char *p = path + strlen(dir) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	FILE *f = fopen(path, "w");
	ck_assert_msg(f != NULL, "cannot write %s", path);
	fputs(text, f);
	fclose(f);
	return path;
}

char *tu_fixture(const char *name)
{
	char *dir = tu_tmpdir();
	char src[4096];
	snprintf(src, sizeof(src), "%s/%s", FIXTURES, name);
	DIR *d = opendir(src);
	ck_assert_msg(d != NULL, "no fixture %s", src);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char in[4400];
		snprintf(in, sizeof(in), "%s/%s", src, de->d_name);
		FILE *f = fopen(in, "r");
		ck_assert_ptr_nonnull(f);
		char buf[8192];
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		char out[16384] = "";
		for (char *p = buf; *p;) {
			char *m = strstr(p, "@MODULES@");
			if (!m) {
				strcat(out, p);
				break;
			}
			strncat(out, p, (size_t)(m - p));
			strcat(out, MODULES);
			p = m + 9;
		}
		tu_write(dir, de->d_name, out);
	}
	closedir(d);
	return dir;
}

TCase *tu_tcase(const char *name)
{
	TCase *tc = tcase_create(name);
	tcase_add_checked_fixture(tc, NULL, tu_cleanup);
	return tc;
}

int tu_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	tu_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* ---- private database servers -------------------------------------------- */

/* Start tools/TOOL in a new directory DIR/SUB under /tmp (kept in dir for
 * the stop), setting the NAME=VALUE lines it prints in this process's
 * environment; 0 or -1.  Debian puts some server tools in /usr/sbin,
 * outside a user's PATH. */
static int server_start(const char *tool, const char *sub, char *dir, size_t size)
{
	char tmpl[] = "/tmp/flux-dbtest-XXXXXX";
	if (!mkdtemp(tmpl))
		return -1;
	snprintf(dir, size, "%s/%s", tmpl, sub);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "PATH=\"$PATH:/usr/sbin\" '%s/tools/%s' start '%s'",
		 TOP_SRCDIR, tool, dir);
	FILE *f = popen(cmd, "r");
	if (!f)
		return -1;
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		char *eq = strchr(line, '=');
		if (eq) {
			*eq = '\0';
			setenv(line, eq + 1, 1);
		}
	}
	return pclose(f) == 0 ? 0 : -1;
}

/* Stop what server_start() started in dir and remove its directory. */
static void server_stop(const char *tool, char *dir)
{
	if (!dir[0])
		return;
	char *slash = strrchr(dir, '/');
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "'%s/tools/%s' stop '%s'; rm -rf '%.*s'", TOP_SRCDIR, tool,
		 dir, (int)(slash - dir), dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not stop the server in %s\n", dir);
	dir[0] = '\0';
}

static char pg_server_dir[64], mariadb_server_dir[64];

int tu_pg_server_installed(void)
{
	return system("command -v initdb >/dev/null 2>&1 || "
		      "ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1") == 0;
}

int tu_pg_server_start(void)
{
	return server_start("pg-test-server", "pg", pg_server_dir, sizeof(pg_server_dir));
}

void tu_pg_server_stop(void)
{
	server_stop("pg-test-server", pg_server_dir);
}

int tu_mariadb_server_installed(void)
{
	/* The server is installed and initialised by mariadb-install-db. */
	return system("{ command -v mariadbd || command -v mysqld || ls /usr/sbin/mariadbd || "
		      "ls /usr/sbin/mysqld; } >/dev/null 2>&1 && "
		      "{ command -v mariadb-install-db || command -v mysql_install_db; } "
		      ">/dev/null 2>&1") == 0;
}

int tu_mariadb_server_start(void)
{
	return server_start("mariadb-test-server", "mdb", mariadb_server_dir,
			    sizeof(mariadb_server_dir));
}

void tu_mariadb_server_stop(void)
{
	server_stop("mariadb-test-server", mariadb_server_dir);
}
