/* SPDX-License-Identifier: MIT */
/* The least a verified no-op over an SQLite database can do, as bench/run's
 * floor: list the migration directory, fstatat() each up .sql file (what
 * a hash-cache hit costs per file), and read the records through
 * libsqlite3.  No configuration, manifest, module, lock, cache file,
 * thread or plan: what flux costs above this is its own.  Not a migration
 * tool; it checks nothing.
 *   noop_floor DIR DATABASE TABLE */
#include <dirent.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int up_sql(const char *name)
{
	size_t len = strlen(name);
	return len > 4 && strcmp(name + len - 4, ".sql") == 0 &&
	       !(len > 9 && strcmp(name + len - 9, ".undo.sql") == 0);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: noop_floor DIR DATABASE TABLE\n");
		return 2;
	}
	DIR *d = opendir(argv[1]);
	if (!d) {
		perror(argv[1]);
		return 1;
	}
	long files = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		struct stat st;
		if (up_sql(e->d_name) && fstatat(dirfd(d), e->d_name, &st, 0) == 0)
			files++;
	}
	closedir(d);
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT id, hash, applied_at FROM \"%s\"", argv[3]);
	if (sqlite3_open_v2(argv[2], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", argv[2], sqlite3_errmsg(db));
		sqlite3_close(db);
		return 1;
	}
	long records = 0;
	while (sqlite3_step(st) == SQLITE_ROW)
		records += sqlite3_column_text(st, 0) != NULL;
	sqlite3_finalize(st);
	sqlite3_close(db);
	printf("%ld files, %ld records\n", files, records);
	return 0;
}
