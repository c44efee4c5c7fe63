// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Board files (SPEC §4): what parses, what it means, and that every kind of
 * mistake is reported as "FILE:LINE: field: problem" on the right line.
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
#include <unistd.h>
#include <cmocka.h>
#include "board.h"
#include "topology.h"

static char err[1024];

static int load(struct topology *t, const char *text)
{
	err[0] = '\0';
	return board__load_text(t, text, "b.ini", err, sizeof(err));
}

/*
 * TEXT must fail with a message starting "b.ini:LINE: FIELD: " and
 * containing WHAT; the model must be left untouched.
 */
static void expect_error(const char *text, int line, const char *field, const char *what)
{
	struct topology t;
	char prefix[128];

	topology__init(&t);
	assert_int_equal(load(&t, text), -EINVAL);
	snprintf(prefix, sizeof(prefix), "b.ini:%d: %s: ", line, field);
	if (strncmp(err, prefix, strlen(prefix)) || !strstr(err, what))
		fail_msg("for:\n%s\nwanted '%s...%s', got '%s'", text, prefix, what, err);
	assert_int_equal(t.ntbus, 0);
	assert_int_equal(t.nsmmus, 0);
	assert_null(t.board_text);
	topology__free(&t);
}

static const struct topo_tbu *tbu(const struct topology *t, const char *name)
{
	int i = topology__find_tbu(t, name);

	if (i < 0)
		fail_msg("no TBU %s", name);
	return &t->tbus[i];
}

static void test_spec_example_parses_with_ranges_and_gates(void **state)
{
	struct topology t;
	const struct topo_tbu *b;

	topology__init(&t);
	assert_int_equal(load(&t,
		"[smmu 15000000.iommu]\n"
		"[tbu gpu_tbu0]\n"
		"smmu  = 15000000.iommu        ; optional when the board has one SMMU\n"
		"sids  = 0x0-0x3ff, 0x800      ; stream IDs routed through this TBU\n"
		"gates = clk:gpu_cc_ahb_clk, pd:gpu_cx_gdsc, rpm:3d00000.gpu\n"), 0);
	assert_int_equal(t.nsmmus, 1);
	assert_string_equal(t.smmus[0].name, "15000000.iommu");
	assert_string_equal(t.smmus[0].origin, "board b.ini:1");
	assert_int_equal(t.ntbus, 1);
	b = tbu(&t, "gpu_tbu0");
	assert_string_equal(b->smmu, "15000000.iommu");
	assert_int_equal(b->nsids, 2);
	assert_int_equal(b->sids[0].first, 0);
	assert_int_equal(b->sids[0].last, 0x3ff);
	assert_int_equal(b->sids[1].first, 0x800);
	assert_int_equal(b->sids[1].last, 0x800);
	assert_int_equal(b->ngates, 3);
	assert_int_equal(b->gates[0].kind, GATE_CLK);
	assert_string_equal(b->gates[0].name, "gpu_cc_ahb_clk");
	assert_int_equal(b->gates[1].kind, GATE_PD);
	assert_string_equal(b->gates[1].name, "gpu_cx_gdsc");
	assert_int_equal(b->gates[2].kind, GATE_RPM);
	assert_string_equal(b->gates[2].name, "3d00000.gpu");
	assert_string_equal(b->origin, "board b.ini:2");
	assert_non_null(t.board_text);
	assert_non_null(strstr(t.board_text, "gpu_cc_ahb_clk"));
	topology__free(&t);
}

static void test_comments_whitespace_crlf_and_decimal(void **state)
{
	struct topology t;
	const struct topo_tbu *b;

	topology__init(&t);
	assert_int_equal(load(&t,
		"\xef\xbb\xbf# leading comment\r\n"
		"   ; indented comment\r\n"
		"\r\n"
		"  [ tbu   t0 ]   # trailing\r\n"
		"\tsids=10 - 20,0X1f\t;x\r\n"
		"gates = clk:a#b , pd:c;d\r\n"), 0);
	b = tbu(&t, "t0");
	assert_int_equal(b->nsids, 2);
	assert_int_equal(b->sids[0].first, 10);
	assert_int_equal(b->sids[0].last, 20);
	assert_int_equal(b->sids[1].first, 0x1f);
	/* '#' and ';' not after whitespace belong to the value */
	assert_int_equal(b->ngates, 2);
	assert_string_equal(b->gates[0].name, "a#b");
	assert_string_equal(b->gates[1].name, "c;d");
	assert_string_equal(b->smmu, "");
	topology__free(&t);
}

static void test_line_longer_than_inih_limit_is_read_whole(void **state)
{
	struct topology t;
	char *text = malloc(64 * 1024);
	size_t n;

	n = (size_t)sprintf(text, "[tbu wide]\nsids = ");
	for (int i = 0; i < 3000; i++)
		n += (size_t)sprintf(text + n, "%s0x%x", i ? ", " : "", 2 * i);
	sprintf(text + n, "\ngates = pd:x\n");
	topology__init(&t);
	assert_int_equal(load(&t, text), 0);
	assert_int_equal(tbu(&t, "wide")->nsids, 3000);
	assert_int_equal(tbu(&t, "wide")->sids[2999].first, 2 * 2999);
	assert_int_equal(tbu(&t, "wide")->ngates, 1);
	topology__free(&t);
	free(text);
}

static void test_only_smmu_is_filled_in_when_tbu_omits_it(void **state)
{
	struct topology t;

	topology__init(&t);
	assert_int_equal(load(&t, "[tbu a]\nsids = 1\n[smmu 15000000.iommu]\n"), 0);
	assert_string_equal(tbu(&t, "a")->smmu, "15000000.iommu");
	topology__free(&t);
}

static void test_undeclared_smmus_named_by_tbus_become_smmus(void **state)
{
	struct topology t;

	topology__init(&t);
	assert_int_equal(load(&t, "[tbu a]\nsmmu = s1\nsids = 1\n[tbu b]\nsids = 2\n"), 0);
	assert_int_equal(t.nsmmus, 1);
	assert_string_equal(t.smmus[0].name, "s1");
	assert_string_equal(t.smmus[0].origin, "board b.ini:2");
	assert_string_equal(tbu(&t, "b")->smmu, "s1");
	topology__free(&t);
}

static void test_board_tbu_replaces_same_name_and_adds_others(void **state)
{
	struct topology t;

	topology__init(&t);
	assert_int_equal(load(&t, "[tbu a]\nsids = 1-2\ngates = clk:x\n[tbu b]\nsids = 3\n"), 0);
	assert_int_equal(load(&t, "[tbu a]\nsids = 7\n[tbu c]\nsids = 9\n"), 0);
	assert_int_equal(t.ntbus, 3);
	assert_int_equal(tbu(&t, "a")->nsids, 1);
	assert_int_equal(tbu(&t, "a")->sids[0].first, 7);
	assert_int_equal(tbu(&t, "a")->ngates, 0);	/* replaced wholly, not merged */
	assert_string_equal(tbu(&t, "a")->origin, "board b.ini:1");
	assert_int_equal(tbu(&t, "b")->sids[0].first, 3);
	assert_int_equal(tbu(&t, "c")->sids[0].first, 9);
	topology__free(&t);
}

static void test_failed_load_leaves_model_unchanged(void **state)
{
	struct topology t;

	topology__init(&t);
	assert_int_equal(load(&t, "[tbu a]\nsids = 1\n"), 0);
	assert_int_equal(load(&t, "[tbu a]\nsids = 5\n[tbu b]\nsids = zz\n"), -EINVAL);
	assert_int_equal(t.ntbus, 1);
	assert_int_equal(tbu(&t, "a")->sids[0].first, 1);
	assert_non_null(strstr(t.board_text, "sids = 1"));
	topology__free(&t);
}

static void test_duplicate_gates_are_kept_once(void **state)
{
	struct topology t;

	topology__init(&t);
	assert_int_equal(load(&t, "[tbu a]\nsids = 1\ngates = clk:x, clk:x, pd:x\n"), 0);
	assert_int_equal(tbu(&t, "a")->ngates, 2);
	topology__free(&t);
}

/* SPEC §4: the SMMU's own suspended state comes from its gates = or rpm:NAME */
static void test_smmu_gates_default_to_own_runtime_pm(void **state)
{
	struct topology t;

	topology__init(&t);
	assert_int_equal(load(&t, "[smmu a.iommu]\n[smmu b.iommu]\n"
				  "gates = clk:tcu_clk, rpm:vdev, clk:tcu_clk\n"), 0);
	assert_int_equal(t.nsmmus, 2);
	assert_false(t.smmus[0].gates_given);
	assert_int_equal(t.smmus[0].ngates, 1);
	assert_int_equal(t.smmus[0].gates[0].kind, GATE_RPM);
	assert_string_equal(t.smmus[0].gates[0].name, "a.iommu");
	assert_true(t.smmus[1].gates_given);
	assert_int_equal(t.smmus[1].ngates, 2);	/* the duplicate is kept once */
	assert_int_equal(t.smmus[1].gates[0].kind, GATE_CLK);
	assert_string_equal(t.smmus[1].gates[0].name, "tcu_clk");
	assert_int_equal(t.smmus[1].gates[1].kind, GATE_RPM);
	assert_string_equal(t.smmus[1].gates[1].name, "vdev");
	/* a later board file's gates = replaces those of an SMMU already known */
	assert_int_equal(load(&t, "[smmu a.iommu]\ngates = pd:tcu_gdsc\n"), 0);
	assert_int_equal(t.nsmmus, 2);
	assert_true(t.smmus[0].gates_given);
	assert_int_equal(t.smmus[0].ngates, 1);
	assert_int_equal(t.smmus[0].gates[0].kind, GATE_PD);
	topology__free(&t);
}

static void test_smmu_gate_errors(void **state)
{
	expect_error("[smmu s]\ngates = rpm:a\ngates = rpm:b\n", 3, "gates", "given twice");
	expect_error("[smmu s]\ngates =\n", 2, "gates", "empty value");
	expect_error("[smmu s]\ngates = gdsc:x\n", 2, "gates", "unknown gate kind 'gdsc:'");
	expect_error("[smmu s]\ngates = a,b,c,d,e,f,g,h,i\n", 2, "gates", "has no kind");
	expect_error("[smmu s]\ngates = rpm:a, rpm:b, rpm:c, rpm:d, rpm:e, rpm:f, rpm:g, "
		     "rpm:h, rpm:i\n", 2, "gates", "more than 8 gates in one SMMU");
}

/* issue 11: an empty board judged nothing without a word; now it is bad input */
static void test_empty_file_is_refused(void **state)
{
	struct topology t;

	topology__init(&t);
	assert_int_equal(board__load_text(&t, "", "b.ini", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "b.ini: no [tbu NAME] or [smmu NAME] section: the board file "
			    "describes nothing (see 'Board file' in smmutrace(8))");
	assert_int_equal(board__load_text(&t, "; nothing\n\n", "b.ini", err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(t.ntbus, 0);
	topology__free(&t);
}

static void test_errors_name_line_and_field(void **state)
{
	expect_error("[tbu a]\nsids = 1\n[regulator x]\n", 3, "section",
		     "unknown section kind 'regulator'");
	expect_error("\n[tbu]\n", 2, "section", "[tbu] has no name");
	expect_error("[smmu ]\n", 1, "section", "[smmu] has no name");
	expect_error("[tbu a b]\n", 1, "section", "no spaces");
	expect_error("[tbu a\n", 1, "section", "no closing ']'");
	expect_error("[tbu a]\nsids = 1\n[tbu a]\nsids = 2\n", 3, "section",
		     "declared twice (first at line 1)");
	expect_error("[smmu s]\n[smmu s]\n", 2, "section", "declared twice");
	expect_error("; c\nsids = 1\n[tbu a]\n", 2, "sids", "outside a section");
	expect_error("[tbu a]\nsids = 1\nclocks = x\n", 3, "clocks",
		     "valid keys are smmu, sids, gates");
	expect_error("[smmu s]\nsids = 1\n", 2, "sids", "the only key is gates");
	expect_error("[tbu a]\nsids =\n", 2, "sids", "empty value");
	expect_error("[tbu a]\nsids = 1\ngates = ;x\n", 3, "gates", "empty value");
	expect_error("[tbu a]\nsmmu = \nsids = 1\n", 2, "smmu", "empty value");
	expect_error("[tbu a]\nsids = 1\nsids = 2\n", 3, "sids", "given twice");
	expect_error("[tbu a]\nsmmu = s]\nsids = 1\n", 2, "smmu", "is not an SMMU name");
	expect_error("[tbu a]\nsmmu = s t\nsids = 1\n", 2, "smmu", "is not an SMMU name");
	expect_error("[tbu a]\nsmmu =#s\nsids = 1\n", 2, "smmu", "is not an SMMU name");
	expect_error("[tbu a]\njust words\n", 2, "line", "neither a [section] nor key = value");
	expect_error("[tbu a]\n= 5\n", 2, "line", "has no key");
}

static void test_sid_errors(void **state)
{
	expect_error("[tbu a]\nsids = 0x0-0x10000\n", 2, "sids", "0x10000 is above 0xffff");
	expect_error("[tbu a]\nsids = 65536\n", 2, "sids", "65536 is above 0xffff");
	/* quoted as written, not saturated to 0xffffffff (issue 11) */
	expect_error("[tbu a]\nsids = 0x0-0xffffffffffffffffff\n", 2, "sids",
		     "0xffffffffffffffffff is above 0xffff");
	expect_error("[tbu a]\nsids = 99999999999999999999\n", 2, "sids", "above 0xffff");
	expect_error("[tbu a]\nsids = 0x20-0x10\n", 2, "sids", "range 0x20-0x10 is reversed");
	expect_error("[tbu a]\nsids = 1, zz\n", 2, "sids", "'zz' is not a SID");
	expect_error("[tbu a]\nsids = 0x\n", 2, "sids", "not a SID");
	expect_error("[tbu a]\nsids = -5\n", 2, "sids", "not a SID");
	expect_error("[tbu a]\nsids = 1-\n", 2, "sids", "'1-' is not a SID");
	expect_error("[tbu a]\nsids = 1-2-3\n", 2, "sids", "not a SID");
	expect_error("[tbu a]\nsids = 1,,2\n", 2, "sids", "empty item");
	expect_error("[tbu a]\nsids = 1,\n", 2, "sids", "empty item");
	expect_error("[tbu a]\nsids = 1, ,2\n", 2, "sids", "empty item");
}

static void test_gate_errors(void **state)
{
	expect_error("[tbu a]\nsids = 1\ngates = regulator:vdd\n", 3, "gates",
		     "unknown gate kind 'regulator:': use clk:NAME (clock), pd:NAME");
	expect_error("[tbu a]\nsids = 1\ngates = gpu_cc_ahb_clk\n", 3, "gates", "has no kind");
	expect_error("[tbu a]\nsids = 1\ngates = clk:\n", 3, "gates", "'clk:' has no name");
	expect_error("[tbu a]\nsids = 1\ngates = pd:a b\n", 3, "gates", "contains whitespace");
	expect_error("[tbu a]\nsids = 1\ngates = clk:a,,pd:b\n", 3, "gates", "empty item");
	expect_error("[tbu a]\nsids = 1\ngates = clk:"
		     "0123456789012345678901234567890123456789012345678901234567890123\n",
		     3, "gates", "longer than 63 bytes");
}

static void test_tbu_without_sids_is_reported_at_its_header(void **state)
{
	expect_error("[smmu s]\n\n[tbu a]\ngates = clk:x\n[tbu b]\nsids = 1\n", 3, "section",
		     "[tbu a] has no sids");
	expect_error("[tbu last]\n", 1, "section", "[tbu last] has no sids");
}

static void test_smmu_reference_errors(void **state)
{
	struct topology t;

	expect_error("[smmu 15000000.iommu]\n[tbu a]\nsmmu = 1500000.iommu\nsids = 1\n", 3,
		     "smmu", "'1500000.iommu' is not declared (known: 15000000.iommu)");
	expect_error("[smmu s1]\n[smmu s2]\n[tbu a]\nsids = 1\n", 3, "section",
		     "no smmu = and the board has several SMMUs (s1, s2)");
	expect_error("[tbu a]\nsmmu = s1\nsids = 1\n[tbu b]\nsmmu = s2\nsids = 2\n"
		     "[tbu c]\nsids = 3\n", 7, "section", "several SMMUs");

	/* SMMUs known from the device tree count as declared */
	topology__init(&t);
	assert_int_equal(load(&t, "[smmu dt1]\n[smmu dt2]\n"), 0);
	assert_int_equal(load(&t, "[tbu a]\nsmmu = dt2\nsids = 1\n"), 0);
	assert_int_equal(load(&t, "[tbu b]\nsmmu = nope\nsids = 1\n"), -EINVAL);
	assert_non_null(strstr(err, "b.ini:2: smmu: 'nope' is not declared (known: dt1, dt2)"));
	assert_int_equal(load(&t, "[tbu c]\nsids = 1\n"), -EINVAL);
	assert_non_null(strstr(err, "b.ini:1: section: [tbu c] has no smmu ="));
	/* replacing a TBU that has an SMMU: smmu = may be left out */
	assert_int_equal(load(&t, "[tbu a]\nsids = 5\n"), 0);
	assert_string_equal(tbu(&t, "a")->smmu, "dt2");
	assert_int_equal(tbu(&t, "a")->sids[0].first, 5);
	topology__free(&t);
}

static void test_limits(void **state)
{
	size_t cap = 8 << 20, n = 0;
	char *text = malloc(cap);

	/* 4096 ranges per TBU */
	n = (size_t)sprintf(text, "[tbu a]\nsids = ");
	for (int i = 0; i < 4097; i++)
		n += (size_t)sprintf(text + n, "%s%d", i ? "," : "", i);
	sprintf(text + n, "\n");
	expect_error(text, 2, "sids", "more than 4096 ranges");

	/* 64 gates per TBU */
	n = (size_t)sprintf(text, "[tbu a]\nsids = 1\ngates = ");
	for (int i = 0; i < 65; i++)
		n += (size_t)sprintf(text + n, "%sclk:c%d", i ? "," : "", i);
	sprintf(text + n, "\n");
	expect_error(text, 3, "gates", "more than 64 gates");

	/* 1024 TBUs: the 1025th header is the error */
	n = 0;
	for (int i = 0; i < 1025; i++)
		n += (size_t)sprintf(text + n, "[tbu t%d]\nsids = %d\n", i, i);
	expect_error(text, 2 * 1024 + 1, "section", "more than 1024 TBUs");
	free(text);
}

static void test_names_too_long(void **state)
{
	expect_error("[tbu 0123456789012345678901234567890123456789012345678901234567890123]\n",
		     1, "section", "longer than 63 bytes");
	expect_error("[tbu a]\nsmmu = 0123456789012345678901234567890123456789012345678901234567890123\n",
		     2, "smmu", "longer than 63 bytes");
}

static void test_file_with_nul_byte_is_rejected_with_its_line(void **state)
{
	char path[] = "/tmp/smt-board-XXXXXX";
	struct topology t;
	int fd = mkstemp(path);
	static const char data[] = "[tbu a]\nsids = 1\ngates = clk:a\0b\n";

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, sizeof(data) - 1), (ssize_t)(sizeof(data) - 1));
	close(fd);
	topology__init(&t);
	assert_int_equal(board__load(&t, path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":3: file: contains a NUL byte"));
	assert_int_equal(strncmp(err, path, strlen(path)), 0);
	topology__free(&t);
	unlink(path);
}

static void test_load_from_file_keeps_text_and_names_file(void **state)
{
	char path[] = "/tmp/smt-board-XXXXXX";
	struct topology t;
	int fd = mkstemp(path);
	static const char data[] = "[tbu a]\nsids = 1\n[tbu b]\nsids = 0x10000\n";
	char want[256];

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, 17), 17);	/* first TBU only */
	close(fd);
	topology__init(&t);
	assert_int_equal(board__load(&t, path, err, sizeof(err)), 0);
	assert_string_equal(t.board_text, "[tbu a]\nsids = 1\n");
	snprintf(want, sizeof(want), "board %s:1", path);
	assert_string_equal(tbu(&t, "a")->origin, want);

	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, data, sizeof(data) - 1), (ssize_t)(sizeof(data) - 1));
	close(fd);
	assert_int_equal(board__load(&t, path, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:4: sids: 0x10000 is above 0xffff", path);
	assert_non_null(strstr(err, want));
	topology__free(&t);
	unlink(path);
}

static void test_missing_file_says_what_to_do(void **state)
{
	struct topology t;

	topology__init(&t);
	assert_int_equal(board__load(&t, "/nonexistent/board.ini", err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/board.ini: No such file or directory"));
	topology__free(&t);
}

static void test_format_round_trips_the_model(void **state)
{
	struct topology a, b;
	char *text;

	topology__init(&a);
	topology__init(&b);
	assert_int_equal(load(&a, "[smmu s1]\ngates = rpm:vdev, clk:tcu\n[smmu s2]\n"
			      "[tbu x]\nsmmu = s2\nsids = 0x0-0x3ff, 7, 0xffff\n"
			      "gates = clk:c1, pd:p1, rpm:3d00000.gpu\n"
			      "[tbu y]\nsmmu = s1\nsids = 0x400\n"), 0);
	assert_int_equal(board__format(&a, &text), 0);
	assert_non_null(strstr(text, "[tbu x] ; board b.ini:4\n"));
	assert_int_equal(board__load_text(&b, text, "fmt", err, sizeof(err)), 0);
	assert_int_equal(b.nsmmus, 2);
	assert_string_equal(b.smmus[1].name, "s2");
	for (int i = 0; i < 2; i++) {
		assert_int_equal(a.smmus[i].gates_given, b.smmus[i].gates_given);
		assert_int_equal(a.smmus[i].ngates, b.smmus[i].ngates);
		assert_memory_equal(a.smmus[i].gates, b.smmus[i].gates,
				    sizeof(a.smmus[i].gates[0]) * (size_t)a.smmus[i].ngates);
	}
	assert_true(b.smmus[0].gates_given);
	assert_int_equal(b.smmus[0].ngates, 2);
	assert_false(b.smmus[1].gates_given);
	assert_int_equal(b.ntbus, 2);
	for (int i = 0; i < 2; i++) {
		const struct topo_tbu *p = &a.tbus[i], *q = &b.tbus[i];

		assert_string_equal(p->name, q->name);
		assert_string_equal(p->smmu, q->smmu);
		assert_int_equal(p->nsids, q->nsids);
		assert_memory_equal(p->sids, q->sids, sizeof(*p->sids) * (size_t)p->nsids);
		assert_int_equal(p->ngates, q->ngates);
		if (p->ngates)
			assert_memory_equal(p->gates, q->gates,
					    sizeof(*p->gates) * (size_t)p->ngates);
	}
	free(text);
	topology__free(&a);
	topology__free(&b);
}

static void test_format_comments_cannot_break_lines(void **state)
{
	struct topology a, b;
	char *text;

	topology__init(&a);
	topology__init(&b);
	assert_int_equal(board__load_text(&a, "[tbu x]\nsids = 1\n", "evil\n[tbu y]", err,
					  sizeof(err)), 0);
	assert_int_equal(board__format(&a, &text), 0);
	assert_int_equal(board__load_text(&b, text, "fmt", err, sizeof(err)), 0);
	assert_int_equal(b.ntbus, 1);
	free(text);
	topology__free(&a);
	topology__free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_example_parses_with_ranges_and_gates),
		cmocka_unit_test(test_comments_whitespace_crlf_and_decimal),
		cmocka_unit_test(test_line_longer_than_inih_limit_is_read_whole),
		cmocka_unit_test(test_only_smmu_is_filled_in_when_tbu_omits_it),
		cmocka_unit_test(test_undeclared_smmus_named_by_tbus_become_smmus),
		cmocka_unit_test(test_board_tbu_replaces_same_name_and_adds_others),
		cmocka_unit_test(test_failed_load_leaves_model_unchanged),
		cmocka_unit_test(test_duplicate_gates_are_kept_once),
		cmocka_unit_test(test_smmu_gates_default_to_own_runtime_pm),
		cmocka_unit_test(test_smmu_gate_errors),
		cmocka_unit_test(test_empty_file_is_refused),
		cmocka_unit_test(test_errors_name_line_and_field),
		cmocka_unit_test(test_sid_errors),
		cmocka_unit_test(test_gate_errors),
		cmocka_unit_test(test_tbu_without_sids_is_reported_at_its_header),
		cmocka_unit_test(test_smmu_reference_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_names_too_long),
		cmocka_unit_test(test_file_with_nul_byte_is_rejected_with_its_line),
		cmocka_unit_test(test_load_from_file_keeps_text_and_names_file),
		cmocka_unit_test(test_missing_file_says_what_to_do),
		cmocka_unit_test(test_format_round_trips_the_model),
		cmocka_unit_test(test_format_comments_cannot_break_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
