/* SPDX-License-Identifier: MIT */
/* The backend registry: manifest discovery and module loading (part of
 * flux.h). */
#ifndef FLUX_API_REGISTRY_H
#define FLUX_API_REGISTRY_H

#include <stddef.h>
#include <flux/error.h>
#include <flux/backend.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct flux_registry flux_registry;
typedef struct flux_backend_info flux_backend_info;

/* The compiled-in manifest directories searched after FLUX_BACKEND_PATH,
 * colon-separated, in search order. */
const char *flux_registry_system_dir(void);

/* Scan manifest directories.  search_path is a colon-separated list; NULL
 * means $FLUX_BACKEND_PATH followed by the system directory.  Manifests
 * are read now, modules opened only by flux_registry_load().  Problems
 * with single manifests or lines do not fail the scan: they are kept as
 * problems (see below) and the good entries stay usable.  Fails only when
 * out of memory. */
int flux_registry_open(const char *search_path, flux_registry **out,
		       flux_error *err);
void flux_registry_free(flux_registry *reg);
size_t flux_registry_count(const flux_registry *reg);
const flux_backend_info *flux_registry_get(const flux_registry *reg, size_t i);
/* The visible (first, unshadowed) backend of that name, or NULL. */
const flux_backend_info *flux_registry_find(const flux_registry *reg,
					    const char *name);
/* The directories searched, in order, and whether each exists. */
size_t flux_registry_dir_count(const flux_registry *reg);
const char *flux_registry_dir(const flux_registry *reg, size_t i, int *exists);
size_t flux_registry_problem_count(const flux_registry *reg);
const flux_error *flux_registry_problem(const flux_registry *reg, size_t i);

/* Open the module, resolve and call its registration function, verify the
 * result.  Repeated calls return the same struct. */
int flux_registry_load(flux_registry *reg, const flux_backend_info *info,
		       const struct flux_backend **out, flux_error *err);

const char *flux_backend_info_name(const flux_backend_info *info);
const char *flux_backend_info_module(const flux_backend_info *info);
const char *flux_backend_info_symbol(const flux_backend_info *info);
const char *flux_backend_info_manifest(const flux_backend_info *info);
int flux_backend_info_line(const flux_backend_info *info);
/* NULL when visible, else the entry that shadows it. */
const flux_backend_info *flux_backend_info_shadowed_by(const flux_backend_info *info);

#ifdef __cplusplus
}
#endif
#endif
