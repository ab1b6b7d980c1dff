/* SPDX-License-Identifier: MIT */
/* flux_open_options: its defaults, and the sizes of its versions. */
#include <config.h>
#include <string.h>

#include "internal.h"
#include "open_options.h"
#include "versioned.h"

/* The size of each version's layout.  A new version appends fields and
 * adds its size here; the sizes of the older ones never change. */
static const size_t sizes[FLUX_OPEN_OPTIONS_VERSION + 1] = {
	[1] = sizeof(flux_open_options),
};

static void defaults(flux_open_options *o)
{
	flux_open_options d = FLUX_OPEN_OPTIONS_INIT;
	*o = d;
}

int flux_open_options_init(flux_open_options *o, unsigned int version)
{
	flux_open_options full;
	defaults(&full);
	return flux_versioned_init(o, &full, version, sizes, FLUX_OPEN_OPTIONS_VERSION);
}

int flux_open_options_read(const flux_open_options *caller, flux_open_options *full,
			   flux_error *err)
{
	defaults(full);
	return flux_versioned_read(caller, full, sizes, FLUX_OPEN_OPTIONS_VERSION,
				   "flux_open_options", err);
}
