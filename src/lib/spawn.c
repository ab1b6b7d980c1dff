/* SPDX-License-Identifier: MIT */
/* Running helper programs (python3, generator scripts) and capturing both
 * of their output streams without deadlock. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

extern char **environ;

int flux_spawn_capture(const char *const argv[], const char *cwd, flux_buf *out,
		       flux_buf *errout, int *status, flux_error *err)
{
	int po[2], pe[2];
	if (pipe2(po, O_CLOEXEC) < 0)
		return flux_error_set(err, FLUX_ERR_IO, "pipe: %s", strerror(errno));
	if (pipe2(pe, O_CLOEXEC) < 0) {
		close(po[0]);
		close(po[1]);
		return flux_error_set(err, FLUX_ERR_IO, "pipe: %s", strerror(errno));
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	/* posix_spawn has no portable chdir action before glibc 2.29's
	 * addchdir_np; Debian 12 has it. */
	if (cwd)
		posix_spawn_file_actions_addchdir_np(&fa, cwd);
	pid_t pid;
	int rc = strchr(argv[0], '/')
		? posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ)
		: posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(po[1]);
	close(pe[1]);
	if (rc != 0) {
		close(po[0]);
		close(pe[0]);
		return flux_error_set(err, FLUX_ERR_LOAD, "cannot run %s: %s", argv[0],
				      strerror(rc));
	}
	struct pollfd fds[2] = {{.fd = po[0], .events = POLLIN}, {.fd = pe[0], .events = POLLIN}};
	flux_buf *bufs[2] = {out, errout};
	int open_fds = 2, failed = 0;
	char chunk[65536];
	while (open_fds > 0) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			failed = errno;
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t n = read(fds[i].fd, chunk, sizeof(chunk));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				close(fds[i].fd);
				fds[i].fd = -1;
				open_fds--;
				continue;
			}
			if (flux_buf_append(bufs[i], chunk, (size_t)n) < 0)
				failed = ENOMEM;
		}
		if (failed)
			break;
	}
	for (int i = 0; i < 2; i++)
		if (fds[i].fd >= 0)
			close(fds[i].fd);
	if (failed)
		kill(pid, SIGKILL);
	int ws;
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	if (failed)
		return flux_error_set(err, failed == ENOMEM ? FLUX_ERR_NOMEM : FLUX_ERR_IO,
				      "reading output of %s: %s", argv[0], strerror(failed));
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	return FLUX_OK;
}
