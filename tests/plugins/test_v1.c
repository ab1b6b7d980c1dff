/* SPDX-License-Identifier: MIT */
/* A module as ABI 1.1 built them: no ABI stamp, a registration function
 * that takes only the host table and returns its struct, which begins
 * with abi_version and size.  The host must refuse it, naming 1.1, and
 * use nothing of it but those two fields (the rest is poison). */
#include <stdint.h>
#include <stdlib.h>

#if defined(__GNUC__)
#define EXPORT __attribute__((visibility("default")))
#else
#define EXPORT
#endif

struct host_v1 {
	unsigned int abi_version;
	unsigned int size;
};

struct backend_v1 {
	unsigned int abi_version;
	unsigned int size;
	const char *name;
	const char *description;
	void *operations[20];
};

static const struct backend_v1 backend = {
	.abi_version = (1u << 16) | 1u,
	.size = sizeof(struct backend_v1),
	.name = "test-v1",
	.description = "a module built for backend ABI 1.1",
	.operations = {(void *)(uintptr_t)1, (void *)(uintptr_t)1},
};

EXPORT const struct backend_v1 *test_v1_backend(const struct host_v1 *host);

const struct backend_v1 *test_v1_backend(const struct host_v1 *host)
{
	/* 1.x hosts passed their table; reading its version is all a 1.x
	 * module did before returning. */
	if (!host || host->size < sizeof(*host))
		abort();
	return &backend;
}
