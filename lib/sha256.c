/*
 * sha256: SHA-256 through OpenSSL's EVP interface (see sha256.h).
 */
#include <stdlib.h>

#include <openssl/evp.h>

#include "log.h"

#include "sha256.h"

/* SHA-256 in hex. */
void
sha256_hex(const void *p, size_t len, char out[65])
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 d[EVP_MAX_MD_SIZE];
	unsigned int		 n = 0, i;

	if (EVP_Digest(p, len, d, &n, EVP_sha256(), NULL) != 1 || n != 32)
		fatalx("sha256: the digest failed");
	for (i = 0; i < 32; i++) {
		out[i * 2] = hex[d[i] >> 4];
		out[i * 2 + 1] = hex[d[i] & 0xf];
	}
	out[64] = '\0';
}
