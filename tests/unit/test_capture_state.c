// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Initial gate states and DMA mode read from a fabricated sysfs/debugfs tree. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "capture.h"
#include "event.h"

static char root[256];

static void put(const char *rel, const char *text)
{
	char path[512], cmd[700];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	assert_int_equal(system(cmd), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	snprintf(root, sizeof(root), "/tmp/smt-state-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	put("sys/kernel/debug/clk/gpu_cc_ahb_clk/clk_enable_count", "0\n");
	put("sys/kernel/debug/clk/gcc_gpu_memnoc_clk/clk_enable_count", "3\n");
	put("sys/bus/platform/devices/3d00000.gpu/power/runtime_status", "suspended\n");
	put("sys/bus/pci/devices/0000:00:01.0/power/runtime_status", "unsupported\n");
	put("sys/kernel/debug/pm_genpd/gpu_cx_gdsc/current_state", "off-0\n");
	put("sys/kernel/debug/pm_genpd/gpu_gx_gdsc/current_state", "on\n");
	put("proc/cmdline", "console=ttyAMA0 iommu.strict=0\n");
	put("sys/bus/platform/devices/15000000.iommu/power/runtime_status", "active\n");
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
}

static const char board[] =
	"[tbu gpu_tbu0]\nsids = 0x0-0x3ff\n"
	"gates = clk:gpu_cc_ahb_clk, pd:gpu_cx_gdsc, rpm:3d00000.gpu\n"
	"[tbu gpu_tbu1]\nsids = 0x400-0x7ff\n"
	"gates = clk:gpu_cc_ahb_clk, clk:gcc_gpu_memnoc_clk, pd:gpu_gx_gdsc, rpm:0000:00:01.0,"
	" clk:not_in_debugfs\n";

static const struct smt_event *find(const struct smt_event *evs, int n, unsigned int type,
				    const char *name)
{
	for (int i = 0; i < n; i++)
		if (evs[i].type == type && !strcmp(evs[i].name, name))
			return &evs[i];
	return NULL;
}

static void test_gate_states_come_first_after_meta(void **state)
{
	struct smt_event evs[32];
	struct topology t;
	char err[256];
	int n, clk = 0;

	topology__init(&t);
	assert_int_equal(board__load_text(&t, board, "b", err, sizeof(err)), 0);
	n = capture_state__read(&t, root, 1234, evs, 32);
	assert_int_equal(evs[0].type, SMT_EV_META);
	assert_int_equal(evs[0].since_boot, 0);
	assert_true(evs[0].present & SMT_HAS_SINCE_BOOT);
	assert_int_equal(evs[0].strict, 0);	/* iommu.strict=0 on the command line */
	/* clk x2 (one listed twice), pd x2, rpm x1 (0000:00:01.0 is "unsupported") */
	assert_int_equal(n, 6);
	assert_int_equal(find(evs, n, SMT_EV_CLK, "gpu_cc_ahb_clk")->on, 0);
	assert_int_equal(find(evs, n, SMT_EV_CLK, "gcc_gpu_memnoc_clk")->on, 1);
	assert_int_equal(find(evs, n, SMT_EV_PD, "gpu_cx_gdsc")->on, 0);
	assert_int_equal(find(evs, n, SMT_EV_PD, "gpu_gx_gdsc")->on, 1);
	assert_int_equal(find(evs, n, SMT_EV_RPM, "3d00000.gpu")->state, SMT_RPM_SUSPENDED);
	assert_null(find(evs, n, SMT_EV_RPM, "0000:00:01.0"));
	assert_null(find(evs, n, SMT_EV_CLK, "not_in_debugfs"));
	for (int i = 0; i < n; i++) {
		assert_int_equal(evs[i].ts, 1234);
		clk += evs[i].type == SMT_EV_CLK;
	}
	assert_int_equal(clk, 2);
	topology__free(&t);
}

/* SPEC §4: the SMMU's own gates (default rpm:NAME) are read too, once per gate */
static void test_smmu_gates_are_read_once(void **state)
{
	struct smt_event evs[32];
	struct topology t;
	char err[256];
	int n, rpm = 0;

	topology__init(&t);
	assert_int_equal(board__load_text(&t, "[smmu 15000000.iommu]\n[smmu 5040000.iommu]\n"
					  "gates = rpm:3d00000.gpu, pd:gpu_gx_gdsc\n"
					  "[tbu t]\nsmmu = 5040000.iommu\nsids = 1\n"
					  "gates = rpm:3d00000.gpu\n", "b", err, sizeof(err)), 0);
	n = capture_state__read(&t, root, 1, evs, 32);
	assert_int_equal(find(evs, n, SMT_EV_RPM, "15000000.iommu")->state, SMT_RPM_ACTIVE);
	assert_int_equal(find(evs, n, SMT_EV_PD, "gpu_gx_gdsc")->on, 1);
	for (int i = 0; i < n; i++)
		rpm += evs[i].type == SMT_EV_RPM && !strcmp(evs[i].name, "3d00000.gpu");
	assert_int_equal(rpm, 1);	/* the TBU's and the SMMU's gate: one event */
	assert_int_equal(n, 4);		/* meta, rpm gpu, rpm 15000000.iommu, pd */
	topology__free(&t);
}

static void test_output_is_bounded_by_max(void **state)
{
	struct smt_event evs[3];
	struct topology t;
	char err[256];

	topology__init(&t);
	assert_int_equal(board__load_text(&t, board, "b", err, sizeof(err)), 0);
	assert_int_equal(capture_state__read(&t, root, 1, evs, 3), 3);
	assert_int_equal(capture_state__read(&t, root, 1, evs, 0), -ENOSPC);
	topology__free(&t);
}

static void test_dma_mode_from_iommu_group_type_wins_over_cmdline(void **state)
{
	assert_int_equal(capture_state__strict(root), 0);
	put("sys/kernel/iommu_groups/0/type", "DMA\n");
	put("proc/cmdline", "iommu.strict=0\n");
	assert_int_equal(capture_state__strict(root), 1);
	put("sys/kernel/iommu_groups/1/type", "DMA-FQ\n");
	assert_int_equal(capture_state__strict(root), 0);	/* any lazy group: lazy */
}

/* before 5.15 there is no DMA-FQ: "DMA" says nothing, the command line does */
static void test_dma_type_before_5_15_defers_to_cmdline(void **state)
{
	put("sys/kernel/iommu_groups/0/type", "DMA\n");
	put("proc/cmdline", "console=ttyAMA0 iommu.strict=0 quiet\n");
	put("proc/sys/kernel/osrelease", "5.10.0-32-arm64\n");
	assert_int_equal(capture_state__strict(root), 0);
	put("proc/cmdline", "iommu.strict=1\n");
	assert_int_equal(capture_state__strict(root), 1);
	put("proc/cmdline", "iommu.strict=0\n");
	put("proc/sys/kernel/osrelease", "5.15.0\n");
	assert_int_equal(capture_state__strict(root), 1);
}

/* kprobe_profile: only our events' nhit and nmissed count, whatever else is traced */
static void test_kprobe_profile_sums_only_our_events(void **state)
{
	char path[300];
	uint64_t h = 99, m = 99;

	put("kprobe_profile",
	    "  smt412_0                                             4096               0\n"
	    "  smt412_1                                             4092               3\n"
	    "  smt4120_0                                              10               7\n"
	    "  genpd_on                                               12               5\n"
	    "  smt412_2                                             4096               1\n");
	snprintf(path, sizeof(path), "%s/kprobe_profile", root);
	assert_int_equal(capture_state__kprobe_profile(path, "smt412_", &h, &m), 0);
	assert_int_equal(h, 4096 + 4092 + 4096);
	assert_int_equal(m, 4);
	assert_int_equal(capture_state__kprobe_profile(path, "smt9_", &h, &m), 0);
	assert_int_equal(h, 0);
	assert_int_equal(m, 0);
	snprintf(path, sizeof(path), "%s/no-such-file", root);
	assert_int_equal(capture_state__kprobe_profile(path, "smt412_", &h, &m), -ENOENT);
}

/*
 * Hits whose program never ran: hits past the baseline less the runs past
 * theirs, read right after. More runs than hits (hits made between the two
 * reads) are no negative loss.
 */
static void test_kprobe_skipped_compares_hits_with_runs_past_the_baseline(void **state)
{
	/* baseline 100 hits / 90 runs (hits before the programs were attached) */
	assert_int_equal(capture_state__kprobe_skipped(100, 90, 100, 90), 0);
	/* 4096 hits, all run */
	assert_int_equal(capture_state__kprobe_skipped(100, 90, 4196, 4186), 0);
	/* and more run between the two reads */
	assert_int_equal(capture_state__kprobe_skipped(100, 90, 4196, 4300), 0);
	/* 4 of them never ran: an IRQ's unmap, TLBI and sync kprobes skipped */
	assert_int_equal(capture_state__kprobe_skipped(100, 90, 4196, 4182), 4);
	/* a baseline read after a later counter (no wrap into a huge loss) */
	assert_int_equal(capture_state__kprobe_skipped(100, 90, 50, 40), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_gate_states_come_first_after_meta, setup, teardown),
		cmocka_unit_test_setup_teardown(test_smmu_gates_are_read_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_output_is_bounded_by_max, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dma_mode_from_iommu_group_type_wins_over_cmdline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dma_type_before_5_15_defers_to_cmdline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kprobe_profile_sums_only_our_events, setup, teardown),
		cmocka_unit_test(test_kprobe_skipped_compares_hits_with_runs_past_the_baseline),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
