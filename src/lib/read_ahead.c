/* SPDX-License-Identifier: MIT */
/* Reading the next migrations' files while the running one is in the
 * database.  A migration whose hash the cache knew was not read when the
 * project opened; reading it between two commits (open, fstat, read,
 * read, close on the running thread, which otherwise waits on the
 * database) cost about 2% of applying 1000 small migrations to SQLite,
 * the gap between flux and the sqlite3 shell running the same
 * statements.  At most READ_AHEAD migrations ahead of the running one are
 * read, so a plan of large files does not hold many of them in memory
 * before their turn. */
#include <config.h>
#include <stdlib.h>

#include "project.h"

#define READ_AHEAD 16

static void *read_next(void *arg)
{
	struct flux_read_ahead *ra = arg;
	for (size_t i = 0; i < ra->n; i++) {
		if (!ra->want[i])
			continue;
		pthread_mutex_lock(&ra->lock);
		while (!ra->stop && i > ra->at + READ_AHEAD)
			pthread_cond_wait(&ra->moved, &ra->lock);
		int stop = ra->stop;
		pthread_mutex_unlock(&ra->lock);
		if (stop)
			break;
		/* One the running thread has reached is closed: not read. */
		flux_migration_ahead_read(ra->items[i]);
	}
	return NULL;
}

void flux_read_ahead_start(struct flux_read_ahead *ra, const flux_migration *const *items,
			   size_t n)
{
	*ra = (struct flux_read_ahead){.items = items, .n = n};
	size_t wanted = 0;
	ra->want = n ? calloc(n, 1) : NULL;
	for (size_t i = 0; i < n && ra->want; i++)
		wanted += ra->want[i] = (unsigned char)flux_migration_ahead_open(items[i]);
	if (wanted < 2)
		return; /* the running thread reads it as soon */
	pthread_mutex_init(&ra->lock, NULL);
	pthread_cond_init(&ra->moved, NULL);
	ra->started = pthread_create(&ra->thread, NULL, read_next, ra) == 0;
	if (!ra->started) {
		pthread_cond_destroy(&ra->moved);
		pthread_mutex_destroy(&ra->lock);
	}
}

void flux_read_ahead_at(struct flux_read_ahead *ra, size_t i)
{
	if (!ra->started)
		return;
	pthread_mutex_lock(&ra->lock);
	ra->at = i;
	pthread_cond_signal(&ra->moved);
	pthread_mutex_unlock(&ra->lock);
}

void flux_read_ahead_stop(struct flux_read_ahead *ra)
{
	if (ra->started) {
		pthread_mutex_lock(&ra->lock);
		ra->stop = 1;
		pthread_cond_signal(&ra->moved);
		pthread_mutex_unlock(&ra->lock);
		pthread_join(ra->thread, NULL);
		pthread_cond_destroy(&ra->moved);
		pthread_mutex_destroy(&ra->lock);
	}
	for (size_t i = 0; i < ra->n && ra->want; i++)
		if (ra->want[i])
			flux_migration_ahead_close(ra->items[i]);
	free(ra->want);
	ra->want = NULL;
	ra->started = 0;
}
