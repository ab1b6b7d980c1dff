/* SPDX-License-Identifier: MIT */
/* The migration hash: lower-case hex MD5 of the up SQL, as the Python tool
 * stores it (hashlib.md5(text).hexdigest()).
 *
 * libmd's MD5 (Debian's libmd0, the BSD message digest functions), not
 * OpenSSL's: the hash names a text in the record table, it protects
 * nothing, so it must not stop working where a FIPS-only OpenSSL refuses
 * MD5; and libcrypto's load and relocation cost every flux process about
 * 2 ms (40% of `flux --version`) while most runs, answered by the hash
 * cache, hash nothing at all.  libmd is as fast on large texts and, with
 * no provider lookup, several times faster on small ones. */
#include <config.h>
#include <md5.h>

#include "internal.h"

static void to_hex(const unsigned char md[16], char out[33])
{
	static const char hex[] = "0123456789abcdef";
	for (unsigned int i = 0; i < 16; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[32] = '\0';
}

void flux_md5_hex(const void *data, size_t len, char out[33])
{
	MD5_CTX ctx;
	unsigned char md[MD5_DIGEST_LENGTH];
	MD5Init(&ctx);
	MD5Update(&ctx, data, len);
	MD5Final(md, &ctx);
	to_hex(md, out);
}
