// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * src/env.c: the one duration parser every option uses (SPEC §2), and the
 * shared pieces every command builds from env: engine options, the topology
 * (--dt, --board, the board a recording carries) and the verbosity.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "engine.h"
#include "env.h"
#include "topology.h"

#define BOARD_A "[tbu tbu_a]\nsids = 0x0-0xff\ngates = clk:a_clk\n"
#define BOARD_B "[tbu tbu_b]\nsids = 0x100-0x1ff\ngates = rpm:b.dev, pd:b_pd\n"

/* TEXT in a fresh file; its path in PATH (unlink it after) */
static void write_file(char *path, size_t len, const char *text)
{
	int fd;

	snprintf(path, len, "/tmp/smmutrace-test-env-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

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

static void test_defaults_are_the_documented_windows(void **state)
{
	struct env env;

	struct topology topo;
	struct engine_opts o;
	struct engine *e;

	env__init(&env);
	assert_int_equal(env.fail_on, SEV_ERROR);
	/* env leaves the windows unset; the engine alone holds the defaults */
	topology__init(&topo);
	env__engine_opts(&env, &topo, NULL, &o);
	e = engine__new(&o);
	assert_non_null(e);
	assert_int_equal(engine__opts(e)->inval_window_ns, 100000000ull);	/* --help: 100ms */
	assert_int_equal(engine__opts(e)->fault_window_ns, 1000000000ull);	/* 1s */
	assert_int_equal(engine__opts(e)->sync_slow_ns, 1000000ull);		/* 1ms */
	engine__free(e);
	topology__free(&topo);
}

static void test_engine_opts_carry_the_window_options(void **state)
{
	struct topology topo;
	struct engine_opts o;
	unsigned int nj = 0;
	struct env env;

	env__init(&env);
	topology__init(&topo);
	assert_int_equal(env__parse_common(&env, OPT_INVAL_WINDOW, "250us"), 1);
	assert_int_equal(env__parse_common(&env, OPT_FAULT_WINDOW, "3s"), 1);
	assert_int_equal(env__parse_common(&env, OPT_SYNC_SLOW, "2ms"), 1);
	memset(&o, 0xa5, sizeof(o));	/* nothing of the caller's left in it */
	env__engine_opts(&env, &topo, &nj, &o);
	assert_int_equal(o.inval_window_ns, 250000);
	assert_int_equal(o.fault_window_ns, 3000000000ull);
	assert_int_equal(o.sync_slow_ns, 2000000);
	assert_ptr_equal(o.topo, &topo);
	assert_ptr_equal(o.not_judged, &nj);
	assert_null(o.on_finding);
	assert_null(o.on_lifetime);
	assert_null(o.ctx);
}

static void test_a_bad_window_is_refused_and_the_old_value_kept(void **state)
{
	struct env env;

	env__init(&env);
	assert_int_equal(env__parse_common(&env, OPT_INVAL_WINDOW, "0"), -1);
	assert_int_equal(env__parse_common(&env, OPT_FAULT_WINDOW, "soon"), -1);
	assert_int_equal(env.inval_window_ns, 0);	/* still "not given" */
	assert_int_equal(env.fault_window_ns, 0);
}

/* env__topology with --board FILE holding BOARD_TEXT, and the recording's EMBEDDED */
static void topology_with_board_file(const char *board_text, const char *embedded,
				     struct topology *t)
{
	struct env env;
	char path[64];

	write_file(path, sizeof(path), board_text);
	env__init(&env);
	env.board_path = path;
	assert_int_equal(env__topology(&env, embedded, t), 0);
	unlink(path);
}

static void test_topology_from_the_board_file(void **state)
{
	struct topology t;

	topology_with_board_file(BOARD_A, NULL, &t);
	assert_int_equal(t.ntbus, 1);
	assert_string_equal(t.tbus[0].name, "tbu_a");
	assert_string_equal(t.board_text, BOARD_A);	/* for the recording header */
	topology__free(&t);
}

static void test_topology_from_the_board_a_recording_carries(void **state)
{
	struct topology t;
	struct env env;

	env__init(&env);
	assert_int_equal(env__topology(&env, BOARD_B, &t), 0);
	assert_int_equal(t.ntbus, 1);
	assert_string_equal(t.tbus[0].name, "tbu_b");
	topology__free(&t);
	/* none at all: an empty model, not an error */
	assert_int_equal(env__topology(&env, NULL, &t), 0);
	assert_int_equal(t.ntbus, 0);
	assert_int_equal(env__topology(&env, "", &t), 0);
	assert_int_equal(t.ntbus, 0);
	topology__free(&t);
}

/* --board replaces the recording's board rather than merging with it */
static void test_board_option_wins_over_the_recordings_board(void **state)
{
	struct topology t;

	topology_with_board_file(BOARD_A, BOARD_B, &t);
	assert_int_equal(t.ntbus, 1);
	assert_string_equal(t.tbus[0].name, "tbu_a");
	topology__free(&t);
}

static void test_bad_board_is_bad_input_and_leaves_nothing(void **state)
{
	struct topology t;
	struct env env;
	char path[64];

	write_file(path, sizeof(path), "[tbu x]\nsids = 0x10-0x1\n");
	env__init(&env);
	env.board_path = path;
	assert_int_equal(env__topology(&env, NULL, &t), EXIT_INPUT);
	assert_int_equal(t.ntbus, 0);
	assert_null(t.tbus);
	assert_null(t.board_text);
	unlink(path);
	/* a missing file too, and a broken board inside a recording */
	assert_int_equal(env__topology(&env, NULL, &t), EXIT_INPUT);
	env.board_path = NULL;
	assert_int_equal(env__topology(&env, "[tbu y]\nsids = nope\n", &t), EXIT_INPUT);
	assert_int_equal(env__topology(&env, NULL, &t), 0);
	env.dt_dir = "/nonexistent/device-tree";
	assert_int_equal(env__topology(&env, NULL, &t), EXIT_INPUT);
}

static void test_live_dt_keeps_an_explicit_dt(void **state)
{
	struct env env;

	env__init(&env);
	env.dt_dir = "/somewhere/else";
	env__live_dt(&env);
	assert_string_equal(env.dt_dir, "/somewhere/else");
	env.dt_dir = NULL;
	env__live_dt(&env);
	if (access("/proc/device-tree", R_OK))
		assert_null(env.dt_dir);
	else
		assert_string_equal(env.dt_dir, "/proc/device-tree");
}

/* -v, however given, raises the one level every module reads (log.c) */
static void test_verbose_raises_the_log_level(void **state)
{
	struct env env;
	int before = log__level();

	env__init(&env);
	assert_int_equal(env__parse_common(&env, 'v', NULL), 1);
	assert_int_equal(log__level(), before + 1);
	assert_int_equal(env__parse_common(&env, 'v', NULL), 1);
	assert_int_equal(log__level(), before + 2);
	log__set_level(before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_are_the_documented_windows),
		cmocka_unit_test(test_engine_opts_carry_the_window_options),
		cmocka_unit_test(test_a_bad_window_is_refused_and_the_old_value_kept),
		cmocka_unit_test(test_topology_from_the_board_file),
		cmocka_unit_test(test_topology_from_the_board_a_recording_carries),
		cmocka_unit_test(test_board_option_wins_over_the_recordings_board),
		cmocka_unit_test(test_bad_board_is_bad_input_and_leaves_nothing),
		cmocka_unit_test(test_live_dt_keeps_an_explicit_dt),
		cmocka_unit_test(test_verbose_raises_the_log_level),
		cmocka_unit_test(test_units_and_bare_seconds),
		cmocka_unit_test(test_zero_is_parsed_as_zero_for_the_caller_to_refuse),
		cmocka_unit_test(test_absurd_and_malformed_are_refused),
		cmocka_unit_test(test_format_is_exact_in_the_largest_unit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
