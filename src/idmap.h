/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * An open-addressing index of 32-bit ids (never 0) found by a 64-bit hash:
 * linear probing, backward-shift deletion (no tombstones), grown by doubling
 * at half load. The keys stay in the caller's own records (a domain's
 * pointer, a range's start, an interned string) and the caller says which id
 * matches. Each slot also keeps the low 32 bits of its id's hash: a lookup
 * skips the other ids of a probe run without touching their records (each
 * such touch is a cache miss on the replay hot path), and growing and
 * deleting never ask the caller for a hash. A slot costs 8 bytes: the engine
 * keeps one per live mapping. (Not "hashmap": the static arm64 binary links
 * libbpf.a, whose hashmap__* symbols are global.)
 *
 * Lookup is inline, without callbacks:
 *
 *	idmap__for_each_candidate(m, hash, slot, id)
 *		if (record[id].key == key)
 *			return id;
 */
#ifndef SMMUTRACE_IDMAP_H
#define SMMUTRACE_IDMAP_H

#include <stdbool.h>
#include <stdint.h>

struct idmap_slot {
	uint32_t sid;		/* the id; 0 = empty (names unlike the macro's arguments) */
	uint32_t shash;		/* low 32 bits of the id's hash: its home and a filter */
};

struct idmap {
	struct idmap_slot *slots;
	uint32_t cap;		/* a power of two, or 0 before the first insert */
	uint32_t used;
};

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

/*
 * Where the ids of HASH may be: the slots of the probe run from its home
 * whose stored hash bits are HASH's (another key's id can still share them:
 * the caller compares keys). The if/else keeps a caller's `else` its own.
 */
#define idmap__for_each_candidate(m, hash, slot, id)					\
	for (uint32_t id##_h = (uint32_t)(hash),					\
		      slot = (m)->cap ? id##_h & ((m)->cap - 1) : 0, id;		\
	     (id = (m)->cap ? (m)->slots[slot].sid : 0) != 0;				\
	     slot = (slot + 1) & ((m)->cap - 1))						\
		if ((m)->slots[slot].shash != id##_h) {} else

/* the address of HASH's first candidate slot, to prefetch (NULL while empty) */
static inline const struct idmap_slot *idmap__home_slot(const struct idmap *m, uint64_t hash)
{
	return m->cap ? &m->slots[idmap__home(m, hash)] : (const struct idmap_slot *)0;
}

/* An empty map with room for CAP ids before it grows (0: none yet). 0 or -ENOMEM. */
int idmap__init(struct idmap *m, uint32_t cap);
void idmap__free(struct idmap *m);
/*
 * Add ID under HASH (the caller has checked it is not there). Grows first at
 * half load; 0, or -ENOMEM with the map unchanged.
 */
int idmap__insert(struct idmap *m, uint64_t hash, uint32_t id);
/* Take out the id in SLOT (a slot a candidate loop found), closing the gap. */
void idmap__delete_slot(struct idmap *m, uint32_t slot);
/* Take out ID found under HASH; false when it is not there. */
bool idmap__delete(struct idmap *m, uint64_t hash, uint32_t id);

#endif
