/* SPDX-License-Identifier: MIT */
/* Registry internals shared by registry.c (scanning manifests) and
 * module.c (opening modules). */
#ifndef FLUX_REGISTRY_H
#define FLUX_REGISTRY_H

#include "internal.h"

#pragma GCC visibility push(hidden)

struct flux_backend_info {
	char *name;
	char *module;       /* resolved path */
	char *symbol;
	char *manifest;     /* manifest file path */
	int line;
	size_t dir_index;   /* which search directory */
	const struct flux_backend_info *shadowed_by;
	/* filled by module.c on first load */
	int load_tried;
	void *handle;       /* lt_dlhandle */
	const struct flux_backend *backend;
	flux_error load_error;
};

int flux_module_load(struct flux_backend_info *info, const struct flux_host *host,
		     flux_error *err);
void flux_module_unload(struct flux_backend_info *info);
int flux_module_system_init(flux_error *err);
void flux_module_system_exit(void);

#pragma GCC visibility pop

#endif
