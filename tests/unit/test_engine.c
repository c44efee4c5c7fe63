// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Engine rules (SPEC §5), each with positive and negative cases, driven by
 * small event sequences. The topology is built in code: one SMMU
 * "15000000.iommu" with
 *   gpu_tbu  sids 0x0-0x3ff   gates clk:gpu_cc_ahb_clk, pd:gpu_cx_gdsc, rpm:3d00000.gpu
 *   pcie_tbu sids 0x1c00-0x1fff gates clk:pcie_tbu_clk
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

#define GPU_DOM 0xffff000012340000ull
#define NET_DOM 0xffff000056780000ull
#define MS 1000000ull
#define SMMU "15000000.iommu"

struct fixture {
	struct topology topo;
	struct engine *e;
	struct finding found[256];
	int nfound;
	struct engine_lifetime lts[64];
	int nlts;
	uint64_t ts;
	struct smt_event *fed;		/* with record: every event fed, in order */
	int nfed;
	bool record;
};

static void collect(const struct finding *f, void *ctx)
{
	struct fixture *fx = ctx;

	if (fx->nfound < 256)
		fx->found[fx->nfound++] = *f;
}

static void collect_lifetime(const struct engine_lifetime *lt, void *ctx)
{
	struct fixture *fx = ctx;

	if (fx->nlts < 64)
		fx->lts[fx->nlts++] = *lt;
}

static void add_tbu(struct topology *t, const char *name, uint32_t first, uint32_t last,
		    int ngates, const struct gate_ref *gates)
{
	struct topo_tbu *tb;

	t->tbus = realloc(t->tbus, (size_t)(t->ntbus + 1) * sizeof(*t->tbus));
	tb = &t->tbus[t->ntbus++];
	memset(tb, 0, sizeof(*tb));
	snprintf(tb->name, sizeof(tb->name), "%s", name);
	snprintf(tb->smmu, sizeof(tb->smmu), "%s", SMMU);
	tb->sids = calloc(1, sizeof(*tb->sids));
	tb->sids[0].first = first;
	tb->sids[0].last = last;
	tb->nsids = 1;
	tb->gates = calloc((size_t)ngates, sizeof(*tb->gates));
	memcpy(tb->gates, gates, (size_t)ngates * sizeof(*gates));
	tb->ngates = ngates;
}

static struct fixture *fixture_new(uint64_t inval_window)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	static const struct gate_ref gpu_gates[] = {
		{ GATE_CLK, "gpu_cc_ahb_clk" }, { GATE_PD, "gpu_cx_gdsc" }, { GATE_RPM, "3d00000.gpu" },
	};
	static const struct gate_ref pcie_gates[] = { { GATE_CLK, "pcie_tbu_clk" } };
	struct engine_opts o = { 0 };

	topology__init(&fx->topo);
	fx->topo.smmus = calloc(1, sizeof(*fx->topo.smmus));
	snprintf(fx->topo.smmus[0].name, sizeof(fx->topo.smmus[0].name), SMMU);
	fx->topo.nsmmus = 1;
	add_tbu(&fx->topo, "gpu_tbu", 0x0, 0x3ff, 3, gpu_gates);
	add_tbu(&fx->topo, "pcie_tbu", 0x1c00, 0x1fff, 1, pcie_gates);
	o.topo = &fx->topo;
	o.on_finding = collect;
	o.on_lifetime = collect_lifetime;
	o.ctx = fx;
	o.inval_window_ns = inval_window;
	fx->e = engine__new(&o);
	assert_non_null(fx->e);
	fx->ts = 1000;
	return fx;
}

static int setup(void **state)
{
	*state = fixture_new(0);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	engine__free(fx->e);
	topology__free(&fx->topo);
	free(fx->fed);
	free(fx);
	return 0;
}

/* ---- event builders: each advances time by 1 us unless told otherwise ---- */

static struct smt_event base(struct fixture *fx, unsigned int type)
{
	struct smt_event ev;

	fx->ts += 1000;
	event__init(&ev, type, fx->ts);
	ev.present = SMT_HAS_PID | SMT_HAS_COMM;
	ev.pid = 42;
	snprintf(ev.comm, sizeof(ev.comm), "kworker/0:1");
	return ev;
}

static void feed(struct fixture *fx, struct smt_event *ev)
{
	if (fx->record) {
		fx->fed = realloc(fx->fed, (size_t)(fx->nfed + 1) * sizeof(*ev));
		assert_non_null(fx->fed);
		fx->fed[fx->nfed++] = *ev;
	}
	engine__feed(fx->e, ev);
}

static void meta(struct fixture *fx, int strict, int since_boot)
{
	struct smt_event ev = base(fx, SMT_EV_META);

	if (strict >= 0) {
		ev.present |= SMT_HAS_STRICT;
		ev.strict = (uint8_t)strict;
	}
	if (since_boot >= 0) {
		ev.present |= SMT_HAS_SINCE_BOOT;
		ev.since_boot = (uint8_t)since_boot;
	}
	feed(fx, &ev);
}

static void attach(struct fixture *fx, uint64_t dom, const char *dev, uint32_t sid)
{
	struct smt_event ev = base(fx, SMT_EV_ATTACH);

	ev.present |= SMT_HAS_DOMAIN | SMT_HAS_NAME | SMT_HAS_SMMU | SMT_HAS_SIDS;
	ev.domain = dom;
	snprintf(ev.name, sizeof(ev.name), "%s", dev);
	snprintf(ev.smmu, sizeof(ev.smmu), SMMU);
	ev.nsids = 1;
	ev.sids[0] = sid;
	feed(fx, &ev);
}

/* an event of TYPE over [IOVA, +SIZE) of DOM */
static struct smt_event range_event(struct fixture *fx, unsigned int type, uint64_t dom,
				    uint64_t iova, uint64_t size)
{
	struct smt_event ev = base(fx, type);

	ev.present |= SMT_HAS_DOMAIN | SMT_HAS_IOVA | SMT_HAS_SIZE;
	ev.domain = dom;
	ev.iova = iova;
	ev.size = size;
	return ev;
}

static void map_unmap(struct fixture *fx, unsigned int type, uint64_t dom, uint64_t iova,
		      uint64_t size, int64_t ret)
{
	struct smt_event ev = range_event(fx, type, dom, iova, size);

	ev.present |= SMT_HAS_RET;
	ev.ret = ret;
	feed(fx, &ev);
}

static void map(struct fixture *fx, uint64_t dom, uint64_t iova, uint64_t size, int64_t ret)
{
	map_unmap(fx, SMT_EV_MAP, dom, iova, size, ret);
}

static void unmap_ret(struct fixture *fx, uint64_t dom, uint64_t iova, uint64_t size, int64_t ret)
{
	map_unmap(fx, SMT_EV_UNMAP, dom, iova, size, ret);
}

static void unmap(struct fixture *fx, uint64_t dom, uint64_t iova, uint64_t size)
{
	unmap_ret(fx, dom, iova, size, (int64_t)size);
}

static void tlbi_va(struct fixture *fx, uint64_t dom, uint64_t iova, uint64_t size)
{
	struct smt_event ev = range_event(fx, SMT_EV_TLBI, dom, iova, size);

	ev.scope = SMT_TLBI_VA;
	feed(fx, &ev);
}

static void tlbi_ctx(struct fixture *fx, uint64_t dom)
{
	struct smt_event ev = base(fx, SMT_EV_TLBI);

	ev.present |= SMT_HAS_DOMAIN;
	ev.scope = SMT_TLBI_CONTEXT;
	ev.domain = dom;
	feed(fx, &ev);
}

static void tlbi_all(struct fixture *fx)
{
	struct smt_event ev = base(fx, SMT_EV_TLBI);

	ev.present |= SMT_HAS_SMMU;
	ev.scope = SMT_TLBI_ALL;
	snprintf(ev.smmu, sizeof(ev.smmu), SMMU);
	feed(fx, &ev);
}

static void sync_dur(struct fixture *fx, uint64_t dom, uint64_t dur, int timeout)
{
	struct smt_event ev = base(fx, SMT_EV_SYNC);

	ev.present |= SMT_HAS_DOMAIN;
	ev.scope = SMT_SYNC_CONTEXT;
	ev.domain = dom;
	ev.dur = dur;
	if (timeout) {
		ev.present |= SMT_HAS_TIMEOUT;
		ev.timeout = 1;
	}
	feed(fx, &ev);
}

static void sync_ctx(struct fixture *fx, uint64_t dom)
{
	sync_dur(fx, dom, 2000, 0);
}

static void sync_global(struct fixture *fx)
{
	struct smt_event ev = base(fx, SMT_EV_SYNC);

	ev.present |= SMT_HAS_SMMU;
	ev.scope = SMT_SYNC_GLOBAL;
	snprintf(ev.smmu, sizeof(ev.smmu), SMMU);
	ev.dur = 1000;
	feed(fx, &ev);
}

static void flush_all(struct fixture *fx, uint64_t dom)
{
	struct smt_event ev = base(fx, SMT_EV_FLUSH_ALL);

	ev.present |= SMT_HAS_DOMAIN;
	ev.domain = dom;
	feed(fx, &ev);
}

static void gate(struct fixture *fx, unsigned int type, const char *name, int on)
{
	struct smt_event ev = base(fx, type);

	ev.present |= SMT_HAS_NAME;
	snprintf(ev.name, sizeof(ev.name), "%s", name);
	ev.on = (uint8_t)on;
	feed(fx, &ev);
}

static void rpm(struct fixture *fx, const char *dev, unsigned int state)
{
	struct smt_event ev = base(fx, SMT_EV_RPM);

	ev.present |= SMT_HAS_NAME;
	snprintf(ev.name, sizeof(ev.name), "%s", dev);
	ev.state = state;
	feed(fx, &ev);
}

static void smmu_reset(struct fixture *fx)
{
	struct smt_event ev = base(fx, SMT_EV_SMMU_RESET);

	ev.present |= SMT_HAS_SMMU;
	snprintf(ev.smmu, sizeof(ev.smmu), SMMU);
	feed(fx, &ev);
}

static void fault(struct fixture *fx, uint64_t dom, uint64_t iova)
{
	struct smt_event ev = base(fx, SMT_EV_FAULT);

	ev.present |= SMT_HAS_DOMAIN | SMT_HAS_IOVA;
	ev.domain = dom;
	ev.iova = iova;
	feed(fx, &ev);
}

static void domain_free_ev(struct fixture *fx, uint64_t dom)
{
	struct smt_event ev = base(fx, SMT_EV_DOMAIN_FREE);

	ev.present |= SMT_HAS_DOMAIN;
	ev.domain = dom;
	feed(fx, &ev);
}

static void lost(struct fixture *fx, uint64_t count)
{
	struct smt_event ev = base(fx, SMT_EV_LOST);

	ev.count = count;
	feed(fx, &ev);
}

static void advance(struct fixture *fx, uint64_t ns)
{
	fx->ts += ns;
}

/* the next event is at TS exactly (the builders add 1 us; unsigned arithmetic wraps back for 0) */
static void at(struct fixture *fx, uint64_t ts)
{
	fx->ts = ts - 1000;
}

/* the finding of rule R decided for the event at TS, or NULL */
static const struct finding *find_at(const struct fixture *fx, enum rule r, uint64_t ts)
{
	for (int i = 0; i < fx->nfound; i++)
		if (fx->found[i].rule == r && fx->found[i].ts == ts)
			return &fx->found[i];
	return NULL;
}

/* the lifetime of DOM starting at IOVA that was unmapped at UNMAP_TS (ENGINE_NEVER: still mapped) */
static const struct engine_lifetime *find_lt(const struct fixture *fx, uint64_t iova,
					     uint64_t unmap_ts, uint64_t map_ts)
{
	for (int i = 0; i < fx->nlts; i++)
		if (fx->lts[i].iova == iova && fx->lts[i].unmap_ts == unmap_ts &&
		    fx->lts[i].map_ts == map_ts)
			return &fx->lts[i];
	return NULL;
}

static int count(const struct fixture *fx, enum rule r)
{
	int n = 0;

	for (int i = 0; i < fx->nfound; i++)
		n += fx->found[i].rule == r;
	return n;
}

static const struct finding *first(const struct fixture *fx, enum rule r)
{
	for (int i = 0; i < fx->nfound; i++)
		if (fx->found[i].rule == r)
			return &fx->found[i];
	return NULL;
}

/* a whole strict-mode lifetime: map, unmap, TLBI, sync */
static void strict_cycle(struct fixture *fx, uint64_t dom, uint64_t iova, uint64_t size)
{
	map(fx, dom, iova, size, 0);
	unmap(fx, dom, iova, size);
	tlbi_va(fx, dom, iova, size);
	sync_ctx(fx, dom);
}

/*
 * STEPS, space-separated, on the page 0x1000 of NET_DOM: "map", "unmap",
 * "tlbi" (of the page), "sync" (of NET_DOM), "sync-other" (of GPU_DOM), so
 * that the cases where only the order differs read as their stream.
 */
static void page_steps(struct fixture *fx, const char *steps)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", steps);
	for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (!strcmp(w, "map"))
			map(fx, NET_DOM, 0x1000, 0x1000, 0);
		else if (!strcmp(w, "unmap"))
			unmap(fx, NET_DOM, 0x1000, 0x1000);
		else if (!strcmp(w, "tlbi"))
			tlbi_va(fx, NET_DOM, 0x1000, 0x1000);
		else if (!strcmp(w, "sync"))
			sync_ctx(fx, NET_DOM);
		else if (!strcmp(w, "sync-other"))
			sync_ctx(fx, GPU_DOM);
		else
			fail_msg("page_steps: unknown step '%s'", w);
	}
}

/* ---- tests ---------------------------------------------------------------- */

static void test_clean_strict_reuse_gives_no_finding(void **state)
{
	struct fixture *fx = *state;

	attach(fx, NET_DOM, "0000:00:01.0", 0x8);
	strict_cycle(fx, NET_DOM, 0x1000, 0x1000);
	strict_cycle(fx, NET_DOM, 0x1000, 0x1000);
	engine__finish(fx->e);
	assert_int_equal(fx->nfound, 0);
}

static void test_reuse_before_tlbi_is_flagged(void **state)
{
	struct fixture *fx = *state;
	const struct finding *f;

	page_steps(fx, "map unmap map");
	assert_int_equal(count(fx, RULE_IOVA_REUSE_BEFORE_SYNC), 1);
	f = first(fx, RULE_IOVA_REUSE_BEFORE_SYNC);
	assert_int_equal(f->severity, SEV_ERROR);
	assert_int_equal(f->domain, NET_DOM);
	assert_int_equal(f->nevidence, 2);
	assert_int_equal(f->evidence[1].type, SMT_EV_UNMAP);
	assert_int_equal(f->evidence[1].pid, 42);
	assert_string_equal(f->evidence[1].comm, "kworker/0:1");
}

/* only a TLBI after the unmap, then a sync of its domain after that TLBI, complete it */
static void test_reuse_is_flagged_unless_tlbi_then_sync_follow_the_unmap(void **state)
{
	static const struct {
		const char *steps;
		int reuse;
	} cases[] = {
		{ "map unmap tlbi sync map", 0 },
		{ "map unmap tlbi map", 1 },			/* no sync */
		{ "map unmap sync tlbi map", 1 },		/* the sync came before the TLBI */
		{ "map tlbi unmap sync map", 1 },		/* the TLBI came before the unmap */
		{ "map unmap tlbi sync-other map", 1 },	/* a sync of another domain */
	};

	teardown(state);
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct fixture *fx = fixture_new(0);

		*state = fx;
		page_steps(fx, cases[k].steps);
		if (count(fx, RULE_IOVA_REUSE_BEFORE_SYNC) != cases[k].reuse)
			fail_msg("%s: %d reuse finding(s), expected %d", cases[k].steps,
				 count(fx, RULE_IOVA_REUSE_BEFORE_SYNC), cases[k].reuse);
		if (k + 1 < sizeof(cases) / sizeof(cases[0]))
			teardown(state);
	}
}

static void test_tlbi_of_other_range_does_not_cover(void **state)
{
	struct fixture *fx = *state;

	map(fx, NET_DOM, 0x1000, 0x2000, 0);
	unmap(fx, NET_DOM, 0x1000, 0x2000);
	tlbi_va(fx, NET_DOM, 0x1000, 0x1000);	/* covers only the first page */
	sync_ctx(fx, NET_DOM);
	map(fx, NET_DOM, 0x1000, 0x1000, 0);	/* first page: fine */
	assert_int_equal(count(fx, RULE_IOVA_REUSE_BEFORE_SYNC), 0);
	map(fx, NET_DOM, 0x2000, 0x1000, 0);	/* second page: never invalidated */
	assert_int_equal(count(fx, RULE_IOVA_REUSE_BEFORE_SYNC), 1);
}

static void test_context_tlbi_and_global_sync_complete(void **state)
{
	struct fixture *fx = *state;

	attach(fx, NET_DOM, "0000:00:01.0", 0x8);
	map(fx, NET_DOM, 0x1000, 0x1000, 0);
	map(fx, NET_DOM, 0x8000, 0x1000, 0);
	unmap(fx, NET_DOM, 0x1000, 0x1000);
	unmap(fx, NET_DOM, 0x8000, 0x1000);
	tlbi_ctx(fx, NET_DOM);
	sync_global(fx);
	map(fx, NET_DOM, 0x1000, 0x1000, 0);
	map(fx, NET_DOM, 0x8000, 0x1000, 0);
	assert_int_equal(fx->nfound, 0);
}

/* SPEC §3 marks these optional: a rangeless "va" TLBI covers the domain, a
 * domainless context sync syncs as global */
static void test_rangeless_tlbi_and_domainless_sync_complete(void **state)
{
	struct fixture *fx = *state;
	struct smt_event ev;

	map(fx, NET_DOM, 0x1000, 0x1000, 0);
	map(fx, NET_DOM, 0x9000, 0x1000, 0);
	unmap(fx, NET_DOM, 0x1000, 0x1000);
	unmap(fx, NET_DOM, 0x9000, 0x1000);
	ev = base(fx, SMT_EV_TLBI);
	ev.present |= SMT_HAS_DOMAIN;
	ev.scope = SMT_TLBI_VA;
	ev.domain = NET_DOM;
	feed(fx, &ev);
	ev = base(fx, SMT_EV_SYNC);
	ev.scope = SMT_SYNC_CONTEXT;
	ev.dur = 100;
	feed(fx, &ev);
	map(fx, NET_DOM, 0x1000, 0x1000, 0);
	map(fx, NET_DOM, 0x9000, 0x1000, 0);
	assert_int_equal(fx->nfound, 0);
}

/* SMMU-wide events before any domain exists (the fuzzer found UB here) */
static void test_smmu_wide_events_before_any_domain(void **state)
{
	struct fixture *fx = *state;
	struct smt_event ev;

	sync_global(fx);
	ev = base(fx, SMT_EV_SYNC);
	ev.scope = SMT_SYNC_CONTEXT;
	ev.dur = 100;
	feed(fx, &ev);
	tlbi_all(fx);
	smmu_reset(fx);
	ev = base(fx, SMT_EV_FAULT);
	ev.present |= SMT_HAS_IOVA;
	ev.iova = 0x1000;
	feed(fx, &ev);
	engine__finish(fx->e);
	assert_int_equal(fx->nfound, 0);
}

static void test_tlbi_all_covers_every_domain(void **state)
{
	struct fixture *fx = *state;

	attach(fx, NET_DOM, "0000:00:01.0", 0x8);
	attach(fx, GPU_DOM, "3d00000.gpu", 0x0);
	map(fx, NET_DOM, 0x1000, 0x1000, 0);
	map(fx, GPU_DOM, 0x1000, 0x1000, 0);
	unmap(fx, NET_DOM, 0x1000, 0x1000);
	unmap(fx, GPU_DOM, 0x1000, 0x1000);
	tlbi_all(fx);
	sync_global(fx);
	map(fx, NET_DOM, 0x1000, 0x1000, 0);
	map(fx, GPU_DOM, 0x1000, 0x1000, 0);
	assert_int_equal(fx->nfound, 0);
}

static void test_lazy_mode_flush_all_completes(void **state)
{
	struct fixture *fx = *state;

	meta(fx, 0, 1);
	for (uint64_t i = 0; i < 32; i++)
		map(fx, NET_DOM, 0x100000 + i * 0x1000, 0x1000, 0);
	for (uint64_t i = 0; i < 32; i++)
		unmap(fx, NET_DOM, 0x100000 + i * 0x1000, 0x1000);
	advance(fx, 10 * MS);	/* the flush queue timer */
	flush_all(fx, NET_DOM);
	for (uint64_t i = 0; i < 32; i++)
		map(fx, NET_DOM, 0x100000 + i * 0x1000, 0x1000, 0);
	engine__finish(fx->e);
	assert_int_equal(fx->nfound, 0);
}

static void test_lazy_mode_reuse_before_flush_is_flagged(void **state)
{
	struct fixture *fx = *state;

	meta(fx, 0, 1);
	map(fx, NET_DOM, 0x100000, 0x1000, 0);
	unmap(fx, NET_DOM, 0x100000, 0x1000);
	map(fx, NET_DOM, 0x100000, 0x1000, 0);
	assert_int_equal(count(fx, RULE_IOVA_REUSE_BEFORE_SYNC), 1);
}

static void test_map_over_live_is_flagged(void **state)
{
	struct fixture *fx = *state;

	map(fx, NET_DOM, 0x10000, 0x4000, 0);
	map(fx, NET_DOM, 0x12000, 0x1000, 0);
	assert_int_equal(count(fx, RULE_MAP_OVER_LIVE), 1);
	/* adjacent is not overlapping */
	map(fx, NET_DOM, 0x14000, 0x1000, 0);
	map(fx, NET_DOM, 0xf000, 0x1000, 0);
	assert_int_equal(count(fx, RULE_MAP_OVER_LIVE), 1);
	/* a failed map changes nothing and is no map-over-live */
	map(fx, NET_DOM, 0x10000, 0x1000, -17);
	assert_int_equal(count(fx, RULE_MAP_OVER_LIVE), 1);
	assert_int_equal(count(fx, RULE_STALE_PTE), 0);
}

static void test_block_mapping_split_by_partial_unmaps(void **state)
{
	struct fixture *fx = *state;
	struct engine_summary s;

	/* a 2 MiB block, then a 4 KiB hole punched in the middle */
	map(fx, NET_DOM, 0x200000, 0x200000, 0);
	unmap(fx, NET_DOM, 0x300000, 0x1000);
	tlbi_va(fx, NET_DOM, 0x300000, 0x1000);
	sync_ctx(fx, NET_DOM);
	engine__summary(fx->e, &s);
	assert_int_equal(s.live_mappings, 2);
	/* the hole can be reused; both halves are still live */
	map(fx, NET_DOM, 0x300000, 0x1000, 0);
	assert_int_equal(fx->nfound, 0);
	map(fx, NET_DOM, 0x200000, 0x1000, 0);
	map(fx, NET_DOM, 0x3ff000, 0x1000, 0);
	assert_int_equal(count(fx, RULE_MAP_OVER_LIVE), 2);
	/* unmapping the rest piecewise leaves nothing unknown */
	unmap(fx, NET_DOM, 0x200000, 0x100000);
	unmap(fx, NET_DOM, 0x301000, 0xff000);
	assert_int_equal(count(fx, RULE_UNMAP_UNMAPPED), 0);
}

static void test_huge_addresses_at_top_of_space(void **state)
{
	struct fixture *fx = *state;

	map(fx, NET_DOM, 0xfffffffffffff000ull, 0x1000, 0);
	map(fx, NET_DOM, 0xffffffffffffe000ull, 0x1000, 0);
	unmap(fx, NET_DOM, 0xffffffffffffe000ull, 0x2000);
	tlbi_ctx(fx, NET_DOM);
	sync_ctx(fx, NET_DOM);
	map(fx, NET_DOM, 0xfffffffffffff000ull, 0x1000, 0);
	assert_int_equal(fx->nfound, 0);
}

static void test_stale_pte_2017_deferred_unmap(void **state)
{
	struct fixture *fx = *state;
	const struct finding *f;

	/*
	 * The 2017 patch: SMMU suspended, unmap "succeeds" without touching the
	 * page tables, the caller reuses the IOVA and io-pgtable says -EEXIST.
	 */
	attach(fx, GPU_DOM, "3d00000.gpu", 0x0);
	map(fx, GPU_DOM, 0x100000, 0x1000, 0);
	unmap(fx, GPU_DOM, 0x100000, 0x1000);
	tlbi_va(fx, GPU_DOM, 0x100000, 0x1000);
	sync_ctx(fx, GPU_DOM);
	map(fx, GPU_DOM, 0x100000, 0x1000, -17);
	assert_int_equal(count(fx, RULE_STALE_PTE), 1);
	f = first(fx, RULE_STALE_PTE);
	assert_int_equal(f->severity, SEV_ERROR);
	assert_int_equal(f->evidence[0].type, SMT_EV_MAP);
	assert_int_equal(f->evidence[1].type, SMT_EV_UNMAP);
}

static void test_eexist_over_live_or_unknown_is_not_stale_pte(void **state)
{
	struct fixture *fx = *state;

	map(fx, GPU_DOM, 0x100000, 0x1000, 0);
	map(fx, GPU_DOM, 0x100000, 0x1000, -17);	/* really mapped */
	map(fx, GPU_DOM, 0x900000, 0x1000, -17);	/* never seen */
	map(fx, GPU_DOM, 0xa00000, 0x1000, -12);	/* other errors */
	assert_int_equal(count(fx, RULE_STALE_PTE), 0);
}

static void test_unmap_unmapped_short_return(void **state)
{
	struct fixture *fx = *state;
	const struct finding *f;

	map(fx, NET_DOM, 0x1000, 0x2000, 0);
	unmap_ret(fx, NET_DOM, 0x1000, 0x2000, 0x1000);
	assert_int_equal(count(fx, RULE_UNMAP_UNMAPPED), 1);
	f = first(fx, RULE_UNMAP_UNMAPPED);
	assert_int_equal(f->severity, SEV_WARNING);
	assert_non_null(strstr(f->message, "returned 4096 of 8192"));
}

static void test_unmap_never_mapped_since_boot(void **state)
{
	struct fixture *fx = *state;

	unmap(fx, NET_DOM, 0x5000, 0x1000);
	assert_int_equal(count(fx, RULE_UNMAP_UNMAPPED), 1);
}

static void test_since_boot_false_unknown_unmap_is_fine(void **state)
{
	struct fixture *fx = *state;

	meta(fx, 1, 0);
	unmap(fx, NET_DOM, 0x5000, 0x1000);	/* mapped before the capture */
	assert_int_equal(count(fx, RULE_UNMAP_UNMAPPED), 0);
	/* ... but it is tracked: reuse before the sync is still a hazard */
	map(fx, NET_DOM, 0x5000, 0x1000, 0);
	assert_int_equal(count(fx, RULE_IOVA_REUSE_BEFORE_SYNC), 1);
	/* a short return is always a finding */
	unmap_ret(fx, NET_DOM, 0x9000, 0x2000, 0);
	assert_int_equal(count(fx, RULE_UNMAP_UNMAPPED), 1);
}

static void test_since_boot_false_double_unmap_is_flagged(void **state)
{
	struct fixture *fx = *state;

	meta(fx, 1, 0);
	map(fx, NET_DOM, 0x5000, 0x1000, 0);
	strict_cycle(fx, NET_DOM, 0x7000, 0x1000);
	unmap(fx, NET_DOM, 0x7000, 0x1000);	/* known unmapped */
	assert_int_equal(count(fx, RULE_UNMAP_UNMAPPED), 1);
}

static void test_unmap_no_invalidate_after_window(void **state)
{
	struct fixture *fx = *state;
	const struct finding *f;

	attach(fx, NET_DOM, "0000:00:01.0", 0x8);
	map(fx, NET_DOM, 0x1000, 0x1000, 0);
	unmap(fx, NET_DOM, 0x1000, 0x1000);
	advance(fx, 50 * MS);
	strict_cycle(fx, NET_DOM, 0x9000, 0x1000);
	assert_int_equal(count(fx, RULE_UNMAP_NO_INVALIDATE), 0);
	advance(fx, 60 * MS);
	strict_cycle(fx, NET_DOM, 0x9000, 0x1000);
	assert_int_equal(count(fx, RULE_UNMAP_NO_INVALIDATE), 1);
	f = first(fx, RULE_UNMAP_NO_INVALIDATE);
	assert_int_equal(f->iova, 0x1000);
	assert_int_equal(f->size, 0x1000);
	/* once per unmap */
	advance(fx, 500 * MS);
	strict_cycle(fx, NET_DOM, 0x9000, 0x1000);
	engine__finish(fx->e);
	assert_int_equal(count(fx, RULE_UNMAP_NO_INVALIDATE), 1);
}

static void test_unmap_no_invalidate_not_at_end_if_window_open(void **state)
{
	struct fixture *fx = *state;

	map(fx, NET_DOM, 0x1000, 0x1000, 0);
	unmap(fx, NET_DOM, 0x1000, 0x1000);
	advance(fx, 90 * MS);
	map(fx, NET_DOM, 0x8000, 0x1000, 0);
	engine__finish(fx->e);
	assert_int_equal(count(fx, RULE_UNMAP_NO_INVALIDATE), 0);
}

static void test_unmap_no_invalidate_split_unmap_reports_once(void **state)
{
	struct fixture *fx = *state;

	map(fx, NET_DOM, 0x10000, 0x4000, 0);
	unmap(fx, NET_DOM, 0x10000, 0x4000);
	tlbi_va(fx, NET_DOM, 0x11000, 0x1000);	/* cuts the pending range in three */
	advance(fx, 200 * MS);
	map(fx, NET_DOM, 0x90000, 0x1000, 0);
	assert_int_equal(count(fx, RULE_UNMAP_NO_INVALIDATE), 1);
	assert_int_equal(first(fx, RULE_UNMAP_NO_INVALIDATE)->iova, 0x10000);
	assert_int_equal(first(fx, RULE_UNMAP_NO_INVALIDATE)->size, 0x4000);
}

static void test_fault_after_unmap_within_window(void **state)
{
	struct fixture *fx = *state;
	const struct finding *f;

	strict_cycle(fx, NET_DOM, 0x1000, 0x1000);
	advance(fx, 300 * MS);
	fault(fx, NET_DOM, 0x1800);
	assert_int_equal(count(fx, RULE_FAULT_AFTER_UNMAP), 1);
	f = first(fx, RULE_FAULT_AFTER_UNMAP);
	assert_int_equal(f->evidence[1].type, SMT_EV_UNMAP);
	assert_int_equal(f->evidence[1].iova, 0x1000);
}

static void test_fault_outside_window_or_on_mapped_is_not(void **state)
{
	struct fixture *fx = *state;

	strict_cycle(fx, NET_DOM, 0x1000, 0x1000);
	advance(fx, 1100 * MS);
	fault(fx, NET_DOM, 0x1800);
	map(fx, NET_DOM, 0x8000, 0x1000, 0);
	fault(fx, NET_DOM, 0x8000);
	fault(fx, NET_DOM, 0xdead000);
	assert_int_equal(count(fx, RULE_FAULT_AFTER_UNMAP), 0);
}

static void test_sync_slow_and_timeout(void **state)
{
	struct fixture *fx = *state;

	sync_dur(fx, NET_DOM, 999999, 0);
	assert_int_equal(fx->nfound, 0);
	sync_dur(fx, NET_DOM, 2 * MS, 0);
	assert_int_equal(count(fx, RULE_SYNC_SLOW), 1);
	assert_int_equal(first(fx, RULE_SYNC_SLOW)->severity, SEV_WARNING);
	sync_dur(fx, NET_DOM, 1000 * MS, 1);
	assert_int_equal(count(fx, RULE_SYNC_TIMEOUT), 1);
	assert_int_equal(count(fx, RULE_SYNC_SLOW), 1);	/* timeout only */
	assert_int_equal(first(fx, RULE_SYNC_TIMEOUT)->severity, SEV_ERROR);
}

static void test_lost_events_mark_later_findings_incomplete(void **state)
{
	struct fixture *fx = *state;
	struct engine_summary s;

	map(fx, NET_DOM, 0x1000, 0x1000, 0);
	map(fx, NET_DOM, 0x1000, 0x1000, 0);
	lost(fx, 17);
	map(fx, NET_DOM, 0x1000, 0x1000, 0);
	assert_int_equal(count(fx, RULE_EVENTS_LOST), 1);
	assert_int_equal(first(fx, RULE_EVENTS_LOST)->severity, SEV_WARNING);
	assert_false(fx->found[0].incomplete);
	assert_true(fx->found[fx->nfound - 1].incomplete);
	engine__summary(fx->e, &s);
	assert_int_equal(s.lost, 17);
}

/* the GPU's TBU is clock-gated while unmaps and TLBIs for GPU buffers go on */
static void test_gpu_tbu_gated_unmaps_and_tlbis(void **state)
{
	struct fixture *fx = *state;
	const struct finding *f;

	attach(fx, GPU_DOM, "3d00000.gpu", 0x0);
	map(fx, GPU_DOM, 0x100000, 0x1000, 0);
	map(fx, GPU_DOM, 0x200000, 0x1000, 0);
	gate(fx, SMT_EV_CLK, "gpu_cc_ahb_clk", 0);
	unmap(fx, GPU_DOM, 0x100000, 0x1000);
	tlbi_va(fx, GPU_DOM, 0x100000, 0x1000);
	sync_ctx(fx, GPU_DOM);
	unmap(fx, GPU_DOM, 0x200000, 0x1000);
	tlbi_va(fx, GPU_DOM, 0x200000, 0x1000);
	sync_ctx(fx, GPU_DOM);
	assert_int_equal(count(fx, RULE_UNMAP_WHILE_GATED), 2);
	assert_int_equal(count(fx, RULE_TLBI_WHILE_GATED), 2);
	assert_int_equal(count(fx, RULE_SYNC_WHILE_GATED), 2);
	f = first(fx, RULE_UNMAP_WHILE_GATED);
	assert_int_equal(f->severity, SEV_ERROR);
	assert_int_equal(f->ntbus, 1);
	assert_string_equal(f->tbus[0], "gpu_tbu");
	assert_int_equal(first(fx, RULE_TLBI_WHILE_GATED)->severity, SEV_ERROR);
	assert_int_equal(first(fx, RULE_SYNC_WHILE_GATED)->severity, SEV_WARNING);
	assert_int_equal(count(fx, RULE_TBU_STALE_EXPOSURE), 0);
	/* the GPU comes back: its TBU may hold both stale translations */
	gate(fx, SMT_EV_CLK, "gpu_cc_ahb_clk", 1);
	assert_int_equal(count(fx, RULE_TBU_STALE_EXPOSURE), 1);
	f = first(fx, RULE_TBU_STALE_EXPOSURE);
	assert_int_equal(f->severity, SEV_ERROR);
	assert_string_equal(f->tbus[0], "gpu_tbu");
	assert_int_equal(f->nranges, 2);
	assert_int_equal(f->ranges[0].iova, 0x100000);
	assert_int_equal(f->ranges[1].iova, 0x200000);
	/* back on: nothing more */
	strict_cycle(fx, GPU_DOM, 0x300000, 0x1000);
	gate(fx, SMT_EV_CLK, "gpu_cc_ahb_clk", 1);
	assert_int_equal(count(fx, RULE_TBU_STALE_EXPOSURE), 1);
	assert_int_equal(count(fx, RULE_UNMAP_WHILE_GATED), 2);
}

static void test_gated_tbu_not_serving_domain_is_warning(void **state)
{
	struct fixture *fx = *state;

	attach(fx, NET_DOM, "0000:00:01.0", 0x8);
	map(fx, NET_DOM, 0x1000, 0x1000, 0);
	gate(fx, SMT_EV_CLK, "pcie_tbu_clk", 0);
	unmap(fx, NET_DOM, 0x1000, 0x1000);
	tlbi_va(fx, NET_DOM, 0x1000, 0x1000);
	assert_int_equal(first(fx, RULE_UNMAP_WHILE_GATED)->severity, SEV_WARNING);
	assert_int_equal(first(fx, RULE_TLBI_WHILE_GATED)->severity, SEV_WARNING);
	/* a TLBI of all contexts reaches every TBU of the SMMU: error */
	tlbi_all(fx);
	assert_int_equal(fx->found[fx->nfound - 1].rule, RULE_TLBI_WHILE_GATED);
	assert_int_equal(fx->found[fx->nfound - 1].severity, SEV_ERROR);
	gate(fx, SMT_EV_CLK, "pcie_tbu_clk", 1);
	/* the pcie TBU saw the TLBI-all while gated */
	assert_int_equal(count(fx, RULE_TBU_STALE_EXPOSURE), 1);
}

static void test_tbu_gated_by_any_of_its_gates(void **state)
{
	struct fixture *fx = *state;

	attach(fx, GPU_DOM, "3d00000.gpu", 0x3);
	map(fx, GPU_DOM, 0x1000, 0x1000, 0);
	gate(fx, SMT_EV_PD, "gpu_cx_gdsc", 0);
	gate(fx, SMT_EV_CLK, "gpu_cc_ahb_clk", 0);
	gate(fx, SMT_EV_PD, "gpu_cx_gdsc", 1);	/* clock still off */
	unmap(fx, GPU_DOM, 0x1000, 0x1000);
	assert_int_equal(count(fx, RULE_UNMAP_WHILE_GATED), 1);
	gate(fx, SMT_EV_CLK, "gpu_cc_ahb_clk", 1);
	tlbi_va(fx, GPU_DOM, 0x1000, 0x1000);
	sync_ctx(fx, GPU_DOM);
	assert_int_equal(count(fx, RULE_UNMAP_WHILE_GATED), 1);
	assert_int_equal(count(fx, RULE_TLBI_WHILE_GATED), 0);
	assert_int_equal(count(fx, RULE_TBU_STALE_EXPOSURE), 0);
}

static void test_rpm_suspended_gates_resuming_does_not(void **state)
{
	struct fixture *fx = *state;

	attach(fx, GPU_DOM, "3d00000.gpu", 0x0);
	map(fx, GPU_DOM, 0x1000, 0x2000, 0);
	rpm(fx, "3d00000.gpu", SMT_RPM_SUSPENDING);
	unmap(fx, GPU_DOM, 0x1000, 0x1000);
	assert_int_equal(count(fx, RULE_UNMAP_WHILE_GATED), 0);
	rpm(fx, "3d00000.gpu", SMT_RPM_SUSPENDED);
	unmap(fx, GPU_DOM, 0x2000, 0x1000);
	assert_int_equal(count(fx, RULE_UNMAP_WHILE_GATED), 1);
	rpm(fx, "3d00000.gpu", SMT_RPM_RESUMING);
	tlbi_ctx(fx, GPU_DOM);
	sync_ctx(fx, GPU_DOM);
	assert_int_equal(count(fx, RULE_TLBI_WHILE_GATED), 0);
}

/* a TBU that comes back after an SMMU reset it missed is still exposed */
static void test_smmu_reset_while_gated_does_not_clear(void **state)
{
	struct fixture *fx = *state;

	attach(fx, GPU_DOM, "3d00000.gpu", 0x0);
	map(fx, GPU_DOM, 0x1000, 0x1000, 0);
	gate(fx, SMT_EV_CLK, "gpu_cc_ahb_clk", 0);
	unmap(fx, GPU_DOM, 0x1000, 0x1000);
	tlbi_va(fx, GPU_DOM, 0x1000, 0x1000);
	smmu_reset(fx);
	gate(fx, SMT_EV_CLK, "gpu_cc_ahb_clk", 1);
	assert_int_equal(count(fx, RULE_TBU_STALE_EXPOSURE), 1);
}

/* reset completes pending invalidations: reuse after it is safe */
static void test_smmu_reset_completes_pending(void **state)
{
	struct fixture *fx = *state;

	map(fx, GPU_DOM, 0x1000, 0x1000, 0);
	unmap(fx, GPU_DOM, 0x1000, 0x1000);
	smmu_reset(fx);
	map(fx, GPU_DOM, 0x1000, 0x1000, 0);
	assert_int_equal(count(fx, RULE_IOVA_REUSE_BEFORE_SYNC), 0);
}

static void test_flush_all_counts_as_tlbi_while_gated(void **state)
{
	struct fixture *fx = *state;

	attach(fx, GPU_DOM, "3d00000.gpu", 0x0);
	map(fx, GPU_DOM, 0x1000, 0x1000, 0);
	gate(fx, SMT_EV_PD, "gpu_cx_gdsc", 0);
	unmap(fx, GPU_DOM, 0x1000, 0x1000);
	flush_all(fx, GPU_DOM);
	assert_int_equal(count(fx, RULE_TLBI_WHILE_GATED), 1);
	assert_int_equal(count(fx, RULE_SYNC_WHILE_GATED), 0);
	gate(fx, SMT_EV_PD, "gpu_cx_gdsc", 1);
	assert_int_equal(count(fx, RULE_TBU_STALE_EXPOSURE), 1);
}

static void test_no_gated_tbu_means_no_gate_findings(void **state)
{
	struct fixture *fx = *state;

	attach(fx, GPU_DOM, "3d00000.gpu", 0x0);
	gate(fx, SMT_EV_CLK, "some_other_clk", 0);	/* not a TBU gate */
	strict_cycle(fx, GPU_DOM, 0x1000, 0x1000);
	assert_int_equal(fx->nfound, 0);
}

static void test_domain_pointer_reuse_after_free(void **state)
{
	struct fixture *fx = *state;

	attach(fx, GPU_DOM, "3d00000.gpu", 0x0);
	map(fx, GPU_DOM, 0x1000, 0x1000, 0);
	domain_free_ev(fx, GPU_DOM);
	/* a new domain at the same address, for a device no TBU serves */
	attach(fx, GPU_DOM, "0000:00:01.0", 0x900);
	map(fx, GPU_DOM, 0x1000, 0x1000, 0);
	assert_int_equal(count(fx, RULE_MAP_OVER_LIVE), 0);
	gate(fx, SMT_EV_CLK, "gpu_cc_ahb_clk", 0);
	unmap(fx, GPU_DOM, 0x1000, 0x1000);
	assert_int_equal(first(fx, RULE_UNMAP_WHILE_GATED)->severity, SEV_WARNING);
}

static void test_detach_removes_sids(void **state)
{
	struct fixture *fx = *state;
	struct smt_event ev;

	attach(fx, GPU_DOM, "3d00000.gpu", 0x0);
	ev = base(fx, SMT_EV_DETACH);
	ev.present |= SMT_HAS_DOMAIN | SMT_HAS_NAME;
	ev.domain = GPU_DOM;
	snprintf(ev.name, sizeof(ev.name), "3d00000.gpu");
	feed(fx, &ev);
	map(fx, GPU_DOM, 0x1000, 0x1000, 0);
	gate(fx, SMT_EV_CLK, "gpu_cc_ahb_clk", 0);
	unmap(fx, GPU_DOM, 0x1000, 0x1000);
	assert_int_equal(first(fx, RULE_UNMAP_WHILE_GATED)->severity, SEV_WARNING);
}

static void test_attach_moves_device_between_domains(void **state)
{
	struct fixture *fx = *state;

	/* the GPU leaves its first domain for a new one: the old one is no longer served */
	attach(fx, NET_DOM, "3d00000.gpu", 0x0);
	attach(fx, GPU_DOM, "3d00000.gpu", 0x0);
	map(fx, NET_DOM, 0x1000, 0x1000, 0);
	map(fx, GPU_DOM, 0x1000, 0x1000, 0);
	gate(fx, SMT_EV_CLK, "gpu_cc_ahb_clk", 0);
	unmap(fx, NET_DOM, 0x1000, 0x1000);
	unmap(fx, GPU_DOM, 0x1000, 0x1000);
	assert_int_equal(count(fx, RULE_UNMAP_WHILE_GATED), 2);
	assert_int_equal(fx->found[0].severity, SEV_WARNING);
	assert_int_equal(fx->found[1].severity, SEV_ERROR);
}

/* evidence names the task of each mapping, however many distinct tasks there are */
static void test_evidence_keeps_comm_of_each_of_many_tasks(void **state)
{
	struct fixture *fx = *state;

	for (int i = 0; i < 3000; i++) {
		struct smt_event ev = base(fx, SMT_EV_MAP);

		ev.present |= SMT_HAS_DOMAIN | SMT_HAS_IOVA | SMT_HAS_SIZE | SMT_HAS_RET;
		ev.domain = NET_DOM;
		ev.iova = 0x100000 + (uint64_t)i * 0x1000;
		ev.size = 0x1000;
		snprintf(ev.comm, sizeof(ev.comm), "task-%d", i);
		feed(fx, &ev);
	}
	map(fx, NET_DOM, 0x100000 + 7 * 0x1000, 0x1000, 0);
	map(fx, NET_DOM, 0x100000 + 2999 * 0x1000, 0x1000, 0);
	assert_int_equal(count(fx, RULE_MAP_OVER_LIVE), 2);
	assert_string_equal(fx->found[0].evidence[1].comm, "task-7");
	assert_string_equal(fx->found[1].evidence[1].comm, "task-2999");
}

static void test_unknown_gates_in_summary(void **state)
{
	struct fixture *fx = *state;
	struct engine_summary s;

	gate(fx, SMT_EV_CLK, "gpu_cc_ahb_clk", 1);
	engine__summary(fx->e, &s);
	/* gpu_cx_gdsc, 3d00000.gpu, pcie_tbu_clk never seen */
	assert_int_equal(s.unknown_gates, 3);
	assert_int_equal(engine__tbu_gated(fx->e, 0), -1);
	gate(fx, SMT_EV_CLK, "gpu_cc_ahb_clk", 0);
	assert_int_equal(engine__tbu_gated(fx->e, 0), 1);
}

/* a long realistic clean stream must give zero findings */
static void test_long_clean_stream_has_no_findings(void **state)
{
	struct fixture *fx = *state;
	uint64_t live[512] = { 0 };
	uint64_t rnd = 88172645463325252ull;
	struct engine_summary s;

	attach(fx, NET_DOM, "0000:00:01.0", 0x8);
	attach(fx, GPU_DOM, "3d00000.gpu", 0x0);
	for (int i = 0; i < 200000; i++) {
		uint64_t dom, slot, iova, size;

		rnd ^= rnd << 13;
		rnd ^= rnd >> 7;
		rnd ^= rnd << 17;
		slot = rnd % 512;
		dom = slot & 1 ? GPU_DOM : NET_DOM;
		iova = 0x100000 + slot * 0x20000;
		size = (rnd >> 20) % 4 == 0 ? 0x10000 : 0x1000;
		if (live[slot]) {
			unmap(fx, dom, iova, live[slot]);
			tlbi_va(fx, dom, iova, live[slot]);
			sync_ctx(fx, dom);
			live[slot] = 0;
		} else {
			map(fx, dom, iova, size, 0);
			live[slot] = size;
		}
		/* the GPU goes idle now and then, with no GPU traffic while gated */
		if (i % 5000 == 4000) {
			rpm(fx, "3d00000.gpu", SMT_RPM_SUSPENDED);
			rpm(fx, "3d00000.gpu", SMT_RPM_ACTIVE);
		}
	}
	engine__finish(fx->e);
	engine__summary(fx->e, &s);
	assert_int_equal(fx->nfound, 0);
	assert_true(s.events > 300000);
}


/*
 * Issue 9, A: a map over a range still owing an invalidation does not pay the
 * debt. The page tables say mapped; the TLBs may still hold the old
 * translation until a TLBI and a sync.
 */
static void test_issue9_a_second_reuse_before_sync_is_flagged(void **state)
{
	struct fixture *fx = *state;
	const struct finding *f;

	at(fx, 0);
	map(fx, NET_DOM, 0x1000, 0x1000, 0);
	at(fx, 1000);
	unmap(fx, NET_DOM, 0x1000, 0x1000);
	at(fx, 2000);
	map(fx, NET_DOM, 0x1000, 0x1000, 0);
	at(fx, 3000);
	map(fx, NET_DOM, 0x1000, 0x1000, 0);
	engine__finish(fx->e);
	assert_int_equal(fx->nfound, 3);
	assert_non_null(find_at(fx, RULE_IOVA_REUSE_BEFORE_SYNC, 2000));
	f = find_at(fx, RULE_IOVA_REUSE_BEFORE_SYNC, 3000);
	assert_non_null(f);
	assert_int_equal(f->iova, 0x1000);
	assert_int_equal(f->size, 0x1000);
	assert_int_equal(f->evidence[1].ts, 1000);	/* names the unmap that still owes */
	assert_non_null(find_at(fx, RULE_MAP_OVER_LIVE, 3000));
}

static void test_issue9_a_remap_does_not_cancel_unmap_no_invalidate(void **state)
{
	struct fixture *fx = *state;
	const struct finding *f;

	at(fx, 0);
	map(fx, NET_DOM, 0x1000, 0x1000, 0);
	at(fx, 1000);
	unmap(fx, NET_DOM, 0x1000, 0x1000);
	at(fx, 2000);
	map(fx, NET_DOM, 0x1000, 0x1000, 0);
	at(fx, 200 * MS);
	lost(fx, 1);
	engine__finish(fx->e);
	assert_int_equal(fx->nfound, 3);
	assert_non_null(find_at(fx, RULE_IOVA_REUSE_BEFORE_SYNC, 2000));
	assert_non_null(find_at(fx, RULE_EVENTS_LOST, 200 * MS));
	f = find_at(fx, RULE_UNMAP_NO_INVALIDATE, 1000);
	assert_non_null(f);
	assert_int_equal(f->iova, 0x1000);
	assert_int_equal(f->size, 0x1000);
}

static void test_issue9_a_fault_after_unmap_and_remap_is_flagged(void **state)
{
	struct fixture *fx = *state;
	const struct finding *f;

	at(fx, 0);
	map(fx, NET_DOM, 0x1000, 0x1000, 0);
	at(fx, 1000);
	unmap(fx, NET_DOM, 0x1000, 0x1000);
	at(fx, 2000);
	map(fx, NET_DOM, 0x1000, 0x1000, 0);
	at(fx, 3000);
	fault(fx, NET_DOM, 0x1800);
	engine__finish(fx->e);
	assert_int_equal(fx->nfound, 2);
	assert_non_null(find_at(fx, RULE_IOVA_REUSE_BEFORE_SYNC, 2000));
	f = find_at(fx, RULE_FAULT_AFTER_UNMAP, 3000);
	assert_non_null(f);
	assert_int_equal(f->iova, 0x1800);
	assert_int_equal(f->evidence[1].ts, 1000);
	assert_int_equal(f->evidence[1].type, SMT_EV_UNMAP);
}

/* once the unmap was invalidated and synced, a remap is clean and a fault is the new mapping's */
static void test_issue9_a_negative_paid_debt_then_remap_and_fault(void **state)
{
	struct fixture *fx = *state;

	map(fx, NET_DOM, 0x1000, 0x1000, 0);
	unmap(fx, NET_DOM, 0x1000, 0x1000);
	tlbi_va(fx, NET_DOM, 0x1000, 0x1000);
	sync_ctx(fx, NET_DOM);
	map(fx, NET_DOM, 0x1000, 0x1000, 0);
	fault(fx, NET_DOM, 0x1000);
	map(fx, NET_DOM, 0x1000, 0x1000, 0);
	advance(fx, 300 * MS);
	lost(fx, 1);
	engine__finish(fx->e);
	assert_int_equal(fx->nfound, 2);
	assert_int_equal(count(fx, RULE_MAP_OVER_LIVE), 1);
	assert_int_equal(count(fx, RULE_EVENTS_LOST), 1);
}

/* Issue 9, B: each unmap owes its own invalidation, with its own deadline */
static void test_issue9_b_second_unmap_keeps_first_deadline(void **state)
{
	struct fixture *fx = *state;
	const struct finding *f;

	at(fx, 0);
	map(fx, NET_DOM, 0x1000, 0x1000, 0);
	at(fx, 1000);
	unmap(fx, NET_DOM, 0x1000, 0x1000);
	at(fx, 50 * MS);
	unmap(fx, NET_DOM, 0x1000, 0x1000);
	at(fx, 120 * MS);
	tlbi_va(fx, NET_DOM, 0x1000, 0x1000);
	at(fx, 120 * MS);
	sync_ctx(fx, NET_DOM);
	engine__finish(fx->e);
	assert_int_equal(fx->nfound, 2);
	assert_non_null(find_at(fx, RULE_UNMAP_UNMAPPED, 50 * MS));	/* the double unmap */
	f = find_at(fx, RULE_UNMAP_NO_INVALIDATE, 1000);
	assert_non_null(f);
	assert_int_equal(f->iova, 0x1000);
	assert_int_equal(f->size, 0x1000);
	assert_int_equal(f->evidence[0].ts, 1000);
	/* the second unmap was invalidated 70 ms after it: in time */
	assert_null(find_at(fx, RULE_UNMAP_NO_INVALIDATE, 50 * MS));
}

/*
 * Issue 9, C: the engine's lifetimes agree with its findings. Half of the
 * unmap is invalidated and synced, the other half never: two lifetimes.
 */
static void test_issue9_c_partly_invalidated_unmap_gives_two_lifetimes(void **state)
{
	struct fixture *fx = *state;
	const struct engine_lifetime *lt;
	const struct finding *f;

	at(fx, 0);
	map(fx, NET_DOM, 0x1000, 0x2000, 0);
	at(fx, 1000);
	unmap(fx, NET_DOM, 0x1000, 0x2000);
	at(fx, 2000);
	tlbi_va(fx, NET_DOM, 0x1000, 0x1000);
	at(fx, 3000);
	sync_ctx(fx, NET_DOM);
	at(fx, 4000);
	map(fx, NET_DOM, 0x2000, 0x1000, 0);
	engine__finish(fx->e);
	assert_int_equal(fx->nfound, 1);
	f = find_at(fx, RULE_IOVA_REUSE_BEFORE_SYNC, 4000);
	assert_non_null(f);
	assert_int_equal(f->iova, 0x2000);
	assert_int_equal(f->size, 0x1000);

	assert_int_equal(fx->nlts, 3);
	lt = find_lt(fx, 0x1000, 1000, 0);
	assert_non_null(lt);
	assert_int_equal(lt->size, 0x1000);
	assert_int_equal(lt->inval_ts, 2000);
	assert_int_equal(lt->sync_ts, 3000);
	lt = find_lt(fx, 0x2000, 1000, 0);
	assert_non_null(lt);
	assert_int_equal(lt->size, 0x1000);
	assert_true(lt->inval_ts == ENGINE_NEVER);
	assert_true(lt->sync_ts == ENGINE_NEVER);
	lt = find_lt(fx, 0x2000, ENGINE_NEVER, 4000);	/* the new mapping, still live */
	assert_non_null(lt);
	assert_int_equal(lt->size, 0x1000);
}

/* one unmap over two mappings: one lifetime per mapping, each with its own map time */
static void test_lifetimes_follow_each_mapping_an_unmap_takes(void **state)
{
	struct fixture *fx = *state;
	const struct engine_lifetime *lt;

	at(fx, 10000);
	map(fx, NET_DOM, 0x1000, 0x1000, 0);
	at(fx, 20000);
	map(fx, NET_DOM, 0x2000, 0x1000, 0);
	at(fx, 30000);
	unmap(fx, NET_DOM, 0x0, 0x4000);	/* pages 0 and 3 never mapped */
	flush_all(fx, NET_DOM);
	assert_int_equal(fx->nlts, 4);
	lt = find_lt(fx, 0x1000, 30000, 10000);
	assert_non_null(lt);
	assert_int_equal(lt->sync_ts, 31000);
	assert_non_null(find_lt(fx, 0x2000, 30000, 20000));
	lt = find_lt(fx, 0x0, 30000, ENGINE_NEVER);
	assert_non_null(lt);
	assert_int_equal(lt->size, 0x1000);
	lt = find_lt(fx, 0x3000, 30000, ENGINE_NEVER);
	assert_non_null(lt);
	assert_int_equal(lt->size, 0x1000);
	engine__finish(fx->e);
	assert_int_equal(fx->nlts, 4);
}

/* one unmap over two mappings is two pieces: a TLBI over the whole range covers both */
static void test_tlbi_covers_every_piece_of_an_unmap_over_two_mappings(void **state)
{
	struct fixture *fx = *state;

	map(fx, NET_DOM, 0x1000, 0x1000, 0);
	map(fx, NET_DOM, 0x2000, 0x1000, 0);
	unmap(fx, NET_DOM, 0x1000, 0x2000);
	tlbi_va(fx, NET_DOM, 0x1000, 0x2000);
	sync_ctx(fx, NET_DOM);
	map(fx, NET_DOM, 0x1000, 0x1000, 0);
	map(fx, NET_DOM, 0x2000, 0x1000, 0);
	engine__finish(fx->e);
	assert_int_equal(fx->nfound, 0);
}

/*
 * An unmap whose TLBI the capture lost stays owed; the TLBI walk stops early
 * on later strict cycles but must still reach it when a TLBI covers it.
 */
static void test_old_owed_unmap_is_covered_by_a_later_tlbi(void **state)
{
	struct fixture *fx = *state;

	map(fx, NET_DOM, 0x100000, 0x1000, 0);
	unmap(fx, NET_DOM, 0x100000, 0x1000);		/* its TLBI was lost */
	for (int i = 0; i < 50; i++)
		strict_cycle(fx, NET_DOM, 0x1000 + (uint64_t)(i % 8) * 0x1000, 0x1000);
	map(fx, NET_DOM, 0x100000, 0x1000, 0);		/* still owed: a reuse */
	assert_int_equal(count(fx, RULE_IOVA_REUSE_BEFORE_SYNC), 1);
	tlbi_va(fx, NET_DOM, 0xff000, 0x3000);		/* covers it, and more */
	sync_ctx(fx, NET_DOM);
	unmap(fx, NET_DOM, 0x100000, 0x1000);
	tlbi_va(fx, NET_DOM, 0x100000, 0x1000);
	sync_ctx(fx, NET_DOM);
	map(fx, NET_DOM, 0x100000, 0x1000, 0);		/* both unmaps paid: clean */
	assert_int_equal(count(fx, RULE_IOVA_REUSE_BEFORE_SYNC), 1);
	engine__finish(fx->e);
	assert_int_equal(count(fx, RULE_UNMAP_NO_INVALIDATE), 0);
}

/*
 * engine__feed_batch() looks ahead to prefetch; it must judge exactly as one
 * engine__feed() per event: the streams of other tests, fed again in batches
 * of every size from 1 to 7, give the same findings and lifetimes.
 */
static void test_batch_feed_judges_as_single_feeds(void **state)
{
	static void (*const scenarios[])(void **) = {
		test_gpu_tbu_gated_unmaps_and_tlbis,
		test_issue9_a_fault_after_unmap_and_remap_is_flagged,
		test_issue9_c_partly_invalidated_unmap_gives_two_lifetimes,
		test_domain_pointer_reuse_after_free,
		test_stale_pte_2017_deferred_unmap,
		test_unmap_no_invalidate_after_window,
	};

	for (size_t k = 0; k < sizeof(scenarios) / sizeof(scenarios[0]); k++) {
		for (unsigned int size = 1; size <= 7; size++) {
			struct fixture *one = fixture_new(0), *batch = fixture_new(0);
			const struct smt_event *evs[7];
			void *st = one;

			one->record = true;
			scenarios[k](&st);
			engine__finish(one->e);
			for (int i = 0; i < one->nfed; i += (int)size) {
				unsigned int n = 0;

				while (n < size && i + (int)n < one->nfed) {
					evs[n] = &one->fed[i + (int)n];
					n++;
				}
				engine__feed_batch(batch->e, evs, n);
			}
			engine__finish(batch->e);
			assert_true(one->nfound > 0 || one->nlts > 0);
			assert_int_equal(batch->nfound, one->nfound);
			assert_int_equal(batch->nlts, one->nlts);
			for (int f = 0; f < one->nfound; f++) {
				assert_int_equal(batch->found[f].rule, one->found[f].rule);
				assert_int_equal(batch->found[f].ts, one->found[f].ts);
				assert_string_equal(batch->found[f].message, one->found[f].message);
			}
			for (int l = 0; l < one->nlts; l++) {
				const struct engine_lifetime *a = &one->lts[l], *b = &batch->lts[l];

				assert_true(a->domain == b->domain && a->iova == b->iova &&
					    a->size == b->size && a->map_ts == b->map_ts &&
					    a->unmap_ts == b->unmap_ts && a->inval_ts == b->inval_ts &&
					    a->sync_ts == b->sync_ts &&
					    a->unmapped_gated == b->unmapped_gated);
			}
			st = one;
			teardown(&st);
			st = batch;
			teardown(&st);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_clean_strict_reuse_gives_no_finding),
		T(test_reuse_before_tlbi_is_flagged),
		T(test_reuse_is_flagged_unless_tlbi_then_sync_follow_the_unmap),
		T(test_tlbi_of_other_range_does_not_cover),
		T(test_batch_feed_judges_as_single_feeds),
		T(test_context_tlbi_and_global_sync_complete),
		T(test_rangeless_tlbi_and_domainless_sync_complete),
		T(test_smmu_wide_events_before_any_domain),
		T(test_tlbi_all_covers_every_domain),
		T(test_lazy_mode_flush_all_completes),
		T(test_lazy_mode_reuse_before_flush_is_flagged),
		T(test_map_over_live_is_flagged),
		T(test_block_mapping_split_by_partial_unmaps),
		T(test_huge_addresses_at_top_of_space),
		T(test_stale_pte_2017_deferred_unmap),
		T(test_eexist_over_live_or_unknown_is_not_stale_pte),
		T(test_unmap_unmapped_short_return),
		T(test_unmap_never_mapped_since_boot),
		T(test_since_boot_false_unknown_unmap_is_fine),
		T(test_since_boot_false_double_unmap_is_flagged),
		T(test_unmap_no_invalidate_after_window),
		T(test_unmap_no_invalidate_not_at_end_if_window_open),
		T(test_unmap_no_invalidate_split_unmap_reports_once),
		T(test_fault_after_unmap_within_window),
		T(test_fault_outside_window_or_on_mapped_is_not),
		T(test_sync_slow_and_timeout),
		T(test_lost_events_mark_later_findings_incomplete),
		T(test_gpu_tbu_gated_unmaps_and_tlbis),
		T(test_gated_tbu_not_serving_domain_is_warning),
		T(test_tbu_gated_by_any_of_its_gates),
		T(test_rpm_suspended_gates_resuming_does_not),
		T(test_smmu_reset_while_gated_does_not_clear),
		T(test_smmu_reset_completes_pending),
		T(test_flush_all_counts_as_tlbi_while_gated),
		T(test_no_gated_tbu_means_no_gate_findings),
		T(test_domain_pointer_reuse_after_free),
		T(test_detach_removes_sids),
		T(test_attach_moves_device_between_domains),
		T(test_evidence_keeps_comm_of_each_of_many_tasks),
		T(test_unknown_gates_in_summary),
		T(test_long_clean_stream_has_no_findings),
		T(test_issue9_a_second_reuse_before_sync_is_flagged),
		T(test_issue9_a_remap_does_not_cancel_unmap_no_invalidate),
		T(test_issue9_a_fault_after_unmap_and_remap_is_flagged),
		T(test_issue9_a_negative_paid_debt_then_remap_and_fault),
		T(test_issue9_b_second_unmap_keeps_first_deadline),
		T(test_issue9_c_partly_invalidated_unmap_gives_two_lifetimes),
		T(test_lifetimes_follow_each_mapping_an_unmap_takes),
		T(test_tlbi_covers_every_piece_of_an_unmap_over_two_mappings),
		T(test_old_owed_unmap_is_covered_by_a_later_tlbi),
#undef T
	};

	return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
