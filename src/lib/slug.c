/* SPDX-License-Identifier: MIT */
/* The file-name part of `flux new`: the Python tool's
 * "-".join(description.lower().split()), so the same description gives
 * the same file name under both tools, non-ASCII letters included.
 *
 * Python lower-cases with Unicode's full case mapping and splits on its
 * own whitespace set; glibc's towlower() (in the C.UTF-8 locale) gives the
 * simple mapping, so the two full-mapping cases Python applies (U+0130 and
 * the final sigma) are done here.  Bytes that are not UTF-8 are kept. */
#include <config.h>
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "slug.h"

/* Python's str.isspace() for the code points str.split() splits on. */
static int py_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 ||
	       c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
	       c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/* One UTF-8 sequence at s (n bytes left): its code point and length, or
 * length 1 and UINT32_MAX for a byte that does not start a valid one. */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
	size_t len = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3
		     : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
	*cp = UINT32_MAX;
	if (!len || len > n)
		return 1;
	uint32_t c = len == 1 ? s[0] : s[0] & (0x7F >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 1;
		c = c << 6 | (s[i] & 0x3F);
	}
	if (c < min[len] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 1;
	*cp = c;
	return len;
}

static size_t utf8_put(char *o, uint32_t c)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xC0 | c >> 6);
		o[1] = (char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xE0 | c >> 12);
		o[1] = (char)(0x80 | (c >> 6 & 0x3F));
		o[2] = (char)(0x80 | (c & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | c >> 18);
	o[1] = (char)(0x80 | (c >> 12 & 0x3F));
	o[2] = (char)(0x80 | (c >> 6 & 0x3F));
	o[3] = (char)(0x80 | (c & 0x3F));
	return 4;
}

/* A letter with case: what Unicode's Final_Sigma rule looks at. */
static int cased(locale_t loc, uint32_t c)
{
	return c != UINT32_MAX && loc && (iswupper_l((wint_t)c, loc) || iswlower_l((wint_t)c, loc));
}

static uint32_t lower(locale_t loc, uint32_t c)
{
	if (c == UINT32_MAX)
		return c;
	if (c < 0x80)
		return c >= 'A' && c <= 'Z' ? c + 32 : c;
	return loc ? (uint32_t)towlower_l((wint_t)c, loc) : c;
}

char *flux_slug(const char *desc)
{
	size_t n = strlen(desc);
	/* U+0130 (2 bytes) grows to 3; nothing else grows. */
	char *out = malloc(n * 2 + 1), *o = out;
	if (!out)
		return NULL;
	/* Independent of the user's locale: Python decodes argv as UTF-8. */
	locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	const unsigned char *s = (const unsigned char *)desc;
	size_t i = 0;
	uint32_t prev = UINT32_MAX; /* last code point of the current word */
	int in_word = 0;
	while (i < n) {
		uint32_t c;
		size_t len = utf8_next(s + i, n - i, &c);
		if (c != UINT32_MAX && py_space(c)) {
			in_word = 0;
			prev = UINT32_MAX;
			i += len;
			continue;
		}
		if (!in_word && o != out)
			*o++ = '-';
		in_word = 1;
		if (c == UINT32_MAX) {
			*o++ = (char)s[i]; /* not UTF-8: kept as it is */
		} else if (c == 0x130) {
			o += utf8_put(o, 'i');
			o += utf8_put(o, 0x307);
		} else if (c == 0x3A3) {
			uint32_t next = UINT32_MAX;
			if (i + len < n)
				utf8_next(s + i + len, n - i - len, &next);
			int final = cased(loc, prev) && !cased(loc, next);
			o += utf8_put(o, final ? 0x3C2 : 0x3C3);
		} else {
			o += utf8_put(o, lower(loc, c));
		}
		prev = c;
		i += len;
	}
	*o = '\0';
	if (loc)
		freelocale(loc);
	return out;
}
