// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* JSONL reader and writer (SPEC §3): every type, every error class, round trips. */
#include <errno.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <dirent.h>
#include "event.h"
#include "jsonl.h"

#define NAME "t.jsonl"

/* A reader over an in-memory stream (bytes may hold NULs). */
struct rd {
	FILE *f;
	struct jsonl_reader *r;
	char *copy;
};

static void rd_open_n(struct rd *rd, const char *text, size_t n)
{
	rd->copy = malloc(n + 1);
	assert_non_null(rd->copy);
	memcpy(rd->copy, text, n);
	rd->f = n ? fmemopen(rd->copy, n, "r") : fopen("/dev/null", "r");
	assert_non_null(rd->f);
	rd->r = jsonl_reader__new(rd->f, NAME);
	assert_non_null(rd->r);
}

static void rd_open(struct rd *rd, const char *text)
{
	rd_open_n(rd, text, strlen(text));
}

static void rd_close(struct rd *rd)
{
	jsonl_reader__free(rd->r);
	fclose(rd->f);
	free(rd->copy);
}

/* Parse exactly one event from LINE; fails the test otherwise. */
static void parse_ok(const char *line, struct smt_event *ev)
{
	struct rd rd;
	struct smt_event next;
	int rc;

	rd_open(&rd, line);
	rc = jsonl_reader__next(rd.r, ev);
	if (rc != 1)
		fail_msg("parsing %s: rc %d: %s", line, rc, jsonl_reader__error(rd.r));
	assert_int_equal(jsonl_reader__next(rd.r, &next), 0);
	rd_close(&rd);
}

/*
 * TEXT must fail with -EINVAL at some point; the message must contain WANT
 * (which starts with "t.jsonl:LINE: field:" in the tests below).
 */
static void parse_fails_n(const char *text, size_t n, int want_rc, const char *want)
{
	struct rd rd;
	struct smt_event ev;
	int rc;

	rd_open_n(&rd, text, n);
	while ((rc = jsonl_reader__next(rd.r, &ev)) == 1)
		;
	if (rc != want_rc)
		fail_msg("want rc %d, got %d (%s) for %.200s", want_rc, rc,
			 jsonl_reader__error(rd.r), text);
	if (!strstr(jsonl_reader__error(rd.r), want))
		fail_msg("message \"%s\" lacks \"%s\"", jsonl_reader__error(rd.r), want);
	/* errors are sticky: the stream does not go on silently */
	assert_int_equal(jsonl_reader__next(rd.r, &ev), want_rc);
	rd_close(&rd);
}

static void parse_fails(const char *text, const char *want)
{
	parse_fails_n(text, strlen(text), -EINVAL, want);
}

/* ---- every type, all fields and required fields only ------------------------ */

static void test_meta_reads_all_fields_and_keeps_free_form_ones(void **state)
{
	struct rd rd;
	struct smt_event ev;

	rd_open(&rd, "{\"ev\":\"meta\",\"ts\":0,\"kernel\":\"6.6.0-rc1\",\"strict\":false,"
		     "\"arch\":\"arm64\",\"since_boot\":true,\"board\":\"sm8250\","
		     "\"hooks\":{\"map\":\"fentry\",\"n\":[1,2.5,null]},\"cpu\":3}\n"
		     "{\"ev\":\"lost\",\"ts\":1,\"count\":2}\n"
		     "{\"ev\":\"meta\",\"ts\":2}\n");
	assert_int_equal(jsonl_reader__next(rd.r, &ev), 1);
	assert_int_equal(ev.type, SMT_EV_META);
	assert_string_equal(ev.name, "6.6.0-rc1");
	assert_string_equal(ev.smmu, "arm64");
	assert_int_equal(ev.strict, 0);
	assert_int_equal(ev.since_boot, 1);
	assert_int_equal(ev.cpu, 3);
	assert_int_equal(ev.present, SMT_HAS_NAME | SMT_HAS_ARCH | SMT_HAS_STRICT |
				     SMT_HAS_SINCE_BOOT | SMT_HAS_CPU);
	assert_string_equal(jsonl_reader__meta_extra(rd.r),
			    "{\"board\":\"sm8250\",\"hooks\":{\"map\":\"fentry\",\"n\":[1,2.5,null]}}");
	/* kept until the next meta event */
	assert_int_equal(jsonl_reader__next(rd.r, &ev), 1);
	assert_non_null(jsonl_reader__meta_extra(rd.r));
	assert_int_equal(jsonl_reader__next(rd.r, &ev), 1);
	assert_int_equal(ev.type, SMT_EV_META);
	assert_int_equal(ev.present, 0);
	assert_null(jsonl_reader__meta_extra(rd.r));
	rd_close(&rd);
}

static void test_attach_reads_all_and_required_fields(void **state)
{
	struct smt_event ev;

	parse_ok("{\"ev\":\"attach\",\"ts\":10,\"domain\":\"0xffff000012340000\",\"dev\":\"a640\","
		 "\"smmu\":\"3da0000.iommu\",\"sids\":[0,1024,4294967295],\"pid\":7,"
		 "\"comm\":\"modprobe\"}", &ev);
	assert_int_equal(ev.type, SMT_EV_ATTACH);
	assert_int_equal(ev.ts, 10);
	assert_true(ev.domain == 0xffff000012340000ull);
	assert_string_equal(ev.name, "a640");
	assert_string_equal(ev.smmu, "3da0000.iommu");
	assert_int_equal(ev.nsids, 3);
	assert_int_equal(ev.sids[1], 1024);
	assert_true(ev.sids[2] == 4294967295u);
	assert_int_equal(ev.pid, 7);
	assert_string_equal(ev.comm, "modprobe");
	assert_int_equal(ev.present, SMT_HAS_DOMAIN | SMT_HAS_NAME | SMT_HAS_SMMU | SMT_HAS_SIDS |
				     SMT_HAS_PID | SMT_HAS_COMM);

	parse_ok("{\"ev\":\"attach\",\"ts\":10,\"domain\":5,\"dev\":\"d\",\"sids\":[]}", &ev);
	assert_int_equal(ev.domain, 5);
	assert_int_equal(ev.nsids, 0);
	assert_int_equal(ev.present, SMT_HAS_DOMAIN | SMT_HAS_NAME | SMT_HAS_SIDS);
}

static void test_detach_domain_free_flush_all_read_their_fields(void **state)
{
	struct smt_event ev;

	parse_ok("{\"ev\":\"detach\",\"ts\":1,\"domain\":\"0x10\",\"dev\":\"gpu\",\"cpu\":0}", &ev);
	assert_int_equal(ev.type, SMT_EV_DETACH);
	assert_int_equal(ev.domain, 16);
	assert_string_equal(ev.name, "gpu");
	assert_int_equal(ev.present, SMT_HAS_DOMAIN | SMT_HAS_NAME | SMT_HAS_CPU);

	parse_ok("{\"ev\":\"domain_free\",\"ts\":1,\"domain\":\"0X1f\"}", &ev);
	assert_int_equal(ev.type, SMT_EV_DOMAIN_FREE);
	assert_int_equal(ev.domain, 31);
	assert_int_equal(ev.present, SMT_HAS_DOMAIN);

	parse_ok("{\"ev\":\"flush_all\",\"ts\":1,\"domain\":\"0xABCdef\"}", &ev);
	assert_int_equal(ev.type, SMT_EV_FLUSH_ALL);
	assert_int_equal(ev.domain, 0xabcdef);
}

static void test_map_reads_all_and_required_fields(void **state)
{
	struct smt_event ev;

	parse_ok("{\"ev\":\"map\",\"ts\":18446744073709551615,\"domain\":18446744073709551615,"
		 "\"iova\":\"0xfffff000\",\"size\":\"0x1000\",\"paddr\":\"0x880000000\",\"ret\":-12,"
		 "\"cpu\":2,\"pid\":100,\"comm\":\"123456789012345\",\"future_field\":[1,{}]}", &ev);
	assert_int_equal(ev.type, SMT_EV_MAP);
	assert_true(ev.ts == UINT64_MAX);
	assert_true(ev.domain == UINT64_MAX);
	assert_int_equal(ev.iova, 0xfffff000);
	assert_int_equal(ev.size, 0x1000);
	assert_true(ev.paddr == 0x880000000ull);
	assert_int_equal(ev.ret, -12);
	assert_int_equal(ev.cpu, 2);
	assert_int_equal(ev.pid, 100);
	assert_string_equal(ev.comm, "123456789012345");
	assert_int_equal(ev.present, SMT_HAS_DOMAIN | SMT_HAS_IOVA | SMT_HAS_SIZE | SMT_HAS_PADDR |
				     SMT_HAS_RET | SMT_HAS_CPU | SMT_HAS_PID | SMT_HAS_COMM);

	parse_ok("{\"ev\":\"map\",\"ts\":1,\"domain\":1,\"iova\":4096,\"size\":4096,\"ret\":0}", &ev);
	assert_int_equal(ev.size, 4096);
	assert_int_equal(ev.ret, 0);
	assert_int_equal(ev.present, SMT_HAS_DOMAIN | SMT_HAS_IOVA | SMT_HAS_SIZE | SMT_HAS_RET);
}

static void test_unmap_reads_bytes_and_negative_errors(void **state)
{
	struct smt_event ev;

	parse_ok("{\"ev\":\"unmap\",\"ts\":1,\"domain\":1,\"iova\":\"0xfffffffffffff000\","
		 "\"size\":4096,\"ret\":4096}", &ev);
	assert_int_equal(ev.type, SMT_EV_UNMAP);
	assert_true(ev.iova == 0xfffffffffffff000ull);
	assert_int_equal(ev.ret, 4096);
	assert_int_equal(ev.present, SMT_HAS_DOMAIN | SMT_HAS_IOVA | SMT_HAS_SIZE | SMT_HAS_RET);

	parse_ok("{\"ev\":\"unmap\",\"ts\":1,\"domain\":1,\"iova\":0,\"size\":1,\"ret\":-22}", &ev);
	assert_int_equal(ev.ret, -22);
	parse_ok("{\"ev\":\"unmap\",\"ts\":1,\"domain\":1,\"iova\":0,\"size\":1,"
		 "\"ret\":9223372036854775807}", &ev);
	assert_true(ev.ret == INT64_MAX);
}

static void test_tlbi_reads_each_scope(void **state)
{
	struct smt_event ev;

	parse_ok("{\"ev\":\"tlbi\",\"ts\":1,\"smmu\":\"apps\",\"domain\":\"0x1\",\"scope\":\"va\","
		 "\"iova\":\"0x2000\",\"size\":8192}", &ev);
	assert_int_equal(ev.type, SMT_EV_TLBI);
	assert_int_equal(ev.scope, SMT_TLBI_VA);
	assert_string_equal(ev.smmu, "apps");
	assert_int_equal(ev.iova, 0x2000);
	assert_int_equal(ev.size, 8192);
	assert_int_equal(ev.present, SMT_HAS_SMMU | SMT_HAS_DOMAIN | SMT_HAS_IOVA | SMT_HAS_SIZE);

	parse_ok("{\"ev\":\"tlbi\",\"ts\":1,\"domain\":\"0x1\",\"scope\":\"context\"}", &ev);
	assert_int_equal(ev.scope, SMT_TLBI_CONTEXT);
	assert_int_equal(ev.present, SMT_HAS_DOMAIN);

	parse_ok("{\"ev\":\"tlbi\",\"ts\":1,\"scope\":\"all\"}", &ev);
	assert_int_equal(ev.scope, SMT_TLBI_ALL);
	assert_int_equal(ev.present, 0);
}

static void test_sync_reads_each_scope(void **state)
{
	struct smt_event ev;

	parse_ok("{\"ev\":\"sync\",\"ts\":1,\"smmu\":\"apps\",\"domain\":\"0x1\",\"scope\":\"context\","
		 "\"dur\":1500,\"timeout\":true}", &ev);
	assert_int_equal(ev.type, SMT_EV_SYNC);
	assert_int_equal(ev.scope, SMT_SYNC_CONTEXT);
	assert_int_equal(ev.dur, 1500);
	assert_int_equal(ev.timeout, 1);
	assert_int_equal(ev.present, SMT_HAS_SMMU | SMT_HAS_DOMAIN | SMT_HAS_DUR | SMT_HAS_TIMEOUT);

	parse_ok("{\"ev\":\"sync\",\"ts\":1,\"scope\":\"global\",\"dur\":0}", &ev);
	assert_int_equal(ev.scope, SMT_SYNC_GLOBAL);
	assert_int_equal(ev.present, SMT_HAS_DUR);
}

static void test_smmu_reset_rpm_clk_pd_lost_read_their_fields(void **state)
{
	struct smt_event ev;

	parse_ok("{\"ev\":\"smmu_reset\",\"ts\":1,\"smmu\":\"3da0000.iommu\"}", &ev);
	assert_int_equal(ev.type, SMT_EV_SMMU_RESET);
	assert_string_equal(ev.smmu, "3da0000.iommu");
	assert_int_equal(ev.present, SMT_HAS_SMMU);

	parse_ok("{\"ev\":\"rpm\",\"ts\":1,\"dev\":\"3d00000.gpu\",\"state\":\"suspending\"}", &ev);
	assert_int_equal(ev.type, SMT_EV_RPM);
	assert_string_equal(ev.name, "3d00000.gpu");
	assert_int_equal(ev.state, SMT_RPM_SUSPENDING);
	assert_int_equal(ev.present, SMT_HAS_NAME);
	parse_ok("{\"ev\":\"rpm\",\"ts\":1,\"dev\":\"g\",\"state\":\"resuming\"}", &ev);
	assert_int_equal(ev.state, SMT_RPM_RESUMING);

	parse_ok("{\"ev\":\"clk\",\"ts\":1,\"clk\":\"gcc_gpu_memnoc_gfx_clk\",\"on\":false}", &ev);
	assert_int_equal(ev.type, SMT_EV_CLK);
	assert_string_equal(ev.name, "gcc_gpu_memnoc_gfx_clk");
	assert_int_equal(ev.on, 0);

	parse_ok("{\"ev\":\"pd\",\"ts\":1,\"pd\":\"gpu_cx_gdsc\",\"on\":true}", &ev);
	assert_int_equal(ev.type, SMT_EV_PD);
	assert_string_equal(ev.name, "gpu_cx_gdsc");
	assert_int_equal(ev.on, 1);

	parse_ok("{\"ev\":\"lost\",\"ts\":1,\"count\":18446744073709551615}", &ev);
	assert_int_equal(ev.type, SMT_EV_LOST);
	assert_true(ev.count == UINT64_MAX);
	assert_int_equal(ev.present, 0);
}

static void test_fault_reads_all_and_required_fields(void **state)
{
	struct smt_event ev;

	parse_ok("{\"ev\":\"fault\",\"ts\":1,\"smmu\":\"apps\",\"domain\":\"0x9\",\"dev\":\"venus\","
		 "\"iova\":\"0x1234000\",\"flags\":4294967295}", &ev);
	assert_int_equal(ev.type, SMT_EV_FAULT);
	assert_int_equal(ev.iova, 0x1234000);
	assert_true(ev.flags == UINT32_MAX);
	assert_string_equal(ev.name, "venus");
	assert_int_equal(ev.present, SMT_HAS_SMMU | SMT_HAS_DOMAIN | SMT_HAS_NAME | SMT_HAS_IOVA |
				     SMT_HAS_FLAGS);

	parse_ok("{\"ev\":\"fault\",\"ts\":1,\"iova\":0}", &ev);
	assert_int_equal(ev.present, SMT_HAS_IOVA);
}

/* ---- lines -------------------------------------------------------------------- */

static void test_blank_lines_crlf_bom_and_missing_final_newline_are_fine(void **state)
{
	struct rd rd;
	struct smt_event ev;

	rd_open(&rd, "\xef\xbb\xbf{\"ev\":\"lost\",\"ts\":1,\"count\":1}\r\n"
		     "\n   \t \r\n"
		     "{\"ev\":\"lost\",\"ts\":1,\"count\":2}\n"
		     "\n"
		     "  {\"ev\":\"lost\",\"ts\":5,\"count\":3}  ");
	assert_int_equal(jsonl_reader__next(rd.r, &ev), 1);
	assert_int_equal(jsonl_reader__line(rd.r), 1);
	assert_int_equal(jsonl_reader__next(rd.r, &ev), 1);
	assert_int_equal(ev.count, 2);
	assert_int_equal(jsonl_reader__line(rd.r), 4);
	assert_int_equal(jsonl_reader__next(rd.r, &ev), 1);
	assert_int_equal(ev.count, 3);
	assert_int_equal(jsonl_reader__line(rd.r), 6);
	assert_int_equal(jsonl_reader__next(rd.r, &ev), 0);
	assert_int_equal(jsonl_reader__next(rd.r, &ev), 0);
	rd_close(&rd);
}

static void test_empty_input_is_a_clean_end(void **state)
{
	struct rd rd;
	struct smt_event ev;

	rd_open(&rd, "");
	assert_int_equal(jsonl_reader__next(rd.r, &ev), 0);
	rd_close(&rd);
}

static void test_prepended_bytes_are_read_first(void **state)
{
	const char *all = "{\"ev\":\"lost\",\"ts\":1,\"count\":7}\n{\"ev\":\"lost\",\"ts\":2,\"count\":8}\n";
	struct rd rd;
	struct smt_event ev;

	/* the sniffer's 8 bytes end mid-line */
	rd_open(&rd, all + 8);
	assert_int_equal(jsonl_reader__prepend(rd.r, all, 8), 0);
	assert_int_equal(jsonl_reader__next(rd.r, &ev), 1);
	assert_int_equal(ev.count, 7);
	assert_int_equal(jsonl_reader__prepend(rd.r, "x", 1), -EBUSY);
	assert_int_equal(jsonl_reader__next(rd.r, &ev), 1);
	assert_int_equal(ev.count, 8);
	assert_int_equal(jsonl_reader__next(rd.r, &ev), 0);
	rd_close(&rd);
}

static char *line_of(size_t len, const char *head)
{
	char *s = malloc(len + 2);

	assert_non_null(s);
	memset(s, ' ', len);
	memcpy(s, head, strlen(head));
	s[len] = '\n';
	s[len + 1] = '\0';
	return s;
}

static void test_line_of_max_length_is_read_longer_is_an_error(void **state)
{
	const char *ev_text = "{\"ev\":\"lost\",\"ts\":1,\"count\":1}";
	struct smt_event ev;
	char *s;

	s = line_of(JSONL_MAX_LINE, ev_text);
	parse_ok(s, &ev);
	free(s);

	s = line_of(JSONL_MAX_LINE + 1, ev_text);
	parse_fails(s, "t.jsonl:1: line is longer than 1048576 bytes");
	free(s);
}

static void test_nul_byte_is_an_error(void **state)
{
	static const char text[] = "{\"ev\":\"lost\",\"ts\":1,\"count\":1}\n{\"ev\":\"lo\0st\"}\n";

	parse_fails_n(text, sizeof(text) - 1, -EINVAL, "t.jsonl:2: NUL byte at column 10");
}

static void test_invalid_utf8_is_an_error(void **state)
{
	parse_fails("{\"ev\":\"rpm\",\"ts\":1,\"dev\":\"g\xff\",\"state\":\"active\"}",
		    "t.jsonl:1: not valid UTF-8 at column 28 (byte 0xff)");
	/* json-c lets overlong forms and encoded surrogates through: we do not */
	parse_fails("{\"ev\":\"rpm\",\"ts\":1,\"dev\":\"\xc0\xaf\",\"state\":\"active\"}",
		    "t.jsonl:1: not valid UTF-8 at column 27");
	parse_fails("{\"ev\":\"rpm\",\"ts\":1,\"dev\":\"\xed\xa0\x80\",\"state\":\"active\"}",
		    "t.jsonl:1: not valid UTF-8");
}

static void test_syntax_errors_name_the_line(void **state)
{
	parse_fails("{\"ev\":\"lost\",\"ts\":1,\"count\":1}\n{\"ev\":\"lost\",\"ts\":1,\"count\":1,}\n",
		    "t.jsonl:2: not valid JSON at column");
	parse_fails("{\"ev\":\"lost\",\"ts\":1", "t.jsonl:1: not valid JSON: the line ends inside");
	parse_fails("[1,2]", "t.jsonl:1: expected a JSON object {...} on each line, got [1,2]");
	parse_fails("\"x\"", "t.jsonl:1: expected a JSON object");
}

static void test_trailing_garbage_is_an_error(void **state)
{
	parse_fails("{\"ev\":\"lost\",\"ts\":1,\"count\":1} x",
		    "t.jsonl:1: unexpected text after the JSON object at column 32");
	parse_fails("{\"ev\":\"lost\",\"ts\":1,\"count\":1}{\"ev\":\"lost\",\"ts\":1,\"count\":1}",
		    "t.jsonl:1: unexpected text after the JSON object at column 31");
}

static void test_read_error_is_eio(void **state)
{
	FILE *f = fopen("/", "r");	/* opens; reading fails with EISDIR */
	struct jsonl_reader *r;
	struct smt_event ev;

	assert_non_null(f);
	r = jsonl_reader__new(f, "dir");
	assert_int_equal(jsonl_reader__next(r, &ev), -EIO);
	assert_non_null(strstr(jsonl_reader__error(r), "dir:1: read error: Is a directory"));
	jsonl_reader__free(r);
	fclose(f);
}

/* ---- fields -------------------------------------------------------------------- */

static void test_ev_and_ts_are_required_and_checked(void **state)
{
	parse_fails("{\"ts\":1}", "t.jsonl:1: ev: missing");
	parse_fails("{\"ev\":null,\"ts\":1}", "t.jsonl:1: ev: missing");
	parse_fails("{\"ev\":5,\"ts\":1}", "t.jsonl:1: ev: expected the event type as a string, got 5");
	parse_fails("{\"ev\":\"bogus\",\"ts\":1}",
		    "t.jsonl:1: ev: unknown event type \"bogus\"; valid types: meta, attach, detach, "
		    "domain_free, map, unmap, tlbi, sync, flush_all, smmu_reset, rpm, clk, pd, fault, lost");
	parse_fails("{\"ev\":\"lost\",\"count\":1}", "t.jsonl:1: ts: missing");
	parse_fails("{\"ev\":\"lost\",\"ts\":-1,\"count\":1}",
		    "t.jsonl:1: ts: expected integer nanoseconds 0..18446744073709551615, got -1");
	parse_fails("{\"ev\":\"lost\",\"ts\":1.5,\"count\":1}", "t.jsonl:1: ts: expected integer");
	parse_fails("{\"ev\":\"lost\",\"ts\":1e3,\"count\":1}", "t.jsonl:1: ts: expected integer");
	parse_fails("{\"ev\":\"lost\",\"ts\":\"5\",\"count\":1}",
		    "t.jsonl:1: ts: expected integer nanoseconds 0..18446744073709551615, got \"5\"");
	parse_fails("{\"ev\":\"lost\",\"ts\":18446744073709551616,\"count\":1}",
		    "t.jsonl:1: ts: expected integer nanoseconds 0..18446744073709551615, got "
		    "18446744073709551616 (does not fit in 64 bits)");
}

static void test_out_of_order_ts_is_an_error_naming_both_lines(void **state)
{
	parse_fails("{\"ev\":\"lost\",\"ts\":200,\"count\":1}\n\n"
		    "{\"ev\":\"lost\",\"ts\":200,\"count\":1}\n"
		    "{\"ev\":\"lost\",\"ts\":100,\"count\":1}\n",
		    "t.jsonl:4: ts: 100 is before the previous event's 200 (line 3); "
		    "events must be in time order");
}

static void test_missing_required_fields_are_named(void **state)
{
	parse_fails("{\"ev\":\"map\",\"ts\":1,\"domain\":1,\"iova\":2,\"size\":3}",
		    "t.jsonl:1: ret: missing; a map event needs domain, iova, size and ret");
	/* null counts as missing */
	parse_fails("{\"ev\":\"map\",\"ts\":1,\"domain\":null,\"iova\":2,\"size\":3,\"ret\":0}",
		    "t.jsonl:1: domain: missing");
	parse_fails("{\"ev\":\"attach\",\"ts\":1,\"domain\":1,\"dev\":\"x\"}", "t.jsonl:1: sids: missing");
	parse_fails("{\"ev\":\"detach\",\"ts\":1,\"domain\":1}", "t.jsonl:1: dev: missing");
	parse_fails("{\"ev\":\"domain_free\",\"ts\":1}", "t.jsonl:1: domain: missing");
	parse_fails("{\"ev\":\"unmap\",\"ts\":1,\"domain\":1,\"size\":1,\"ret\":1}",
		    "t.jsonl:1: iova: missing");
	parse_fails("{\"ev\":\"tlbi\",\"ts\":1}", "t.jsonl:1: scope: missing");
	parse_fails("{\"ev\":\"sync\",\"ts\":1,\"scope\":\"global\"}", "t.jsonl:1: dur: missing");
	parse_fails("{\"ev\":\"flush_all\",\"ts\":1}", "t.jsonl:1: domain: missing");
	parse_fails("{\"ev\":\"smmu_reset\",\"ts\":1}", "t.jsonl:1: smmu: missing");
	parse_fails("{\"ev\":\"rpm\",\"ts\":1,\"dev\":\"g\"}", "t.jsonl:1: state: missing");
	parse_fails("{\"ev\":\"clk\",\"ts\":1,\"clk\":\"c\"}", "t.jsonl:1: on: missing");
	parse_fails("{\"ev\":\"pd\",\"ts\":1,\"on\":true}", "t.jsonl:1: pd: missing");
	parse_fails("{\"ev\":\"fault\",\"ts\":1}", "t.jsonl:1: iova: missing");
	parse_fails("{\"ev\":\"lost\",\"ts\":1}", "t.jsonl:1: count: missing");
}

static void test_scope_requirements_are_checked(void **state)
{
	/* SPEC §3 marks a TLBI's iova/size and a sync's domain optional */
	parse_fails("{\"ev\":\"tlbi\",\"ts\":1,\"iova\":0,\"size\":4096,\"scope\":\"va\"}",
		    "t.jsonl:1: domain: missing; a tlbi event with scope \"va\" needs domain");
	parse_fails("{\"ev\":\"tlbi\",\"ts\":1,\"smmu\":\"a\",\"scope\":\"context\"}",
		    "t.jsonl:1: domain: missing; a tlbi event with scope \"context\" needs domain");
	{
		struct smt_event ev;

		parse_ok("{\"ev\":\"tlbi\",\"ts\":1,\"domain\":1,\"scope\":\"va\"}", &ev);
		assert_int_equal(ev.present & (SMT_HAS_IOVA | SMT_HAS_SIZE), 0);
		parse_ok("{\"ev\":\"sync\",\"ts\":1,\"smmu\":\"a\",\"scope\":\"context\",\"dur\":1}", &ev);
		assert_int_equal(ev.present & SMT_HAS_DOMAIN, 0);
		assert_int_equal(ev.scope, SMT_SYNC_CONTEXT);
	}
	parse_fails("{\"ev\":\"tlbi\",\"ts\":1,\"scope\":\"VA\"}",
		    "t.jsonl:1: scope: expected \"va\", \"context\" or \"all\", got \"VA\"");
	parse_fails("{\"ev\":\"sync\",\"ts\":1,\"scope\":\"va\",\"dur\":1}",
		    "t.jsonl:1: scope: expected \"context\" or \"global\", got \"va\"");
	parse_fails("{\"ev\":\"rpm\",\"ts\":1,\"dev\":\"g\",\"state\":\"off\"}",
		    "t.jsonl:1: state: expected \"active\", \"suspending\", \"suspended\" or "
		    "\"resuming\", got \"off\"");
}

static void test_bad_addresses_are_errors(void **state)
{
	const char *bad[] = {
		"\"0xzz\"", "\"0x\"", "\"12\"", "\"x12\"", "\"0x00000000000000001\"", "\" 0x1\"",
		"-1", "1.5", "true", "[1]", "{}", "\"0x1 \"",
	};
	char line[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line),
			 "{\"ev\":\"fault\",\"ts\":1,\"iova\":%s}", bad[i]);
		parse_fails(line, "t.jsonl:1: iova: expected an integer 0..18446744073709551615 "
			    "or a \"0x...\" string of 1-16 hex digits, got");
	}
	parse_fails("{\"ev\":\"fault\",\"ts\":1,\"iova\":18446744073709551616}",
		    "t.jsonl:1: iova: expected an integer 0..18446744073709551615 or a \"0x...\" "
		    "string of 1-16 hex digits, got 18446744073709551616 (does not fit in 64 bits)");
	parse_fails("{\"ev\":\"fault\",\"ts\":1,\"domain\":99999999999999999999999999999,\"iova\":1}",
		    "t.jsonl:1: domain: expected an integer");
	parse_fails("{\"ev\":\"map\",\"ts\":1,\"domain\":1,\"iova\":1,\"size\":\"abc\",\"ret\":0}",
		    "t.jsonl:1: size: expected an integer 0..18446744073709551615 or a \"0x...\" string "
		    "of 1-16 hex digits, got \"abc\"");
}

static void test_largest_addresses_are_accepted(void **state)
{
	struct smt_event ev;

	parse_ok("{\"ev\":\"fault\",\"ts\":1,\"iova\":\"0xffffffffffffffff\","
		 "\"domain\":\"0x0000000000000001\"}", &ev);
	assert_true(ev.iova == UINT64_MAX);
	assert_int_equal(ev.domain, 1);
}

/* issue 11: what json-c would quietly change is bad input, named exactly */
static void test_input_json_c_would_change_is_refused(void **state)
{
	/* a duplicated key: json-c keeps the last one without a word */
	parse_fails("{\"ev\":\"fault\",\"ts\":1,\"iova\":18446744073709551616,"
		    "\"iova\":18446744073709551615}",
		    "t.jsonl:1: iova: given twice in one event (column 50): which one is meant? "
		    "(JSON readers keep only the last)");
	/* the same key spelled with an escape is still caught by json-c's own count */
	parse_fails("{\"ev\":\"sync\",\"ts\":1,\"ts\":2,\"scope\":\"global\",\"dur\":5}",
		    "t.jsonl:1: ts: given twice in one event");
	/* a raw TAB inside a string */
	parse_fails("{\"ev\":\"rpm\",\"ts\":1,\"dev\":\"a\tb\",\"state\":\"active\"}",
		    "t.jsonl:1: raw control character 0x09 inside a string at column 28: JSON "
		    "needs it escaped");
	/* lone surrogates, high and low; a pair is one character and fine */
	parse_fails("{\"ev\":\"rpm\",\"ts\":1,\"dev\":\"a\\ud800\",\"state\":\"active\"}",
		    "t.jsonl:1: lone UTF-16 surrogate \\ud800 at column 28: not a character (it "
		    "would be read as U+FFFD)");
	parse_fails("{\"ev\":\"rpm\",\"ts\":1,\"dev\":\"\\udc00\",\"state\":\"active\"}",
		    "t.jsonl:1: lone UTF-16 surrogate \\udc00");
	parse_fails("{\"ev\":\"meta\",\"ts\":1,\"note\":\"\\ud800x\"}",
		    "t.jsonl:1: lone UTF-16 surrogate \\ud800");
	{
		struct smt_event ev;

		parse_ok("{\"ev\":\"rpm\",\"ts\":1,\"dev\":\"\\ud83d\\ude00\",\"state\":"
			 "\"active\"}", &ev);
		assert_string_equal(ev.name, "\xf0\x9f\x98\x80");
	}
	/* lost with count 0 would still raise events-lost */
	parse_fails("{\"ev\":\"lost\",\"ts\":1,\"count\":0}",
		    "t.jsonl:1: count: expected a count of lost events (an integer >= 1), got 0");
}

static void test_map_unmap_size_and_ret_rules(void **state)
{
	parse_fails("{\"ev\":\"map\",\"ts\":1,\"domain\":1,\"iova\":1,\"size\":0,\"ret\":0}",
		    "t.jsonl:1: size: expected a size > 0, got 0");
	parse_fails("{\"ev\":\"map\",\"ts\":1,\"domain\":1,\"iova\":\"0xfffffffffffff000\","
		    "\"size\":\"0x1001\",\"ret\":0}",
		    "t.jsonl:1: size: iova 0xfffffffffffff000 + size 0x1001 runs past the end");
	parse_fails("{\"ev\":\"map\",\"ts\":1,\"domain\":1,\"iova\":1,\"size\":1,\"ret\":4096}",
		    "t.jsonl:1: ret: expected 0 or a negative errno, got 4096");
	parse_fails("{\"ev\":\"unmap\",\"ts\":1,\"domain\":1,\"iova\":1,\"size\":1,"
		    "\"ret\":9223372036854775808}",
		    "t.jsonl:1: ret: expected bytes unmapped (an integer 0..9223372036854775807) or a "
		    "negative errno, got "
		    "9223372036854775808");
	parse_fails("{\"ev\":\"unmap\",\"ts\":1,\"domain\":1,\"iova\":1,\"size\":1,"
		    "\"ret\":-9223372036854775809}",
		    "t.jsonl:1: ret: expected bytes unmapped (an integer 0..9223372036854775807) or a "
		    "negative errno, got "
		    "-9223372036854775809 (does not fit in 64 bits)");
	parse_fails("{\"ev\":\"unmap\",\"ts\":1,\"domain\":1,\"iova\":1,\"size\":1,\"ret\":\"0\"}",
		    "t.jsonl:1: ret: expected bytes unmapped (an integer 0..9223372036854775807) or a "
		    "negative errno, got \"0\"");
}

static void test_wrong_json_types_are_errors(void **state)
{
	parse_fails("{\"ev\":\"clk\",\"ts\":1,\"clk\":\"c\",\"on\":1}",
		    "t.jsonl:1: on: expected true or false, got 1");
	parse_fails("{\"ev\":\"sync\",\"ts\":1,\"scope\":\"global\",\"dur\":1,\"timeout\":\"yes\"}",
		    "t.jsonl:1: timeout: expected true or false, got \"yes\"");
	parse_fails("{\"ev\":\"meta\",\"ts\":1,\"strict\":0}", "t.jsonl:1: strict: expected true or false");
	parse_fails("{\"ev\":\"meta\",\"ts\":1,\"kernel\":6}", "t.jsonl:1: kernel: expected a string, got 6");
	parse_fails("{\"ev\":\"rpm\",\"ts\":1,\"dev\":[\"g\"],\"state\":\"active\"}",
		    "t.jsonl:1: dev: expected a string, got [\"g\"]");
	parse_fails("{\"ev\":\"attach\",\"ts\":1,\"domain\":1,\"dev\":\"d\",\"sids\":5}",
		    "t.jsonl:1: sids: expected an array of stream IDs (integers), got 5");
	parse_fails("{\"ev\":\"attach\",\"ts\":1,\"domain\":1,\"dev\":\"d\",\"sids\":[1,4294967296]}",
		    "t.jsonl:1: sids[1]: expected an integer 0..4294967295, got 4294967296");
	parse_fails("{\"ev\":\"attach\",\"ts\":1,\"domain\":1,\"dev\":\"d\",\"sids\":[null]}",
		    "t.jsonl:1: sids[0]: expected an integer 0..4294967295, got null");
	parse_fails("{\"ev\":\"attach\",\"ts\":1,\"domain\":1,\"dev\":\"d\",\"sids\":[-1]}",
		    "t.jsonl:1: sids[0]: expected an integer 0..4294967295, got -1");
	parse_fails("{\"ev\":\"fault\",\"ts\":1,\"iova\":1,\"flags\":4294967296}",
		    "t.jsonl:1: flags: expected an integer 0..4294967295, got 4294967296");
	parse_fails("{\"ev\":\"lost\",\"ts\":1,\"count\":-3}",
		    "t.jsonl:1: count: expected a count of lost events (an integer >= 1), got -3");
	parse_fails("{\"ev\":\"sync\",\"ts\":1,\"scope\":\"global\",\"dur\":-1}",
		    "t.jsonl:1: dur: expected a duration in ns");
}

static void test_cpu_pid_comm_are_checked_everywhere(void **state)
{
	parse_fails("{\"ev\":\"lost\",\"ts\":1,\"count\":1,\"cpu\":-1}",
		    "t.jsonl:1: cpu: expected a CPU number 0..2147483647, got -1");
	parse_fails("{\"ev\":\"lost\",\"ts\":1,\"count\":1,\"pid\":2147483648}",
		    "t.jsonl:1: pid: expected a process ID 0..2147483647, got 2147483648");
	parse_fails("{\"ev\":\"lost\",\"ts\":1,\"count\":1,\"comm\":\"1234567890123456\"}",
		    "t.jsonl:1: comm: 16 bytes is longer than the limit of 15 bytes");
	parse_fails("{\"ev\":\"lost\",\"ts\":1,\"count\":1,\"comm\":1}",
		    "t.jsonl:1: comm: expected a string, got 1");
}

static void test_too_many_sids_is_an_error(void **state)
{
	char line[1024];
	size_t n;
	struct smt_event ev;

	n = (size_t)snprintf(line, sizeof(line),
			     "{\"ev\":\"attach\",\"ts\":1,\"domain\":1,\"dev\":\"d\",\"sids\":[0");
	for (int i = 1; i < SMT_MAX_SIDS; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, ",%d", i);
	strcpy(line + n, "]}");
	parse_ok(line, &ev);
	assert_int_equal(ev.nsids, SMT_MAX_SIDS);
	assert_int_equal(ev.sids[SMT_MAX_SIDS - 1], SMT_MAX_SIDS - 1);

	strcpy(line + n, ",64]}");
	parse_fails(line, "t.jsonl:1: sids: 65 stream IDs, at most 64 are supported");
}

static void test_overlong_names_are_errors_not_truncated(void **state)
{
	char name[SMT_NAME_LEN + 1], line[256];
	struct smt_event ev;

	memset(name, 'a', SMT_NAME_LEN - 1);
	name[SMT_NAME_LEN - 1] = '\0';
	snprintf(line, sizeof(line), "{\"ev\":\"rpm\",\"ts\":1,\"dev\":\"%s\",\"state\":\"active\"}",
		 name);
	parse_ok(line, &ev);
	assert_string_equal(ev.name, name);

	name[SMT_NAME_LEN - 1] = 'a';
	name[SMT_NAME_LEN] = '\0';
	snprintf(line, sizeof(line), "{\"ev\":\"rpm\",\"ts\":1,\"dev\":\"%s\",\"state\":\"active\"}",
		 name);
	parse_fails(line, "t.jsonl:1: dev: 64 bytes is longer than the limit of 63 bytes");
	snprintf(line, sizeof(line), "{\"ev\":\"smmu_reset\",\"ts\":1,\"smmu\":\"%s\"}", name);
	parse_fails(line, "t.jsonl:1: smmu: 64 bytes is longer than the limit of 63 bytes");
	/* multi-byte characters count in bytes: 32 x "é" = 64 bytes */
	strcpy(line, "{\"ev\":\"clk\",\"ts\":1,\"on\":true,\"clk\":\"");
	for (int i = 0; i < 32; i++)
		strcat(line, "\xc3\xa9");
	strcat(line, "\"}");
	parse_fails(line, "t.jsonl:1: clk: 64 bytes is longer than the limit of 63 bytes");
}

static void test_escaped_nul_in_a_name_is_an_error(void **state)
{
	parse_fails("{\"ev\":\"rpm\",\"ts\":1,\"dev\":\"a\\u0000b\",\"state\":\"active\"}",
		    "t.jsonl:1: dev: contains a NUL character");
}

static void test_unknown_fields_are_ignored_with_any_value(void **state)
{
	struct smt_event ev;

	parse_ok("{\"ev\":\"lost\",\"ts\":1,\"count\":1,\"x\":99999999999999999999999,"
		 "\"dev\":5,\"y\":{\"z\":[true,null]}}", &ev);
	assert_int_equal(ev.count, 1);
	assert_int_equal(ev.present, 0);
}

static void test_meta_extra_with_too_large_number_is_an_error(void **state)
{
	parse_fails("{\"ev\":\"meta\",\"ts\":1,\"x\":{\"y\":[18446744073709551616]}}",
		    "t.jsonl:1: x: holds a number that does not fit in 64 bits");
}

static void test_escaped_keys_are_matched_as_json_c_decodes_them(void **state)
{
	struct smt_event ev;

	/* the raw-text check for too-large numbers finds escaped keys too */
	parse_fails("{\"ev\":\"fault\",\"ts\":1,\"\\u0069ova\":18446744073709551616}",
		    "t.jsonl:1: iova: expected an integer 0..18446744073709551615 or a \"0x...\" "
		    "string of 1-16 hex digits, got 18446744073709551616 (does not fit in 64 bits)");
	parse_fails("{\"ev\":\"attach\",\"ts\":1,\"domain\":1,\"dev\":\"d\","
		    "\"sids\":[1,99999999999999999999]}",
		    "t.jsonl:1: sids[1]: expected an integer 0..4294967295, got a number that does not "
		    "fit in 64 bits");
	/* json-c ends a key at an escaped NUL: "iova\u0000x" is "iova" */
	parse_ok("{\"ev\":\"fault\",\"ts\":1,\"iova\\u0000x\":5}", &ev);
	assert_int_equal(ev.iova, 5);
	parse_ok("{\"ev\":\"fault\",\"ts\":1,\"\\u0069ova\":18446744073709551615}", &ev);
	assert_true(ev.iova == UINT64_MAX);
}

static void test_meta_extra_never_holds_nan_or_infinity(void **state)
{
	struct rd rd;
	struct smt_event ev;

	rd_open(&rd, "{\"ev\":\"meta\",\"ts\":0,\"a\":1e400,\"b\":-1e400,\"c\":NaN,"
		     "\"d\":-Infinity,\"e\":0.5,\"f\":1.0}");
	assert_int_equal(jsonl_reader__next(rd.r, &ev), 1);
	/* 1e400 is a valid JSON number (too large for a double): kept as written */
	assert_string_equal(jsonl_reader__meta_extra(rd.r),
			    "{\"a\":1e400,\"b\":-1e400,\"c\":null,\"d\":null,\"e\":0.5,\"f\":1.0}");
	rd_close(&rd);
}

/* ---- writing ------------------------------------------------------------------- */

static char *write_one(const struct smt_event *ev, const char *extra, int *rc)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	assert_non_null(f);
	*rc = jsonl__write_event(f, ev, extra);
	fclose(f);
	return buf;
}

static void expect_line(const struct smt_event *ev, const char *extra, const char *want)
{
	int rc;
	char *got = write_one(ev, extra, &rc);

	assert_int_equal(rc, 0);
	assert_string_equal(got, want);
	free(got);
}

static void test_writer_uses_stable_key_order_and_hex_addresses(void **state)
{
	struct smt_event ev;

	event__init(&ev, SMT_EV_MAP, 5);
	ev.domain = 0xffff0000ABCDull;
	ev.iova = 0x1000;
	ev.size = 4096;
	ev.paddr = 0x80000000;
	ev.ret = -12;
	ev.cpu = 1;
	ev.pid = 2;
	strcpy(ev.comm, "kworker/0:1");
	ev.present = SMT_HAS_DOMAIN | SMT_HAS_IOVA | SMT_HAS_SIZE | SMT_HAS_PADDR | SMT_HAS_RET |
		     SMT_HAS_CPU | SMT_HAS_PID | SMT_HAS_COMM;
	expect_line(&ev, NULL, "{\"ev\":\"map\",\"ts\":5,\"domain\":\"0xffff0000abcd\",\"iova\":\"0x1000\","
		    "\"size\":4096,\"paddr\":\"0x80000000\",\"ret\":-12,\"cpu\":1,\"pid\":2,"
		    "\"comm\":\"kworker/0:1\"}\n");

	/* absent optional fields are left out */
	ev.present &= ~(SMT_HAS_PADDR | SMT_HAS_CPU | SMT_HAS_PID | SMT_HAS_COMM);
	expect_line(&ev, NULL, "{\"ev\":\"map\",\"ts\":5,\"domain\":\"0xffff0000abcd\",\"iova\":\"0x1000\","
		    "\"size\":4096,\"ret\":-12}\n");

	event__init(&ev, SMT_EV_META, 0);
	strcpy(ev.name, "6.1.0");
	ev.present = SMT_HAS_NAME | SMT_HAS_STRICT;
	ev.strict = 1;
	expect_line(&ev, "{\"board\":\"x\",\"ts\":99,\"n\":[1,{\"a\":null}]}",
		    "{\"ev\":\"meta\",\"ts\":0,\"kernel\":\"6.1.0\",\"strict\":true,\"board\":\"x\","
		    "\"n\":[1,{\"a\":null}]}\n");
}

static void test_writer_rejects_what_it_cannot_write(void **state)
{
	struct smt_event ev;
	char *out;
	int rc;

	event__init(&ev, SMT_EV_NONE, 0);
	out = write_one(&ev, NULL, &rc);
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(out, "");
	free(out);

	event__init(&ev, SMT_EV_TLBI, 0);
	ev.scope = 9;
	free(write_one(&ev, NULL, &rc));
	assert_int_equal(rc, -EINVAL);

	event__init(&ev, SMT_EV_META, 0);
	out = write_one(&ev, "[1]", &rc);
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(out, "");
	free(out);
	free(write_one(&ev, "{\"a\":", &rc));
	assert_int_equal(rc, -EINVAL);
}

/* Every type with every field at its largest value, and a minimal one. */
static int all_types(struct smt_event *evs, const char **extras)
{
	int n = 0;
	struct smt_event *e;

	memset(extras, 0, sizeof(*extras) * 64);
	for (unsigned int t = SMT_EV_META; t < SMT_EV_MAX; t++) {
		e = &evs[n++];
		event__init(e, t, UINT64_MAX);
		/* minimal: only what the type requires */
		switch (t) {
		case SMT_EV_ATTACH:
		case SMT_EV_DETACH:
		case SMT_EV_RPM:
		case SMT_EV_CLK:
		case SMT_EV_PD:
			strcpy(e->name, "n");
			e->present = SMT_HAS_NAME | (t == SMT_EV_ATTACH || t == SMT_EV_DETACH ?
						    SMT_HAS_DOMAIN : 0) |
				     (t == SMT_EV_ATTACH ? SMT_HAS_SIDS : 0);
			break;
		case SMT_EV_DOMAIN_FREE:
		case SMT_EV_FLUSH_ALL:
			e->present = SMT_HAS_DOMAIN;
			break;
		case SMT_EV_MAP:
		case SMT_EV_UNMAP:
			e->size = 1;
			e->present = SMT_HAS_DOMAIN | SMT_HAS_IOVA | SMT_HAS_SIZE | SMT_HAS_RET;
			break;
		case SMT_EV_TLBI:
			e->scope = SMT_TLBI_ALL;
			break;
		case SMT_EV_SYNC:
			e->scope = SMT_SYNC_GLOBAL;
			e->present = SMT_HAS_DUR;
			break;
		case SMT_EV_SMMU_RESET:
			strcpy(e->smmu, "s");
			e->present = SMT_HAS_SMMU;
			break;
		case SMT_EV_FAULT:
			e->present = SMT_HAS_IOVA;
			break;
		case SMT_EV_LOST:
			e->count = 1;	/* 0 lost is refused */
			break;
		}

		/* everything, at the limits */
		e = &evs[n++];
		event__init(e, t, UINT64_MAX);
		e->cpu = INT32_MAX;
		e->pid = INT32_MAX;
		memset(e->comm, 'c', SMT_COMM_LEN - 1);
		e->present = SMT_HAS_CPU | SMT_HAS_PID | SMT_HAS_COMM;
		switch (t) {
		case SMT_EV_META:
			memset(e->name, 'k', SMT_NAME_LEN - 1);
			strcpy(e->smmu, "arm64 \"quoted\" \\ \x01 \xc3\xa9");
			e->strict = 1;
			e->since_boot = 1;
			e->present |= SMT_HAS_NAME | SMT_HAS_ARCH | SMT_HAS_STRICT | SMT_HAS_SINCE_BOOT;
			extras[n - 1] = "{\"board\":\"b\",\"x\":[1,-2,1.5,true,null,{\"y\":\"\\u0001\"}],"
					"\"big\":18446744073709551615,\"neg\":-9223372036854775808}";
			break;
		case SMT_EV_ATTACH:
			e->domain = UINT64_MAX;
			memset(e->name, 'd', SMT_NAME_LEN - 1);
			memset(e->smmu, 's', SMT_NAME_LEN - 1);
			e->nsids = SMT_MAX_SIDS;
			for (int i = 0; i < SMT_MAX_SIDS; i++)
				e->sids[i] = UINT32_MAX - (__u32)i;
			e->present |= SMT_HAS_DOMAIN | SMT_HAS_NAME | SMT_HAS_SMMU | SMT_HAS_SIDS;
			break;
		case SMT_EV_DETACH:
			e->domain = UINT64_MAX;
			strcpy(e->name, "dev");
			e->present |= SMT_HAS_DOMAIN | SMT_HAS_NAME;
			break;
		case SMT_EV_DOMAIN_FREE:
		case SMT_EV_FLUSH_ALL:
			e->domain = UINT64_MAX;
			e->present |= SMT_HAS_DOMAIN;
			break;
		case SMT_EV_MAP:
		case SMT_EV_UNMAP:
			e->domain = UINT64_MAX;
			e->iova = UINT64_MAX;
			e->size = 1;	/* the last byte of the address space */
			e->paddr = t == SMT_EV_MAP ? UINT64_MAX : 0;
			e->ret = t == SMT_EV_MAP ? INT64_MIN : INT64_MAX;
			e->present |= SMT_HAS_DOMAIN | SMT_HAS_IOVA | SMT_HAS_SIZE | SMT_HAS_RET |
				      (t == SMT_EV_MAP ? SMT_HAS_PADDR : 0);
			break;
		case SMT_EV_TLBI:
			strcpy(e->smmu, "apps");
			e->domain = UINT64_MAX;
			e->iova = UINT64_MAX;
			e->size = UINT64_MAX;
			e->scope = SMT_TLBI_VA;
			e->present |= SMT_HAS_SMMU | SMT_HAS_DOMAIN | SMT_HAS_IOVA | SMT_HAS_SIZE;
			break;
		case SMT_EV_SYNC:
			strcpy(e->smmu, "apps");
			e->domain = UINT64_MAX;
			e->scope = SMT_SYNC_CONTEXT;
			e->dur = UINT64_MAX;
			e->timeout = 1;
			e->present |= SMT_HAS_SMMU | SMT_HAS_DOMAIN | SMT_HAS_DUR | SMT_HAS_TIMEOUT;
			break;
		case SMT_EV_SMMU_RESET:
			memset(e->smmu, 'r', SMT_NAME_LEN - 1);
			e->present |= SMT_HAS_SMMU;
			break;
		case SMT_EV_RPM:
			strcpy(e->name, "gpu");
			e->state = SMT_RPM_RESUMING;
			e->present |= SMT_HAS_NAME;
			break;
		case SMT_EV_CLK:
		case SMT_EV_PD:
			strcpy(e->name, "gate");
			e->on = 1;
			e->present |= SMT_HAS_NAME;
			break;
		case SMT_EV_FAULT:
			strcpy(e->smmu, "apps");
			e->domain = UINT64_MAX;
			strcpy(e->name, "venus");
			e->iova = UINT64_MAX;
			e->flags = UINT32_MAX;
			e->present |= SMT_HAS_SMMU | SMT_HAS_DOMAIN | SMT_HAS_NAME | SMT_HAS_IOVA |
				      SMT_HAS_FLAGS;
			break;
		case SMT_EV_LOST:
			e->count = UINT64_MAX;
			break;
		}
	}
	return n;
}

static void test_writer_round_trips_every_type(void **state)
{
	struct smt_event evs[64], back;
	const char *extras[64];
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	int n = all_types(evs, extras);
	struct rd rd;

	assert_non_null(f);
	for (int i = 0; i < n; i++)
		assert_int_equal(jsonl__write_event(f, &evs[i], extras[i]), 0);
	fclose(f);

	rd_open(&rd, text);
	for (int i = 0; i < n; i++) {
		int rc = jsonl_reader__next(rd.r, &back);

		if (rc != 1)
			fail_msg("event %d: %s", i, jsonl_reader__error(rd.r));
		if (memcmp(&back, &evs[i], sizeof(back)))
			fail_msg("event %d (%s) differs after the round trip", i,
				 event__type_name(evs[i].type));
		if (extras[i])
			assert_string_equal(jsonl_reader__meta_extra(rd.r), extras[i]);
		assert_int_equal(jsonl_reader__line(rd.r), i + 1);
	}
	assert_int_equal(jsonl_reader__next(rd.r, &back), 0);
	rd_close(&rd);
	free(text);
}

/* ---- tests/data/jsonl ------------------------------------------------------------ */

/* tests/data/jsonl, found next to this source file */
static const char *data_dir(void)
{
	static char dir[512];
	const char *src = __FILE__;
	const char *cut = strstr(src, "tests/unit/");

	snprintf(dir, sizeof(dir), "%.*stests/data/jsonl", cut ? (int)(cut - src) : 0, src);
	return dir;
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);

	return n >= k && !strcmp(s + n - k, suf);
}

/* Read FILE to the end; the last rc, the error in ERR. */
static int read_all(const char *path, const char *name, char *err, size_t errlen, int *events)
{
	FILE *f = fopen(path, "rb");
	struct jsonl_reader *r;
	struct smt_event ev;
	int rc;

	if (!f)
		fail_msg("cannot open %s", path);
	r = jsonl_reader__new(f, name);
	assert_non_null(r);
	*events = 0;
	while ((rc = jsonl_reader__next(r, &ev)) == 1)
		(*events)++;
	snprintf(err, errlen, "%s", jsonl_reader__error(r));
	jsonl_reader__free(r);
	fclose(f);
	return rc;
}

static int for_each_stream(const char *sub, void (*fn)(const char *dir, const char *name))
{
	char path[600];
	struct dirent *d;
	DIR *dp;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s", data_dir(), sub);
	dp = opendir(path);
	if (!dp)
		fail_msg("cannot open %s (run from the repository root)", path);
	while ((d = readdir(dp))) {
		if (!has_suffix(d->d_name, ".jsonl"))
			continue;
		fn(path, d->d_name);
		n++;
	}
	closedir(dp);
	return n;
}

static void check_good(const char *dir, const char *name)
{
	char path[900], err[512];
	int events, rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	rc = read_all(path, name, err, sizeof(err), &events);
	if (rc != 0)
		fail_msg("%s: want a clean end, got %d: %s", path, rc, err);
	assert_true(events > 0);
}

static void check_bad(const char *dir, const char *name)
{
	char path[900], want[512] = "", err[512];
	int events, rc;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%.*s.err", dir, (int)(strlen(name) - 6), name);
	f = fopen(path, "r");
	if (!f || !fgets(want, sizeof(want), f))
		fail_msg("%s: missing or empty", path);
	fclose(f);
	want[strcspn(want, "\n")] = '\0';
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	rc = read_all(path, name, err, sizeof(err), &events);
	if (rc != -EINVAL)
		fail_msg("%s: want -EINVAL, got %d (%s)", path, rc, err);
	if (strcmp(err, want))
		fail_msg("%s:\n  want: %s\n  got:  %s", path, want, err);
}

static void test_data_streams_read_or_fail_as_recorded(void **state)
{
	assert_true(for_each_stream("good", check_good) >= 3);
	assert_true(for_each_stream("bad", check_bad) >= 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_meta_reads_all_fields_and_keeps_free_form_ones),
		cmocka_unit_test(test_attach_reads_all_and_required_fields),
		cmocka_unit_test(test_detach_domain_free_flush_all_read_their_fields),
		cmocka_unit_test(test_map_reads_all_and_required_fields),
		cmocka_unit_test(test_unmap_reads_bytes_and_negative_errors),
		cmocka_unit_test(test_tlbi_reads_each_scope),
		cmocka_unit_test(test_sync_reads_each_scope),
		cmocka_unit_test(test_smmu_reset_rpm_clk_pd_lost_read_their_fields),
		cmocka_unit_test(test_fault_reads_all_and_required_fields),
		cmocka_unit_test(test_blank_lines_crlf_bom_and_missing_final_newline_are_fine),
		cmocka_unit_test(test_empty_input_is_a_clean_end),
		cmocka_unit_test(test_prepended_bytes_are_read_first),
		cmocka_unit_test(test_line_of_max_length_is_read_longer_is_an_error),
		cmocka_unit_test(test_nul_byte_is_an_error),
		cmocka_unit_test(test_invalid_utf8_is_an_error),
		cmocka_unit_test(test_syntax_errors_name_the_line),
		cmocka_unit_test(test_trailing_garbage_is_an_error),
		cmocka_unit_test(test_read_error_is_eio),
		cmocka_unit_test(test_ev_and_ts_are_required_and_checked),
		cmocka_unit_test(test_out_of_order_ts_is_an_error_naming_both_lines),
		cmocka_unit_test(test_missing_required_fields_are_named),
		cmocka_unit_test(test_scope_requirements_are_checked),
		cmocka_unit_test(test_bad_addresses_are_errors),
		cmocka_unit_test(test_largest_addresses_are_accepted),
		cmocka_unit_test(test_input_json_c_would_change_is_refused),
		cmocka_unit_test(test_map_unmap_size_and_ret_rules),
		cmocka_unit_test(test_wrong_json_types_are_errors),
		cmocka_unit_test(test_cpu_pid_comm_are_checked_everywhere),
		cmocka_unit_test(test_too_many_sids_is_an_error),
		cmocka_unit_test(test_overlong_names_are_errors_not_truncated),
		cmocka_unit_test(test_escaped_nul_in_a_name_is_an_error),
		cmocka_unit_test(test_unknown_fields_are_ignored_with_any_value),
		cmocka_unit_test(test_meta_extra_with_too_large_number_is_an_error),
		cmocka_unit_test(test_escaped_keys_are_matched_as_json_c_decodes_them),
		cmocka_unit_test(test_meta_extra_never_holds_nan_or_infinity),
		cmocka_unit_test(test_writer_uses_stable_key_order_and_hex_addresses),
		cmocka_unit_test(test_writer_rejects_what_it_cannot_write),
		cmocka_unit_test(test_writer_round_trips_every_type),
		cmocka_unit_test(test_data_streams_read_or_fail_as_recorded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
