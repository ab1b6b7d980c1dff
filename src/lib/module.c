/* SPDX-License-Identifier: MIT */
/* Opening backend modules with libltdl and verifying what they register.
 *
 * libltdl opens modules lazily, so a module with an unresolved symbol would
 * load and then kill the process on first call, and when a file exists but
 * cannot be loaded lt_dlerror() may only say "file not found".  So each
 * module is first opened with dlopen(RTLD_NOW): that binds every symbol now
 * and gives the loader's real reason on failure.  libltdl then opens the
 * already-loaded object and owns it from there. */
#include <config.h>
#include <dlfcn.h>
#include <ltdl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "registry.h"

int flux_module_system_init(flux_error *err)
{
	if (lt_dlinit() != 0)
		return flux_error_set(err, FLUX_ERR_PLUGIN, "cannot initialise libltdl: %s",
				      lt_dlerror());
	return FLUX_OK;
}

void flux_module_system_exit(void)
{
	lt_dlexit();
}

void flux_module_unload(struct flux_backend_info *info)
{
	if (info->handle)
		lt_dlclose(info->handle);
	info->handle = NULL;
	info->backend = NULL;
}

static int fail(struct flux_backend_info *info, flux_error *err, const char *fmt, ...)
	FLUX_PRINTF(3, 4);

static int fail(struct flux_backend_info *info, flux_error *err, const char *fmt, ...)
{
	char msg[FLUX_ERROR_MESSAGE_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	flux_error_set(err, FLUX_ERR_PLUGIN, "%s:%d: backend '%s': %s", info->manifest,
		       info->line, info->name, msg);
	flux_error_at(err, info->manifest, info->line);
	return FLUX_ERR_PLUGIN;
}

static const char *missing_operation(const struct flux_backend *b)
{
#define REQUIRE(op) if (!b->op) return #op
	REQUIRE(create);
	REQUIRE(destroy);
	REQUIRE(connect);
	REQUIRE(disconnect);
	REQUIRE(lock);
	REQUIRE(unlock);
	REQUIRE(begin);
	REQUIRE(commit);
	REQUIRE(rollback);
	REQUIRE(is_initialized);
	REQUIRE(initialize);
	REQUIRE(register_migration);
	REQUIRE(unregister_migration);
	REQUIRE(apply);
	REQUIRE(list_applied);
#undef REQUIRE
	return NULL;
}

static int verify(struct flux_backend_info *info, const struct flux_backend *b,
		  flux_error *err)
{
	unsigned int major = FLUX_ABI_MAJOR_OF(b->abi_version);
	if (major != FLUX_BACKEND_ABI_MAJOR) {
		/* Nothing else in the struct can be trusted: report versions only. */
		fail(info, err, "incompatible backend ABI in %s", info->module);
		flux_error_detail(err, "flux uses backend ABI %u.%u, the module was built "
				  "for ABI %u.%u", FLUX_BACKEND_ABI_MAJOR,
				  FLUX_BACKEND_ABI_MINOR, major,
				  FLUX_ABI_MINOR_OF(b->abi_version));
		flux_error_hint(err, "rebuild the backend against this flux's headers "
				"(pkg-config flux-backend)");
		return FLUX_ERR_PLUGIN;
	}
	if (b->size < FLUX_BACKEND_MIN_SIZE)
		return fail(info, err, "struct flux_backend in %s is %u bytes; flux needs at "
			    "least %zu", info->module, b->size, (size_t)FLUX_BACKEND_MIN_SIZE);
	if (!b->name || !b->name[0])
		return fail(info, err, "the module %s registers a backend without a name",
			    info->module);
	/* The mark operations only make sense together (see backend.h). */
	size_t nmarks = (size_t)FLUX_BACKEND_HAS(b, mark_begin) +
			(size_t)FLUX_BACKEND_HAS(b, mark_end) +
			(size_t)FLUX_BACKEND_HAS(b, list_marks);
	if (nmarks != 0 && nmarks != 3)
		return fail(info, err, "the module %s provides only some of mark_begin, "
			    "mark_end and list_marks; it must provide all three or none",
			    info->module);
	const char *op = missing_operation(b);
	if (op)
		return fail(info, err, "required operation '%s' is NULL in %s", op,
			    info->module);
	return FLUX_OK;
}

/* The module's file may be opened only when nobody but root and the user
 * flux runs as can change it or a directory above it (trust.c).  *real is
 * the resolved path, which is what gets opened: a link changed after the
 * check changes nothing. */
static int trusted_file(struct flux_backend_info *info, int enforce, char **real,
			flux_error *err)
{
	struct stat st;
	char why[FLUX_ERROR_MESSAGE_MAX / 2];
	switch (flux_trust_path(info->module, 0, enforce, real, &st, why, sizeof(why))) {
	case FLUX_TRUST_OK:
		return FLUX_OK;
	case FLUX_TRUST_NOMEM:
		return flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
	case FLUX_TRUST_WRONG_TYPE:
		return fail(info, err, "module file %s is %s", info->module, why);
	case FLUX_TRUST_REFUSED:
		fail(info, err, "refused module %s: %s", info->module, why);
		flux_error_hint(err, "flux opens only modules that no one but root and the "
				"user flux runs as can change (chmod go-w, chown); "
				"FLUX_INSECURE_BACKENDS=1 turns this off for a development tree");
		return FLUX_ERR_PLUGIN;
	default:
		return fail(info, err, "module file %s: %s", info->module, why);
	}
}

static int load(struct flux_backend_info *info, const struct flux_host *host, int enforce,
		flux_error *err)
{
	char *real = NULL;
	int rc = trusted_file(info, enforce, &real, err);
	if (rc) {
		free(real);
		return rc;
	}
	void *probe = dlopen(real, RTLD_NOW | RTLD_LOCAL);
	if (!probe) {
		free(real);
		return fail(info, err, "cannot load module: %s", dlerror());
	}
	lt_dlhandle h = lt_dlopen(real);
	free(real);
	const char *why = h ? NULL : lt_dlerror();
	dlclose(probe);
	if (!h)
		return fail(info, err, "cannot load module %s: %s", info->module,
			    why ? why : "unknown error");
	void *sym = lt_dlsym(h, info->symbol);
	if (!sym) {
		lt_dlclose(h);
		return fail(info, err, "no entry point [%s] in module [%s]", info->symbol,
			    info->module);
	}
	flux_backend_register_fn reg;
	/* POSIX guarantees a dlsym result may be converted to a function. */
	memcpy(&reg, &sym, sizeof(reg));
	const struct flux_backend *b = reg(host);
	if (!b) {
		lt_dlclose(h);
		return fail(info, err, "registration function %s in %s returned no backend",
			    info->symbol, info->module);
	}
	rc = verify(info, b, err);
	if (rc) {
		lt_dlclose(h);
		return rc;
	}
	info->handle = h;
	info->backend = b;
	return FLUX_OK;
}

int flux_module_load(struct flux_backend_info *info, const struct flux_host *host,
		     int enforce, flux_error *err)
{
	if (!info->load_tried) {
		info->load_tried = 1;
		load(info, host, enforce, &info->load_error);
	}
	if (info->backend)
		return FLUX_OK;
	*err = info->load_error;
	return err->code;
}
