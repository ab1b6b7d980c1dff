/* SPDX-License-Identifier: MIT */
/* Registry internals shared by registry.c (scanning manifests) and
 * module.c (opening modules). */
#ifndef FLUX_REGISTRY_H
#define FLUX_REGISTRY_H

#include <sys/stat.h>

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

/* enforce: check the module's trust (trust.c) before opening it. */
int flux_module_load(struct flux_backend_info *info, const struct flux_host *host,
		     int enforce, flux_error *err);
void flux_module_unload(struct flux_backend_info *info);
int flux_module_system_init(flux_error *err);
void flux_module_system_exit(void);

/* Trust in manifests, modules and their directories (trust.c). */
enum {
	FLUX_TRUST_OK,
	FLUX_TRUST_REFUSED,    /* the right type, but others could change it */
	FLUX_TRUST_WRONG_TYPE, /* not a regular file (or not a directory) */
	FLUX_TRUST_MISSING,    /* it, or a link on the way, does not exist */
	FLUX_TRUST_ERROR,      /* cannot be resolved or examined */
	FLUX_TRUST_NOMEM
};
/* 0 when FLUX_INSECURE_BACKENDS=1 (ignored in setuid/setgid processes). */
int flux_trust_enforced(void);
/* Resolve path (following links) into *real (caller frees, also on
 * failure), stat it into *st, and check that it is a regular file (a
 * directory with want_dir) and, when enforce, that only root or the
 * effective user can change it or any directory above it.  Anything but
 * FLUX_TRUST_OK leaves the reason in why; FLUX_TRUST_REFUSED also for a
 * directory above it. */
int flux_trust_path(const char *path, int want_dir, int enforce, char **real,
		    struct stat *st, char *why, size_t n);

#pragma GCC visibility pop

#endif
