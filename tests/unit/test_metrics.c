// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Monitor metrics: Prometheus text format, histogram buckets, label caps; verdict lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "event.h"
#include "monitor_metrics.h"
#include "monitor_verdict.h"

/* the exposition text of M (caller frees) */
static char *render(const struct metrics *m, struct metrics_domain *d, size_t nd)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(metrics__write(m, f, d, nd), 0);
	fclose(f);
	return buf;
}

/* value of the sample line that starts with exactly SERIES + " " */
static double sample(const char *text, const char *series)
{
	size_t n = strlen(series);
	const char *p = text;

	while ((p = strstr(p, series))) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		p += n;
	}
	fail_msg("series %s not found", series);
	return -1;
}

static int count_lines_starting(const char *text, const char *prefix)
{
	int n = 0;
	size_t l = strlen(prefix);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, prefix, l))
			n++;
	return n;
}

static void sync_ev(struct metrics *m, uint64_t dur)
{
	struct smt_event ev;

	event__init(&ev, SMT_EV_SYNC, 1);
	ev.present |= SMT_HAS_DUR;
	ev.dur = dur;
	metrics__event(m, &ev);
}

static void test_histogram_buckets_are_cumulative_with_inclusive_bounds(void **state)
{
	struct metrics *m = metrics__new();
	char *t;

	sync_ev(m, 500);	/* <= 1us */
	sync_ev(m, 1000);	/* exactly 1us: le is inclusive */
	sync_ev(m, 1001);	/* <= 2.5us */
	sync_ev(m, 2000000);	/* <= 2.5ms */
	sync_ev(m, 20000000000ull);	/* 20 s: only +Inf */
	t = render(m, NULL, 0);
	assert_true(sample(t, "smmutrace_sync_latency_seconds_bucket{le=\"0.000001000\"}") == 2);
	assert_true(sample(t, "smmutrace_sync_latency_seconds_bucket{le=\"0.000002500\"}") == 3);
	assert_true(sample(t, "smmutrace_sync_latency_seconds_bucket{le=\"0.001000000\"}") == 3);
	assert_true(sample(t, "smmutrace_sync_latency_seconds_bucket{le=\"0.002500000\"}") == 4);
	assert_true(sample(t, "smmutrace_sync_latency_seconds_bucket{le=\"10.000000000\"}") == 4);
	assert_true(sample(t, "smmutrace_sync_latency_seconds_bucket{le=\"+Inf\"}") == 5);
	assert_true(sample(t, "smmutrace_sync_latency_seconds_count") == 5);
	/* sum in seconds, exact: 500+1000+1001+2000000+20000000000 ns */
	assert_non_null(strstr(t, "smmutrace_sync_latency_seconds_sum 20.002002501\n"));
	assert_int_equal(count_lines_starting(t, "smmutrace_sync_latency_seconds_bucket"),
			 METRICS_SYNC_BUCKETS + 1);
	free(t);
	metrics__free(m);
}

static void test_sync_without_duration_is_not_observed(void **state)
{
	struct metrics *m = metrics__new();
	struct smt_event ev;
	char *t;

	event__init(&ev, SMT_EV_SYNC, 1);
	metrics__event(m, &ev);
	t = render(m, NULL, 0);
	assert_true(sample(t, "smmutrace_sync_latency_seconds_count") == 0);
	assert_true(sample(t, "smmutrace_events_total{ev=\"sync\"}") == 1);
	free(t);
	metrics__free(m);
}

static void test_every_family_has_help_and_type_and_counters_end_in_total(void **state)
{
	struct metrics *m = metrics__new();
	char *t = render(m, NULL, 0), *line, *save = NULL;

	for (line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[128], type[32];

		if (sscanf(line, "# TYPE %127s %31s", name, type) == 2) {
			if (!strcmp(type, "counter"))
				assert_non_null(strstr(name, "_total"));
			assert_int_equal(strncmp(name, "smmutrace_", 10), 0);
			continue;
		}
		if (line[0] == '#')
			continue;
		/* a sample: name{labels} value, no timestamp */
		assert_int_equal(strncmp(line, "smmutrace_", 10), 0);
		assert_null(strchr(strrchr(line, ' ') + 1, ' '));
	}
	free(t);
	t = render(m, NULL, 0);
	assert_int_equal(count_lines_starting(t, "# HELP "), count_lines_starting(t, "# TYPE "));
	assert_int_equal(t[strlen(t) - 1], '\n');
	free(t);
	metrics__free(m);
}

static void test_events_findings_and_lost_are_counted(void **state)
{
	struct metrics *m = metrics__new();
	struct finding f = { .rule = RULE_UNMAP_WHILE_GATED, .severity = SEV_ERROR };
	struct smt_event ev;
	char *t;

	event__init(&ev, SMT_EV_MAP, 1);
	metrics__event(m, &ev);
	metrics__event(m, &ev);
	event__init(&ev, SMT_EV_LOST, 2);
	ev.count = 41;
	metrics__event(m, &ev);
	metrics__finding(m, &f);
	f.severity = SEV_WARNING;
	metrics__finding(m, &f);
	metrics__finding(m, &f);
	t = render(m, NULL, 0);
	assert_true(sample(t, "smmutrace_events_processed_total") == 3);
	assert_true(sample(t, "smmutrace_events_total{ev=\"map\"}") == 2);
	assert_true(sample(t, "smmutrace_events_total{ev=\"lost\"}") == 1);
	assert_true(sample(t, "smmutrace_lost_events_total") == 41);
	assert_true(sample(t, "smmutrace_findings_total{rule=\"unmap-while-gated\",severity=\"error\"}") == 1);
	assert_true(sample(t, "smmutrace_findings_total{rule=\"unmap-while-gated\",severity=\"warning\"}") == 2);
	assert_true(sample(t, "smmutrace_findings_total{rule=\"stale-pte\",severity=\"error\"}") == 0);
	assert_int_equal(metrics__findings(m), 3);
	free(t);
	metrics__free(m);
}

static void test_domain_labels_are_capped_and_the_rest_summed_as_other(void **state)
{
	struct metrics *m = metrics__new();
	size_t n = METRICS_MAX_DOMAIN_LABELS + 10;
	struct metrics_domain *d = calloc(n, sizeof(*d));
	uint64_t other = 0;
	char *t;

	for (size_t i = 0; i < n; i++) {
		d[i].domain = 0xffff000000001000ull + i * 0x1000;
		d[i].live = i + 1;	/* the first 10 are the smallest */
		if (i < 10)
			other += i + 1;
	}
	t = render(m, d, n);
	assert_int_equal(count_lines_starting(t, "smmutrace_live_mappings{"), METRICS_MAX_DOMAIN_LABELS + 1);
	assert_true(sample(t, "smmutrace_live_mappings{domain=\"other\"}") == (double)other);
	/* the biggest domain is labelled */
	assert_non_null(strstr(t, "smmutrace_live_mappings{domain=\"0xffff00000004a000\"} 74\n"));
	free(t);
	/* few domains: no "other" series */
	t = render(m, d, 3);
	assert_null(strstr(t, "{domain=\"other\"}"));
	free(t);
	free(d);
	metrics__free(m);
}

static void test_period_verdict_lines_for_ktap_and_lava(void **state)
{
	struct period p;
	struct finding f = { .rule = RULE_TLBI_WHILE_GATED, .severity = SEV_ERROR };
	char buf[512];

	period__reset(&p, 7, 100);
	period__format(&p, SEV_ERROR, true, buf, sizeof(buf));
	assert_string_equal(buf, "ok 7 period-7\n<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=smmutrace-period-7 "
			    "RESULT=pass MEASUREMENT=0 UNITS=findings>");
	period__finding(&p, &f);
	period__finding(&p, &f);
	f.rule = RULE_SYNC_SLOW;
	f.severity = SEV_WARNING;
	period__finding(&p, &f);
	period__format(&p, SEV_ERROR, false, buf, sizeof(buf));
	assert_string_equal(buf, "not ok 7 period-7 # errors: 2 (tlbi-while-gated 2), warnings: 1 (sync-slow 1)");
	assert_true(period__failed(&p, SEV_WARNING));
	assert_false(period__failed(&p, SEV_NONE));
}

static void test_period_with_only_warnings_passes_at_fail_on_error(void **state)
{
	struct period p;
	struct finding f = { .rule = RULE_SYNC_SLOW, .severity = SEV_WARNING };
	char buf[512];

	period__reset(&p, 1, 0);
	period__finding(&p, &f);
	assert_false(period__failed(&p, SEV_ERROR));
	assert_true(period__failed(&p, SEV_WARNING));
	period__format(&p, SEV_ERROR, true, buf, sizeof(buf));
	assert_string_equal(buf, "ok 1 period-1 # warnings: 1 (sync-slow 1)\n<LAVA_SIGNAL_TESTCASE "
			    "TEST_CASE_ID=smmutrace-period-1 RESULT=pass MEASUREMENT=1 UNITS=findings>");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_histogram_buckets_are_cumulative_with_inclusive_bounds),
		cmocka_unit_test(test_sync_without_duration_is_not_observed),
		cmocka_unit_test(test_every_family_has_help_and_type_and_counters_end_in_total),
		cmocka_unit_test(test_events_findings_and_lost_are_counted),
		cmocka_unit_test(test_domain_labels_are_capped_and_the_rest_summed_as_other),
		cmocka_unit_test(test_period_verdict_lines_for_ktap_and_lava),
		cmocka_unit_test(test_period_with_only_warnings_passes_at_fail_on_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
