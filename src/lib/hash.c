/* SPDX-License-Identifier: MIT */
/* The migration hash: lower-case hex MD5 of the up SQL, as the Python tool
 * stores it (hashlib.md5(text).hexdigest()). */
#include <config.h>
#include <stdlib.h>
#include <stdio.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "internal.h"

struct flux_hasher {
	EVP_MD *md;
	EVP_MD_CTX *ctx;
	/* OpenSSL's reason, once MD5 could not be had or computed. */
	char why[160];
};

/* OpenSSL's last error as text, and the queue emptied, so the next
 * failure is not blamed on this one. */
static void openssl_reason(char *out, size_t n)
{
	unsigned long e = ERR_get_error();
	if (e)
		ERR_error_string_n(e, out, n);
	else
		snprintf(out, n, "no reason given");
	ERR_clear_error();
}

/* OpenSSL 3 looks the algorithm up again on every EVP_Digest(EVP_md5()):
 * for a directory of a thousand migrations that lookup costs more than the
 * hashing, so readers fetch it once and reuse one context.  A FIPS-only
 * OpenSSL has no MD5: the hasher is still made, and every hash then fails
 * with OpenSSL's reason (flux_hasher_why). */
flux_hasher *flux_hasher_new(void)
{
	flux_hasher *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx) {
		flux_hasher_free(h);
		return NULL;
	}
	h->md = EVP_MD_fetch(NULL, "MD5", NULL);
	if (!h->md)
		openssl_reason(h->why, sizeof(h->why));
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

const char *flux_hasher_why(const flux_hasher *h)
{
	return h->why;
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

int flux_hasher_md5_hex(flux_hasher *h, const void *data, size_t len, char out[33])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	out[0] = '\0';
	if (!h->md)
		return -1;
	if (!EVP_DigestInit_ex(h->ctx, h->md, NULL) || !EVP_DigestUpdate(h->ctx, data, len) ||
	    !EVP_DigestFinal_ex(h->ctx, md, &mdlen) || mdlen != 16) {
		openssl_reason(h->why, sizeof(h->why));
		return -1;
	}
	to_hex(md, out);
	return 0;
}

/* The public one-shot form (flux.h) has no way to report a failure: it
 * leaves out empty.  libflux itself hashes through a flux_hasher. */
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
