/* SPDX-License-Identifier: MIT */
/* flux backends: what the manifest directories offer, and whether it loads. */
#include <config.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void help(void)
{
	printf("Usage: flux backends [OPTIONS]\n"
	       "\n"
	       "List the backends found in the manifest directories ($FLUX_BACKEND_PATH,\n"
	       "then %s): name, description, module, manifest line,\n"
	       "ABI version, and whether a definition is shadowed by an earlier one.\n"
	       "A manifest or module that anyone but root and you could change (or\n"
	       "that sits in such a directory) is listed as refused; see flux-backend(7).\n"
	       "\n"
	       "Options:\n"
	       "      --check    exit 1 when any manifest or module is broken, saying why\n"
	       "  -h, --help     show this help\n", flux_registry_system_dir());
}

/* The ABI 2.0 operations a backend may leave NULL, in the header's
 * order; the listing says which a module has (a bug report's first
 * question: does this backend cancel, describe its SQL, ...). */
static int has_run_step(const struct flux_backend *b) { return FLUX_BACKEND_HAS(b, run_step); }
static int has_cancel(const struct flux_backend *b) { return FLUX_BACKEND_HAS(b, cancel); }
static int has_redact_uri(const struct flux_backend *b) { return FLUX_BACKEND_HAS(b, redact_uri); }
static int has_describe_sql(const struct flux_backend *b)
{
	return FLUX_BACKEND_HAS(b, describe_sql);
}

static const struct {
	const char *name;
	int (*has)(const struct flux_backend *b);
} optional_ops[] = {
	{"run_step", has_run_step},
	{"cancel", has_cancel},
	{"redact_uri", has_redact_uri},
	{"describe_sql", has_describe_sql},
};

/* The listing for --json; the exit status as the text listing's. */
static int backends_json(flux_registry *reg, int check)
{
	json_t *dirs = json_array(), *list = json_array(), *problems = json_array();
	for (size_t i = 0; i < flux_registry_dir_count(reg); i++) {
		int exists;
		const char *d = flux_registry_dir(reg, i, &exists);
		json_array_append_new(dirs, json_pack("{s:o, s:b}", "path", cli_json_str(d),
						      "exists", exists));
	}
	size_t broken = 0;
	for (size_t i = 0; i < flux_registry_count(reg); i++) {
		const flux_backend_info *info = flux_registry_get(reg, i);
		const flux_backend_info *over = flux_backend_info_shadowed_by(info);
		const struct flux_backend *b = NULL;
		flux_error lerr;
		int rc = over ? FLUX_OK : flux_registry_load(reg, info, &b, &lerr);
		json_t *o = json_pack("{s:o, s:o, s:o, s:o, s:i}",
			"name", cli_json_str(flux_backend_info_name(info)),
			"module", cli_json_str(flux_backend_info_module(info)),
			"symbol", cli_json_str(flux_backend_info_symbol(info)),
			"manifest", cli_json_str(flux_backend_info_manifest(info)),
			"line", flux_backend_info_line(info));
		json_t *opt = json_array();
		for (size_t k = 0; b && k < sizeof(optional_ops) / sizeof(optional_ops[0]); k++)
			if (optional_ops[k].has(b))
				json_array_append_new(opt, json_string(optional_ops[k].name));
		char abi[32];
		if (b)
			snprintf(abi, sizeof(abi), "%u.%u", FLUX_ABI_MAJOR_OF(b->abi_version),
				 FLUX_ABI_MINOR_OF(b->abi_version));
		json_object_set_new(o, "description", cli_json_str(b ? b->description : NULL));
		json_object_set_new(o, "provides", cli_json_str(b ? b->name : NULL));
		json_object_set_new(o, "abi", b ? json_string(abi) : json_null());
		json_object_set_new(o, "optional", opt);
		json_object_set_new(o, "transactional_ddl", b ? json_boolean(b->capabilities &
			FLUX_CAP_TRANSACTIONAL_DDL) : json_null());
		json_object_set_new(o, "shadowed_by", over ? json_pack("{s:o, s:i}",
			"manifest", cli_json_str(flux_backend_info_manifest(over)),
			"line", flux_backend_info_line(over)) : json_null());
		json_object_set_new(o, "error", rc ? cli_json_error(&lerr, NULL) : json_null());
		broken += rc != 0;
		json_array_append_new(list, o);
	}
	size_t np = flux_registry_problem_count(reg);
	for (size_t i = 0; i < np; i++)
		json_array_append_new(problems, cli_json_error(flux_registry_problem(reg, i), NULL));
	cli_json_set("search_path", dirs);
	cli_json_set("backends", list);
	cli_json_set("problems", problems);
	if (check && (broken || np))
		return cli_fail(FLUX_ERR_PLUGIN, NULL, NULL, "%zu broken backend%s, %zu manifest "
				"problem%s", broken, broken == 1 ? "" : "s", np, np == 1 ? "" : "s");
	return EXIT_OK;
}

int cmd_backends(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"check", no_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int check = 0, c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': check = 1; break;
		case 'h': help(); return EXIT_OK;
		default: fprintf(stderr, "Try 'flux backends --help'.\n"); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_usage_error("backends", "unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	flux_registry *reg;
	flux_error err;
	if (flux_registry_open(cli->backend_path, &reg, &err)) {
		cli_print_error(&err);
		return cli_exit_code(&err);
	}
	if (cli_json_on()) {
		int rc = backends_json(reg, check);
		flux_registry_free(reg);
		return rc;
	}
	printf("Search path:\n");
	for (size_t i = 0; i < flux_registry_dir_count(reg); i++) {
		int exists;
		const char *d = flux_registry_dir(reg, i, &exists);
		printf("  %s%s\n", d, exists ? "" : " (missing)");
	}
	/* Said here because nothing else would show it; libflux reads the
	 * same variable the same way (trust.c). */
	const char *insecure = secure_getenv("FLUX_INSECURE_BACKENDS");
	if (insecure && strcmp(insecure, "1") == 0)
		printf("Trust checks: off (FLUX_INSECURE_BACKENDS=1)\n");
	size_t broken = 0;
	printf("\nBackends:\n");
	if (flux_registry_count(reg) == 0)
		printf("  (none)\n");
	for (size_t i = 0; i < flux_registry_count(reg); i++) {
		const flux_backend_info *info = flux_registry_get(reg, i);
		const flux_backend_info *over = flux_backend_info_shadowed_by(info);
		const struct flux_backend *b = NULL;
		flux_error lerr;
		int rc = over ? FLUX_OK : flux_registry_load(reg, info, &b, &lerr);
		printf("  %s", flux_backend_info_name(info));
		if (b)
			printf("  %s", b->description ? b->description : "");
		printf("\n    module    %s:%s\n", flux_backend_info_module(info),
		       flux_backend_info_symbol(info));
		printf("    manifest  %s:%d\n", flux_backend_info_manifest(info),
		       flux_backend_info_line(info));
		if (b) {
			printf("    abi       %u.%u\n", FLUX_ABI_MAJOR_OF(b->abi_version),
			       FLUX_ABI_MINOR_OF(b->abi_version));
			const char *sep = "";
			printf("    optional ");
			for (size_t k = 0; k < sizeof(optional_ops) / sizeof(optional_ops[0]); k++)
				if (optional_ops[k].has(b)) {
					printf("%s %s", sep, optional_ops[k].name);
					sep = ",";
				}
			printf("%s\n", *sep ? "" : " none");
			printf("    DDL       %s\n", b->capabilities & FLUX_CAP_TRANSACTIONAL_DDL
			       ? "transactional" : "not transactional (statement by statement, "
			       "with marks)");
			if (strcmp(b->name, flux_backend_info_name(info)) != 0)
				printf("    provides  '%s' (the module's own name)\n", b->name);
		}
		if (over)
			printf("    shadowed  by %s:%d\n", flux_backend_info_manifest(over),
			       flux_backend_info_line(over));
		if (rc) {
			broken++;
			printf("    BROKEN    %s\n", lerr.message);
			if (check) {
				if (lerr.detail[0])
					printf("              %s\n", lerr.detail);
				if (lerr.hint[0])
					printf("              hint: %s\n", lerr.hint);
			}
		}
	}
	size_t np = flux_registry_problem_count(reg);
	if (np) {
		printf("\nManifest problems:\n");
		for (size_t i = 0; i < np; i++)
			printf("  %s\n", flux_registry_problem(reg, i)->message);
	}
	flux_registry_free(reg);
	if (check && (broken || np)) {
		fprintf(stderr, "flux: error: %zu broken backend%s, %zu manifest problem%s\n",
			broken, broken == 1 ? "" : "s", np, np == 1 ? "" : "s");
		return EXIT_ERROR;
	}
	return EXIT_OK;
}
