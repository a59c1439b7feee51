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

#endif
