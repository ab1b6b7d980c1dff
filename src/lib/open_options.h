/* SPDX-License-Identifier: MIT */
/* The caller's flux_open_options as the library's layout (open_options.c). */
#ifndef FLUX_OPEN_OPTIONS_H
#define FLUX_OPEN_OPTIONS_H

#include <flux/flux.h>

#pragma GCC visibility push(hidden)

/* full gets the defaults, then the fields the caller's version has;
 * FLUX_ERR_INVALID for a version this library does not know. */
int flux_open_options_read(const flux_open_options *caller, flux_open_options *full,
			   flux_error *err);

#pragma GCC visibility pop

#endif
