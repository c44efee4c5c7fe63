// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The model: lookups, SID matching, and what topology__print shows. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>
#include "topology.h"

static char err[1024];

static const char *BOARD =
	"[smmu 15000000.iommu]\n"
	"[smmu 5040000.iommu]\n"
	"[tbu gpu_tbu0]\n"
	"smmu  = 5040000.iommu\n"
	"sids  = 0x0-0x3ff, 0x800\n"
	"gates = clk:gpu_cc_ahb_clk, pd:gpu_cx_gdsc, rpm:3d00000.gpu\n"
	"[tbu gpu_tbu1]\n"
	"smmu  = 5040000.iommu\n"
	"sids  = 0x3f0-0x7ff\n"
	"[tbu pcie_tbu]\n"
	"smmu  = 15000000.iommu\n"
	"sids  = 0x0-0x3ff\n";	/* same SIDs as gpu_tbu0, other SMMU: no note */

static void load(struct topology *t)
{
	topology__init(t);
	if (board__load_text(t, BOARD, "b.ini", err, sizeof(err)))
		fail_msg("%s", err);
}

/* print into a string (caller frees) */
static char *print(const struct topology *t, bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(topology__print(t, f, json), 0);
	fclose(f);
	return buf;
}

static void test_find_by_name(void **state)
{
	struct topology t;

	load(&t);
	assert_int_equal(topology__find_smmu(&t, "15000000.iommu"), 0);
	assert_int_equal(topology__find_smmu(&t, "5040000.iommu"), 1);
	assert_int_equal(topology__find_smmu(&t, "5040000"), -1);
	assert_int_equal(topology__find_tbu(&t, "pcie_tbu"), 2);
	assert_int_equal(topology__find_tbu(&t, "gpu_tbu"), -1);
	assert_int_equal(topology__find_tbu(&t, ""), -1);
	topology__free(&t);
}

static void test_sid_match_is_inclusive_and_masked_to_16_bits(void **state)
{
	struct topology t;
	const struct topo_tbu *g;

	load(&t);
	g = &t.tbus[topology__find_tbu(&t, "gpu_tbu0")];
	assert_true(topology__tbu_has_sid(g, 0x0));
	assert_true(topology__tbu_has_sid(g, 0x3ff));
	assert_false(topology__tbu_has_sid(g, 0x400));
	assert_false(topology__tbu_has_sid(g, 0x7ff));
	assert_true(topology__tbu_has_sid(g, 0x800));
	assert_false(topology__tbu_has_sid(g, 0x801));
	/* SPEC §3: SIDs compare as sid & 0xffff */
	assert_true(topology__tbu_has_sid(g, 0x10800));
	assert_true(topology__tbu_has_sid(g, 0xabcd0005));
	assert_false(topology__tbu_has_sid(g, 0x10400));
	topology__free(&t);
}

static void test_gate_kind_names_are_board_file_spelling(void **state)
{
	assert_string_equal(topology__gate_kind_name(GATE_CLK), "clk");
	assert_string_equal(topology__gate_kind_name(GATE_PD), "pd");
	assert_string_equal(topology__gate_kind_name(GATE_RPM), "rpm");
}

static void test_text_shows_smmus_tbus_ranges_gates_origins(void **state)
{
	struct topology t;
	char *out;

	load(&t);
	out = print(&t, false);
	assert_non_null(strstr(out, "SMMUs: 2\n"));
	assert_non_null(strstr(out, "  15000000.iommu  [board b.ini:1]\n"));
	assert_non_null(strstr(out, "TBUs: 3\n"));
	assert_non_null(strstr(out, "  gpu_tbu0  [board b.ini:3]\n"
				    "    smmu:  5040000.iommu\n"
				    "    sids:  0x0-0x3ff, 0x800\n"
				    "    gates: clk:gpu_cc_ahb_clk, pd:gpu_cx_gdsc, rpm:3d00000.gpu\n"));
	assert_non_null(strstr(out, "  gpu_tbu1  [board b.ini:7]\n"));
	assert_non_null(strstr(out, "gates: none known"));
	free(out);
	topology__free(&t);
}

static void test_overlapping_sids_of_one_smmu_get_a_note(void **state)
{
	struct topology t;
	char *out;

	load(&t);
	out = print(&t, false);
	assert_non_null(strstr(out, "note: TBUs gpu_tbu0 and gpu_tbu1 of 5040000.iommu share "
				    "SIDs (first: 0x3f0-0x3ff)"));
	/* gpu_tbu0 and pcie_tbu share SIDs too, but on different SMMUs */
	assert_null(strstr(out, "pcie_tbu share"));
	assert_null(strstr(out, "and pcie_tbu"));
	free(out);
	topology__free(&t);
}

static void test_unresolved_notes_are_printed(void **state)
{
	struct topology t;
	char *out;
	char **u = malloc(sizeof(*u));

	load(&t);
	u[0] = strdup("power-domains: provider gcc cell 0x8: name it");
	t.tbus[2].unresolved = u;
	t.tbus[2].nunresolved = 1;
	snprintf(t.model, sizeof(t.model), "Board X");
	snprintf(t.compatible, sizeof(t.compatible), "v,x");
	out = print(&t, false);
	assert_non_null(strstr(out, "    unresolved: power-domains: provider gcc cell 0x8: "
				    "name it\n"));
	assert_non_null(strstr(out, "board: Board X (v,x)\n"));
	free(out);
	topology__free(&t);
}

static void test_json_is_one_object_with_everything(void **state)
{
	struct topology t;
	struct json_object *o, *v, *tb, *a;
	char *out;

	load(&t);
	snprintf(t.model, sizeof(t.model), "Board \"Q\"");
	out = print(&t, true);
	assert_non_null(strchr(out, '\n'));
	assert_int_equal(strchr(out, '\n')[1], '\0');	/* one line */
	o = json_tokener_parse(out);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "smmus", &v));
	assert_int_equal(json_object_array_length(v), 2);
	assert_string_equal(json_object_get_string(json_object_object_get(
		json_object_array_get_idx(v, 1), "name")), "5040000.iommu");
	assert_true(json_object_object_get_ex(o, "model", &v));
	assert_string_equal(json_object_get_string(v), "Board \"Q\"");
	assert_true(json_object_object_get_ex(o, "tbus", &v));
	assert_int_equal(json_object_array_length(v), 3);
	tb = json_object_array_get_idx(v, 0);
	assert_string_equal(json_object_get_string(json_object_object_get(tb, "name")),
			    "gpu_tbu0");
	assert_string_equal(json_object_get_string(json_object_object_get(tb, "smmu")),
			    "5040000.iommu");
	a = json_object_object_get(tb, "sids");
	assert_int_equal(json_object_array_length(a), 2);
	assert_int_equal(json_object_get_int(json_object_object_get(
		json_object_array_get_idx(a, 0), "last")), 0x3ff);
	assert_int_equal(json_object_get_int(json_object_object_get(
		json_object_array_get_idx(a, 1), "first")), 0x800);
	a = json_object_object_get(tb, "gates");
	assert_int_equal(json_object_array_length(a), 3);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(a, 2)),
			    "rpm:3d00000.gpu");
	assert_string_equal(json_object_get_string(json_object_object_get(tb, "origin")),
			    "board b.ini:3");
	assert_true(json_object_object_get_ex(o, "notes", &v));
	assert_int_equal(json_object_array_length(v), 1);
	json_object_put(o);
	free(out);
	topology__free(&t);
}

static void test_empty_model_prints(void **state)
{
	struct topology t;
	char *out;
	struct json_object *o;

	topology__init(&t);
	out = print(&t, false);
	assert_string_equal(out, "SMMUs: 0\nTBUs: 0\n");
	free(out);
	out = print(&t, true);
	o = json_tokener_parse(out);
	assert_non_null(o);
	assert_int_equal(json_object_array_length(json_object_object_get(o, "tbus")), 0);
	json_object_put(o);
	free(out);
	topology__free(&t);
}

static void test_write_error_is_reported(void **state)
{
	struct topology t;
	FILE *f = fopen("/dev/full", "w");

	if (!f)
		skip();
	load(&t);
	setvbuf(f, NULL, _IONBF, 0);
	assert_int_equal(topology__print(&t, f, false), -EIO);
	fclose(f);
	topology__free(&t);
}

static void test_free_twice_and_free_of_empty_are_safe(void **state)
{
	struct topology t;

	topology__init(&t);
	topology__free(&t);
	load(&t);
	topology__free(&t);
	assert_null(t.tbus);
	assert_int_equal(t.ntbus, 0);
	topology__free(&t);
	topology__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_by_name),
		cmocka_unit_test(test_sid_match_is_inclusive_and_masked_to_16_bits),
		cmocka_unit_test(test_gate_kind_names_are_board_file_spelling),
		cmocka_unit_test(test_text_shows_smmus_tbus_ranges_gates_origins),
		cmocka_unit_test(test_overlapping_sids_of_one_smmu_get_a_note),
		cmocka_unit_test(test_unresolved_notes_are_printed),
		cmocka_unit_test(test_json_is_one_object_with_everything),
		cmocka_unit_test(test_empty_model_prints),
		cmocka_unit_test(test_write_error_is_reported),
		cmocka_unit_test(test_free_twice_and_free_of_empty_are_safe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
