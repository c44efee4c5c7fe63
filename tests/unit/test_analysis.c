// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * One analysis run (src/analysis.c), as replay, live and whatif use it: the
 * topology and engine options come from env, the blind spots of a capture
 * leave their rules unjudged, and the exit status follows --fail-on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <cmocka.h>
#include "analysis.h"
#include "event.h"

#define MS 1000000ull
#define BOARD "[tbu gpu_tbu]\nsids = 0x0-0x3ff\ngates = clk:gpu_clk\n"
#define BLIND_SYNC "{\"blind\":[{\"event\":\"sync\",\"smmu\":\"15000000.iommu\"," \
		   "\"reason\":\"the sync hook did not attach\"}]}"

/*
 * The analysis prints findings and its summary on stdout, which is cmocka's:
 * send it to PATH while it runs (/dev/null, or a file a test reads back).
 */
static int stdout_to(const char *path)
{
	int saved, fd;

	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	assert_true(dup2(fd, STDOUT_FILENO) >= 0);
	close(fd);
	return saved;
}

static void stdout_back(int saved)
{
	fflush(stdout);
	assert_true(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
}

/* a global TLB sync that took DUR */
static void feed_sync(struct analysis *a, uint64_t ts, uint64_t dur)
{
	struct smt_event ev;

	event__init(&ev, SMT_EV_SYNC, ts);
	ev.scope = SMT_SYNC_GLOBAL;
	ev.dur = dur;
	ev.present |= SMT_HAS_DUR;
	analysis__feed(a, &ev);
}

/* run one 5 ms sync through an analysis built from ENV; the exit status */
static int run_slow_sync(const struct env *env, const char *meta, uint64_t *slow)
{
	struct engine_summary s;
	struct analysis *a;
	int status, saved;

	assert_int_equal(analysis__new(&a, env, NULL), 0);
	if (meta)
		analysis__meta(a, meta);
	saved = stdout_to("/dev/null");
	feed_sync(a, 10 * MS, 5 * MS);
	status = analysis__finish(a);
	stdout_back(saved);
	engine__summary(analysis__engine(a), &s);
	*slow = s.findings[RULE_SYNC_SLOW];
	analysis__free(a);
	return status;
}

static void test_sync_slow_option_reaches_the_engine(void **state)
{
	struct env env;
	uint64_t slow;

	env__init(&env);
	run_slow_sync(&env, NULL, &slow);
	assert_int_equal(slow, 1);		/* 5 ms > the 1 ms default */
	assert_int_equal(env__parse_common(&env, OPT_SYNC_SLOW, "10ms"), 1);
	run_slow_sync(&env, NULL, &slow);
	assert_int_equal(slow, 0);
}

static void test_exit_status_follows_fail_on(void **state)
{
	struct env env;
	uint64_t slow;

	env__init(&env);
	/* sync-slow is a warning: not a failure at the default --fail-on error */
	assert_int_equal(run_slow_sync(&env, NULL, &slow), EXIT_OK);
	assert_int_equal(env__parse_common(&env, OPT_FAIL_ON, "warning"), 1);
	assert_int_equal(run_slow_sync(&env, NULL, &slow), EXIT_FINDINGS);
	assert_int_equal(env__parse_common(&env, OPT_FAIL_ON, "never"), 1);
	assert_int_equal(run_slow_sync(&env, NULL, &slow), EXIT_OK);
	assert_int_equal(slow, 1);
}

/* SPEC §9: a capture blind to syncs cannot say a sync was slow */
static void test_blind_spot_in_the_meta_leaves_its_rule_unjudged(void **state)
{
	const char (*reasons)[320];
	struct analysis *a;
	struct env env;
	uint64_t slow;

	env__init(&env);
	assert_int_equal(env__parse_common(&env, OPT_FAIL_ON, "warning"), 1);
	assert_int_equal(run_slow_sync(&env, BLIND_SYNC, &slow), EXIT_OK);
	assert_int_equal(slow, 0);
	assert_int_equal(analysis__new(&a, &env, NULL), 0);
	analysis__meta(a, BLIND_SYNC);
	assert_true(*analysis__not_judged(a, &reasons) & (1u << RULE_SYNC_SLOW));
	assert_non_null(strstr(reasons[RULE_SYNC_SLOW], "15000000.iommu"));
	/* a meta object without blind spots changes nothing */
	analysis__meta(a, "{\"kernel\":\"6.12\"}");
	analysis__meta(a, NULL);
	assert_false(*analysis__not_judged(a, NULL) & (1u << RULE_UNMAP_WHILE_GATED));
	analysis__free(a);
}

static void test_board_a_recording_carries_is_the_topology(void **state)
{
	struct analysis *a;
	struct env env;

	env__init(&env);
	assert_int_equal(analysis__new(&a, &env, BOARD), 0);
	assert_int_equal(analysis__topology(a)->ntbus, 1);
	assert_string_equal(analysis__topology(a)->tbus[0].name, "gpu_tbu");
	analysis__free(a);
}

static void test_bad_board_is_bad_input_with_nothing_built(void **state)
{
	struct analysis *a = (struct analysis *)&a;
	struct env env;

	env__init(&env);
	assert_int_equal(analysis__new(&a, &env, "[tbu x]\nsids = 5-1\n"), EXIT_INPUT);
	assert_null(a);
	env.board_path = "/nonexistent/board.ini";
	assert_int_equal(analysis__new(&a, &env, NULL), EXIT_INPUT);
	assert_null(a);
}

/* the summary goes to stdout, JSON with --json */
static void test_summary_is_written_in_the_chosen_format(void **state)
{
	char buf[65536], path[64];
	struct analysis *a;
	struct env env;
	int saved, fd;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/smmutrace-test-analysis-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	env__init(&env);
	assert_int_equal(env__parse_common(&env, OPT_JSON, NULL), 1);
	assert_int_equal(analysis__new(&a, &env, NULL), 0);
	saved = stdout_to(path);
	feed_sync(a, 10 * MS, 5 * MS);
	analysis__finish(a);
	stdout_back(saved);
	analysis__free(a);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	unlink(path);
	assert_non_null(strstr(buf, "\"rule\":\"sync-slow\""));
	assert_non_null(strstr(buf, "\"type\":\"summary\""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sync_slow_option_reaches_the_engine),
		cmocka_unit_test(test_exit_status_follows_fail_on),
		cmocka_unit_test(test_blind_spot_in_the_meta_leaves_its_rule_unjudged),
		cmocka_unit_test(test_board_a_recording_carries_is_the_topology),
		cmocka_unit_test(test_bad_board_is_bad_input_with_nothing_built),
		cmocka_unit_test(test_summary_is_written_in_the_chosen_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
