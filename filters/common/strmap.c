#include "strmap.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

uint64_t rft_hash64(const char *s, size_t len, uint64_t seed)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ (seed * RFT_SPLITMIX64_GAMMA);
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return rft_mix64(h);
}

static size_t find(const struct strmap *m, const char *key, size_t len, uint64_t h)
{
	size_t mask = m->nslots - 1, i = (size_t)h & mask;
	uint32_t tag = (uint32_t)(h >> 32);

	while (m->slots[i] >= 0) {
		if (m->tags[i] == tag) {
			const char *k = m->keys[m->slots[i]];

			if (!memcmp(k, key, len) && k[len] == '\0')
				break;
		}
		i = (i + 1) & mask;
	}
	return i;
}

long strmap_get(const struct strmap *m, const char *key)
{
	size_t len = strlen(key);

	if (!m->nslots)
		return -1;
	return m->slots[find(m, key, len, rft_hash64(key, len, 0))];
}

static void rehash(struct strmap *m)
{
	size_t i, n = m->nslots ? m->nslots * 2 : 64;

	free(m->slots);
	free(m->tags);
	m->slots = emalloc(n * sizeof(*m->slots));
	m->tags = emalloc(n * sizeof(*m->tags));
	m->nslots = n;
	for (i = 0; i < n; i++)
		m->slots[i] = -1;
	for (i = 0; i < m->n; i++) {
		size_t len = strlen(m->keys[i]);
		uint64_t h = rft_hash64(m->keys[i], len, 0);
		size_t slot = find(m, m->keys[i], len, h);

		m->slots[slot] = (int32_t)i;
		m->tags[slot] = (uint32_t)(h >> 32);
	}
}

long strmap_intern_hashed(struct strmap *m, const char *key, size_t len, uint64_t hash, int *added)
{
	size_t slot;

	if (added)
		*added = 0;
	if ((m->n + 1) * 2 > m->nslots)
		rehash(m);
	slot = find(m, key, len, hash);
	if (m->slots[slot] >= 0)
		return m->slots[slot];
	if (m->n == 0x7fffffff)
		die(RFT_EX_SOFTWARE, "strmap: too many keys");
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 64;
		m->keys = erealloc(m->keys, m->cap * sizeof(*m->keys));
	}
	m->keys[m->n] = estrndup(key, len);
	m->slots[slot] = (int32_t)m->n;
	m->tags[slot] = (uint32_t)(hash >> 32);
	if (added)
		*added = 1;
	return (long)m->n++;
}

long strmap_intern(struct strmap *m, const char *key, int *added)
{
	size_t len = strlen(key);

	return strmap_intern_hashed(m, key, len, rft_hash64(key, len, 0), added);
}

void strmap_release(struct strmap *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->slots);
	free(m->tags);
	memset(m, 0, sizeof(*m));
}
