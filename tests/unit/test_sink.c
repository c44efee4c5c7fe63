// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Finding sinks (src/sink.c): the summary's histograms at their extremes.
 * Under unit-asan (UBSan, no recovery) an undefined shift aborts the test.
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
#include "sink.h"
#include "topology.h"

static char *summary_of(const struct smt_event *evs, int n, bool json)
{
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
	sink__summary(s, e, NULL);
	sink__free(s);
	fclose(f);
	engine__free(e);
	topology__free(&topo);
	return buf;
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
		cmocka_unit_test(test_sync_of_max_duration_lands_in_the_last_bucket),
		cmocka_unit_test(test_lifetime_of_max_duration_lands_in_the_last_bucket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
