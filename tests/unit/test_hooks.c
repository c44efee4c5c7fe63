// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Hook resolution against kallsyms of 5.10, 5.15, 6.1, 6.6 (v3 only) and 6.12 kernels. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <bpf/libbpf.h>
#include "capture_hooks.h"
#include "smmutrace_capture.h"
#include "smmutrace.skel.h"

#define DATA "tests/data/kallsyms/"

static struct hook_res res[128];

static struct ksyms *load(const char *file)
{
	char err[256] = "";
	struct ksyms *ks = NULL;

	assert_int_equal(ksyms__load_path(&ks, file, err, sizeof(err)), 0);
	assert_non_null(ks);
	assert_true(hook_table_len <= 128);
	hooks__resolve(ks, res);
	return ks;
}

static const struct hook_res *hook(const char *name)
{
	for (int i = 0; i < hook_table_len; i++)
		if (!strcmp(res[i].def->hook, name))
			return &res[i];
	fail_msg("no hook %s", name);
	return NULL;
}

/* address of the Nth (0-based) copy of NAME in FILE */
static unsigned long long addr_of(const char *file, const char *name, int nth)
{
	char line[256], sym[200], type;
	unsigned long long a;
	FILE *f = fopen(file, "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %199s", &a, &type, sym) == 3 && !strcmp(sym, name) &&
		    nth-- == 0) {
			fclose(f);
			return a;
		}
	fclose(f);
	fail_msg("%s: no copy of %s", file, name);
	return 0;
}

static void test_duplicated_names_attach_by_address_to_each_drivers_copy(void **state)
{
	const char *f = DATA "6.1-arm64-v2v3.txt";
	struct ksyms *ks = load(f);
	const struct hook_res *v2 = hook("unmap@v2"), *v3 = hook("unmap@v3");

	assert_int_equal(v2->status, HOOK_RESOLVED);
	assert_int_equal(v3->status, HOOK_RESOLVED);
	assert_true(v2->by_addr && v3->by_addr);
	assert_string_equal(v2->method, "kprobe@addr");
	assert_int_equal(v2->addr, addr_of(f, "arm_smmu_unmap_pages", 0));
	assert_int_equal(v3->addr, addr_of(f, "arm_smmu_unmap_pages", 1));
	assert_int_equal(hook("map@v3")->addr, addr_of(f, "arm_smmu_map_pages", 1));
	assert_int_equal(hook("flush_all@v3")->addr, addr_of(f, "arm_smmu_flush_iotlb_all", 1));
	assert_int_equal(hook("attach@v2")->addr, addr_of(f, "arm_smmu_attach_dev", 0));
	assert_int_equal(ksyms__driver_of(ks, v2->addr), HOOK_DRV_V2);
	assert_int_equal(ksyms__driver_of(ks, v3->addr), HOOK_DRV_V3);
	ksyms__free(ks);
}

static void test_unique_names_attach_by_name(void **state)
{
	struct ksyms *ks = load(DATA "6.1-arm64-v2v3.txt");

	assert_false(hook("cmdq@v3")->by_addr);
	assert_string_equal(hook("cmdq@v3")->method, "kprobe");
	assert_string_equal(hook("cmdq@v3")->symbol, "arm_smmu_cmdq_issue_cmdlist");
	assert_string_equal(hook("sync@v2")->symbol, "__arm_smmu_tlb_sync");
	assert_string_equal(hook("tlbi-range@v3")->symbol, "__arm_smmu_tlb_inv_range");
	assert_string_equal(hook("tlbi-context@v2")->symbol, "arm_smmu_tlb_inv_context_s1");
	assert_string_equal(hook("smmu_reset@v2")->symbol, "arm_smmu_device_reset");
	assert_string_equal(hook("sync-timeout@qcom")->symbol, "qcom_smmu_tlb_sync_debug");
	assert_string_equal(hook("pd-off")->symbol, "_genpd_power_off");
	ksyms__free(ks);
}

static void test_pages_ops_preferred_from_5_15(void **state)
{
	struct ksyms *ks = load(DATA "5.15-arm64-v2v3.txt");

	assert_int_equal(hook("map@v3")->cand, 0);
	assert_string_equal(hook("map@v3")->def->cands[0].entry_prog, "kprobe_arm_smmu_map_pages");
	assert_string_equal(hook("unmap@io-pgtable")->symbol, "arm_lpae_unmap_pages");
	assert_int_equal(hook("sync-timeout@qcom")->status, HOOK_MISSING);
	ksyms__free(ks);
}

static void test_5_10_uses_plain_map_unmap_and_legacy_io_pgtable(void **state)
{
	const char *f = DATA "5.10-arm64-v2v3.txt";
	struct ksyms *ks = load(f);
	const struct hook_res *m = hook("map@v3"), *u = hook("unmap@v2"), *p;

	assert_int_equal(m->status, HOOK_RESOLVED);
	assert_int_equal(m->cand, 1);
	assert_string_equal(m->symbol, "arm_smmu_map");
	assert_string_equal(m->def->cands[m->cand].entry_prog, "kprobe_arm_smmu_map");
	assert_int_equal(m->addr, addr_of(f, "arm_smmu_map", 1));
	assert_int_equal(u->cand, 1);
	assert_int_equal(u->addr, addr_of(f, "arm_smmu_unmap", 0));
	p = hook("unmap@io-pgtable");
	assert_int_equal(p->cand, 1);
	assert_string_equal(p->symbol, "arm_lpae_unmap");
	/* gdsc stand-ins are resolvable too; the loader uses them only as fallbacks */
	assert_int_equal(hook("pd-on@gdsc")->status, HOOK_RESOLVED);
	ksyms__free(ks);
}

/* a clone whose arguments nobody vouched for is not used: the handlers read arguments */
static void test_gcc_clone_only_is_reported_not_attached(void **state)
{
	char text[] = "ffff800080a50000 t arm_smmu_cmdq_issue_cmdlist\n"
		      "ffff800080a54440 t arm_smmu_tlb_inv_context.isra.0\n";
	FILE *f = fmemopen(text, strlen(text), "r");
	struct ksyms *ks = NULL;
	char err[256];

	assert_int_equal(ksyms__load(&ks, f, "k", err, sizeof(err)), 0);
	hooks__resolve(ks, res);
	assert_int_equal(hook("tlbi-context@v3")->status, HOOK_MISSING);
	assert_non_null(strstr(hook("tlbi-context@v3")->reason, "arm_smmu_tlb_inv_context.isra.0"));
	ksyms__free(ks);
	fclose(f);
}

/* 5.10: the command queue only as gcc's .isra.0 clone, whose arguments the hook table vouches for */
static void test_5_10_cmdq_clone_by_address_and_its_inv_range(void **state)
{
	const char *f = DATA "5.10-arm64-v2v3.txt";
	struct ksyms *ks = load(f);
	const struct hook_res *c = hook("cmdq@v3"), *r = hook("tlbi-range@v3");

	assert_int_equal(c->status, HOOK_RESOLVED);
	assert_true(c->by_addr);
	assert_string_equal(c->method, "kprobe@addr");
	assert_string_equal(c->symbol, "arm_smmu_cmdq_issue_cmdlist.isra.0");
	assert_int_equal(c->addr, addr_of(f, "arm_smmu_cmdq_issue_cmdlist.isra.0", 0));
	assert_non_null(strstr(c->reason, "gcc clone"));
	assert_int_equal(c->def->nargs_no_btf, 4);
	assert_false(c->def->clone_ret_ok);
	assert_int_equal(r->status, HOOK_RESOLVED);
	assert_string_equal(r->symbol, "arm_smmu_tlb_inv_range");
	assert_string_equal(r->def->cands[r->cand].entry_prog, "kprobe_arm_smmu_tlb_inv_range");
	assert_string_equal(r->def->cands[r->cand].ret_prog, "kretprobe_arm_smmu_tlb_inv_range");
	assert_string_equal(hook("fault@v3")->symbol, "queue_remove_raw");
	ksyms__free(ks);
}

/* 7.2: __arm_smmu_tlb_inv_range is gone; arm_smmu_domain_inv_range names the domain */
static void test_7_2_domain_inv_range_and_event_queue(void **state)
{
	const char *f = DATA "7.2-arm64-v2v3.txt";
	struct ksyms *ks = load(f);
	const struct hook_res *r = hook("tlbi-range@v3");

	assert_int_equal(r->status, HOOK_RESOLVED);
	assert_string_equal(r->symbol, "arm_smmu_domain_inv_range");
	assert_string_equal(r->def->cands[r->cand].entry_prog, "kprobe_arm_smmu_domain_inv_range");
	assert_string_equal(hook("cmdq@v3")->symbol, "arm_smmu_cmdq_issue_cmdlist");
	assert_false(hook("cmdq@v3")->by_addr);
	assert_int_equal(hook("fault@v3")->status, HOOK_RESOLVED);
	assert_int_equal(hook("fault@v3")->addr, addr_of(f, "queue_remove_raw", 0));
	assert_int_equal(hook("tlbi-context@v3")->status, HOOK_RESOLVED);
	ksyms__free(ks);
}

/* the fentry choice capture.c makes where trampolines work, for ROW */
static struct hook_res *with_fentry(const char *row)
{
	struct hook_res *r = (struct hook_res *)hook(row);

	assert_int_equal(r->status, HOOK_RESOLVED);
	r->fentry = true;
	snprintf(r->method, sizeof(r->method), "fentry");
	return r;
}

/*
 * 6.12: arm_smmu_map_pages/_unmap_pages are in both drivers, so kprobes by
 * address (a trap + single-step per call); where trampolines work the iommu
 * core's __iommu_map/__iommu_unmap replace them, and the driver rows say why.
 */
static void test_core_map_unmap_by_trampoline_replace_driver_kprobes_by_address(void **state)
{
	struct ksyms *ks = load(DATA "6.12-arm64-v2v3.txt");
	const char *drv[] = { "map@v2", "map@v3", "unmap@v2", "unmap@v3" };

	assert_string_equal(hook("map@core")->symbol, "__iommu_map");
	assert_string_equal(hook("unmap@core")->symbol, "__iommu_unmap");
	with_fentry("map@core");
	with_fentry("unmap@core");
	with_fentry("unmap@io-pgtable");
	assert_int_equal(hooks__prefer_trampolines(res), 4);
	assert_true(hook("map@core")->preferred && hook("unmap@core")->preferred);
	assert_int_equal(hook("map@core")->status, HOOK_RESOLVED);
	for (int i = 0; i < 4; i++) {
		const struct hook_res *r = hook(drv[i]);

		assert_int_equal(r->status, HOOK_SKIPPED);
		assert_true(r->by_addr);
		assert_non_null(strstr(r->reason, "by address"));
		assert_non_null(strstr(r->reason, i < 2 ? "map@core (__iommu_map" :
						      "unmap@core (__iommu_unmap"));
	}
	/* io-pgtable's own group is not the driver's: it stays */
	assert_int_equal(hook("unmap@io-pgtable")->status, HOOK_RESOLVED);
	assert_false(hook("unmap@io-pgtable")->preferred);
	/* the tracepoint fallback is left to the attach pass (not needed then) */
	assert_false(hook("map@tracepoint")->preferred);
	/* the same again changes nothing */
	assert_int_equal(hooks__prefer_trampolines(res), 4);
	/* a trampoline that would not attach: the driver rows come back */
	hooks__unprefer(res, (int)(hook("map@core") - res));
	assert_false(hook("map@core")->preferred);
	assert_int_equal(hook("map@v3")->status, HOOK_RESOLVED);
	assert_int_equal(hook("map@v3")->displaced_by, 0);
	assert_int_equal(hook("unmap@v3")->status, HOOK_SKIPPED);
	ksyms__free(ks);
}

/* 7.2 has no __iommu_map: its new name iommu_map_nosync, under iommu_map and iommu_map_sg */
static void test_7_2_core_map_is_iommu_map_nosync(void **state)
{
	struct ksyms *ks = load(DATA "7.2-arm64-v2v3.txt");

	assert_string_equal(hook("map@core")->symbol, "iommu_map_nosync");
	with_fentry("map@core");
	assert_int_equal(hooks__prefer_trampolines(res), 2);
	assert_int_equal(hook("map@v3")->status, HOOK_SKIPPED);
	assert_int_equal(hook("unmap@v3")->status, HOOK_RESOLVED);	/* unmap@core not by trampoline */
	ksyms__free(ks);
}

/* without trampolines (6.1, 5.10) nothing changes: the driver rows by address */
static void test_no_trampoline_no_core_preference(void **state)
{
	struct ksyms *ks = load(DATA "6.1-arm64-v2v3.txt");

	assert_int_equal(hooks__prefer_trampolines(res), 0);
	assert_int_equal(hook("map@v3")->status, HOOK_RESOLVED);
	assert_int_equal(hook("unmap@v2")->status, HOOK_RESOLVED);
	assert_false(hook("map@core")->preferred);
	ksyms__free(ks);
}

/* iommu_map alone misses iommu_map_sg's maps: never preferred, even by trampoline */
static void test_core_map_not_preferred_when_only_iommu_map_exists(void **state)
{
	char text[] = "ffff800080100000 t arm_smmu_map_pages\n"
		      "ffff800080100100 t arm_smmu_tlb_sync_context\n"
		      "ffff800080100200 t __arm_smmu_tlb_sync\n"
		      "ffff800080900680 t iommu_map\n"
		      "ffff800080a00000 t arm_smmu_map_pages\n"
		      "ffff800080a00100 t arm_smmu_cmdq_issue_cmdlist\n"
		      "ffff800080a00200 t arm_smmu_tlb_inv_context\n";
	FILE *f = fmemopen(text, strlen(text), "r");
	struct ksyms *ks = NULL;
	char err[256];

	assert_int_equal(ksyms__load(&ks, f, "k", err, sizeof(err)), 0);
	hooks__resolve(ks, res);
	assert_string_equal(hook("map@core")->symbol, "iommu_map");
	assert_true(hook("map@v3")->by_addr);
	with_fentry("map@core");
	assert_int_equal(hooks__prefer_trampolines(res), 0);
	assert_int_equal(hook("map@v3")->status, HOOK_RESOLVED);
	ksyms__free(ks);
	fclose(f);
}

/* a primary that is itself a trampoline is kept: nothing to gain */
static void test_driver_row_by_trampoline_is_not_replaced(void **state)
{
	struct ksyms *ks = load(DATA "6.6-arm64-v3only.txt");

	with_fentry("unmap@core");
	with_fentry("unmap@v3");
	assert_int_equal(hooks__prefer_trampolines(res), 0);
	assert_int_equal(hook("unmap@v3")->status, HOOK_RESOLVED);
	ksyms__free(ks);
}

/* only cmdq@v3 claims tlbi and sync for v3: the domain hooks emit nothing alone */
static void test_v3_tlbi_and_sync_come_from_the_command_queue_only(void **state)
{
	for (int i = 0; i < hook_table_len; i++) {
		const struct hook_def *d = &hook_table[i];

		if (d->drv != HOOK_DRV_V3)
			continue;
		if (!strcmp(d->hook, "cmdq@v3"))
			assert_string_equal(d->event, "tlbi,sync");
		else
			assert_null(strstr(d->event, "tlbi"));
	}
}

static void test_6_12_keeps_same_hooks(void **state)
{
	const char *f = DATA "6.12-arm64-v2v3.txt";
	struct ksyms *ks = load(f);

	assert_int_equal(hook("unmap@v3")->addr, addr_of(f, "arm_smmu_unmap_pages", 1));
	assert_string_equal(hook("cmdq@v3")->symbol, "arm_smmu_cmdq_issue_cmdlist");
	assert_string_equal(hook("unmap@io-pgtable")->symbol, "arm_lpae_unmap_pages");
	assert_int_equal(hook("unmap@io-pgtable")->cand, 0);
	assert_int_equal(hook("domain_free")->status, HOOK_RESOLVED);
	assert_int_equal(hook("dma-domain-ties")->status, HOOK_RESOLVED);
	ksyms__free(ks);
}

static void test_v3_only_kernel_has_no_v2_hooks(void **state)
{
	const char *f = DATA "6.6-arm64-v3only.txt";
	struct ksyms *ks = load(f);
	const struct hook_res *v2 = hook("flush_all@v2"), *v3 = hook("flush_all@v3");

	assert_int_equal(v3->status, HOOK_RESOLVED);
	assert_false(v3->by_addr);
	assert_int_equal(v3->addr, addr_of(f, "arm_smmu_flush_iotlb_all", 0));
	assert_int_equal(v2->status, HOOK_MISSING);
	assert_non_null(strstr(v2->reason, "not in the v2"));
	assert_int_equal(hook("sync@v2")->status, HOOK_MISSING);
	ksyms__free(ks);
}

static void test_tracepoint_rows_are_left_for_btf(void **state)
{
	struct ksyms *ks = load(DATA "6.1-arm64-v2v3.txt");

	assert_int_equal(hook("rpm")->status, HOOK_UNRESOLVED);
	assert_int_equal(hook("clk-on")->status, HOOK_UNRESOLVED);
	ksyms__free(ks);
}

static void test_malformed_kallsyms_line_names_file_and_line(void **state)
{
	char text[] = "ffff000000000000 t arm_smmu_map_pages\nthis is not kallsyms\n";
	FILE *f = fmemopen(text, strlen(text), "r");
	struct ksyms *ks = NULL;
	char err[256] = "";

	assert_int_equal(ksyms__load(&ks, f, "k.txt", err, sizeof(err)), -EINVAL);
	assert_null(ks);
	assert_string_equal(err, "k.txt:2: not a kallsyms line");
	fclose(f);
}

static void test_cold_tails_are_not_copies(void **state)
{
	char text[] = "ffffffff81237718 t __iommu_unmap.cold\nffffffff81d406b0 t __iommu_unmap\n";
	FILE *f = fmemopen(text, strlen(text), "r");
	struct ksyms *ks = NULL;
	char err[256];

	assert_int_equal(ksyms__load(&ks, f, "k", err, sizeof(err)), 0);
	hooks__resolve(ks, res);
	assert_int_equal(hook("unmap@core")->status, HOOK_RESOLVED);
	assert_false(hook("unmap@core")->by_addr);
	assert_string_equal(hook("unmap@core")->method, "kprobe");
	ksyms__free(ks);
	fclose(f);
}

static void test_zero_addresses_are_detected_as_hidden(void **state)
{
	char text[] = "0000000000000000 t arm_smmu_map_pages\n0000000000000000 T iommu_map\n";
	FILE *f = fmemopen(text, strlen(text), "r");
	struct ksyms *ks = NULL;
	char err[256];

	assert_int_equal(ksyms__load(&ks, f, "k", err, sizeof(err)), 0);
	assert_true(ksyms__addrs_hidden(ks));
	ksyms__free(ks);
	fclose(f);
}

static void test_every_row_names_programs_and_a_group(void **state)
{
	for (int i = 0; i < hook_table_len; i++) {
		const struct hook_def *d = &hook_table[i];

		assert_non_null(d->group);
		assert_non_null(d->cands[0].target);
		for (int c = 0; c < 3 && d->cands[c].target; c++)
			assert_non_null(d->cands[c].entry_prog);
		/* a fallback must have a primary of its group */
		if (d->fallback) {
			bool primary = false;

			for (int j = 0; j < hook_table_len; j++)
				primary |= !hook_table[j].fallback &&
					    !strcmp(hook_table[j].group, d->group);
			assert_true(primary);
		}
	}
}

/* issue 13: iommu_map was served by a program named kprobe_arm_smmu_map */
static void test_programs_are_named_after_the_function_they_sit_on(void **state)
{
	char want[160];

	for (int i = 0; i < hook_table_len; i++) {
		const struct hook_def *d = &hook_table[i];

		for (int c = 0; c < 3 && d->cands[c].target; c++) {
			const struct hook_cand *k = &d->cands[c];

			snprintf(want, sizeof(want), "%s_%s",
				 d->kind == HOOK_TP ? "tp_btf" : "kprobe", k->target);
			assert_string_equal(k->entry_prog, want);
			if (!k->ret_prog)
				continue;
			snprintf(want, sizeof(want), "kretprobe_%s", k->target);
			assert_string_equal(k->ret_prog, want);
		}
	}
}

static bool obj_has(void *obj, const char *name)
{
	return bpf_object__find_program_by_name(obj, name) != NULL;
}

static bool has_none(void *obj, const char *name)
{
	return strcmp(name, "kretprobe_iommu_map") != 0;
}

/* the loader runs the same check before load: a row naming a program that
 * is not in the object must fail there with the row's name, not lose a hook */
static void test_every_program_in_the_table_exists_in_the_bpf_object(void **state)
{
	struct smmutrace_bpf *skel = smmutrace_bpf__open();
	char err[256] = "";

	assert_non_null(skel);
	assert_int_equal(hooks__check_progs(obj_has, skel->obj, err, sizeof(err)), 0);
	smmutrace_bpf__destroy(skel);
	/* and the check does fail, naming the row and the program */
	assert_int_equal(hooks__check_progs(has_none, NULL, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "map@core"));
	assert_non_null(strstr(err, "kretprobe_iommu_map"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duplicated_names_attach_by_address_to_each_drivers_copy),
		cmocka_unit_test(test_unique_names_attach_by_name),
		cmocka_unit_test(test_pages_ops_preferred_from_5_15),
		cmocka_unit_test(test_5_10_uses_plain_map_unmap_and_legacy_io_pgtable),
		cmocka_unit_test(test_gcc_clone_only_is_reported_not_attached),
		cmocka_unit_test(test_5_10_cmdq_clone_by_address_and_its_inv_range),
		cmocka_unit_test(test_7_2_domain_inv_range_and_event_queue),
		cmocka_unit_test(test_v3_tlbi_and_sync_come_from_the_command_queue_only),
		cmocka_unit_test(test_core_map_unmap_by_trampoline_replace_driver_kprobes_by_address),
		cmocka_unit_test(test_7_2_core_map_is_iommu_map_nosync),
		cmocka_unit_test(test_no_trampoline_no_core_preference),
		cmocka_unit_test(test_core_map_not_preferred_when_only_iommu_map_exists),
		cmocka_unit_test(test_driver_row_by_trampoline_is_not_replaced),
		cmocka_unit_test(test_6_12_keeps_same_hooks),
		cmocka_unit_test(test_v3_only_kernel_has_no_v2_hooks),
		cmocka_unit_test(test_tracepoint_rows_are_left_for_btf),
		cmocka_unit_test(test_malformed_kallsyms_line_names_file_and_line),
		cmocka_unit_test(test_cold_tails_are_not_copies),
		cmocka_unit_test(test_zero_addresses_are_detected_as_hidden),
		cmocka_unit_test(test_every_row_names_programs_and_a_group),
		cmocka_unit_test(test_programs_are_named_after_the_function_they_sit_on),
		cmocka_unit_test(test_every_program_in_the_table_exists_in_the_bpf_object),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
