// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What-if rewrites (SPEC §8): each policy on small JSONL streams, checked two
 * ways: the rewritten stream itself (exact JSONL out for JSONL in) with the
 * change counters, and what the unchanged engine then finds in it.
 *
 * Board: SMMU "s" (suspended while rpm:s is, unless a test gives gates =),
 * TBU gpu_tbu serving SIDs 0x0-0x3ff, gated by clk:gpu_clk.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "engine.h"
#include "event.h"
#include "jsonl.h"
#include "topology.h"
#include "whatif.h"

#define BOARD "[smmu s]\n[tbu gpu_tbu]\nsids = 0x0-0x3ff\ngates = clk:gpu_clk\n"
#define ATTACH "{\"ev\":\"attach\",\"ts\":1,\"domain\":\"0x1000\",\"dev\":\"gpu\",\"smmu\":\"s\",\"sids\":[1]}\n"
#define ATTACH_OUT "{\"ev\":\"attach\",\"ts\":1,\"domain\":\"0x1000\",\"dev\":\"gpu\",\"smmu\":\"s\",\"sids\":[1]}\n"

struct run {
	struct topology topo;
	char *out;		/* the rewritten stream as JSONL */
	size_t outlen;
	FILE *outf;
	struct engine *e;	/* judges the rewritten stream */
	uint64_t found[RULE_MAX];
	struct whatif_changes ch;
	uint64_t held;
};

static void count(const struct finding *f, void *ctx)
{
	struct run *r = ctx;

	r->found[f->rule]++;
}

static void sink(const struct smt_event *ev, void *ctx)
{
	struct run *r = ctx;

	assert_int_equal(jsonl__write_event(r->outf, ev, NULL), 0);
	engine__feed(r->e, ev);
}

/* Run STREAM (JSONL) through POLICY on BOARD_TEXT; R holds the results. */
static void run(struct run *r, enum whatif_policy policy, const char *board_text,
		const char *stream)
{
	struct engine_opts eo = { 0 };
	struct whatif_opts wo = { 0 };
	struct jsonl_reader *jr;
	struct smt_event ev;
	struct whatif *w;
	char err[256];
	FILE *in;
	int rc;

	memset(r, 0, sizeof(*r));
	topology__init(&r->topo);
	assert_int_equal(board__load_text(&r->topo, board_text, "b.ini", err, sizeof(err)), 0);
	r->outf = open_memstream(&r->out, &r->outlen);
	eo.topo = &r->topo;
	eo.on_finding = count;
	eo.ctx = r;
	r->e = engine__new(&eo);
	assert_non_null(r->e);
	wo.policy = policy;
	wo.topo = &r->topo;
	wo.emit = sink;
	wo.ctx = r;
	w = whatif__new(&wo);
	assert_non_null(w);
	in = fmemopen((void *)stream, strlen(stream), "r");
	jr = jsonl_reader__new(in, "t.jsonl");
	while ((rc = jsonl_reader__next(jr, &ev)) > 0)
		whatif__feed(w, &ev);
	if (rc < 0)
		fail_msg("%s", jsonl_reader__error(jr));
	engine__finish(r->e);
	whatif__changes(w, &r->ch);
	r->held = whatif__held_at_end(w);
	whatif__free(w);
	jsonl_reader__free(jr);
	fclose(in);
	fclose(r->outf);
}

static void done(struct run *r)
{
	engine__free(r->e);
	topology__free(&r->topo);
	free(r->out);
}

static void expect_out(const struct run *r, const char *want)
{
	if (strcmp(r->out, want))
		fail_msg("rewritten stream:\n%s\nwanted:\n%s", r->out, want);
}

static void expect_changes(const struct run *r, uint64_t deferred, uint64_t failed,
			   uint64_t tlbis, uint64_t syncs, uint64_t wakes, uint64_t dropped)
{
	assert_int_equal(r->ch.deferred_unmaps, deferred);
	assert_int_equal(r->ch.failed_maps, failed);
	assert_int_equal(r->ch.skipped_tlbis, tlbis);
	assert_int_equal(r->ch.skipped_syncs, syncs);
	assert_int_equal(r->ch.tbu_wakes, wakes);
	assert_int_equal(r->ch.events_dropped, dropped);
}

static uint64_t total(const struct run *r)
{
	uint64_t n = 0;

	for (int i = 0; i < RULE_MAX; i++)
		n += r->found[i];
	return n;
}

/*
 * The 2017 scenario: map, the SMMU suspends, unmap + TLBI + sync, the same
 * IOVA mapped again before the resume, resume, the new mapping's unmap.
 */
#define SUSPENDED_REUSE \
	ATTACH \
	"{\"ev\":\"map\",\"ts\":10,\"domain\":\"0x1000\",\"iova\":\"0x100000\",\"size\":4096,\"ret\":0}\n" \
	"{\"ev\":\"rpm\",\"ts\":20,\"dev\":\"s\",\"state\":\"suspended\"}\n" \
	"{\"ev\":\"unmap\",\"ts\":30,\"domain\":\"0x1000\",\"iova\":\"0x100000\",\"size\":4096,\"ret\":4096}\n" \
	"{\"ev\":\"tlbi\",\"ts\":31,\"smmu\":\"s\",\"domain\":\"0x1000\",\"scope\":\"va\",\"iova\":\"0x100000\",\"size\":4096}\n" \
	"{\"ev\":\"sync\",\"ts\":32,\"smmu\":\"s\",\"domain\":\"0x1000\",\"scope\":\"context\",\"dur\":100}\n" \
	"{\"ev\":\"map\",\"ts\":40,\"domain\":\"0x1000\",\"iova\":\"0x100000\",\"size\":4096,\"ret\":0}\n" \
	"{\"ev\":\"rpm\",\"ts\":50,\"dev\":\"s\",\"state\":\"active\"}\n" \
	"{\"ev\":\"unmap\",\"ts\":60,\"domain\":\"0x1000\",\"iova\":\"0x100000\",\"size\":4096,\"ret\":4096}\n" \
	"{\"ev\":\"tlbi\",\"ts\":61,\"smmu\":\"s\",\"domain\":\"0x1000\",\"scope\":\"va\",\"iova\":\"0x100000\",\"size\":4096}\n" \
	"{\"ev\":\"sync\",\"ts\":62,\"smmu\":\"s\",\"domain\":\"0x1000\",\"scope\":\"context\",\"dur\":100}\n"

static void test_policy_names(void **state)
{
	assert_int_equal(whatif__policy_from_name("defer-unmap"), WHATIF_DEFER_UNMAP);
	assert_int_equal(whatif__policy_from_name("skip-tlbi"), WHATIF_SKIP_TLBI);
	assert_int_equal(whatif__policy_from_name("wake-tbu"), WHATIF_WAKE_TBU);
	assert_int_equal(whatif__policy_from_name("defer"), -1);
	assert_int_equal(whatif__policy_from_name(""), -1);
	for (int p = 0; p < WHATIF_POLICY_MAX; p++) {
		assert_int_equal(whatif__policy_from_name(whatif__policy_name(p)), p);
		assert_non_null(strstr(WHATIF_POLICY_LIST, whatif__policy_name(p)));
	}
}

static void test_recorded_stream_as_judged_has_no_finding(void **state)
{
	struct run r;

	/* wake-tbu with no TBU gated leaves the stream as it was */
	run(&r, WHATIF_WAKE_TBU, BOARD, SUSPENDED_REUSE);
	assert_int_equal(total(&r), 0);
	expect_changes(&r, 0, 0, 0, 0, 0, 0);
	done(&r);
}

static void test_defer_unmap_rewrite(void **state)
{
	struct run r;

	run(&r, WHATIF_DEFER_UNMAP, BOARD, SUSPENDED_REUSE);
	expect_out(&r,
		ATTACH_OUT
		"{\"ev\":\"map\",\"ts\":10,\"domain\":\"0x1000\",\"iova\":\"0x100000\",\"size\":4096,\"ret\":0}\n"
		"{\"ev\":\"rpm\",\"ts\":20,\"dev\":\"s\",\"state\":\"suspended\"}\n"
		/* returned its size: the caller goes on as if unmapped */
		"{\"ev\":\"unmap\",\"ts\":30,\"domain\":\"0x1000\",\"iova\":\"0x100000\",\"size\":4096,\"ret\":4096}\n"
		/* TLBI and sync not issued; the reuse hits the live PTEs */
		"{\"ev\":\"map\",\"ts\":40,\"domain\":\"0x1000\",\"iova\":\"0x100000\",\"size\":4096,\"ret\":-17}\n"
		"{\"ev\":\"rpm\",\"ts\":50,\"dev\":\"s\",\"state\":\"active\"}\n"
		/* resume performs the held unmap: TLBI and sync */
		"{\"ev\":\"tlbi\",\"ts\":50,\"smmu\":\"s\",\"domain\":\"0x1000\",\"scope\":\"va\",\"iova\":\"0x100000\",\"size\":4096}\n"
		"{\"ev\":\"sync\",\"ts\":50,\"smmu\":\"s\",\"domain\":\"0x1000\",\"scope\":\"context\",\"dur\":0}\n"
		/* the failed mapping's unmap (ts 60) is gone; its TLBI and sync stay */
		"{\"ev\":\"tlbi\",\"ts\":61,\"smmu\":\"s\",\"domain\":\"0x1000\",\"scope\":\"va\",\"iova\":\"0x100000\",\"size\":4096}\n"
		"{\"ev\":\"sync\",\"ts\":62,\"smmu\":\"s\",\"domain\":\"0x1000\",\"scope\":\"context\",\"dur\":100}\n");
	expect_changes(&r, 1, 1, 1, 1, 0, 1);
	assert_int_equal(r.held, 0);
	done(&r);
}

static void test_defer_unmap_reuse_before_resume_is_stale_pte(void **state)
{
	struct run r;

	run(&r, WHATIF_DEFER_UNMAP, BOARD, SUSPENDED_REUSE);
	assert_int_equal(r.found[RULE_STALE_PTE], 1);
	assert_int_equal(total(&r), 1);
	done(&r);
}

static void test_defer_unmap_leaves_an_active_smmu_alone(void **state)
{
	static const char in[] =
		ATTACH
		"{\"ev\":\"map\",\"ts\":10,\"domain\":\"0x1000\",\"iova\":\"0x100000\",\"size\":4096,\"ret\":0}\n"
		"{\"ev\":\"rpm\",\"ts\":20,\"dev\":\"s\",\"state\":\"suspending\"}\n"
		"{\"ev\":\"unmap\",\"ts\":30,\"domain\":\"0x1000\",\"iova\":\"0x100000\",\"size\":4096,\"ret\":4096}\n"
		"{\"ev\":\"map\",\"ts\":40,\"domain\":\"0x1000\",\"iova\":\"0x100000\",\"size\":4096,\"ret\":0}\n";
	struct run r;

	/* "suspending" is not suspended (SPEC §4): nothing held, the map stands */
	run(&r, WHATIF_DEFER_UNMAP, BOARD, in);
	expect_changes(&r, 0, 0, 0, 0, 0, 0);
	assert_int_equal(r.found[RULE_STALE_PTE], 0);
	assert_int_equal(r.found[RULE_IOVA_REUSE_BEFORE_SYNC], 1);
	done(&r);
}

static void test_defer_unmap_never_resumed_stays_held(void **state)
{
	static const char in[] =
		ATTACH
		"{\"ev\":\"map\",\"ts\":10,\"domain\":\"0x1000\",\"iova\":\"0x100000\",\"size\":8192,\"ret\":0}\n"
		"{\"ev\":\"rpm\",\"ts\":20,\"dev\":\"s\",\"state\":\"suspended\"}\n"
		"{\"ev\":\"unmap\",\"ts\":30,\"domain\":\"0x1000\",\"iova\":\"0x100000\",\"size\":8192,\"ret\":8192}\n"
		/* a map next to it, not over it, is fine */
		"{\"ev\":\"map\",\"ts\":40,\"domain\":\"0x1000\",\"iova\":\"0x102000\",\"size\":4096,\"ret\":0}\n";
	struct run r;

	run(&r, WHATIF_DEFER_UNMAP, BOARD, in);
	expect_changes(&r, 1, 0, 0, 0, 0, 0);
	assert_int_equal(r.held, 1);
	assert_int_equal(r.found[RULE_STALE_PTE], 0);
	done(&r);
}

static void test_skip_tlbi_rewrite(void **state)
{
	struct run r;

	run(&r, WHATIF_SKIP_TLBI, BOARD, SUSPENDED_REUSE);
	expect_out(&r,
		ATTACH_OUT
		"{\"ev\":\"map\",\"ts\":10,\"domain\":\"0x1000\",\"iova\":\"0x100000\",\"size\":4096,\"ret\":0}\n"
		"{\"ev\":\"rpm\",\"ts\":20,\"dev\":\"s\",\"state\":\"suspended\"}\n"
		"{\"ev\":\"unmap\",\"ts\":30,\"domain\":\"0x1000\",\"iova\":\"0x100000\",\"size\":4096,\"ret\":4096}\n"
		"{\"ev\":\"map\",\"ts\":40,\"domain\":\"0x1000\",\"iova\":\"0x100000\",\"size\":4096,\"ret\":0}\n"
		"{\"ev\":\"rpm\",\"ts\":50,\"dev\":\"s\",\"state\":\"active\"}\n"
		"{\"ev\":\"smmu_reset\",\"ts\":50,\"smmu\":\"s\"}\n"
		"{\"ev\":\"unmap\",\"ts\":60,\"domain\":\"0x1000\",\"iova\":\"0x100000\",\"size\":4096,\"ret\":4096}\n"
		"{\"ev\":\"tlbi\",\"ts\":61,\"smmu\":\"s\",\"domain\":\"0x1000\",\"scope\":\"va\",\"iova\":\"0x100000\",\"size\":4096}\n"
		"{\"ev\":\"sync\",\"ts\":62,\"smmu\":\"s\",\"domain\":\"0x1000\",\"scope\":\"context\",\"dur\":100}\n");
	expect_changes(&r, 0, 0, 1, 1, 0, 0);
	done(&r);
}

static void test_skip_tlbi_reuse_before_resume_is_reuse_before_sync(void **state)
{
	struct run r;

	run(&r, WHATIF_SKIP_TLBI, BOARD, SUSPENDED_REUSE);
	assert_int_equal(r.found[RULE_IOVA_REUSE_BEFORE_SYNC], 1);
	assert_int_equal(total(&r), 1);
	done(&r);
}

static void test_smmu_gates_from_board_replace_its_runtime_pm(void **state)
{
	static const char in[] =
		ATTACH
		"{\"ev\":\"map\",\"ts\":10,\"domain\":\"0x1000\",\"iova\":\"0x100000\",\"size\":4096,\"ret\":0}\n"
		"{\"ev\":\"rpm\",\"ts\":15,\"dev\":\"s\",\"state\":\"suspended\"}\n"	/* not its gate now */
		"{\"ev\":\"unmap\",\"ts\":20,\"domain\":\"0x1000\",\"iova\":\"0x100000\",\"size\":4096,\"ret\":4096}\n"
		"{\"ev\":\"tlbi\",\"ts\":21,\"smmu\":\"s\",\"domain\":\"0x1000\",\"scope\":\"va\",\"iova\":\"0x100000\",\"size\":4096}\n"
		"{\"ev\":\"clk\",\"ts\":30,\"clk\":\"tcu_clk\",\"on\":false}\n"
		"{\"ev\":\"tlbi\",\"ts\":31,\"smmu\":\"s\",\"scope\":\"all\"}\n"
		"{\"ev\":\"sync\",\"ts\":32,\"smmu\":\"s\",\"scope\":\"global\",\"dur\":5}\n"
		"{\"ev\":\"clk\",\"ts\":40,\"clk\":\"tcu_clk\",\"on\":true}\n";
	struct run r;

	run(&r, WHATIF_SKIP_TLBI, "[smmu s]\ngates = clk:tcu_clk\n", in);
	expect_changes(&r, 0, 0, 1, 1, 0, 0);
	assert_non_null(strstr(r.out, "{\"ev\":\"clk\",\"ts\":40,\"clk\":\"tcu_clk\",\"on\":true}\n"
				     "{\"ev\":\"smmu_reset\",\"ts\":40,\"smmu\":\"s\"}\n"));
	assert_null(strstr(r.out, "\"ts\":31"));
	assert_non_null(strstr(r.out, "\"ts\":21"));
	done(&r);
}

static void test_smmu_of_a_domain_without_smmu_is_the_only_one(void **state)
{
	static const char in[] =
		"{\"ev\":\"attach\",\"ts\":1,\"domain\":\"0x1000\",\"dev\":\"gpu\",\"sids\":[1]}\n"
		"{\"ev\":\"rpm\",\"ts\":20,\"dev\":\"s\",\"state\":\"suspended\"}\n"
		"{\"ev\":\"tlbi\",\"ts\":31,\"domain\":\"0x1000\",\"scope\":\"context\"}\n";
	struct run r;

	run(&r, WHATIF_SKIP_TLBI, BOARD, in);
	expect_changes(&r, 0, 0, 1, 0, 0, 0);
	done(&r);
	/* two SMMUs and no smmu in attach: which one is unknown, nothing skipped */
	run(&r, WHATIF_SKIP_TLBI, "[smmu s]\n[smmu t]\n", in);
	expect_changes(&r, 0, 0, 0, 0, 0, 0);
	done(&r);
}

/* TLBIs while the TBU serving the domain is gated: two invalidation sequences */
#define GATED_INVALIDATIONS \
	ATTACH \
	"{\"ev\":\"clk\",\"ts\":2,\"clk\":\"gpu_clk\",\"on\":true}\n" \
	"{\"ev\":\"map\",\"ts\":10,\"domain\":\"0x1000\",\"iova\":\"0x100000\",\"size\":8192,\"ret\":0}\n" \
	"{\"ev\":\"clk\",\"ts\":20,\"clk\":\"gpu_clk\",\"on\":false}\n" \
	"{\"ev\":\"unmap\",\"ts\":30,\"domain\":\"0x1000\",\"iova\":\"0x100000\",\"size\":4096,\"ret\":4096}\n" \
	"{\"ev\":\"tlbi\",\"ts\":31,\"smmu\":\"s\",\"domain\":\"0x1000\",\"scope\":\"va\",\"iova\":\"0x100000\",\"size\":4096}\n" \
	"{\"ev\":\"sync\",\"ts\":32,\"smmu\":\"s\",\"domain\":\"0x1000\",\"scope\":\"context\",\"dur\":100}\n" \
	"{\"ev\":\"unmap\",\"ts\":40,\"domain\":\"0x1000\",\"iova\":\"0x101000\",\"size\":4096,\"ret\":4096}\n" \
	"{\"ev\":\"tlbi\",\"ts\":41,\"smmu\":\"s\",\"domain\":\"0x1000\",\"scope\":\"va\",\"iova\":\"0x101000\",\"size\":4096}\n" \
	"{\"ev\":\"sync\",\"ts\":42,\"smmu\":\"s\",\"domain\":\"0x1000\",\"scope\":\"context\",\"dur\":100}\n" \
	"{\"ev\":\"clk\",\"ts\":50,\"clk\":\"gpu_clk\",\"on\":true}\n"

static void test_wake_tbu_rewrite(void **state)
{
	struct run r;

	run(&r, WHATIF_WAKE_TBU, BOARD, GATED_INVALIDATIONS);
	expect_out(&r,
		ATTACH_OUT
		"{\"ev\":\"clk\",\"ts\":2,\"clk\":\"gpu_clk\",\"on\":true}\n"
		"{\"ev\":\"map\",\"ts\":10,\"domain\":\"0x1000\",\"iova\":\"0x100000\",\"size\":8192,\"ret\":0}\n"
		"{\"ev\":\"clk\",\"ts\":20,\"clk\":\"gpu_clk\",\"on\":false}\n"
		"{\"ev\":\"clk\",\"ts\":30,\"clk\":\"gpu_clk\",\"on\":true}\n"
		"{\"ev\":\"unmap\",\"ts\":30,\"domain\":\"0x1000\",\"iova\":\"0x100000\",\"size\":4096,\"ret\":4096}\n"
		"{\"ev\":\"tlbi\",\"ts\":31,\"smmu\":\"s\",\"domain\":\"0x1000\",\"scope\":\"va\",\"iova\":\"0x100000\",\"size\":4096}\n"
		"{\"ev\":\"sync\",\"ts\":32,\"smmu\":\"s\",\"domain\":\"0x1000\",\"scope\":\"context\",\"dur\":100}\n"
		"{\"ev\":\"clk\",\"ts\":32,\"clk\":\"gpu_clk\",\"on\":false}\n"
		"{\"ev\":\"clk\",\"ts\":40,\"clk\":\"gpu_clk\",\"on\":true}\n"
		"{\"ev\":\"unmap\",\"ts\":40,\"domain\":\"0x1000\",\"iova\":\"0x101000\",\"size\":4096,\"ret\":4096}\n"
		"{\"ev\":\"tlbi\",\"ts\":41,\"smmu\":\"s\",\"domain\":\"0x1000\",\"scope\":\"va\",\"iova\":\"0x101000\",\"size\":4096}\n"
		"{\"ev\":\"sync\",\"ts\":42,\"smmu\":\"s\",\"domain\":\"0x1000\",\"scope\":\"context\",\"dur\":100}\n"
		"{\"ev\":\"clk\",\"ts\":42,\"clk\":\"gpu_clk\",\"on\":false}\n"
		"{\"ev\":\"clk\",\"ts\":50,\"clk\":\"gpu_clk\",\"on\":true}\n");
	/* one wake per invalidation sequence */
	expect_changes(&r, 0, 0, 0, 0, 2, 0);
	done(&r);
}

static void test_wake_tbu_leaves_no_gate_finding(void **state)
{
	struct run r;

	/* as recorded: every unmap, TLBI and sync while gated, and the TBU comes back stale */
	run(&r, WHATIF_DEFER_UNMAP, BOARD, GATED_INVALIDATIONS);
	assert_int_equal(r.found[RULE_UNMAP_WHILE_GATED], 2);
	assert_int_equal(r.found[RULE_TLBI_WHILE_GATED], 2);
	assert_int_equal(r.found[RULE_TBU_STALE_EXPOSURE], 1);
	done(&r);
	run(&r, WHATIF_WAKE_TBU, BOARD, GATED_INVALIDATIONS);
	assert_int_equal(r.found[RULE_UNMAP_WHILE_GATED], 0);
	assert_int_equal(r.found[RULE_TLBI_WHILE_GATED], 0);
	assert_int_equal(r.found[RULE_SYNC_WHILE_GATED], 0);
	assert_int_equal(r.found[RULE_TBU_STALE_EXPOSURE], 0);
	assert_int_equal(total(&r), 0);
	done(&r);
}

static void test_wake_tbu_holds_a_recorded_gate_off_until_the_sync(void **state)
{
	static const char in[] =
		ATTACH
		"{\"ev\":\"map\",\"ts\":10,\"domain\":\"0x1000\",\"iova\":\"0x100000\",\"size\":4096,\"ret\":0}\n"
		"{\"ev\":\"clk\",\"ts\":20,\"clk\":\"gpu_clk\",\"on\":false}\n"
		"{\"ev\":\"unmap\",\"ts\":30,\"domain\":\"0x1000\",\"iova\":\"0x100000\",\"size\":4096,\"ret\":4096}\n"
		/* a second disable recorded mid-sequence: the driver's vote keeps it on */
		"{\"ev\":\"clk\",\"ts\":31,\"clk\":\"gpu_clk\",\"on\":false}\n"
		"{\"ev\":\"flush_all\",\"ts\":32,\"domain\":\"0x1000\"}\n";
	struct run r;

	run(&r, WHATIF_WAKE_TBU, BOARD, in);
	assert_null(strstr(r.out, "\"ts\":31"));
	/* flush_all completes the sequence itself: the gate goes off right after it */
	assert_non_null(strstr(r.out, "{\"ev\":\"flush_all\",\"ts\":32,\"domain\":\"0x1000\"}\n"
				     "{\"ev\":\"clk\",\"ts\":32,\"clk\":\"gpu_clk\",\"on\":false}\n"));
	expect_changes(&r, 0, 0, 0, 0, 1, 1);
	assert_int_equal(total(&r), 0);
	done(&r);
}

static void test_wake_tbu_wakes_only_tbus_serving_the_domain(void **state)
{
	static const char in[] =
		"{\"ev\":\"attach\",\"ts\":1,\"domain\":\"0x2000\",\"dev\":\"net\",\"smmu\":\"s\",\"sids\":[2048]}\n"
		"{\"ev\":\"map\",\"ts\":10,\"domain\":\"0x2000\",\"iova\":\"0x100000\",\"size\":4096,\"ret\":0}\n"
		"{\"ev\":\"clk\",\"ts\":20,\"clk\":\"gpu_clk\",\"on\":false}\n"
		"{\"ev\":\"unmap\",\"ts\":30,\"domain\":\"0x2000\",\"iova\":\"0x100000\",\"size\":4096,\"ret\":4096}\n"
		"{\"ev\":\"tlbi\",\"ts\":31,\"smmu\":\"s\",\"domain\":\"0x2000\",\"scope\":\"context\"}\n"
		"{\"ev\":\"sync\",\"ts\":32,\"smmu\":\"s\",\"domain\":\"0x2000\",\"scope\":\"context\",\"dur\":10}\n";
	struct run r;

	run(&r, WHATIF_WAKE_TBU, BOARD, in);
	expect_changes(&r, 0, 0, 0, 0, 0, 0);
	/* the gated TBU does not serve SID 0x800: the warnings stay */
	assert_int_equal(r.found[RULE_UNMAP_WHILE_GATED], 1);
	done(&r);
}

static void test_wake_tbu_scope_all_tlbi_wakes_until_a_global_sync(void **state)
{
	static const char in[] =
		ATTACH
		"{\"ev\":\"clk\",\"ts\":20,\"clk\":\"gpu_clk\",\"on\":false}\n"
		"{\"ev\":\"tlbi\",\"ts\":31,\"smmu\":\"s\",\"scope\":\"all\"}\n"
		"{\"ev\":\"sync\",\"ts\":32,\"smmu\":\"s\",\"domain\":\"0x1000\",\"scope\":\"context\",\"dur\":10}\n"
		"{\"ev\":\"sync\",\"ts\":33,\"smmu\":\"s\",\"scope\":\"global\",\"dur\":10}\n";
	struct run r;

	run(&r, WHATIF_WAKE_TBU, BOARD, in);
	assert_non_null(strstr(r.out,
		"{\"ev\":\"clk\",\"ts\":31,\"clk\":\"gpu_clk\",\"on\":true}\n"
		"{\"ev\":\"tlbi\",\"ts\":31,\"smmu\":\"s\",\"scope\":\"all\"}\n"
		"{\"ev\":\"sync\",\"ts\":32,\"smmu\":\"s\",\"domain\":\"0x1000\",\"scope\":\"context\",\"dur\":10}\n"
		"{\"ev\":\"sync\",\"ts\":33,\"smmu\":\"s\",\"scope\":\"global\",\"dur\":10}\n"
		"{\"ev\":\"clk\",\"ts\":33,\"clk\":\"gpu_clk\",\"on\":false}\n"));
	expect_changes(&r, 0, 0, 0, 0, 1, 0);
	done(&r);
}

/* random streams: every policy keeps ts non-decreasing and the counters honest */
struct order_check {
	uint64_t last_ts, out;
	bool backwards;
};

static void check_order(const struct smt_event *ev, void *ctx)
{
	struct order_check *c = ctx;

	c->backwards |= ev->ts < c->last_ts;
	c->last_ts = ev->ts;
	c->out++;
}

static void test_random_streams_keep_time_order(void **state)
{
	static const char *const gates[] = { "s", "gpu_clk", "t", "other" };
	struct topology topo;
	char err[256];

	topology__init(&topo);
	assert_int_equal(board__load_text(&topo, "[smmu s]\n[smmu t]\ngates = clk:gpu_clk\n"
					  "[tbu a]\nsmmu = s\nsids = 0-3\ngates = clk:gpu_clk, rpm:s\n"
					  "[tbu b]\nsmmu = t\nsids = 2-9\ngates = pd:other\n",
					  "b.ini", err, sizeof(err)), 0);
	srand(7);
	for (int p = 0; p < WHATIF_POLICY_MAX; p++) {
		struct order_check c = { 0 };
		struct whatif_opts wo = { .policy = p, .topo = &topo, .emit = check_order, .ctx = &c };
		struct whatif *w = whatif__new(&wo);
		struct whatif_changes ch;
		uint64_t in = 0, held;

		assert_non_null(w);
		for (uint64_t ts = 0; ts < 20000; ts++) {
			struct smt_event ev;
			int k = rand() % 12;

			event__init(&ev, SMT_EV_MAP, ts * 10);
			ev.domain = 0x1000 * (1 + rand() % 4);
			ev.iova = 0x1000 * (uint64_t)(rand() % 16);
			ev.size = 0x1000 * (uint64_t)(1 + rand() % 3);
			ev.present |= SMT_HAS_DOMAIN;
			switch (k) {
			case 0:
				ev.type = SMT_EV_ATTACH;
				snprintf(ev.name, sizeof(ev.name), "dev%d", rand() % 3);
				snprintf(ev.smmu, sizeof(ev.smmu), "%s", rand() % 2 ? "s" : "t");
				ev.present |= SMT_HAS_NAME | SMT_HAS_SMMU | SMT_HAS_SIDS;
				ev.nsids = 1;
				ev.sids[0] = (uint32_t)(rand() % 10);
				break;
			case 1:
				ev.ret = rand() % 5 ? 0 : -12;
				break;
			case 2:
			case 3:
				ev.type = SMT_EV_UNMAP;
				ev.ret = (int64_t)ev.size;
				break;
			case 4:
				ev.type = SMT_EV_TLBI;
				ev.scope = (uint16_t)(rand() % 3);
				break;
			case 5:
				ev.type = SMT_EV_SYNC;
				ev.scope = (uint16_t)(rand() % 2);
				break;
			case 6:
				ev.type = SMT_EV_FLUSH_ALL;
				break;
			case 7:
				ev.type = SMT_EV_RPM;
				snprintf(ev.name, sizeof(ev.name), "%s", gates[rand() % 4]);
				ev.state = (uint32_t)(rand() % 4);
				break;
			case 8:
				ev.type = SMT_EV_CLK;
				snprintf(ev.name, sizeof(ev.name), "gpu_clk");
				ev.on = (uint8_t)(rand() % 2);
				break;
			case 9:
				ev.type = SMT_EV_PD;
				snprintf(ev.name, sizeof(ev.name), "other");
				ev.on = (uint8_t)(rand() % 2);
				break;
			case 10:
				ev.type = rand() % 2 ? SMT_EV_DETACH : SMT_EV_DOMAIN_FREE;
				snprintf(ev.name, sizeof(ev.name), "dev%d", rand() % 3);
				break;
			default:
				ev.type = SMT_EV_SMMU_RESET;
				snprintf(ev.smmu, sizeof(ev.smmu), "s");
				ev.present |= SMT_HAS_SMMU;
				break;
			}
			whatif__feed(w, &ev);
			in++;
		}
		whatif__changes(w, &ch);
		held = whatif__held_at_end(w);
		whatif__free(w);
		assert_false(c.backwards);
		/* only these are ever left out of the new stream */
		assert_true(c.out + ch.skipped_tlbis + ch.skipped_syncs + ch.events_dropped >= in);
		if (p != WHATIF_DEFER_UNMAP)
			assert_int_equal(ch.deferred_unmaps + ch.failed_maps + held, 0);
		if (p == WHATIF_WAKE_TBU)
			assert_true(ch.tbu_wakes > 0);
		else
			assert_true(ch.skipped_tlbis > 0 && ch.tbu_wakes == 0);
	}
	topology__free(&topo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_names),
		cmocka_unit_test(test_recorded_stream_as_judged_has_no_finding),
		cmocka_unit_test(test_defer_unmap_rewrite),
		cmocka_unit_test(test_defer_unmap_reuse_before_resume_is_stale_pte),
		cmocka_unit_test(test_defer_unmap_leaves_an_active_smmu_alone),
		cmocka_unit_test(test_defer_unmap_never_resumed_stays_held),
		cmocka_unit_test(test_skip_tlbi_rewrite),
		cmocka_unit_test(test_skip_tlbi_reuse_before_resume_is_reuse_before_sync),
		cmocka_unit_test(test_smmu_gates_from_board_replace_its_runtime_pm),
		cmocka_unit_test(test_smmu_of_a_domain_without_smmu_is_the_only_one),
		cmocka_unit_test(test_wake_tbu_rewrite),
		cmocka_unit_test(test_wake_tbu_leaves_no_gate_finding),
		cmocka_unit_test(test_wake_tbu_holds_a_recorded_gate_off_until_the_sync),
		cmocka_unit_test(test_wake_tbu_wakes_only_tbus_serving_the_domain),
		cmocka_unit_test(test_wake_tbu_scope_all_tlbi_wakes_until_a_global_sync),
		cmocka_unit_test(test_random_streams_keep_time_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
