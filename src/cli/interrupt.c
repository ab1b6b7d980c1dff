/* SPDX-License-Identifier: MIT */
/* Ctrl-C and SIGTERM while migrations run: ask libflux to cancel, so the
 * running migration rolls back on the server instead of going on (with
 * PostgreSQL it would even commit) after flux is gone.  A second signal
 * kills flux the default way.
 *
 * While the project opens, nothing has changed yet and flux dies of the
 * signal as it always did, but first has libflux kill the helper running
 * then (the python3 evaluating .py migrations, a generator): it runs in a
 * process group of its own, which the signal did not reach. */
#include <config.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static flux_project *volatile running;
static flux_project *volatile opening;   /* set by libflux during open */
static volatile sig_atomic_t in_open;
static volatile sig_atomic_t caught;
static struct sigaction old_int, old_term;

static void on_signal(int sig)
{
	if (in_open) {
		flux_project *p = opening;
		if (p)
			flux_project_cancel(p);
		/* SA_RESETHAND has restored the default action, and the
		 * signal stays blocked until this handler returns: then it
		 * ends flux. */
		raise(sig);
		return;
	}
	static const char msg[] = "\nflux: interrupted: cancelling the running migration "
				  "(again to kill flux)\n";
	caught = sig;
	ssize_t ignored = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	(void)ignored;
	if (running)
		flux_project_cancel(running);
}

static void catch_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* One catch each; the next one gets the default action. */
	sa.sa_flags = SA_RESETHAND | SA_RESTART;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
}

void cli_interrupt_begin(flux_project *p)
{
	caught = 0;
	running = p;
	catch_signals();
}

flux_project *volatile *cli_interrupt_open_begin(void)
{
	opening = NULL;
	in_open = 1;
	catch_signals();
	return &opening;
}

void cli_interrupt_open_end(void)
{
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	in_open = 0;
	opening = NULL;
}

int cli_interrupt_end(void)
{
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	running = NULL;
	return caught;
}
