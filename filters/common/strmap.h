/*
 * strmap.h - a string -> index map (open addressing, FNV-1a), for interning
 * ids such as "HGNC:29316" into dense 0..n-1 indexes.
 *
 * Ownership rule: the map owns copies of its keys; strmap_key() returns a
 * borrowed pointer valid until strmap_release().  Values are the dense index
 * in insertion order.
 */
#ifndef RFT_STRMAP_H
#define RFT_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct strmap {
	char **keys;        /* by index, insertion order */
	size_t n, cap;      /* keys used / allocated */
	int32_t *slots;     /* hash table of indexes, -1 empty */
	uint32_t *tags;     /* by slot: high bits of the key's hash (skips most compares) */
	size_t nslots;      /* a power of two */
};

#define STRMAP_INIT { NULL, 0, 0, NULL, NULL, 0 }

/* index of key, or -1 */
long strmap_get(const struct strmap *m, const char *key);
/* index of key, adding it when absent (*added set to 1 then, if given) */
long strmap_intern(struct strmap *m, const char *key, int *added);
/* the same for key[0..len) (no NUL needed) whose rft_hash64(key, len, 0) is hash */
long strmap_intern_hashed(struct strmap *m, const char *key, size_t len, uint64_t hash, int *added);
static inline const char *strmap_key(const struct strmap *m, long i) { return m->keys[i]; }
void strmap_release(struct strmap *m);

/* 64-bit FNV-1a of s, finished with the splitmix64 mixer: the hash every
 * rftkit filter uses where a stable, documented hash is needed */
uint64_t rft_hash64(const char *s, size_t len, uint64_t seed);

#endif
