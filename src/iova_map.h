/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Per-domain IOVA range storage: disjoint [start, end) ranges in a treap
 * keyed by start, nodes in one pool addressed by 32-bit index (so a live
 * mapping costs one 56-byte node and nothing else). Range operations are
 * done by carving the tree into "before", "overlapping" and "after" parts,
 * working on the small middle part and joining them again: O(log n).
 *
 * Node indices are stable; node pointers are not (the pool grows with
 * realloc): re-fetch with iova_node() after any allocation.
 */
#ifndef SMMUTRACE_IOVA_MAP_H
#define SMMUTRACE_IOVA_MAP_H

#include <stdbool.h>
#include <stdint.h>

#define IOVA_NIL 0u

enum iova_state {
	IOVA_FREE_SLOT = 0,	/* pool slot not in use */
	/* the engine's page tables */
	IOVA_MAPPED = 1,	/* mapped and live */
	IOVA_FREED = 2,		/* unmapped by an unmap that reported success */
	/* the engine's TLB side: a fragment some unmaps still owe an invalidation
	 * (seq: how many pending unmap pieces cover it, owed: of them not yet
	 * covered by a TLBI) */
	IOVA_OWED = 3,
};

#define IOVA_MASK(s) (1u << (s))
#define IOVA_MASK_ALL (IOVA_MASK(IOVA_MAPPED) | IOVA_MASK(IOVA_FREED))

struct iova_node {
	/* what a tree descent reads comes first: one cache line per level */
	uint64_t start, end;	/* [start, end) */
	uint32_t left, right;	/* treap children */
	uint64_t ts;		/* MAPPED: map ts; FREED: unmap ts; OWED: latest unmap over it */
	int32_t pid;		/* of that map/unmap; -1 unknown */
	uint32_t comm;		/* interned comm id (engine's table) */
	uint32_t seq;		/* OWED: pending pieces over it */
	uint32_t owed;		/* OWED: of them, not yet covered by a TLBI */
	uint32_t domain;	/* owning domain's index in the engine */
	uint8_t state;		/* enum iova_state */
	uint8_t flags;
	uint16_t _pad;
};

struct iova_pool {
	struct iova_node *nodes;	/* [0] is the NIL sentinel */
	uint32_t cap, used, free_head;
	uint64_t live;			/* nodes in use */
	uint64_t peak;
};

static inline struct iova_node *iova_node(const struct iova_pool *p, uint32_t i)
{
	return &p->nodes[i];
}

int iova_pool__init(struct iova_pool *p);
void iova_pool__fini(struct iova_pool *p);
/* A zeroed node, or IOVA_NIL when out of memory (or 2^32 nodes). */
uint32_t iova_pool__alloc(struct iova_pool *p);
void iova_pool__release(struct iova_pool *p, uint32_t i);

/* called when a node ORIG is cut and the upper piece PIECE created */
typedef void (*iova_split_fn)(struct iova_pool *p, uint32_t orig, uint32_t piece, void *ctx);

struct iova_carve {
	uint32_t before, mid, after;	/* three treaps */
};

/*
 * Split ROOT into ranges wholly below A, ranges overlapping [A, B), and
 * ranges wholly at or above B. Ranges whose state is in SPLIT_MASK and that
 * straddle A or B are cut there (SPLIT called for each new piece); other
 * straddlers go into `mid` whole. Returns -ENOMEM if a cut could not get a
 * node (the tree is then left whole in `mid`... never partially split).
 */
int iova_tree__carve(struct iova_pool *p, uint32_t root, uint64_t a, uint64_t b,
		     unsigned int split_mask, iova_split_fn split, void *ctx,
		     struct iova_carve *out);
/* Join three treaps whose ranges are ordered: returns the new root. */
uint32_t iova_tree__join(struct iova_pool *p, uint32_t before, uint32_t mid, uint32_t after);
/* In-order node indices of ROOT appended to *V (growing it); count returned or -ENOMEM. */
int iova_tree__collect(const struct iova_pool *p, uint32_t root, uint32_t **v, uint32_t *cap,
		       uint32_t n);
/* Build a treap from node indices sorted by start (their children are overwritten). */
uint32_t iova_tree__build(struct iova_pool *p, const uint32_t *v, uint32_t n);
/* Node whose range contains ADDR, or IOVA_NIL. */
uint32_t iova_tree__find(const struct iova_pool *p, uint32_t root, uint64_t addr);
/* Some node overlapping [A, B) (the first one met on the way down), or IOVA_NIL. */
uint32_t iova_tree__overlap(const struct iova_pool *p, uint32_t root, uint64_t a, uint64_t b);

#endif
