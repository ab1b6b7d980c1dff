/* SPDX-License-Identifier: MIT */
/* Python migrations, upstream-compatible: ID.py defines apply() returning
 * the SQL as str, and may define undo().  All files of a directory are
 * evaluated by one interpreter (python3, or $FLUX_PYTHON), which keeps a
 * directory of many .py migrations fast.
 *
 * The driver answers on its original stdout with one record per file:
 *   "S <i>\n" as it starts on file i, then
 *   "F <ok> <has_undo> <len1> <len2>\n" then len1 + len2 bytes
 * where ok=1 gives the apply() and undo() texts (UTF-8, as the Python tool
 * hashed them), and ok=0 gives Python's traceback in the first part with
 * the failing line of the migration file (and, for a SyntaxError, the
 * column) in the has_undo and len2 places, 0 when unknown.  The
 * migrations' own prints go to stderr so they cannot corrupt the answer.
 * Both parts are flushed at once, so after a time limit the last "S"
 * without its "F" tells which file was still running.
 *
 * The interpreter runs isolated (-I): neither the current directory nor
 * PYTHON* variables nor the user's site-packages can put code in front of
 * the standard library (a traceback.py where flux was started would run).
 * sys.path is the standard one plus, in front while each file loads, that
 * file's own directory: as when the Python tool imports a migration by
 * path, a migration may import helper modules next to it. */
#include <config.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char driver[] =
"import importlib.util, os, sys, traceback\n"
"base = list(sys.path)\n"
"out = os.fdopen(os.dup(1), 'wb')\n"
"os.dup2(2, 1)\n"
"sys.stdout = sys.stderr\n"
"def call(mod, name):\n"
"    fn = getattr(mod, name, None)\n"
"    if fn is None:\n"
"        return None\n"
"    if not callable(fn):\n"
"        raise TypeError('%s is not a function' % name)\n"
"    r = fn()\n"
"    if not isinstance(r, str):\n"
"        raise TypeError('%s() must return str, not %s' % (name, type(r).__name__))\n"
"    return r.encode('utf-8')\n"
"for i, path in enumerate(sys.argv[1:]):\n"
"    out.write(b'S %d\\n' % i)\n"
"    out.flush()\n"
"    try:\n"
"        sys.path[:] = [os.path.dirname(os.path.abspath(path))] + base\n"
"        spec = importlib.util.spec_from_file_location('_flux_migration_%d' % i, path)\n"
"        mod = importlib.util.module_from_spec(spec)\n"
"        spec.loader.exec_module(mod)\n"
"        if getattr(mod, 'apply', None) is None:\n"
"            raise AttributeError('migration defines no apply() function')\n"
"        up = call(mod, 'apply')\n"
"        undo = call(mod, 'undo')\n"
"        out.write(b'F 1 %d %d %d\\n' % (undo is not None, len(up), len(undo or b'')))\n"
"        out.write(up)\n"
"        out.write(undo or b'')\n"
"    except BaseException as e:\n"
"        te = traceback.TracebackException(type(e), e, e.__traceback__)\n"
"        te.stack = traceback.StackSummary.from_list(\n"
"            [f for f in te.stack if not f.filename.startswith('<')])\n"
"        msg = ''.join(te.format()).encode('utf-8', 'replace')\n"
"        line, col, me = 0, 0, os.path.abspath(path)\n"
"        if isinstance(e, SyntaxError) and e.filename and os.path.abspath(e.filename) == me:\n"
"            line, col = e.lineno or 0, e.offset or 0\n"
"        else:\n"
"            for fr in traceback.extract_tb(e.__traceback__):\n"
"                if os.path.abspath(fr.filename) == me:\n"
"                    line = fr.lineno or 0\n"
"        out.write(b'F 0 %d %d %d\\n' % (line, len(msg), col))\n"
"        out.write(msg)\n"
"    out.flush()\n";

static int malformed(flux_error *err)
{
	return flux_error_set(err, FLUX_ERR_LOAD,
			      "the Python migration driver gave a malformed answer");
}

static int parse(const flux_buf *out, size_t n, flux_py_result *res, flux_error *err)
{
	const char *p = out->data ? out->data : "", *end = p + out->len;
	for (size_t i = 0; i < n; i++) {
		int ok, has_undo;   /* has_undo: the failing line when !ok */
		size_t l1, l2;      /* l2: the failing column when !ok */
		int used = 0;
		if (p < end && *p == 'S') {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			if (!nl)
				return malformed(err);
			p = nl + 1;
		}
		/* No trailing "\n" in the format: scanf would also eat the
		 * blanks that begin the SQL text. */
		if (p >= end || sscanf(p, "F %d %d %zu %zu%n", &ok, &has_undo, &l1, &l2,
				       &used) != 4 || used == 0 || p[used] != '\n')
			return malformed(err);
		if (!ok) {
			res[i].error_line = has_undo;
			res[i].error_column = l2 < 100000 ? (int)l2 : 0;
			l2 = 0;
		}
		if ((size_t)(end - p - used - 1) < l1 + l2)
			return malformed(err);
		p += used + 1;
		char *a = flux_strndup(p, l1);
		char *b = ok && has_undo ? flux_strndup(p + l1, l2) : NULL;
		if (!a || (ok && has_undo && !b)) {
			free(a);
			free(b);
			return flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
		}
		if (ok) {
			res[i].up = a;
			res[i].up_len = l1;
			res[i].undo = b;
			res[i].undo_len = l2;
			res[i].has_undo = has_undo;
		} else {
			res[i].error = a;
		}
		p += l1 + l2;
	}
	return FLUX_OK;
}

/* The file the interpreter was on when it was stopped: the first without
 * its "F" record (between two files: the next one). */
static size_t running_file(const flux_buf *out, size_t n)
{
	const char *p = out->data ? out->data : "", *end = p + out->len;
	size_t i = 0;
	while (i < n && p < end && *p == 'S') {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return i;
		p = nl + 1;
		int ok, a, used = 0;
		size_t l1, l2;
		if (p >= end || sscanf(p, "F %d %d %zu %zu%n", &ok, &a, &l1, &l2, &used) != 4 ||
		    used == 0 || p[used] != '\n')
			return i;
		size_t body = l1 + (ok ? l2 : 0);
		if ((size_t)(end - p - used - 1) < body)
			return i;
		p += used + 1 + body;
		i++;
	}
	return i < n ? i : n - 1;
}

int flux_python_eval(const char *const *paths, size_t n, flux_helpers *h,
		     flux_py_result *res, flux_error *err)
{
	memset(res, 0, n * sizeof(*res));
	if (n == 0)
		return FLUX_OK;
	/* Not from the environment of a setuid or otherwise secure run: it
	 * names a program to execute. */
	const char *python = secure_getenv("FLUX_PYTHON");
	if (!python || !*python)
		python = "python3";
	const char **argv = calloc(n + 5, sizeof(*argv));
	if (!argv)
		return flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
	argv[0] = python;
	argv[1] = "-I";
	argv[2] = "-c";
	argv[3] = driver;
	for (size_t i = 0; i < n; i++)
		argv[4 + i] = paths[i];
	flux_buf out = {0}, errout = {0};
	int status = 0;
	int rc = flux_spawn_capture(argv, NULL, python, h, &out, &errout, &status, err);
	free(argv);
	if (rc == FLUX_ERR_LOAD && status == -1) {
		/* The time limit: name the file it was stuck in. */
		size_t stuck = running_file(&out, n);
		if (out.len > 0) {
			flux_error_set(err, FLUX_ERR_LOAD, "%s: Python migration did not "
				       "finish within %g s (--helper-timeout), so flux killed "
				       "%s", paths[stuck], h->timeout, python);
			flux_error_at(err, paths[stuck], 0);
		} else {
			flux_error_set(err, FLUX_ERR_LOAD, "%s had not started on %s within "
				       "%g s (--helper-timeout), so flux killed it", python,
				       paths[0], h->timeout);
		}
	}
	if (rc == FLUX_OK && status != 0) {
		rc = flux_error_set(err, FLUX_ERR_LOAD, "%s failed (exit status %d) evaluating "
				    "Python migrations", python, status);
		flux_error_detail(err, "%s", errout.data ? errout.data : "");
		if (status == 127)
			flux_error_hint(err, "install python3 or set FLUX_PYTHON");
	}
	if (rc == FLUX_OK)
		rc = parse(&out, n, res, err);
	flux_buf_free(&out);
	flux_buf_free(&errout);
	return rc;
}
