/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: backend manifests through the public registry API.
 * The input becomes a.ini in a manifest directory (and, after the first
 * form feed, b.ini, so shadowing between files is reached); the registry
 * is opened and every entry and problem looked at.  Modules are never
 * loaded: that would run whatever code a path names. */
#include <config.h>

#include <string.h>

#include <flux/flux.h>
#include "fuzz_util.h"

static void check_registry(const flux_registry *reg)
{
	size_t n = flux_registry_count(reg);
	for (size_t i = 0; i < n; i++) {
		const flux_backend_info *info = flux_registry_get(reg, i);
		FUZZ_ASSERT(info != NULL);
		const char *name = flux_backend_info_name(info);
		fuzz_touch(name);
		fuzz_touch(flux_backend_info_module(info));
		fuzz_touch(flux_backend_info_symbol(info));
		fuzz_touch(flux_backend_info_manifest(info));
		FUZZ_ASSERT(flux_backend_info_line(info) > 0);
		/* A name resolves to a visible entry of that name; an entry is
		 * shadowed exactly when it is not the one found. */
		const flux_backend_info *found = flux_registry_find(reg, name);
		FUZZ_ASSERT(found != NULL);
		FUZZ_ASSERT(strcmp(flux_backend_info_name(found), name) == 0);
		FUZZ_ASSERT(flux_backend_info_shadowed_by(found) == NULL);
		FUZZ_ASSERT((flux_backend_info_shadowed_by(info) == NULL) == (found == info));
	}
	for (size_t i = 0; i < flux_registry_problem_count(reg); i++) {
		const flux_error *e = flux_registry_problem(reg, i);
		FUZZ_ASSERT(e != NULL);
		fuzz_check_error(e->code, e);
	}
	for (size_t i = 0; i < flux_registry_dir_count(reg); i++) {
		int exists = -1;
		fuzz_touch(flux_registry_dir(reg, i, &exists));
		FUZZ_ASSERT(exists == 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *ff = memchr(data, '\f', size);
	size_t first = ff ? (size_t)(ff - data) : size;
	fuzz_write("a.ini", data, first);
	if (ff)
		fuzz_write("b.ini", ff + 1, size - first - 1);
	flux_registry *reg = NULL;
	flux_error err;
	memset(&err, 0, sizeof(err));
	/* Only this directory: the system one may hold anything. */
	int rc = flux_registry_open(fuzz_dir(), &reg, &err);
	if (rc == FLUX_OK) {
		FUZZ_ASSERT(reg != NULL);
		check_registry(reg);
		flux_registry_free(reg);
	} else {
		fuzz_check_error(rc, &err);
	}
	fuzz_clear();
	return 0;
}
