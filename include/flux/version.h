/* SPDX-License-Identifier: MIT */
/* libflux's version (part of flux.h). */
#ifndef FLUX_API_VERSION_H
#define FLUX_API_VERSION_H

#ifdef __cplusplus
extern "C" {
#endif

const char *flux_version(void);

#ifdef __cplusplus
}
#endif
#endif
