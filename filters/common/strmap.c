#include "strmap.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

uint64_t rft_hash64(const char *s, size_t len, uint64_t seed)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ (seed * 0x9e3779b97f4a7c15ULL);
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

static size_t find(const struct strmap *m, const char *key, size_t len)
{
	size_t mask = m->nslots - 1, i = (size_t)rft_hash64(key, len, 0) & mask;

	while (m->slots[i] >= 0 && strcmp(m->keys[m->slots[i]], key) != 0)
		i = (i + 1) & mask;
	return i;
}

long strmap_get(const struct strmap *m, const char *key)
{
	if (!m->nslots)
		return -1;
	return m->slots[find(m, key, strlen(key))];
}

static void rehash(struct strmap *m)
{
	size_t i, n = m->nslots ? m->nslots * 2 : 64;

	free(m->slots);
	m->slots = emalloc(n * sizeof(*m->slots));
	m->nslots = n;
	for (i = 0; i < n; i++)
		m->slots[i] = -1;
	for (i = 0; i < m->n; i++)
		m->slots[find(m, m->keys[i], strlen(m->keys[i]))] = (int32_t)i;
}

long strmap_intern(struct strmap *m, const char *key, int *added)
{
	size_t len = strlen(key), slot;

	if (added)
		*added = 0;
	if ((m->n + 1) * 2 > m->nslots)
		rehash(m);
	slot = find(m, key, len);
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
	if (added)
		*added = 1;
	return (long)m->n++;
}

void strmap_release(struct strmap *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->slots);
	memset(m, 0, sizeof(*m));
}
