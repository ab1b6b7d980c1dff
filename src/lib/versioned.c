/* SPDX-License-Identifier: MIT */
/* Reading and initialising version-stamped option structs (versioned.h). */
#include <config.h>
#include <ctype.h>
#include <string.h>

#include "internal.h"
#include "versioned.h"

int flux_versioned_read(const void *caller, void *full, const size_t *sizes,
			unsigned int latest, const char *name, flux_error *err)
{
	/* The version is the one field every layout has. */
	unsigned int version;
	memcpy(&version, caller, sizeof(version));
	if (version == 0 || version > latest) {
		flux_error_set(err, FLUX_ERR_INVALID, "%s version %u is not one this libflux "
			       "knows (1 to %u)", name, version, latest);
		char macro[64];
		size_t i;
		for (i = 0; name[i] && i < sizeof(macro) - 1; i++)
			macro[i] = (char)toupper((unsigned char)name[i]);
		macro[i] = '\0';
		if (version == 0)
			flux_error_hint(err, "initialise the struct with %s_INIT or %s_init()",
					macro, name);
		else
			flux_error_hint(err, "the program was built against a newer flux.h "
					"than this libflux %s: install that libflux",
					flux_version());
		return FLUX_ERR_INVALID;
	}
	memcpy(full, caller, sizes[version]);
	return FLUX_OK;
}

int flux_versioned_init(void *caller, void *full, unsigned int version, const size_t *sizes,
			unsigned int latest)
{
	if (version == 0 || version > latest)
		return FLUX_ERR_INVALID;
	memcpy(full, &version, sizeof(version));
	memcpy(caller, full, sizes[version]);
	return FLUX_OK;
}
