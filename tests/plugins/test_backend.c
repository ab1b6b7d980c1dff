/* SPDX-License-Identifier: MIT */
/* Test-only backends, one build per failure the host must catch.
 *
 * The good build ("test-good") keeps its records in a file named by the
 * URI (test:PATH), one `id hash` line each, so the runner can be driven
 * end to end through a module that is not SQLite.  SQL containing the word
 * FAIL fails at that word's position.  The failure variants are the same
 * file compiled with one defect each (see Makefile.am). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flux/backend.h>

struct tb {
	const struct flux_host *host;
	char path[1024];
};

static int tb_create(const struct flux_host *host, const struct flux_options *opts,
		     const char *uri, void **state, flux_error *err)
{
	if (strncmp(uri, "test:", 5) != 0)
		return host->error_set(err, FLUX_ERR_INVALID, "not a test URI: '%s'", uri);
	long long level;
	int rc = host->option_int(opts, "coolness_level", 0, &level, err);
	if (rc)
		return rc;
	struct tb *t = calloc(1, sizeof(*t));
	if (!t)
		return host->error_set(err, FLUX_ERR_NOMEM, "out of memory");
	t->host = host;
	snprintf(t->path, sizeof(t->path), "%s", uri + 5);
	*state = t;
	return FLUX_OK;
}

static void tb_destroy(void *state) { free(state); }
static int ok(void *state, flux_error *err) { (void)state; (void)err; return FLUX_OK; }
static int tb_lock(void *state, double timeout, flux_error *err) { return FLUX_OK; }

static int tb_is_initialized(void *state, int *init, flux_error *err)
{
	struct tb *t = state;
	FILE *f = fopen(t->path, "r");
	*init = f != NULL;
	if (f)
		fclose(f);
	return FLUX_OK;
}

static int tb_initialize(void *state, flux_error *err)
{
	struct tb *t = state;
	FILE *f = fopen(t->path, "a");
	if (!f)
		return t->host->error_set(err, FLUX_ERR_BACKEND, "cannot create %s", t->path);
	fclose(f);
	return FLUX_OK;
}

static int tb_register(void *state, const char *id, const char *hash, flux_error *err)
{
	struct tb *t = state;
	FILE *f = fopen(t->path, "a");
	if (!f)
		return t->host->error_set(err, FLUX_ERR_BACKEND, "cannot write %s", t->path);
	fprintf(f, "%s %s\n", id, hash);
	fclose(f);
	return FLUX_OK;
}

static int tb_unregister(void *state, const char *id, flux_error *err)
{
	struct tb *t = state;
	char tmp[1100], line[1024];
	snprintf(tmp, sizeof(tmp), "%s.tmp", t->path);
	FILE *in = fopen(t->path, "r"), *out = fopen(tmp, "w");
	size_t idl = strlen(id);
	while (in && out && fgets(line, sizeof(line), in))
		if (!(strncmp(line, id, idl) == 0 && line[idl] == ' '))
			fputs(line, out);
	if (in)
		fclose(in);
	if (out)
		fclose(out);
	rename(tmp, t->path);
	return FLUX_OK;
}

static int tb_apply(void *state, const char *sql, size_t len, unsigned int flags,
		    flux_error *err)
{
	struct tb *t = state;
	for (size_t i = 0; i + 4 <= len; i++)
		if (memcmp(sql + i, "FAIL", 4) == 0) {
			t->host->error_set(err, FLUX_ERR_BACKEND, "test backend refuses FAIL");
			err->position = (long)i + 1;
			return FLUX_ERR_BACKEND;
		}
	return FLUX_OK;
}

static int tb_list(void *state, flux_applied_fn fn, void *ctx, flux_error *err)
{
	struct tb *t = state;
	FILE *f = fopen(t->path, "r");
	char id[512], hash[64];
	while (f && fscanf(f, "%511s %63s", id, hash) == 2)
		if (fn(ctx, id, hash, "2024-01-01 00:00:00"))
			break;
	if (f)
		fclose(f);
	return FLUX_OK;
}

#ifdef TB_PARTIAL_MARKS
static int tb_mark_begin(void *state, const char *id, int direction, flux_error *err)
{
	(void)state; (void)id; (void)direction; (void)err;
	return FLUX_OK;
}
#endif

#ifndef TB_NAME
#define TB_NAME "test-good"
#endif
#ifndef TB_SYMBOL
#define TB_SYMBOL test_good_backend
#endif

static const struct flux_backend backend = {
#ifdef TB_WRONG_ABI
	.abi_version = (99u << 16) | 3u,
#elif defined(TB_ABI_1_0)
	.abi_version = 1u << 16,
#else
	.abi_version = FLUX_BACKEND_ABI_VERSION,
#endif
#ifdef TB_SMALL_STRUCT
	.size = 16,
#elif defined(TB_ABI_1_0)
	/* Built for ABI 1.0: the struct ended after run_step.  What follows is
	 * poison the host must never read. */
	.size = offsetof(struct flux_backend, mark_begin),
#else
	.size = sizeof(struct flux_backend),
#endif
	.name = TB_NAME,
	.description = "test backend keeping records in a text file (test:PATH)",
	.create = tb_create,
	.destroy = tb_destroy,
#ifndef TB_NULL_OP
	.connect = ok,
#endif
	.disconnect = ok,
	.lock = tb_lock,
	.unlock = ok,
	.begin = ok,
	.commit = ok,
	.rollback = ok,
	.is_initialized = tb_is_initialized,
	.initialize = tb_initialize,
	.register_migration = tb_register,
	.unregister_migration = tb_unregister,
	.apply = tb_apply,
	.list_applied = tb_list,
#ifdef TB_PARTIAL_MARKS
	/* One of the three mark operations without the other two. */
	.mark_begin = tb_mark_begin,
#endif
#ifdef TB_ABI_1_0
	.mark_begin = (int (*)(void *, const char *, int, flux_error *))1,
	.mark_end = (int (*)(void *, const char *, flux_error *))1,
	.list_marks = (int (*)(void *, flux_mark_fn, void *, flux_error *))1,
#endif
};

#ifdef TB_UNRESOLVED
/* Defined nowhere: the module links, but cannot be loaded. */
extern int flux_test_symbol_defined_nowhere(void);
#endif

FLUX_BACKEND_EXPORT const struct flux_backend *TB_SYMBOL(const struct flux_host *host);

const struct flux_backend *TB_SYMBOL(const struct flux_host *host)
{
#ifdef TB_UNRESOLVED
	if (flux_test_symbol_defined_nowhere())
		return NULL;
#endif
#ifdef TB_RETURNS_NULL
	(void)backend;
	return NULL;
#else
	(void)host;
	return &backend;
#endif
}
