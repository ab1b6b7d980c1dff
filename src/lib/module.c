/* SPDX-License-Identifier: MIT */
/* Opening backend modules with libltdl and verifying what they register.
 *
 * libltdl opens modules lazily, so a module with an unresolved symbol would
 * load and then kill the process on first call, and when a file exists but
 * cannot be loaded lt_dlerror() may only say "file not found".  So each
 * module is first opened with dlopen(RTLD_NOW): that binds every symbol now
 * and gives the loader's real reason on failure.  libltdl then opens the
 * already-loaded object and owns it from there.
 *
 * Then the module's ABI stamp (FLUX_BACKEND_MODULE) is read before any of
 * its code runs: a module of another major is refused without being
 * called, and one without a stamp (ABI 1.x) is refused too, after asking
 * its 1.x registration function only for the version to report. */
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
	REQUIRE(try_lock);
	REQUIRE(unlock);
	REQUIRE(describe_lock);
	REQUIRE(begin);
	REQUIRE(commit);
	REQUIRE(rollback);
	REQUIRE(is_initialized);
	REQUIRE(initialize);
	REQUIRE(register_migration);
	REQUIRE(unregister_migration);
	REQUIRE(list_applied);
	REQUIRE(mark_save);
	REQUIRE(mark_delete);
	REQUIRE(list_marks);
	REQUIRE(execute);
	REQUIRE(split);
#undef REQUIRE
	return NULL;
}

/* Nothing in a module of another major can be trusted: only the two
 * versions are reported. */
static int incompatible(struct flux_backend_info *info, const char *theirs, flux_error *err)
{
	fail(info, err, "incompatible backend ABI in %s", info->module);
	flux_error_detail(err, "flux uses backend ABI %u.%u, the module was built for ABI %s",
			  FLUX_BACKEND_ABI_MAJOR, FLUX_BACKEND_ABI_MINOR, theirs);
	flux_error_hint(err, "rebuild the backend against this flux's headers "
			"(pkg-config flux-backend)");
	return FLUX_ERR_PLUGIN;
}

static int incompatible_version(struct flux_backend_info *info, unsigned int v,
				flux_error *err)
{
	char theirs[32];
	snprintf(theirs, sizeof(theirs), "%u.%u", FLUX_ABI_MAJOR_OF(v), FLUX_ABI_MINOR_OF(v));
	return incompatible(info, theirs, err);
}

static int verify(struct flux_backend_info *info, const struct flux_backend *b,
		  flux_error *err)
{
	if (FLUX_ABI_MAJOR_OF(b->abi_version) != FLUX_BACKEND_ABI_MAJOR)
		return incompatible_version(info, b->abi_version, err);
	if (b->size < FLUX_BACKEND_MIN_SIZE)
		return fail(info, err, "struct flux_backend in %s is %u bytes; flux needs at "
			    "least %zu", info->module, b->size, (size_t)FLUX_BACKEND_MIN_SIZE);
	if (!b->name || !b->name[0])
		return fail(info, err, "the module %s registers a backend without a name",
			    info->module);
	const char *op = missing_operation(b);
	if (op)
		return fail(info, err, "required operation '%s' is NULL in %s", op,
			    info->module);
	return FLUX_OK;
}

/* ABI 1.x, which had no module stamp: its registration function was
 * const struct flux_backend_v1 *fn(const struct flux_host *), and its
 * struct began with these two fields (as struct flux_host still does). */
struct flux_backend_v1 {
	unsigned int abi_version;
	unsigned int size;
};
/* Called with the 2.0 arguments: a 1.x function ignores the two it does
 * not take (the caller owns the argument registers and stack in every C
 * calling convention flux runs on), and a 2.0 function whose stamp was
 * lost (not exported) gets valid out and err instead of stray values,
 * so it cannot write through them. */
typedef const struct flux_backend_v1 *(*register_v1_fn)(
	const struct flux_host *host, const struct flux_backend **out, flux_error *err);

/* A module without the stamp: tell a 1.x module's minor from what its
 * registration returns, and a 2.0 module that lost its stamp from the
 * struct it hands back.  Always refuses. */
static int refuse_unstamped(struct flux_backend_info *info, void *sym,
			    const struct flux_host *host, flux_error *err)
{
	register_v1_fn reg;
	memcpy(&reg, &sym, sizeof(reg));
	const struct flux_backend *modern = NULL;
	flux_error ignored;
	flux_error_clear(&ignored);
	const struct flux_backend_v1 *old = reg(host, &modern, &ignored);
	if (modern) {
		fail(info, err, "the module %s has no ABI stamp: %s is not exported",
		     info->module, FLUX_BACKEND_MODULE_SYMBOL);
		flux_error_hint(err, "write FLUX_BACKEND_MODULE; in one source file of the "
				"module and export its symbol with the registration function");
		return FLUX_ERR_PLUGIN;
	}
	if (old && FLUX_ABI_MAJOR_OF(old->abi_version) == 1)
		return incompatible_version(info, old->abi_version, err);
	return incompatible(info, "1.x", err);
}

/* The 2.0 registration: the module may refuse to serve, with its reason. */
static int register_backend(struct flux_backend_info *info, void *sym,
			    const struct flux_host *host, const struct flux_backend **out,
			    flux_error *err)
{
	flux_backend_register_fn reg;
	/* POSIX guarantees a dlsym result may be converted to a function. */
	memcpy(&reg, &sym, sizeof(reg));
	const struct flux_backend *b = NULL;
	flux_error why;
	flux_error_clear(&why);
	int rc = reg(host, &b, &why);
	if (rc != FLUX_OK) {
		if (why.message[0])
			fail(info, err, "%s", why.message);
		else
			fail(info, err, "registration function %s in %s failed: %s",
			     info->symbol, info->module, flux_status_name((flux_status)rc));
		memcpy(err->detail, why.detail, sizeof(err->detail));
		memcpy(err->hint, why.hint, sizeof(err->hint));
		return FLUX_ERR_PLUGIN;
	}
	if (!b)
		return fail(info, err, "registration function %s in %s returned no backend",
			    info->symbol, info->module);
	*out = b;
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
	/* The stamp first: a module of another major is never called. */
	const void *stamp = lt_dlsym(h, FLUX_BACKEND_MODULE_SYMBOL);
	if (stamp) {
		unsigned int v;
		memcpy(&v, stamp, sizeof(v));
		if (FLUX_ABI_MAJOR_OF(v) != FLUX_BACKEND_ABI_MAJOR) {
			lt_dlclose(h);
			return incompatible_version(info, v, err);
		}
	}
	void *sym = lt_dlsym(h, info->symbol);
	if (!sym) {
		lt_dlclose(h);
		return fail(info, err, "no entry point [%s] in module [%s]", info->symbol,
			    info->module);
	}
	const struct flux_backend *b = NULL;
	rc = stamp ? register_backend(info, sym, host, &b, err)
		   : refuse_unstamped(info, sym, host, err);
	if (!rc)
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
