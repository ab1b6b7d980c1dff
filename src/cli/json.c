/* SPDX-License-Identifier: MIT */
/* --json: one JSON document per command on stdout, built with jansson and
 * printed when the command ends (see docs/flux-output.schema.json).
 * Commands add their facts to the document; errors reported through
 * cli_print_error or cli_usage_error land in its "error" member instead of
 * on stderr, so a consumer reads one thing from one place. */
#include <config.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static json_t *doc;       /* the document; NULL without --json */
static int have_error;    /* the first error is the one reported */
/* The member cli_json_set_items made: in doc as null until printed. */
static struct {
	char key[32];
	size_t n;
	cli_json_item_fn fn;
	void *ctx;
} items;

#define DUMP_FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9))

const char *cli_json_kind(flux_status code)
{
	/* Stable words: consumers switch on them.  Never rename one. */
	switch (code) {
	case FLUX_OK: return "ok";
	case FLUX_ERR_INVALID: return "invalid";
	case FLUX_ERR_CONFIG: return "config";
	case FLUX_ERR_PLUGIN: return "plugin";
	case FLUX_ERR_BACKEND: return "backend";
	case FLUX_ERR_LOAD: return "load";
	case FLUX_ERR_CORRUPT: return "corrupt_directory";
	case FLUX_ERR_MIGRATION: return "migration_failed";
	case FLUX_ERR_LOCK_TIMEOUT: return "lock_timeout";
	case FLUX_ERR_NOMEM: return "out_of_memory";
	case FLUX_ERR_IO: return "io";
	case FLUX_ERR_NOT_FOUND: return "not_found";
	case FLUX_ERR_UNSUPPORTED: return "unsupported";
	case FLUX_ERR_CONNECTION: return "connection";
	case FLUX_ERR_INCOMPLETE: return "incomplete";
	case FLUX_ERR_CANCELLED: return "cancelled";
	}
	return "error";
}

json_t *cli_json_str(const char *s)
{
	if (!s || !*s)
		return json_null();
	json_t *j = json_string(s);
	if (j)
		return j;
	/* Not UTF-8 (a file name, a server message in another encoding):
	 * jansson refuses it, so the bytes beyond ASCII become '?'. */
	char *copy = strdup(s);
	if (!copy)
		return json_null();
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j ? j : json_null();
}

json_t *cli_json_error(const flux_error *err, const char *kind)
{
	/* Every member is always there (null when unknown), so a consumer
	 * needs no existence checks. */
	json_t *o = json_object();
	json_object_set_new(o, "kind", json_string(kind ? kind : cli_json_kind(err->code)));
	json_object_set_new(o, "message", cli_json_str(err->message));
	json_object_set_new(o, "file", cli_json_str(err->file));
	json_object_set_new(o, "line", err->line > 0 ? json_integer(err->line) : json_null());
	json_object_set_new(o, "column",
			    err->column > 0 ? json_integer(err->column) : json_null());
	json_object_set_new(o, "sqlstate", cli_json_str(err->sqlstate));
	json_object_set_new(o, "detail", cli_json_str(err->detail));
	json_object_set_new(o, "hint", cli_json_str(err->hint));
	json_object_set_new(o, "migration", cli_json_str(err->migration));
	return o;
}

void cli_json_begin(void)
{
	doc = json_object();
	have_error = 0;
	/* Placeholders keep these first; cli_json_end fills them in. */
	json_object_set_new(doc, "command", json_null());
	json_object_set_new(doc, "ok", json_false());
	json_object_set_new(doc, "exit_status", json_integer(0));
}

int cli_json_on(void)
{
	return doc != NULL;
}

json_t *cli_json_doc(void)
{
	return doc;
}

void cli_json_set(const char *key, json_t *value)
{
	if (doc)
		json_object_set_new(doc, key, value);
	else
		json_decref(value);
}

void cli_json_set_items(const char *key, size_t n, cli_json_item_fn fn, void *ctx)
{
	if (!doc)
		return;
	json_object_set_new(doc, key, json_null()); /* its place in the order */
	snprintf(items.key, sizeof(items.key), "%s", key);
	items.n = n;
	items.fn = fn;
	items.ctx = ctx;
}

/* v as json_dumpf(DUMP_FLAGS) prints it at depth levels of nesting: its
 * own lines indented by 2 * depth more. */
static int put_value(const json_t *v, int depth)
{
	char *text = json_dumps(v, DUMP_FLAGS | JSON_ENCODE_ANY);
	if (!text)
		return -1;
	/* Raw newlines come only from the indentation: a string's own are
	 * escaped. */
	static const char spaces[] = "        ";
	const char *t = text;
	for (const char *nl; (nl = strchr(t, '\n')); t = nl + 1) {
		fwrite(t, 1, (size_t)(nl + 1 - t), stdout);
		fwrite(spaces, 1, (size_t)(2 * depth), stdout);
	}
	fputs(t, stdout);
	free(text);
	return 0;
}

/* The document as json_dumpf(DUMP_FLAGS) prints it, byte for byte, with
 * the items member's elements made and printed one at a time: 100,000
 * migrations' status as one jansson tree took 0.9 s and 116 MB, three
 * times the text table's time. */
static int put_items(void)
{
	if (!items.n) {
		fputs("[]", stdout);
		return 0;
	}
	putchar('[');
	for (size_t i = 0; i < items.n; i++) {
		json_t *item = items.fn(items.ctx, i);
		fputs(i ? ",\n    " : "\n    ", stdout);
		int rc = item ? put_value(item, 2) : -1;
		json_decref(item);
		if (rc)
			return rc;
	}
	fputs("\n  ]", stdout);
	return 0;
}

static int put_doc(void)
{
	const char *key;
	json_t *value;
	size_t k = 0;
	putchar('{');
	json_object_foreach(doc, key, value) {
		fputs(k++ ? ",\n  " : "\n  ", stdout);
		json_t *name = json_string(key);
		int rc = name ? put_value(name, 1) : -1;
		json_decref(name);
		if (rc)
			return rc;
		fputs(": ", stdout);
		rc = strcmp(key, items.key) != 0 ? put_value(value, 1) : put_items();
		if (rc)
			return rc;
	}
	fputs(k ? "\n}" : "}", stdout);
	return 0;
}

int cli_json_record_error(const flux_error *err, const char *kind)
{
	if (!doc)
		return 0;
	if (!have_error) {
		json_object_set_new(doc, "error", cli_json_error(err, kind));
		have_error = 1;
	}
	return 1;
}

int cli_fail(flux_status code, const char *kind, const char *hint, const char *fmt, ...)
{
	flux_error err;
	memset(&err, 0, sizeof(err));
	err.code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err.message, sizeof(err.message), fmt, ap);
	va_end(ap);
	if (hint)
		snprintf(err.hint, sizeof(err.hint), "%s", hint);
	if (!cli_json_record_error(&err, kind))
		cli_print_error(&err);
	return EXIT_ERROR;
}

int cli_json_end(int status)
{
	if (!doc)
		return status;
	if (status != EXIT_OK && !have_error) {
		/* A failure that was only said on stderr (getopt's own
		 * message): still a complete error object. */
		flux_error err;
		memset(&err, 0, sizeof(err));
		snprintf(err.message, sizeof(err.message), "%s",
			 status == EXIT_USAGE ? "invalid command-line arguments (see standard error)"
					      : "the command failed");
		cli_json_record_error(&err, status == EXIT_USAGE ? "usage" : "error");
	}
	json_object_set_new(doc, "ok", json_boolean(status == EXIT_OK));
	json_object_set_new(doc, "exit_status", json_integer(status));
	int rc = items.fn ? put_doc() : json_dumpf(doc, stdout, DUMP_FLAGS);
	if (rc == 0)
		fputc('\n', stdout);
	fflush(stdout);
	json_decref(doc);
	doc = NULL;
	memset(&items, 0, sizeof(items));
	return status;
}
