/* SPDX-License-Identifier: MIT */
/* Connection strings the Python tool's users already have. */
#include <stdlib.h>
#include <string.h>

#include "pg.h"

char *pg_uri_normalize(const char *uri)
{
	static const char *const drivers[] = {"postgresql+asyncpg://", "postgresql+aiopg://",
					      "postgresql+psycopg://", "postgresql+psycopg2://",
					      "postgres+asyncpg://", "postgres+aiopg://"};
	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
		size_t l = strlen(drivers[i]);
		if (strncmp(uri, drivers[i], l) == 0) {
			size_t rest = strlen(uri + l);
			char *out = malloc(sizeof("postgresql://") + rest);
			if (out) {
				memcpy(out, "postgresql://", sizeof("postgresql://") - 1);
				memcpy(out + sizeof("postgresql://") - 1, uri + l, rest + 1);
			}
			return out;
		}
	}
	if (strncmp(uri, "postgresql://", 13) == 0 || strncmp(uri, "postgres://", 11) == 0)
		return strdup(uri);
	/* libpq key=value strings (also the empty string: all from PG* env). */
	if (!strstr(uri, "://") && (strchr(uri, '=') || !*uri))
		return strdup(uri);
	return NULL;
}
