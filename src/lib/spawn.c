/* SPDX-License-Identifier: MIT */
/* Running helper programs (python3, generator scripts) and capturing both
 * of their output streams without deadlock.
 *
 * Each helper runs in a process group of its own, so that it and whatever
 * it started die together: when flux_project_cancel() asks (from another
 * thread, hence the lock-free table of running groups), when its time
 * limit passes, when reading its output fails, and when it exits (a
 * background child it leaves behind would otherwise outlive flux, or hold
 * our pipes open for ever).  The group is a new session's: a helper has no
 * controlling terminal, so a terminal's Ctrl-C does not reach it behind
 * flux's back (flux's handler decides), and one that reads /dev/tty fails
 * at once instead of being stopped for ever (SIGTTIN), as a process group
 * in the background of flux's terminal would be. */
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

/* While a helper holds its pipes open, how often flux looks whether it has
 * exited (leaving a background child with the pipes) or was cancelled. */
#define TICK_MS 100

void flux_helpers_cancel(flux_helpers *h)
{
	/* Only atomics and kill(2): called from signal handlers.  The flag
	 * goes first, so a helper registered after the loop below looked at
	 * its slot sees it (flux_spawn_capture checks after registering). */
	atomic_store(&h->cancelled, 1);
	for (int i = 0; i < FLUX_HELPER_SLOTS; i++) {
		int group = atomic_load(&h->running[i]);
		if (group > 0)
			kill(-group, SIGKILL);
	}
}

static int claim_slot(flux_helpers *h, pid_t group)
{
	for (int i = 0; h && i < FLUX_HELPER_SLOTS; i++) {
		int free_slot = 0;
		if (atomic_compare_exchange_strong(&h->running[i], &free_slot, (int)group))
			return i;
	}
	/* No slot (more helpers at once than any caller runs): the loop
	 * below still sees the cancel flag within a tick. */
	return -1;
}

/* Whether the helper has exited, without reaping it: until it is reaped
 * its pid stays reserved, so killing its group cannot hit a stranger. */
static int has_exited(pid_t pid)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	       si.si_pid == pid;
}

struct streams {
	struct pollfd fds[2];
	flux_buf *bufs[2];
	int open;
	int failed;     /* errno that stops reading */
};

static void close_stream(struct streams *s, int i)
{
	close(s->fds[i].fd);
	s->fds[i].fd = -1;
	s->open--;
}

/* Read what is there now; with nonblock, until the pipe is empty. */
static void read_streams(struct streams *s, int nonblock)
{
	char chunk[65536];
	for (int i = 0; i < 2; i++) {
		if (s->fds[i].fd < 0)
			continue;
		if (nonblock)
			fcntl(s->fds[i].fd, F_SETFL, O_NONBLOCK);
		else if (!(s->fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		do {
			ssize_t n = read(s->fds[i].fd, chunk, sizeof(chunk));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN)
				break;
			if (n <= 0) {
				close_stream(s, i);
				break;
			}
			if (flux_buf_append(s->bufs[i], chunk, (size_t)n) < 0) {
				s->failed = ENOMEM;
				return;
			}
		} while (nonblock);
	}
}

enum outcome { DONE, CANCELLED, TIMED_OUT, READ_FAILED };

/* Collect the output until the helper has exited, or until a cancel, the
 * deadline (0: none) or a read error stops it. */
static enum outcome collect(pid_t pid, flux_helpers *h, double deadline, struct streams *s)
{
	int idle_ms = 0;
	for (;;) {
		if (h && atomic_load(&h->cancelled))
			return CANCELLED;
		int wait_ms = s->open ? TICK_MS : idle_ms;
		if (deadline > 0) {
			double left = deadline - flux_clock_now();
			if (left <= 0)
				return TIMED_OUT;
			if (left * 1000 < wait_ms)
				wait_ms = (int)(left * 1000) + 1;
		}
		if (has_exited(pid)) {
			/* All it wrote is in the pipes now; anything still
			 * holding them is a leftover: killed first, so that
			 * it cannot keep the reading below going. */
			kill(-pid, SIGKILL);
			read_streams(s, 1);
			return s->failed ? READ_FAILED : DONE;
		}
		/* With both pipes closed there is only the exit to wait for:
		 * usually microseconds away, so back off from 1 ms. */
		if (!s->open)
			idle_ms = idle_ms ? (idle_ms * 2 < TICK_MS ? idle_ms * 2 : TICK_MS) : 1;
		int n = poll(s->fds, 2, wait_ms);
		if (n < 0 && errno != EINTR) {
			s->failed = errno;
			return READ_FAILED;
		}
		if (n > 0)
			read_streams(s, 0);
		if (s->failed)
			return READ_FAILED;
	}
}

int flux_spawn_capture(const char *const argv[], const char *cwd, const char *name,
		       flux_helpers *h, flux_buf *out, flux_buf *errout, int *status,
		       flux_error *err)
{
	*status = 0;
	if (!name)
		name = argv[0];
	if (h && atomic_load(&h->cancelled))
		return flux_error_set(err, FLUX_ERR_CANCELLED, "cancelled before running %s",
				      name);
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
	/* Its own session and process group; no blocked signals (a signal
	 * handler or a thread may have some blocked now); SIGPIPE and SIGXFSZ
	 * at their defaults even if our process ignores them, so a pipeline
	 * inside a generator ends as it would from a shell. */
	posix_spawnattr_t at;
	posix_spawnattr_init(&at);
	sigset_t none, defaults;
	sigemptyset(&none);
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGPIPE);
	sigaddset(&defaults, SIGXFSZ);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &defaults);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
				      POSIX_SPAWN_SETSIGDEF);
	pid_t pid;
	int rc = strchr(argv[0], '/')
		? posix_spawn(&pid, argv[0], &fa, &at, (char *const *)argv, environ)
		: posix_spawnp(&pid, argv[0], &fa, &at, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(po[1]);
	close(pe[1]);
	if (rc != 0) {
		close(po[0]);
		close(pe[0]);
		return flux_error_set(err, FLUX_ERR_LOAD, "cannot run %s: %s", argv[0],
				      strerror(rc));
	}
	int slot = claim_slot(h, pid);
	double deadline = h && h->timeout > 0 ? flux_clock_now() + h->timeout : 0;
	struct streams s = {
		.fds = {{.fd = po[0], .events = POLLIN}, {.fd = pe[0], .events = POLLIN}},
		.bufs = {out, errout},
		.open = 2,
	};
	enum outcome how = collect(pid, h, deadline, &s);
	/* Whatever happened, nothing of its group outlives it.  The pid is
	 * not reaped yet, so the group id still names this group. */
	kill(-pid, SIGKILL);
	if (slot >= 0)
		atomic_store(&h->running[slot], 0);
	for (int i = 0; i < 2; i++)
		if (s.fds[i].fd >= 0)
			close(s.fds[i].fd);
	int ws = 0;
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	switch (how) {
	case CANCELLED:
		return flux_error_set(err, FLUX_ERR_CANCELLED, "cancelled while running %s",
				      name);
	case TIMED_OUT:
		*status = -1;
		flux_error_set(err, FLUX_ERR_LOAD, "%s did not finish within %g s "
			       "(--helper-timeout), so flux killed it", name, h->timeout);
		flux_error_at(err, name, 0);
		return FLUX_ERR_LOAD;
	case READ_FAILED:
		return flux_error_set(err, s.failed == ENOMEM ? FLUX_ERR_NOMEM : FLUX_ERR_IO,
				      "reading output of %s: %s", name, strerror(s.failed));
	case DONE:
		break;
	}
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	return FLUX_OK;
}
