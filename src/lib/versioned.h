/* SPDX-License-Identifier: MIT */
/* Option structs that start with `unsigned int version` (libgit2's habit):
 * an application built against an older flux.h passes a smaller struct
 * with a smaller version, and libflux touches only the bytes that version
 * has.  Each struct keeps a table, indexed by version, of the size its
 * layout had then; the table only ever grows. */
#ifndef FLUX_VERSIONED_H
#define FLUX_VERSIONED_H

#include <stddef.h>
#include <flux/flux.h>

#pragma GCC visibility push(hidden)

/* Copy into full (the library's layout, already holding the defaults) the
 * first sizes[version] bytes of the caller's struct; FLUX_ERR_INVALID,
 * naming the struct, for version 0 or one above latest.  sizes has
 * latest + 1 entries. */
int flux_versioned_read(const void *caller, void *full, const size_t *sizes,
			unsigned int latest, const char *name, flux_error *err);
/* Write the first sizes[version] bytes of full (the defaults) to the
 * caller's struct, with its version field set; FLUX_ERR_INVALID, writing
 * nothing, for version 0 or one above latest. */
int flux_versioned_init(void *caller, void *full, unsigned int version, const size_t *sizes,
			unsigned int latest);

#pragma GCC visibility pop

#endif
