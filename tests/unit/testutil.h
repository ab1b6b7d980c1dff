/* SPDX-License-Identifier: MIT */
/* Helpers for the Check suites: temporary trees and fixture manifests. */
#ifndef FLUX_TESTUTIL_H
#define FLUX_TESTUTIL_H

#include <check.h>

/* A fresh temporary directory; removed by tu_cleanup(). */
char *tu_tmpdir(void);
void tu_cleanup(void);
/* Write text to dir/name, creating parent directories. */
char *tu_write(const char *dir, const char *name, const char *text);
/* Copy fixture directory FIXTURES/name into a new temporary directory,
 * replacing @MODULES@ with the test modules' directory; returns it. */
char *tu_fixture(const char *name);
/* A test case whose temporary directories are removed after each test. */
TCase *tu_tcase(const char *name);
/* Run a suite with TAP on stdout and Check's summary; returns exit code. */
int tu_run(Suite *s);
/* A private PostgreSQL server (tools/pg-test-server) for the suites that
 * need one: whether its binaries (initdb) are installed; start it, setting
 * PGHOST, PGPORT and PGUSER for this process (0, or -1 when it did not
 * start); stop it and remove its directory (nothing when not started). */
int tu_pg_server_installed(void);
int tu_pg_server_start(void);
void tu_pg_server_stop(void);
/* A private MariaDB server (tools/mariadb-test-server), the same way:
 * whether its binaries (mariadbd or mysqld, maybe in /usr/sbin, and
 * mariadb-install-db) are installed; start it, setting MYSQL_UNIX_PORT and
 * MYSQL_TCP_PORT for this process (0, or -1 when it did not start); stop
 * it and remove its directory (nothing when not started). */
int tu_mariadb_server_installed(void);
int tu_mariadb_server_start(void);
void tu_mariadb_server_stop(void);

#endif
