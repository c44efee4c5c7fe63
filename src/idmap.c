// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include "idmap.h"

#define IDMAP_MIN_CAP 16u

static uint32_t cap_for(uint32_t n)
{
	uint32_t cap = IDMAP_MIN_CAP;

	/* at most half full: probe runs stay short */
	while (cap < UINT32_MAX / 4 && cap / 2 < n)
		cap *= 2;
	return cap;
}

int idmap__init(struct idmap *m, uint32_t cap)
{
	m->slots = NULL;
	m->cap = m->used = 0;
	if (!cap)
		return 0;
	m->cap = cap_for(cap);
	m->slots = calloc(m->cap, sizeof(*m->slots));
	if (!m->slots) {
		m->cap = 0;
		return -ENOMEM;
	}
	return 0;
}

void idmap__free(struct idmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->used = 0;
}

static void place(uint32_t *slots, uint32_t cap, uint64_t hash, uint32_t id)
{
	uint32_t s = (uint32_t)hash & (cap - 1);

	while (slots[s])
		s = (s + 1) & (cap - 1);
	slots[s] = id;
}

static int grow(struct idmap *m, idmap_hash_fn hash_of, const void *ctx)
{
	uint32_t ncap = m->cap ? m->cap * 2 : IDMAP_MIN_CAP;
	uint32_t *n;

	if (ncap < m->cap)
		return -ENOMEM;
	n = calloc(ncap, sizeof(*n));
	if (!n)
		return -ENOMEM;
	for (uint32_t k = 0; k < m->cap; k++)
		if (m->slots[k])
			place(n, ncap, hash_of(m->slots[k], ctx), m->slots[k]);
	free(m->slots);
	m->slots = n;
	m->cap = ncap;
	return 0;
}

int idmap__insert(struct idmap *m, uint64_t hash, uint32_t id, idmap_hash_fn hash_of,
		    const void *ctx)
{
	if ((uint64_t)(m->used + 1) * 2 > m->cap && grow(m, hash_of, ctx))
		return -ENOMEM;
	place(m->slots, m->cap, hash, id);
	m->used++;
	return 0;
}

void idmap__delete_slot(struct idmap *m, uint32_t hole, idmap_hash_fn hash_of,
			  const void *ctx)
{
	uint32_t mask = m->cap - 1;

	/* backward shift: move later ids of the probe run into the hole */
	for (uint32_t k = (hole + 1) & mask;; k = (k + 1) & mask) {
		uint32_t id = m->slots[k], home;

		if (!id)
			break;
		home = (uint32_t)hash_of(id, ctx) & mask;
		/* the id may move to the hole only if its home is not in (hole, k] */
		if ((k > hole && (home <= hole || home > k)) ||
		    (k < hole && (home <= hole && home > k))) {
			m->slots[hole] = id;
			hole = k;
		}
	}
	m->slots[hole] = 0;
	m->used--;
}

bool idmap__delete(struct idmap *m, uint64_t hash, uint32_t id, idmap_hash_fn hash_of,
		     const void *ctx)
{
	idmap__for_each_candidate(m, hash, slot, v)
		if (v == id) {
			idmap__delete_slot(m, slot, hash_of, ctx);
			return true;
		}
	return false;
}
