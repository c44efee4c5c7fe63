// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Device-tree discovery on trees built at test time by scripts/mk-dt.py from
 * the JSON descriptions in tests/data/dt/ (run from the source tree, as `make test` does; set
 * SMMUTRACE_SRCDIR otherwise), and on copies of them broken on purpose.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "board.h"
#include "topology.h"

static char err[2048];
static char tmp[64];
static int ntree;

static const char *srcdir(void)
{
	const char *s = getenv("SMMUTRACE_SRCDIR");

	return s && *s ? s : ".";
}

/* Build tests/data/dt/NAME.json into a fresh directory under tmp; path in OUT. */
static void mkdt(const char *name, char *out, size_t len)
{
	char cmd[1024];

	snprintf(out, len, "%s/t%d", tmp, ntree++);
	snprintf(cmd, sizeof(cmd), "python3 %s/scripts/mk-dt.py %s/tests/data/dt/%s.json %s",
		 srcdir(), srcdir(), name, out);
	if (system(cmd) != 0)
		fail_msg("'%s' failed (python3 missing? run from the source tree)", cmd);
}

/* Same from a JSON description given inline. */
static void mkdt_json(const char *json, char *out, size_t len)
{
	char cmd[1024], jpath[256];
	FILE *f;

	snprintf(out, len, "%s/t%d", tmp, ntree++);
	snprintf(jpath, sizeof(jpath), "%s.json", out);
	f = fopen(jpath, "w");
	assert_non_null(f);
	fputs(json, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "python3 %s/scripts/mk-dt.py %s %s", srcdir(), jpath, out);
	if (system(cmd) != 0)
		fail_msg("'%s' failed", cmd);
}

static void put(const char *dir, const char *rel, const void *data, size_t len)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void put_cells(const char *dir, const char *rel, int n, ...)
{
	unsigned char buf[64];
	va_list ap;

	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		uint32_t v = va_arg(ap, uint32_t);

		buf[4 * i] = v >> 24;
		buf[4 * i + 1] = v >> 16;
		buf[4 * i + 2] = v >> 8;
		buf[4 * i + 3] = v;
	}
	va_end(ap);
	put(dir, rel, buf, 4 * (size_t)n);
}

static uint32_t get_u32(const char *dir, const char *rel)
{
	char path[512];
	unsigned char b[4];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(b, 1, 4, f), 4);
	fclose(f);
	return (uint32_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
}

static const struct topo_tbu *tbu(const struct topology *t, const char *name)
{
	int i = topology__find_tbu(t, name);

	if (i < 0)
		fail_msg("no TBU %s", name);
	return &t->tbus[i];
}

static bool has_gate(const struct topo_tbu *b, enum gate_kind k, const char *name)
{
	for (int i = 0; i < b->ngates; i++)
		if (b->gates[i].kind == k && !strcmp(b->gates[i].name, name))
			return true;
	return false;
}

/* DIR broken somewhere must fail with "DIR/REL: ..." containing WHAT */
static void expect_dt_error(const char *dir, const char *rel, const char *what)
{
	struct topology t;
	char prefix[512];

	topology__init(&t);
	err[0] = '\0';
	assert_true(dt__discover(&t, dir, err, sizeof(err)) < 0);
	snprintf(prefix, sizeof(prefix), "%s/%s: ", dir, rel);
	if (strncmp(err, prefix, strlen(prefix)) || !strstr(err, what))
		fail_msg("wanted '%s...%s', got '%s'", prefix, what, err);
	topology__free(&t);
}

static int setup(void **state)
{
	snprintf(tmp, sizeof(tmp), "/tmp/smt-dt-XXXXXX");
	return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_sdm845_eight_tbus_with_their_sid_ranges(void **state)
{
	static const struct { const char *name; uint32_t first; } want[] = {
		{ "anoc_1_tbu", 0x0 }, { "anoc_2_tbu", 0x400 }, { "mnoc_hf_0_tbu", 0x800 },
		{ "mnoc_hf_1_tbu", 0xc00 }, { "mnoc_sf_0_tbu", 0x1000 },
		{ "compute_dsp_tbu", 0x1400 }, { "adsp_tbu", 0x1800 },
		{ "anoc_1_pcie_tbu", 0x1c00 },
	};
	struct topology t;
	char dir[128];

	mkdt("sdm845", dir, sizeof(dir));
	topology__init(&t);
	assert_int_equal(dt__discover(&t, dir, err, sizeof(err)), 0);
	assert_string_equal(t.model, "Qualcomm Technologies, Inc. SDM845 MTP");
	assert_string_equal(t.compatible, "qcom,sdm845-mtp");
	assert_int_equal(t.nsmmus, 1);
	assert_string_equal(t.smmus[0].name, "15000000.iommu");
	assert_string_equal(t.smmus[0].compatible, "qcom,sdm845-smmu-500");
	assert_string_equal(t.smmus[0].origin, "dt /soc@0/iommu@15000000");
	assert_int_equal(t.ntbus, 8);
	for (size_t i = 0; i < 8; i++) {
		const struct topo_tbu *b = tbu(&t, want[i].name);

		assert_string_equal(b->smmu, "15000000.iommu");
		assert_string_equal(b->compatible, "qcom,sdm845-tbu");
		assert_int_equal(b->nsids, 1);
		assert_int_equal(b->sids[0].first, want[i].first);
		assert_int_equal(b->sids[0].last, want[i].first + 0x3ff);
		assert_int_equal(b->ngates, 0);	/* gcc names nothing by index */
	}
	assert_string_equal(tbu(&t, "anoc_1_pcie_tbu")->origin, "dt /soc@0/tbu@150e1000");
	topology__free(&t);
}

static void test_sdm845_unnamed_gcc_gates_are_noted_not_invented(void **state)
{
	struct topology t;
	const struct topo_tbu *b;
	char dir[128], want[512];
	uint32_t gcc;

	mkdt("sdm845", dir, sizeof(dir));
	gcc = get_u32(dir, "soc@0/clock-controller@100000/phandle");
	topology__init(&t);
	assert_int_equal(dt__discover(&t, dir, err, sizeof(err)), 0);

	b = tbu(&t, "anoc_1_tbu");
	assert_int_equal(b->nunresolved, 1);
	snprintf(want, sizeof(want), "power-domains: provider clock-controller@100000 "
		 "(phandle 0x%x) cell 0x8: the device tree has no name for it; name it in a "
		 "board file: gates = pd:NAME", gcc);
	assert_string_equal(b->unresolved[0], want);

	b = tbu(&t, "anoc_1_pcie_tbu");
	assert_int_equal(b->nunresolved, 2);
	snprintf(want, sizeof(want), "clocks: provider clock-controller@100000 "
		 "(phandle 0x%x) cell 0x0: the device tree has no name for it; name it in a "
		 "board file: gates = clk:NAME", gcc);
	assert_string_equal(b->unresolved[0], want);
	assert_non_null(strstr(b->unresolved[1], "power-domains: provider "
			       "clock-controller@100000"));
	assert_non_null(strstr(b->unresolved[1], "cell 0x7:"));

	/* compute_dsp_tbu has no power-domains at all: nothing to note */
	assert_int_equal(tbu(&t, "compute_dsp_tbu")->nunresolved, 0);
	topology__free(&t);
}

static void test_named_providers_resolve_to_gate_names(void **state)
{
	struct topology t;
	const struct topo_tbu *b;
	char dir[128];

	mkdt("named", dir, sizeof(dir));
	topology__init(&t);
	assert_int_equal(dt__discover(&t, dir, err, sizeof(err)), 0);
	assert_int_equal(t.ntbus, 2);
	assert_string_equal(t.smmus[0].name, "5000000.iommu");

	b = tbu(&t, "tbu0");	/* from the node's label property */
	assert_int_equal(b->ngates, 3);
	assert_true(has_gate(b, GATE_CLK, "cc_tbu0_clk"));	/* clock-output-names[1] */
	assert_true(has_gate(b, GATE_CLK, "bus-clk"));	/* fixed-clock: node name */
	assert_true(has_gate(b, GATE_PD, "tbu0_gdsc"));	/* provider label */
	assert_int_equal(b->nunresolved, 0);

	b = tbu(&t, "tbu1");
	assert_true(has_gate(b, GATE_CLK, "cc_tbu1_clk"));
	assert_true(has_gate(b, GATE_PD, "gdsc"));	/* node name without unit address */
	assert_int_equal(b->ngates, 2);
	/* clock 7 is past clock-output-names' three */
	assert_int_equal(b->nunresolved, 1);
	assert_non_null(strstr(b->unresolved[0], "clocks: provider clock-controller@1000 "));
	assert_non_null(strstr(b->unresolved[0], "cell 0x7:"));
	topology__free(&t);
}

static void test_gpu_tbus_without_gates_then_board_supplies_them(void **state)
{
	struct topology t;
	char dir[128], board[256];

	mkdt("sc7280-gpu", dir, sizeof(dir));
	topology__init(&t);
	assert_int_equal(dt__discover(&t, dir, err, sizeof(err)), 0);
	assert_string_equal(t.smmus[0].name, "3da0000.iommu");
	assert_int_equal(t.ntbus, 2);
	/* no label, no symbols: the node name */
	assert_int_equal(tbu(&t, "tbu@3dd9000")->ngates, 0);
	assert_int_equal(tbu(&t, "tbu@3dd9000")->nunresolved, 0);
	assert_int_equal(tbu(&t, "tbu@3ddd000")->sids[0].first, 0x400);

	snprintf(board, sizeof(board), "%s/tests/data/board/sc7280-gpu.ini", srcdir());
	assert_int_equal(board__load(&t, board, err, sizeof(err)), 0);
	assert_int_equal(t.ntbus, 2);
	assert_int_equal(t.nsmmus, 1);	/* [smmu 3da0000.iommu] is the DT's */
	assert_string_equal(t.smmus[0].compatible, "qcom,sc7280-smmu-500");
	assert_true(has_gate(tbu(&t, "tbu@3dd9000"), GATE_RPM, "3d00000.gpu"));
	assert_true(has_gate(tbu(&t, "tbu@3ddd000"), GATE_PD, "gpu_cc_cx_gdsc"));
	assert_non_null(strstr(tbu(&t, "tbu@3ddd000")->origin, "board "));
	topology__free(&t);
}

static void test_board_overrides_dt_tbu_wholly_and_keeps_others(void **state)
{
	struct topology t;
	const struct topo_tbu *b;
	char dir[128], board[256];

	mkdt("sdm845", dir, sizeof(dir));
	topology__init(&t);
	assert_int_equal(dt__discover(&t, dir, err, sizeof(err)), 0);
	snprintf(board, sizeof(board), "%s/tests/data/board/sdm845.ini", srcdir());
	assert_int_equal(board__load(&t, board, err, sizeof(err)), 0);
	assert_int_equal(t.ntbus, 8);
	b = tbu(&t, "anoc_1_pcie_tbu");
	assert_int_equal(b->nunresolved, 0);	/* the DT's notes went with it */
	assert_true(has_gate(b, GATE_CLK, "gcc_aggre_noc_pcie_tbu_clk"));
	assert_true(has_gate(b, GATE_PD, "hlos1_vote_aggre_noc_mmu_pcie_tbu_gdsc"));
	assert_string_equal(b->compatible, "");
	assert_int_equal(tbu(&t, "anoc_2_tbu")->nunresolved, 1);	/* untouched */
	assert_non_null(strstr(tbu(&t, "anoc_2_tbu")->origin, "dt /soc@0/"));
	topology__free(&t);
}

static void test_board_loaded_first_still_wins_over_dt(void **state)
{
	struct topology t;
	char dir[128];

	mkdt("sdm845", dir, sizeof(dir));
	topology__init(&t);
	assert_int_equal(board__load_text(&t, "[tbu adsp_tbu]\nsids = 0x1800-0x1bff\n"
					  "gates = pd:audio\n", "b.ini", err, sizeof(err)), 0);
	assert_int_equal(dt__discover(&t, dir, err, sizeof(err)), 0);
	assert_int_equal(t.ntbus, 8);
	assert_true(has_gate(tbu(&t, "adsp_tbu"), GATE_PD, "audio"));
	topology__free(&t);
}

static void test_downstream_child_tbus_and_0x_unit_addresses(void **state)
{
	struct topology t;
	char dir[128];

	mkdt_json("{\"root\": {\"nodes\": {\"apps-smmu@0x15000000\": {"
		  "\"props\": {\"compatible\": \"qcom,qsmmu-v500\"},"
		  "\"nodes\": {\"anoc_1_tbu@0x150c5000\": {\"props\": {"
		  "\"compatible\": \"qcom,qsmmuv500-tbu\","
		  "\"qcom,stream-id-range\": [\"0x400\", \"0x400\"]}}}}}}}", dir, sizeof(dir));
	topology__init(&t);
	assert_int_equal(dt__discover(&t, dir, err, sizeof(err)), 0);
	assert_int_equal(t.nsmmus, 1);
	assert_string_equal(t.smmus[0].name, "15000000.apps-smmu");
	assert_int_equal(t.ntbus, 1);
	assert_string_equal(t.tbus[0].name, "anoc_1_tbu@0x150c5000");
	assert_string_equal(t.tbus[0].smmu, "15000000.apps-smmu");
	assert_int_equal(t.tbus[0].sids[0].first, 0x400);
	assert_int_equal(t.tbus[0].sids[0].last, 0x7ff);
	topology__free(&t);
}

static void test_missing_stream_id_range_is_noted(void **state)
{
	struct topology t;
	char dir[128], path[256];

	mkdt("sdm845", dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/soc@0/tbu@150c5000/qcom,stream-id-range", dir);
	assert_int_equal(unlink(path), 0);
	topology__init(&t);
	assert_int_equal(dt__discover(&t, dir, err, sizeof(err)), 0);
	assert_int_equal(tbu(&t, "anoc_1_tbu")->nsids, 0);
	assert_int_equal(tbu(&t, "anoc_1_tbu")->nunresolved, 2);
	assert_non_null(strstr(tbu(&t, "anoc_1_tbu")->unresolved[0],
			       "qcom,stream-id-range: missing"));
	topology__free(&t);
}

static void test_malformed_properties_name_the_file(void **state)
{
	char dir[128];
	uint32_t smmu, gcc;
	const char *sir = "soc@0/tbu@150c5000/qcom,stream-id-range";

	mkdt("sdm845", dir, sizeof(dir));
	smmu = get_u32(dir, "soc@0/iommu@15000000/phandle");
	gcc = get_u32(dir, "soc@0/clock-controller@100000/phandle");

	put(dir, sir, "\0\0\0\1\0", 5);
	expect_dt_error(dir, sir, "5 bytes: expected 4-byte cells");
	put_cells(dir, sir, 3, 0x99u, 0u, 0x400u);
	expect_dt_error(dir, sir, "phandle 0x99 points to no node");
	put_cells(dir, sir, 3, smmu, 0x10u, 0u);
	expect_dt_error(dir, sir, "SIDs 0x10 + 0x0: size 0");
	put_cells(dir, sir, 3, smmu, 0xfc00u, 0x800u);
	expect_dt_error(dir, sir, "run past 0xffff");
	put_cells(dir, sir, 2, smmu, 0u);
	expect_dt_error(dir, sir, "runs past the end");
	put_cells(dir, sir, 3, smmu, 0u, 0x400u);	/* repaired */

	put_cells(dir, "soc@0/tbu@150e1000/clocks", 1, gcc);
	expect_dt_error(dir, "soc@0/tbu@150e1000/clocks", "runs past the end");
	put_cells(dir, "soc@0/tbu@150e1000/clocks", 2, gcc, 0u);

	put(dir, "soc@0/tbu@150c9000/power-domains", "\0\0\0\1\0\0", 6);
	expect_dt_error(dir, "soc@0/tbu@150c9000/power-domains", "not a list of 4-byte cells");
	put_cells(dir, "soc@0/tbu@150c9000/power-domains", 2, gcc, 0x77u);
	put(dir, "soc@0/clock-controller@100000/#power-domain-cells", "\0\0\1", 3);
	expect_dt_error(dir, "soc@0/clock-controller@100000/#power-domain-cells",
			"3 bytes where one 4-byte cell is expected");
	put_cells(dir, "soc@0/clock-controller@100000/#power-domain-cells", 1, 1u);

	put(dir, "soc@0/iommu@15000000/phandle", "\0\1", 2);
	expect_dt_error(dir, "soc@0/iommu@15000000/phandle", "2 bytes");
	put_cells(dir, "soc@0/iommu@15000000/phandle", 1, smmu);

	/* still good after all the repairs: the checks above were not flukes */
	{
		struct topology t;

		topology__init(&t);
		assert_int_equal(dt__discover(&t, dir, err, sizeof(err)), 0);
		assert_int_equal(t.ntbus, 8);
		topology__free(&t);
	}
}

static void test_provider_without_cells_property(void **state)
{
	char dir[128], path[256];

	mkdt("sdm845", dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/soc@0/clock-controller@100000/#power-domain-cells", dir);
	assert_int_equal(unlink(path), 0);
	expect_dt_error(dir, "soc@0/tbu@150c5000/power-domains",
			"provider /soc@0/clock-controller@100000 (phandle 0x");
	assert_non_null(strstr(err, "has no #power-domain-cells"));
}

static void test_huge_property_is_refused(void **state)
{
	char dir[128];
	size_t n = (1u << 20) + 8;
	char *big = calloc(1, n);

	mkdt("sc7280-gpu", dir, sizeof(dir));
	memset(big, 'a', n - 1);
	put(dir, "soc@0/tbu@3dd9000/compatible", big, n);
	expect_dt_error(dir, "soc@0/tbu@3dd9000/compatible", "larger than 1048576 bytes");
	free(big);
}

static void test_deep_nesting_is_bounded_and_symlinks_not_followed(void **state)
{
	struct topology t;
	char dir[128], path[4096], link[512];
	size_t n;

	mkdt("sc7280-gpu", dir, sizeof(dir));
	/* a loop back to the root: must be skipped, not walked forever */
	snprintf(link, sizeof(link), "%s/soc@0/loop", dir);
	assert_int_equal(symlink(dir, link), 0);
	topology__init(&t);
	assert_int_equal(dt__discover(&t, dir, err, sizeof(err)), 0);
	assert_int_equal(t.ntbus, 2);
	topology__free(&t);

	n = (size_t)snprintf(path, sizeof(path), "%s", dir);
	for (int i = 0; i < 70; i++) {
		n += (size_t)snprintf(path + n, sizeof(path) - n, "/n");
		assert_int_equal(mkdir(path, 0755), 0);
	}
	topology__init(&t);
	assert_int_equal(dt__discover(&t, dir, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "nested deeper than 64 levels"));
	topology__free(&t);
}

static void test_not_a_directory(void **state)
{
	struct topology t;

	topology__init(&t);
	assert_int_equal(dt__discover(&t, "/nonexistent-dt", err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent-dt: No such file or directory"));
	assert_int_equal(dt__discover(&t, "/dev/null", err, sizeof(err)), -ENOTDIR);
	assert_non_null(strstr(err, "/dev/null: not a directory"));
	topology__free(&t);
}

static void test_merged_dt_and_board_model_survives_board_format(void **state)
{
	struct topology a, b;
	char dir[128], board[256], *text;

	mkdt("sdm845", dir, sizeof(dir));
	topology__init(&a);
	topology__init(&b);
	assert_int_equal(dt__discover(&a, dir, err, sizeof(err)), 0);
	snprintf(board, sizeof(board), "%s/tests/data/board/sdm845.ini", srcdir());
	assert_int_equal(board__load(&a, board, err, sizeof(err)), 0);
	assert_int_equal(board__format(&a, &text), 0);
	assert_non_null(strstr(text, "; unresolved: power-domains: provider "
			       "clock-controller@100000"));
	assert_int_equal(board__load_text(&b, text, "rec", err, sizeof(err)), 0);
	assert_int_equal(b.ntbus, 8);
	assert_string_equal(b.smmus[0].name, "15000000.iommu");
	for (int i = 0; i < 8; i++) {
		const struct topo_tbu *q = tbu(&b, a.tbus[i].name);

		assert_string_equal(q->smmu, "15000000.iommu");
		assert_int_equal(q->sids[0].first, a.tbus[i].sids[0].first);
		assert_int_equal(q->sids[0].last, a.tbus[i].sids[0].last);
		assert_int_equal(q->ngates, a.tbus[i].ngates);
	}
	assert_true(has_gate(tbu(&b, "anoc_1_pcie_tbu"), GATE_CLK, "gcc_aggre_noc_pcie_tbu_clk"));
	free(text);
	topology__free(&a);
	topology__free(&b);
}

static void test_names_a_board_file_cannot_hold_are_not_used(void **state)
{
	struct topology t;
	char dir[128];

	mkdt_json("{\"root\": {\"nodes\": {"
		  "\"cc\": {\"label\": \"cc\", \"props\": {\"#clock-cells\": [1],"
		  "  \"clock-output-names\": [\"good_clk\", \"bad clk\", \"a,b\"]}},"
		  "\"iommu@1000\": {\"label\": \"s\", \"props\": {\"compatible\": \"arm,mmu-500\"}},"
		  "\"tbu@2000\": {\"props\": {\"compatible\": \"qcom,x-tbu\", \"label\": \"GPU TBU\","
		  "  \"clocks\": [\"&cc\", 0, \"&cc\", 1, \"&cc\", 2],"
		  "  \"qcom,stream-id-range\": [\"&s\", 0, 16]}}}}}", dir, sizeof(dir));
	topology__init(&t);
	assert_int_equal(dt__discover(&t, dir, err, sizeof(err)), 0);
	assert_int_equal(t.ntbus, 1);
	assert_string_equal(t.tbus[0].name, "tbu@2000");	/* label has a space */
	assert_string_equal(t.tbus[0].smmu, "1000.iommu");
	assert_int_equal(t.tbus[0].ngates, 1);
	assert_true(has_gate(&t.tbus[0], GATE_CLK, "good_clk"));
	assert_int_equal(t.tbus[0].nunresolved, 2);
	assert_non_null(strstr(t.tbus[0].unresolved[0], "'bad clk'"));
	assert_non_null(strstr(t.tbus[0].unresolved[1], "'a,b'"));
	topology__free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sdm845_eight_tbus_with_their_sid_ranges),
		cmocka_unit_test(test_sdm845_unnamed_gcc_gates_are_noted_not_invented),
		cmocka_unit_test(test_named_providers_resolve_to_gate_names),
		cmocka_unit_test(test_gpu_tbus_without_gates_then_board_supplies_them),
		cmocka_unit_test(test_board_overrides_dt_tbu_wholly_and_keeps_others),
		cmocka_unit_test(test_board_loaded_first_still_wins_over_dt),
		cmocka_unit_test(test_downstream_child_tbus_and_0x_unit_addresses),
		cmocka_unit_test(test_missing_stream_id_range_is_noted),
		cmocka_unit_test(test_malformed_properties_name_the_file),
		cmocka_unit_test(test_provider_without_cells_property),
		cmocka_unit_test(test_huge_property_is_refused),
		cmocka_unit_test(test_deep_nesting_is_bounded_and_symlinks_not_followed),
		cmocka_unit_test(test_not_a_directory),
		cmocka_unit_test(test_merged_dt_and_board_model_survives_board_format),
		cmocka_unit_test(test_names_a_board_file_cannot_hold_are_not_used),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
