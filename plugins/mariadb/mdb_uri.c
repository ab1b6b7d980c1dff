/* SPDX-License-Identifier: MIT */
/* mariadb:// and mysql:// URIs: reading them, and hiding their passwords.
 * Messages about a URI never quote a piece of it: in a malformed one, any
 * piece may be part of the password. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mdb.h"

/* Length of the scheme's "NAME://" or "NAME+DRIVER://" prefix, 0 when it
 * is not ours. */
static size_t scheme_len(const char *uri)
{
	static const char *const names[] = {"mariadb", "mysql"};
	for (size_t k = 0; k < 2; k++) {
		size_t l = strlen(names[k]);
		if (strncasecmp(uri, names[k], l))
			continue;
		size_t i = l;
		if (uri[i] == '+') {
			i++;
			size_t d = i;
			while (isalnum((unsigned char)uri[i]) || uri[i] == '_')
				i++;
			if (i == d)
				continue;
		}
		if (!strncmp(uri + i, "://", 3))
			return i + 3;
	}
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* s[0, n) percent-decoded into a new string; *bad when an escape is
 * malformed or decodes to NUL.  NULL with *bad == 0: out of memory. */
static char *decode(const char *s, size_t n, int *bad)
{
	char *out = malloc(n + 1), *o = out;
	*bad = 0;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%') {
			*o++ = s[i];
			continue;
		}
		if (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0) {
			*bad = 1;
			free(out);
			return NULL;
		}
		char c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
		if (!c) {
			*bad = 1;
			free(out);
			return NULL;
		}
		*o++ = c;
		i += 2;
	}
	*o = '\0';
	return out;
}

void mdb_uri_free(struct mdb_uri *u)
{
	free(u->user);
	if (u->password) {
		/* Not left in freed memory for a core dump to show. */
		volatile char *p = u->password;
		while (*p)
			*p++ = '\0';
	}
	free(u->password);
	free(u->host);
	free(u->database);
	free(u->socket);
	free(u->charset);
	free(u->ssl_ca);
	free(u->ssl_cert);
	free(u->ssl_key);
	memset(u, 0, sizeof(*u));
}

static int bad(char *why_buf, size_t why_size, const char *why)
{
	snprintf(why_buf, why_size, "%s", why);
	return 1;
}

/* A message about the query's nth parameter. */
static int badn(char *why_buf, size_t why_size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int badn(char *why_buf, size_t why_size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why_buf, why_size, fmt, ap);
	va_end(ap);
	return 1;
}

/* Multibyte character sets whose second byte may be a quote or a
 * backslash: SQL text quoted by this backend would read differently. */
static int unsafe_charset(const char *cs)
{
	static const char *const no[] = {"big5", "cp932", "gbk", "gb18030", "sjis"};
	for (size_t k = 0; k < sizeof(no) / sizeof(no[0]); k++)
		if (!strcasecmp(cs, no[k]))
			return 1;
	return 0;
}

static int set_param(struct mdb_uri *u, const char *key, size_t kl, char *val, int nth,
		     char *why_buf, size_t why_size)
{
#define KEY(name) (kl == sizeof(name) - 1 && !strncasecmp(key, name, kl))
	char **slot = NULL;
	if (KEY("socket") || KEY("unix_socket"))
		slot = &u->socket;
	else if (KEY("charset"))
		slot = &u->charset;
	else if (KEY("ssl-ca") || KEY("ssl_ca"))
		slot = &u->ssl_ca;
	else if (KEY("ssl-cert") || KEY("ssl_cert"))
		slot = &u->ssl_cert;
	else if (KEY("ssl-key") || KEY("ssl_key"))
		slot = &u->ssl_key;
	if (slot) {
		if (slot == &u->charset && unsafe_charset(val)) {
			free(val);
			return badn(why_buf, why_size, "the URI's charset (parameter %d) is one "
				   "whose characters may hold a quote byte; use utf8mb4", nth);
		}
		free(*slot);
		*slot = val;
		return 0;
	}
	int rc = 0;
	if (KEY("ssl-verify-server-cert") || KEY("ssl_verify_server_cert")) {
		if (!strcmp(val, "1") || !strcasecmp(val, "true"))
			u->ssl_verify = 1;
		else if (!strcmp(val, "0") || !strcasecmp(val, "false"))
			u->ssl_verify = 0;
		else
			rc = badn(why_buf, why_size, "the URI's ssl-verify-server-cert (parameter "
				 "%d) must be 1, 0, true or false", nth);
	} else if (KEY("connect-timeout") || KEY("connect_timeout")) {
		char *end;
		unsigned long v = strtoul(val, &end, 10);
		if (!*val || *end || v == 0 || v > 3600 || *val == '-')
			rc = badn(why_buf, why_size, "the URI's connect-timeout (parameter %d) "
				 "must be a number of seconds from 1 to 3600", nth);
		else
			u->connect_timeout = (unsigned int)v;
	} else {
		rc = badn(why_buf, why_size, "the URI's query parameter %d is not one this "
			 "backend reads (socket, charset, ssl-ca, ssl-cert, ssl-key, "
			 "ssl-verify-server-cert, connect-timeout)", nth);
	}
	free(val);
	return rc;
#undef KEY
}

static int parse_query(struct mdb_uri *u, const char *q, char *why_buf, size_t why_size)
{
	int nth = 0;
	while (*q) {
		size_t n = strcspn(q, "&");
		nth++;
		if (n) {
			const char *eq = memchr(q, '=', n);
			if (!eq)
				return badn(why_buf, why_size, "the URI's query parameter %d has "
					   "no '=' and value", nth);
			int b;
			char *val = decode(eq + 1, n - (size_t)(eq + 1 - q), &b);
			if (!val)
				return b ? badn(why_buf, why_size, "the URI's query parameter %d "
					       "has a malformed %%-escape", nth) : -1;
			int rc = set_param(u, q, (size_t)(eq - q), val, nth, why_buf, why_size);
			if (rc)
				return rc;
		}
		q += n;
		if (*q == '&')
			q++;
	}
	return 0;
}

static int parse_hostport(struct mdb_uri *u, const char *s, size_t n, char *why_buf,
			  size_t why_size)
{
	size_t hl = n;
	const char *port = NULL;
	if (n && s[0] == '[') {
		const char *close = memchr(s, ']', n);
		if (!close)
			return bad(why_buf, why_size, "the URI's host has '[' without ']'");
		hl = (size_t)(close - s) + 1;
		if (hl < n) {
			if (s[hl] != ':')
				return bad(why_buf, why_size, "the URI's host has text after "
					   "']'");
			port = s + hl + 1;
		}
	} else {
		const char *colon = memchr(s, ':', n);
		if (colon) {
			hl = (size_t)(colon - s);
			port = colon + 1;
		}
	}
	if (port) {
		size_t pl = n - (size_t)(port - s);
		unsigned long v = 0;
		for (size_t i = 0; i < pl; i++) {
			if (port[i] < '0' || port[i] > '9' || v > 65535) {
				v = 0;
				break;
			}
			v = v * 10 + (unsigned long)(port[i] - '0');
		}
		if (pl && (v < 1 || v > 65535))
			return bad(why_buf, why_size, "the URI's port is not a number from 1 to "
				   "65535");
		u->port = (unsigned int)v;
	}
	if (hl) {
		const char *h = s;
		size_t l = hl;
		if (h[0] == '[') { /* Connector/C takes IPv6 addresses bare */
			h++;
			l -= 2;
		}
		int b;
		if (!(u->host = decode(h, l, &b)))
			return b ? bad(why_buf, why_size, "the URI's host has a malformed "
				       "%-escape") : -1;
	}
	return 0;
}

int mdb_uri_parse(const char *uri, struct mdb_uri *u, char *why_buf, size_t why_size)
{
	memset(u, 0, sizeof(*u));
	u->ssl_verify = -1;
	size_t sl = scheme_len(uri);
	if (!sl)
		return bad(why_buf, why_size, "expected mariadb:// or mysql:// (or "
			   "SQLAlchemy's mariadb+DRIVER://, mysql+DRIVER://)");
	const char *a = uri + sl;
	size_t an = strcspn(a, "/?#");
	const char *at = NULL;
	for (size_t i = 0; i < an; i++)
		if (a[i] == '@')
			at = a + i;
	int rc = 0, b;
	if (at) {
		const char *colon = memchr(a, ':', (size_t)(at - a));
		size_t ul = colon ? (size_t)(colon - a) : (size_t)(at - a);
		if (ul && !(u->user = decode(a, ul, &b)))
			rc = b ? bad(why_buf, why_size, "the URI's user has a malformed "
				     "%-escape") : -1;
		if (!rc && colon && !(u->password = decode(colon + 1, (size_t)(at - colon - 1), &b)))
			rc = b ? bad(why_buf, why_size, "the URI's password has a malformed "
				     "%-escape") : -1;
	}
	const char *hp = at ? at + 1 : a;
	if (!rc)
		rc = parse_hostport(u, hp, (size_t)(a + an - hp), why_buf, why_size);
	const char *p = a + an;
	if (!rc && *p == '/') {
		size_t dl = strcspn(p + 1, "?#");
		if (memchr(p + 1, '/', dl))
			rc = bad(why_buf, why_size, "the URI's path must be one database name, "
				 "without '/'");
		else if (dl && !(u->database = decode(p + 1, dl, &b)))
			rc = b ? bad(why_buf, why_size, "the URI's database name has a "
				     "malformed %-escape") : -1;
		p += 1 + dl;
	}
	if (!rc && *p == '?') {
		size_t ql = strcspn(p + 1, "#");
		char *q = strndup(p + 1, ql);
		rc = q ? parse_query(u, q, why_buf, why_size) : -1;
		free(q);
	}
	if (rc)
		mdb_uri_free(u);
	return rc;
}

static int secret_key(const char *k, size_t n)
{
	static const char *const keys[] = {"password", "pass", "passwd", "pwd",
					   "ssl-passphrase", "ssl_passphrase"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i]) == n && !strncasecmp(k, keys[i], n))
			return 1;
	return 0;
}

size_t mdb_uri_redact(const char *uri, char *out, size_t size)
{
	struct mdb_buf b = {0};
	const char *sep = strstr(uri, "://");
	const char *rest = sep ? sep + 3 : uri;
	mdb_buf_add(&b, uri, (size_t)(rest - uri));
	/* The last '@' anywhere: a password holding an unescaped '/', '?' or
	 * '@' is hidden whole, with whatever follows it up to there. */
	const char *at = strrchr(rest, '@');
	if (at) {
		const char *colon = memchr(rest, ':', (size_t)(at - rest));
		if (colon) {
			mdb_buf_add(&b, rest, (size_t)(colon - rest) + 1);
			mdb_buf_str(&b, "****");
		} else {
			mdb_buf_add(&b, rest, (size_t)(at - rest));
		}
		rest = at;
	}
	const char *q = strchr(rest, '?');
	mdb_buf_add(&b, rest, q ? (size_t)(q - rest) : strlen(rest));
	while (q && *q) {
		mdb_buf_add(&b, q, 1); /* '?' or '&' */
		q++;
		size_t n = strcspn(q, "&#");
		const char *eq = memchr(q, '=', n);
		if (eq && secret_key(q, (size_t)(eq - q))) {
			mdb_buf_add(&b, q, (size_t)(eq - q) + 1);
			mdb_buf_str(&b, "****");
		} else {
			mdb_buf_add(&b, q, n);
		}
		q += n;
		if (*q == '#') {
			mdb_buf_str(&b, q);
			break;
		}
	}
	size_t w = 0;
	if (size) {
		if (b.oom || !b.s) {
			/* Out of memory: show only what cannot hold a secret. */
			w = snprintf(out, size, "%s", sep ? "mariadb://****" : "****");
			w = w < size ? w : size - 1;
		} else {
			w = b.len < size ? b.len : size - 1;
			memcpy(out, b.s, w);
			out[w] = '\0';
		}
	}
	mdb_buf_free(&b);
	return w;
}
