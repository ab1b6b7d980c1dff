/* SPDX-License-Identifier: MIT */
/* For tests/integration/cli_plugins.sh: the backend search path libflux
 * uses, and what loading one backend gives.  Linked with -no-install, so
 * the path to the uninstalled libflux is in the binary: the test runs a
 * setgid copy, for which the loader ignores LD_LIBRARY_PATH (and flux's
 * own libtool wrapper relies on it).
 * Usage: search_path [PATH|- [NAME]]  ("-": the default search path) */
#include <config.h>
#include <stdio.h>

#include <flux/flux.h>

int main(int argc, char **argv)
{
	flux_registry *reg;
	flux_error err;
	const char *path = argc > 1 && argv[1][0] != '-' ? argv[1] : NULL;
	if (flux_registry_open(path, &reg, &err)) {
		fprintf(stderr, "%s\n", err.message);
		return 1;
	}
	for (size_t i = 0; i < flux_registry_dir_count(reg); i++)
		printf("dir %s\n", flux_registry_dir(reg, i, NULL));
	int rc = 0;
	if (argc > 2) {
		const flux_backend_info *info = flux_registry_find(reg, argv[2]);
		const struct flux_backend *b;
		if (!info) {
			printf("no backend %s\n", argv[2]);
			rc = 1;
		} else if (flux_registry_load(reg, info, &b, &err)) {
			printf("%s\n", err.message);
			rc = 1;
		} else {
			printf("loaded %s\n", b->name);
		}
	}
	flux_registry_free(reg);
	return rc;
}
