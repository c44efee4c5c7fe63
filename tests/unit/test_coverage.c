// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Coverage per translating SMMU (SPEC §9): the 7.2 case (v2's TLBI hooks
 * resolve, v3's do not, v3 translates) must be a blind spot; the rule table;
 * translating SMMUs from sysfs; blind spots in metadata; not-judged rules
 * suppressed at the engine's emission point.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>
#include "coverage.h"
#include "engine.h"
#include "source.h"
#include "topology.h"

#define DATA "tests/data/"

static struct hook_res res[128];
static struct coverage cov;

static const struct cov_smmu V3 = { "9050000.smmuv3", "arm-smmu-v3", HOOK_DRV_V3 };
static const struct cov_smmu V2 = { "15000000.iommu", "arm-smmu", HOOK_DRV_V2 };

static void resolve(const char *file)
{
	char err[256] = "";
	struct ksyms *ks = NULL;

	assert_int_equal(ksyms__load_path(&ks, file, err, sizeof(err)), 0);
	assert_true(hook_table_len <= 128);
	hooks__resolve(ks, res);
	ksyms__free(ks);
}

static struct hook_res *row(const char *hook)
{
	for (int i = 0; i < hook_table_len; i++)
		if (!strcmp(res[i].def->hook, hook))
			return &res[i];
	fail_msg("no hook %s", hook);
	return NULL;
}

static int smmu_idx(const char *name)
{
	for (int s = 0; s < cov.nsmmus; s++)
		if (!strcmp(cov.smmus[s].name, name))
			return s;
	fail_msg("no smmu %s", name);
	return -1;
}

static const struct cov_cell *cell(const char *smmu, int ev)
{
	return &cov.cell[smmu_idx(smmu)][ev];
}

static bool blind(const char *smmu, const char *ev)
{
	for (int i = 0; i < cov.nblind; i++)
		if (!strcmp(cov.blind[i].smmu, smmu) && !strcmp(cov.blind[i].event, ev))
			return true;
	return false;
}

static void test_v3_blind_for_tlbi_when_only_v2_tlbi_hooks_resolve(void **state)
{
	struct cov_smmu smmus[2] = { V3, V2 };

	(void)state;
	resolve(DATA "kallsyms/7.2-arm64-v2v3-no-v3-tlbi.txt");
	coverage__compute(&cov, res, smmus, 2, NULL, true);
	/* the bug this module exists for: "some tlbi hook" is not v3's tlbi */
	assert_false(cell("9050000.smmuv3", COV_TLBI)->yes);
	assert_string_equal(cell("9050000.smmuv3", COV_TLBI)->how,
			    "no hook for arm-smmu-v3 tlbi on this kernel (cmdq@v3: missing)");
	assert_true(blind("9050000.smmuv3", "tlbi"));
	/* CMD_SYNC is seen only in the command queue */
	assert_false(cell("9050000.smmuv3", COV_SYNC)->yes);
	assert_string_equal(cell("9050000.smmuv3", COV_SYNC)->how,
			    "no hook for arm-smmu-v3 sync on this kernel (sync-timeout@qcom: timed-out syncs only; "
			    "cmdq@v3: missing)");
	assert_true(cell("9050000.smmuv3", COV_UNMAP)->yes);
	/* v3 reports faults from its event queue, never through report_iommu_fault */
	assert_false(cell("9050000.smmuv3", COV_FAULT)->yes);
	assert_true(blind("9050000.smmuv3", "fault"));
	/* the v2 SMMU on the same kernel sees everything its rules need */
	assert_true(cell("15000000.iommu", COV_TLBI)->yes);
	assert_string_equal(cell("15000000.iommu", COV_TLBI)->how,
			    "tlbi-range@v2: arm_smmu_tlb_inv_range_s1 (kprobe)");
	assert_true(cell("15000000.iommu", COV_FAULT)->yes);
	assert_true(cell("15000000.iommu", COV_SYNC)->yes);
	assert_int_equal(cov.nblind, 3);
	/* smmu_reset is not needed by a rule: shown, never blind */
	assert_false(cell("9050000.smmuv3", COV_SMMU_RESET)->yes);
	assert_false(cov.needed[smmu_idx("9050000.smmuv3")][COV_SMMU_RESET]);
}

static void test_v3_range_hook_covers_tlbi_on_6_12(void **state)
{
	struct cov_smmu smmus[1] = { V3 };

	(void)state;
	resolve(DATA "kallsyms/6.12-arm64-v2v3.txt");
	coverage__compute(&cov, res, smmus, 1, NULL, true);
	assert_true(cell("9050000.smmuv3", COV_TLBI)->yes);
	/* every v3 TLBI is decoded from the command queue (the range hook only names the domain) */
	assert_string_equal(cell("9050000.smmuv3", COV_TLBI)->how,
			    "cmdq@v3: arm_smmu_cmdq_issue_cmdlist (kprobe)");
	assert_false(blind("9050000.smmuv3", "tlbi"));
	/* without the row that names their domain, range TLBIs would be dropped: blind */
	row("tlbi-range@v3")->status = HOOK_MISSING;
	coverage__compute(&cov, res, smmus, 1, NULL, true);
	assert_false(cell("9050000.smmuv3", COV_TLBI)->yes);
	assert_string_equal(cell("9050000.smmuv3", COV_TLBI)->how,
			    "no hook for arm-smmu-v3 tlbi on this kernel (cmdq@v3: range TLBIs "
			    "without a domain (tlbi-range@v3 missing))");
	assert_true(blind("9050000.smmuv3", "tlbi"));
}

/*
 * 6.12 with trampolines: map and unmap come from the iommu core instead of
 * the drivers' rows (skipped). The core sees every driver's domains, so the
 * v3 and the v2 SMMU both keep their map and unmap, by the core rows; with
 * the core rows missing too, both are blind again (nothing claimed twice).
 */
static void test_core_map_unmap_cover_both_drivers_when_preferred(void **state)
{
	struct cov_smmu smmus[2] = { V3, V2 };
	const char *core[] = { "map@core", "unmap@core" };

	(void)state;
	resolve(DATA "kallsyms/6.12-arm64-v2v3.txt");
	for (int i = 0; i < 2; i++) {
		row(core[i])->fentry = true;
		snprintf(row(core[i])->method, sizeof(row(core[i])->method), "fentry");
	}
	assert_int_equal(hooks__prefer_trampolines(res), 4);
	coverage__compute(&cov, res, smmus, 2, NULL, true);
	assert_true(cell("9050000.smmuv3", COV_MAP)->yes);
	assert_string_equal(cell("9050000.smmuv3", COV_MAP)->how, "map@core: __iommu_map (fentry)");
	assert_string_equal(cell("15000000.iommu", COV_MAP)->how, "map@core: __iommu_map (fentry)");
	assert_string_equal(cell("9050000.smmuv3", COV_UNMAP)->how,
			    "unmap@core: __iommu_unmap (fentry)");
	assert_string_equal(cell("15000000.iommu", COV_UNMAP)->how,
			    "unmap@core: __iommu_unmap (fentry)");
	assert_false(blind("9050000.smmuv3", "map") || blind("15000000.iommu", "unmap"));
	/* a live capture: the core rows attached, the driver rows skipped */
	row("map@core")->status = HOOK_ATTACHED;
	row("unmap@core")->status = HOOK_ATTACHED;
	coverage__compute(&cov, res, smmus, 2, NULL, false);
	assert_true(cell("15000000.iommu", COV_MAP)->yes && cell("9050000.smmuv3", COV_UNMAP)->yes);
	row("unmap@core")->status = HOOK_FAILED;
	coverage__compute(&cov, res, smmus, 2, NULL, false);
	assert_false(cell("9050000.smmuv3", COV_UNMAP)->yes);
	assert_true(blind("9050000.smmuv3", "unmap") && blind("15000000.iommu", "unmap"));
}

static void test_only_attached_hooks_count_on_a_live_capture(void **state)
{
	struct cov_smmu smmus[1] = { V3 };

	(void)state;
	resolve(DATA "kallsyms/6.12-arm64-v2v3.txt");
	/* resolved is not attached: a live capture counts only what attached */
	coverage__compute(&cov, res, smmus, 1, NULL, false);
	assert_false(cell("9050000.smmuv3", COV_TLBI)->yes);
	assert_string_equal(cell("9050000.smmuv3", COV_TLBI)->how,
			    "no hook for arm-smmu-v3 tlbi on this kernel (cmdq@v3: resolved)");
	row("cmdq@v3")->status = HOOK_ATTACHED;
	coverage__compute(&cov, res, smmus, 1, NULL, false);
	/* the queue alone: its range TLBIs would have no domain */
	assert_false(cell("9050000.smmuv3", COV_TLBI)->yes);
	row("tlbi-range@v3")->status = HOOK_ATTACHED;
	coverage__compute(&cov, res, smmus, 1, NULL, false);
	assert_true(cell("9050000.smmuv3", COV_TLBI)->yes);
	/* a failed attach is as blind as a missing symbol */
	row("tlbi-range@v3")->status = HOOK_FAILED;
	coverage__compute(&cov, res, smmus, 1, NULL, false);
	assert_false(cell("9050000.smmuv3", COV_TLBI)->yes);
}

static void test_gate_rules_need_both_halves_of_the_boards_gate_events(void **state)
{
	struct cov_smmu smmus[1] = { V3 };
	struct topology t;
	char err[256];
	char line[1024];
	int s;

	(void)state;
	topology__init(&t);
	assert_int_equal(board__load_text(&t, "[smmu 9050000.smmuv3]\n[tbu tbu0]\nsids = 0x0-0xf\n"
					  "gates = clk:gcc_tbu_clk\n", "b.ini", err, sizeof(err)), 0);
	resolve(DATA "kallsyms/6.12-arm64-v2v3.txt");
	row("clk-on")->status = HOOK_ATTACHED;	/* tracepoints: not in kallsyms */
	coverage__compute(&cov, res, smmus, 1, &t, true);
	s = smmu_idx("9050000.smmuv3");
	assert_true(cov.needed[s][COV_CLK]);
	assert_false(cov.needed[s][COV_PD]);		/* no pd gate on this board */
	assert_false(cell("9050000.smmuv3", COV_CLK)->yes);	/* clk-off never seen */
	assert_true(blind("9050000.smmuv3", "clk"));
	for (int i = 0; i < cov.nblind; i++)
		if (!strcmp(cov.blind[i].event, "clk"))
			assert_string_equal(coverage__blind_line(&cov, i, line, sizeof(line)),
					    "9050000.smmuv3 (arm-smmu-v3) cannot see clk: no hook for "
					    "arm-smmu-v3 clk on this kernel (clk-off: unresolved); not "
					    "judged: unmap-while-gated, tlbi-while-gated, sync-while-gated, "
					    "tbu-stale-exposure");
	row("clk-off")->status = HOOK_ATTACHED;
	coverage__compute(&cov, res, smmus, 1, &t, true);
	assert_true(cell("9050000.smmuv3", COV_CLK)->yes);
	assert_string_equal(cell("9050000.smmuv3", COV_CLK)->how,
			    "clk-on: clk_enable (-), clk-off: clk_disable (-)");
	/* without the board, nothing needs clk: the gate rules cannot fire */
	coverage__compute(&cov, res, smmus, 1, NULL, true);
	assert_false(cov.needed[0][COV_CLK]);
	topology__free(&t);
}

static void test_rule_table(void **state)
{
	char buf[256];

	(void)state;
	assert_true(coverage__rule_needs(RULE_IOVA_REUSE_BEFORE_SYNC, COV_TLBI, 0));
	assert_true(coverage__rule_needs(RULE_IOVA_REUSE_BEFORE_SYNC, COV_SYNC, 0));
	assert_true(coverage__rule_needs(RULE_UNMAP_NO_INVALIDATE, COV_TLBI, 0));
	assert_true(coverage__rule_needs(RULE_FAULT_AFTER_UNMAP, COV_FAULT, 0));
	assert_true(coverage__rule_needs(RULE_STALE_PTE, COV_MAP, 0));
	assert_true(coverage__rule_needs(RULE_MAP_OVER_LIVE, COV_UNMAP, 0));
	assert_false(coverage__rule_needs(RULE_SYNC_SLOW, COV_TLBI, 0));
	assert_false(coverage__rule_needs(RULE_EVENTS_LOST, COV_MAP, 0));
	assert_false(coverage__rule_needs(RULE_UNMAP_WHILE_GATED, COV_UNMAP, 0));
	assert_true(coverage__rule_needs(RULE_UNMAP_WHILE_GATED, COV_UNMAP, 1u << COV_PD));
	assert_true(coverage__rule_needs(RULE_UNMAP_WHILE_GATED, COV_PD, 1u << COV_PD));
	assert_false(coverage__rule_needs(RULE_UNMAP_WHILE_GATED, COV_CLK, 1u << COV_PD));
	assert_string_equal(coverage__rules_blinded(COV_TLBI, 0, buf, sizeof(buf)),
			    "iova-reuse-before-sync, unmap-no-invalidate");
	assert_string_equal(coverage__rules_blinded(COV_FAULT, 0, buf, sizeof(buf)),
			    "fault-after-unmap");
}

static void mk(const char *path, bool dir)
{
	if (dir)
		assert_int_equal(mkdir(path, 0755), 0);
	else
		fclose(fopen(path, "w"));
}

static void test_translating_smmus_are_the_devices_bound_to_the_drivers(void **state)
{
	char root[] = "/tmp/smmutrace-sysfs.XXXXXX", p[512];
	struct cov_smmu s[4];

	(void)state;
	assert_non_null(mkdtemp(root));
	/* no bus/platform/drivers: not a sysfs, never "no SMMU" */
	assert_int_equal(coverage__find_smmus(root, s, 4), -ENOENT);
	snprintf(p, sizeof(p), "%s/bus", root), mk(p, true);
	snprintf(p, sizeof(p), "%s/bus/platform", root), mk(p, true);
	snprintf(p, sizeof(p), "%s/bus/platform/drivers", root), mk(p, true);
	/* neither SMMU driver registered (not built): nothing translates */
	assert_int_equal(coverage__find_smmus(root, s, 4), 0);
	snprintf(p, sizeof(p), "%s/bus/platform/drivers/arm-smmu-v3", root), mk(p, true);
	snprintf(p, sizeof(p), "%s/bus/platform/drivers/arm-smmu", root), mk(p, true);
	snprintf(p, sizeof(p), "%s/bus/platform/drivers/arm-smmu-v3/bind", root), mk(p, false);
	snprintf(p, sizeof(p), "%s/bus/platform/drivers/arm-smmu/uevent", root), mk(p, false);
	snprintf(p, sizeof(p), "%s/bus/platform/drivers/arm-smmu/module", root);
	assert_int_equal(symlink("../../../../module/arm_smmu", p), 0);
	/* the v2 driver is there but bound to nothing */
	assert_int_equal(coverage__find_smmus(root, s, 4), 0);
	snprintf(p, sizeof(p), "%s/bus/platform/drivers/arm-smmu-v3/9050000.smmuv3", root);
	assert_int_equal(symlink("../../../../devices/platform/9050000.smmuv3", p), 0);
	snprintf(p, sizeof(p), "%s/bus/platform/drivers/arm-smmu/15000000.iommu", root);
	assert_int_equal(symlink("../../../../devices/platform/15000000.iommu", p), 0);
	assert_int_equal(coverage__find_smmus(root, s, 4), 2);
	assert_string_equal(s[0].name, "15000000.iommu");
	assert_int_equal(s[0].drv, HOOK_DRV_V2);
	assert_string_equal(s[0].driver, "arm-smmu");
	assert_string_equal(s[1].name, "9050000.smmuv3");
	assert_int_equal(s[1].drv, HOOK_DRV_V3);
	assert_int_equal(coverage__find_smmus(root, s, 1), 1);
	snprintf(p, sizeof(p), "rm -rf '%s'", root);
	assert_int_equal(system(p), 0);
}

static void test_blind_spots_round_trip_through_meta(void **state)
{
	struct cov_blind b[2] = {
		{ "tlbi", "9050000.smmuv3", "no hook for \"v3\" tlbi" },
		{ "fault", "9050000.smmuv3", "" },
	}, back[4];
	char *arr = coverage__blind_json(b, 2), *meta;

	(void)state;
	assert_non_null(arr);
	assert_true(asprintf(&meta, "{\"kernel\":\"7.2\",\"blind\":%s}", arr) > 0);
	assert_int_equal(coverage__blind_from_meta(meta, back, 4), 2);
	assert_string_equal(back[0].event, "tlbi");
	assert_string_equal(back[0].smmu, "9050000.smmuv3");
	assert_string_equal(back[0].reason, "no hook for \"v3\" tlbi");
	assert_string_equal(back[1].event, "fault");
	assert_int_equal(coverage__blind_from_meta("{\"kernel\":\"7.2\"}", back, 4), 0);
	assert_int_equal(coverage__blind_from_meta(NULL, back, 4), 0);
	free(arr);
	free(meta);
}

static void check_bad(const char *json, const char *want)
{
	struct json_object *o = json_tokener_parse(json);
	char err[256] = "";

	assert_non_null(o);
	assert_int_equal(coverage__check_blind(o, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, want);
	json_object_put(o);
}

static void test_malformed_blind_key_is_named(void **state)
{
	struct json_object *o = json_tokener_parse("[{\"event\":\"tlbi\"}]");
	char err[256];

	(void)state;
	assert_int_equal(coverage__check_blind(o, err, sizeof(err)), 0);
	json_object_put(o);
	check_bad("{\"event\":\"tlbi\"}", "expected an array of {\"event\", \"smmu\", \"reason\"} objects");
	check_bad("[\"tlbi\"]", "element 0: expected an object {\"event\", \"smmu\", \"reason\"}");
	check_bad("[{\"smmu\":\"x\"}]", "element 0: event: missing");
	check_bad("[{\"event\":\"tlbi\",\"reason\":3}]", "element 0: reason: expected a string");
	check_bad("[{\"event\":\"tlbi\"},{\"event\":\"tlb\"}]",
		  "element 1: event: \"tlb\" is not one of map, unmap, tlbi, sync, flush_all, "
		  "smmu_reset, attach, fault, rpm, clk, pd");
}

static void test_not_judged_rules_and_reasons(void **state)
{
	struct cov_blind b[1] = { { "tlbi", "9050000.smmuv3", "no hook" } };
	char reasons[RULE_MAX][320];
	unsigned int mask = 0;

	(void)state;
	coverage__not_judged(b, 1, &mask, reasons);
	assert_int_equal(mask, (1u << RULE_IOVA_REUSE_BEFORE_SYNC) | (1u << RULE_UNMAP_NO_INVALIDATE) |
			 (1u << RULE_TLBI_WHILE_GATED) | (1u << RULE_TBU_STALE_EXPOSURE));
	assert_string_equal(reasons[RULE_IOVA_REUSE_BEFORE_SYNC],
			    "tlbi not captured on 9050000.smmuv3: no hook");
}

struct count { int reuse, all; };

static void on_finding(const struct finding *f, void *ctx)
{
	struct count *c = ctx;

	c->all++;
	c->reuse += f->rule == RULE_IOVA_REUSE_BEFORE_SYNC;
}

/* the example stream, with the engine told (or not) that tlbi was blind */
static struct count replay_blind_stream(const unsigned int *not_judged, uint64_t *counted)
{
	struct count c = { 0 };
	struct engine_opts o = { .on_finding = on_finding, .ctx = &c, .not_judged = not_judged };
	struct engine *e = engine__new(&o);
	struct engine_summary sum;
	struct ev_source *src;
	struct smt_event ev;
	char err[256];

	assert_non_null(e);
	assert_int_equal(ev_source__open(DATA "streams/blind-tlbi.jsonl", &src, err, sizeof(err)), 0);
	while (ev_source__next(src, &ev) == 1)
		engine__feed(e, &ev);
	engine__finish(e);
	engine__summary(e, &sum);
	*counted = sum.findings[RULE_IOVA_REUSE_BEFORE_SYNC];
	ev_source__close(src);
	engine__free(e);
	return c;
}

static void test_engine_never_emits_nor_counts_a_not_judged_rule(void **state)
{
	unsigned int mask = 0;
	uint64_t counted;
	struct count c;

	(void)state;
	c = replay_blind_stream(&mask, &counted);
	assert_int_equal(c.reuse, 1);	/* what a blind capture makes of a healthy system */
	assert_int_equal(counted, 1);
	mask = 1u << RULE_IOVA_REUSE_BEFORE_SYNC | 1u << RULE_UNMAP_NO_INVALIDATE;
	c = replay_blind_stream(&mask, &counted);
	assert_int_equal(c.reuse, 0);
	assert_int_equal(c.all, 0);
	assert_int_equal(counted, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v3_blind_for_tlbi_when_only_v2_tlbi_hooks_resolve),
		cmocka_unit_test(test_v3_range_hook_covers_tlbi_on_6_12),
		cmocka_unit_test(test_core_map_unmap_cover_both_drivers_when_preferred),
		cmocka_unit_test(test_only_attached_hooks_count_on_a_live_capture),
		cmocka_unit_test(test_gate_rules_need_both_halves_of_the_boards_gate_events),
		cmocka_unit_test(test_rule_table),
		cmocka_unit_test(test_translating_smmus_are_the_devices_bound_to_the_drivers),
		cmocka_unit_test(test_blind_spots_round_trip_through_meta),
		cmocka_unit_test(test_malformed_blind_key_is_named),
		cmocka_unit_test(test_not_judged_rules_and_reasons),
		cmocka_unit_test(test_engine_never_emits_nor_counts_a_not_judged_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
