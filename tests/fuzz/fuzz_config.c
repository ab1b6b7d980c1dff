/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: flux.toml through the public flux_config_load(), the
 * way the CLI reads it (from a file), so the whole reader is exercised
 * whatever its internals.  Besides memory errors it checks what the API
 * promises: failure leaves no config and explains itself with a line;
 * success gives the required keys and readable options. */
#include <config.h>

#include <string.h>

#include <flux/flux.h>
#include "fuzz_util.h"

static void check_options(const struct flux_options *o)
{
	size_t n = flux_options_count(o);
	for (size_t i = 0; i < n; i++) {
		const char *key = flux_options_key(o, i);
		fuzz_touch(key);
		FUZZ_ASSERT(flux_options_line(o, i) > 0);
		/* Each typed read either succeeds or says why; never both. */
		flux_error err;
		const char *s = NULL;
		int rc = flux_options_string(o, key, "default", &s, &err);
		if (rc == FLUX_OK)
			fuzz_touch(s);
		else
			fuzz_check_error(rc, &err);
		long long v;
		rc = flux_options_int(o, key, 0, &v, &err);
		if (rc != FLUX_OK)
			fuzz_check_error(rc, &err);
		int b;
		rc = flux_options_bool(o, key, 0, &b, &err);
		if (rc == FLUX_OK)
			FUZZ_ASSERT(b == 0 || b == 1);
		else
			fuzz_check_error(rc, &err);
		/* Only the first of duplicate keys is what a read finds. */
		size_t first = 0;
		while (strcmp(flux_options_key(o, first), key) != 0)
			first++;
		FUZZ_ASSERT(first < i || flux_options_used(o, i));
	}
	/* A key nobody wrote gives the default. */
	const char *s = NULL;
	flux_error err;
	if (flux_options_string(o, "\x01not a key", "d", &s, &err) == FLUX_OK)
		FUZZ_ASSERT(strcmp(s, "d") == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_write("flux.toml", data, size);
	flux_config *cfg = NULL;
	flux_error err;
	memset(&err, 0, sizeof(err));
	int rc = flux_config_load(path, &cfg, &err);
	if (rc != FLUX_OK) {
		fuzz_check_error(rc, &err);
		FUZZ_ASSERT(cfg == NULL);
	} else {
		FUZZ_ASSERT(cfg != NULL);
		fuzz_touch(flux_config_path(cfg));
		fuzz_touch(flux_config_backend(cfg));
		fuzz_touch(flux_config_migration_directory(cfg));
		fuzz_touch(flux_config_migration_path(cfg));
		const char *level = flux_config_log_level(cfg);
		if (level)
			fuzz_touch(level);
		int r = flux_config_apply_repeatable_on_undo(cfg);
		FUZZ_ASSERT(r == 0 || r == 1);
		check_options(flux_config_backend_options(cfg));
		flux_config_free(cfg);
	}
	fuzz_clear();
	return 0;
}
