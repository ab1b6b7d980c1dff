/* SPDX-License-Identifier: MIT */
/* The [backend] table of flux.toml and its typed accessors.
 *
 * Each value remembers its line and whether it was quoted, so an accessor
 * can say `flux.toml:7: [backend] migrations_lock_id must be an integer`.
 * Quoted integers and booleans are accepted, because the Python tool read
 * these through int() and users wrote both forms. */
#include <config.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

#define FLUX_OPTIONS_MAX 1000

struct option {
	char *key;
	char *value;
	int quoted;
	int line;
	int used;
};

struct flux_options {
	char *file;
	struct option *items;
	size_t count, cap;
};

struct flux_options *flux_options_new(const char *file)
{
	struct flux_options *o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->file = flux_strdup(file ? file : "flux.toml");
	if (!o->file) {
		free(o);
		return NULL;
	}
	return o;
}

void flux_options_free(struct flux_options *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->count; i++) {
		free(o->items[i].key);
		free(o->items[i].value);
	}
	free(o->items);
	free(o->file);
	free(o);
}

static struct option *find(const struct flux_options *o, const char *key)
{
	if (!o)
		return NULL;
	for (size_t i = 0; i < o->count; i++)
		if (strcmp(o->items[i].key, key) == 0)
			return &o->items[i];
	return NULL;
}

int flux_options_add(struct flux_options *o, const char *key, const char *value,
		     int quoted, int line, flux_error *err)
{
	/* Each key is checked against all before it; a bound keeps a
	 * megabyte of keys from taking minutes.  No backend reads so many. */
	if (o->count >= FLUX_OPTIONS_MAX) {
		flux_error_set(err, FLUX_ERR_CONFIG, "%s:%d: more than %d keys in [backend]",
			       o->file, line, FLUX_OPTIONS_MAX);
		flux_error_at(err, o->file, line);
		return FLUX_ERR_CONFIG;
	}
	struct option *dup = find(o, key);
	if (dup) {
		flux_error_set(err, FLUX_ERR_CONFIG,
			       "%s:%d: [backend] %s is defined twice (first on line %d)",
			       o->file, line, key, dup->line);
		flux_error_at(err, o->file, line);
		return FLUX_ERR_CONFIG;
	}
	if (flux_grow(&o->items, &o->cap, o->count, sizeof(*o->items), 8))
		return flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
	struct option *it = &o->items[o->count];
	it->key = flux_strdup(key);
	it->value = flux_strdup(value);
	if (!it->key || !it->value) {
		free(it->key);
		free(it->value);
		return flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
	}
	it->quoted = quoted;
	it->line = line;
	it->used = 0;
	o->count++;
	return FLUX_OK;
}

static int bad(const struct flux_options *o, const struct option *it,
	       const char *want, flux_error *err)
{
	/* The value may hold a newline or other control characters (TOML
	 * escapes, multi-line strings); the message stays on one line. */
	char shown[128];
	flux_escape(it->value, strlen(it->value), shown, sizeof(shown));
	flux_error_set(err, FLUX_ERR_CONFIG, "%s:%d: [backend] %s must be %s, not '%s'",
		       o->file, it->line, it->key, want, shown);
	flux_error_at(err, o->file, it->line);
	return FLUX_ERR_CONFIG;
}

int flux_options_error(const struct flux_options *opts, const char *key, flux_error *err,
		       const char *fmt, ...)
{
	char msg[FLUX_ERROR_MESSAGE_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	const struct option *it = find(opts, key);
	if (!it)
		return flux_error_set(err, FLUX_ERR_CONFIG, "%s: %s", opts->file, msg);
	flux_error_set(err, FLUX_ERR_CONFIG, "%s:%d: %s", opts->file, it->line, msg);
	flux_error_at(err, opts->file, it->line);
	return FLUX_ERR_CONFIG;
}

int flux_options_string(const struct flux_options *opts, const char *key,
			const char *def, const char **out, flux_error *err)
{
	struct option *it = find(opts, key);
	if (!it) {
		*out = def;
		return FLUX_OK;
	}
	it->used = 1;
	if (!it->quoted)
		return bad(opts, it, "a string", err);
	*out = it->value;
	return FLUX_OK;
}

int flux_options_identifier(const struct flux_options *opts, const char *key,
			    const char *def, size_t max_len, const char **out, flux_error *err)
{
	const char *v;
	int rc = flux_options_string(opts, key, def, &v, err);
	if (rc)
		return rc;
	*out = v;
	const struct option *it = find(opts, key);
	if (!it)
		return FLUX_OK; /* the backend's own default */
	size_t len = strlen(v);
	int good = len > 0 && len <= max_len;
	for (size_t i = 0; good && i < len; i++)
		good = (v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
		       (v[i] >= '0' && v[i] <= '9') || v[i] == '_';
	if (good)
		return FLUX_OK;
	*out = def;
	char shown[128];
	flux_escape(v, len, shown, sizeof(shown));
	return flux_options_error(opts, key, err, "[backend] %s '%s' must match "
				  "^[A-Za-z0-9_]+$ (at most %zu bytes)", key, shown, max_len);
}

int flux_options_int(const struct flux_options *opts, const char *key,
		     long long def, long long *out, flux_error *err)
{
	struct option *it = find(opts, key);
	if (!it) {
		*out = def;
		return FLUX_OK;
	}
	it->used = 1;
	char *end;
	errno = 0;
	long long v = strtoll(it->value, &end, 10);
	if (!it->value[0] || *end || errno)
		return bad(opts, it, "an integer", err);
	*out = v;
	return FLUX_OK;
}

int flux_options_bool(const struct flux_options *opts, const char *key, int def,
		      int *out, flux_error *err)
{
	struct option *it = find(opts, key);
	if (!it) {
		*out = def;
		return FLUX_OK;
	}
	it->used = 1;
	if (strcasecmp(it->value, "true") == 0)
		*out = 1;
	else if (strcasecmp(it->value, "false") == 0)
		*out = 0;
	else
		return bad(opts, it, "true or false", err);
	return FLUX_OK;
}

size_t flux_options_count(const struct flux_options *opts)
{
	return opts ? opts->count : 0;
}

const char *flux_options_key(const struct flux_options *opts, size_t i)
{
	return i < flux_options_count(opts) ? opts->items[i].key : NULL;
}

int flux_options_line(const struct flux_options *opts, size_t i)
{
	return i < flux_options_count(opts) ? opts->items[i].line : 0;
}

int flux_options_used(const struct flux_options *opts, size_t i)
{
	return i < flux_options_count(opts) ? opts->items[i].used : 0;
}
