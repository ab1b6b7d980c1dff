/* SPDX-License-Identifier: MIT */
/* Waiting for the migration lock: the one loop over the backend's
 * non-blocking try_lock() for every backend.  After a second of waiting
 * the holder is named in a warning; a time-out names it in the error;
 * flux_project_cancel() ends the wait at once. */
#include <config.h>
#include <errno.h>
#include <time.h>

#include "project.h"

/* Between two attempts: short enough that a lock freed by another flux is
 * taken at once, long enough not to load the database with queries. */
#define ATTEMPT_INTERVAL 0.03

/* Sleep up to seconds, or less when cancelled or when the migration files
 * turned out bad: returns whether either happened. */
static int nap(flux_project *p, double seconds)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	time_t whole = (time_t)seconds;
	until.tv_sec += whole;
	until.tv_nsec += (long)((seconds - (double)whole) * 1e9);
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&p->wait_lock);
	while (!atomic_load(&p->cancelled) && !atomic_load(&p->files_failed) &&
	       pthread_cond_timedwait(&p->wake, &p->wait_lock, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&p->wait_lock);
	return atomic_load(&p->cancelled) || atomic_load(&p->files_failed);
}

/* "the migration lock on app.db, held by another flux process"; the
 * holder is left out when the database cannot tell. */
static void describe(flux_project *p, char *out, size_t size)
{
	char lock[512] = "", holder[512] = "";
	p->backend->describe_lock(p->state, lock, sizeof(lock), holder, sizeof(holder));
	lock[sizeof(lock) - 1] = holder[sizeof(holder) - 1] = '\0';
	snprintf(out, size, "%s%s%s", lock[0] ? lock : "the migration lock",
		 holder[0] ? ", held by " : " (its holder is not known)", holder);
}

static int cancelled(flux_project *p, flux_error *err)
{
	/* The open reports the bad file instead of this. */
	if (atomic_load(&p->files_failed) && !atomic_load(&p->cancelled))
		return flux_error_set(err, FLUX_ERR_LOAD, "stopped waiting for the migration "
				      "lock: a migration file is bad");
	return flux_error_set(err, FLUX_ERR_CANCELLED, "cancelled while waiting for the "
			      "migration lock; nothing was changed");
}

int flux_lock_wait(flux_project *p, double timeout, flux_error *err)
{
	double start = flux_clock_now();
	int warned = 0;
	for (;;) {
		if (atomic_load(&p->cancelled) || atomic_load(&p->files_failed))
			return cancelled(p, err);
		int acquired = 0;
		int rc = p->backend->try_lock(p->state, &acquired, err);
		if (rc)
			return rc;
		if (acquired) {
			p->locked = 1;
			return FLUX_OK;
		}
		double waited = flux_clock_now() - start;
		if (timeout >= 0 && waited >= timeout) {
			char what[1100];
			describe(p, what, sizeof(what));
			return flux_error_set(err, FLUX_ERR_LOCK_TIMEOUT, "gave up after %.1f s "
					      "waiting for %s", waited, what);
		}
		if (!warned && waited >= 1.0) {
			char what[1100];
			describe(p, what, sizeof(what));
			flux_logf(&p->logger, FLUX_LOG_WARNING, "waiting for %s", what);
			warned = 1;
		}
		double pause = ATTEMPT_INTERVAL;
		if (timeout >= 0 && timeout - waited < pause)
			pause = timeout - waited > 0 ? timeout - waited : 0;
		if (nap(p, pause))
			return cancelled(p, err);
	}
}
