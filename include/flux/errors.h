/* SPDX-License-Identifier: MIT */
/* Functions on the error record of error.h and on status codes (part of
 * flux.h).  error.h and status.h are shared with backends; these are
 * libflux's own. */
#ifndef FLUX_API_ERRORS_H
#define FLUX_API_ERRORS_H

#include <stddef.h>
#include <flux/status.h>
#include <flux/error.h>
#include <flux/backend.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A short English name for a status code ("migration failed", ...). */
const char *flux_status_name(flux_status code);

void flux_error_clear(flux_error *err);
int flux_error_set(flux_error *err, flux_status code, const char *fmt, ...)
	FLUX_PRINTF(3, 4);

#ifdef __cplusplus
}
#endif
#endif
