/* SPDX-License-Identifier: MIT */
/* The file-name part of a new migration's id (slug.c). */
#ifndef FLUX_SLUG_H
#define FLUX_SLUG_H

#pragma GCC visibility push(hidden)

/* The Python tool's "-".join(desc.lower().split()); malloc'd, NULL when
 * out of memory. */
char *flux_slug(const char *desc);

#pragma GCC visibility pop

#endif
