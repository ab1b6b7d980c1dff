/* SPDX-License-Identifier: MIT */
/* flux status codes, shared by libflux and backend plugins.
 *
 * These numbers are part of the ABI: they are never renumbered or reused.
 * New codes are only ever added at the end. */
#ifndef FLUX_STATUS_H
#define FLUX_STATUS_H

typedef enum flux_status {
	FLUX_OK = 0,
	FLUX_ERR_INVALID = 1,     /* bad argument from the caller */
	FLUX_ERR_CONFIG = 2,      /* flux.toml or [backend] options */
	FLUX_ERR_PLUGIN = 3,      /* manifest, module, symbol or ABI problem */
	FLUX_ERR_BACKEND = 4,     /* connection or database error outside a migration */
	FLUX_ERR_LOAD = 5,        /* a migration file could not be read or generated */
	FLUX_ERR_CORRUPT = 6,     /* applied migrations differ from the directory */
	FLUX_ERR_MIGRATION = 7,   /* a migration's SQL failed */
	FLUX_ERR_LOCK_TIMEOUT = 8,/* the migration lock was not obtained in time */
	FLUX_ERR_NOMEM = 9,
	FLUX_ERR_IO = 10,
	FLUX_ERR_NOT_FOUND = 11,  /* no such backend, migration id, ... */
	FLUX_ERR_UNSUPPORTED = 12,/* the backend lacks an optional operation */
	FLUX_ERR_CONNECTION = 13, /* the connection was lost while working */
	FLUX_ERR_INCOMPLETE = 14, /* a no-transaction migration stopped half-way */
	FLUX_ERR_CANCELLED = 15   /* flux_project_cancel() stopped the run */
} flux_status;

#endif
