/* The migration hash: lower-case hex MD5 of the up SQL, as the Python tool
 * stores it (hashlib.md5(text).hexdigest()). */
#include <config.h>
#include <openssl/evp.h>

#include "internal.h"

void flux_md5_hex(const void *data, size_t len, char out[33])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	/* EVP_Digest is the one-shot interface OpenSSL 3 keeps un-deprecated. */
	if (!EVP_Digest(data, len, md, &mdlen, EVP_md5(), NULL) || mdlen != 16) {
		out[0] = '\0';
		return;
	}
	for (unsigned int i = 0; i < 16; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[32] = '\0';
}
