/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * An open-addressing index of 32-bit ids (never 0) found by a 64-bit hash:
 * linear probing, backward-shift deletion (no tombstones), grown by doubling
 * at half load. The keys stay in the caller's own records (a domain's
 * pointer, a range's start, an interned string) and the caller says which id
 * matches, so a slot costs 4 bytes: the engine keeps one per live mapping.
 * (Not "hashmap": the static arm64 binary links libbpf.a, whose hashmap__*
 * symbols are global.)
 *
 * Lookup is inline, without callbacks (it sits on the replay hot path):
 *
 *	idmap__for_each_candidate(m, hash, slot, id)
 *		if (record[id].key == key)
 *			return id;
 *
 * Growing and deleting move ids to other slots, so they ask the caller for
 * the hash of an id (HASH_OF).
 */
#ifndef SMMUTRACE_IDMAP_H
#define SMMUTRACE_IDMAP_H

#include <stdbool.h>
#include <stdint.h>

struct idmap {
	uint32_t *slots;	/* id, or 0 = empty */
	uint32_t cap;		/* a power of two, or 0 before the first insert */
	uint32_t used;
};

/* the hash of the id in a slot, from the caller's record of it */
typedef uint64_t (*idmap_hash_fn)(uint32_t id, const void *ctx);

/* A 64-bit mix (murmur3's finalizer): keys that differ in any bit spread over the slots. */
static inline uint64_t idmap__mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static inline uint32_t idmap__home(const struct idmap *m, uint64_t hash)
{
	return (uint32_t)hash & (m->cap - 1);
}

/* where the ids of HASH may be: every slot of the probe run from its home */
#define idmap__for_each_candidate(m, hash, slot, id)					\
	for (uint32_t slot = (m)->cap ? idmap__home((m), (hash)) : 0,		\
		      id = (m)->cap ? (m)->slots[slot] : 0;				\
	     id; slot = (slot + 1) & ((m)->cap - 1), id = (m)->slots[slot])

/* the address of HASH's first candidate slot, to prefetch (NULL while empty) */
static inline const uint32_t *idmap__home_slot(const struct idmap *m, uint64_t hash)
{
	return m->cap ? &m->slots[idmap__home(m, hash)] : (const uint32_t *)0;
}

/* An empty map with room for CAP ids before it grows (0: none yet). 0 or -ENOMEM. */
int idmap__init(struct idmap *m, uint32_t cap);
void idmap__free(struct idmap *m);
/*
 * Add ID under HASH (the caller has checked it is not there). Grows first at
 * half load; 0, or -ENOMEM with the map unchanged.
 */
int idmap__insert(struct idmap *m, uint64_t hash, uint32_t id, idmap_hash_fn hash_of,
		    const void *ctx);
/* Take out the id in SLOT (a slot a candidate loop found), closing the gap. */
void idmap__delete_slot(struct idmap *m, uint32_t slot, idmap_hash_fn hash_of,
			  const void *ctx);
/* Take out ID found under HASH; false when it is not there. */
bool idmap__delete(struct idmap *m, uint64_t hash, uint32_t id, idmap_hash_fn hash_of,
		     const void *ctx);

#endif
