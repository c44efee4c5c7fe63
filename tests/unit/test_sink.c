// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Finding sinks (src/sink.c): a finding as one text line and as one JSON
 * object, every optional part present or absent; the worst severity; the
 * summary's TBU, not-judged and title parts; the histograms at their
 * extremes (under unit-asan an undefined shift aborts the test).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>
#include "engine.h"
#include "event.h"
#include "sink.h"
#include "topology.h"

/* ---- findings ------------------------------------------------------------------- */

static void bare_finding(struct finding *f, enum rule rule, enum severity sev)
{
	memset(f, 0, sizeof(*f));
	f->rule = rule;
	f->severity = sev;
}

/* tbu-stale-exposure with each kind of range, 40 TLBIs in all */
static void stale_exposure_finding(struct finding *f)
{
	bare_finding(f, RULE_TBU_STALE_EXPOSURE, SEV_ERROR);
	f->ranges[0] = (struct iova_range){ .domain = 0xd0, .iova = 0x1000, .size = 0x2000 };
	f->ranges[1] = (struct iova_range){ .domain = 0xd0 };
	f->ranges[2] = (struct iova_range){ 0 };
	f->nranges = 3;
	f->ranges_total = 40;
}

/* a finding with every part: domain, range, TBUs, evidence with pid and comm */
static void full_finding(struct finding *f)
{
	bare_finding(f, RULE_UNMAP_WHILE_GATED, SEV_ERROR);
	f->ts = 12000000345ull;
	f->has_domain = f->has_range = true;
	f->domain = 0xffff000010000000ull;
	f->iova = 0x2000;
	f->size = 0x3000;
	f->tbus[0] = "gpu_tbu0";
	f->tbus[1] = "gpu_tbu1";
	f->ntbus = 2;
	f->nevidence = 2;
	f->evidence[0].type = SMT_EV_CLK;
	f->evidence[0].ts = 11000000000ull;
	snprintf(f->evidence[0].what, sizeof(f->evidence[0].what), "gate off");
	f->evidence[1].type = SMT_EV_UNMAP;
	f->evidence[1].ts = f->ts;
	f->evidence[1].present = SMT_HAS_PID | SMT_HAS_COMM | SMT_HAS_DOMAIN | SMT_HAS_IOVA |
				 SMT_HAS_SIZE | SMT_HAS_RET;
	f->evidence[1].pid = 4242;
	snprintf(f->evidence[1].comm, sizeof(f->evidence[1].comm), "kworker/0:1");
	f->evidence[1].domain = f->domain;
	f->evidence[1].iova = f->iova;
	f->evidence[1].size = f->size;
	f->evidence[1].ret = 0x3000;
	snprintf(f->evidence[1].what, sizeof(f->evidence[1].what), "unmap");
	snprintf(f->message, sizeof(f->message), "unmap while gpu_tbu0 is gated");
}

/* what a sink writes for the findings F[0..N) */
static char *findings_out(const struct finding *f, int n, bool json, enum severity *worst)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct sink *s;

	assert_non_null(out);
	s = sink__new(out, json);
	assert_non_null(s);
	assert_int_equal(sink__worst(s), SEV_NONE);
	for (int i = 0; i < n; i++)
		sink__finding(&f[i], s);
	if (worst)
		*worst = sink__worst(s);
	sink__free(s);
	fclose(out);
	return buf;
}

static void test_text_finding_is_one_line_with_every_part(void **state)
{
	struct finding f;
	char *out;

	full_finding(&f);
	out = findings_out(&f, 1, false, NULL);
	assert_string_equal(out,
		"12.000000345 error   unmap-while-gated      domain=0xffff000010000000 iova=0x2000 "
		"size=0x3000 tbus=gpu_tbu0,gpu_tbu1: unmap while gpu_tbu0 is gated"
		" | evidence: gate off@11.000000000; unmap@12.000000345 iova=0x2000 pid=4242 "
		"comm=kworker/0:1\n");
	free(out);
}

/* with neither domain, range nor TBU, the rule is not padded: "rule: message" */
static void test_text_finding_without_domain_is_rule_colon_message(void **state)
{
	struct finding f;
	char *out;

	bare_finding(&f, RULE_EVENTS_LOST, SEV_WARNING);
	f.ts = 5;
	f.incomplete = true;
	snprintf(f.message, sizeof(f.message), "3 events lost");
	out = findings_out(&f, 1, false, NULL);
	assert_string_equal(out, "0.000000005 warning events-lost: 3 events lost"
				 " [incomplete: events were lost before]\n");
	free(out);
}

/* tbu-stale-exposure: each range kind, and the count of those not listed */
static void test_text_finding_lists_ranges_and_their_total(void **state)
{
	struct finding f;
	char *out;

	stale_exposure_finding(&f);
	f.tbus[0] = "t0";
	f.ntbus = 1;
	snprintf(f.message, sizeof(f.message), "t0 is back");
	out = findings_out(&f, 1, false, NULL);
	assert_non_null(strstr(out, " | ranges: 0x1000+0x2000, domain 0xd0 (whole context), "
				    "all contexts of the SMMU (40 TLBIs in all)\n"));
	free(out);
	f.ranges_total = 3;	/* all listed: no total */
	out = findings_out(&f, 1, false, NULL);
	assert_null(strstr(out, "in all"));
	free(out);
}

/*
 * Names come from the input (comm from the kernel, device and gate names from
 * JSONL, where "\n" and "\u001b" are valid escapes): the text line must stay
 * one line and carry no terminal control sequence.
 */
static void test_text_finding_escapes_control_characters_of_names(void **state)
{
	struct finding f;
	char *out;

	full_finding(&f);
	snprintf(f.evidence[1].comm, sizeof(f.evidence[1].comm), "a\nb\x1b[2J");
	f.tbus[0] = "tbu\r0";
	snprintf(f.message, sizeof(f.message), "gate clk:x\ny is off");
	out = findings_out(&f, 1, false, NULL);
	assert_non_null(strchr(out, '\n'));
	assert_int_equal(strchr(out, '\n') - out + 1, (long)strlen(out));	/* one line */
	assert_null(strchr(out, '\x1b'));
	assert_null(strchr(out, '\r'));
	assert_non_null(strstr(out, "comm=a\\x0ab\\x1b[2J"));
	assert_non_null(strstr(out, "tbus=tbu\\x0d0,gpu_tbu1"));
	assert_non_null(strstr(out, "gate clk:x\\x0ay is off"));
	free(out);
}

static json_object *parse_one(const char *text)
{
	json_object *o;

	/* one object, one line */
	assert_non_null(strchr(text, '\n'));
	assert_int_equal(strchr(text, '\n') - text + 1, (long)strlen(text));
	o = json_tokener_parse(text);
	assert_non_null(o);
	return o;
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("no key \"%s\" in %s", key, json_object_to_json_string(o));
	return v;
}

static void test_json_finding_has_every_part(void **state)
{
	struct finding f;
	json_object *o, *x;
	char *out;

	full_finding(&f);
	snprintf(f.message, sizeof(f.message), "a \"quoted\"\nmessage");
	out = findings_out(&f, 1, true, NULL);
	o = parse_one(out);
	assert_string_equal(json_object_get_string(get(o, "type")), "finding");
	assert_string_equal(json_object_get_string(get(o, "rule")), "unmap-while-gated");
	assert_string_equal(json_object_get_string(get(o, "severity")), "error");
	assert_int_equal(json_object_get_uint64(get(o, "ts")), 12000000345ull);
	assert_string_equal(json_object_get_string(get(o, "domain")), "0xffff000010000000");
	assert_string_equal(json_object_get_string(get(o, "iova")), "0x2000");
	assert_int_equal(json_object_get_uint64(get(o, "size")), 0x3000);
	assert_int_equal(json_object_array_length(get(o, "tbus")), 2);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(get(o, "tbus"), 1)),
			    "gpu_tbu1");
	assert_string_equal(json_object_get_string(get(o, "message")), "a \"quoted\"\nmessage");
	assert_false(json_object_get_boolean(get(o, "incomplete")));
	/* ranges only on tbu-stale-exposure */
	assert_false(json_object_object_get_ex(o, "ranges", NULL));

	assert_int_equal(json_object_array_length(get(o, "evidence")), 2);
	/* an evidence event carries only the fields it has */
	x = json_object_array_get_idx(get(o, "evidence"), 0);
	assert_int_equal(json_object_object_length(x), 3);
	assert_string_equal(json_object_get_string(get(x, "ev")), "clk");
	assert_int_equal(json_object_get_uint64(get(x, "ts")), 11000000000ull);
	assert_string_equal(json_object_get_string(get(x, "role")), "gate off");
	x = json_object_array_get_idx(get(o, "evidence"), 1);
	assert_string_equal(json_object_get_string(get(x, "ev")), "unmap");
	assert_int_equal(json_object_get_int(get(x, "pid")), 4242);
	assert_string_equal(json_object_get_string(get(x, "comm")), "kworker/0:1");
	assert_string_equal(json_object_get_string(get(x, "domain")), "0xffff000010000000");
	assert_string_equal(json_object_get_string(get(x, "iova")), "0x2000");
	assert_int_equal(json_object_get_uint64(get(x, "size")), 0x3000);
	assert_int_equal(json_object_get_int64(get(x, "ret")), 0x3000);
	json_object_put(o);
	free(out);
}

/* no domain or range: null, not absent and not zero (readers tell them apart) */
static void test_json_finding_without_domain_or_range_has_nulls(void **state)
{
	struct finding f;
	json_object *o;
	char *out;

	bare_finding(&f, RULE_SYNC_TIMEOUT, SEV_ERROR);
	f.incomplete = true;
	out = findings_out(&f, 1, true, NULL);
	o = parse_one(out);
	assert_true(json_object_is_type(get(o, "domain"), json_type_null));
	assert_true(json_object_is_type(get(o, "iova"), json_type_null));
	assert_true(json_object_is_type(get(o, "size"), json_type_null));
	assert_int_equal(json_object_array_length(get(o, "tbus")), 0);
	assert_int_equal(json_object_array_length(get(o, "evidence")), 0);
	assert_true(json_object_get_boolean(get(o, "incomplete")));
	json_object_put(o);
	free(out);
}

static void test_json_stale_exposure_carries_its_ranges(void **state)
{
	struct finding f;
	json_object *o, *r;
	char *out;

	stale_exposure_finding(&f);
	out = findings_out(&f, 1, true, NULL);
	o = parse_one(out);
	r = get(o, "ranges");
	assert_int_equal(json_object_array_length(r), 3);
	assert_string_equal(json_object_get_string(get(json_object_array_get_idx(r, 0), "iova")),
			    "0x1000");
	assert_int_equal(json_object_get_uint64(get(json_object_array_get_idx(r, 0), "size")), 0x2000);
	assert_string_equal(json_object_get_string(get(json_object_array_get_idx(r, 1), "scope")),
			    "context");
	assert_string_equal(json_object_get_string(get(json_object_array_get_idx(r, 2), "scope")),
			    "all");
	assert_int_equal(json_object_get_uint64(get(o, "ranges_total")), 40);
	json_object_put(o);
	free(out);
}

/* the exit status follows the worst finding written, whatever came after it */
static void test_worst_is_the_highest_severity_written(void **state)
{
	struct finding f[3];
	enum severity worst;
	char *out;

	for (int i = 0; i < 3; i++)
		full_finding(&f[i]);
	f[0].severity = SEV_WARNING;
	f[1].severity = SEV_ERROR;
	f[2].severity = SEV_WARNING;
	out = findings_out(f, 1, false, &worst);
	assert_int_equal(worst, SEV_WARNING);
	free(out);
	out = findings_out(f, 3, true, &worst);
	assert_int_equal(worst, SEV_ERROR);
	free(out);
}

/* ---- summary ------------------------------------------------------------------- */

struct summary_setup {
	int ntbus;			/* < 0: sink__set_tbus not called */
	unsigned int not_judged;
	const char *title;
};

static char *summary_with(const struct smt_event *evs, int n, bool json,
			  const struct summary_setup *ss)
{
	static char reasons[RULE_MAX][320];
	struct topology topo;
	struct engine_opts o = { 0 };
	struct engine *e;
	struct sink *s;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	topology__init(&topo);
	o.topo = &topo;
	e = engine__new(&o);
	assert_non_null(e);
	for (int i = 0; i < n; i++)
		engine__feed(e, &evs[i]);
	engine__finish(e);
	s = sink__new(f, json);
	assert_non_null(s);
	if (ss && ss->ntbus >= 0)
		sink__set_tbus(s, ss->ntbus);
	if (ss && ss->not_judged) {
		for (int r = 0; r < RULE_MAX; r++)
			snprintf(reasons[r], sizeof(reasons[r]), "reason %d", r);
		sink__set_not_judged(s, ss->not_judged, reasons);
	}
	sink__summary(s, e, ss ? ss->title : NULL);
	sink__free(s);
	fclose(f);
	engine__free(e);
	topology__free(&topo);
	return buf;
}

static char *summary_of(const struct smt_event *evs, int n, bool json)
{
	return summary_with(evs, n, json, NULL);
}

/* two clk events and one rpm event: what the "no TBU" line counts */
static void gate_events(struct smt_event *evs)
{
	event__init(&evs[0], SMT_EV_CLK, 1);
	snprintf(evs[0].name, sizeof(evs[0].name), "c0");
	evs[0].present |= SMT_HAS_NAME;
	evs[1] = evs[0];
	evs[1].ts = 2;
	evs[1].on = 1;
	event__init(&evs[2], SMT_EV_RPM, 3);
	snprintf(evs[2].name, sizeof(evs[2].name), "dev0");
	evs[2].present |= SMT_HAS_NAME;
	evs[2].state = SMT_RPM_SUSPENDED;
}

static void test_summary_says_when_no_tbu_is_known(void **state)
{
	struct summary_setup none = { .ntbus = 0 }, two = { .ntbus = 2 }, unsaid = { .ntbus = -1 };
	struct smt_event evs[3];
	json_object *o;
	char *out;

	gate_events(evs);
	out = summary_with(evs, 3, false, &none);
	assert_non_null(strstr(out, "  TBUs:          none known (no --board, none in the device "
				    "tree or the recording): the gate rules cannot fire and 3 "
				    "clk/rpm/pd events were not judged; give --board FILE\n"));
	free(out);
	out = summary_with(evs, 3, false, &two);
	assert_null(strstr(out, "TBUs:"));
	free(out);
	out = summary_with(evs, 3, true, &two);
	o = parse_one(out);
	assert_int_equal(json_object_get_int(get(o, "tbus")), 2);
	json_object_put(o);
	free(out);
	/* the monitor's log never says how many: no key rather than a wrong 0 */
	out = summary_with(evs, 3, true, &unsaid);
	o = parse_one(out);
	assert_false(json_object_object_get_ex(o, "tbus", NULL));
	json_object_put(o);
	free(out);
}

static void test_summary_lists_only_the_rules_not_judged(void **state)
{
	struct summary_setup ss = {
		.ntbus = -1,
		.not_judged = 1u << RULE_IOVA_REUSE_BEFORE_SYNC | 1u << RULE_SYNC_SLOW,
	};
	json_object *o, *nj;
	char *out;

	out = summary_with(NULL, 0, false, &ss);
	assert_non_null(strstr(out, "  not judged:    iova-reuse-before-sync (reason 4)\n"
				    "  not judged:    sync-slow (reason 10)\n"));
	assert_null(strstr(out, "reason 0"));
	free(out);
	out = summary_with(NULL, 0, true, &ss);
	o = parse_one(out);
	nj = get(o, "not_judged");
	assert_int_equal(json_object_object_length(nj), 2);
	assert_string_equal(json_object_get_string(get(nj, "iova-reuse-before-sync")), "reason 4");
	assert_string_equal(json_object_get_string(get(nj, "sync-slow")), "reason 10");
	json_object_put(o);
	free(out);
	/* nothing set: an empty object, and no line */
	ss.not_judged = 0;
	out = summary_with(NULL, 0, false, &ss);
	assert_null(strstr(out, "not judged"));
	free(out);
}

/* live mode's periodic summaries carry a title instead of "summary" */
static void test_summary_title(void **state)
{
	struct summary_setup ss = { .ntbus = -1, .title = "period 3" };
	json_object *o;
	char *out;

	out = summary_with(NULL, 0, false, &ss);
	assert_non_null(strstr(out, "\nperiod 3\n  events:        0\n"));
	assert_ptr_equal(strstr(out, "\nperiod 3\n"), out);
	free(out);
	out = summary_with(NULL, 0, true, &ss);
	o = parse_one(out);
	assert_string_equal(json_object_get_string(get(o, "title")), "period 3");
	assert_string_equal(json_object_get_string(get(o, "type")), "summary");
	json_object_put(o);
	free(out);
	out = summary_of(NULL, 0, true);
	o = parse_one(out);
	assert_false(json_object_object_get_ex(o, "title", NULL));
	json_object_put(o);
	free(out);
}

/* issue 11: {"ev":"sync","dur":18446744073709551615} shifted 1 by 64 */
static void test_sync_of_max_duration_lands_in_the_last_bucket(void **state)
{
	struct smt_event ev;
	char *out;

	event__init(&ev, SMT_EV_SYNC, 1);
	ev.scope = SMT_SYNC_GLOBAL;
	ev.dur = UINT64_MAX;
	ev.present |= SMT_HAS_DUR;
	out = summary_of(&ev, 1, false);
	assert_non_null(strstr(out, "9223372036854775808 -> 18446744073709551615 : 1"));
	free(out);
	out = summary_of(&ev, 1, true);
	assert_non_null(strstr(out, "\"ge_ns\":9223372036854775808,\"count\":1"));
	free(out);
}

/* a map -> unmap lifetime of 2^64 - 1 ns reaches the same line */
static void test_lifetime_of_max_duration_lands_in_the_last_bucket(void **state)
{
	struct smt_event evs[2];
	char *out;

	event__init(&evs[0], SMT_EV_MAP, 0);
	evs[0].domain = 0xffff000012340000ull;
	evs[0].iova = 0x100000;
	evs[0].size = 0x1000;
	event__init(&evs[1], SMT_EV_UNMAP, UINT64_MAX);
	evs[1].domain = evs[0].domain;
	evs[1].iova = evs[0].iova;
	evs[1].size = evs[0].size;
	evs[1].ret = 0x1000;
	out = summary_of(evs, 2, false);
	assert_non_null(strstr(out, "9223372036854775808 -> 18446744073709551615 : 1"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_finding_is_one_line_with_every_part),
		cmocka_unit_test(test_text_finding_without_domain_is_rule_colon_message),
		cmocka_unit_test(test_text_finding_lists_ranges_and_their_total),
		cmocka_unit_test(test_text_finding_escapes_control_characters_of_names),
		cmocka_unit_test(test_json_finding_has_every_part),
		cmocka_unit_test(test_json_finding_without_domain_or_range_has_nulls),
		cmocka_unit_test(test_json_stale_exposure_carries_its_ranges),
		cmocka_unit_test(test_worst_is_the_highest_severity_written),
		cmocka_unit_test(test_summary_says_when_no_tbu_is_known),
		cmocka_unit_test(test_summary_lists_only_the_rules_not_judged),
		cmocka_unit_test(test_summary_title),
		cmocka_unit_test(test_sync_of_max_duration_lands_in_the_last_bucket),
		cmocka_unit_test(test_lifetime_of_max_duration_lands_in_the_last_bucket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
