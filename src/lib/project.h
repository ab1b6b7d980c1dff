/* SPDX-License-Identifier: MIT */
/* The project object shared by project.c (open, records, validation) and
 * plan.c (planning and running). */
#ifndef FLUX_PROJECT_H
#define FLUX_PROJECT_H

#include <stdatomic.h>

#include "internal.h"

struct flux_project {
	flux_config *owned_config;
	const flux_config *config;
	flux_registry *registry;
	const struct flux_backend *backend;
	void *state;
	struct flux_logger logger;
	struct flux_host host;
	flux_migrations *migrations;
	flux_record *records;
	size_t nrecords, cap_records;
	flux_incomplete *marks;
	size_t nmarks, cap_marks;
	/* Set by flux_project_cancel() from a signal handler or another
	 * thread: a lock-free atomic serves both. */
	atomic_int cancelled;
	/* The .py evaluation and generators: time limit, running groups
	 * (killed by flux_project_cancel()). */
	flux_helpers helpers;
	int connected;
	int locked;
	int read_only;  /* opened without the lock: plans may not run */
	char *uri;
};

#endif
