/* SPDX-License-Identifier: MIT */
/* Ctrl-C and SIGTERM while migrations run: ask libflux to cancel, so the
 * running migration rolls back on the server instead of going on (with
 * PostgreSQL it would even commit) after flux is gone.  A second signal
 * kills flux the default way. */
#include <config.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static flux_project *volatile running;
static volatile sig_atomic_t caught;
static struct sigaction old_int, old_term;

static void on_signal(int sig)
{
	static const char msg[] = "\nflux: interrupted: cancelling the running migration "
				  "(again to kill flux)\n";
	caught = sig;
	ssize_t ignored = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	(void)ignored;
	if (running)
		flux_project_cancel(running);
}

void cli_interrupt_begin(flux_project *p)
{
	caught = 0;
	running = p;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* One catch each; the next one gets the default action. */
	sa.sa_flags = SA_RESETHAND | SA_RESTART;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
}

int cli_interrupt_end(void)
{
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	running = NULL;
	return caught;
}
