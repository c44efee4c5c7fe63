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

static void place(struct idmap_slot *slots, uint32_t cap, uint32_t hash, uint32_t id)
{
	uint32_t s = hash & (cap - 1);

	while (slots[s].sid)
		s = (s + 1) & (cap - 1);
	slots[s].sid = id;
	slots[s].shash = hash;
}

static int grow(struct idmap *m)
{
	uint32_t ncap = m->cap ? m->cap * 2 : IDMAP_MIN_CAP;
	struct idmap_slot *n;

	if (ncap < m->cap)
		return -ENOMEM;
	n = calloc(ncap, sizeof(*n));
	if (!n)
		return -ENOMEM;
	for (uint32_t k = 0; k < m->cap; k++)
		if (m->slots[k].sid)
			place(n, ncap, m->slots[k].shash, m->slots[k].sid);
	free(m->slots);
	m->slots = n;
	m->cap = ncap;
	return 0;
}

int idmap__insert(struct idmap *m, uint64_t hash, uint32_t id)
{
	if ((uint64_t)(m->used + 1) * 2 > m->cap && grow(m))
		return -ENOMEM;
	place(m->slots, m->cap, (uint32_t)hash, id);
	m->used++;
	return 0;
}

void idmap__delete_slot(struct idmap *m, uint32_t hole)
{
	uint32_t mask = m->cap - 1;

	/* backward shift: move later ids of the probe run into the hole */
	for (uint32_t k = (hole + 1) & mask;; k = (k + 1) & mask) {
		uint32_t home;

		if (!m->slots[k].sid)
			break;
		home = m->slots[k].shash & mask;
		/* the id may move to the hole only if its home is not in (hole, k] */
		if ((k > hole && (home <= hole || home > k)) ||
		    (k < hole && (home <= hole && home > k))) {
			m->slots[hole] = m->slots[k];
			hole = k;
		}
	}
	m->slots[hole].sid = 0;
	m->slots[hole].shash = 0;
	m->used--;
}

bool idmap__delete(struct idmap *m, uint64_t hash, uint32_t id)
{
	idmap__for_each_candidate(m, hash, slot, v)
		if (v == id) {
			idmap__delete_slot(m, slot);
			return true;
		}
	return false;
}
