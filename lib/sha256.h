/*
 * sha256: SHA-256 digests in hex, from OpenSSL's libcrypto (which
 * libgit2, libcurl and libwebsockets already bring in), for content
 * hashes and the hub's token check.
 */
#ifndef ROOST_SHA256_H
#define ROOST_SHA256_H

#include <stddef.h>

/* SHA-256 of len bytes at p as 64 lowercase hex digits plus NUL in out. */
void	sha256_hex(const void *p, size_t len, char out[65]);

/*
 * A SHA-256 computed piece by piece (an archive as it is written or read):
 * sha256_begin makes one (never fails), sha256_add feeds len bytes,
 * sha256_end writes the hex digest into out and frees it.
 */
struct sha256_ctx;
struct sha256_ctx *sha256_begin(void);
void	sha256_add(struct sha256_ctx *c, const void *p, size_t len);
void	sha256_end(struct sha256_ctx *c, char out[65]);

#endif
