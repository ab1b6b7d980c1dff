/* SPDX-License-Identifier: MIT */
/* Reading flux.toml into memory, bounded.
 *
 * Only a regular file is read, and never more than FLUX_TOML_MAX_BYTES of
 * it: a FIFO, a device (`-c /dev/zero`) or a runaway file is refused before
 * or while reading, never read whole.  Errors say what is really wrong
 * (permission denied, a directory), not "not found". */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "toml_value.h"

static int refuse(const char *path, const char *why, flux_error *err)
{
	flux_error_set(err, FLUX_ERR_CONFIG, "cannot read %s: %s", path, why);
	flux_error_at(err, path, 0);
	return FLUX_ERR_CONFIG;
}

static int too_big(const char *path, flux_error *err)
{
	flux_error_set(err, FLUX_ERR_CONFIG, "%s is larger than %d KiB; it cannot be a flux.toml",
		       path, FLUX_TOML_MAX_BYTES / 1024);
	flux_error_at(err, path, 0);
	return FLUX_ERR_CONFIG;
}

int flux_toml_read(const char *path, char **text, size_t *len, flux_error *err)
{
	*text = NULL;
	*len = 0;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer; the S_ISREG
	 * test below then refuses it.  It changes nothing for a regular file. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT) {
			flux_error_set(err, FLUX_ERR_NOT_FOUND, "%s not found", path);
			flux_error_at(err, path, 0);
			return FLUX_ERR_NOT_FOUND;
		}
		return refuse(path, strerror(errno), err);
	}
	struct stat st;
	int rc = FLUX_OK;
	if (fstat(fd, &st) < 0)
		rc = refuse(path, strerror(errno), err);
	else if (S_ISDIR(st.st_mode))
		rc = refuse(path, "it is a directory", err);
	else if (!S_ISREG(st.st_mode))
		rc = refuse(path, "not a regular file", err);
	else if (st.st_size > FLUX_TOML_MAX_BYTES)
		rc = too_big(path, err);
	if (rc) {
		close(fd);
		return rc;
	}
	/* One byte more than the limit, so a file that grew since fstat is
	 * caught rather than cut. */
	size_t cap = (size_t)st.st_size + 1, n = 0;
	char *buf = malloc(cap + 1);
	if (!buf) {
		close(fd);
		return flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
	}
	for (;;) {
		if (n == cap) {
			if (cap > FLUX_TOML_MAX_BYTES) {
				rc = too_big(path, err);
				break;
			}
			size_t ncap = cap * 2 > FLUX_TOML_MAX_BYTES + 1 ? FLUX_TOML_MAX_BYTES + 1
									 : cap * 2;
			char *p = realloc(buf, ncap + 1);
			if (!p) {
				rc = flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
				break;
			}
			buf = p;
			cap = ncap;
		}
		ssize_t got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = refuse(path, strerror(errno), err);
			break;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	if (rc) {
		free(buf);
		return rc;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return FLUX_OK;
}
