/* SPDX-License-Identifier: MIT */
/* Live progress of apply and rollback.  On a terminal a step's line
 * appears when it starts, shows the seconds while it runs and is replaced
 * by its result and time; on a pipe or file each step gives a plain line
 * when it starts and one when it ends, flushed at once, so a deploy log
 * shows what runs now even if flux hangs or is killed. */
#include <config.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

struct cli_progress {
	int tty;
	int color;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t ticker;
	int have_ticker;
	int stop;
	/* The running step (tty only); label NULL when none. */
	const char *label;
	char id[FLUX_ERROR_ID_MAX];
	struct timespec started;
	long shown;   /* seconds last shown, -1 none */
};

int cli_color_enabled(int mode, int fd)
{
	if (mode >= 0)
		return mode;   /* --color=always / never */
	/* https://no-color.org: any non-empty NO_COLOR turns colour off. */
	const char *no = getenv("NO_COLOR");
	if (no && *no)
		return 0;
	const char *term = getenv("TERM");
	return isatty(fd) && !(term && strcmp(term, "dumb") == 0);
}

static const char *sgr(const struct cli_progress *pr, const char *code)
{
	return pr->color ? code : "";
}

static double elapsed(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Rewrite the running step's line with its seconds, once per second. */
static void *tick(void *arg)
{
	struct cli_progress *pr = arg;
	pthread_mutex_lock(&pr->lock);
	while (!pr->stop) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 250 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&pr->wake, &pr->lock, &until);
		if (pr->stop || !pr->label)
			continue;
		long s = (long)elapsed(&pr->started);
		if (s >= 1 && s != pr->shown) {
			pr->shown = s;
			printf("\r\033[K  %-10s %s %s%lds%s", pr->label, pr->id, sgr(pr, "\033[2m"), s,
			       sgr(pr, "\033[0m"));
			fflush(stdout);
		}
	}
	pthread_mutex_unlock(&pr->lock);
	return NULL;
}

struct cli_progress *cli_progress_new(int color_mode)
{
	struct cli_progress *pr = calloc(1, sizeof(*pr));
	if (!pr)
		return NULL;
	pr->tty = isatty(STDOUT_FILENO);
	pr->color = cli_color_enabled(color_mode, STDOUT_FILENO);
	pthread_mutex_init(&pr->lock, NULL);
	pthread_cond_init(&pr->wake, NULL);
	/* Without the ticker the terminal still gets start and end lines. */
	if (pr->tty)
		pr->have_ticker = pthread_create(&pr->ticker, NULL, tick, pr) == 0;
	return pr;
}

void cli_progress_free(struct cli_progress *pr)
{
	if (!pr)
		return;
	if (pr->have_ticker) {
		pthread_mutex_lock(&pr->lock);
		pr->stop = 1;
		pthread_cond_signal(&pr->wake);
		pthread_mutex_unlock(&pr->lock);
		pthread_join(pr->ticker, NULL);
	}
	pthread_cond_destroy(&pr->wake);
	pthread_mutex_destroy(&pr->lock);
	free(pr);
}

void cli_progress_event(struct cli_progress *pr, const flux_event *ev)
{
	flux_stage stage = flux_migration_stage(ev->migration);
	const char *id = flux_migration_id(ev->migration);
	pthread_mutex_lock(&pr->lock);
	if (ev->type == FLUX_EVENT_START) {
		const char *label = stage == FLUX_STAGE_PRE ? "pre-apply"
				    : stage == FLUX_STAGE_POST ? "post-apply"
				    : ev->direction == FLUX_PLAN_APPLY ? "applying" : "undoing";
		if (pr->tty) {
			/* No newline: the result replaces this line. */
			pr->label = label;
			snprintf(pr->id, sizeof(pr->id), "%s", id);
			clock_gettime(CLOCK_MONOTONIC, &pr->started);
			pr->shown = -1;
			printf("  %-10s %s", label, id);
		} else {
			printf("  %-10s %s ...\n", label, id);
		}
		fflush(stdout);
		pthread_mutex_unlock(&pr->lock);
		return;
	}
	const char *what = ev->type == FLUX_EVENT_FAILED ? "FAILED"
			   : stage == FLUX_STAGE_PRE ? "pre-apply"
			   : stage == FLUX_STAGE_POST ? "post-apply"
			   : ev->direction == FLUX_PLAN_APPLY ? "applied" : "undone";
	if (pr->tty)
		printf("\r\033[K");
	pr->label = NULL;
	printf("  %s%-10s%s %s %s(%.1f ms)%s\n",
	       sgr(pr, ev->type == FLUX_EVENT_FAILED ? "\033[1;31m" : "\033[32m"), what,
	       sgr(pr, "\033[0m"), id, sgr(pr, "\033[2m"), ev->seconds * 1000.0,
	       sgr(pr, "\033[0m"));
	fflush(stdout);
	pthread_mutex_unlock(&pr->lock);
}

const char *cli_progress_sgr(const struct cli_progress *pr, const char *code)
{
	return pr ? sgr(pr, code) : "";
}
