/*
 * sha256: SHA-256 through OpenSSL's EVP interface (see sha256.h).
 */
#include <stdlib.h>

#include <openssl/evp.h>

#include "log.h"

#include "sha256.h"

/* Writes the 32 bytes of d as hex into out. */
static void
sha256_hexify(const unsigned char *d, char out[65])
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned int		 i;

	for (i = 0; i < 32; i++) {
		out[i * 2] = hex[d[i] >> 4];
		out[i * 2 + 1] = hex[d[i] & 0xf];
	}
	out[64] = '\0';
}

/* SHA-256 in hex. */
void
sha256_hex(const void *p, size_t len, char out[65])
{
	unsigned char		 d[EVP_MAX_MD_SIZE];
	unsigned int		 n = 0;

	if (EVP_Digest(p, len, d, &n, EVP_sha256(), NULL) != 1 || n != 32)
		fatalx("sha256: the digest failed");
	sha256_hexify(d, out);
}

/* Starts a streamed SHA-256; see sha256.h. */
struct sha256_ctx *
sha256_begin(void)
{
	EVP_MD_CTX	*m;

	if ((m = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(m, EVP_sha256(), NULL) != 1)
		fatalx("sha256: the digest failed");
	return (struct sha256_ctx *)m;
}

/* Feeds bytes to a streamed SHA-256. */
void
sha256_add(struct sha256_ctx *c, const void *p, size_t len)
{
	if (len > 0 && EVP_DigestUpdate((EVP_MD_CTX *)c, p, len) != 1)
		fatalx("sha256: the digest failed");
}

/* Ends a streamed SHA-256 into hex and frees it. */
void
sha256_end(struct sha256_ctx *c, char out[65])
{
	unsigned char	d[EVP_MAX_MD_SIZE];
	unsigned int	n = 0;

	if (EVP_DigestFinal_ex((EVP_MD_CTX *)c, d, &n) != 1 || n != 32)
		fatalx("sha256: the digest failed");
	EVP_MD_CTX_free((EVP_MD_CTX *)c);
	sha256_hexify(d, out);
}
