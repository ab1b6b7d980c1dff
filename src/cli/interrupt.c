/* SPDX-License-Identifier: MIT */
/* Ctrl-C and SIGTERM while migrations run: ask libflux to cancel, so the
 * running migration rolls back on the server instead of going on (with
 * PostgreSQL it would even commit) after flux is gone.  A second signal
 * kills flux the default way.
 *
 * flux_project_cancel() may block (a backend may open a second connection
 * to cancel), so it is not for a signal handler: the handler only writes
 * the signal's number into a pipe, and a watcher thread reads it and
 * cancels.  The main thread's end of a phase takes the watcher's mutex,
 * so no cancel is still running when the project is closed.
 *
 * While the project opens, nothing has changed yet and flux dies of the
 * signal as it always did, but first the opening project is cancelled:
 * that kills the helper running then (the python3 evaluating .py
 * migrations, a generator), which runs in a process group of its own the
 * signal did not reach, and ends a wait for the lock, whose message is
 * printed before flux dies.  An open that does not end soon after (a
 * connection attempt that hangs) is not waited for. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* How long a cancelled open may take to return before flux dies anyway. */
#define OPEN_GRACE_SECONDS 2

enum phase { IDLE, OPENING, RUNNING };

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int started;             /* the watcher runs */
static int wake_fd[2] = {-1, -1};
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t phase_changed;
static enum phase phase;        /* under lock */
static flux_project *target;    /* under lock: the project to cancel */
static atomic_int caught;       /* written by the handler */
static struct sigaction old_int, old_term;

static void on_signal(int sig)
{
	int saved = errno;
	atomic_store(&caught, sig);
	unsigned char b = (unsigned char)sig;
	ssize_t ignored = write(wake_fd[1], &b, 1);
	(void)ignored;
	errno = saved;
}

/* In OPENING: give the cancelled open time to return (the main thread
 * then prints why and dies of the signal), else die now.  Called with
 * lock held. */
static void end_open_or_die(int sig)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += OPEN_GRACE_SECONDS;
	while (phase == OPENING &&
	       pthread_cond_timedwait(&phase_changed, &lock, &until) != ETIMEDOUT)
		;
	if (phase == OPENING)
		kill(getpid(), sig); /* the handler was reset: the default action */
}

static void *watch(void *arg)
{
	(void)arg;
	for (;;) {
		unsigned char b;
		ssize_t n = read(wake_fd[0], &b, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;
		pthread_mutex_lock(&lock);
		if (phase == RUNNING) {
			static const char msg[] = "\nflux: interrupted: cancelling the running "
						  "migration (again to kill flux)\n";
			ssize_t ignored = write(STDERR_FILENO, msg, sizeof(msg) - 1);
			(void)ignored;
		}
		if (phase != IDLE && target)
			flux_project_cancel(target);
		if (phase == OPENING)
			end_open_or_die(b);
		pthread_mutex_unlock(&lock);
	}
}

static void start_watcher(void)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&phase_changed, &ca);
	pthread_condattr_destroy(&ca);
	if (pipe(wake_fd) != 0)
		return;
	for (int i = 0; i < 2; i++)
		fcntl(wake_fd[i], F_SETFD, FD_CLOEXEC);
	/* A full pipe must never block the handler. */
	fcntl(wake_fd[1], F_SETFL, fcntl(wake_fd[1], F_GETFL) | O_NONBLOCK);
	/* The watcher takes no signals: they go to the threads that run. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_t t;
	if (pthread_create(&t, NULL, watch, NULL) == 0) {
		pthread_detach(t);
		started = 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void set_phase(enum phase ph, flux_project *p)
{
	pthread_mutex_lock(&lock);
	phase = ph;
	target = p;
	pthread_cond_broadcast(&phase_changed);
	pthread_mutex_unlock(&lock);
}

static void catch_signals(enum phase ph, flux_project *p)
{
	pthread_once(&once, start_watcher);
	atomic_store(&caught, 0);
	set_phase(ph, p);
	/* Without the watcher (no thread, no pipe) the default action stays:
	 * flux dies of the signal as before it had cancelling. */
	if (!started)
		return;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* One catch each; the next one gets the default action. */
	sa.sa_flags = SA_RESETHAND | SA_RESTART;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
}

static int release_signals(void)
{
	if (started) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
	}
	set_phase(IDLE, NULL);
	return atomic_load(&caught);
}

void cli_interrupt_begin(flux_project *p)
{
	catch_signals(RUNNING, p);
}

int cli_interrupt_end(void)
{
	return release_signals();
}

/* flux_open_options.opening: the project to cancel while it opens. */
static void on_opening(void *ctx, flux_project *p)
{
	(void)ctx;
	pthread_mutex_lock(&lock);
	if (phase == OPENING)
		target = p;
	pthread_mutex_unlock(&lock);
}

void cli_interrupt_open_begin(flux_open_options *o)
{
	catch_signals(OPENING, NULL);
	o->opening = on_opening;
	o->opening_ctx = NULL;
}

int cli_interrupt_open_end(void)
{
	return release_signals();
}

void cli_interrupt_die(int sig)
{
	fflush(stdout);
	fflush(stderr);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
	sigset_t one;
	sigemptyset(&one);
	sigaddset(&one, sig);
	pthread_sigmask(SIG_UNBLOCK, &one, NULL);
	raise(sig);
	_exit(128 + sig);
}
