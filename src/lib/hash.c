/* SPDX-License-Identifier: MIT */
/* The migration hash: lower-case hex MD5 of the up SQL, as the Python tool
 * stores it (hashlib.md5(text).hexdigest()). */
#include <config.h>
#include <stdlib.h>
#include <openssl/evp.h>

#include "internal.h"

struct flux_hasher {
	EVP_MD *md;
	EVP_MD_CTX *ctx;
};

/* OpenSSL 3 looks the algorithm up again on every EVP_Digest(EVP_md5()):
 * for a directory of a thousand migrations that lookup costs more than the
 * hashing, so readers fetch it once and reuse one context. */
flux_hasher *flux_hasher_new(void)
{
	flux_hasher *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->md = EVP_MD_fetch(NULL, "MD5", NULL);
	h->ctx = EVP_MD_CTX_new();
	if (!h->md || !h->ctx) {
		flux_hasher_free(h);
		return NULL;
	}
	return h;
}

void flux_hasher_free(flux_hasher *h)
{
	if (!h)
		return;
	EVP_MD_free(h->md);
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

static void to_hex(const unsigned char md[16], char out[33])
{
	static const char hex[] = "0123456789abcdef";
	for (unsigned int i = 0; i < 16; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[32] = '\0';
}

void flux_hasher_md5_hex(flux_hasher *h, const void *data, size_t len, char out[33])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (!h) {
		flux_md5_hex(data, len, out);
		return;
	}
	if (!EVP_DigestInit_ex(h->ctx, h->md, NULL) || !EVP_DigestUpdate(h->ctx, data, len) ||
	    !EVP_DigestFinal_ex(h->ctx, md, &mdlen) || mdlen != 16) {
		out[0] = '\0';
		return;
	}
	to_hex(md, out);
}

void flux_md5_hex(const void *data, size_t len, char out[33])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	/* EVP_Digest is the one-shot interface OpenSSL 3 keeps un-deprecated. */
	if (!EVP_Digest(data, len, md, &mdlen, EVP_md5(), NULL) || mdlen != 16) {
		out[0] = '\0';
		return;
	}
	to_hex(md, out);
}
