// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "iova_map.h"

/*
 * Treap priority derived from the node index (a 32-bit mix), so it costs no
 * memory; indices are handed out in a scattered enough order for the mix to
 * behave like a random priority.
 */
static inline uint32_t prio(uint32_t i)
{
	i ^= i >> 16;
	i *= 0x7feb352dU;
	i ^= i >> 15;
	i *= 0x846ca68bU;
	i ^= i >> 16;
	return i;
}

int iova_pool__init(struct iova_pool *p)
{
	memset(p, 0, sizeof(*p));
	p->cap = 1024;
	p->nodes = calloc(p->cap, sizeof(*p->nodes));
	if (!p->nodes)
		return -ENOMEM;
	p->used = 1;	/* index 0 is NIL */
	return 0;
}

void iova_pool__fini(struct iova_pool *p)
{
	free(p->nodes);
	memset(p, 0, sizeof(*p));
}

uint32_t iova_pool__alloc(struct iova_pool *p)
{
	uint32_t i;

	if (p->free_head) {
		i = p->free_head;
		p->free_head = p->nodes[i].left;
	} else {
		if (p->used == p->cap) {
			uint64_t ncap = (uint64_t)p->cap * 2;
			struct iova_node *n;

			if (ncap > UINT32_MAX)
				return IOVA_NIL;
			/* realloc of a large block maps fresh pages: untouched capacity costs no RSS */
			n = realloc(p->nodes, ncap * sizeof(*n));
			if (!n)
				return IOVA_NIL;
			p->nodes = n;
			p->cap = (uint32_t)ncap;
		}
		i = p->used++;
	}
	memset(&p->nodes[i], 0, sizeof(p->nodes[i]));
	p->live++;
	if (p->live > p->peak)
		p->peak = p->live;
	return i;
}

void iova_pool__release(struct iova_pool *p, uint32_t i)
{
	struct iova_node *n = &p->nodes[i];

	memset(n, 0, sizeof(*n));
	n->left = p->free_head;
	p->free_head = i;
	p->live--;
}

static uint32_t merge(struct iova_pool *p, uint32_t a, uint32_t b)
{
	struct iova_node *na, *nb;

	if (!a)
		return b;
	if (!b)
		return a;
	na = iova_node(p, a);
	nb = iova_node(p, b);
	if (prio(a) > prio(b)) {
		na->right = merge(p, na->right, b);
		return a;
	}
	nb->left = merge(p, a, nb->left);
	return b;
}

struct split_ctx {
	unsigned int mask;
	iova_split_fn fn;
	void *ctx;
	int err;
};

/* Cut node I at X: I keeps [start, X), a new node gets [X, end). */
static uint32_t cut(struct iova_pool *p, uint32_t i, uint64_t x, struct split_ctx *sc)
{
	uint32_t m = iova_pool__alloc(p);
	struct iova_node *n, *nm;

	if (!m) {
		sc->err = -ENOMEM;
		return IOVA_NIL;
	}
	n = iova_node(p, i);
	nm = iova_node(p, m);
	*nm = *n;
	nm->left = nm->right = IOVA_NIL;
	nm->start = x;
	n->end = x;
	if (sc->fn)
		sc->fn(p, i, m, sc->ctx);
	return m;
}

/* left: ranges with end <= A; right: the rest. Straddlers in mask are cut at A. */
static void split_by_end(struct iova_pool *p, uint32_t t, uint64_t a, struct split_ctx *sc,
			 uint32_t *l, uint32_t *r)
{
	struct iova_node *n;

	if (!t) {
		*l = *r = IOVA_NIL;
		return;
	}
	n = iova_node(p, t);
	if (n->end <= a) {
		uint32_t rl, rr;

		split_by_end(p, n->right, a, sc, &rl, &rr);
		iova_node(p, t)->right = rl;
		*l = t;
		*r = rr;
	} else if (n->start >= a || !(sc->mask & IOVA_MASK(n->state))) {
		uint32_t ll, lr;

		split_by_end(p, n->left, a, sc, &ll, &lr);
		iova_node(p, t)->left = lr;
		*l = ll;
		*r = t;
	} else {
		uint32_t orig_right = n->right, m = cut(p, t, a, sc);

		if (!m) {	/* keep t whole on the right side */
			uint32_t ll, lr;

			split_by_end(p, iova_node(p, t)->left, a, sc, &ll, &lr);
			iova_node(p, t)->left = lr;
			*l = ll;
			*r = t;
			return;
		}
		iova_node(p, t)->right = IOVA_NIL;
		*l = t;
		*r = merge(p, m, orig_right);
	}
}

/* left: ranges with start < B; right: the rest. Straddlers in mask are cut at B. */
static void split_by_start(struct iova_pool *p, uint32_t t, uint64_t b, struct split_ctx *sc,
			   uint32_t *l, uint32_t *r)
{
	struct iova_node *n;

	if (!t) {
		*l = *r = IOVA_NIL;
		return;
	}
	n = iova_node(p, t);
	if (n->start >= b) {
		uint32_t ll, lr;

		split_by_start(p, n->left, b, sc, &ll, &lr);
		iova_node(p, t)->left = lr;
		*l = ll;
		*r = t;
	} else if (n->end <= b || !(sc->mask & IOVA_MASK(n->state))) {
		uint32_t rl, rr;

		split_by_start(p, n->right, b, sc, &rl, &rr);
		iova_node(p, t)->right = rl;
		*l = t;
		*r = rr;
	} else {
		uint32_t orig_right = n->right, m = cut(p, t, b, sc);

		if (!m) {
			uint32_t rl, rr;

			split_by_start(p, iova_node(p, t)->right, b, sc, &rl, &rr);
			iova_node(p, t)->right = rl;
			*l = t;
			*r = rr;
			return;
		}
		iova_node(p, t)->right = IOVA_NIL;
		*l = t;
		*r = merge(p, m, orig_right);
	}
}

int iova_tree__carve(struct iova_pool *p, uint32_t root, uint64_t a, uint64_t b,
		     unsigned int split_mask, iova_split_fn split, void *ctx,
		     struct iova_carve *out)
{
	struct split_ctx sc = { .mask = split_mask, .fn = split, .ctx = ctx };
	uint32_t rest;

	split_by_end(p, root, a, &sc, &out->before, &rest);
	split_by_start(p, rest, b, &sc, &out->mid, &out->after);
	return sc.err;
}

uint32_t iova_tree__join(struct iova_pool *p, uint32_t before, uint32_t mid, uint32_t after)
{
	return merge(p, merge(p, before, mid), after);
}

static int collect(const struct iova_pool *p, uint32_t t, uint32_t **v, uint32_t *cap, uint32_t *n)
{
	/* iterative in-order walk: trees from hostile input must not blow the stack */
	uint32_t stack[128], sp = 0;
	int err;

	while (t || sp) {
		while (t) {
			if (sp == sizeof(stack) / sizeof(stack[0])) {
				/* deeper than any sane treap: recurse on the left part */
				err = collect(p, t, v, cap, n);
				if (err)
					return err;
				t = IOVA_NIL;
				break;
			}
			stack[sp++] = t;
			t = iova_node(p, t)->left;
		}
		if (!sp)
			break;
		t = stack[--sp];
		if (*n == *cap) {
			uint32_t ncap = *cap ? *cap * 2 : 64;
			uint32_t *nv = realloc(*v, (size_t)ncap * sizeof(**v));

			if (!nv)
				return -ENOMEM;
			*v = nv;
			*cap = ncap;
		}
		(*v)[(*n)++] = t;
		t = iova_node(p, t)->right;
	}
	return 0;
}

int iova_tree__collect(const struct iova_pool *p, uint32_t root, uint32_t **v, uint32_t *cap,
		       uint32_t n)
{
	int err = collect(p, root, v, cap, &n);

	return err ? err : (int)n;
}

uint32_t iova_tree__build(struct iova_pool *p, const uint32_t *v, uint32_t n)
{
	/* Cartesian-tree construction on a stack: O(n) */
	uint32_t *stack, sp = 0, root;

	if (!n)
		return IOVA_NIL;
	stack = malloc((size_t)n * sizeof(*stack));
	if (!stack) {
		/* fall back to merging one by one */
		root = IOVA_NIL;
		for (uint32_t i = 0; i < n; i++) {
			iova_node(p, v[i])->left = iova_node(p, v[i])->right = IOVA_NIL;
			root = merge(p, root, v[i]);
		}
		return root;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t x = v[i], last = IOVA_NIL;

		iova_node(p, x)->left = iova_node(p, x)->right = IOVA_NIL;
		while (sp && prio(stack[sp - 1]) < prio(x))
			last = stack[--sp];
		iova_node(p, x)->left = last;
		if (sp)
			iova_node(p, stack[sp - 1])->right = x;
		stack[sp++] = x;
	}
	root = stack[0];
	free(stack);
	return root;
}

uint32_t iova_tree__find(const struct iova_pool *p, uint32_t root, uint64_t addr)
{
	uint32_t t = root;

	while (t) {
		const struct iova_node *n = iova_node(p, t);

		if (addr < n->start)
			t = n->left;
		else if (addr >= n->end)
			t = n->right;
		else
			return t;
	}
	return IOVA_NIL;
}

uint32_t iova_tree__overlap(const struct iova_pool *p, uint32_t root, uint64_t a, uint64_t b)
{
	uint32_t t = root;

	/* ranges are disjoint and ordered: a node wholly below [A, B) has only
	 * smaller ranges on its left, one wholly above only larger on its right */
	while (t) {
		const struct iova_node *n = iova_node(p, t);

		if (n->end <= a)
			t = n->right;
		else if (n->start >= b)
			t = n->left;
		else
			return t;
	}
	return IOVA_NIL;
}
