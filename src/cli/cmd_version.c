/* SPDX-License-Identifier: MIT */
/* flux --version: the program, the backend ABI it speaks, and with -v
 * each backend it finds, so a bug report says what was loaded. */
#include <config.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cli_version(const struct cli *cli)
{
	printf("flux %s\n", flux_version());
	printf("backend ABI %u.%u\n", FLUX_BACKEND_ABI_MAJOR, FLUX_BACKEND_ABI_MINOR);
	if (!cli->verbose)
		return EXIT_OK;
	flux_registry *reg;
	flux_error err;
	if (flux_registry_open(cli->backend_path, &reg, &err)) {
		cli_print_error(&err);
		return cli_exit_code(&err);
	}
	printf("backends:\n");
	size_t n = flux_registry_count(reg);
	if (n == 0)
		printf("  (none)\n");
	int width = 0;
	for (size_t i = 0; i < n; i++) {
		int l = (int)strlen(flux_backend_info_name(flux_registry_get(reg, i)));
		width = l > width ? l : width;
	}
	for (size_t i = 0; i < n; i++) {
		const flux_backend_info *info = flux_registry_get(reg, i);
		printf("  %-*s  %s  ", width, flux_backend_info_name(info),
		       flux_backend_info_module(info));
		/* A shadowed definition is never used: not worth opening. */
		if (flux_backend_info_shadowed_by(info)) {
			printf("shadowed\n");
			continue;
		}
		const struct flux_backend *b;
		flux_error lerr;
		if (flux_registry_load(reg, info, &b, &lerr))
			printf("broken: %s\n", lerr.message);
		else
			printf("ABI %u.%u\n", FLUX_ABI_MAJOR_OF(b->abi_version),
			       FLUX_ABI_MINOR_OF(b->abi_version));
	}
	flux_registry_free(reg);
	return EXIT_OK;
}
