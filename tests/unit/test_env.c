// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The one duration parser every option uses (src/env.c, SPEC §2). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "env.h"

static void test_units_and_bare_seconds(void **state)
{
	static const struct { const char *s; uint64_t ns; } ok[] = {
		{ "6", 6000000000ull },		/* as timeout(1), perf and libbpf-tools read it */
		{ "250us", 250000 }, { "100ms", 100000000 }, { "2s", 2000000000ull },
		{ "1ns", 1 }, { "2m", 120000000000ull }, { "1h", 3600000000000ull },
		{ "1.5s", 1500000000ull }, { "0.3", 300000000 }, { "0.5ms", 500000 },
		{ "365h", 365ull * 3600000000000ull },
	};
	uint64_t ns;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(env__parse_duration(ok[i].s, &ns), 0);
		if (ns != ok[i].ns)
			fail_msg("'%s' -> %llu, want %llu", ok[i].s, (unsigned long long)ns,
				 (unsigned long long)ok[i].ns);
	}
}

static void test_zero_is_parsed_as_zero_for_the_caller_to_refuse(void **state)
{
	uint64_t ns = 1;

	assert_int_equal(env__parse_duration("0", &ns), 0);
	assert_int_equal(ns, 0);
	assert_int_equal(env__duration_opt("inval-window", "0", &ns, false), -1);
	assert_int_equal(env__duration_opt("inval-window", "0s", &ns, false), -1);
	assert_int_equal(env__duration_opt("interval", "0", &ns, true), 0);
}

static void test_absurd_and_malformed_are_refused(void **state)
{
	static const char *range[] = { "99999999999s", "18446744073709551616", };
	static const char *bad[] = { "", "s", "-1s", "+1s", "1 s", "1sec", "1.2.3s", ".", "1e3",
				     "0x10ms", "1S", };
	uint64_t ns;

	assert_int_equal(env__parse_duration(range[0], &ns), -ERANGE);
	assert_int_equal(env__parse_duration(range[1], &ns), -ERANGE);
	assert_int_equal(env__parse_duration("8761h", &ns), -ERANGE);	/* 365 days + 1 h */
	assert_int_equal(env__parse_duration("8760h", &ns), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (env__parse_duration(bad[i], &ns) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
}

/* the monitor banner said "period 60000ms" */
static void test_format_is_exact_in_the_largest_unit(void **state)
{
	char b[32];

	env__fmt_duration(60000000000ull, b, sizeof(b));
	assert_string_equal(b, "60s");
	env__fmt_duration(250000000, b, sizeof(b));
	assert_string_equal(b, "250ms");
	env__fmt_duration(1500, b, sizeof(b));
	assert_string_equal(b, "1500ns");
	env__fmt_duration(2000, b, sizeof(b));
	assert_string_equal(b, "2us");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units_and_bare_seconds),
		cmocka_unit_test(test_zero_is_parsed_as_zero_for_the_caller_to_refuse),
		cmocka_unit_test(test_absurd_and_malformed_are_refused),
		cmocka_unit_test(test_format_is_exact_in_the_largest_unit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
