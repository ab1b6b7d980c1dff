/* SPDX-License-Identifier: MIT */
/* Connection strings: the forms the Python tool's users already have,
 * where their passwords are, and hiding them. */
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

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static const char *find(const char *s, size_t n, const char *needle)
{
	size_t l = strlen(needle);
	for (size_t i = 0; i + l <= n; i++)
		if (!memcmp(s + i, needle, l))
			return s + i;
	return NULL;
}

/* A walk over a connection string that hands found() each value of a
 * secret keyword, where it stands: percent-encoded (URL) or quoted and
 * escaped (key = value). */
enum form { URL_VALUE, CONNINFO_VALUE };

struct walk {
	const char *const *keys; /* the secret keywords, NULL-terminated */
	int (*found)(void *ctx, const char *v, size_t len, enum form form);
	void *ctx;
};

/* Whether [key, key + len), percent-decoded when url, is a secret keyword. */
static int secret_key(const struct walk *w, const char *key, size_t len, int url)
{
	char dec[64];
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (n == sizeof(dec))
			return 0;
		if (url && key[i] == '%' && i + 2 < len && hexval(key[i + 1]) >= 0 &&
		    hexval(key[i + 2]) >= 0) {
			dec[n++] = (char)(hexval(key[i + 1]) * 16 + hexval(key[i + 2]));
			i += 2;
		} else {
			dec[n++] = key[i];
		}
	}
	for (const char *const *k = w->keys; *k; k++)
		if (strlen(*k) == n && !memcmp(*k, dec, n))
			return 1;
	return 0;
}

static int walk_any(struct walk *w, const char *s, size_t n, int depth);

/* scheme://user:PASSWORD@host/db?password=...  The user part runs to the
 * last '@' of the whole string, not of the authority: a password with an
 * unencoded '/', '?' or '#' is still a password, and hiding too much of a
 * malformed URI is better than showing a secret. */
static int walk_url(struct walk *w, const char *s, size_t n, const char *auth)
{
	const char *end = s + n, *at = NULL;
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	int rc = colon ? w->found(w->ctx, colon + 1, (size_t)(at - colon - 1), URL_VALUE) : 0;
	const char *from = at ? at : auth;
	const char *q = memchr(from, '?', (size_t)(end - from));
	while (q && q < end && !rc) {
		const char *k = q + 1, *eq;
		for (q = k; q < end && *q != '&'; q++)
			;
		if ((eq = memchr(k, '=', (size_t)(q - k))) && secret_key(w, k, (size_t)(eq - k), 1))
			rc = w->found(w->ctx, eq + 1, (size_t)(q - eq - 1), URL_VALUE);
	}
	return rc;
}

/* libpq's key = value form: blanks (any isspace) separate pairs, a value
 * is '...' with backslash escapes or runs to a blank, where a backslash
 * also escapes the next character.  A value may itself be a URI (dbname). */
static int walk_conninfo(struct walk *w, const char *s, size_t n, int depth)
{
	const char *p = s, *end = s + n;
	int rc = 0;
	while (p < end && !rc) {
		while (p < end && blank(*p))
			p++;
		const char *key = p;
		while (p < end && *p != '=' && !blank(*p))
			p++;
		size_t kl = (size_t)(p - key);
		while (p < end && blank(*p))
			p++;
		if (p == end || *p != '=')
			continue;
		for (p++; p < end && blank(*p); p++)
			;
		const char *v = p;
		int quoted = p < end && *p == '\'';
		for (p += quoted; p < end && (quoted ? *p != '\'' : !blank(*p)); p++)
			if (*p == '\\' && p + 1 < end)
				p++;
		p += quoted && p < end;
		if (secret_key(w, key, kl, 0))
			rc = w->found(w->ctx, v, (size_t)(p - v), CONNINFO_VALUE);
		else if (depth < 2 && find(v, (size_t)(p - v), "://"))
			rc = walk_any(w, v, (size_t)(p - v), depth + 1);
	}
	return rc;
}

static int walk_any(struct walk *w, const char *s, size_t n, int depth)
{
	const char *scheme = find(s, n, "://");
	/* A scheme has no '=' or blank: "dbname=x://" is key = value. */
	for (const char *p = s; scheme && p < scheme; p++)
		if (*p == '=' || blank(*p))
			scheme = NULL;
	return scheme ? walk_url(w, s, n, scheme + 3) : walk_conninfo(w, s, n, depth);
}

static int walk(const char *uri, const char *const *keys,
		int (*found)(void *, const char *, size_t, enum form), void *ctx)
{
	struct walk w = {keys, found, ctx};
	return walk_any(&w, uri, strlen(uri), 0);
}

struct redaction {
	const char *done; /* how far uri was copied */
	char *out;
	size_t size, o;
};

static void put(struct redaction *r, const char *p, size_t n)
{
	n = n < r->size - 1 - r->o ? n : r->size - 1 - r->o;
	memcpy(r->out + r->o, p, n);
	r->o += n;
}

static int mask(void *ctx, const char *v, size_t len, enum form form)
{
	struct redaction *r = ctx;
	(void)form;
	put(r, r->done, (size_t)(v - r->done));
	put(r, "****", 4);
	r->done = v + len;
	return 0;
}

size_t pg_redact(const char *uri, const char *const *keys, char *out, size_t size)
{
	if (!size)
		return 0;
	struct redaction r = {uri, out, size, 0};
	walk(uri, keys, mask, &r);
	put(&r, r.done, strlen(r.done));
	out[r.o] = '\0';
	return r.o;
}

static int add_secret(struct pg_secrets *s, const char *v, size_t len)
{
	if (!len)
		return 0;
	for (size_t i = 0; i < s->n; i++)
		if (strlen(s->v[i]) == len && !memcmp(s->v[i], v, len))
			return 0;
	char **nv = realloc(s->v, (s->n + 1) * sizeof(*nv));
	if (!nv)
		return -1;
	s->v = nv;
	if (!(s->v[s->n] = malloc(len + 1)))
		return -1;
	memcpy(s->v[s->n], v, len);
	s->v[s->n++][len] = '\0';
	return 0;
}

/* A secret as written, and as libpq reads it: percent-decoded, or
 * unquoted and unescaped. */
static int add_found(void *ctx, const char *v, size_t len, enum form form)
{
	char *dec = malloc(len + 1);
	if (!dec)
		return -1;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (form == URL_VALUE && v[i] == '%' && i + 2 < len && hexval(v[i + 1]) >= 0 &&
		    hexval(v[i + 2]) >= 0) {
			dec[n++] = (char)(hexval(v[i + 1]) * 16 + hexval(v[i + 2]));
			i += 2;
		} else if (form == CONNINFO_VALUE && v[i] == '\'' && (i == 0 || i == len - 1)) {
			continue;
		} else {
			if (form == CONNINFO_VALUE && v[i] == '\\' && i + 1 < len)
				i++;
			dec[n++] = v[i];
		}
	}
	int rc = add_secret(ctx, v, len) < 0 || add_secret(ctx, dec, n) < 0 ? -1 : 0;
	free(dec);
	return rc;
}

int pg_secrets_add(struct pg_secrets *s, const char *secret)
{
	return add_secret(s, secret, strlen(secret));
}

int pg_secrets_find(struct pg_secrets *s, const char *uri, const char *const *keys)
{
	return walk(uri, keys, add_found, s);
}

void pg_secrets_free(struct pg_secrets *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* Whether a and b share a run of at least k bytes. */
static int share_run(const char *a, size_t al, const char *b, size_t bl, size_t k)
{
	for (size_t i = 0; i + k <= al; i++)
		for (size_t j = 0; j + k <= bl; j++)
			if (!memcmp(a + i, b + j, k))
				return 1;
	return 0;
}

/* A quoted part of libpq's message that may be (part of) a secret: a
 * piece of one (libpq quotes the piece of a URI it stumbled on), or
 * holding four bytes of one in a row.  One-byte pieces are libpq's own
 * syntax ("=", "]"), unless the secret is that one byte. */
static int suspect(const struct pg_secrets *s, const char *q, size_t ql)
{
	for (size_t i = 0; i < s->n && ql; i++) {
		size_t sl = strlen(s->v[i]);
		size_t k = sl < 4 ? sl : 4;
		if (ql <= sl && (ql >= 2 || ql == sl) && share_run(s->v[i], sl, q, ql, ql))
			return 1;
		if (ql >= k && share_run(q, ql, s->v[i], sl, k))
			return 1;
	}
	return 0;
}

/* The length of the secret msg starts with, or 0. */
static size_t secret_at(const struct pg_secrets *s, const char *msg)
{
	for (size_t i = 0; i < s->n; i++) {
		size_t sl = strlen(s->v[i]);
		if (!strncmp(msg, s->v[i], sl))
			return sl;
	}
	return 0;
}

static void emit(char *out, size_t outsz, size_t *o, const char *piece, size_t len)
{
	size_t n = len < outsz - 1 - *o ? len : outsz - 1 - *o;
	memcpy(out + *o, piece, n);
	*o += n;
}

void pg_scrub(const struct pg_secrets *s, const char *msg, char *out, size_t outsz)
{
	if (!outsz)
		return;
	size_t o = 0;
	for (const char *p = msg; *p;) {
		const char *close = *p == '"' ? strchr(p + 1, '"') : NULL;
		size_t sl;
		if (close) {
			if (suspect(s, p + 1, (size_t)(close - p - 1)))
				emit(out, outsz, &o, "\"****\"", 6);
			else
				emit(out, outsz, &o, p, (size_t)(close - p + 1));
			p = close + 1;
		} else if ((sl = secret_at(s, p))) {
			emit(out, outsz, &o, "****", 4);
			p += sl;
		} else {
			emit(out, outsz, &o, p, 1);
			p++;
		}
	}
	out[o] = '\0';
}
