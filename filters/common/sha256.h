/*
 * sha256.h - SHA-256 (FIPS 180-4), for content keys such as rft-call's
 * response cache.  Not for secrets: no constant-time guarantees are needed.
 *
 *   struct rft_sha256 c;
 *   rft_sha256_init(&c); rft_sha256_update(&c, p, n); ...
 *   rft_sha256_final(&c, digest);          // 32 bytes
 *   rft_sha256_hex(p, n, hex);             // one call: 64 hex digits + NUL
 *
 * Ownership rule: nothing is allocated; the context is a plain value.
 */
#ifndef RFT_SHA256_H
#define RFT_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct rft_sha256 {
	uint32_t h[8];
	uint64_t len;           /* bytes hashed so far */
	unsigned char buf[64];  /* a partial block */
	size_t nbuf;
};

void rft_sha256_init(struct rft_sha256 *c);
void rft_sha256_update(struct rft_sha256 *c, const void *data, size_t n);
void rft_sha256_final(struct rft_sha256 *c, unsigned char digest[32]);
/* digest of data as lower-case hex into hex[65] */
void rft_sha256_hex(const void *data, size_t n, char hex[65]);
/* 32-byte digest as lower-case hex into hex[65] */
void rft_sha256_to_hex(const unsigned char digest[32], char hex[65]);

#endif
