/* SPDX-License-Identifier: MIT */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_util.h"

static char dir[PATH_MAX];

void fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: fuzz assertion failed: %s\n", file, line, what);
	abort();
}

/* Remove the entries of the directory open as fd, recursing one level at
 * a time; the harnesses never create deep trees. */
static void clear_at(int fd)
{
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			continue;
		if (errno != EISDIR && errno != EPERM)
			continue;
		int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
		if (sub >= 0)
			clear_at(sub);
		unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

void fuzz_clear(void)
{
	int fd = open(fuzz_dir(), O_RDONLY | O_DIRECTORY);
	if (fd >= 0)
		clear_at(fd);
}

static void remove_dir(void)
{
	if (dir[0]) {
		fuzz_clear();
		rmdir(dir);
	}
}

const char *fuzz_dir(void)
{
	if (dir[0])
		return dir;
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/flux-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("flux fuzz: mkdtemp");
		abort();
	}
	/* libFuzzer leaves through exit() after -runs or -max_total_time. */
	atexit(remove_dir);
	return dir;
}

const char *fuzz_write(const char *rel, const void *data, size_t size)
{
	static char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", fuzz_dir(), rel);
	/* Create the parents, as mkdir -p would. */
	for (char *s = path + strlen(fuzz_dir()) + 1; (s = strchr(s, '/')); s++) {
		*s = 0;
		int ok = mkdir(path, 0755) == 0 || errno == EEXIST;
		*s = '/';
		if (!ok) {
			perror(path);
			abort();
		}
	}
	FILE *f = fopen(path, "wb");
	if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
		perror(path);
		abort();
	}
	return path;
}

void fuzz_check_error(int rc, const flux_error *err)
{
	FUZZ_ASSERT(rc != FLUX_OK);
	FUZZ_ASSERT((int)err->code == rc);
	FUZZ_ASSERT(memchr(err->message, 0, sizeof(err->message)) != NULL);
	FUZZ_ASSERT(err->message[0] != 0);
	FUZZ_ASSERT(memchr(err->detail, 0, sizeof(err->detail)) != NULL);
	FUZZ_ASSERT(memchr(err->hint, 0, sizeof(err->hint)) != NULL);
	FUZZ_ASSERT(memchr(err->file, 0, sizeof(err->file)) != NULL);
	FUZZ_ASSERT(memchr(err->line_text, 0, sizeof(err->line_text)) != NULL);
	FUZZ_ASSERT(err->line >= 0 && err->column >= 0);
}

void fuzz_touch(const char *s)
{
	FUZZ_ASSERT(s != NULL);
	volatile size_t n = strlen(s);
	(void)n;
}
