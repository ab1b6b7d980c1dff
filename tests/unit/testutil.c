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

/* ---- a private PostgreSQL server ------------------------------------------ */

static char pg_server_dir[64];

int tu_pg_server_installed(void)
{
	return system("command -v initdb >/dev/null 2>&1 || "
		      "ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1") == 0;
}

int tu_pg_server_start(void)
{
	char tmpl[] = "/tmp/flux-pgtest-XXXXXX";
	if (!mkdtemp(tmpl))
		return -1;
	snprintf(pg_server_dir, sizeof(pg_server_dir), "%s/pg", tmpl);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "'%s/tools/pg-test-server' start '%s'", TOP_SRCDIR,
		 pg_server_dir);
	FILE *f = popen(cmd, "r");
	if (!f)
		return -1;
	/* Its output is NAME=VALUE lines for the client's environment. */
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

void tu_pg_server_stop(void)
{
	if (!pg_server_dir[0])
		return;
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "'%s/tools/pg-test-server' stop '%s'; rm -rf '%.*s'",
		 TOP_SRCDIR, pg_server_dir, (int)(strlen(pg_server_dir) - 3), pg_server_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not stop the server in %s\n", pg_server_dir);
	pg_server_dir[0] = '\0';
}

/* ---- a private MariaDB server --------------------------------------------- */

static char mariadb_server_dir[64];

int tu_mariadb_server_installed(void)
{
	/* Debian puts mariadbd in /usr/sbin, outside a user's PATH; the
	 * server is installed and initialised by mariadb-install-db. */
	return system("{ command -v mariadbd || command -v mysqld || ls /usr/sbin/mariadbd || "
		      "ls /usr/sbin/mysqld; } >/dev/null 2>&1 && "
		      "{ command -v mariadb-install-db || command -v mysql_install_db; } "
		      ">/dev/null 2>&1") == 0;
}

int tu_mariadb_server_start(void)
{
	char tmpl[] = "/tmp/flux-mdbtest-XXXXXX";
	if (!mkdtemp(tmpl))
		return -1;
	snprintf(mariadb_server_dir, sizeof(mariadb_server_dir), "%s/mdb", tmpl);
	char cmd[512];
	/* mariadb-admin and friends may sit in /usr/sbin too. */
	snprintf(cmd, sizeof(cmd), "PATH=\"$PATH:/usr/sbin\" '%s/tools/mariadb-test-server' "
		 "start '%s'", TOP_SRCDIR, mariadb_server_dir);
	FILE *f = popen(cmd, "r");
	if (!f)
		return -1;
	/* Its output is NAME=VALUE lines for the client's environment. */
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

void tu_mariadb_server_stop(void)
{
	if (!mariadb_server_dir[0])
		return;
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "'%s/tools/mariadb-test-server' stop '%s'; rm -rf '%.*s'",
		 TOP_SRCDIR, mariadb_server_dir, (int)(strlen(mariadb_server_dir) - 4),
		 mariadb_server_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not stop the server in %s\n", mariadb_server_dir);
	mariadb_server_dir[0] = '\0';
}
