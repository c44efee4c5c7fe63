// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The interval store against a brute-force model: random map / unmap / TLBI /
 * sync / flush sequences over a small address space, where per-page arrays
 * decide the same rules the engine decides on its treaps: the page tables
 * (unknown, mapped, unmapped) and, apart from them, how many unmaps of each
 * page still owe a TLBI (owed) or a sync after one (covered). Any split,
 * carve or join bug shows up as a different finding count.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "engine.h"
#include "event.h"
#include "iova_map.h"

#define PAGES 96
#define PG 0x1000ull
#define BASE 0x40000000ull
#define DOM 0xffff0000aa550000ull

enum { P_UNKNOWN, P_MAPPED, P_FREED };

struct model {
	int page[PAGES];
	int owed[PAGES], covered[PAGES];	/* unmaps of the page still pending */
	int counts[RULE_MAX];
};

static void on_finding(const struct finding *f, void *ctx)
{
	struct model *m = ctx;

	m->counts[f->rule]++;
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static void run_random(unsigned int seed, int ops, bool exercise_lists)
{
	struct model got = { 0 }, want = { 0 };
	struct engine_opts o = { .on_finding = on_finding, .ctx = &got };
	struct engine *e = engine__new(&o);
	uint64_t ts = 1;

	rnd_state = 0x9e3779b97f4a7c15ull ^ seed;
	assert_non_null(e);
	for (int i = 0; i < ops; i++) {
		struct smt_event ev;
		int op = (int)(rnd() % 100), p0 = (int)(rnd() % PAGES);
		int n = 1 + (int)(rnd() % (rnd() % 4 == 0 ? 24 : 4));

		if (p0 + n > PAGES)
			n = PAGES - p0;
		event__init(&ev, SMT_EV_NONE, ts++);
		ev.present = SMT_HAS_DOMAIN;
		ev.domain = DOM;
		ev.iova = BASE + (uint64_t)p0 * PG;
		ev.size = (uint64_t)n * PG;
		if (op < 35) {			/* map */
			bool live = false, pend = false, known = false;

			ev.type = SMT_EV_MAP;
			ev.ret = rnd() % 10 == 0 ? -17 : 0;
			for (int p = p0; p < p0 + n; p++) {
				live |= want.page[p] == P_MAPPED;
				pend |= want.owed[p] + want.covered[p] > 0;
				known |= want.page[p] == P_FREED;
			}
			if (ev.ret) {
				if (!live && known)
					want.counts[RULE_STALE_PTE]++;
			} else {
				want.counts[RULE_MAP_OVER_LIVE] += live;
				want.counts[RULE_IOVA_REUSE_BEFORE_SYNC] += pend;
				for (int p = p0; p < p0 + n; p++)
					want.page[p] = P_MAPPED;
			}
		} else if (op < 65) {		/* unmap */
			bool not_mapped = false;

			ev.type = SMT_EV_UNMAP;
			ev.ret = (int64_t)ev.size;
			for (int p = p0; p < p0 + n; p++) {
				not_mapped |= want.page[p] != P_MAPPED;
				want.page[p] = P_FREED;
				want.owed[p]++;
			}
			want.counts[RULE_UNMAP_UNMAPPED] += not_mapped;
		} else if (op < 80) {		/* TLBI of a range */
			ev.type = SMT_EV_TLBI;
			ev.scope = SMT_TLBI_VA;
			ev.present |= SMT_HAS_IOVA | SMT_HAS_SIZE;
			for (int p = p0; p < p0 + n; p++) {
				want.covered[p] += want.owed[p];
				want.owed[p] = 0;
			}
		} else if (op < 84 && exercise_lists) {	/* TLBI of the context */
			ev.type = SMT_EV_TLBI;
			ev.scope = SMT_TLBI_CONTEXT;
			for (int p = 0; p < PAGES; p++) {
				want.covered[p] += want.owed[p];
				want.owed[p] = 0;
			}
		} else if (op < 96) {		/* sync of the context */
			ev.type = SMT_EV_SYNC;
			ev.scope = SMT_SYNC_CONTEXT;
			ev.dur = 100;
			for (int p = 0; p < PAGES; p++)
				want.covered[p] = 0;
		} else {			/* flush_all */
			ev.type = SMT_EV_FLUSH_ALL;
			for (int p = 0; p < PAGES; p++)
				want.owed[p] = want.covered[p] = 0;
		}
		engine__feed(e, &ev);
		for (int r = 0; r < RULE_MAX; r++)
			if (got.counts[r] != want.counts[r]) {
				fail_msg("seed %u op %d (%s p0=%d n=%d): rule %s: engine %d, model %d",
					 seed, i, event__type_name(ev.type), p0, n, rule__name(r),
					 got.counts[r], want.counts[r]);
			}
	}
	engine__free(e);
}

static void test_random_sequences_match_page_model(void **state)
{
	for (unsigned int seed = 1; seed <= 40; seed++)
		run_random(seed, 3000, true);
}

static void test_random_sequences_without_context_tlbis(void **state)
{
	for (unsigned int seed = 100; seed <= 120; seed++)
		run_random(seed, 3000, false);
}

static void test_pool_reuses_released_nodes(void **state)
{
	struct iova_pool p;
	uint32_t a, b, c;

	assert_int_equal(iova_pool__init(&p), 0);
	a = iova_pool__alloc(&p);
	b = iova_pool__alloc(&p);
	assert_int_not_equal(a, IOVA_NIL);
	assert_int_not_equal(a, b);
	iova_pool__release(&p, a);
	c = iova_pool__alloc(&p);
	assert_int_equal(c, a);
	assert_int_equal(p.live, 2);
	assert_int_equal(p.peak, 2);
	iova_pool__fini(&p);
}

static void test_carve_cuts_only_masked_straddlers(void **state)
{
	struct iova_pool p;
	uint32_t v[3], root;
	struct iova_carve c;
	uint32_t *out = NULL, cap = 0;
	int n;

	assert_int_equal(iova_pool__init(&p), 0);
	for (int i = 0; i < 3; i++) {
		v[i] = iova_pool__alloc(&p);
		iova_node(&p, v[i])->start = 0x1000 * (uint64_t)(2 * i);
		iova_node(&p, v[i])->end = 0x1000 * (uint64_t)(2 * i + 2);
		iova_node(&p, v[i])->state = i == 1 ? IOVA_FREED : IOVA_MAPPED;
	}
	/* [0,2000) mapped, [2000,4000) unmapped, [4000,6000) mapped */
	root = iova_tree__build(&p, v, 3);
	assert_int_equal(iova_tree__carve(&p, root, 0x1800, 0x4800, IOVA_MASK(IOVA_FREED),
					  NULL, NULL, &c), 0);
	n = iova_tree__collect(&p, c.mid, &out, &cap, 0);
	/* both mapped straddlers are in mid whole; nothing was cut */
	assert_int_equal(n, 3);
	assert_int_equal(iova_node(&p, out[0])->start, 0);
	assert_int_equal(iova_node(&p, out[2])->end, 0x6000);
	root = iova_tree__join(&p, c.before, c.mid, c.after);
	assert_int_equal(iova_tree__carve(&p, root, 0x2800, 0x3000, IOVA_MASK_ALL, NULL, NULL, &c), 0);
	n = iova_tree__collect(&p, c.mid, &out, &cap, 0);
	assert_int_equal(n, 1);
	assert_int_equal(iova_node(&p, out[0])->start, 0x2800);
	assert_int_equal(iova_node(&p, out[0])->end, 0x3000);
	root = iova_tree__join(&p, c.before, c.mid, c.after);
	n = iova_tree__collect(&p, root, &out, &cap, 0);
	assert_int_equal(n, 5);
	for (int i = 1; i < n; i++)
		assert_int_equal(iova_node(&p, out[i - 1])->end, iova_node(&p, out[i])->start);
	assert_int_equal(iova_tree__find(&p, root, 0x2900), out[2]);
	assert_int_equal(iova_tree__find(&p, root, 0x6000), IOVA_NIL);
	free(out);
	iova_pool__fini(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_sequences_match_page_model),
		cmocka_unit_test(test_random_sequences_without_context_tlbis),
		cmocka_unit_test(test_pool_reuses_released_nodes),
		cmocka_unit_test(test_carve_cuts_only_masked_straddlers),
	};

	return cmocka_run_group_tests_name("iova_map", tests, NULL, NULL);
}
