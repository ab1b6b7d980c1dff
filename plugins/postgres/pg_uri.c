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

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* [v, v + len) as itself and percent-decoded, as libpq decodes it. */
static int add_encoded(struct pg_secrets *s, const char *v, size_t len)
{
	char *dec = malloc(len + 1);
	if (!dec)
		return -1;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (v[i] == '%' && i + 2 < len && hexval(v[i + 1]) >= 0 && hexval(v[i + 2]) >= 0) {
			dec[n++] = (char)(hexval(v[i + 1]) * 16 + hexval(v[i + 2]));
			i += 2;
		} else {
			dec[n++] = v[i];
		}
	}
	int rc = add_secret(s, v, len) < 0 || add_secret(s, dec, n) < 0 ? -1 : 0;
	free(dec);
	return rc;
}

static int secret_key(const char *key, size_t len)
{
	return (len == 8 && !memcmp(key, "password", 8)) ||
	       (len == 11 && !memcmp(key, "sslpassword", 11));
}

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int find_in(struct pg_secrets *s, const char *uri, int depth);

/* user:PASSWORD@ up to the last '@' anywhere (an unencoded '/', '?' or
 * '#' in a password must not cut it short), and ?password= values with
 * percent-encoded keys decoded. */
static int find_in_url(struct pg_secrets *s, const char *auth)
{
	const char *at = strrchr(auth, '@');
	const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	if (colon && add_encoded(s, colon + 1, (size_t)(at - colon - 1)) < 0)
		return -1;
	const char *p = strchr(at ? at : auth, '?');
	while (p && *p) {
		p++;
		size_t l = strcspn(p, "&");
		const char *eq = memchr(p, '=', l);
		if (eq) {
			char key[16];
			size_t n = 0;
			for (const char *k = p; k < eq && n < sizeof(key); k++) {
				if (*k == '%' && eq - k > 2 && hexval(k[1]) >= 0 && hexval(k[2]) >= 0) {
					key[n++] = (char)(hexval(k[1]) * 16 + hexval(k[2]));
					k += 2;
				} else {
					key[n++] = *k;
				}
			}
			if (secret_key(key, n) &&
			    add_encoded(s, eq + 1, (size_t)(p + l - eq - 1)) < 0)
				return -1;
		}
		p += l;
	}
	return 0;
}

/* key = value pairs: '...' with backslash escapes, or up to a blank with
 * backslash escapes; a value that is itself a URI is searched too. */
static int find_in_conninfo(struct pg_secrets *s, const char *p, int depth)
{
	char *val = malloc(strlen(p) + 1);
	if (!val)
		return -1;
	int rc = 0;
	while (*p && !rc) {
		while (blank(*p))
			p++;
		const char *key = p;
		while (*p && *p != '=' && !blank(*p))
			p++;
		size_t kl = (size_t)(p - key);
		while (blank(*p))
			p++;
		if (*p != '=')
			continue;
		p++;
		while (blank(*p))
			p++;
		const char *raw = p;
		int quoted = *p == '\'';
		size_t n = 0;
		if (quoted)
			p++;
		while (*p && (quoted ? *p != '\'' : !blank(*p))) {
			if (*p == '\\' && p[1])
				p++;
			val[n++] = *p++;
		}
		if (quoted && *p)
			p++;
		val[n] = '\0';
		if (secret_key(key, kl))
			rc = add_secret(s, val, n) < 0 || add_secret(s, raw, (size_t)(p - raw)) < 0;
		else if (depth < 2 && strstr(val, "://"))
			rc = find_in(s, val, depth + 1);
	}
	free(val);
	return rc ? -1 : 0;
}

static int find_in(struct pg_secrets *s, const char *uri, int depth)
{
	const char *scheme = strstr(uri, "://");
	if (scheme && strcspn(uri, "= \t\n\r\f\v") >= (size_t)(scheme - uri))
		return find_in_url(s, scheme + 3);
	return find_in_conninfo(s, uri, depth);
}

int pg_secrets_add(struct pg_secrets *s, const char *secret)
{
	return add_secret(s, secret, strlen(secret));
}

int pg_secrets_find(struct pg_secrets *s, const char *uri)
{
	return find_in(s, uri, 0);
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
